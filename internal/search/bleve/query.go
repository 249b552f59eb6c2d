package bleve

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/highlight"
)

// maxWords bounds the words of a query that count: each word costs several
// fuzzy term lookups.
const maxWords = 12

// excerptSize is the length of an excerpt in runes.
const excerptSize = 200

// Words splits text into the words a query consists of: runs of letters and
// digits. Hyphens and punctuation separate words, as the analyzers do.
func Words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Fuzziness is the number of typos a word of n runes tolerates. Words longer
// than any real one get none: they are noise and costly to expand.
func Fuzziness(n int) int {
	switch {
	case n > 40:
		return 0
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

func analyze(a analysis.Analyzer, word string) string {
	toks := a.Analyze([]byte(word))
	if len(toks) == 0 {
		return ""
	}
	return string(toks[0].Term)
}

// term is one analyzed query word.
type term struct {
	word       string // as typed, lower-cased
	de, en     string // stemmed per language
	dePre, enP string // prefix forms
	fuzzDE     int    // typos tolerated, by the shorter of word and stem:
	fuzzEN     int    // a stem shortened by its suffix is easy to reach
	prefix     bool
}

// terms analyzes the words of text. A word that either language drops as a
// stop word does not count, so a query of stop words only has no terms.
func (x *Index) terms(text string, prefix bool) []term {
	words := Words(text)
	var out []term
	for i, w := range words {
		t := term{word: strings.ToLower(w), de: analyze(x.an.de, w), en: analyze(x.an.en, w)}
		if t.de == "" || t.en == "" {
			continue
		}
		n := utf8.RuneCountInString(w)
		t.fuzzDE = Fuzziness(min(n, utf8.RuneCountInString(t.de)))
		t.fuzzEN = Fuzziness(min(n, utf8.RuneCountInString(t.en)))
		if prefix && i == len(words)-1 && utf8.RuneCountInString(w) >= 2 {
			t.prefix = true
			t.dePre, t.enP = analyze(x.an.dePrefix, w), analyze(x.an.enPrefix, w)
		}
		out = append(out, t)
		if len(out) == maxWords {
			break
		}
	}
	return out
}

// wordQueries returns one query per term, matching it in some text field of
// either language.
func wordQueries(terms []term) ([]query.Query, []*wordQuery) {
	words := make([]query.Query, len(terms))
	wqs := make([]*wordQuery, len(terms))
	for i, t := range terms {
		wqs[i] = &wordQuery{t: t}
		words[i] = wqs[i]
	}
	return words, wqs
}

func anyTerm(field string, values []string) query.Query {
	if len(values) == 1 {
		tq := query.NewTermQuery(values[0])
		tq.SetField(field)
		return tq
	}
	dis := make([]query.Query, len(values))
	for i, v := range values {
		tq := query.NewTermQuery(v)
		tq.SetField(field)
		dis[i] = tq
	}
	return query.NewDisjunctionQuery(dis)
}

// filters returns the queries every hit must match: the audience's
// visibilities first, then the filters q sets.
func filters(q *mitreden.SearchQuery) []query.Query {
	fs := []query.Query{anyTerm(fieldVisibility, q.Audience.Visibilities())}
	for _, f := range []struct {
		field  string
		values []string
	}{
		{fieldType, q.Types}, {fieldConsultation, q.ConsultationIDs},
		{fieldStatus, q.Statuses}, {fieldTopics, q.Topics},
	} {
		if len(f.values) > 0 {
			fs = append(fs, anyTerm(f.field, f.values))
		}
	}
	if q.Region != "" {
		fs = append(fs, anyTerm(fieldRegion, []string{q.Region}))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		incl, excl := true, false
		dq := query.NewDateRangeInclusiveQuery(q.From, q.To, &incl, &excl)
		dq.SetField(fieldCreated)
		fs = append(fs, dq)
	}
	return fs
}

// engineQuery combines text and filters. Filters never score: with text they
// go into a boolean filter clause, without text the listing is unscored.
func engineQuery(q *mitreden.SearchQuery, words []query.Query) query.Query {
	fs := filters(q)
	if q.Text == "" {
		return query.NewConjunctionQuery(fs)
	}
	if len(words) == 0 {
		return query.NewMatchNoneQuery()
	}
	bq := query.NewBooleanQuery([]query.Query{query.NewConjunctionQuery(words)}, nil, nil)
	bq.AddFilter(query.NewConjunctionQuery(fs))
	return bq
}

// Search runs q against the live index.
func (x *Index) Search(ctx context.Context, q mitreden.SearchQuery) (*mitreden.SearchResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	idx, release, err := x.current()
	if err != nil {
		return nil, err
	}
	defer release()

	all := x.terms(q.Text, true)
	// All words first; when nothing holds them all, the words are dropped
	// from the end one by one (see mitreden.SearchQuery), so total and
	// facets always count the hits returned.
	terms := all
	res, facets, err := x.run(ctx, idx, &q, terms)
	for err == nil && res.Total == 0 && len(terms) > 1 {
		terms = terms[:len(terms)-1]
		res, facets, err = x.run(ctx, idx, &q, terms)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.timeout")
		}
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "search.failed")
	}

	out := &mitreden.SearchResult{
		Items:   make([]mitreden.SearchHit, 0, len(res.Hits)),
		Total:   int(res.Total),
		Page:    q.Page,
		PerPage: q.PerPage,
		Facets:  facets,
	}
	for _, h := range res.Hits {
		out.Items = append(out.Items, x.toHit(h, terms))
	}
	if out.Total == 0 && len(all) > 0 {
		out.Suggestion = x.suggest(ctx, idx, q, all)
	}
	return out, nil
}

