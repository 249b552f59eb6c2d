package mongo

import (
	"context"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DefaultDocCacheBytes bounds the document cache (CacheDocuments): at 10,000
// proposals and 100,000 comments everything a visitor can read fits.
const DefaultDocCacheBytes = 192 << 20

// CacheDocuments keeps documents read by _id in memory, at most maxBytes of
// them, and answers later lookups of the same _id from there, absent
// documents included. Use it only where this process performs every write
// (the embedded mode, whose data dir is locked): every write through the DB
// drops the documents it touches before it returns, so a read after a write
// never sees the old state. A lookup by _id costs the embedded engine about
// 0.4 ms of CPU (decoding JSON out of SQLite); a page shows dozens of them.
func CacheDocuments(maxBytes int) Option {
	return func(d *DB) { d.docs = newDocCache(maxBytes) }
}

// docCache holds raw documents by collection and _id. An entry is a
// document, a known absence (raw nil), or a tombstone a write left (dead):
// a lookup that missed installs what it read only if the entry it saw then
// is still there (same version) and nothing was evicted meanwhile, so a
// read that raced a write never installs the state before it.
type docCache struct {
	mu      sync.RWMutex
	max     int
	size    int
	next    uint64 // last version handed out
	evicted uint64 // evictions and collection-wide drops so far
	entries map[docKey]*docEntry
	// deferred names the collections whose counter increments are
	// coalesced (DeferCounters); pending holds them until flushed.
	deferred map[string]bool
	pending  map[docKey]*pendingUpdate
}

type docKey struct{ coll, id string }

type docEntry struct {
	version uint64
	raw     bson.Raw // nil: known absent (or dead)
	dead    bool
	// pinned: the cached state holds increments the store has not got
	// yet (deferred); the entry is never evicted or dropped meanwhile.
	pinned bool
}

// docTicket is what a miss saw, to install its read with.
type docTicket struct {
	key     docKey
	version uint64 // 0: no entry
	evicted uint64
}

// entryOverhead approximates an entry's bytes beyond its document.
const entryOverhead = 96

func newDocCache(maxBytes int) *docCache {
	return &docCache{max: maxBytes, entries: map[docKey]*docEntry{}, pending: map[docKey]*pendingUpdate{}}
}

// get returns the cached document (raw nil and found true: known absent),
// or found false and the ticket to install a read with.
func (c *docCache) get(coll, id string) (raw bson.Raw, found bool, t docTicket) {
	k := docKey{coll, id}
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[k]
	if e != nil && !e.dead {
		return e.raw, true, docTicket{}
	}
	t = docTicket{key: k, evicted: c.evicted}
	if e != nil {
		t.version = e.version
	}
	return nil, false, t
}

// install stores what a missed lookup read (raw nil: absent), unless the
// entry changed since the miss.
func (c *docCache) install(t docTicket, raw bson.Raw) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries[t.key]
	if c.evicted != t.evicted || (old == nil) != (t.version == 0) || old != nil && old.version != t.version {
		return
	}
	cost := len(raw) + len(t.key.coll) + len(t.key.id) + entryOverhead
	if cost > c.max/16 {
		return // one huge document must not empty the cache
	}
	if old != nil {
		c.size -= len(old.raw) + len(t.key.coll) + len(t.key.id) + entryOverhead
	}
	c.makeRoom(cost)
	c.next++
	c.entries[t.key] = &docEntry{version: c.next, raw: raw}
	c.size += cost
}

// makeRoom evicts entries (in map order, which is random enough) until cost
// fits; c.mu is held.
func (c *docCache) makeRoom(cost int) {
	if c.size+cost <= c.max {
		return
	}
	c.evicted++
	for k, e := range c.entries {
		if e.pinned {
			continue
		}
		delete(c.entries, k)
		c.size -= len(e.raw) + len(k.coll) + len(k.id) + entryOverhead
		if c.size+cost <= c.max*7/8 {
			return
		}
	}
}

// tombstone replaces k's entry with a new tombstone and returns it; c.mu
// is held.
func (c *docCache) tombstone(k docKey) *docEntry {
	c.next++
	if e := c.entries[k]; e != nil {
		c.size -= len(e.raw)
		e.raw, e.dead, e.version = nil, true, c.next
		return e
	}
	c.makeRoom(len(k.coll) + len(k.id) + entryOverhead)
	e := &docEntry{version: c.next, dead: true}
	c.entries[k] = e
	c.size += len(k.coll) + len(k.id) + entryOverhead
	return e
}

