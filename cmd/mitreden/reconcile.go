package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A server renews its lease every leaseRenew; a lease not renewed for
// leaseTTL belongs to a process that died. Three missed renewals leave room
// for a slow store or a paused VM before another instance steps in.
const (
	leaseRenew = 30 * time.Second
	leaseTTL   = 3 * leaseRenew
)

// reconciler notices that a server stopped uncleanly and repairs what such a
// stop can leave behind: a counter incremented for a record that was never
// written (or the reverse), a record stored but never indexed.
//
// Every serving process holds a lease in the store (mitreden.LeaseStore): it
// writes it at start, renews it every leaseRenew and deletes it when it stops
// cleanly, after the last request drained. A lease that is still there but
// not renewed belongs to a process that died. Whoever takes such a lease
// (a conditional write, so exactly one process does) recounts every counter
// with the service's Recount and RecountConsultations and rebuilds the search
// index from the store with Indexing.Reindex, in the background, logging what
// changed; the lease is deleted only when the repair finished, so a repair
// cut short by another crash is taken up again.
//
// In the embedded mode the process holds the data dir's lock, so every lease
// found at start is dead whatever its age and is repaired at once. With an
// external store several instances may run; a lease counts as dead once
// unrenewed for leaseTTL, and each instance looks for such leases at start
// and at every renewal, so a crashed instance is repaired by a survivor even
// if it never comes back.
type reconciler struct {
	e         *env
	log       *slog.Logger
	leases    mitreden.LeaseStore
	self      mitreden.Lease
	exclusive bool // the process holds the data dir: every other lease is dead
	renew     time.Duration
	ttl       time.Duration
	// A recount that skipped counters with writes in flight is repeated
	// after recountWait, at most recountAttempts times in all.
	recountWait     time.Duration
	recountAttempts int
	now             func() time.Time

	mu      sync.Mutex
	taken   map[string]bool // dead leases held while their repair runs
	running sync.WaitGroup
}

func newReconciler(e *env, log *slog.Logger) *reconciler {
	host, _ := os.Hostname()
	// At the store's precision: a counter mark this process sets in the
	// same millisecond must not look older than its start.
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &reconciler{e: e, log: log, leases: e.db.Leases(), exclusive: e.emb != nil, renew: leaseRenew, ttl: leaseTTL,
		recountWait: 10 * time.Second, recountAttempts: 4,
		now:   func() time.Time { return time.Now().UTC() },
		self:  mitreden.Lease{ID: rand.Text(), Host: host, PID: os.Getpid(), Started: now, Renewed: now},
		taken: map[string]bool{}}
}

// begin takes the leases of processes that stopped uncleanly, then records
// this process's own lease. It returns the leases taken, whose repair
// reconcile starts.
func (r *reconciler) begin(ctx context.Context) ([]mitreden.Lease, error) {
	dead, err := r.takeDead(ctx, r.exclusive)
	if err != nil {
		return nil, err
	}
	return dead, r.leases.AcquireLease(ctx, r.self)
}

// takeDead takes the leases of dead processes: every other lease when all
// is set (the process holds the data dir), else those unrenewed for ttl.
func (r *reconciler) takeDead(ctx context.Context, all bool) ([]mitreden.Lease, error) {
	before := r.now().Add(-r.ttl)
	if all {
		before = r.now().Add(time.Minute) // later than any renewal
	}
	stale, err := r.leases.StaleLeases(ctx, before, r.self.ID)
	if err != nil {
		return nil, err
	}
	var dead []mitreden.Lease
	for _, l := range stale {
		r.mu.Lock()
		mine := r.taken[l.ID]
		r.mu.Unlock()
		if mine {
			continue
		}
		ok, err := r.leases.TakeLease(ctx, l, r.now())
		if err != nil {
			return dead, err
		}
		if ok {
			r.mu.Lock()
			r.taken[l.ID] = true
			r.mu.Unlock()
			dead = append(dead, l)
		}
	}
	return dead, nil
}

