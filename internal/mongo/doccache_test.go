package mongo_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// commandLog records the names of the commands a client sends; count runs
// f and returns what it sent, space-separated.
func commandLog(t *testing.T) (*event.CommandMonitor, func(f func() error) string) {
	var mu sync.Mutex
	var sent []string
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		mu.Lock()
		sent = append(sent, e.CommandName)
		mu.Unlock()
	}}
	return monitor, func(f func() error) string {
		t.Helper()
		mu.Lock()
		sent = nil
		mu.Unlock()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(sent, " ")
	}
}

// openCounted opens a serialized store with the document cache and
// returns a function counting the commands a call sends.
func openCounted(t *testing.T) (*mongo.ParticipationStore, func(f func() error) string) {
	t.Helper()
	ctx := context.Background()
	monitor, count := commandLog(t)
	db, err := mongo.Open(ctx, mongotest.URI(t), mongotest.DBName(t), mongo.SerializeWrites(),
		mongo.CacheDocuments(mongo.DefaultDocCacheBytes), mongo.WithMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	return db.Participation(), count
}

// Lookups by _id are answered from memory once read, absent documents
// (the votes a visitor did not cast) included; each write makes the next
// lookup read again and see it.
func TestDocCache_AnswersLookupsFromMemoryAndWritesShow(t *testing.T) {
	ctx := context.Background()
	s, count := openCounted(t)
	p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Title: "Radweg", Body: "Text", Status: mitreden.StatusSubmitted}
	if err := s.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	find := func() error { _, err := s.FindProposal(ctx, p.ID); return err }
	if got := count(find); got != "find" {
		t.Fatalf("first lookup sent %q, want one find", got)
	}
	if got := count(find); got != "" {
		t.Fatalf("second lookup sent %q, want nothing", got)
	}
	votes := func() error { _, err := s.UserVotes(ctx, "u2", []string{p.ID}); return err }
	if got := count(votes); got != "find" {
		t.Fatalf("first vote lookup sent %q", got)
	}
	if got := count(votes); got != "" {
		t.Fatalf("an absent vote was looked up again: %q", got)
	}
	if err := s.InsertVote(ctx, p.ID, "u2", "c1", mitreden.VoteSupport); err != nil {
		t.Fatal(err)
	}
	if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
		t.Fatal(err)
	}
	mine, err := s.UserVotes(ctx, "u2", []string{p.ID})
	if err != nil || mine[p.ID] != mitreden.VoteSupport {
		t.Fatalf("after voting the vote reads %v, %v", mine, err)
	}
	var got *mitreden.Proposal
	if sent := count(func() (err error) { got, err = s.FindProposal(ctx, p.ID); return err }); got.Tally.Support != 1 || sent != "" {
		t.Fatalf("after the count the proposal reads %+v, sending %q (the count is applied to the cached state)", got.Tally, sent)
	}
	if _, err := s.DeleteVote(ctx, p.ID, "u2"); err != nil {
		t.Fatal(err)
	}
	if mine, _ := s.UserVotes(ctx, "u2", []string{p.ID}); mine[p.ID] != "" {
		t.Fatalf("a withdrawn vote still reads %q", mine[p.ID])
	}
	if _, err := s.FindProposal(ctx, "0123456789abcdef01234567"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("a missing proposal: %v", err)
	}
}

// Readers running while a writer counts never read less than what the
// writes that returned before the read began wrote: no read installs the
// state before a write that raced it.
func TestDocCache_NeverStaleAfterAWriteReturns(t *testing.T) {
	ctx := context.Background()
	s, _ := openCounted(t)
	p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Title: "Radweg", Body: "Text", Status: mitreden.StatusSubmitted}
	if err := s.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	const writes = 150
	var done atomic.Int64
	var stale atomic.Value
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Load() < writes {
				before := done.Load()
				got, err := s.FindProposal(ctx, p.ID)
				if err != nil {
					stale.Store(err.Error())
					return
				}
				if int64(got.Tally.Support) < before {
					stale.Store(fmt.Sprintf("reader %d read %d after %d writes had returned", r, got.Tally.Support, before))
					return
				}
			}
		}()
	}
	for range writes {
		if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
			t.Fatal(err)
		}
		done.Add(1)
	}
	wg.Wait()
	if msg := stale.Load(); msg != nil {
		t.Fatal(msg)
	}
}
