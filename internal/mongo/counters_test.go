package mongo_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// take calls Take and fails the test on a store error.
func take(t *testing.T, s mitreden.CounterStore, key string, r mitreden.Rate, now time.Time) (bool, time.Time) {
	t.Helper()
	ok, retry, err := s.Take(context.Background(), key, r, now)
	if err != nil {
		t.Fatalf("take %s at %s: %v", key, now.Format(time.TimeOnly), err)
	}
	return ok, retry
}

// TestCounterStore_ThrottleAcrossWindowBoundary fires five events just
// before and five just after a 15-minute boundary: fixed windows let all
// ten through within three seconds; the allowance lets five.
func TestCounterStore_ThrottleAcrossWindowBoundary(t *testing.T) {
	s := mongotest.MustOpenDB(t).Counters()
	r := mitreden.Rate{Max: 5, Per: 15 * time.Minute}
	boundary := time.Date(2026, 1, 1, 10, 15, 0, 0, time.UTC)
	passed := 0
	for i := range 10 {
		at := boundary.Add(-1500 * time.Millisecond).Add(time.Duration(i) * 300 * time.Millisecond)
		if ok, _ := take(t, s, "login:a", r, at); ok {
			passed++
		}
	}
	if passed != 5 {
		t.Fatalf("%d of 10 events passed within 3 s around a window boundary, want 5", passed)
	}
}

// TestCounterStore_RetryIsWhenTheNextPasses checks the time Take names: the
// next event passes exactly then, not a nanosecond before, and refused
// attempts do not postpone it.
func TestCounterStore_RetryIsWhenTheNextPasses(t *testing.T) {
	s := mongotest.MustOpenDB(t).Counters()
	r := mitreden.Rate{Max: 5, Per: 15 * time.Minute}
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		if ok, _ := take(t, s, "k", r, t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("event %d of 5 refused", i+1)
		}
	}
	ok, retry := take(t, s, "k", r, t0.Add(time.Minute))
	if want := t0.Add(3 * time.Minute); ok || !retry.Equal(want) {
		t.Fatalf("sixth: ok %v, retry %s, want refused until %s", ok, retry, want)
	}
	for _, at := range []time.Duration{2 * time.Minute, 3*time.Minute - time.Nanosecond} {
		if ok, again := take(t, s, "k", r, t0.Add(at)); ok || !again.Equal(retry) {
			t.Fatalf("at +%s: ok %v, retry %s, want refused until %s", at, ok, again, retry)
		}
	}
	if ok, _ := take(t, s, "k", r, retry); !ok {
		t.Fatal("refused at the time named")
	}
	// One interval later the next; the whole allowance is back 15 minutes
	// after the last event.
	if ok, next := take(t, s, "k", r, retry); ok || !next.Equal(retry.Add(3*time.Minute)) {
		t.Fatalf("after the retry: ok %v, next %s", ok, next)
	}
	later := retry.Add(15 * time.Minute)
	for i := range 5 {
		if ok, _ := take(t, s, "k", r, later); !ok {
			t.Fatalf("a whole allowance later, event %d refused", i+1)
		}
	}
	if ok, _ := take(t, s, "k", r, later); ok {
		t.Fatal("a sixth passed a whole allowance later")
	}
	// Other keys are untouched.
	if ok, _ := take(t, s, "other", r, t0.Add(time.Minute)); !ok {
		t.Fatal("another key refused")
	}
}

func TestCounterStore_GiveBackReturnsOneEvent(t *testing.T) {
	s := mongotest.MustOpenDB(t).Counters()
	ctx := context.Background()
	r := mitreden.Rate{Max: 2, Per: time.Minute}
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	take(t, s, "k", r, now)
	take(t, s, "k", r, now)
	if ok, _ := take(t, s, "k", r, now); ok {
		t.Fatal("third of two passed")
	}
	if err := s.GiveBack(ctx, "k", r); err != nil {
		t.Fatal(err)
	}
	if ok, _ := take(t, s, "k", r, now); !ok {
		t.Fatal("refused after a give-back")
	}
	if err := s.GiveBack(ctx, "missing", r); err != nil {
		t.Fatalf("give-back of an unknown key: %v", err)
	}
}

