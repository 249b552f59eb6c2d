package bleve

import (
	"context"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// windowFactor is how many more hits than the page needs a date window
// should hold, by the estimate, so one window mostly suffices.
const windowFactor = 4

// windowMinHits is the total below which a newest-first page sorts every hit:
// reading the sort key of a few thousand hits is cheaper than a second query.
const windowMinHits = 4000

// newestPage returns the hits of the page of q sorted newest first, for
// requests of which counted (total and facets, from a first unsorted pass)
// found total hits. Sorting reads the sort key of every hit it sees, which
// dominates a listing with many hits; so when there are many, the page is
// looked for among the newest documents only: in a date window at the top
// that should hold windowFactor times the hits the page needs if hits spread
// evenly over time, widened fourfold until it holds enough.
func newestPage(ctx context.Context, idx bleve.Index, eq query.Query, page func(query.Query) *bleve.SearchRequest,
	need, total int) (*bleve.SearchResult, error) {
	if total < windowMinHits || total <= windowFactor*need {
		return idx.SearchInContext(ctx, page(eq))
	}
	first, last, ok := createdBounds(idx)
	if !ok {
		return idx.SearchInContext(ctx, page(eq))
	}
	span := last.Sub(first)
	w := time.Duration(float64(span) * float64(windowFactor*need) / float64(total))
	for {
		from := last.Add(-w)
		if w >= span || !from.After(first) {
			return idx.SearchInContext(ctx, page(eq))
		}
		incl := true
		dq := query.NewDateRangeInclusiveQuery(from, time.Time{}, &incl, nil)
		dq.SetField(fieldCreated)
		bq := query.NewBooleanQuery([]query.Query{eq}, nil, nil)
		bq.AddFilter(dq)
		res, err := idx.SearchInContext(ctx, page(bq))
		if err != nil || int(res.Total) >= need {
			return res, err
		}
		if w > span/windowFactor {
			w = span
		} else {
			w *= windowFactor
		}
	}
}

// createdBounds returns the oldest and newest creation time in idx, read
// from the sort key's dictionary: its first term, and the last one found by
// bisecting the key space.
func createdBounds(idx bleve.Index) (first, last time.Time, ok bool) {
	r, release, err := snapshotOf(idx)
	if err != nil {
		return first, last, false
	}
	defer release()
	lowest, ok := firstTermFrom(r, nil)
	if !ok {
		return first, last, false
	}
	lo, hi := keyValue(lowest), uint64(1)<<63-1
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if _, ok := firstTermFrom(r, []byte(keyFromValue(mid))); ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return keyTime(keyValue(lowest)), keyTime(lo), true
}

// firstTermFrom returns the first created_key term at or after start.
func firstTermFrom(r index.IndexReader, start []byte) (string, bool) {
	d, err := r.FieldDictRange(fieldCreatedKey, start, nil)
	if err != nil {
		return "", false
	}
	defer d.Close()
	e, err := d.Next()
	if err != nil || e == nil {
		return "", false
	}
	return e.Term, true
}

// pageRequest returns the request for one page of q's hits sorted newest
// first by the sort key, without facets.
func pageRequest(size, from int, scored bool) func(query.Query) *bleve.SearchRequest {
	return func(q query.Query) *bleve.SearchRequest {
		req := bleve.NewSearchRequestOptions(q, size, from, false)
		req.Fields = storedFields
		req.SortByCustom(search.SortOrder{&search.SortField{Field: fieldCreatedKey, Desc: true, Type: search.SortFieldAsString}})
		if !scored {
			req.Score = bleve.ScoreNone
		}
		return req
	}
}
