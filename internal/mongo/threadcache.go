package mongo

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The embedded engine answers a filtered or sorted find, and an $in, by
// scanning the whole collection: a page of a discussion read with the
// indexed queries MongoDB uses would read every comment of every thread.
// Only lookups by _id are cheap there. So in that mode, where one process
// owns the data, the shape of each thread read once (which comment answers
// which, when it was written, its votes, whether it is deleted) is kept in
// memory and changed with every comment write of the store; a page then
// costs one lookup by _id per comment shown.

// CacheThreads keeps the shape of the discussions read in memory
// (ThreadCache). Only for a store no other process writes to: the embedded
// engine, whose data dir one process holds.
func CacheThreads() Option {
	return func(d *DB) { d.threads = newThreadCache() }
}

// ThreadCache holds the shape of the threads read so far, keyed by target.
// Every comment write of ParticipationStore passes through it (see
// writing), so none can leave it behind; a write whose outcome is unknown
// drops the thread, to be read again.
type ThreadCache struct {
	// rw orders writes and loading: a comment write holds it shared from
	// its store write until the cache follows, loading a thread holds it
	// exclusively, so no write slips between a load's reads and its keys.
	rw sync.RWMutex

	mu      sync.Mutex
	threads map[string]map[string]*threadEntry // thread id → comment id → entry
	byID    map[string]*threadEntry            // comment id → entry, loaded threads only
	// afterLoad, when set (tests), runs between a load's reads and the
	// cache taking their result.
	afterLoad func()
	// ver counts the changes of each thread and epoch the Forgets: a page
	// chosen from a thread (pageOf) is kept in pages while neither moved,
	// as choosing sorts the whole thread.
	ver   map[string]uint64
	epoch uint64
	pages map[pageKey]pageMemo
}

// pageKey names one page of a thread in one order.
type pageKey struct {
	thread, order string
	page, per     int
}

// pageMemo is a page pageOf chose, with the thread's version it chose from.
type pageMemo struct {
	ver, epoch   uint64
	top, replies []string
	p            mitreden.ThreadPage
}

// maxPageMemos bounds the pages kept; past it they are all dropped.
const maxPageMemos = 4096

// changed counts a change of thread; c.mu is held.
func (c *ThreadCache) changed(thread string) { c.ver[thread]++ }

// page returns the kept page of k, if the thread did not change since.
func (c *ThreadCache) page(k pageKey) (pageMemo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.pages[k]
	return m, ok && m.epoch == c.epoch && m.ver == c.ver[k.thread]
}

// keepPage keeps m, chosen from the thread at version ver.
func (c *ThreadCache) keepPage(k pageKey, m pageMemo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.epoch != c.epoch || m.ver != c.ver[k.thread] {
		return // the thread changed meanwhile
	}
	if len(c.pages) >= maxPageMemos {
		c.pages = map[pageKey]pageMemo{}
	}
	c.pages[k] = m
}

// threadEntry is what a page of a discussion is chosen by.
type threadEntry struct {
	id, parent, thread string
	created            time.Time
	up, down           int
	deleted            bool
}

func newThreadCache() *ThreadCache {
	return &ThreadCache{threads: map[string]map[string]*threadEntry{}, byID: map[string]*threadEntry{},
		ver: map[string]uint64{}, pages: map[pageKey]pageMemo{}}
}

// Forget drops every thread, to be read again on next use: after a write
// around the store (bulk seeding, dropping the database). Nil-safe.
func (c *ThreadCache) Forget() {
	if c == nil {
		return
	}
	c.rw.Lock()
	defer c.rw.Unlock()
	c.mu.Lock()
	c.threads, c.byID = map[string]map[string]*threadEntry{}, map[string]*threadEntry{}
	c.epoch++
	c.pages = map[pageKey]pageMemo{}
	c.mu.Unlock()
}

// writing is called at the start of every comment write; the returned func
// ends it once the cache followed. Nil-safe.
func (c *ThreadCache) writing() func() {
	if c == nil {
		return func() {}
	}
	c.rw.RLock()
	return c.rw.RUnlock
}

// forgetThread drops one thread; the caller holds rw.
func (c *ThreadCache) forgetThread(thread string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.threads[thread] {
		delete(c.byID, id)
	}
	delete(c.threads, thread)
	c.changed(thread)
}

