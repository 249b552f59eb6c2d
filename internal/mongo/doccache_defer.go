package mongo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DeferredFlushInterval is how long a deferred counter increment waits at
// most before it is written (DeferCounters).
const DeferredFlushInterval = 100 * time.Millisecond

// DeferCounters writes the counter increments (and the appends to thread
// lists) of the named collections behind: an update by _id alone of an
// existing document with only $inc, $max of a time and $push of one value
// is applied to the cached document at once, so every read after it sees
// it, and written to the store with the other changes of that document at
// most DeferredFlushInterval later, in one update. A vote then costs the
// embedded engine one write (its record) instead of three (record, tally,
// quota), a comment one instead of four (record, thread list, proposal and
// consultation counters): each write is a SQLite transaction with the
// whole document decoded and encoded again.
//
// The records are written before the request answers; the counters and
// lists derived from them may be up to the interval behind in the store. A
// clean stop (Close) writes them; after an unclean stop the reconciliation
// recounts every counter from the records and adds what the thread lists
// miss (RepairThreads). Any other write of a document, and any
// query of the collection other than a lookup by _id, writes its pending
// increments first, so the store never answers older counters than the
// cache did. Needs CacheDocuments and SerializeWrites, one process only.
func DeferCounters(colls ...string) Option {
	return func(d *DB) { d.deferColls = append(d.deferColls, colls...) }
}

// DeferredFlushEvery sets how often the deferred increments are written
// (DeferredFlushInterval when not set). Tests that count the store's
// writes set a long one, so a slow machine's timer does not write between
// the steps they count.
func DeferredFlushEvery(every time.Duration) Option {
	return func(d *DB) { d.deferEvery = every }
}

// pendingUpdate is a document's increments not yet written.
type pendingUpdate struct {
	id   any // the _id as stored
	inc  bson.D
	max  bson.D
	push bson.D // field → bson.A of the values in order
	// token marks the document when these increments are written, set at
	// the first attempt: a write that failed may still have been applied
	// (a timeout after the engine wrote), so a retry first reads the
	// document by _id and skips the write when it carries the mark: the
	// increments apply at most once. (A condition beside the _id in the
	// update's filter would make the engine scan the collection.)
	// Increments arriving after an attempt start a new pendingUpdate that
	// links this one as prev, written after it.
	token string
	prev  *pendingUpdate
}

// flushMark is the field a flush marks its document with (see token).
const flushMark = "_flush"

// newFlushToken returns a token no other flush, of this process or an
// earlier one, uses.
func newFlushToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *pendingUpdate) update() bson.D {
	u := bson.D{}
	if len(p.inc) > 0 {
		u = append(u, bson.E{Key: "$inc", Value: p.inc})
	}
	if len(p.max) > 0 {
		u = append(u, bson.E{Key: "$max", Value: p.max})
	}
	if len(p.push) > 0 {
		each := bson.D{}
		for _, f := range p.push {
			each = append(each, bson.E{Key: f.Key, Value: bson.D{{Key: "$each", Value: f.Value}}})
		}
		u = append(u, bson.E{Key: "$push", Value: each})
	}
	return u
}

// merge adds update (only $inc of integers, $max of times and $push of
// single values, see deferrable) to p.
func (p *pendingUpdate) merge(update bson.D) {
	for _, op := range update {
		for _, f := range op.Value.(bson.D) {
			if op.Key == "$push" {
				i := 0
				for i < len(p.push) && p.push[i].Key != f.Key {
					i++
				}
				if i == len(p.push) {
					p.push = append(p.push, bson.E{Key: f.Key, Value: bson.A{}})
				}
				p.push[i].Value = append(p.push[i].Value.(bson.A), f.Value)
				continue
			}
			list := &p.inc
			if op.Key == "$max" {
				list = &p.max
			}
			i := 0
			for i < len(*list) && (*list)[i].Key != f.Key {
				i++
			}
			if i == len(*list) {
				if op.Key == "$inc" {
					n, _, _, _, _ := number(f.Value)
					*list = append(*list, bson.E{Key: f.Key, Value: n})
				} else {
					*list = append(*list, f)
				}
				continue
			}
			if op.Key == "$inc" {
				n, _, _, _, _ := number(f.Value)
				(*list)[i].Value = (*list)[i].Value.(int64) + n
			} else if f.Value.(time.Time).After((*list)[i].Value.(time.Time)) {
				(*list)[i].Value = f.Value
			}
		}
	}
}

