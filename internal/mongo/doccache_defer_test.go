package mongo_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// openDeferred opens a store with the embedded options (counters written
// behind) and a count of the update commands it sends.
func openDeferred(t *testing.T, name string) (*mongo.DB, func() int) {
	t.Helper()
	var mu sync.Mutex
	updates := 0
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "update" {
			mu.Lock()
			updates++
			mu.Unlock()
		}
	}}
	db, err := mongo.Open(context.Background(), mongotest.URI(t), name, append(mongo.EmbeddedOptions(), mongo.WithMonitor(monitor))...)
	if err != nil {
		t.Fatal(err)
	}
	return db, func() int { mu.Lock(); defer mu.Unlock(); n := updates; updates = 0; return n }
}

// Counter increments reach reads at once and the store in one update; a
// query other than a lookup by _id, a conditional write and a clean close
// each write them first.
func TestDeferCounters_ReadsAtOnceStoreOnce(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	db, updates := openDeferred(t, name)
	s := db.Participation()
	p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Title: "Radweg", Body: "Text", Status: mitreden.StatusSubmitted}
	if err := s.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	updates()
	for range 10 {
		if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 1, "for"); err != nil {
			t.Fatal(err)
		}
	}
	if n := updates(); n != 0 {
		t.Fatalf("10 increments sent %d updates before the flush, want 0", n)
	}
	got, err := s.FindProposal(ctx, p.ID)
	if err != nil || got.Tally.Support != 10 || got.CommentCount != 10 || got.For != 10 {
		t.Fatalf("read after the increments: %+v %d %d, %v", got.Tally, got.CommentCount, got.For, err)
	}
	// A scan (recount, reindex, listings) sees them: they are written first, in one update.
	var scanned *mitreden.Proposal
	if err := s.AllProposals(ctx, func(pr *mitreden.Proposal) error { scanned = pr; return nil }); err != nil {
		t.Fatal(err)
	}
	if scanned == nil || scanned.Tally.Support != 10 {
		t.Fatalf("a scan after the increments saw %+v", scanned)
	}
	if n := updates(); n != 1 {
		t.Fatalf("the scan wrote the increments with %d updates, want 1", n)
	}
	// A conditional write compares against the store with the increments in.
	for range 3 {
		if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	from, err := s.ProposalCounts(ctx, p.ID)
	if err != nil || from.Tally.Support != 13 {
		t.Fatalf("counts %+v, %v", from, err)
	}
	to := from
	to.Tally.Support = 20
	if err := s.SetProposalCounts(ctx, from, to); err != nil {
		t.Fatalf("a recount's compare-and-set against the counts just read: %v", err)
	}
	if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
		t.Fatal(err)
	}
	// Close writes what waits; a store opened afterwards reads it.
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	plain, err := mongo.Open(ctx, mongotest.URI(t), name, mongo.SerializeWrites())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Drop(ctx); _ = plain.Close(ctx) })
	stored, err := plain.Participation().FindProposal(ctx, p.ID)
	if err != nil || stored.Tally.Support != 21 || stored.CommentCount != 10 {
		t.Fatalf("after close the store holds %+v, %d comments, %v; want 21 supports, 10 comments", stored.Tally, stored.CommentCount, err)
	}
}

// Increments from many goroutines, with the flush loop writing them
// meanwhile, add up exactly in the store.
func TestDeferCounters_ConcurrentIncrementsAddUp(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	db, _ := openDeferred(t, name)
	s := db.Participation()
	var ids []string
	for i := range 3 {
		p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Title: strings.Repeat("R", i+1), Body: "Text", Status: mitreden.StatusSubmitted}
		if err := s.CreateProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				if err := s.IncProposalCounts(ctx, ids[(g+i)%3], mitreden.Tally{Support: 1}, 0, ""); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	plain, err := mongo.Open(ctx, mongotest.URI(t), name, mongo.SerializeWrites())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Drop(ctx); _ = plain.Close(ctx) })
	total := 0
	for _, id := range ids {
		p, err := plain.Participation().FindProposal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		total += p.Tally.Support
	}
	if total != 8*60 {
		t.Fatalf("the store counts %d supports, want %d", total, 8*60)
	}
}
