package service_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// countingSearcher counts the index calls that reach the engine.
type countingSearcher struct {
	mitreden.Searcher
	calls atomic.Int64
}

func (c *countingSearcher) Index(ctx context.Context, docs ...mitreden.SearchDoc) error {
	c.calls.Add(1)
	return c.Searcher.Index(ctx, docs...)
}

// indexedProposal returns the proposal's document as the index holds it.
func indexedProposal(t *testing.T, idx mitreden.Searcher, title string) mitreden.SearchDoc {
	t.Helper()
	res, err := idx.Search(context.Background(), mitreden.SearchQuery{Text: title, Types: []string{mitreden.SearchTypeProposal}})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("search %q: %+v %v", title, res, err)
	}
	return res.Items[0].SearchDoc
}

// TestIndexQueue_ManyVotesFewIndexCalls votes 200 times from 8 goroutines
// and comments while the queue runs: every write answers the current count
// at once, the index shows the final counts once the queue stopped (a
// clean shutdown flushes), and the engine got far fewer index calls than
// there were writes.
func TestIndexQueue_ManyVotesFewIndexCalls(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	counting := &countingSearcher{Searcher: e.idx}
	p := service.NewParticipation(e.db.Participation(), counting, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Parkausweis digital verlängern")
	before := counting.calls.Load()

	stop := p.StartIndexQueue(time.Hour) // a batch at the first write, then the flush at the stop
	const votes = 200
	voters := make(chan *mitreden.User, votes)
	for range votes {
		voters <- e.user()
	}
	close(voters)
	var wg sync.WaitGroup
	var maxSeen atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range voters {
				res, err := p.Vote(ctx, v, pr.ID, "support")
				if err != nil || !res.Changed {
					t.Errorf("vote: %+v %v", res, err)
					return
				}
				for {
					m := maxSeen.Load()
					if int64(res.Tally.Support) <= m || maxSeen.CompareAndSwap(m, int64(res.Tally.Support)) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	if maxSeen.Load() != votes {
		t.Fatalf("the highest tally answered is %d, want %d", maxSeen.Load(), votes)
	}
	commenter := e.user()
	for range 3 {
		if _, err := p.AddComment(ctx, commenter, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar mit genug Text."}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	got := indexedProposal(t, e.idx, "Parkausweis")
	if got.Supports != votes || got.Comments != 3 {
		t.Fatalf("index shows %d supports and %d comments, want %d and 3", got.Supports, got.Comments, votes)
	}
	// 3 comment documents, and for the counts the first batch and the flush.
	if calls := counting.calls.Load() - before; calls > 3+2+2 {
		t.Fatalf("%d index calls for %d votes and 3 comments", calls, votes)
	}
}

// TestIndexQueue_WithoutLoopIndexesAtOnce: a command-line verb or a test
// runs no queue, and its writes reach the index before they return.
func TestIndexQueue_WithoutLoopIndexesAtOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Hundesteuer online anmelden")
	if _, err := e.p.Vote(ctx, e.user(), pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if got := indexedProposal(t, e.idx, "Hundesteuer"); got.Supports != 1 {
		t.Fatalf("index shows %d supports, want 1", got.Supports)
	}
}

// TestIndexQueue_RunsWithinTheInterval: while the queue runs, a vote
// reaches the index within about the interval, without a flush.
func TestIndexQueue_RunsWithinTheInterval(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Sperrmüll online bestellen")
	defer e.p.StartIndexQueue(10 * time.Millisecond)()
	for range 3 {
		if _, err := e.p.Vote(ctx, e.user(), pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for indexedProposal(t, e.idx, "Sperrmüll").Supports != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the queued counts never reached the index")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIndexQueue_NewCommentsQueued: while the queue runs, a new comment
// does not wait for the search engine (a batch that the engine syncs to
// disk) but is findable within about the interval.
func TestIndexQueue_NewCommentsQueued(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	counting := &countingSearcher{Searcher: e.idx}
	p := service.NewParticipation(e.db.Participation(), counting, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Wertstoffhof Termine buchen")
	stop := p.StartIndexQueue(time.Hour) // nothing flushes until the stop
	before := counting.calls.Load()
	if _, err := p.AddComment(ctx, e.user(), "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar über Sperrholzplatten."}); err != nil {
		t.Fatal(err)
	}
	if n := counting.calls.Load() - before; n > 0 {
		// The first write of a queue wakes the loop, which may flush at once;
		// the comment itself must not have been indexed in the request.
		t.Logf("%d index calls by the queue during the write", n)
	}
	stop()
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Sperrholzplatten", Types: []string{mitreden.SearchTypeComment}})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("after the queue's flush the comment is not found: %+v %v", res, err)
	}
}

// TestVotes_ConcurrentVotesEqualTheRecords casts, changes and withdraws
// votes of distinct people on a few proposals from 8 goroutines, with the
// index queue running as in the server: afterwards every tally equals its
// vote records, a recount finds nothing to repair, and the index shows the
// stored tallies.
func TestVotes_ConcurrentVotesEqualTheRecords(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	ids := []string{
		e.proposal(t, c, e.user(), "Erster Vorschlag zum Zählen").ID,
		e.proposal(t, c, e.user(), "Zweiter Vorschlag zum Zählen").ID,
		e.proposal(t, c, e.user(), "Dritter Vorschlag zum Zählen").ID,
	}
	stop := e.p.StartIndexQueue(10 * time.Millisecond)
	voters := make(chan int, 240)
	for i := range 240 {
		voters <- i
	}
	close(voters)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range voters {
				v := e.user()
				if _, err := e.p.Vote(ctx, v, ids[i%3], "support"); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.p.Vote(ctx, v, ids[(i+1)%3], "support"); err != nil {
					t.Error(err)
					return
				}
				if i%4 == 0 {
					if _, err := e.p.Unvote(ctx, v, ids[i%3]); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	stop()
	checkTallies(t, e, ids)
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount changed %+v (%v)", changes, err)
	}
	total := 0
	for _, id := range ids {
		pr, _, err := e.p.Proposal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		total += pr.Tally.Support
		if got := indexedProposal(t, e.idx, pr.Title); got.Supports != pr.Tally.Support {
			t.Fatalf("%s: index shows %d supports, the store %d", pr.Title, got.Supports, pr.Tally.Support)
		}
	}
	if total != 2*240-240/4 {
		t.Fatalf("%d supports in all, want %d", total, 2*240-240/4)
	}
}

// gatedSearcher holds each Index call until the test lets it go, as a slow
// engine does, and honours the caller's context meanwhile.
type gatedSearcher struct {
	mitreden.Searcher
	entered chan struct{}
	release chan struct{}
}

func (g *gatedSearcher) Index(ctx context.Context, docs ...mitreden.SearchDoc) error {
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Searcher.Index(ctx, docs...)
}

// TestIndexQueue_StopDoesNotCutABatchShort: a stop that arrives while a
// batch is being indexed lets that batch finish; before, the batch failed
// with the cancelled context, its documents went to the retry records, and
// the index kept the old count until the next start.
func TestIndexQueue_StopDoesNotCutABatchShort(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Grünschnitt online anmelden")
	g := &gatedSearcher{Searcher: e.idx, entered: make(chan struct{}, 1), release: make(chan struct{})}
	p := service.NewParticipation(e.db.Participation(), g, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	stop := p.StartIndexQueue(time.Millisecond)
	if _, err := p.Vote(ctx, e.user(), pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	<-g.entered // the batch with the new count is being indexed
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	time.Sleep(50 * time.Millisecond) // the stop has cancelled the loop's context
	close(g.release)
	<-stopped
	if got := indexedProposal(t, e.idx, "Grünschnitt").Supports; got != 1 {
		t.Fatalf("index shows %d supports after a clean stop, want 1", got)
	}
	if left, err := e.db.Participation().SearchRetries(ctx, 10); err != nil || len(left) != 0 {
		t.Fatalf("retry records left: %v %v", left, err)
	}
}
