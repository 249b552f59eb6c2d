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

// listCache holds the entries of the consultations listed so far.
type listCache struct {
	mu      sync.Mutex
	loaded  map[string]map[string]*listEntry // consultation → proposal id → entry
	entries map[string]*listEntry            // proposal id → entry, of loaded consultations
}

func newListCache() *listCache {
	return &listCache{loaded: map[string]map[string]*listEntry{}, entries: map[string]*listEntry{}}
}

// reset forgets everything (after a bulk write or a failed one).
func (c *listCache) reset() {
	c.mu.Lock()
	c.loaded, c.entries = map[string]map[string]*listEntry{}, map[string]*listEntry{}
	c.mu.Unlock()
}

// after applies change to the entry of proposal id, if its consultation is
// loaded, once the write succeeded; a failed write may or may not have
// happened, so the cache is dropped.
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
	if e := c.entries[id]; e != nil && change != nil {
		change(e)
	}
}

// add records a new proposal when its consultation is loaded.
func (c *listCache) add(p *mitreden.Proposal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.loaded[p.ConsultationID]; m != nil {
		e := entryOf(p)
		m[p.ID], c.entries[p.ID] = e, e
	}
}

func entryOf(p *mitreden.Proposal) *listEntry {
	return &listEntry{id: p.ID, consultation: p.ConsultationID, rand: p.Rand, created: p.CreatedAt.UTC(), status: p.Status,
		topics: slices.Clone(p.Topics), support: p.Tally.Support, yes: p.Tally.Yes, comments: p.CommentCount}
}

// snapshot returns copies of the entries of consultation, loading them with
// one scan on first use. The scan holds the write lock, so no write slips
// between it and the cache.
func (s *ParticipationStore) snapshot(ctx context.Context, consultation string) ([]listEntry, error) {
	c := s.db.lists
	copyOut := func(m map[string]*listEntry) []listEntry {
		out := make([]listEntry, 0, len(m))
		for _, e := range m {
			out = append(out, *e)
		}
		return out
	}
	c.mu.Lock()
	if m := c.loaded[consultation]; m != nil {
		defer c.mu.Unlock()
		return copyOut(m), nil
	}
	c.mu.Unlock()

	wctx, done := s.db.write(ctx)
	defer done()
	c.mu.Lock()
	if m := c.loaded[consultation]; m != nil {
		defer c.mu.Unlock()
		return copyOut(m), nil
	}
	c.mu.Unlock()
	proj := bson.D{{Key: "title", Value: 0}, {Key: "body", Value: 0}, {Key: "answer", Value: 0}}
	cur, err := s.db.C("proposals").Find(wctx, bson.D{{Key: "consultation_id", Value: consultation}}, options.Find().SetProjection(proj))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []proposalDoc
	if err := cur.All(wctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	m := make(map[string]*listEntry, len(docs))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range docs {
		e := entryOf(docs[i].domain())
		m[e.id], c.entries[e.id] = e, e
	}
	c.loaded[consultation] = m
	return copyOut(m), nil
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
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, len(list), nil
}