// deferrable reports whether update holds only $inc of integers, $max of
// times and $push of single strings.
func deferrable(update any) (bson.D, bool) {
	u, ok := update.(bson.D)
	if !ok || len(u) == 0 {
		return nil, false
	}
	for _, op := range u {
		fields, ok := op.Value.(bson.D)
		if !ok || len(fields) == 0 {
			return nil, false
		}
		for _, f := range fields {
			switch op.Key {
			case "$inc":
				if _, _, isFloat, _, ok := number(f.Value); !ok || isFloat {
					return nil, false
				}
			case "$max":
				if _, ok := f.Value.(time.Time); !ok {
					return nil, false
				}
			case "$push":
				if _, ok := f.Value.(string); !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		}
	}
	return u, true
}

// startDeferred turns deferring on when its conditions hold, with the loop
// that writes the increments.
func (d *DB) startDeferred() {
	if len(d.deferColls) == 0 || d.docs == nil || d.serial == nil {
		return
	}
	d.docs.deferred = map[string]bool{}
	for _, c := range d.deferColls {
		d.docs.deferred[c] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		every := d.deferEvery
		if every <= 0 {
			every = DeferredFlushInterval
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := d.FlushDeferred(ctx); err != nil && ctx.Err() == nil {
					d.Logger.Warn("writing deferred counters; retrying", "err", err)
				}
			}
		}
	}()
	d.stopFlush = func() { cancel(); wg.Wait() }
}

// stopDeferred ends the flush loop and writes what is pending.
func (d *DB) stopDeferred(ctx context.Context) error {
	if d.stopFlush == nil {
		return nil
	}
	d.stopFlush()
	d.stopFlush = nil
	return d.FlushDeferred(ctx)
}

// FlushDeferred writes every deferred increment now (DeferCounters), one
// document at a time: each takes the write lock on its own, so a request's
// write waits for one document's flush at most, not for all of them. The
// jobs queued behind (EnqueueJobsBehind) are written first, in one insert.
func (d *DB) FlushDeferred(ctx context.Context) error {
	// The jobs queued behind go with them, in one insert.
	if err := d.flushJobsBehind(ctx); err != nil {
		return err
	}
	if d.docs == nil || !d.docs.hasPending("") {
		return nil
	}
	d.docs.mu.RLock()
	keys := make([]docKey, 0, len(d.docs.pending))
	for k := range d.docs.pending {
		keys = append(keys, k)
	}
	d.docs.mu.RUnlock()
	for _, k := range keys {
		wctx, done := d.write(ctx)
		err := d.docs.flush(wctx, d.db, k.coll, []string{k.id})
		done()
		if err != nil {
			return err
		}
	}
	return nil
}

// hasPending reports whether increments of coll ("" any) wait.
func (c *docCache) hasPending(coll string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if coll == "" {
		return len(c.pending) > 0
	}
	for k := range c.pending {
		if k.coll == coll {
			return true
		}
	}
	return false
}

// flush writes the pending increments of coll ("" every collection), of
// the given ids only when ids is not nil. The caller holds the write lock,
// so no increment is added meanwhile and no other write touches the
// documents.
func (c *docCache) flush(ctx context.Context, db *mongo.Database, coll string, ids []string) error {
	c.mu.RLock()
	var keys []docKey
	if ids != nil {
		for _, id := range ids {
			if k := (docKey{coll, id}); c.pending[k] != nil {
				keys = append(keys, k)
			}
		}
	} else {
		for k := range c.pending {
			if coll == "" || k.coll == coll {
				keys = append(keys, k)
			}
		}
	}
	c.mu.RUnlock()
	for _, k := range keys {
		if err := c.flushKey(ctx, db, k); err != nil {
			return err
		}
	}
	return nil
}

// flushKey writes the pending increments of one document, the oldest
// attempt first, each at most once (see pendingUpdate.token).
func (c *docCache) flushKey(ctx context.Context, db *mongo.Database, k docKey) error {
	for {
		c.mu.Lock()
		head := c.pending[k]
		if head == nil {
			c.mu.Unlock()
			return nil // written, or reset meanwhile (the database was dropped)
		}
		var child *pendingUpdate
		p := head
		for p.prev != nil {
			child, p = p, p.prev
		}
		retry := p.token != ""
		if !retry {
			p.token = newFlushToken()
		}
		c.mu.Unlock()
		byID := bson.D{{Key: "_id", Value: p.id}}
		applied := false
		if retry {
			doc, err := db.Collection(k.coll).FindOne(ctx, byID).Raw()
			if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return err
			}
			// A document gone needs no increments either.
			mark, _ := doc.Lookup(flushMark).StringValueOK()
			applied = err != nil || mark == p.token
		}
		if !applied {
			update := append(p.update(), bson.E{Key: "$set", Value: bson.D{{Key: flushMark, Value: p.token}}})
			if _, err := db.Collection(k.coll).UpdateOne(ctx, byID, update); err != nil {
				return err
			}
		}
		c.mu.Lock()
		if child != nil {
			child.prev = nil
			c.mu.Unlock()
			continue
		}
		if c.pending[k] == head {
			delete(c.pending, k)
			if e := c.entries[k]; e != nil {
				e.pinned = false
			}
		}
		c.mu.Unlock()
		return nil
	}
}

