package service

import (
	"context"
	"sort"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// NotificationCountFix is one person's notification counter that
// RecountNotifications repaired or, when Skipped, found moving (a fan-out
// or a reader at work); the next recount takes it up.
type NotificationCountFix struct {
	UserID   string
	From, To mitreden.NotificationCounts
	Skipped  bool
}

// RecountNotifications recomputes every person's unread and total counter
// from their notifications and repairs drift: a fan-out that died between
// storing notifications and counting them leaves counters short, which a
// run of the job again cannot mend (the notifications exist, so it counts
// nothing). It reads every counter and one aggregation of the
// notifications. A fan-out in flight stores notifications before it counts
// them, so a difference is only repaired when, after settle, the person's
// counter and notifications read the same again; the repair is then a
// compare-and-set on the counter. Pass settle 0 when no other process can
// write (the embedded engine's data dir is held). Returns EUNAVAILABLE,
// EINTERNAL (a store that cannot repair).
func (n *Notifications) RecountNotifications(ctx context.Context, settle time.Duration) ([]NotificationCountFix, error) {
	rs, ok := n.st.(mitreden.NotificationCountRepairStore)
	if !ok {
		return nil, &mitreden.Error{Code: mitreden.EINTERNAL, Message: "error.internal"}
	}
	counts, err := rs.AllNotificationCounts(ctx)
	if err != nil {
		return nil, err
	}
	tallies, err := rs.NotificationTallies(ctx, nil)
	if err != nil {
		return nil, err
	}
	var drift []string
	for id, t := range tallies {
		if counts[id] != t {
			drift = append(drift, id)
		}
	}
	for id, c := range counts {
		if _, ok := tallies[id]; !ok && c != (mitreden.NotificationCounts{}) {
			drift = append(drift, id)
		}
	}
	if len(drift) == 0 {
		return nil, nil
	}
	sort.Strings(drift)
	if settle > 0 {
		select {
		case <-time.After(settle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		again, err := rs.AllNotificationCounts(ctx)
		if err != nil {
			return nil, err
		}
		tallies2, err := rs.NotificationTallies(ctx, drift)
		if err != nil {
			return nil, err
		}
		var fixes []NotificationCountFix
		var still []string
		for _, id := range drift {
			if again[id] != counts[id] || tallies2[id] != tallies[id] {
				fixes = append(fixes, NotificationCountFix{UserID: id, From: again[id], To: tallies2[id], Skipped: true})
				continue
			}
			still = append(still, id)
		}
		out, err := n.repairCounts(ctx, rs, still, counts, tallies)
		return append(fixes, out...), err
	}
	return n.repairCounts(ctx, rs, drift, counts, tallies)
}

// repairCounts writes each person's tally over the counter read.
func (n *Notifications) repairCounts(ctx context.Context, rs mitreden.NotificationCountRepairStore, ids []string,
	counts, tallies map[string]mitreden.NotificationCounts) ([]NotificationCountFix, error) {
	var out []NotificationCountFix
	for _, id := range ids {
		ok, err := rs.SetNotificationCounts(ctx, id, counts[id], tallies[id])
		if err != nil {
			return out, err
		}
		out = append(out, NotificationCountFix{UserID: id, From: counts[id], To: tallies[id], Skipped: !ok})
		if ok {
			n.log.Info("notification counter repaired", "user_id", id, "from_unread", counts[id].Unread,
				"from_total", counts[id].Total, "to_unread", tallies[id].Unread, "to_total", tallies[id].Total)
		}
	}
	return out, nil
}
