package mongo

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// CounterStore implements mitreden.CounterStore with one document per key and
// window, addressed by a deterministic _id so each increment is one atomic upsert.
type CounterStore struct{ db *DB }

// Counters returns the counter store of d.
func (d *DB) Counters() *CounterStore { return &CounterStore{db: d} }

var _ mitreden.CounterStore = (*CounterStore)(nil)

type counterDoc struct {
	ID        string    `bson:"_id"`
	Count     int       `bson:"count"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func counterID(key string, window time.Duration, now time.Time) (string, time.Time) {
	start := now.Truncate(window)
	return key + "@" + strconv.FormatInt(start.Unix(), 10), start.Add(window)
}

// IncrCounter adds one to key in the current window.
func (s *CounterStore) IncrCounter(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	id, end := counterID(key, window, now)
	var d counterDoc
	err := s.db.C("counters").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: 1}}}, {Key: "$set", Value: bson.D{{Key: "expires_at", Value: end}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return 0, mapErr(err)
	}
	return d.Count, nil
}

// DecrCounter takes one back from key in the current window.
func (s *CounterStore) DecrCounter(ctx context.Context, key string, window time.Duration, now time.Time) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	id, _ := counterID(key, window, now)
	_, err := s.db.C("counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: -1}}}})
	return mapErr(err)
}

// GetCounter returns the count of key in the current window.
func (s *CounterStore) GetCounter(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	id, _ := counterID(key, window, now)
	var d counterDoc
	err := s.db.C("counters").findID(ctx, id, &d)
	if err != nil {
		err = mapErr(err)
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			return 0, nil
		}
		return 0, err
	}
	return d.Count, nil
}