// TestCounterStore_OneDocumentPerKey checks the layout: the key is the
// _id, and the document expires when the allowance is whole again.
func TestCounterStore_OneDocumentPerKey(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Counters()
	r := mitreden.Rate{Max: 4, Per: time.Minute}
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 30 {
		take(t, s, "k", r, now.Add(time.Duration(i)*7*time.Second))
	}
	n, err := db.C("counters").CountDocuments(context.Background(), bson.D{})
	if err != nil || n != 1 {
		t.Fatalf("%d documents (%v), want 1", n, err)
	}
	var d struct {
		ID        string    `bson:"_id"`
		TAT       int64     `bson:"tat"`
		ExpiresAt time.Time `bson:"expires_at"`
	}
	if err := db.C("counters").FindOne(context.Background(), bson.D{{Key: "_id", Value: "k"}}).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.ExpiresAt.Before(time.Unix(0, d.TAT)) {
		t.Fatalf("expires at %s, before the allowance is whole at %s", d.ExpiresAt, time.Unix(0, d.TAT).UTC())
	}
}

// TestCounterStore_ConcurrentTakes takes from one allowance concurrently:
// no more events pass than it allows, and none fails.
func TestCounterStore_ConcurrentTakes(t *testing.T) {
	s := mongotest.MustOpenDB(t).Counters()
	concurrentTakes(t, []*mongo.CounterStore{s, s})
}

// TestCounterStore_InstancesShareAllowances does the same through two
// stores on one database, as two instances do. FerretDB applies updates as
// unisolated read-modify-writes, which is why the embedded mode is one
// process; MongoDB applies each conditional update atomically.
func TestCounterStore_InstancesShareAllowances(t *testing.T) {
	if os.Getenv("MITREDEN_TEST_MONGODB_URI") == "" {
		t.Skip("several instances need MongoDB (set MITREDEN_TEST_MONGODB_URI)")
	}
	ctx := context.Background()
	name := mongotest.DBName(t)
	var stores []*mongo.CounterStore
	for range 2 {
		db, err := mongo.Open(ctx, mongotest.URI(t), name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		stores = append(stores, db.Counters())
	}
	concurrentTakes(t, stores)
}

// concurrentTakes fires 30 takes at an allowance of 10 through stores in
// turn, all at one time: the first finds the key new, the others take from
// it. A period later it does so again, the first finding the allowance
// whole. (Takes stamped apart and handled out of order may let fewer
// through, never more: an earlier stamp finds the allowance further used.)
func concurrentTakes(t *testing.T, stores []*mongo.CounterStore) {
	t.Helper()
	ctx := context.Background()
	r := mitreden.Rate{Max: 10, Per: time.Hour}
	for round, now := range []time.Time{time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)} {
		var passed atomic.Int64
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := stores[i%len(stores)].Take(ctx, "shared", r, now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					passed.Add(1)
				}
			}()
		}
		wg.Wait()
		if passed.Load() != 10 {
			t.Fatalf("round %d: %d events passed, want 10", round+1, passed.Load())
		}
	}
}

// TestCounterStore_ClockSetBack takes from an allowance used up at t with
// the clock set back: less than two periods, and the events still count;
// more, and they were counted by a clock that no longer holds, so the
// allowance is whole (a test that travels in time, a server whose clock
// was corrected).
func TestCounterStore_ClockSetBack(t *testing.T) {
	s := mongotest.MustOpenDB(t).Counters()
	r := mitreden.Rate{Max: 5, Per: 15 * time.Minute}
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for range 5 {
		take(t, s, "k", r, t0)
	}
	if ok, retry := take(t, s, "k", r, t0.Add(-10*time.Minute)); ok || !retry.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("ten minutes back: ok %v, retry %s", ok, retry)
	}
	for i := range 5 {
		if ok, _ := take(t, s, "k", r, t0.Add(-16*time.Minute)); !ok {
			t.Fatalf("more than two periods before the allowance is whole: event %d refused", i+1)
		}
	}
	if ok, _ := take(t, s, "k", r, t0.Add(-16*time.Minute)); ok {
		t.Fatal("a sixth passed after the reset")
	}
}
