package bleve

import (
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The first pass of a query of several words (its total, facets and hit set)
// is computed here from the postings bitmaps of its terms, without walking
// the matches one by one: per segment, the union of the postings of every
// term a word matches (exact, fuzzy candidates, prefix), intersected over
// the words and the filters, minus the deleted documents. It matches exactly
// what the word queries and filters match; a date range, which the bitmaps
// do not cover, takes the walking path.

// bitmapCountable reports whether q's first pass can run on bitmaps.
func bitmapCountable(q *mitreden.SearchQuery) bool {
	return q.From.IsZero() && q.To.IsZero()
}

// countByBitmaps returns the hit set of words and q's filters on the live
// snapshot of idx, with the facets of those hits. The word queries keep the
// fuzzy candidates they found, as after a search.
func countByBitmaps(idx bleve.Index, q *mitreden.SearchQuery, words []*wordQuery) (*hitSet, map[string][]mitreden.FacetCount, error) {
	snap, release, err := snapshotOf(idx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	return countOnSnapshot(snap, q, words)
}

// snapshotOf opens a snapshot of idx's current segments; call release when
// done with it.
func snapshotOf(idx bleve.Index) (*scorch.IndexSnapshot, func(), error) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, nil, err
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		_ = r.Close()
		return nil, nil, fmt.Errorf("bleve index is not a scorch index: %T", r)
	}
	return snap, func() { _ = r.Close() }, nil
}

// countOnSnapshot is countByBitmaps on snap.
func countOnSnapshot(snap *scorch.IndexSnapshot, q *mitreden.SearchQuery, words []*wordQuery) (*hitSet, map[string][]mitreden.FacetCount, error) {
	memos := make([]*wordMemo, len(words))
	for i, w := range words {
		var err error
		if memos[i], err = w.remember(snap); err != nil {
			return nil, nil, err
		}
	}
	set := newHitSet(snap)
	if q.Text != "" && len(words) == 0 {
		// Only stop words: nothing matches.
		facets, err := countFacets(snap, set.hits)
		return set, facets, err
	}
	for i, seg := range snap.Segments() {
		hits, err := segmentHits(seg, q, words, memos)
		if err != nil {
			return nil, nil, err
		}
		set.hits[i] = hits
		set.total += hits.GetCardinality()
	}
	facets, err := countFacets(snap, set.hits)
	if err != nil {
		return nil, nil, err
	}
	return set, facets, nil
}

// segmentHits returns the documents of one segment that match q's filters
// and every word, whose fuzzy candidates memos holds.
func segmentHits(seg *scorch.SegmentSnapshot, q *mitreden.SearchQuery, words []*wordQuery, memos []*wordMemo) (*roaring.Bitmap, error) {
	var acc *roaring.Bitmap
	and := func(bm *roaring.Bitmap) bool {
		if acc == nil {
			acc = bm
		} else {
			acc.And(bm)
		}
		return !acc.IsEmpty()
	}
	p := &postings{seg: seg.Segment()}
	groups := []struct {
		field  string
		values []string
	}{
		{fieldVisibility, q.Audience.Visibilities()}, {fieldType, q.Types}, {fieldConsultation, q.ConsultationIDs},
		{fieldStatus, q.Statuses}, {fieldTopics, q.Topics},
	}
	if q.Region != "" {
		groups = append(groups, struct {
			field  string
			values []string
		}{fieldRegion, []string{q.Region}})
	}
	for _, g := range groups {
		if len(g.values) == 0 {
			continue
		}
		var union []*roaring.Bitmap
		for _, v := range g.values {
			bm, err := p.term(g.field, v)
			if err != nil {
				return nil, err
			}
			union = append(union, bm)
		}
		if !and(roaring.FastOr(union...)) {
			return acc, nil
		}
	}
	for i, w := range words {
		bm, err := w.bitmap(p, memos[i])
		if err != nil {
			return nil, err
		}
		if !and(bm) {
			return acc, nil
		}
	}
	if acc == nil {
		acc = roaring.New()
	}
	if del := seg.Deleted(); del != nil {
		acc.AndNot(del)
	}
	return acc, nil
}

// bitmap returns the documents of the segment the word matches in any of
// its fields, given its fuzzy candidates memo: what its Searcher matches.
func (q *wordQuery) bitmap(p *postings, memo *wordMemo) (*roaring.Bitmap, error) {
	var union []*roaring.Bitmap
	for li, l := range q.langs() {
		for i, f := range [2]string{l.title, l.body} {
			terms := append([]string{l.term}, memo.terms[li][i]...)
			for _, t := range terms {
				bm, err := p.term(f, t)
				if err != nil {
					return nil, err
				}
				union = append(union, bm)
			}
			if q.t.prefix && l.pre != "" {
				bms, err := p.prefix(f, l.pre)
				if err != nil {
					return nil, err
				}
				union = append(union, bms...)
			}
		}
	}
	return roaring.FastOr(union...), nil
}

// remember returns the word's fuzzy candidates on snap, as its Searcher
// finds them, computing them only when the last memo is of other segments.
// The parts of a split search call it at once on the same snapshot: the
// first computes, the others wait for it and share its memo.
func (q *wordQuery) remember(snap *scorch.IndexSnapshot) (*wordMemo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	segs := segmentIDs(snap)
	if q.memo != nil && slices.Equal(q.memo.segments, segs) {
		return q.memo, nil
	}
	memo := &wordMemo{segments: segs}
	for li, l := range q.langs() {
		if l.fuzz > 0 && hasTerms(snap, l.title, l.body) {
			var err error
			if memo.terms[li], memo.dists[li], err = fuzzyCandidates(snap, [2]string{l.title, l.body}, l.term, l.fuzz); err != nil {
				return nil, err
			}
		}
	}
	q.memo = memo
	return memo, nil
}

// postings reads the postings bitmaps of one segment.
type postings struct {
	seg segment.Segment
	pl  segment.PostingsList
	it  segment.PostingsIterator
}

// term returns the documents holding term in field, as a bitmap of its own:
// the postings list is reused for the next term, which overwrites the
// bitmap it exposes (facets.go counts in place instead, so it needs no copy).
func (p *postings) term(field, term string) (*roaring.Bitmap, error) {
	d, err := p.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	if p.pl, err = d.PostingsList([]byte(term), nil, p.pl); err != nil {
		return nil, err
	}
	p.it = p.pl.Iterator(false, false, false, p.it)
	out := roaring.New()
	if o, ok := p.it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			return bm.Clone(), nil
		}
		if num, ok := o.DocNum1Hit(); ok {
			out.Add(uint32(num))
			return out, nil
		}
	}
	for {
		posting, err := p.it.Next()
		if err != nil {
			return nil, err
		}
		if posting == nil {
			return out, nil
		}
		out.Add(uint32(posting.Number()))
	}
}

// prefix returns the documents of every term in field that starts with pre.
func (p *postings) prefix(field, pre string) ([]*roaring.Bitmap, error) {
	d, err := p.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	it := d.AutomatonIterator(&vellum.AlwaysMatch{}, []byte(pre), exclusiveEnd([]byte(pre)))
	var out []*roaring.Bitmap
	for {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		bm, err := p.term(field, e.Term)
		if err != nil {
			return nil, err
		}
		out = append(out, bm)
	}
}
