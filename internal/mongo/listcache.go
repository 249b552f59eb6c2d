package mongo

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The embedded engine filters and sorts by scanning the whole collection, so
// a consultation page listing 20 proposals would read every proposal of every
// consultation. In that mode one process owns the data; so the sort keys of
// the proposals are kept in memory, loaded once and changed with every
// write, and a page costs one lookup by _id per proposal shown.

// CacheListings keeps the proposal sort keys in memory (a ListingCache
// around the proposal store). Only for a store no other process writes to:
// the embedded engine, whose data dir one process holds.
func CacheListings() Option {
	return func(d *DB) { d.lists = NewListingCache(&ProposalStore{db: d}) }
}

// ListingCache is a mitreden.ProposalStore that answers ListProposals from
// the sort keys of every proposal kept in memory, and passes everything else
// to the store it wraps. Every write goes through it, so none can forget to
// update the keys; it implements each method of the interface itself
// (nothing is promoted from the inner store), so a write added to the
// interface does not compile here until it keeps the cache right.
type ListingCache struct {
	inner mitreden.ProposalStore
	// rw orders writes and loading: a write holds it shared from the inner
	// write until the keys follow, a load (or a reset) exclusively, so no
	// write slips between a load's scan and its keys.
	rw sync.RWMutex

	mu      sync.Mutex
	full    bool                             // everything is loaded
	byC     map[string]map[string]*listEntry // consultation → proposal id → entry
	entries map[string]*listEntry            // proposal id → entry
}

var _ mitreden.ProposalStore = (*ListingCache)(nil)

// NewListingCache wraps inner; the keys are loaded on first use or by Warm.
func NewListingCache(inner mitreden.ProposalStore) *ListingCache {
	return &ListingCache{inner: inner, byC: map[string]map[string]*listEntry{}, entries: map[string]*listEntry{}}
}

// listEntry is what a proposal is filtered and sorted by.
type listEntry struct {
	id, consultation string
	rand             int64
	created          time.Time
	status           string
	topics           []string
	support, yes     int
	comments         int
}

func entryOf(p *mitreden.Proposal) *listEntry {
	return &listEntry{id: p.ID, consultation: p.ConsultationID, rand: p.Rand, created: p.CreatedAt.UTC(), status: p.Status,
		topics: slices.Clone(p.Topics), support: p.Tally.Support, yes: p.Tally.Yes, comments: p.CommentCount}
}

// Forget drops the keys, to be loaded again on next use: after a write
// around the cache (bulk seeding, dropping the database). Nil-safe.
func (c *ListingCache) Forget() {
	if c == nil {
		return
	}
	c.rw.Lock()
	defer c.rw.Unlock()
	c.reset()
}

// reset forgets everything; the caller holds rw (either way).
func (c *ListingCache) reset() {
	c.mu.Lock()
	c.full, c.byC, c.entries = false, map[string]map[string]*listEntry{}, map[string]*listEntry{}
	c.mu.Unlock()
}

