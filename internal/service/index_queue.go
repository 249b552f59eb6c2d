package service

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// indexQueue collects the search documents whose counters changed (a
// proposal's tally or comment count, a consultation's comment count, a
// comment's votes): the loop StartIndexQueue starts indexes them again from
// the store at most once per interval, in one batch, however many writes
// touched them meanwhile. Counts in the index may so lag by about the
// interval; the writes themselves never wait for the search engine.
//
// The queue lives in memory only. A clean stop flushes it (the stop
// StartIndexQueue returns); an unclean stop loses it, and the reconciliation
// that follows every unclean stop rebuilds the whole index from the store.
type indexQueue struct {
	mu      sync.Mutex
	running bool
	dirty   map[string]struct{} // search document ids
	// flushing holds the ids the flush in progress read from the store; a
	// write indexing one of them meanwhile queues it again (see touched), or
	// the flush could put back what the store held before that write.
	flushing map[string]struct{}
	wake     chan struct{}
}

// touched queues again those of ids that a flush in progress may overwrite
// with an older state; index calls it after indexing at once.
func (q *indexQueue) touched(ids []string) {
	q.mu.Lock()
	queued := false
	for _, id := range ids {
		if _, ok := q.flushing[id]; ok && q.running {
			q.dirty[id] = struct{}{}
			queued = true
		}
	}
	q.mu.Unlock()
	if queued {
		q.signal()
	}
}

func (q *indexQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// indexCounts has the search document docID (mitreden.SearchDocID) indexed
// again from the store, because counters it shows changed or it is a new
// comment: by the queue when RunIndexQueue runs, else (a command-line verb,
// a test) at once.
func (p *Participation) indexCounts(ctx context.Context, docID string) {
	if p.search == nil {
		return
	}
	q := &p.queue
	q.mu.Lock()
	if q.running {
		q.dirty[docID] = struct{}{}
		q.mu.Unlock()
		q.signal()
		return
	}
	q.mu.Unlock()
	if err := p.indexCurrent(ctx, []string{docID}); err != nil {
		p.log.Warn("search index failed; will retry", "err", err, "docs", 1)
		p.retryLater(ctx, docID)
	}
}

// StartIndexQueue starts indexing the documents whose counters changed,
// at most once per interval, in the background. From its return on, such
// writes queue their documents instead of indexing them at once. The
// returned stop ends the loop, indexes what is left and returns once it
// did, so a clean stop loses nothing; writes after it index at once again.
// Call stop before the search index closes.
func (p *Participation) StartIndexQueue(interval time.Duration) (stop func()) {
	q := &p.queue
	q.mu.Lock()
	q.running = true
	q.dirty = map[string]struct{}{}
	q.wake = make(chan struct{}, 1)
	q.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.runIndexQueue(ctx, interval)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

func (p *Participation) runIndexQueue(ctx context.Context, interval time.Duration) {
	q := &p.queue
	defer func() {
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		p.flushIndexQueue(fctx)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		// A stop must not cut a batch short: its documents would go to the
		// retry records instead of the index, and the final flush below
		// would find nothing left to do.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		p.flushIndexQueue(fctx)
		cancel()
		// Writes during the pause gather into the next batch.
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// FlushIndexQueue indexes the queued documents now; for tests and
// maintenance that need the index current.
func (p *Participation) FlushIndexQueue(ctx context.Context) { p.flushIndexQueue(ctx) }

// flushIndexQueue takes the queued ids and indexes them in one batch. A
// failure records them for RetryIndexing, as a failed write's index call
// does.
func (p *Participation) flushIndexQueue(ctx context.Context) {
	q := &p.queue
	q.mu.Lock()
	if len(q.dirty) == 0 {
		q.mu.Unlock()
		return
	}
	ids := make([]string, 0, len(q.dirty))
	for id := range q.dirty {
		ids = append(ids, id)
	}
	q.dirty = map[string]struct{}{}
	q.flushing = map[string]struct{}{}
	for _, id := range ids {
		q.flushing[id] = struct{}{}
	}
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.flushing = nil
		q.mu.Unlock()
	}()
	for len(ids) > 0 {
		n := min(len(ids), retryBatch)
		if err := p.indexCurrent(ctx, ids[:n]); err != nil {
			p.log.Warn("search index failed; will retry", "err", err, "docs", n)
			p.retryLater(ctx, ids[:n]...)
		}
		ids = ids[n:]
	}
}

// indexCurrent indexes the documents ids as the store holds them now, in
// one batch, and removes from the index those whose item is gone. The
// consultations the documents need are read once per call.
func (p *Participation) indexCurrent(ctx context.Context, ids []string) error {
	var docs []mitreden.SearchDoc
	var gone []string
	cons := map[string]*mitreden.Consultation{}
	consultation := func(id string) (*mitreden.Consultation, error) {
		if c, ok := cons[id]; ok {
			return c, nil
		}
		c, err := p.st.FindConsultation(ctx, id)
		if err == nil {
			cons[id] = c
		}
		return c, err
	}
	for _, id := range ids {
		typ, itemID, _ := strings.Cut(id, ":")
		var found []mitreden.SearchDoc
		var err error
		if typ == mitreden.SearchTypeProposal {
			var pr *mitreden.Proposal
			var c *mitreden.Consultation
			if pr, err = p.st.FindProposal(ctx, itemID); err == nil {
				if c, err = consultation(pr.ConsultationID); err == nil {
					found = p.docs.Proposal(pr, c)[:1]
				}
			}
		} else {
			found, err = p.docs.Current(ctx, typ, itemID)
		}
		switch {
		case mitreden.ErrorCode(err) == mitreden.ENOTFOUND, err == nil && len(found) == 0:
			gone = append(gone, id)
		case err != nil:
			return err
		}
		docs = append(docs, found...)
	}
	if len(gone) > 0 {
		if err := p.search.Delete(ctx, gone...); err != nil {
			return err
		}
	}
	if len(docs) > 0 {
		return p.search.Index(ctx, docs...)
	}
	return nil
}