// outcome tells what a store write that returned err means for the cache:
// true when it succeeded; false when it wrote nothing (conflict, not
// found, invalid) or when it is unknown, in which case thread is dropped.
// Nil-safe.
func (c *ThreadCache) outcome(err error, thread string) bool {
	if c == nil {
		return false
	}
	switch mitreden.ErrorCode(err) {
	case "":
		return true
	case mitreden.ECONFLICT, mitreden.ENOTFOUND, mitreden.EINVALID:
	default:
		c.forgetThread(thread)
	}
	return false
}

// added records a comment stored and listed in its thread. Nil-safe.
func (c *ThreadCache) added(cm *mitreden.Comment) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := threadID(cm.TargetType, cm.TargetID)
	if m := c.threads[t]; m != nil && m[cm.ID] == nil {
		e := &threadEntry{id: cm.ID, parent: cm.ParentID, thread: t, created: cm.CreatedAt.UTC(), up: cm.Up, down: cm.Down, deleted: cm.Deleted}
		m[e.id], c.byID[e.id] = e, e
		c.changed(t)
	}
}

// change applies f to the entry of comment id when its thread is loaded.
// Nil-safe.
func (c *ThreadCache) change(id string, f func(e *threadEntry)) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil {
		f(e)
		c.changed(e.thread)
	}
}

// threadOf names the loaded thread of comment id ("" when none). Nil-safe.
func (c *ThreadCache) threadOf(id string) string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil {
		return e.thread
	}
	return ""
}

// snapshot returns copies of the entries of a thread, reading the thread
// once on first use: its thread document and each comment by _id.
func (c *ThreadCache) snapshot(ctx context.Context, db *DB, targetType, targetID string) ([]threadEntry, error) {
	out, _, _, err := c.snapshotAt(ctx, db, targetType, targetID)
	return out, err
}

// snapshotAt is snapshot with the thread's version and the epoch it is of.
func (c *ThreadCache) snapshotAt(ctx context.Context, db *DB, targetType, targetID string) ([]threadEntry, uint64, uint64, error) {
	t := threadID(targetType, targetID)
	if out, ver, epoch, ok := c.copyOf(t); ok {
		return out, ver, epoch, nil
	}
	c.rw.Lock()
	defer c.rw.Unlock()
	if out, ver, epoch, ok := c.copyOf(t); ok {
		return out, ver, epoch, nil
	}
	loaded, err := loadThread(ctx, db, targetType, targetID)
	if err != nil {
		return nil, 0, 0, err
	}
	if c.afterLoad != nil {
		c.afterLoad()
	}
	m := make(map[string]*threadEntry, len(loaded))
	c.mu.Lock()
	for _, e := range loaded {
		m[e.id], c.byID[e.id] = e, e
	}
	c.threads[t] = m
	c.changed(t)
	c.mu.Unlock()
	out, ver, epoch, _ := c.copyOf(t)
	return out, ver, epoch, nil
}

func (c *ThreadCache) copyOf(thread string) ([]threadEntry, uint64, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.threads[thread]
	if !ok {
		return nil, 0, 0, false
	}
	out := make([]threadEntry, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	return out, c.ver[thread], c.epoch, true
}

// loadThread reads the shape of a thread: its ids from the thread's
// documents (readThreadIDs), then each comment by _id without its text.
func loadThread(ctx context.Context, db *DB, targetType, targetID string) ([]*threadEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, warmTimeout)
	defer cancel()
	thread := threadID(targetType, targetID)
	ids, found, err := readThreadIDs(ctx, db, thread)
	if err != nil || !found {
		return nil, err
	}
	proj := options.FindOne().SetProjection(bson.D{{Key: "parent_id", Value: 1}, {Key: "created_at", Value: 1},
		{Key: "up", Value: 1}, {Key: "down", Value: 1}, {Key: "deleted", Value: 1}})
	out := make([]*threadEntry, 0, len(ids))
	for _, id := range ids {
		o, err := bson.ObjectIDFromHex(id)
		if err != nil {
			continue
		}
		var d commentDoc
		if err := db.C("comments").FindOne(ctx, bson.D{{Key: "_id", Value: o}}, proj).Decode(&d); err == mongo.ErrNoDocuments {
			continue
		} else if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, &threadEntry{id: id, parent: d.ParentID, thread: thread, created: d.CreatedAt.UTC(), up: d.Up, down: d.Down, deleted: d.Deleted})
	}
	return out, nil
}

