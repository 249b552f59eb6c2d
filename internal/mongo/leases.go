package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// LeaseStore implements mitreden.LeaseStore with one document per running
// process in the "leases" collection.
type LeaseStore struct{ db *DB }

// Leases returns the lease store of d.
func (d *DB) Leases() *LeaseStore { return &LeaseStore{db: d} }

var _ mitreden.LeaseStore = (*LeaseStore)(nil)

type leaseDoc struct {
	ID      string    `bson:"_id"`
	Host    string    `bson:"host"`
	PID     int       `bson:"pid"`
	Started time.Time `bson:"started"`
	Renewed time.Time `bson:"renewed"`
}

// AcquireLease inserts l.
func (s *LeaseStore) AcquireLease(ctx context.Context, l mitreden.Lease) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("leases").InsertOne(ctx, leaseDoc{ID: l.ID, Host: l.Host, PID: l.PID, Started: l.Started.UTC(), Renewed: l.Renewed.UTC()})
	return mapErr(err)
}

// RenewLease sets the renewal time of lease id.
func (s *LeaseStore) RenewLease(ctx context.Context, id string, now time.Time) error {
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("leases").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "renewed", Value: now.UTC()}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return nil
}

// ReleaseLease deletes lease id.
func (s *LeaseStore) ReleaseLease(ctx context.Context, id string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("leases").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return mapErr(err)
}

// StaleLeases returns the leases other than except renewed before before.
// The collection holds one document per running process, so the scan is small.
func (s *LeaseStore) StaleLeases(ctx context.Context, before time.Time, except string) ([]mitreden.Lease, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("leases").Find(ctx, bson.D{{Key: "renewed", Value: bson.D{{Key: "$lt", Value: before.UTC()}}},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: except}}}}, options.Find().SetSort(bson.D{{Key: "renewed", Value: 1}}))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []leaseDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]mitreden.Lease, len(docs))
	for i, d := range docs {
		out[i] = mitreden.Lease{ID: d.ID, Host: d.Host, PID: d.PID, Started: d.Started.UTC(), Renewed: d.Renewed.UTC()}
	}
	return out, nil
}

// TakeLease renews l if its renewal time is still the one read.
func (s *LeaseStore) TakeLease(ctx context.Context, l mitreden.Lease, now time.Time) (bool, error) {
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("leases").UpdateOne(ctx, bson.D{{Key: "_id", Value: l.ID}, {Key: "renewed", Value: l.Renewed.UTC()}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "renewed", Value: now.UTC()}}}})
	if err != nil {
		return false, mapErr(err)
	}
	return res.MatchedCount == 1, nil
}
