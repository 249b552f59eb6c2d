package mongo

import (
	"cmp"
	"context"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// RepairThreads adds to the thread lists every comment created before
// `before` that they miss, and returns how many it added. A comment's record
// is written before its place in its thread's list (in the embedded mode
// the list is written behind, DeferCounters), so a stop between the two
// leaves a comment that no page of its discussion shows. One pass over the
// comments; comments created from `before` on are left alone, as their own
// writes may still be adding them. Repaired threads are read again by the
// thread cache.
func (s *ParticipationStore) RepairThreads(ctx context.Context, before time.Time) (int, error) {
	type item struct {
		id      string
		created time.Time
	}
	byThread := map[string][]item{}
	err := streamFind(ctx, s.db, "comments", bson.D{},
		bson.D{{Key: "target_type", Value: 1}, {Key: "target_id", Value: 1}, {Key: "created_at", Value: 1}},
		func(d *commentDoc) error {
			if d.CreatedAt.Before(before) {
				t := threadID(d.TargetType, d.TargetID)
				byThread[t] = append(byThread[t], item{d.ID.Hex(), d.CreatedAt})
			}
			return nil
		})
	if err != nil {
		return 0, err
	}
	added := 0
	defer func() {
		if added > 0 {
			s.db.threads.Forget()
		}
	}()
	for t, items := range byThread {
		ids, _, err := readThreadIDs(ctx, s.db, t)
		if err != nil {
			return added, err
		}
		listed := make(map[string]bool, len(ids))
		for _, id := range ids {
			listed[id] = true
		}
		missing := slices.DeleteFunc(items, func(it item) bool { return listed[it.id] })
		if len(missing) == 0 {
			continue
		}
		slices.SortFunc(missing, func(a, b item) int { return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.id, b.id)) })
		wctx, done := s.db.write(ctx)
		for _, it := range missing {
			if err := s.db.pushThreadID(wctx, t, it.id); err != nil {
				done()
				return added, err
			}
			added++
		}
		done()
	}
	return added, nil
}
