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
// consultation. In that mode one process owns the data, and every write to
// proposals goes through this package; so the sort keys of the proposals are
// kept in memory, loaded once per consultation and changed with every write,
// and a page costs one lookup by _id per proposal shown.

// CacheListings keeps the proposal sort keys in memory. Only for a store no
// other process writes to: the embedded engine, whose data dir one process
// holds.
func CacheListings() Option { return func(d *DB) { d.lists = newListCache() } }

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

// listCache holds the sort keys of every proposal once loaded: the embedded
// engine scans the whole collection for any filter, so one scan loads all
// consultations at once.
type listCache struct {
	mu      sync.Mutex
	full    bool                             // everything is loaded
	byC     map[string]map[string]*listEntry // consultation → proposal id → entry
	entries map[string]*listEntry            // proposal id → entry
}

func newListCache() *listCache {
	return &listCache{byC: map[string]map[string]*listEntry{}, entries: map[string]*listEntry{}}
}

// reset forgets everything (after a bulk write or a failed one).
func (c *listCache) reset() {
	c.mu.Lock()
	c.full, c.byC, c.entries = false, map[string]map[string]*listEntry{}, map[string]*listEntry{}
	c.mu.Unlock()
}

// after applies change to the entry of proposal id once the write
// succeeded; a failed write may or may not have happened, so the cache is
// dropped.
func (c *listCache) after(err error, id string, change func(e *listEntry)) {
	if c == nil {
		return
	}
	if err != nil {
		c.reset()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[id]; e != nil {
		change(e)
	}
}

// add records a new proposal when the cache is loaded.
func (c *listCache) add(p *mitreden.Proposal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		c.put(entryOf(p))
	}
}

// put stores e; the caller holds mu.
func (c *listCache) put(e *listEntry) {
	m := c.byC[e.consultation]
	if m == nil {
		m = map[string]*listEntry{}
		c.byC[e.consultation] = m
	}
	m[e.id], c.entries[e.id] = e, e
}

// copyOf returns copies of the entries of consultation; the caller holds mu.
func (c *listCache) copyOf(consultation string) []listEntry {
	m := c.byC[consultation]
	out := make([]listEntry, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	return out
}

func entryOf(p *mitreden.Proposal) *listEntry {
	return &listEntry{id: p.ID, consultation: p.ConsultationID, rand: p.Rand, created: p.CreatedAt.UTC(), status: p.Status,
		topics: slices.Clone(p.Topics), support: p.Tally.Support, yes: p.Tally.Yes, comments: p.CommentCount}
}

// snapshot returns copies of the entries of consultation, loading every
// proposal's entry with one scan on first use. The scan holds the write
// lock, so no write slips between it and the cache.
func (s *ParticipationStore) snapshot(ctx context.Context, consultation string) ([]listEntry, error) {
	c := s.db.lists
	c.mu.Lock()
	if c.full {
		defer c.mu.Unlock()
		return c.copyOf(consultation), nil
	}
	c.mu.Unlock()
	if err := s.WarmListings(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.copyOf(consultation), nil
}

// warmTimeout bounds the scan that loads the listing cache.
const warmTimeout = 2 * time.Minute

// WarmListings loads the listing cache (CacheListings) unless it is loaded,
// so the first visitor of a consultation page does not wait for the scan.
func (s *ParticipationStore) WarmListings(ctx context.Context) error {
	c := s.db.lists
	if c == nil {
		return nil
	}
	// The write lock, but a deadline of its own: one scan of every proposal
	// takes seconds at tens of thousands.
	if s.db.serial != nil {
		s.db.serial.Lock()
		defer s.db.serial.Unlock()
	}
	wctx, cancel := context.WithTimeout(ctx, warmTimeout)
	defer cancel()
	c.mu.Lock()
	full := c.full
	c.mu.Unlock()
	if full {
		return nil
	}
	proj := bson.D{{Key: "title", Value: 0}, {Key: "body", Value: 0}, {Key: "answer", Value: 0}}
	cur, err := s.db.C("proposals").Find(wctx, bson.D{}, options.Find().SetProjection(proj))
	if err != nil {
		return mapErr(err)
	}
	var docs []proposalDoc
	if err := cur.All(wctx, &docs); err != nil {
		return mapErr(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range docs {
		c.put(entryOf(docs[i].domain()))
	}
	c.full = true
	return nil
}

// listCached is ListProposals on the cached sort keys.
func (s *ParticipationStore) listCached(ctx context.Context, f mitreden.ProposalFilter) ([]*mitreden.Proposal, int, error) {
	all, err := s.snapshot(ctx, f.ConsultationID)
	if err != nil {
		return nil, 0, err
	}
	list := slices.DeleteFunc(all, func(e listEntry) bool {
		return f.Status != "" && e.status != f.Status || f.Topic != "" && !slices.Contains(e.topics, f.Topic)
	})
	// The orders are those of the indexed queries in ListProposals.
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
		p, err := s.FindProposal(ctx, e.id)
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			// Removed behind the store's back (by hand): reload next time.
			s.db.lists.reset()
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, len(list), nil
}
