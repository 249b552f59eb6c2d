package service

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// JobHandler runs one background job. An error makes the job run again
// later (with backoff) unless it is marked by mitreden.Permanent or the
// job ran out of attempts; a job may so run more than once, and its
// handler must be idempotent (a mail records itself as sent).
type JobHandler func(ctx context.Context, j *mitreden.Job) error

// Jobs runs the background jobs kept in a mitreden.JobStore: every server
// instance runs one, each claims due jobs with a lease, so of several
// instances exactly one runs each job, and a job whose instance died is
// taken over when its lease runs out.
type Jobs struct {
	store mitreden.JobStore
	owner string
	now   Clock
	log   *slog.Logger

	// Lease is how long a claimed job belongs to this runner; a handler
	// gets a context that ends a little before.
	Lease time.Duration
	// Poll is how often the worker looks for due jobs when nothing woke it.
	Poll time.Duration
	// Backoff is the wait before the second attempt; it doubles with each
	// further attempt.
	Backoff time.Duration
	// MaxAttempts is how often a job runs before it is given up.
	MaxAttempts int

	mu       sync.RWMutex
	handlers map[string]JobHandler
	kinds    []string
	wake     chan struct{}
}

// Defaults of a Jobs runner.
const (
	DefaultJobLease       = 5 * time.Minute
	DefaultJobPoll        = 5 * time.Second
	DefaultJobBackoff     = time.Minute
	DefaultJobMaxAttempts = 8
)

// NewJobs returns a runner of the jobs in store that claims them as owner
// (unique per process, such as host:pid:random).
func NewJobs(store mitreden.JobStore, owner string, clock Clock, log *slog.Logger) *Jobs {
	if clock == nil {
		clock = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	return &Jobs{store: store, owner: owner, now: clock, log: log, Lease: DefaultJobLease, Poll: DefaultJobPoll,
		Backoff: DefaultJobBackoff, MaxAttempts: DefaultJobMaxAttempts, handlers: map[string]JobHandler{}, wake: make(chan struct{}, 1)}
}

// Owner is the name this runner claims jobs under.
func (r *Jobs) Owner() string { return r.owner }

// Handle registers fn for jobs of kind. Only kinds with a handler are
// claimed, so an instance of an older version leaves newer kinds alone.
func (r *Jobs) Handle(kind string, fn JobHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.handlers[kind]; !ok {
		r.kinds = append(r.kinds, kind)
		sort.Strings(r.kinds)
	}
	r.handlers[kind] = fn
}

// Enqueue stores jobs (those whose ID exists already are skipped) and wakes
// the worker, so a job due now runs at once rather than at the next poll.
func (r *Jobs) Enqueue(ctx context.Context, jobs ...*mitreden.Job) error {
	r.fill(jobs)
	if err := r.store.EnqueueJobs(ctx, jobs...); err != nil {
		return err
	}
	r.Wake()
	return nil
}

// EnqueueBehind is Enqueue for jobs the store may write a moment later
// (mitreden.JobStore.EnqueueJobsBehind): only for jobs a repair after an
// unclean stop queues again.
func (r *Jobs) EnqueueBehind(ctx context.Context, jobs ...*mitreden.Job) error {
	r.fill(jobs)
	if err := r.store.EnqueueJobsBehind(ctx, jobs...); err != nil {
		return err
	}
	r.Wake()
	return nil
}

// fill dates jobs without a creation or due time now.
func (r *Jobs) fill(jobs []*mitreden.Job) {
	now := r.now()
	for _, j := range jobs {
		if j.CreatedAt.IsZero() {
			j.CreatedAt = now
		}
		if j.RunAt.IsZero() {
			j.RunAt = j.CreatedAt
		}
	}
}

// Wake makes the worker look for due jobs now.
func (r *Jobs) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// RunDue runs every job due now, one after the other, until none is due,
// and returns how many ran (successfully or not). Tests call it instead of
// waiting for the worker. A store error ends it.
func (r *Jobs) RunDue(ctx context.Context) (int, error) {
	ctx = mitreden.InBackground(ctx) // requests' writes go first
	r.mu.RLock()
	kinds := append([]string(nil), r.kinds...)
	r.mu.RUnlock()
	n := 0
	for ctx.Err() == nil {
		j, err := r.store.ClaimJob(ctx, kinds, r.owner, r.now(), r.Lease)
		if err != nil {
			return n, err
		}
		if j == nil {
			return n, nil
		}
		r.run(ctx, j)
		n++
	}
	return n, ctx.Err()
}

// run runs claimed job j and records the outcome.
func (r *Jobs) run(ctx context.Context, j *mitreden.Job) {
	r.mu.RLock()
	fn := r.handlers[j.Kind]
	r.mu.RUnlock()
	// The handler finishes even when the worker is being stopped (a mail
	// half handed to a server is better finished), within its lease.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Lease*9/10)
	err := r.call(hctx, fn, j)
	cancel()
	// Recording the outcome gets its own deadline for the same reason.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := r.now()
	switch {
	case err == nil:
		err = r.store.CompleteJob(sctx, j.ID, r.owner, now)
	case mitreden.IsPermanent(err) || j.Attempts >= r.MaxAttempts:
		r.log.Error("background job failed for good", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", err)
		err = r.store.FailJob(sctx, j.ID, r.owner, now, err.Error())
	default:
		wait := r.backoff(j.Attempts)
		r.log.Warn("background job failed; will retry", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "retry_in", wait, "err", err)
		err = r.store.RetryJob(sctx, j.ID, r.owner, now.Add(wait), err.Error())
	}
	if err != nil {
		// A lost lease means another instance took the job over; anything
		// else leaves the job to be taken again when its lease runs out.
		r.log.Warn("recording a background job's outcome failed", "job", j.ID, "kind", j.Kind, "err", err)
	}
}

// call runs fn, turning a panic into an error.
func (r *Jobs) call(ctx context.Context, fn JobHandler, j *mitreden.Job) (err error) {
	if fn == nil {
		return mitreden.Permanent(fmt.Errorf("no handler for jobs of kind %q", j.Kind))
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("background job panicked: %v", p)
		}
	}()
	return fn(ctx, j)
}

// backoff is the wait after the given failed attempt: Backoff, doubling,
// at most a day.
func (r *Jobs) backoff(attempts int) time.Duration {
	d := r.Backoff
	for i := 1; i < attempts && d < 24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 24*time.Hour)
}

// Start runs the worker until ctx ends or stop is called; stop waits for
// the job in progress to be recorded.
func (r *Jobs) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-r.wake:
			}
			if _, err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("claiming background jobs failed; will try again", "err", err)
			}
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
			t.Reset(r.Poll)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}
