package bleve

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A search over many documents runs as several searches over disjoint ranges
// of document numbers at once, one per core, and merges their pages, totals
// and facets: Bleve walks a query's matches in one goroutine, so a query
// with tens of thousands of matches would otherwise use one core of the
// machine and leave the others idle.

// DefaultParallelFrom is the index size from which searches are split.
const DefaultParallelFrom = 50_000

// maxParallelParts bounds the parts a search splits into.
const maxParallelParts = 4

// maxParallelDepth is the deepest hit (page × page size) a split search
// serves: every part collects that many hits, which a deep page makes costly.
const maxParallelDepth = 500

// SetParallelFrom sets the number of indexed documents from which a search
// is split across cores (DefaultParallelFrom unless set; 0 never splits).
func (x *Index) SetParallelFrom(n int) {
	x.parallelFrom.Store(int64(n))
}

// bounds returns the first document number of every part after the first
// that a search on idx splits into; none when it does not split.
func (x *Index) bounds(idx bleve.Index, depth int) []uint64 {
	from := x.parallelFrom.Load()
	n := min(runtime.GOMAXPROCS(0), maxParallelParts)
	if from <= 0 || n < 2 || depth > maxParallelDepth {
		return nil
	}
	docs, err := idx.DocCount()
	if err != nil || docs < uint64(from) || docs < uint64(n) {
		return nil
	}
	bounds := make([]uint64, n-1)
	for i := range bounds {
		bounds[i] = docs * uint64(i+1) / uint64(n)
	}
	return bounds
}

// docRange returns the query of part i: documents numbered from bounds[i-1]
// up to bounds[i].
func docRange(bounds []uint64, i int) *docRangeQuery {
	q := &docRangeQuery{lo: 0, hi: math.MaxUint64}
	if i > 0 {
		q.lo = bounds[i-1]
	}
	if i < len(bounds) {
		q.hi = bounds[i]
	}
	return q
}

// docRangeQuery matches the documents numbered in [lo, hi), unscored. In a
// conjunction it never leads (its count is the largest possible), so it only
// bounds the range the other clauses are walked in.
type docRangeQuery struct{ lo, hi uint64 }

// Searcher implements query.Query.
func (q *docRangeQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	return &docRangeSearcher{next: q.lo, hi: q.hi}, nil
}

type docRangeSearcher struct{ next, hi uint64 }

func (s *docRangeSearcher) at(ctx *search.SearchContext, num uint64) *search.DocumentMatch {
	if num >= s.hi {
		s.next = s.hi
		return nil
	}
	s.next = num + 1
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID, num)
	return dm
}

func (s *docRangeSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	return s.at(ctx, s.next), nil
}

func (s *docRangeSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	return s.at(ctx, max(s.next, id.Value())), nil
}

func (s *docRangeSearcher) Close() error               { return nil }
func (s *docRangeSearcher) Weight() float64            { return 0 }
func (s *docRangeSearcher) SetQueryNorm(float64)       {}
func (s *docRangeSearcher) Count() uint64              { return math.MaxUint64 }
func (s *docRangeSearcher) Min() int                   { return 0 }
func (s *docRangeSearcher) Size() int                  { return 32 }
func (s *docRangeSearcher) DocumentMatchPoolSize() int { return 1 }

// counted is what a search collecting facets found: the engine's result, the
// facet counts (untrimmed) and the set of all hits.
type counted struct {
	res    *bleve.SearchResult
	facets map[string][]mitreden.FacetCount
	set    *hitSet
}

