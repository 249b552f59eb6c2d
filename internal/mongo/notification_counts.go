package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/mitreden/mitreden/internal/mitreden"
)

var _ mitreden.NotificationCountRepairStore = (*NotificationStore)(nil)

// NotificationTallies groups the notifications by person in one
// aggregation (over the user index when people are named).
func (s *NotificationStore) NotificationTallies(ctx context.Context, userIDs []string) (map[string]mitreden.NotificationCounts, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var pipe mongo.Pipeline
	if userIDs != nil {
		pipe = append(pipe, bson.D{{Key: "$match", Value: bson.D{{Key: "user_id", Value: bson.D{{Key: "$in", Value: userIDs}}}}}})
	}
	// Grouped by person and read flag: the embedded engine has no $cond
	// inside $group.
	pipe = append(pipe, bson.D{{Key: "$group", Value: bson.D{
		{Key: "_id", Value: bson.D{{Key: "u", Value: "$user_id"}, {Key: "r", Value: "$read"}}},
		{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
	}}})
	cur, err := s.db.C("notifications").Aggregate(ctx, pipe)
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []struct {
		ID struct {
			User string `bson:"u"`
			Read bool   `bson:"r"`
		} `bson:"_id"`
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make(map[string]mitreden.NotificationCounts, len(docs))
	for _, d := range docs {
		c := out[d.ID.User]
		c.Total += d.N
		if !d.ID.Read {
			c.Unread += d.N
		}
		out[d.ID.User] = c
	}
	return out, nil
}

// AllNotificationCounts reads every counter document.
func (s *NotificationStore) AllNotificationCounts(ctx context.Context) (map[string]mitreden.NotificationCounts, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("notification_counts").Find(ctx, bson.D{})
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []countsDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make(map[string]mitreden.NotificationCounts, len(docs))
	for _, d := range docs {
		out[d.ID] = mitreden.NotificationCounts{Unread: d.Unread, Total: d.Total}
	}
	return out, nil
}

// SetNotificationCounts is one conditional update by _id; from zeros it
// also creates a missing counter, and a duplicate key then means another
// write created it meanwhile.
func (s *NotificationStore) SetNotificationCounts(ctx context.Context, userID string, from, to mitreden.NotificationCounts) (bool, error) {
	wctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("notification_counts").UpdateOne(wctx,
		bson.D{{Key: "_id", Value: userID}, {Key: "unread", Value: from.Unread}, {Key: "total", Value: from.Total}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "unread", Value: to.Unread}, {Key: "total", Value: to.Total}}}})
	if err != nil {
		return false, mapErr(err)
	}
	if res.MatchedCount == 1 || from != (mitreden.NotificationCounts{}) {
		return res.MatchedCount == 1, nil
	}
	_, err = s.db.C("notification_counts").InsertOne(wctx, countsDoc{ID: userID, Unread: to.Unread, Total: to.Total})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, mapErr(err)
}
