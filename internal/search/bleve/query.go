package bleve

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
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

// Boosts: a title match outweighs a body match, and an exact (stemmed) match
// outweighs a prefix or fuzzy one.
const (
	boostTitle  = 2.0
	boostExact  = 1.0
	boostPrefix = 0.5
	boostFuzzy  = 0.2
)

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

// textQuery matches every term in some text field of either language.
func textQuery(terms []term) query.Query {
	conj := make([]query.Query, 0, len(terms))
	for _, t := range terms {
		var dis []query.Query
		for _, f := range []struct {
			field, tok, pre string
			fuzz            int
			boost           float64
		}{
			{fieldTitleDE, t.de, t.dePre, t.fuzzDE, boostTitle}, {fieldBodyDE, t.de, t.dePre, t.fuzzDE, 1},
			{fieldTitleEN, t.en, t.enP, t.fuzzEN, boostTitle}, {fieldBodyEN, t.en, t.enP, t.fuzzEN, 1},
		} {
			tq := query.NewTermQuery(f.tok)
			tq.SetField(f.field)
			tq.SetBoost(f.boost * boostExact)
			dis = append(dis, tq)
			if f.fuzz > 0 {
				fq := query.NewFuzzyQuery(f.tok)
				fq.SetField(f.field)
				fq.SetFuzziness(f.fuzz)
				fq.SetBoost(f.boost * boostFuzzy)
				dis = append(dis, fq)
			}
			if t.prefix && f.pre != "" {
				pq := query.NewPrefixQuery(f.pre)
				pq.SetField(f.field)
				pq.SetBoost(f.boost * boostPrefix)
				dis = append(dis, pq)
			}
		}
		conj = append(conj, query.NewDisjunctionQuery(dis))
	}
	return query.NewConjunctionQuery(conj)
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
func engineQuery(q *mitreden.SearchQuery, terms []term) query.Query {
	fs := filters(q)
	if q.Text == "" {
		return query.NewConjunctionQuery(fs)
	}
	if len(terms) == 0 {
		return query.NewMatchNoneQuery()
	}
	bq := query.NewBooleanQuery([]query.Query{textQuery(terms)}, nil, nil)
	bq.AddFilter(query.NewConjunctionQuery(fs))
	return bq
}

var facetFields = map[string]string{
	mitreden.FacetType:   fieldType,
	mitreden.FacetStatus: fieldStatus,
	mitreden.FacetTopic:  fieldTopics,
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

	terms := x.terms(q.Text, q.Prefix)
	req := bleve.NewSearchRequestOptions(engineQuery(&q, terms), q.PerPage, (q.Page-1)*q.PerPage, false)
	req.Fields = []string{fieldSource, fieldTitleDE, fieldBodyDE, fieldTitleEN, fieldBodyEN}
	if q.Sort == mitreden.SearchSortNewest {
		req.SortBy([]string{"-" + fieldCreated})
	} else {
		req.SortBy([]string{"-_score", "-" + fieldCreated})
	}
	if q.Text == "" {
		req.Score = bleve.ScoreNone
	} else {
		req.IncludeLocations = true
	}
	for name, field := range facetFields {
		req.AddFacet(name, bleve.NewFacetRequest(field, 50))
	}
	res, err := idx.SearchInContext(ctx, req)
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
		Facets:  map[string][]mitreden.FacetCount{},
	}
	for _, h := range res.Hits {
		out.Items = append(out.Items, toHit(h))
	}
	for name := range facetFields {
		out.Facets[name] = facetCounts(res.Facets[name])
	}
	if out.Total == 0 && len(terms) > 0 {
		out.Suggestion = x.suggest(ctx, idx, q, terms)
	}
	return out, nil
}

func toHit(h *search.DocumentMatch) mitreden.SearchHit {
	d := fromBleve(h.ID, h.Fields)
	titleField, bodyField := fieldTitleDE, fieldBodyDE
	if isEnglish(d.Lang) {
		titleField, bodyField = fieldTitleEN, fieldBodyEN
	}
	return mitreden.SearchHit{
		SearchDoc: d,
		TitleHTML: highlight.HTML(d.Title, spans(h.Locations[titleField])),
		Excerpt:   highlight.Excerpt(d.Body, spans(h.Locations[bodyField]), excerptSize),
		Score:     h.Score,
	}
}

func spans(tlm search.TermLocationMap) []highlight.Span {
	var out []highlight.Span
	for _, locs := range tlm {
		for _, l := range locs {
			out = append(out, highlight.Span{Start: int(l.Start), End: int(l.End)})
		}
	}
	return out
}

func facetCounts(fr *search.FacetResult) []mitreden.FacetCount {
	out := []mitreden.FacetCount{}
	if fr == nil || fr.Terms == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		out = append(out, mitreden.FacetCount{Value: t.Term, Count: t.Count})
	}
	slices.SortFunc(out, func(a, b mitreden.FacetCount) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Value, b.Value))
	})
	return out
}