// searchCounting runs req, built per part by build (nil bounds: one part),
// counting facets and collecting the hit set. With several parts the pages
// are merged by score (the requests must sort by score), the totals added,
// the facets summed and the hit sets joined.
func searchCounting(ctx context.Context, idx bleve.Index, bounds []uint64,
	build func(part query.Query) *bleve.SearchRequest, from, size int) (*counted, error) {
	run := func(part query.Query) (*counted, error) {
		fc := &facetCounter{}
		fctx := context.WithValue(ctx, search.MakeDocumentMatchHandlerKey, search.MakeDocumentMatchHandler(fc.handler))
		res, err := idx.SearchInContext(fctx, build(part))
		if err != nil {
			return nil, err
		}
		return &counted{res: res, facets: fc.facets, set: fc.set}, nil
	}
	if len(bounds) == 0 {
		return run(nil)
	}
	parts := make([]*counted, len(bounds)+1)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { parts[i], errs[i] = run(docRange(bounds, i)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	results := make([]*bleve.SearchResult, len(parts))
	out := &counted{facets: map[string][]mitreden.FacetCount{}, set: parts[0].set}
	for i, p := range parts {
		results[i] = p.res
		out.facets = addFacets(out.facets, p.facets)
		if i > 0 {
			out.set = out.set.join(p.set)
		}
	}
	out.res = mergeScored(results, from, size)
	return out, nil
}

// searchParts runs one request per hit-set part at once and merges the pages
// by score.
func searchParts(ctx context.Context, idx bleve.Index, reqs []*bleve.SearchRequest, from, size int) (*bleve.SearchResult, error) {
	results := make([]*bleve.SearchResult, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() { results[i], errs[i] = idx.SearchInContext(ctx, req) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return mergeScored(results, from, size), nil
}

// mergeScored merges the pages of parts, each sorted by descending score,
// into hits [from, from+size) of the whole. Equal scores keep the order of
// the parts, which is index order as in one search; a document two parts saw
// (a write between their snapshots) counts once.
func mergeScored(parts []*bleve.SearchResult, from, size int) *bleve.SearchResult {
	out := &bleve.SearchResult{Status: &bleve.SearchStatus{}}
	pos := make([]int, len(parts))
	seen := map[string]bool{}
	for len(out.Hits) < from+size {
		best := -1
		for i, p := range parts {
			if pos[i] < len(p.Hits) && (best < 0 || p.Hits[pos[i]].Score > parts[best].Hits[pos[best]].Score) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		h := parts[best].Hits[pos[best]]
		pos[best]++
		if !seen[h.ID] {
			seen[h.ID] = true
			out.Hits = append(out.Hits, h)
		}
	}
	for _, p := range parts {
		out.Total += p.Total
		out.MaxScore = max(out.MaxScore, p.MaxScore)
	}
	out.Hits = out.Hits[min(from, len(out.Hits)):]
	return out
}

// addFacets adds the counts of b to a.
func addFacets(a, b map[string][]mitreden.FacetCount) map[string][]mitreden.FacetCount {
	for name, counts := range b {
		merged := slices.Clone(a[name])
		for _, c := range counts {
			if i := slices.IndexFunc(merged, func(m mitreden.FacetCount) bool { return m.Value == c.Value }); i >= 0 {
				merged[i].Count += c.Count
			} else {
				merged = append(merged, c)
			}
		}
		a[name] = merged
	}
	return a
}

// join returns the union of s and o when both were collected on the same
// segments, else nil: a later pass then stands in the filters for the set.
func (s *hitSet) join(o *hitSet) *hitSet {
	if s == nil || o == nil || !slices.Equal(s.segments, o.segments) {
		return nil
	}
	out := &hitSet{segments: s.segments, offsets: s.offsets, hits: make([]*roaring.Bitmap, len(s.hits)), total: s.total + o.total}
	for i := range s.hits {
		out.hits[i] = roaring.Or(s.hits[i], o.hits[i])
	}
	return out
}

// split divides the set into n parts of about equal size, in document order.
func (s *hitSet) split(n int) []*hitSet {
	parts := make([]*hitSet, n)
	for k := range parts {
		parts[k] = &hitSet{segments: s.segments, offsets: s.offsets, hits: make([]*roaring.Bitmap, len(s.hits))}
	}
	var rank uint64 // hits in the segments before i
	for i, bm := range s.hits {
		c := bm.GetCardinality()
		for k, p := range parts {
			lo, hi := s.total*uint64(k)/uint64(n), s.total*uint64(k+1)/uint64(n)
			lo, hi = max(lo, rank), min(hi, rank+c)
			p.hits[i] = roaring.New()
			if lo >= hi {
				continue
			}
			first, err1 := bm.Select(uint32(lo - rank))
			last, err2 := bm.Select(uint32(hi - 1 - rank))
			if err1 != nil || err2 != nil {
				continue
			}
			p.hits[i] = bm.Clone()
			p.hits[i].RemoveRange(0, uint64(first))
			p.hits[i].RemoveRange(uint64(last)+1, math.MaxUint32+1)
			p.total += hi - lo
		}
		rank += c
	}
	return parts
}
