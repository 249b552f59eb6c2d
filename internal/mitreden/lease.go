package mitreden

import (
	"context"
	"time"
)

// Lease records in the store that a server process is running. A process
// writes its lease at start, renews it while it runs and deletes it when it
// stops cleanly; a lease that outlives its process (kill -9, power loss)
// tells the next process that denormalized counters and the search index
// may lag behind the records and must be reconciled.
type Lease struct {
	ID      string
	Host    string
	PID     int
	Started time.Time
	Renewed time.Time
}

// LeaseStore keeps the leases of running processes. Every method is one
// single-document write or one query, so instances sharing a store agree.
type LeaseStore interface {
	// AcquireLease records l. Returns ECONFLICT when its ID exists already.
	AcquireLease(ctx context.Context, l Lease) error
	// RenewLease sets the renewal time of lease id. Returns ENOTFOUND when
	// the lease is gone (another process took it as dead and finished).
	RenewLease(ctx context.Context, id string, now time.Time) error
	// ReleaseLease deletes lease id; a missing lease is not an error.
	ReleaseLease(ctx context.Context, id string) error
	// StaleLeases returns the leases other than except last renewed before
	// before, oldest first.
	StaleLeases(ctx context.Context, before time.Time, except string) ([]Lease, error)
	// TakeLease renews the stale lease l on behalf of the caller, only if
	// nobody renewed or took it since it was read (its renewal time is still
	// l.Renewed), so of several processes exactly one takes it. It reports
	// whether the caller got it.
	TakeLease(ctx context.Context, l Lease, now time.Time) (bool, error)
}
