package bleve

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A search over many documents scores its hits (found by the first pass on
// bitmaps, see bitmaps.go) in several parts at once, one per core, and
// merges their pages: Bleve walks a query's matches in one goroutine, so a
// query with tens of thousands of matches would otherwise use one core of
// the machine and leave the others idle. A query with a date range, which
// the bitmaps do not cover, runs in one piece.

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

// counted is what a search collecting facets found: the engine's result, the
// facet counts (untrimmed) and the set of all hits.
type counted struct {
	res    *bleve.SearchResult
	facets map[string][]mitreden.FacetCount
	set    *hitSet
}

// searchCounting runs req, counting facets and collecting the hit set.
func searchCounting(ctx context.Context, idx bleve.Index, req *bleve.SearchRequest) (*counted, error) {
	fc := &facetCounter{}
	fctx := context.WithValue(ctx, search.MakeDocumentMatchHandlerKey, search.MakeDocumentMatchHandler(fc.handler))
	res, err := idx.SearchInContext(fctx, req)
	if err != nil {
		return nil, err
	}
	return &counted{res: res, facets: fc.facets, set: fc.set}, nil
}

// partHooks let a test interleave a write with the parts of a split search;
// both are nil outside tests.
var partHooks struct{ before, after func(part int) }

// searchParts runs one request per hit-set part at once and merges the pages
// by score.
func searchParts(ctx context.Context, idx bleve.Index, reqs []*bleve.SearchRequest, from, size int) (*bleve.SearchResult, error) {
	results := make([]*bleve.SearchResult, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			if partHooks.before != nil {
				partHooks.before(i)
			}
			results[i], errs[i] = idx.SearchInContext(ctx, req)
			if partHooks.after != nil {
				partHooks.after(i)
			}
		})
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
