package bleve

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
	lev "github.com/blevesearch/vellum/levenshtein"
)

// levBuilders are the Levenshtein automaton builders for one and two edits
// with transpositions, as Bleve's fuzzy queries use; each takes a while to
// build, so they are built once.
var levBuilders = sync.OnceValues(func() ([3]*lev.LevenshteinAutomatonBuilder, error) {
	var b [3]*lev.LevenshteinAutomatonBuilder
	for d := 1; d <= 2; d++ {
		var err error
		if b[d], err = lev.NewLevenshteinAutomatonBuilder(uint8(d), true); err != nil {
			return b, err
		}
	}
	return b, nil
})

// wordQuery matches one query word in the title and body fields of both
// languages: exactly (stemmed), within fuzz edits sharing the first
// fuzzyPrefix runes, and as a prefix when asked. It does what a disjunction
// of term, fuzzy and prefix queries per field does, but builds the fuzzy
// automaton once per language instead of once per field, skips a language
// whose fields hold no terms, and does not search the exact term twice.
type wordQuery struct {
	t term
	// mu guards memo: the parts of a split search build their searchers
	// from one query in several goroutines at once. It is held only while
	// a searcher is built, once per part, never while matches are walked.
	mu sync.Mutex
	// memo keeps the fuzzy candidates of the last snapshot searched, as a
	// search may run the query twice (see Index.run) and its parts share one
	// snapshot. A memo is never changed once stored, so it is read without mu.
	memo *wordMemo
}

// wordMemo is the fuzzy candidates of a word per language and field, found
// on the snapshot of the given segments.
type wordMemo struct {
	segments []uint64
	terms    [2][2][]string
	dists    [2][2][]uint8
}

// wordFields are the fields of one language a word is looked up in.
type wordFields struct {
	title, body string
	term, pre   string
	fuzz        int
}

func (q *wordQuery) langs() [2]wordFields {
	return [2]wordFields{
		{fieldTitleDE, fieldBodyDE, q.t.de, q.t.dePre, q.t.fuzzDE},
		{fieldTitleEN, fieldBodyEN, q.t.en, q.t.enP, q.t.fuzzEN},
	}
}

// Searcher implements query.Query.
func (q *wordQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("word query needs a scorch index, not %T", r)
	}
	var subs []search.Searcher
	fail := func(err error) (search.Searcher, error) {
		for _, s := range subs {
			_ = s.Close()
		}
		return nil, err
	}
	memo, err := q.remember(snap)
	if err != nil {
		return fail(err)
	}
	band := func(s search.Searcher, rank int) search.Searcher {
		if opts.Score == "none" {
			return s
		}
		return &bandSearcher{Searcher: s, band: math.Pow(bandBase, float64(rank))}
	}
	for li, l := range q.langs() {
		if !hasTerms(snap, l.title, l.body) {
			continue
		}
		fuzzy, dists := memo.terms[li], memo.dists[li]
		for i, f := range [2]string{l.title, l.body} {
			title := f == l.title
			s, err := searcher.NewTermSearcher(ctx, r, l.term, f, 1, opts)
			if err != nil {
				return fail(err)
			}
			subs = append(subs, band(s, rankOf(title, matchExact)))
			if len(fuzzy[i]) > 0 {
				s, err := searcher.NewMultiTermSearcherBoosted(ctx, r, fuzzy[i], f, 1, dists[i], opts, true)
				if err != nil {
					return fail(err)
				}
				subs = append(subs, band(s, rankOf(title, matchFuzzy)))
			}
			if q.t.prefix && l.pre != "" {
				s, err := searcher.NewTermPrefixSearcher(ctx, r, l.pre, f, 1, opts)
				if err != nil {
					return fail(err)
				}
				subs = append(subs, band(s, rankOf(title, matchPrefix)))
			}
		}
	}
	if len(subs) == 0 {
		return searcher.NewMatchNoneSearcher(r)
	}
	return searcher.NewDisjunctionSearcher(ctx, r, subs, 1, opts)
}

// How a word matches a term of a field.
const (
	matchExact  = iota // the stemmed word itself
	matchPrefix        // a term it begins (the last word only)
	matchFuzzy         // a term within its typo tolerance
)