// docWrite is a write in progress on documents by _id (begin).
type docWrite struct {
	keys    []docKey
	prev    []bson.Raw // the cached state before (nil: not cached)
	stones  []uint64   // the tombstones begin left
	evicted uint64
}

// begin tombstones ids before a write, so that no lookup during the write
// installs anything, and returns their cached state before it.
func (c *docCache) begin(coll string, ids []string) *docWrite {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &docWrite{keys: make([]docKey, len(ids)), prev: make([]bson.Raw, len(ids)), stones: make([]uint64, len(ids))}
	for i, id := range ids {
		k := docKey{coll, id}
		w.keys[i] = k
		if e := c.entries[k]; e != nil && !e.dead {
			w.prev[i] = e.raw
		}
		w.stones[i] = c.tombstone(k).version
	}
	w.evicted = c.evicted
	return w
}

// finish ends a write begin started: document i becomes next[i] when that
// is not nil and nothing else touched it meanwhile, else a new tombstone
// (so lookups that read during the write install nothing either).
func (c *docCache) finish(w *docWrite, next []bson.Raw) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range w.keys {
		e := c.entries[k]
		if next == nil || next[i] == nil || e == nil || e.version != w.stones[i] || c.evicted != w.evicted {
			c.tombstone(k)
			continue
		}
		cost := len(next[i])
		c.makeRoom(cost)
		if c.evicted != w.evicted {
			c.tombstone(k)
			continue
		}
		c.next++
		e.raw, e.dead, e.version = next[i], false, c.next
		c.size += cost
	}
}

// dropAll forgets every document of coll (a write by another filter than
// _id), or of every collection when coll is "".
func (c *docCache) dropAll(coll string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evicted++
	for k, e := range c.entries {
		if (coll == "" || k.coll == coll) && !e.pinned {
			delete(c.entries, k)
			c.size -= len(e.raw) + len(k.coll) + len(k.id) + entryOverhead
		}
	}
}

// coll is a collection of the DB. With the document cache (CacheDocuments)
// its lookups by _id are answered from memory and its writes drop what they
// touch from there; without, it is the driver's collection.
type coll struct {
	*mongo.Collection
	docs   *docCache
	serial *sync.Mutex
}

// C returns the named collection.
func (d *DB) C(name string) coll { return coll{d.db.Collection(name), d.docs, d.serial} }

// idKey is the cache key of an _id value; ok is false for values that are
// not plain ids (operators).
func idKey(v any) (string, bool) {
	switch id := v.(type) {
	case bson.ObjectID:
		return id.Hex(), true
	case string:
		return id, true
	}
	return "", false
}

// filterIDs returns the _ids a filter selects by: {_id: x, ...} or
// {_id: {$in: [...]}, ...}; ok is false for any other filter.
func filterIDs(filter any) (ids []string, ok bool) {
	d, isD := filter.(bson.D)
	if !isD {
		return nil, false
	}
	for _, e := range d {
		if e.Key != "_id" {
			continue
		}
		if k, ok := idKey(e.Value); ok {
			return []string{k}, true
		}
		op, isOp := e.Value.(bson.D)
		if !isOp || len(op) != 1 || op[0].Key != "$in" {
			return nil, false
		}
		var list []any
		switch vs := op[0].Value.(type) {
		case []string:
			for _, v := range vs {
				list = append(list, v)
			}
		case []bson.ObjectID:
			for _, v := range vs {
				list = append(list, v)
			}
		case []any:
			list = vs
		case bson.A:
			list = vs
		default:
			return nil, false
		}
		for _, v := range list {
			k, ok := idKey(v)
			if !ok {
				return nil, false
			}
			ids = append(ids, k)
		}
		return ids, true
	}
	return nil, false
}

// writeByFilter runs a write selecting documents by filter, keeping the
// cache right: documents selected by _id are tombstoned before the write
// and after it, or, when apply is given and says how a document changed,
// replaced by their new state; any other filter forgets the collection
// before and after.
func (c coll) writeByFilter(ctx context.Context, filter any, apply func(prev bson.Raw) bson.Raw, write func() (matched bool, err error)) error {
	if c.docs == nil {
		_, err := write()
		return err
	}
	ids, ok := filterIDs(filter)
	if !ok {
		if err := c.flushFor(ctx, nil); err != nil {
			return err
		}
		c.docs.dropAll(c.Name())
		defer c.docs.dropAll(c.Name())
		_, err := write()
		return err
	}
	if err := c.flushFor(ctx, filter); err != nil {
		return err
	}
	w := c.docs.begin(c.Name(), ids)
	matched, err := write()
	var next []bson.Raw
	if err == nil && matched && apply != nil && len(ids) == 1 && w.prev[0] != nil {
		next = []bson.Raw{apply(w.prev[0])}
	}
	c.docs.finish(w, next)
	return err
}

