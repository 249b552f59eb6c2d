package mongo_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestJobs_Lifecycle walks jobs through the queue: duplicates skipped,
// due order, leases, retries, failures and the owner checks.
func TestJobs_Lifecycle(t *testing.T) {
	s := mongotest.MustOpenDB(t).Jobs()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	if err := s.EnqueueJobs(ctx,
		&mitreden.Job{ID: "b", Kind: "mail", Payload: []byte(`{"n":2}`), CreatedAt: t0, RunAt: t0.Add(time.Second)},
		&mitreden.Job{ID: "a", Kind: "mail", Payload: []byte(`{"n":1}`), CreatedAt: t0},
		&mitreden.Job{ID: "later", Kind: "mail", CreatedAt: t0, RunAt: t0.Add(time.Hour)},
		&mitreden.Job{ID: "other", Kind: "digest", CreatedAt: t0},
	); err != nil {
		t.Fatal(err)
	}
	// Enqueueing again (one new, two existing) adds the new one only and
	// leaves the existing ones as they were.
	if err := s.EnqueueJobs(ctx,
		&mitreden.Job{ID: "a", Kind: "mail", Payload: []byte(`{"n":99}`), CreatedAt: t0},
		&mitreden.Job{ID: "c", Kind: "mail", CreatedAt: t0, RunAt: t0.Add(2 * time.Second)},
		&mitreden.Job{ID: "b", Kind: "mail", CreatedAt: t0},
	); err != nil {
		t.Fatalf("enqueueing duplicates: %v", err)
	}
	if j, err := s.FindJob(ctx, "a"); err != nil || string(j.Payload) != `{"n":1}` || j.State != mitreden.JobQueued {
		t.Fatalf("job a after a duplicate enqueue: %+v %v", j, err)
	}
	if _, err := s.FindJob(ctx, "c"); err != nil {
		t.Fatalf("job c: %v", err)
	}
	if _, err := s.FindJob(ctx, "nope"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("missing job: %v, want not_found", err)
	}

	now := t0.Add(5 * time.Second)
	var order []string
	for range 3 {
		j, err := s.ClaimJob(ctx, []string{"mail"}, "w1", now, time.Minute)
		if err != nil || j == nil {
			t.Fatalf("claim: %+v %v", j, err)
		}
		if j.State != mitreden.JobRunning || j.LeaseOwner != "w1" || !j.LeaseUntil.Equal(now.Add(time.Minute)) || j.Attempts != 1 {
			t.Fatalf("claimed job: %+v", j)
		}
		order = append(order, j.ID)
	}
	if fmt.Sprint(order) != "[a b c]" {
		t.Fatalf("claim order %v, want [a b c]", order)
	}
	// "later" is not due and "other" is of another kind.
	if j, err := s.ClaimJob(ctx, []string{"mail"}, "w1", now, time.Minute); err != nil || j != nil {
		t.Fatalf("claim with nothing due: %+v %v", j, err)
	}

	// Only the owner finishes a job.
	if err := s.CompleteJob(ctx, "a", "w2", now); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("complete by another owner: %v, want conflict", err)
	}
	if err := s.CompleteJob(ctx, "a", "w1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteJob(ctx, "a", "w1", now); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("completing twice: %v, want conflict", err)
	}
	if j, _ := s.FindJob(ctx, "a"); j.State != mitreden.JobDone || !j.DoneAt.Equal(now) || j.LeaseOwner != "" {
		t.Fatalf("done job: %+v", j)
	}
	if err := s.EnqueueJobs(ctx, &mitreden.Job{ID: "a", Kind: "mail", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.FindJob(ctx, "a"); j.State != mitreden.JobDone {
		t.Fatalf("a done job enqueued again: %+v", j)
	}

	// A retry queues the job again at its time, with the error.
	if err := s.RetryJob(ctx, "b", "w1", now.Add(time.Minute), "server busy"); err != nil {
		t.Fatal(err)
	}
	if j, err := s.ClaimJob(ctx, []string{"mail"}, "w1", now.Add(59*time.Second), time.Minute); err != nil || j != nil {
		t.Fatalf("claim before the retry is due: %+v %v", j, err)
	}
	j, err := s.ClaimJob(ctx, []string{"mail"}, "w2", now.Add(time.Minute), time.Minute)
	if err != nil || j == nil || j.ID != "b" || j.Attempts != 2 || j.LastError != "server busy" {
		t.Fatalf("claim of the retried job: %+v %v", j, err)
	}
	if err := s.FailJob(ctx, "b", "w2", now.Add(time.Minute), "gave up"); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.FindJob(ctx, "b"); j.State != mitreden.JobFailed || j.LastError != "gave up" {
		t.Fatalf("failed job: %+v", j)
	}

	// c's worker died: after its lease ran out another worker takes it, and
	// the first one can no longer finish it.
	if j, err := s.ClaimJob(ctx, []string{"mail"}, "w2", now.Add(30*time.Second), time.Minute); err != nil || j != nil {
		t.Fatalf("claim of a job under lease: %+v %v", j, err)
	}
	j, err = s.ClaimJob(ctx, []string{"mail"}, "w2", now.Add(61*time.Second), time.Minute)
	if err != nil || j == nil || j.ID != "c" || j.Attempts != 2 || j.LeaseOwner != "w2" {
		t.Fatalf("claim after the lease ran out: %+v %v", j, err)
	}
	if err := s.CompleteJob(ctx, "c", "w1", now.Add(62*time.Second)); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("complete after losing the lease: %v, want conflict", err)
	}
	if err := s.RetryJob(ctx, "c", "w1", now, "x"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("retry after losing the lease: %v, want conflict", err)
	}
	if j, err := s.ClaimJob(ctx, []string{"digest", "mail"}, "w3", now.Add(62*time.Second), time.Minute); err != nil || j == nil || j.ID != "other" {
		t.Fatalf("claim of another kind: %+v %v", j, err)
	}
}

