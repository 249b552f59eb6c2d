package mongo

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

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

// countMarks holds the counter marks in memory where this process is the
// only writer of the store: the embedded mode, whose data dir it holds
// (the DB caches listings there, CacheListings, under the same
// condition). A mark in the store costs an update with its own fsync; in
// memory a vote costs two writes instead of three, a comment four instead
// of six. A recount in this process sees the marks through countState and
// casCounts; no other process can run one meanwhile. A crash loses them,
// which loses nothing: after an unclean stop every mark counts as dead
// anyway (see the reconciliation and CounterWritesDeadBefore), and the
// recount repairs from the records.
type countMarks struct {
	mu sync.Mutex
	m  map[string]*countMark // coll + "/" + id
}

type countMark struct {
	pending int
	ver     int64
	at      time.Time
}

// get returns the mark of key, creating it; the caller holds mu.
func (c *countMarks) get(key string) *countMark {
	if c.m == nil {
		c.m = map[string]*countMark{}
	}
	m := c.m[key]
	if m == nil {
		m = &countMark{}
		c.m[key] = m
	}
	return m
}

// marksInMemory reports whether counter marks live in memory (countMarks).
func (d *DB) marksInMemory() bool { return d.lists != nil }

// startCount marks the counter document id of coll before a record its
// counters count is written: one update, the whole cost of the scheme, or
// none where marks live in memory. An id that is no ObjectID names no
// counter document, so nothing is marked.
func (d *DB) startCount(ctx context.Context, coll, id string) error {
	o, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return nil
	}
	if d.marksInMemory() {
		d.marks.mu.Lock()
		m := d.marks.get(coll + "/" + id)
		m.pending++
		m.ver++
		m.at = now()
		d.marks.mu.Unlock()
		return nil
	}
	ctx, done := d.write(ctx)
	defer done()
	_, err = d.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "count_pending", Value: 1}, {Key: "count_ver", Value: 1}}},
		{Key: "$max", Value: bson.D{{Key: "count_pending_at", Value: now()}}}})
	return mapErr(err)
}

// endMark ends one counter write in flight in memory; never below zero,
// for the same reason as endCount.
func (d *DB) endMark(coll, id string) {
	d.marks.mu.Lock()
	defer d.marks.mu.Unlock()
	if m := d.marks.m[coll+"/"+id]; m != nil && m.pending > 0 {
		m.pending--
	}
}

// countState returns the recount state of the counter document id of
// coll: the stored marks plus those in memory.
func (d *DB) countState(coll, id string, stored countStateDoc) mitreden.CountState {
	st := stored.domain()
	if !d.marksInMemory() {
		return st
	}
	d.marks.mu.Lock()
	defer d.marks.mu.Unlock()
	if m := d.marks.m[coll+"/"+id]; m != nil {
		st.Pending += m.pending
		st.Version += m.ver
		if m.pending > 0 && m.at.After(st.PendingAt) {
			st.PendingAt = m.at
		}
	}
	return st
}

// casCounts runs a recount's compare-and-set of the counter document id of
// coll, read with state st: set gets the part of st the store holds, for
// its filter. Where marks live in memory, they are held meanwhile, so no
// counter write starts between the check and the update, and one that
// started since st was read makes the stored part differ, so the filter
// misses.
func (d *DB) casCounts(coll, id string, st mitreden.CountState, set func(stored mitreden.CountState) error) error {
	if !d.marksInMemory() {
		return set(st)
	}
	d.marks.mu.Lock()
	defer d.marks.mu.Unlock()
	m := d.marks.m[coll+"/"+id]
	if m != nil {
		st.Pending -= m.pending
		st.Version -= m.ver
	}
	err := set(st)
	if err == nil && m != nil {
		m.pending = 0 // stale marks the repair settled, as it clears stored ones
	}
	return err
}

// abortCount ends a counter write whose record was not written. It runs
// even when ctx is done; should it fail, the mark goes stale and the next
// recount repairs the document after mitreden.RecountStaleAfter.
func (d *DB) abortCount(ctx context.Context, coll, id string) {
	o, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return
	}
	if d.marksInMemory() {
		d.endMark(coll, id)
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
// flight the condition fails and inc is applied alone.
func (d *DB) endCount(ctx context.Context, coll string, o bson.ObjectID, inc bson.D) error {
	if d.marksInMemory() {
		// The counters move before the mark ends; should the update fail,
		// the mark stays and goes stale, as one in the store would.
		if len(inc) > 0 {
			wctx, done := d.write(ctx)
			_, err := d.C(coll).UpdateOne(wctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: inc}})
			done()
			if err != nil {
				return mapErr(err)
			}
		}
		d.endMark(coll, o.Hex())
		return nil
	}
	ctx, done := d.write(ctx)
	defer done()
	ended, err := d.updateIf(ctx, coll, o, bson.D{{Key: "count_pending", Value: bson.D{{Key: "$gt", Value: 0}}}},
		func(doc bson.Raw) bool { n, _ := doc.Lookup("count_pending").AsInt64OK(); return n > 0 },
		bson.D{{Key: "$inc", Value: append(inc[:len(inc):len(inc)], bson.E{Key: "count_pending", Value: -1})}}, false)
	if err != nil || ended || len(inc) == 0 {
		return err
	}
	_, err = d.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: inc}})
	return mapErr(err)
}

// updateIf applies update to the document id of coll if it matches cond
// and reports whether it did; with upsert a missing document is created
// from id and update (a document that exists but does not match is left
// alone, reported as a conflict on MongoDB, where the upsert collides with
// its _id). The caller holds the write lock (d.write).
//
// FerretDB v1 looks a document up by _id only when the filter holds
// nothing else; any further condition makes it read and decode the whole
// collection (a vote's counter update cost 70 ms at 1,000 proposals). So
// when writes are serialized in this process (the embedded engine),
// updateIf reads the document by _id, checks it with match (which must
// decide as cond does) and updates it by _id alone: under the write lock
// no write of this process comes between, and no other process writes.
// Elsewhere cond goes into the update's filter, atomic on the server.
func (d *DB) updateIf(ctx context.Context, coll string, id any, cond bson.D, match func(bson.Raw) bool, update bson.D, upsert bool) (bool, error) {
	byID := bson.D{{Key: "_id", Value: id}}
	if d.serial == nil {
		res, err := d.C(coll).UpdateOne(ctx, append(byID, cond...), update, options.UpdateOne().SetUpsert(upsert))
		if err != nil {
			return false, mapErr(err)
		}
		return res.MatchedCount > 0 || res.UpsertedCount > 0, nil
	}
	doc, err := d.C(coll).FindOne(ctx, byID).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		if !upsert {
			return false, nil
		}
		_, err = d.C(coll).UpdateOne(ctx, byID, update, options.UpdateOne().SetUpsert(true))
		return err == nil, mapErr(err)
	} else if err != nil {
		return false, mapErr(err)
	}
	if !match(doc) {
		return false, nil
	}
	_, err = d.C(coll).UpdateOne(ctx, byID, update)
	return err == nil, mapErr(err)
}
