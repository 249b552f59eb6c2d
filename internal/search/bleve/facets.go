package bleve

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// maxFacetValues bounds the values listed per facet.
const maxFacetValues = 50

// facetFields maps each facet key to its keyword field.
var facetFields = map[string]string{
	mitreden.FacetType:   fieldType,
	mitreden.FacetStatus: fieldStatus,
	mitreden.FacetTopic:  fieldTopics,
}

// facetCounter counts facets over all hits of a search without reading any
// per-document value: it collects the hits in a hitSet while Bleve collects
// the page, then intersects it with the postings of each facet value.
// Bleve's own facets read the doc values of every hit, decompressing a block
// of 1,024 documents per field for each hit in a new block, which dominates
// a search with many scattered hits.
type facetCounter struct {
	set    *hitSet
	facets map[string][]mitreden.FacetCount
}

// handler is a search.MakeDocumentMatchHandler: it wraps the collector's
// default handler, records every hit and counts the facets when the
// collector flushes, while the index snapshot is still open.
func (fc *facetCounter) handler(sctx *search.SearchContext) (search.DocumentMatchHandler, bool, error) {
	next, loadID, err := collector.MakeTopNDocumentMatchHandler(sctx)
	if err != nil {
		return nil, false, err
	}
	snap, ok := sctx.IndexReader.(*scorch.IndexSnapshot)
	if !ok {
		return nil, false, fmt.Errorf("facets need a scorch index, not %T", sctx.IndexReader)
	}
	set := newHitSet(snap)
	cur := 0
	return func(d *search.DocumentMatch) error {
		if d == nil {
			fc.set = set
			fc.facets, err = countFacets(snap, set.hits)
			if err != nil {
				return err
			}
			return next(nil)
		}
		// Hits come in document order, so the segment rarely changes.
		num := d.IndexInternalID.Value()
		cur = set.locate(num, cur)
		set.hits[cur].Add(uint32(num - set.offsets[cur]))
		set.total++
		return next(d)
	}, loadID, nil
}

// countFacets counts, for every value of every facet field, the hits whose
// documents carry it.
func countFacets(snap *scorch.IndexSnapshot, hits []*roaring.Bitmap) (map[string][]mitreden.FacetCount, error) {
	out := make(map[string][]mitreden.FacetCount, len(facetFields))
	empty := true
	for _, h := range hits {
		empty = empty && h.IsEmpty()
	}
	for name, field := range facetFields {
		out[name] = []mitreden.FacetCount{}
		if empty {
			continue
		}
		counts, err := countField(snap, field, hits)
		if err != nil {
			return nil, err
		}
		out[name] = counts
	}
	return out, nil
}

// trimFacets orders each facet's values by count, then value, and keeps the
// first maxFacetValues.
func trimFacets(facets map[string][]mitreden.FacetCount) map[string][]mitreden.FacetCount {
	for name, counts := range facets {
		slices.SortFunc(counts, func(a, b mitreden.FacetCount) int {
			return cmp.Or(b.Count-a.Count, strings.Compare(a.Value, b.Value))
		})
		facets[name] = counts[:min(len(counts), maxFacetValues)]
	}
	return facets
}

func countField(snap *scorch.IndexSnapshot, field string, hits []*roaring.Bitmap) ([]mitreden.FacetCount, error) {
	segs := snap.Segments()
	dicts := make([]segment.TermDictionary, len(segs))
	for i, s := range segs {
		if hits[i].IsEmpty() {
			continue
		}
		d, err := s.Segment().Dictionary(field)
		if err != nil {
			return nil, err
		}
		dicts[i] = d
	}
	fd, err := snap.FieldDict(field)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	var out []mitreden.FacetCount
	var pl segment.PostingsList
	var it segment.PostingsIterator
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		n := uint64(0)
		for i, d := range dicts {
			if d == nil {
				continue
			}
			if pl, err = d.PostingsList([]byte(e.Term), nil, pl); err != nil {
				return nil, err
			}
			it = pl.Iterator(false, false, false, it)
			n += intersection(hits[i], pl, it)
		}
		if n > 0 {
			out = append(out, mitreden.FacetCount{Value: e.Term, Count: int(n)})
		}
	}
}

// intersection counts the documents of the postings list pl (iterated by it)
// among hits.
func intersection(hits *roaring.Bitmap, pl segment.PostingsList, it segment.PostingsIterator) uint64 {
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			return hits.AndCardinality(bm)
		}
		if num, ok := o.DocNum1Hit(); ok {
			if hits.Contains(uint32(num)) {
				return 1
			}
			return 0
		}
	}
	// Not an optimizable iterator: walk the postings.
	n := uint64(0)
	for {
		p, err := it.Next()
		if err != nil || p == nil {
			return n
		}
		if hits.Contains(uint32(p.Number())) {
			n++
		}
	}
}
