package mongo_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// openDeferred opens a store with the embedded options (counters written
// behind) and a count of the update commands it sends. Its flush timer is
// too long to fire during a test, so on a slow machine too only the steps
// a test takes flush.
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
	db, err := mongo.Open(context.Background(), mongotest.URI(t), name, append(mongo.EmbeddedOptions(), mongo.WithMonitor(monitor), mongo.DeferredFlushEvery(time.Hour))...)
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

// A comment's place in its thread's list is written behind like the
// counters: pages see it at once, the store gets the ids in order with the
// next flush (or at close), and RepairThreads puts back what a stop lost.
func TestDeferCounters_ThreadListsAndTheirRepair(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	db, updates := openDeferred(t, name)
	s := db.Participation()
	var ids []string
	for i := range 5 {
		c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
			Body: "Beitrag", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		if i == 0 {
			updates()
		}
	}
	if n := updates(); n != 0 {
		t.Fatalf("4 comments into an existing thread list sent %d updates before the flush, want 0", n)
	}
	page, err := s.ListThread(ctx, mitreden.ThreadQuery{TargetType: "proposal", TargetID: "p1"})
	if err != nil || len(page.Top) != 5 {
		t.Fatalf("the thread shows %d comments, %v; want 5", len(page.Top), err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A store that reads threads from their lists, as the embedded mode does.
	fresh := func() *mongo.DB {
		d, err := mongo.Open(ctx, mongotest.URI(t), name, mongo.SerializeWrites(), mongo.CacheThreads())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	listed := func(d *mongo.DB) []string {
		t.Helper()
		page, err := d.Participation().ListThread(ctx, mitreden.ThreadQuery{TargetType: "proposal", TargetID: "p1"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range page.Top {
			got = append(got, c.ID)
		}
		return got
	}
	d := fresh()
	if got := listed(d); !slices.Equal(got, ids) {
		t.Fatalf("after close the list holds %v, want %v", got, ids)
	}
	// A stop that lost the last two ids: RepairThreads puts them back, in
	// order, and leaves a comment newer than its cutoff to its own write.
	if _, err := d.C("comment_threads").UpdateOne(ctx, bson.D{{Key: "_id", Value: "proposal:p1"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "ids", Value: ids[:3]}}}}); err != nil {
		t.Fatal(err)
	}
	late := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
		Body: "Später", CreatedAt: t0.Add(time.Hour)}
	if _, err := d.C("comments").InsertOne(ctx, bson.D{{Key: "_id", Value: mustOID(t, "0123456789abcdef01234567")},
		{Key: "target_type", Value: late.TargetType}, {Key: "target_id", Value: late.TargetID}, {Key: "created_at", Value: late.CreatedAt}}); err != nil {
		t.Fatal(err)
	}
	added, err := d.Participation().RepairThreads(ctx, t0.Add(time.Minute))
	if err != nil || added != 2 {
		t.Fatalf("RepairThreads added %d, %v; want 2", added, err)
	}
	if got := listed(d); !slices.Equal(got, ids) {
		t.Fatalf("after the repair the thread lists %v, want %v", got, ids)
	}
	if added, err := d.Participation().RepairThreads(ctx, t0.Add(time.Minute)); err != nil || added != 0 {
		t.Fatalf("a second repair added %d, %v", added, err)
	}
	_ = d.Drop(ctx)
	_ = d.Close(ctx)
}

func mustOID(t *testing.T, hex string) bson.ObjectID {
	t.Helper()
	o, err := bson.ObjectIDFromHex(hex)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// A flush whose write the engine applied although the call failed (a
// timeout under load) is retried without counting twice, and increments
// that arrive before the retry are written after it.
func TestDeferCounters_RetriedFlushCountsOnce(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	db, _ := openDeferred(t, name)
	s := db.Participation()
	p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Title: "Retry", Body: "Text", Status: mitreden.StatusSubmitted}
	if err := s.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	inc := func(n int) {
		for range n {
			if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	inc(5)
	if err := db.FlushAppliedButFailed(ctx, "proposals", p.ID); err != nil {
		t.Fatal(err)
	}
	inc(3)
	if err := db.FlushAppliedButFailed(ctx, "proposals", p.ID); err != nil {
		t.Fatal(err)
	}
	inc(2)
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	plain, err := mongo.Open(ctx, mongotest.URI(t), name, mongo.SerializeWrites())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Drop(ctx); _ = plain.Close(ctx) })
	stored, err := plain.Participation().FindProposal(ctx, p.ID)
	if err != nil || stored.Tally.Support != 10 {
		t.Fatalf("the store counts %d supports (%v), want 10", stored.Tally.Support, err)
	}
}

// A person's unread counter is written behind too: the first notification
// creates it, later ones only add in memory until the flush, and the
// header reads the sum at once.
func TestDeferCounters_NotificationCounts(t *testing.T) {
	ctx := context.Background()
	db, updates := openDeferred(t, mongotest.DBName(t))
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	s := db.Notifications()
	note := func(ev string) *mitreden.Notification {
		return &mitreden.Notification{ID: mitreden.NotificationID(ev, "u1"), EventID: ev, UserID: "u1", Kind: mitreden.NotifyComment,
			URL: "/proposals/p1", CreatedAt: t0}
	}
	if _, err := s.InsertNotifications(ctx, []*mitreden.Notification{note("e1")}); err != nil {
		t.Fatal(err)
	}
	updates()
	for _, ev := range []string{"e2", "e3", "e4"} {
		if _, err := s.InsertNotifications(ctx, []*mitreden.Notification{note(ev)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := updates(); n != 0 {
		t.Fatalf("three notifications to a counted person sent %d updates before the flush, want 0", n)
	}
	if c, err := s.CountNotifications(ctx, "u1"); err != nil || c.Unread != 4 || c.Total != 4 {
		t.Fatalf("counts %+v %v, want 4 unread of 4", c, err)
	}
	if err := db.FlushDeferred(ctx); err != nil {
		t.Fatal(err)
	}
	if n := updates(); n != 1 {
		t.Fatalf("the flush sent %d updates, want 1", n)
	}
}