// written brings the keys of proposal id in line after an inner write that
// returned err: change runs once it succeeded; an error that says nothing
// was written (conflict, not found, invalid) changes nothing; any other
// error leaves it open whether the write happened, so the keys are dropped.
// The caller holds rw shared.
func (c *ListingCache) written(err error, id string, change func(e *listEntry)) {
	switch mitreden.ErrorCode(err) {
	case "":
	case mitreden.ECONFLICT, mitreden.ENOTFOUND, mitreden.EINVALID:
		return
	default:
		c.reset()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[id]; e != nil {
		change(e)
	}
}

// put stores e; the caller holds mu.
func (c *ListingCache) put(e *listEntry) {
	m := c.byC[e.consultation]
	if m == nil {
		m = map[string]*listEntry{}
		c.byC[e.consultation] = m
	}
	m[e.id], c.entries[e.id] = e, e
}

// CreateProposal creates p in the inner store and adds its keys.
func (c *ListingCache) CreateProposal(ctx context.Context, p *mitreden.Proposal) error {
	c.rw.RLock()
	defer c.rw.RUnlock()
	err := c.inner.CreateProposal(ctx, p)
	if err != nil {
		c.written(err, "", nil)
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		c.put(entryOf(p))
	}
	return nil
}

// StaleHTMLProposals reads from the inner store.
func (c *ListingCache) StaleHTMLProposals(ctx context.Context, version int) ([]string, error) {
	return c.inner.StaleHTMLProposals(ctx, version)
}

// SetProposalHTML writes to the inner store; HTML is no sort key.
func (c *ListingCache) SetProposalHTML(ctx context.Context, p *mitreden.Proposal) error {
	return c.inner.SetProposalHTML(ctx, p)
}

// FindProposal reads from the inner store.
func (c *ListingCache) FindProposal(ctx context.Context, id string) (*mitreden.Proposal, error) {
	return c.inner.FindProposal(ctx, id)
}

// UpdateProposalContent edits in the inner store; the topics follow.
func (c *ListingCache) UpdateProposalContent(ctx context.Context, p *mitreden.Proposal) error {
	c.rw.RLock()
	defer c.rw.RUnlock()
	err := c.inner.UpdateProposalContent(ctx, p)
	topics := slices.Clone(p.Topics)
	c.written(err, p.ID, func(e *listEntry) { e.topics = topics })
	return err
}

// SetProposalStatus writes to the inner store; the status follows.
func (c *ListingCache) SetProposalStatus(ctx context.Context, p *mitreden.Proposal) error {
	c.rw.RLock()
	defer c.rw.RUnlock()
	err := c.inner.SetProposalStatus(ctx, p)
	status := p.Status
	c.written(err, p.ID, func(e *listEntry) { e.status = status })
	return err
}

// IncProposalCounts writes to the inner store; the sort counters follow.
func (c *ListingCache) IncProposalCounts(ctx context.Context, id string, t mitreden.Tally, comments int, alignment string) error {
	c.rw.RLock()
	defer c.rw.RUnlock()
	err := c.inner.IncProposalCounts(ctx, id, t, comments, alignment)
	c.written(err, id, func(e *listEntry) {
		e.support += t.Support
		e.yes += t.Yes
		e.comments += comments
	})
	return err
}

// ProposalCounts reads from the inner store.
func (c *ListingCache) ProposalCounts(ctx context.Context, id string) (mitreden.ProposalCounts, error) {
	return c.inner.ProposalCounts(ctx, id)
}

// SetProposalCounts writes to the inner store; the sort counters follow.
func (c *ListingCache) SetProposalCounts(ctx context.Context, from, to mitreden.ProposalCounts) error {
	c.rw.RLock()
	defer c.rw.RUnlock()
	err := c.inner.SetProposalCounts(ctx, from, to)
	c.written(err, from.ID, func(e *listEntry) { e.support, e.yes, e.comments = to.Tally.Support, to.Tally.Yes, to.Comments })
	return err
}

// AllProposals streams from the inner store.
func (c *ListingCache) AllProposals(ctx context.Context, yield func(*mitreden.Proposal) error) error {
	return c.inner.AllProposals(ctx, yield)
}

// warmTimeout bounds the scan that loads the listing cache.
const warmTimeout = 2 * time.Minute

// listingLoader is implemented by an inner store that can read the sort
// keys of every proposal cheaper than AllProposals (without the texts).
type listingLoader interface {
	allListingKeys(ctx context.Context, yield func(*mitreden.Proposal) error) error
}

// Warm loads the keys unless they are loaded, so the first visitor of a
// consultation page does not wait for the scan.
func (c *ListingCache) Warm(ctx context.Context) error {
	c.mu.Lock()
	full := c.full
	c.mu.Unlock()
	if full {
		return nil
	}
	c.rw.Lock()
	defer c.rw.Unlock()
	c.mu.Lock()
	full = c.full
	c.mu.Unlock()
	if full {
		return nil
	}
	// A deadline of its own: one scan of every proposal takes seconds at
	// tens of thousands.
	wctx, cancel := context.WithTimeout(ctx, warmTimeout)
	defer cancel()
	scan := c.inner.AllProposals
	if l, ok := c.inner.(listingLoader); ok {
		scan = l.allListingKeys
	}
	var loaded []*listEntry
	if err := scan(wctx, func(p *mitreden.Proposal) error { loaded = append(loaded, entryOf(p)); return nil }); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range loaded {
		c.put(e)
	}
	c.full = true
	return nil
}

// snapshot returns copies of the entries of consultation, loading every
// proposal's keys with one scan on first use.
func (c *ListingCache) snapshot(ctx context.Context, consultation string) ([]listEntry, error) {
	if err := c.Warm(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.byC[consultation]
	out := make([]listEntry, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	return out, nil
}

// ListProposals is the inner store's ListProposals on the cached keys: the
// orders are those of the indexed queries of ProposalStore.ListProposals.
func (c *ListingCache) ListProposals(ctx context.Context, f mitreden.ProposalFilter) ([]*mitreden.Proposal, int, error) {
	all, err := c.snapshot(ctx, f.ConsultationID)
	if err != nil {
		return nil, 0, err
	}
	list := slices.DeleteFunc(all, func(e listEntry) bool {
		return f.Status != "" && e.status != f.Status || f.Topic != "" && !slices.Contains(e.topics, f.Topic)
	})
	switch f.Sort {
	case "supported":
		slices.SortFunc(list, func(a, b listEntry) int {
			return cmp.Or(cmp.Compare(b.support, a.support), cmp.Compare(b.yes, a.yes), cmp.Compare(a.id, b.id))
		})
	case "newest":
		slices.SortFunc(list, func(a, b listEntry) int {
			return cmp.Or(b.created.Compare(a.created), cmp.Compare(b.id, a.id))
		})
	case "commented":
		slices.SortFunc(list, func(a, b listEntry) int {
			return cmp.Or(cmp.Compare(b.comments, a.comments), cmp.Compare(a.id, b.id))
		})
	default:
		// Random: by stored position, rotated to start at the visitor's seed.
		slices.SortFunc(list, func(a, b listEntry) int { return cmp.Or(cmp.Compare(a.rand, b.rand), cmp.Compare(a.id, b.id)) })
		at := sort.Search(len(list), func(i int) bool { return list[i].rand >= f.Seed })
		list = slices.Concat(list[at:], list[:at])
	}
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	from := min((page-1)*per, len(list))
	shown := list[from:min(from+per, len(list))]
	out := make([]*mitreden.Proposal, 0, len(shown))
	for _, e := range shown {
		p, err := c.inner.FindProposal(ctx, e.id)
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			// Removed around the store (by hand): reload next time.
			c.Forget()
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, len(list), nil
}

// allListingKeys streams every proposal without its texts, for the
// ListingCache to load its keys.
func (s *ProposalStore) allListingKeys(ctx context.Context, yield func(*mitreden.Proposal) error) error {
	proj := bson.D{{Key: "title", Value: 0}, {Key: "body", Value: 0}, {Key: "answer", Value: 0}}
	cur, err := s.db.C("proposals").Find(ctx, bson.D{}, options.Find().SetProjection(proj))
	if err != nil {
		return mapErr(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d proposalDoc
		if err := cur.Decode(&d); err != nil {
			return mapErr(err)
		}
		if err := yield(d.domain()); err != nil {
			return err
		}
	}
	return mapErr(cur.Err())
}

// WarmListings loads the listing cache (CacheListings) unless it is loaded
// or there is none.
func (s *ParticipationStore) WarmListings(ctx context.Context) error {
	if s.db.lists == nil {
		return nil
	}
	return s.db.lists.Warm(ctx)
}
