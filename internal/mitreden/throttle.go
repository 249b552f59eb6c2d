package mitreden

import (
	"context"
	"time"
)

// Rate is an allowance of Max events per Per, counted as a token bucket (the
// generic cell rate algorithm): Max may come at once, and each event is
// given back Per/Max after it. So the allowance never resets at a window
// boundary: fixed windows let 2·Max through in the moment around one (ten
// failed logins in three seconds under a limit of five per 15 minutes).
// After a burst of Max the next event passes Per/Max later, and the whole
// allowance is back Per after the burst.
type Rate struct {
	Max int
	Per time.Duration
}

// Interval is how long one event holds its share of the allowance: Per/Max,
// at least a nanosecond.
func (r Rate) Interval() time.Duration {
	if r.Max <= 1 {
		return max(r.Per, 1)
	}
	return max(r.Per/time.Duration(r.Max), 1)
}

// Burst is how far ahead of now the allowance may be used up before the
// next event is refused: Per less one Interval, so Max events pass at once.
func (r Rate) Burst() time.Duration { return max(r.Per, r.Interval()) - r.Interval() }

// CounterStore keeps the allowances of throttled events (failed logins,
// registrations, posts, writes per client IP) where every instance shares
// them: one record per key, changed by single-record atomic writes.
type CounterStore interface {
	// Take counts one event of key against r at now when r allows it and
	// returns true. When the allowance is used up it counts nothing and
	// returns false with the earliest time at which Take passes, so a
	// refused attempt never postpones the next one. Returns EUNAVAILABLE,
	// EINTERNAL.
	Take(ctx context.Context, key string, r Rate, now time.Time) (ok bool, retry time.Time, err error)
	// GiveBack uncounts one event that Take counted under r, for an
	// attempt that turned out not to count (a login that succeeded).
	// Returns EUNAVAILABLE, EINTERNAL.
	GiveBack(ctx context.Context, key string, r Rate) error
}