// deferUpdate applies update to the cached document k (prev, read under
// the write lock) and keeps it pending; false when it cannot be applied
// (the write then goes to the store).
func (c *docCache) deferUpdate(k docKey, id any, prev bson.Raw, update bson.D) bool {
	next := applyUpdate(prev, update)
	if next == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	if old := c.entries[k]; old != nil {
		c.size -= len(old.raw)
		old.raw, old.dead, old.pinned, old.version = next, false, true, c.next
	} else {
		c.entries[k] = &docEntry{version: c.next, raw: next, pinned: true}
		c.size += len(k.coll) + len(k.id) + entryOverhead
	}
	c.size += len(next)
	p := c.pending[k]
	if p == nil || p.token != "" {
		// None waits, or the one waiting was attempted: a new one follows it.
		p = &pendingUpdate{id: id, prev: p}
		c.pending[k] = p
	}
	p.merge(update)
	return true
}

// tryDefer defers an update by _id alone of a deferred collection
// (DeferCounters); false when it is not one, and the update goes to the
// store.
func (c coll) tryDefer(ctx context.Context, filter, update any, opts int) bool {
	if c.docs == nil || opts > 0 || !c.docs.deferred[c.Name()] || ctx.Value(serialHeld{}) == nil {
		return false
	}
	d, ok := filter.(bson.D)
	if !ok || len(d) != 1 || d[0].Key != "_id" {
		return false
	}
	key, ok := idKey(d[0].Value)
	if !ok {
		return false
	}
	u, ok := deferrable(update)
	if !ok {
		return false
	}
	prev, err := c.lookup(ctx, d[0].Value)
	if err != nil {
		return false // missing (the store answers "no match") or unreadable
	}
	return c.docs.deferUpdate(docKey{c.Name(), key}, d[0].Value, prev, u)
}

// flushFor writes the pending increments a write by filter or a query of
// the collection must see first: of the selected ids, or of the whole
// collection. Under the write lock when ctx holds it, else taking it.
func (c coll) flushFor(ctx context.Context, filter any) error {
	if c.docs == nil || c.docs.deferred == nil || !c.docs.hasPending(c.Name()) {
		return nil
	}
	ids, ok := filterIDs(filter)
	if !ok {
		ids = nil
	}
	if ctx.Value(serialHeld{}) == nil {
		c.serial.Lock()
		defer c.serial.Unlock()
	}
	return c.docs.flush(ctx, c.Database(), c.Name(), ids)
}

// Find queries the collection after writing its pending increments.
func (c coll) Find(ctx context.Context, filter any, opts ...options.Lister[options.FindOptions]) (*mongo.Cursor, error) {
	if err := c.flushFor(ctx, nil); err != nil {
		return nil, err
	}
	return c.Collection.Find(ctx, filter, opts...)
}

// CountDocuments counts after writing the collection's pending increments.
func (c coll) CountDocuments(ctx context.Context, filter any, opts ...options.Lister[options.CountOptions]) (int64, error) {
	if err := c.flushFor(ctx, nil); err != nil {
		return 0, err
	}
	return c.Collection.CountDocuments(ctx, filter, opts...)
}

// Aggregate runs after writing the collection's pending increments.
func (c coll) Aggregate(ctx context.Context, pipeline any, opts ...options.Lister[options.AggregateOptions]) (*mongo.Cursor, error) {
	if err := c.flushFor(ctx, nil); err != nil {
		return nil, err
	}
	return c.Collection.Aggregate(ctx, pipeline, opts...)
}

// reset forgets everything, pending increments included (the database was
// dropped).
func (c *docCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evicted++
	c.entries, c.pending, c.size = map[docKey]*docEntry{}, map[docKey]*pendingUpdate{}, 0
}

// EmbeddedOptions are the options of the embedded engine, which one
// process owns: writes serialized, listings, thread shapes and documents
// kept in memory, counters written behind.
func EmbeddedOptions() []Option {
	return []Option{SerializeWrites(), CacheListings(), CacheThreads(), CacheDocuments(DefaultDocCacheBytes),
		DeferCounters("proposals", "consultations", "support_quota", "comment_threads", "participant_counts", "notification_counts"),
		CountersInMemory()}
}