// reconcile repairs counters and the search index in the background after
// the processes holding dead died; wait for it with end.
func (r *reconciler) reconcile(ctx context.Context, dead []mitreden.Lease) {
	for _, l := range dead {
		r.log.Warn("unclean stop detected; reconciling counters and the search index in the background",
			"lease", l.ID, "host", l.Host, "pid", l.PID, "started", l.Started, "last_renewed", l.Renewed)
	}
	r.spawn(func() {
		err := r.repair(ctx, dead...)
		r.mu.Lock()
		for _, l := range dead {
			delete(r.taken, l.ID)
		}
		r.mu.Unlock()
		if err != nil {
			// The leases stay and go stale again, so the repair is retried.
			if ctx.Err() != nil {
				r.log.Warn("reconciliation interrupted by the shutdown; it runs again at the next start")
			} else {
				r.log.Error("reconciliation failed; it is tried again", "err", err)
			}
			return
		}
		for _, l := range dead {
			if err := r.leases.ReleaseLease(context.WithoutCancel(ctx), l.ID); err != nil {
				r.log.Warn("deleting a dead process's lease", "lease", l.ID, "err", err)
			}
		}
	})
}

// repair recounts every counter and rebuilds the search index, logging what
// it changed; holding the data dir, it also queues again the notifications
// of the comments the dead processes wrote last.
func (r *reconciler) repair(ctx context.Context, dead ...mitreden.Lease) error {
	start := time.Now()
	// Counter writes the dead process left half done are repaired now, not
	// only once older than mitreden.RecountStaleAfter: holding the data dir,
	// every write before this process started is dead; else every write
	// older than a lease's lifetime.
	if r.exclusive {
		r.e.participation.CounterWritesDeadBefore(r.self.Started)
	} else {
		r.e.participation.CounterWritesDeadBefore(r.now().Add(-r.ttl))
	}
	repaired := 0
	for attempt := 1; ; attempt++ {
		n, skipped, err := r.recount(ctx)
		repaired += n
		if err != nil {
			return err
		}
		if skipped == 0 {
			break
		}
		// A live write was in flight on a skipped counter (or began while
		// it was recounted); the next recount finds it settled.
		if attempt == r.recountAttempts {
			return fmt.Errorf("%d counters kept changing during %d recounts", skipped, attempt)
		}
		r.log.Info("reconcile: counters with writes in flight skipped; recounting again", "skipped", skipped, "in", r.recountWait.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.recountWait):
		}
	}
	// A fan-out the stop cut off between storing notifications and
	// counting them left counters short; its job's retry counts only what
	// it stores anew. The retry may run meanwhile, so a difference must
	// last recountWait before it is repaired.
	noteFixes, err := r.e.notes.RecountNotifications(ctx, r.recountWait)
	if err != nil {
		return err
	}
	for _, f := range noteFixes {
		if f.Skipped {
			r.log.Info("reconcile: notification counter changing; left for the next recount", "user", f.UserID)
			continue
		}
		repaired++
		r.log.Info("reconcile: notification counter repaired", "user", f.UserID, "from_unread", f.From.Unread, "to_unread", f.To.Unread,
			"from_total", f.From.Total, "to_total", f.To.Total)
	}
	// Comments whose place in their thread's list the stop lost (the list
	// is written behind in the embedded mode) are put back.
	cutoff := r.self.Started
	if !r.exclusive {
		cutoff = r.now().Add(-r.ttl)
	}
	threaded, err := r.e.db.Participation().RepairThreads(ctx, cutoff)
	if err != nil {
		return err
	}
	if threaded > 0 {
		r.log.Info("reconcile: comments put back into their threads", "comments", threaded)
	}
	// In the embedded mode a comment's notification job is written behind
	// the comment (with the counters, at most 100 ms later): those of the
	// comments written since a dead process last renewed its lease, and a
	// renewal before, are queued again (what ran is skipped).
	if r.exclusive && len(dead) > 0 {
		from := slices.MinFunc(dead, func(a, b mitreden.Lease) int { return a.Renewed.Compare(b.Renewed) }).Renewed
		n, err := r.e.notes.RequeueCommentEvents(ctx, from.Add(-2*r.renew), r.self.Started)
		if err != nil {
			return err
		}
		if n > 0 {
			r.log.Info("reconcile: notifications of the last comments queued again", "comments", n)
		}
	}
	before, err := r.e.searcher.Count(ctx)
	if err != nil {
		return err
	}
	stored, err := r.e.indexing.Reindex(ctx, nil)
	if err != nil {
		return err
	}
	after, err := r.e.searcher.Count(ctx)
	if err != nil {
		return err
	}
	r.log.Info("reconciled after an unclean stop", "counters_repaired", repaired, "comments_threaded", threaded, "index_docs_before", before,
		"index_docs_after", after, "stored_docs", stored, "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// recount runs Recount and RecountConsultations once, logs each repair and
// returns how many counters it repaired and skipped.
func (r *reconciler) recount(ctx context.Context) (repaired, skipped int, err error) {
	p := r.e.participation
	changes, err := p.Recount(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range changes {
		if c.Skipped {
			skipped++
			continue
		}
		repaired++
		r.log.Info("reconcile: counter repaired", "proposal", c.ProposalID, "field", c.Field, "from", c.From, "to", c.To)
	}
	fixes, err := p.RecountConsultations(ctx)
	if err != nil {
		return repaired, skipped, err
	}
	for _, f := range fixes {
		if f.Skipped {
			skipped++
			continue
		}
		repaired++
		r.log.Info("reconcile: counter repaired", "consultation", f.ConsultationID, "user", f.UserID, "field", f.Field, "from", f.From, "to", f.To)
	}
	return repaired, skipped, nil
}

// spawn runs f in the background; end waits for it, so the store and the
// search index are not closed under it. f must return once the context
// it uses ends.
func (r *reconciler) spawn(f func()) {
	r.running.Add(1)
	go func() {
		defer r.running.Done()
		f()
	}()
}

// watch runs loop in the background until ctx ends; end waits for it, so
// no renewal can write the lease again after its release.
func (r *reconciler) watch(ctx context.Context) { r.spawn(func() { r.loop(ctx) }) }

// loop renews this process's lease and the dead ones under repair every
// renew, and takes the leases of instances that died meanwhile, until ctx
// ends.
func (r *reconciler) loop(ctx context.Context) {
	t := time.NewTicker(r.renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := r.now()
		if err := r.leases.RenewLease(ctx, r.self.ID, now); mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			// Paused for longer than ttl: another instance took this lease
			// as dead and repaired. Record it again.
			r.self.Renewed = now
			err = r.leases.AcquireLease(ctx, r.self)
			r.log.Warn("the lease of this process was taken as dead; recorded again", "err", err)
		} else if err != nil && ctx.Err() == nil {
			r.log.Warn("renewing the lease of this process", "err", err)
		}
		r.mu.Lock()
		var held []string
		for id := range r.taken {
			held = append(held, id)
		}
		r.mu.Unlock()
		for _, id := range held {
			_ = r.leases.RenewLease(ctx, id, now)
		}
		dead, err := r.takeDead(ctx, false)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("looking for instances that died", "err", err)
		}
		if len(dead) > 0 {
			r.reconcile(ctx, dead)
		}
	}
}

// end waits for the background work (its context must be cancelled) and
// then deletes this process's lease: the stop is clean.
func (r *reconciler) end(ctx context.Context) {
	r.running.Wait()
	if err := r.leases.ReleaseLease(ctx, r.self.ID); err != nil {
		r.log.Warn("deleting the lease of this process; the next start will reconcile", "err", err)
	}
}
