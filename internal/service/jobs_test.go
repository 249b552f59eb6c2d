package service_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

var mailTestLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestJobs_RetryBackoffThenGiveUp checks a failing job: it runs again
// after 1, 2, 4, ... minutes, not before, and is given up after its last
// attempt with the error kept.
func TestJobs_RetryBackoffThenGiveUp(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	r := service.NewJobs(db.Jobs(), "w1", clk.Now, mailTestLog)
	r.MaxAttempts = 4
	runs := 0
	r.Handle("flaky", func(_ context.Context, j *mitreden.Job) error {
		runs++
		if string(j.Payload) != `{"x":1}` {
			t.Errorf("payload %s", j.Payload)
		}
		return fmt.Errorf("server busy %d", runs)
	})
	ctx := context.Background()
	if err := r.Enqueue(ctx, &mitreden.Job{ID: "f", Kind: "flaky", Payload: []byte(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if n, err := r.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("attempt %d: ran %d, %v", i+1, n, err)
		}
		j, _ := db.Jobs().FindJob(ctx, "f")
		if j.State != mitreden.JobQueued || !j.RunAt.Equal(clk.Now().Add(wait)) || j.LastError != fmt.Sprint("server busy ", i+1) {
			t.Fatalf("after attempt %d: %+v, want queued again in %v", i+1, j, wait)
		}
		clk.Advance(wait - time.Second)
		if n, _ := r.RunDue(ctx); n != 0 {
			t.Fatalf("attempt %d ran again before its backoff ended", i+1)
		}
		clk.Advance(time.Second)
	}
	if n, err := r.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("last attempt: ran %d, %v", n, err)
	}
	j, _ := db.Jobs().FindJob(ctx, "f")
	if j.State != mitreden.JobFailed || j.Attempts != 4 || j.LastError != "server busy 4" || runs != 4 {
		t.Fatalf("after the last attempt: %+v (runs %d), want failed", j, runs)
	}
	clk.Advance(24 * time.Hour)
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatal("a failed job ran again")
	}
}

// TestJobs_PermanentErrorsPanicsAndUnknownKinds: a permanent error fails
// the job at once, a panic is retried like an error, success completes,
// and kinds without a handler are left for instances that have one.
func TestJobs_PermanentErrorsPanicsAndUnknownKinds(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	r := service.NewJobs(db.Jobs(), "w1", clk.Now, mailTestLog)
	r.Handle("perm", func(context.Context, *mitreden.Job) error {
		return fmt.Errorf("wrapped: %w", mitreden.Permanent(errors.New("no such mailbox")))
	})
	r.Handle("panics", func(context.Context, *mitreden.Job) error { panic("boom") })
	r.Handle("ok", func(context.Context, *mitreden.Job) error { return nil })
	ctx := context.Background()
	if err := r.Enqueue(ctx, &mitreden.Job{ID: "p", Kind: "perm"}, &mitreden.Job{ID: "x", Kind: "panics"},
		&mitreden.Job{ID: "o", Kind: "ok"}, &mitreden.Job{ID: "u", Kind: "unknown"}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDue(ctx); err != nil || n != 3 {
		t.Fatalf("ran %d, %v; want 3", n, err)
	}
	want := map[string]mitreden.JobState{"p": mitreden.JobFailed, "x": mitreden.JobQueued, "o": mitreden.JobDone, "u": mitreden.JobQueued}
	for id, st := range want {
		j, err := db.Jobs().FindJob(ctx, id)
		if err != nil || j.State != st {
			t.Errorf("job %s: %+v %v, want %s", id, j, err, st)
		}
	}
	if j, _ := db.Jobs().FindJob(ctx, "x"); j.LastError != "background job panicked: boom" {
		t.Errorf("panicking job's error: %q", j.LastError)
	}
}

// TestJobs_WorkerRunsEnqueuedJobsAtOnce: the started worker runs a job
// enqueued while it sleeps without waiting for its poll, and stop waits for
// it.
func TestJobs_WorkerRunsEnqueuedJobsAtOnce(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	r := service.NewJobs(db.Jobs(), "w1", nil, mailTestLog)
	r.Poll = time.Hour
	ran := make(chan string, 1)
	r.Handle("ok", func(_ context.Context, j *mitreden.Job) error { ran <- j.ID; return nil })
	stop := r.Start(context.Background())
	time.Sleep(50 * time.Millisecond) // the worker's first look finds nothing
	if err := r.Enqueue(context.Background(), &mitreden.Job{ID: "now", Kind: "ok"}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-ran:
		if id != "now" {
			t.Fatalf("ran %s", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not run the enqueued job")
	}
	stop()
	stop()
	j, err := db.Jobs().FindJob(context.Background(), "now")
	if err != nil || j.State != mitreden.JobDone {
		t.Fatalf("job after stop: %+v %v", j, err)
	}
}