// TestJobs_ConcurrentClaimsTakeEachJobOnce has several workers claim 30
// jobs at once: every job is claimed by exactly one of them.
func TestJobs_ConcurrentClaimsTakeEachJobOnce(t *testing.T) {
	s := mongotest.MustOpenDB(t).Jobs()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	var jobs []*mitreden.Job
	for i := range 30 {
		jobs = append(jobs, &mitreden.Job{ID: fmt.Sprintf("j%02d", i), Kind: "mail", CreatedAt: t0})
	}
	if err := s.EnqueueJobs(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, err := s.ClaimJob(ctx, []string{"mail"}, fmt.Sprint("w", w), t0, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if j == nil {
					return
				}
				mu.Lock()
				claimed[j.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != 30 {
		t.Fatalf("%d jobs claimed, want 30", len(claimed))
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
}

// On the embedded engine a finished job leaves the collection that claims
// read (every filter there scans it), and enqueueing its ID again stays a
// no-op; a failed one is kept the same way.
func TestJobs_FinishedJobsLeaveTheQueue(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC)
	js := db.Jobs()
	if err := js.EnqueueJobs(ctx, &mitreden.Job{ID: "a", Kind: "k", CreatedAt: now}, &mitreden.Job{ID: "b", Kind: "k", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, fail := range []bool{false, true} {
		j, err := js.ClaimJob(ctx, []string{"k"}, "w", now, time.Minute)
		if err != nil || j == nil {
			t.Fatalf("claim: %v %v", j, err)
		}
		if fail {
			err = js.FailJob(ctx, j.ID, "w", now, "kaputt")
		} else {
			err = js.CompleteJob(ctx, j.ID, "w", now)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.C("jobs").CountDocuments(ctx, map[string]any{})
	if err != nil || n != 0 {
		t.Fatalf("%d jobs left in the queue (%v), want 0", n, err)
	}
	if err := js.EnqueueJobs(ctx, &mitreden.Job{ID: "a", Kind: "k", CreatedAt: now}, &mitreden.Job{ID: "b", Kind: "k", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if j, err := js.ClaimJob(ctx, []string{"k"}, "w", now.Add(time.Hour), time.Minute); err != nil || j != nil {
		t.Fatalf("a finished job ran again: %v %v", j, err)
	}
	a, errA := js.FindJob(ctx, "a")
	b, errB := js.FindJob(ctx, "b")
	if errA != nil || errB != nil || a.State != mitreden.JobDone || b.State != mitreden.JobFailed || b.LastError != "kaputt" || a.Kind != "k" {
		t.Fatalf("finished jobs: %+v %v, %+v %v", a, errA, b, errB)
	}
	// Completing a job another worker holds is refused.
	if err := js.EnqueueJobs(ctx, &mitreden.Job{ID: "c", Kind: "k", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.ClaimJob(ctx, []string{"k"}, "w1", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := js.CompleteJob(ctx, "c", "w2", now); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("a foreign lease completed: %v", err)
	}
}

// In the embedded mode a claim is held in memory: it writes nothing, the
// store keeps the job queued, and a process that dies holding it (a new
// store handle) finds it due again at once, its attempt counted only when
// a job finishes or is retried.
func TestJobs_EmbeddedClaimsWriteNothing(t *testing.T) {
	if len(mongotest.Options()) == 0 {
		t.Skip("the embedded mode's claims; MongoDB claims with one findAndModify")
	}
	ctx := context.Background()
	name := mongotest.DBName(t)
	var mu sync.Mutex
	writes := map[string]int{}
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		switch e.CommandName {
		case "insert", "update", "delete", "findAndModify":
			mu.Lock()
			writes[e.CommandName+" "+e.Command.Lookup(e.CommandName).StringValue()]++
			mu.Unlock()
		}
	}}
	taken := func() map[string]int { mu.Lock(); defer mu.Unlock(); w := maps.Clone(writes); clear(writes); return w }
	open := func() *mongo.DB {
		db, err := mongo.Open(ctx, mongotest.URI(t), name, append(mongotest.Options(), mongo.WithMonitor(monitor))...)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	if err := db.Jobs().EnqueueJobs(ctx, &mitreden.Job{ID: "n", Kind: "notify", CreatedAt: t0},
		&mitreden.Job{ID: "m", Kind: "mail", CreatedAt: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	taken()
	j, err := db.Jobs().ClaimJob(ctx, []string{"notify"}, "w1", t0, time.Minute)
	if err != nil || j == nil || j.ID != "n" || j.Attempts != 1 {
		t.Fatalf("claim: %+v %v", j, err)
	}
	if w := taken(); len(w) != 0 {
		t.Fatalf("a claim wrote %v, want nothing", w)
	}
	if got, _ := db.Jobs().FindJob(ctx, "n"); got.State != mitreden.JobRunning || got.LeaseOwner != "w1" {
		t.Fatalf("the claimed job reads as %+v", got)
	}
	if j, err := db.Jobs().ClaimJob(ctx, []string{"notify"}, "w2", t0.Add(time.Second), time.Minute); err != nil || j != nil {
		t.Fatalf("a second claim under the lease: %+v %v", j, err)
	}
	if err := db.Jobs().CompleteJob(ctx, "n", "w1", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if w := taken(); len(w) != 2 || w["update jobs_done"] != 1 || w["delete jobs"] != 1 {
		t.Fatalf("finishing wrote %v, want the finished record and the delete", w)
	}
	if got, _ := db.Jobs().FindJob(ctx, "n"); got.State != mitreden.JobDone || got.Attempts != 1 {
		t.Fatalf("the finished job reads as %+v", got)
	}
	// The process dies holding m's claim.
	if j, err := db.Jobs().ClaimJob(ctx, []string{"mail"}, "w1", t0.Add(2*time.Second), time.Minute); err != nil || j == nil || j.ID != "m" {
		t.Fatalf("claim of m: %+v %v", j, err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db = open()
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	j, err = db.Jobs().ClaimJob(ctx, []string{"mail"}, "w2", t0.Add(3*time.Second), time.Minute)
	if err != nil || j == nil || j.ID != "m" || j.Attempts != 1 {
		t.Fatalf("after the restart m is not due at once: %+v %v", j, err)
	}
	if err := db.Jobs().RetryJob(ctx, "m", "w2", t0.Add(time.Hour), "busy"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Jobs().FindJob(ctx, "m"); got.State != mitreden.JobQueued || got.Attempts != 1 || got.LastError != "busy" {
		t.Fatalf("the retried job reads as %+v", got)
	}
}

// Jobs queued behind (the embedded mode) are written with the next flush
// of the counters, in one insert: the request that queues them writes
// nothing more. A claim, a lookup and Close write them first, so nothing
// kept is missed; queued again, a job is skipped as with EnqueueJobs.
func TestJobs_QueuedBehindAreWrittenWithTheFlush(t *testing.T) {
	if len(mongotest.Options()) == 0 {
		t.Skip("the embedded mode writes jobs behind; MongoDB queues them at once")
	}
	ctx := context.Background()
	name := mongotest.DBName(t)
	var mu sync.Mutex
	inserts := 0
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "insert" && e.Command.Lookup("insert").StringValue() == "jobs" {
			mu.Lock()
			inserts++
			mu.Unlock()
		}
	}}
	written := func() int { mu.Lock(); defer mu.Unlock(); n := inserts; inserts = 0; return n }
	db, err := mongo.Open(ctx, mongotest.URI(t), name, append(mongotest.Options(), mongo.WithMonitor(monitor), mongo.DeferredFlushEvery(time.Hour))...)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"n1", "n2", "n3"} {
		if err := db.Jobs().EnqueueJobsBehind(ctx, &mitreden.Job{ID: id, Kind: "notify", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if n := written(); n != 0 {
		t.Fatalf("queueing behind sent %d inserts, want 0", n)
	}
	if err := db.FlushDeferred(ctx); err != nil {
		t.Fatal(err)
	}
	if n := written(); n != 1 {
		t.Fatalf("the flush sent %d inserts, want 1 for three jobs", n)
	}
	// A claim writes what is kept before it looks.
	if err := db.Jobs().EnqueueJobsBehind(ctx, &mitreden.Job{ID: "n4", Kind: "notify", CreatedAt: t0.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	j, err := db.Jobs().ClaimJob(ctx, []string{"notify"}, "w1", t0, time.Minute)
	if err != nil || j == nil || j.ID != "n4" {
		t.Fatalf("claim after queueing behind: %+v %v", j, err)
	}
	if err := db.Jobs().CompleteJob(ctx, "n4", "w1", t0); err != nil {
		t.Fatal(err)
	}
	// Queued again after it ran, a job does not run again.
	if err := db.Jobs().EnqueueJobsBehind(ctx, &mitreden.Job{ID: "n4", Kind: "notify", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if j, err := db.Jobs().ClaimJob(ctx, []string{"notify"}, "w1", t0, time.Minute); err != nil || j == nil || j.ID == "n4" {
			t.Fatalf("claim: %+v %v", j, err)
		}
	}
	if j, err := db.Jobs().ClaimJob(ctx, []string{"notify"}, "w1", t0, time.Minute); err != nil || j != nil {
		t.Fatalf("a finished job queued again ran again: %+v %v", j, err)
	}
	// Close writes what is kept.
	if err := db.Jobs().EnqueueJobsBehind(ctx, &mitreden.Job{ID: "n5", Kind: "notify", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db, err = mongo.Open(ctx, mongotest.URI(t), name, mongotest.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	if j, err := db.Jobs().FindJob(ctx, "n5"); err != nil || j.State != mitreden.JobQueued {
		t.Fatalf("a job kept at close: %+v %v", j, err)
	}
}
