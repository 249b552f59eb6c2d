package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// DocSource streams every searchable document from the store.
type DocSource func(ctx context.Context, yield func(mitreden.SearchDoc) error) error

// ReindexState describes the last or running rebuild of the search index.
type ReindexState struct {
	Running    bool
	Started    time.Time
	Finished   time.Time
	Docs       int
	Err        string
	Requested  string // user id of the admin who asked, or "cli"
	Generation int
}

// Indexing rebuilds the search index from the store: from the CLI, or as an
// admin action inside the running server (the embedded mode's data dir is held
// by the server, so the CLI cannot open it then).
type Indexing struct {
	searcher mitreden.Searcher
	source   DocSource
	// CountStored, when set, counts the documents source would yield
	// without reading them, for Check.
	CountStored func(ctx context.Context) (int, error)
	log         *slog.Logger
	now         Clock

	mu    sync.Mutex
	state ReindexState
}

// NewIndexing wires the reindexer.
func NewIndexing(searcher mitreden.Searcher, source DocSource, now Clock, log *slog.Logger) *Indexing {
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	return &Indexing{searcher: searcher, source: source, now: now, log: log}
}

// NewDocIndexing wires the reindexer to feed what docs builds from the
// store, counting with docs.Count for Check, so the index is rebuilt from
// the same documents the writes index.
func NewDocIndexing(searcher mitreden.Searcher, docs *SearchDocs, now Clock, log *slog.Logger) *Indexing {
	x := NewIndexing(searcher, docs.All, now, log)
	x.CountStored = docs.Count
	return x
}

// Reindex builds a fresh index from the store and swaps it in when complete;
// search keeps answering from the old index meanwhile. progress, when set, is
// called with the number of documents fed so far.
func (x *Indexing) Reindex(ctx context.Context, progress func(done int)) (int, error) {
	n := 0
	err := x.searcher.Rebuild(ctx, func(yield func(mitreden.SearchDoc) error) error {
		return x.source(ctx, func(d mitreden.SearchDoc) error {
			n++
			if progress != nil {
				progress(n)
			}
			return yield(d)
		})
	})
	return n, err
}

// Start runs a rebuild in the background on behalf of actor (an admin) unless
// one is already running. It answers ECONFLICT when busy.
func (x *Indexing) Start(actor *mitreden.User) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	x.mu.Lock()
	if x.state.Running {
		x.mu.Unlock()
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "admin.search.busy"}
	}
	x.state = ReindexState{Running: true, Started: x.now(), Requested: actor.ID, Generation: x.state.Generation + 1}
	x.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
		defer cancel()
		n, err := x.Reindex(ctx, func(done int) {
			x.mu.Lock()
			x.state.Docs = done
			x.mu.Unlock()
		})
		x.mu.Lock()
		x.state.Running, x.state.Finished, x.state.Docs = false, x.now(), n
		if err != nil {
			x.state.Err = err.Error()
			x.log.Error("reindex failed", "err", err)
		} else {
			x.log.Info("reindex done", "docs", n)
		}
		x.mu.Unlock()
	}()
	return nil
}

// Status returns the state of the last or running rebuild.
func (x *Indexing) Status() ReindexState {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.state
}

// Check compares the number of documents in the index with the number the
// store would feed, and logs when they differ. It is meant for start-up.
func (x *Indexing) Check(ctx context.Context) (indexed, stored int, err error) {
	indexed, err = x.searcher.Count(ctx)
	if err != nil {
		return 0, 0, err
	}
	if x.CountStored != nil {
		stored, err = x.CountStored(ctx)
	} else {
		err = x.source(ctx, func(mitreden.SearchDoc) error { stored++; return nil })
	}
	if err != nil {
		return indexed, 0, err
	}
	if indexed != stored {
		x.log.Warn("search index differs from the store; run `mitreden reindex` or the admin action", "indexed", indexed, "stored", stored)
	}
	return indexed, stored, nil
}

// Sources feeds the documents of each source in turn, for a reindex of
// everything the services index.
func Sources(sources ...DocSource) DocSource {
	return func(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
		for _, s := range sources {
			if err := s(ctx, yield); err != nil {
				return err
			}
		}
		return nil
	}
}

// Counts adds the counts of each counter, for Check.
func Counts(counts ...func(context.Context) (int, error)) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		n := 0
		for _, c := range counts {
			m, err := c(ctx)
			if err != nil {
				return 0, err
			}
			n += m
		}
		return n, nil
	}
}