// docIDs returns the cache keys of docs' _ids; ok is false when one has
// none it knows.
func docIDs(docs []any) (ids []string, ok bool) {
	for _, doc := range docs {
		raw, err := bson.Marshal(doc)
		if err != nil {
			return nil, false
		}
		k, ok := idKey(bsonValue(bson.Raw(raw).Lookup("_id")))
		if !ok {
			return nil, false
		}
		ids = append(ids, k)
	}
	return ids, true
}

// writeDocs runs an insert of docs: their _ids (known absences among them)
// are tombstoned before and after.
func (c coll) writeDocs(ctx context.Context, docs []any, write func() error) error {
	if c.docs == nil {
		return write()
	}
	if err := c.flushFor(ctx, nil); err != nil {
		return err
	}
	ids, ok := docIDs(docs)
	if !ok {
		c.docs.dropAll(c.Name())
		defer c.docs.dropAll(c.Name())
		return write()
	}
	w := c.docs.begin(c.Name(), ids)
	err := write()
	c.docs.finish(w, nil)
	return err
}

func bsonValue(v bson.RawValue) any {
	if o, ok := v.ObjectIDOK(); ok {
		return o
	}
	if s, ok := v.StringValueOK(); ok {
		return s
	}
	return nil
}

// FindOne answers a lookup by _id alone from the cache when there is one.
func (c coll) FindOne(ctx context.Context, filter any, opts ...options.Lister[options.FindOneOptions]) *mongo.SingleResult {
	if c.docs == nil {
		return c.Collection.FindOne(ctx, filter, opts...)
	}
	d, ok := filter.(bson.D)
	if len(opts) > 0 || !ok || len(d) != 1 || d[0].Key != "_id" {
		if err := c.flushFor(ctx, filter); err != nil {
			return mongo.NewSingleResultFromDocument(bson.D{}, err, nil)
		}
		return c.Collection.FindOne(ctx, filter, opts...)
	}
	raw, err := c.lookup(ctx, d[0].Value)
	if err != nil {
		return mongo.NewSingleResultFromDocument(bson.D{}, err, nil)
	}
	return mongo.NewSingleResultFromDocument(raw, nil, nil)
}

// findID decodes the document with _id id into v: from the cache when
// there is one, without the driver's result wrapping (a tenth of a long
// thread's page). A missing document is mongo.ErrNoDocuments.
func (c coll) findID(ctx context.Context, id, v any) error {
	if c.docs == nil {
		return c.Collection.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(v)
	}
	raw, err := c.lookup(ctx, id)
	if err != nil {
		return err
	}
	return bson.Unmarshal(raw, v)
}

// lookup returns the raw document with _id id from the cache, reading and
// installing it on a miss; a missing document is mongo.ErrNoDocuments.
func (c coll) lookup(ctx context.Context, id any) (bson.Raw, error) {
	key, ok := idKey(id)
	if !ok {
		return c.Collection.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	}
	raw, found, t := c.docs.get(c.Name(), key)
	if !found {
		r, err := c.Collection.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
		switch err {
		case nil:
			raw = slices.Clone(r)
		case mongo.ErrNoDocuments:
		default:
			return nil, err
		}
		c.docs.install(t, raw)
	}
	if raw == nil {
		return nil, mongo.ErrNoDocuments
	}
	return raw, nil
}

// InsertOne inserts doc, keeping the cache right (writeDocs).
func (c coll) InsertOne(ctx context.Context, doc any, opts ...options.Lister[options.InsertOneOptions]) (res *mongo.InsertOneResult, err error) {
	err = c.writeDocs(ctx, []any{doc}, func() error {
		res, err = c.Collection.InsertOne(ctx, doc, opts...)
		return err
	})
	return res, err
}

// InsertMany inserts docs, keeping the cache right (writeDocs).
func (c coll) InsertMany(ctx context.Context, docs any, opts ...options.Lister[options.InsertManyOptions]) (res *mongo.InsertManyResult, err error) {
	list, _ := docs.([]any)
	if list == nil {
		list = []any{nil} // no _ids known: forget the collection
	}
	err = c.writeDocs(ctx, list, func() error {
		res, err = c.Collection.InsertMany(ctx, docs, opts...)
		return err
	})
	return res, err
}