// oldestFirst is the order of a thread by creation; ids break ties.
func oldestFirst(a, b threadEntry) int {
	return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.id, b.id))
}

// orderEntries sorts top-level entries as ListThread's indexed queries do.
func orderEntries(top []threadEntry, order string) {
	switch order {
	case mitreden.OrderNewest:
		slices.SortFunc(top, func(a, b threadEntry) int { return oldestFirst(b, a) })
	case mitreden.OrderBest:
		slices.SortFunc(top, func(a, b threadEntry) int {
			return cmp.Or(cmp.Compare(b.up-b.down, a.up-a.down), oldestFirst(a, b))
		})
	default:
		slices.SortFunc(top, oldestFirst)
	}
}

// pageOf chooses the page q asks for from a thread's entries: the ids of
// its top-level comments in order and of their replies oldest first.
func pageOf(all []threadEntry, q mitreden.ThreadQuery) (top, replies []string, p *mitreden.ThreadPage) {
	p = &mitreden.ThreadPage{}
	var tops []threadEntry
	for _, e := range all {
		if !e.deleted {
			p.Visible++
		}
		if e.parent == "" {
			tops = append(tops, e)
		}
	}
	p.TopTotal = len(tops)
	orderEntries(tops, q.Order)
	page, per := mitreden.NormalizePage(q.Page, q.PerPage)
	from := min((page-1)*per, len(tops))
	shown := map[string]bool{}
	for _, e := range tops[from:min(from+per, len(tops))] {
		top = append(top, e.id)
		shown[e.id] = true
	}
	slices.SortFunc(all, oldestFirst)
	// One pass per level, as the indexed queries do: a reply's date need
	// not follow its parent's (seeded data).
	for range mitreden.CommentMaxDepth {
		for _, e := range all {
			if e.parent != "" && shown[e.parent] && !shown[e.id] {
				shown[e.id] = true
			}
		}
	}
	for _, e := range all {
		if e.parent != "" && shown[e.id] {
			replies = append(replies, e.id)
		}
	}
	return top, replies, p
}

// listThreadCached answers ListThread from the cached shape of the thread
// and one lookup by _id per comment shown.
func (s *ParticipationStore) listThreadCached(ctx context.Context, q mitreden.ThreadQuery) (*mitreden.ThreadPage, error) {
	tc := s.db.threads
	key := pageKey{thread: threadID(q.TargetType, q.TargetID), order: q.Order, page: q.Page, per: q.PerPage}
	m, ok := tc.page(key)
	if !ok {
		all, ver, epoch, err := tc.snapshotAt(ctx, s.db, q.TargetType, q.TargetID)
		if err != nil {
			return nil, err
		}
		top, replies, p := pageOf(all, q)
		m = pageMemo{ver: ver, epoch: epoch, top: top, replies: replies, p: *p}
		tc.keepPage(key, m)
	}
	top, replies, p := m.top, m.replies, &mitreden.ThreadPage{TopTotal: m.p.TopTotal, Visible: m.p.Visible}
	var err error
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	read := func(ids []string) ([]*mitreden.Comment, error) {
		out := make([]*mitreden.Comment, 0, len(ids))
		for _, id := range ids {
			o, _ := bson.ObjectIDFromHex(id)
			var d commentDoc
			if err := s.db.C("comments").findID(ctx, o, &d); err == mongo.ErrNoDocuments {
				continue // removed around the store (by hand)
			} else if err != nil {
				return nil, mapErr(err)
			}
			out = append(out, d.domain())
		}
		return out, nil
	}
	if p.Top, err = read(top); err != nil {
		return nil, err
	}
	if p.Replies, err = read(replies); err != nil {
		return nil, err
	}
	return p, nil
}

// topLevelRankCached answers TopLevelRank from the cached shape.
func (s *ParticipationStore) topLevelRankCached(ctx context.Context, cm *mitreden.Comment) (int, error) {
	all, err := s.db.threads.snapshot(ctx, s.db, cm.TargetType, cm.TargetID)
	if err != nil {
		return 0, err
	}
	at := threadEntry{id: cm.ID, created: cm.CreatedAt.UTC()}
	n := 0
	for _, e := range all {
		if e.parent == "" && oldestFirst(e, at) < 0 {
			n++
		}
	}
	return n, nil
}