// rankOf orders the ways a word matches, as Meilisearch's ranking rules
// typo, attribute and exactness do in that order: without a typo above with
// one, then in the title (or a keyword) above in the body, then exactly
// above as a prefix. So a proposal whose title holds a word ranks above
// comments that merely mention it, however short or repetitive they are,
// while an exact match in the body still beats a typo in a title.
func rankOf(title bool, match int) int {
	switch {
	case match == matchFuzzy && title:
		return 2
	case match == matchFuzzy:
		return 1
	case title && match == matchExact:
		return 6
	case title:
		return 5
	case match == matchExact:
		return 4
	}
	return 3
}

// bandBase spaces the score bands of the ranks apart: a match of rank r
// scores bandBase^r times between 1 and 2 (by Bleve's TF-IDF score, so
// matches of one rank keep their usual order). Bleve's disjunction sums the
// scores of a word's matching sub-searchers and multiplies the sum by the
// share of them that matched (its coord, at least 1/12: three kinds of match
// in two fields of two languages). A document has the fields of one
// language, so at most one sub-searcher per rank matches it; with a base of
// 32 its best rank r (at least 32^r/12) outweighs all lower ranks together
// (under 2·32^r/31), whatever else matched.
const bandBase = 32

// bandSearcher puts the matches of a sub-searcher into the score band of
// its rank.
type bandSearcher struct {
	search.Searcher
	band float64
}

func (b *bandSearcher) rescore(dm *search.DocumentMatch) {
	if dm != nil {
		dm.Score = b.band * (1 + dm.Score/(1+dm.Score))
	}
}

// Next implements search.Searcher.
func (b *bandSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := b.Searcher.Next(ctx)
	b.rescore(dm)
	return dm, err
}

// Advance implements search.Searcher.
func (b *bandSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := b.Searcher.Advance(ctx, id)
	b.rescore(dm)
	return dm, err
}

// segmentIDs returns the ids of the segments of snap, in order.
func segmentIDs(snap *scorch.IndexSnapshot) []uint64 {
	segs := snap.Segments()
	ids := make([]uint64, len(segs))
	for i, s := range segs {
		ids[i] = s.Id()
	}
	return ids
}

// hasTerms reports whether any segment holds a term in one of fields.
func hasTerms(snap *scorch.IndexSnapshot, fields ...string) bool {
	for _, s := range snap.Segments() {
		for _, f := range fields {
			if d, err := s.Segment().Dictionary(f); err == nil && d.Cardinality() > 0 {
				return true
			}
		}
	}
	return false
}

// fuzzyCandidates returns, per field, the terms other than term itself
// within fuzz edits of it that share its first fuzzyPrefix runes, with their
// edit distances.
func fuzzyCandidates(snap *scorch.IndexSnapshot, fields [2]string, term string, fuzz int) (
	terms [2][]string, dists [2][]uint8, err error) {
	builders, err := levBuilders()
	if err != nil {
		return terms, dists, err
	}
	dfa, err := builders[min(fuzz, 2)].BuildDfa(term, uint8(min(fuzz, 2)))
	if err != nil {
		return terms, dists, err
	}
	prefix := []byte(term[:prefixLen(term, fuzzyPrefix)])
	end := exclusiveEnd(prefix)
	for i, f := range fields {
		seen := map[string]bool{term: true}
		for _, s := range snap.Segments() {
			d, err := s.Segment().Dictionary(f)
			if err != nil {
				return terms, dists, err
			}
			it := d.AutomatonIterator(dfa, prefix, end)
			for {
				e, err := it.Next()
				if err != nil {
					return terms, dists, err
				}
				if e == nil {
					break
				}
				if seen[e.Term] {
					continue
				}
				seen[e.Term] = true
				_, dist := dfa.MatchAndDistance(e.Term)
				terms[i] = append(terms[i], e.Term)
				dists[i] = append(dists[i], dist)
			}
		}
		if len(snap.Segments()) > 1 {
			sortTogether(terms[i], dists[i])
		}
	}
	return terms, dists, nil
}

// prefixLen returns the byte length of the first n runes of s.
func prefixLen(s string, n int) int {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

// exclusiveEnd returns the smallest key greater than every key starting with
// prefix, or nil when there is none.
func exclusiveEnd(prefix []byte) []byte {
	end := slices.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// sortTogether sorts terms and their distances by term, so the searcher is
// built the same way whatever the segment order.
func sortTogether(terms []string, dists []uint8) {
	idx := make([]int, len(terms))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case terms[a] < terms[b]:
			return -1
		case terms[a] > terms[b]:
			return 1
		}
		return 0
	})
	t, d := slices.Clone(terms), slices.Clone(dists)
	for i, j := range idx {
		terms[i], dists[i] = t[j], d[j]
	}
}
