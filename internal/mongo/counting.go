package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// countStateDoc is the recount bookkeeping (mitreden.CountState) inlined in
// every document that carries denormalized counters: proposals and
// consultations. Documents written before it existed lack the fields, which
// read as zero.
type countStateDoc struct {
	Pending   int       `bson:"count_pending"`
	PendingAt time.Time `bson:"count_pending_at"`
	Version   int64     `bson:"count_ver"`
}

func (d countStateDoc) domain() mitreden.CountState {
	return mitreden.CountState{Pending: d.Pending, PendingAt: zeroUTC(d.PendingAt), Version: d.Version}
}

// startCount marks the counter document id of coll before a record its
// counters count is written: one update, the whole cost of the scheme. An
// id that is no ObjectID names no counter document, so nothing is marked.
func (d *DB) startCount(ctx context.Context, coll, id string) error {
	o, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return nil
	}
	ctx, done := d.write(ctx)
	defer done()
	_, err = d.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "count_pending", Value: 1}, {Key: "count_ver", Value: 1}}},
		{Key: "$max", Value: bson.D{{Key: "count_pending_at", Value: now()}}}})
	return mapErr(err)
}

// abortCount ends a counter write whose record was not written. It runs
// even when ctx is done; should it fail, the mark goes stale and the next
// recount repairs the document after mitreden.RecountStaleAfter.
func (d *DB) abortCount(ctx context.Context, coll, id string) {
	o, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return
	}
	ctx, done := d.write(context.WithoutCancel(ctx))
	defer done()
	if _, err := d.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "count_pending", Value: -1}}}}); err != nil {
		d.Logger.Warn("counter write not ended; recount repairs it later", "coll", coll, "id", id, "err", err)
	}
}

// startCounts marks several counter documents, ending those marked when one
// fails: coll/id pairs.
func (d *DB) startCounts(ctx context.Context, pairs ...[2]string) error {
	for i, p := range pairs {
		if err := d.startCount(ctx, p[0], p[1]); err != nil {
			d.abortCounts(ctx, pairs[:i]...)
			return err
		}
	}
	return nil
}

func (d *DB) abortCounts(ctx context.Context, pairs ...[2]string) {
	for _, p := range pairs {
		d.abortCount(ctx, p[0], p[1])
	}
}

// stateFilter matches a document whose bookkeeping is still st; a zero value
// also matches a missing field (a document older than the bookkeeping).
func stateFilter(st mitreden.CountState) bson.D {
	return bson.D{eqOrMissing("count_pending", st.Pending), eqOrMissing("count_ver", st.Version)}
}

func eqOrMissing[T int | int64](key string, v T) bson.E {
	if v == 0 {
		return bson.E{Key: key, Value: bson.D{{Key: "$in", Value: bson.A{0, nil}}}}
	}
	return bson.E{Key: key, Value: v}
}

// endCount applies inc to the counters of document o of coll and ends one
// counter write in flight, in one update. A caller that started none (bulk
// seeding, a repair by hand) must not drive the count below zero, where it
// would hide the next write in flight from a recount: when nothing is in
// flight the filter misses and inc is applied alone.
func (d *DB) endCount(ctx context.Context, coll string, o bson.ObjectID, inc bson.D) error {
	ctx, done := d.write(ctx)
	defer done()
	res, err := d.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "count_pending", Value: bson.D{{Key: "$gt", Value: 0}}}},
		bson.D{{Key: "$inc", Value: append(inc[:len(inc):len(inc)], bson.E{Key: "count_pending", Value: -1})}})
	if err != nil || res.MatchedCount > 0 || len(inc) == 0 {
		return mapErr(err)
	}
	_, err = d.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: inc}})
	return mapErr(err)
}
