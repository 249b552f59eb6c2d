package mongo

import (
	"context"
	"sync"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// In the embedded mode one process holds the data dir, so "every instance"
// is this one: the throttles' allowances are kept in memory (the same
// token buckets as CounterStore) and a write or login costs no store write
// for its throttle. A restart forgets them, which gives a throttled client
// its allowance back early once; with MongoDB the allowances stay in the
// store, shared by every instance.

// CountersInMemory keeps the throttles' allowances in memory (see Throttles).
// Only for a store no other process writes to: the embedded engine.
func CountersInMemory() Option {
	return func(d *DB) { d.memCounters = newMemCounters() }
}

// Throttles returns where the throttles count: in memory when
// CountersInMemory was set, else the store shared by every instance.
func (d *DB) Throttles() mitreden.CounterStore {
	if d.memCounters != nil {
		return d.memCounters
	}
	return d.Counters()
}

// memCounters is CounterStore's token bucket per key, in memory.
type memCounters struct {
	mu  sync.Mutex
	tat map[string]int64 // theoretical arrival time, Unix nanoseconds
	// sweepAt is the map size at which the whole allowances are dropped.
	sweepAt int
}

func newMemCounters() *memCounters { return &memCounters{tat: map[string]int64{}, sweepAt: 1 << 12} }

var _ mitreden.CounterStore = (*memCounters)(nil)

// Take counts one event of key against r at now when r allows it, as
// CounterStore.Take does.
func (m *memCounters) Take(_ context.Context, key string, r mitreden.Rate, now time.Time) (bool, time.Time, error) {
	n, step, burst := now.UnixNano(), int64(r.Interval()), int64(r.Burst())
	future := n + 2*int64(max(r.Per, r.Interval()))
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, ok := m.tat[key]
	switch {
	case !ok || tat < n || tat > future:
		// Whole, new, or counted by a clock set back: starts at now.
		m.tat[key] = n + step
		m.sweep(n)
		return true, time.Time{}, nil
	case tat <= n+burst:
		m.tat[key] = tat + step
		return true, time.Time{}, nil
	}
	return false, time.Unix(0, tat-burst).UTC(), nil
}

// GiveBack moves key's arrival time back by one interval of r.
func (m *memCounters) GiveBack(_ context.Context, key string, r mitreden.Rate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if tat, ok := m.tat[key]; ok {
		m.tat[key] = tat - int64(r.Interval())
	}
	return nil
}

// sweep drops the allowances that are whole again at n once the map has
// grown, so memory follows the clients of the last while, not all of them.
// The caller holds mu.
func (m *memCounters) sweep(n int64) {
	if len(m.tat) < m.sweepAt {
		return
	}
	for k, tat := range m.tat {
		if tat < n {
			delete(m.tat, k)
		}
	}
	m.sweepAt = max(1<<12, 2*len(m.tat))
}
