package mitreden

import (
	"context"
	"time"
)

// JobState is where a background job stands.
type JobState string

// The states of a job. A job is queued until a worker claims it; a claimed
// job whose lease ran out (its worker died) is due again.
const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed" // gave up after its last attempt
)

// Job is a unit of background work kept in the store, so a restart or a
// kill -9 loses none: a mail to send, a notification fan-out, a digest.
// Writers enqueue jobs and return; workers in every server instance claim
// them, and a claim is a single-document atomic write, so of several
// instances exactly one runs each job.
type Job struct {
	// ID is deterministic where running a job twice would do harm (a
	// digest for one day, the mail of one notification): enqueueing an ID
	// that exists already is a no-op.
	ID      string
	Kind    string
	Payload []byte // JSON, read by the kind's handler
	State   JobState
	// RunAt is when the job is due (retries back off by moving it).
	RunAt      time.Time
	Attempts   int
	LastError  string
	LeaseOwner string
	LeaseUntil time.Time
	CreatedAt  time.Time
	DoneAt     time.Time
}

// JobStore keeps background jobs. Every method is one single-document write
// or one query, so instances sharing a store agree.
type JobStore interface {
	// EnqueueJobs inserts jobs; those whose ID exists already are skipped
	// without error.
	EnqueueJobs(ctx context.Context, jobs ...*Job) error
	// EnqueueJobsBehind is EnqueueJobs where the store may write the jobs
	// a moment later (the embedded mode writes them with its counters): an
	// unclean stop may lose them, so only for jobs a repair queues again.
	EnqueueJobsBehind(ctx context.Context, jobs ...*Job) error
	// ClaimJob takes one due job of the given kinds (queued with RunAt <=
	// now, or running with LeaseUntil < now), marks it running for owner
	// until now+lease, counts the attempt and returns it; nil when none is
	// due.
	ClaimJob(ctx context.Context, kinds []string, owner string, now time.Time, lease time.Duration) (*Job, error)
	// CompleteJob marks job id done, only while owner holds it. Returns
	// ECONFLICT when the lease was lost.
	CompleteJob(ctx context.Context, id, owner string, now time.Time) error
	// RetryJob queues job id again at runAt with the error, only while
	// owner holds it. Returns ECONFLICT when the lease was lost.
	RetryJob(ctx context.Context, id, owner string, runAt time.Time, errMsg string) error
	// FailJob gives job id up with the error, only while owner holds it.
	FailJob(ctx context.Context, id, owner string, now time.Time, errMsg string) error
	// FindJob returns ENOTFOUND when there is no such job.
	FindJob(ctx context.Context, id string) (*Job, error)
}