// UpdateOne updates, keeping the cache right: an update of one cached
// document by _id alone with $inc, $set and $max is applied to the cached
// state as the server applied it (applyUpdate), so the next lookup need not
// read it again; anything else is read again.
func (c coll) UpdateOne(ctx context.Context, filter, update any, opts ...options.Lister[options.UpdateOneOptions]) (res *mongo.UpdateResult, err error) {
	if c.tryDefer(ctx, filter, update, len(opts)) {
		return &mongo.UpdateResult{MatchedCount: 1, ModifiedCount: 1}, nil
	}
	var apply func(bson.Raw) bson.Raw
	if d, ok := filter.(bson.D); ok && len(d) == 1 {
		apply = func(prev bson.Raw) bson.Raw { return applyUpdate(prev, update) }
	}
	err = c.writeByFilter(ctx, filter, apply, func() (bool, error) {
		res, err = c.Collection.UpdateOne(ctx, filter, update, opts...)
		return err == nil && res.MatchedCount == 1 && res.UpsertedCount == 0, err
	})
	return res, err
}

// UpdateMany updates, keeping the cache right (writeByFilter).
func (c coll) UpdateMany(ctx context.Context, filter, update any, opts ...options.Lister[options.UpdateManyOptions]) (res *mongo.UpdateResult, err error) {
	err = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res, err = c.Collection.UpdateMany(ctx, filter, update, opts...)
		return false, err
	})
	return res, err
}

// ReplaceOne replaces, keeping the cache right (writeByFilter).
func (c coll) ReplaceOne(ctx context.Context, filter, doc any, opts ...options.Lister[options.ReplaceOptions]) (res *mongo.UpdateResult, err error) {
	err = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res, err = c.Collection.ReplaceOne(ctx, filter, doc, opts...)
		return false, err
	})
	return res, err
}

// DeleteOne deletes, keeping the cache right (writeByFilter).
func (c coll) DeleteOne(ctx context.Context, filter any, opts ...options.Lister[options.DeleteOneOptions]) (res *mongo.DeleteResult, err error) {
	err = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res, err = c.Collection.DeleteOne(ctx, filter, opts...)
		return false, err
	})
	return res, err
}

// DeleteMany deletes, keeping the cache right (writeByFilter).
func (c coll) DeleteMany(ctx context.Context, filter any, opts ...options.Lister[options.DeleteManyOptions]) (res *mongo.DeleteResult, err error) {
	err = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res, err = c.Collection.DeleteMany(ctx, filter, opts...)
		return false, err
	})
	return res, err
}

// FindOneAndUpdate updates, keeping the cache right (writeByFilter).
func (c coll) FindOneAndUpdate(ctx context.Context, filter, update any, opts ...options.Lister[options.FindOneAndUpdateOptions]) (res *mongo.SingleResult) {
	_ = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res = c.Collection.FindOneAndUpdate(ctx, filter, update, opts...)
		return false, res.Err()
	})
	return res
}

// FindOneAndReplace replaces, keeping the cache right (writeByFilter).
func (c coll) FindOneAndReplace(ctx context.Context, filter, doc any, opts ...options.Lister[options.FindOneAndReplaceOptions]) (res *mongo.SingleResult) {
	_ = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res = c.Collection.FindOneAndReplace(ctx, filter, doc, opts...)
		return false, res.Err()
	})
	return res
}

// FindOneAndDelete deletes, keeping the cache right (writeByFilter).
func (c coll) FindOneAndDelete(ctx context.Context, filter any, opts ...options.Lister[options.FindOneAndDeleteOptions]) (res *mongo.SingleResult) {
	_ = c.writeByFilter(ctx, filter, nil, func() (bool, error) {
		res = c.Collection.FindOneAndDelete(ctx, filter, opts...)
		return false, res.Err()
	})
	return res
}

// BulkWrite writes, forgetting the collection before and after.
func (c coll) BulkWrite(ctx context.Context, models []mongo.WriteModel, opts ...options.Lister[options.BulkWriteOptions]) (res *mongo.BulkWriteResult, err error) {
	err = c.writeByFilter(ctx, nil, nil, func() (bool, error) {
		res, err = c.Collection.BulkWrite(ctx, models, opts...)
		return false, err
	})
	return res, err
}

// Drop drops the collection, forgetting it before and after.
func (c coll) Drop(ctx context.Context, opts ...options.Lister[options.DropCollectionOptions]) error {
	return c.writeByFilter(ctx, nil, nil, func() (bool, error) { return false, c.Collection.Drop(ctx, opts...) })
}