// storedFields are the stored fields a hit is rebuilt from.
var storedFields = []string{fieldSource, fieldTitleDE, fieldBodyDE, fieldTitleEN, fieldBodyEN}

// run returns q's page of hits, its total and its facets. Facets are counted
// while Bleve collects the hits (see facetCounter).
//
// A query with words, or one sorted newest first, counts its hits and facets
// in a first pass without scoring or sorting: on the postings bitmaps (see
// bitmaps.go), or walking the matches when a date range is set. With words,
// the second pass scores just those hits (see hitSetQuery); newest first, it
// finds the page among the newest documents (see newestPage).
//
// On a large index the second pass of a query with words, scoring the hits
// the bitmaps found, runs split across cores (see parallel.go).
func (x *Index) run(ctx context.Context, idx bleve.Index, q *mitreden.SearchQuery, terms []term) (
	*bleve.SearchResult, map[string][]mitreden.FacetCount, error) {
	words, wqs := wordQueries(terms)
	eq := engineQuery(q, words)
	from := (q.Page - 1) * q.PerPage
	bounds := x.bounds(idx, from+q.PerPage)
	newestFirst := q.Sort == mitreden.SearchSortNewest
	// One word scored in one pass needs no first pass, unless that pass is
	// on bitmaps and lets the scoring split across cores.
	twoPass := len(terms) > 1 || len(terms) == 1 && bitmapCountable(q)
	if newestFirst || q.Sort == mitreden.SearchSortRelevance && twoPass {
		var c *counted
		var err error
		if bitmapCountable(q) {
			c = &counted{}
			c.set, c.facets, err = countByBitmaps(idx, q, wqs)
			if err == nil {
				c.res = &bleve.SearchResult{Total: c.set.total}
			}
		} else {
			count := bleve.NewSearchRequestOptions(eq, 0, 0, false)
			count.Score = bleve.ScoreNone
			c, err = searchCounting(ctx, idx, count)
		}
		if err != nil {
			return nil, nil, err
		}
		if c.res.Total == 0 {
			return c.res, trimFacets(c.facets), nil
		}
		var res *bleve.SearchResult
		if newestFirst {
			res, err = newestPage(ctx, idx, eq, pageRequest(q.PerPage, from, q.Text != ""), from+q.PerPage, int(c.res.Total))
		} else {
			// The set holds the filters' effect; the words keep their
			// fuzzy candidates from the first pass.
			fs := query.NewConjunctionQuery(filters(q))
			scored := func(lead *hitSetQuery, size, from int) *bleve.SearchRequest {
				req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(append([]query.Query{lead}, words...)), size, from, false)
				req.Fields = storedFields
				req.SortBy([]string{"-_score"})
				return req
			}
			if len(bounds) > 0 && c.set != nil {
				sets := c.set.split(len(bounds) + 1)
				reqs := make([]*bleve.SearchRequest, len(sets))
				var strayed atomic.Bool
				for i, set := range sets {
					// Off the set's snapshot, the first part stands in the
					// filters for the set, the others match nothing.
					reqs[i] = scored(&hitSetQuery{set: set, filters: fs, none: i > 0, strayed: &strayed}, from+q.PerPage, 0)
				}
				res, err = searchParts(ctx, idx, reqs, from, q.PerPage)
				if err == nil && strayed.Load() {
					// A write changed the segments while the parts took their
					// snapshots: whichever parts ran off the set's snapshot
					// lost their share, so the page is searched again whole,
					// where the filters stand in for the set.
					res, err = idx.SearchInContext(ctx, scored(&hitSetQuery{set: c.set, filters: fs}, q.PerPage, from))
				}
			} else {
				res, err = idx.SearchInContext(ctx, scored(&hitSetQuery{set: c.set, filters: fs}, q.PerPage, from))
			}
		}
		if err != nil {
			return nil, nil, err
		}
		res.Total = c.res.Total
		return res, trimFacets(c.facets), nil
	}

	// Sorted by relevance, in one pass.
	req := bleve.NewSearchRequestOptions(eq, q.PerPage, from, false)
	req.Fields = storedFields
	// Relevance has no date tiebreak: it would read a doc value for every
	// hit, and equal scores are rare with real text. Ties keep index order,
	// which a merge of segments between two requests can change.
	req.SortBy([]string{"-_score"})
	c, err := searchCounting(ctx, idx, req)
	if err != nil {
		return nil, nil, err
	}
	return c.res, trimFacets(c.facets), nil
}

func (x *Index) toHit(h *search.DocumentMatch, terms []term) mitreden.SearchHit {
	d := fromBleve(h.ID, h.Fields)
	en := isEnglish(d.Lang)
	return mitreden.SearchHit{
		SearchDoc: d,
		TitleHTML: highlight.HTML(d.Title, x.marks(d.Title, en, terms)),
		Excerpt:   highlight.Excerpt(d.Body, x.marks(d.Body, en, terms), excerptSize),
		Score:     h.Score,
	}
}
