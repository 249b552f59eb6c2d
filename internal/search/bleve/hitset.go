package bleve

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// hitSet is the set of documents a first, unscored pass of a query matched:
// one bitmap of segment-local document numbers per segment of the snapshot
// it ran on.
type hitSet struct {
	segments []uint64 // segment ids, in snapshot order
	offsets  []uint64 // first global document number of each segment
	hits     []*roaring.Bitmap
	total    uint64
}

// hitSetQuery matches the documents of a hitSet, scoring nothing. As the
// first clause of a conjunction with the scored text query it leads: the
// conjunction then visits exactly the matching documents instead of leaping
// between the postings of frequent words, which is most of the work of a
// scored query with many hits. Counting the same matches unscored takes
// bitmap operations only.
type hitSetQuery struct {
	set *hitSet
	// filters is what the set was collected with besides the text; it
	// stands in for the set on another snapshot.
	filters query.Query
	// none makes the query match nothing off the set's snapshot instead.
	none bool
	// strayed, when set, records that a searcher ran off the set's snapshot:
	// the parts of a split search each take their own snapshot, and a part
	// that matched nothing there lost its share of the hits.
	strayed *atomic.Bool
}

// Searcher implements query.Query. On a snapshot other than the one the set
// was collected on (a write came in between) it matches what the filters
// match, unscored, so the conjunction with the text finds what the first
// pass would have.
func (q *hitSetQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok || q.set == nil || !q.set.sameSegments(snap) {
		if q.strayed != nil {
			q.strayed.Store(true)
		}
		if q.none {
			return searcher.NewMatchNoneSearcher(r)
		}
		opts.Score = "none"
		return q.filters.Searcher(ctx, r, m, opts)
	}
	s := &hitSetSearcher{set: q.set, its: make([]roaring.IntPeekable, len(q.set.hits))}
	for i, h := range q.set.hits {
		s.its[i] = h.Iterator()
	}
	return s, nil
}

func (s *hitSet) sameSegments(snap *scorch.IndexSnapshot) bool {
	segs := snap.Segments()
	if len(segs) != len(s.segments) {
		return false
	}
	for i, seg := range segs {
		if seg.Id() != s.segments[i] {
			return false
		}
	}
	return true
}

// newHitSet returns an empty set for the segments of snap.
func newHitSet(snap *scorch.IndexSnapshot) *hitSet {
	segs := snap.Segments()
	s := &hitSet{segments: make([]uint64, len(segs)), offsets: make([]uint64, len(segs)), hits: make([]*roaring.Bitmap, len(segs))}
	var running uint64
	for i, seg := range segs {
		s.segments[i], s.offsets[i] = seg.Id(), running
		running += seg.Segment().Count()
		s.hits[i] = roaring.New()
	}
	return s
}

// locate returns the segment holding global document number num, trying cur
// first.
func (s *hitSet) locate(num uint64, cur int) int {
	if num >= s.offsets[cur] && (cur+1 == len(s.offsets) || num < s.offsets[cur+1]) {
		return cur
	}
	i, found := slices.BinarySearch(s.offsets, num)
	if !found {
		i--
	}
	return i
}

// hitSetSearcher iterates a hitSet in document order.
type hitSetSearcher struct {
	set *hitSet
	its []roaring.IntPeekable
	seg int
}

func (s *hitSetSearcher) match(ctx *search.SearchContext) *search.DocumentMatch {
	for ; s.seg < len(s.its); s.seg++ {
		if it := s.its[s.seg]; it.HasNext() {
			dm := ctx.DocumentMatchPool.Get()
			dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID, s.set.offsets[s.seg]+uint64(it.Next()))
			return dm
		}
	}
	return nil
}

func (s *hitSetSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	return s.match(ctx), nil
}

func (s *hitSetSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	num := id.Value()
	if s.seg >= len(s.its) {
		return nil, nil
	}
	if seg := s.set.locate(num, s.seg); seg > s.seg {
		s.seg = seg
	} else if seg < s.seg {
		return s.match(ctx), nil
	}
	s.its[s.seg].AdvanceIfNeeded(uint32(num - s.set.offsets[s.seg]))
	return s.match(ctx), nil
}

func (s *hitSetSearcher) Close() error               { return nil }
func (s *hitSetSearcher) Weight() float64            { return 0 }
func (s *hitSetSearcher) SetQueryNorm(float64)       {}
func (s *hitSetSearcher) Count() uint64              { return s.set.total }
func (s *hitSetSearcher) Min() int                   { return 0 }
func (s *hitSetSearcher) Size() int                  { return 64 }
func (s *hitSetSearcher) DocumentMatchPoolSize() int { return 1 }
