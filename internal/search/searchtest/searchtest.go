// Package searchtest is the conformance suite every mitreden.Searcher passes:
// the Bleve index always, Meilisearch when a server is configured. A
// behaviour the platform relies on belongs here, not in one engine's tests.
package searchtest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Options lists behaviours an engine documents as unsupported; the suite
// skips their tests with a note instead of failing. The zero value demands
// everything.
type Options struct {
	// NoStemming: the engine matches inflected forms only through typo
	// tolerance (Meilisearch has no stemmer).
	NoStemming bool
	// NoSuggestion: the engine cannot offer a spelling suggestion.
	NoSuggestion bool
}

// Run runs the whole suite; open returns a fresh, empty searcher per test and
// is responsible for closing it.
func Run(t *testing.T, open func(t *testing.T) mitreden.Searcher) {
	RunWith(t, open, Options{})
}

// RunWith runs the suite minus the behaviours opts excuses.
func RunWith(t *testing.T, open func(t *testing.T) mitreden.Searcher, opts Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s mitreden.Searcher)
		skip bool
	}{
		{"RoundTrip", testRoundTrip, false},
		{"CommentFoundByOwnText", testCommentContext, false},
		{"LanguagesStored", testLanguages, false},
		{"GermanStemming", testGermanStemming, opts.NoStemming},
		{"EnglishStemming", testEnglishStemming, opts.NoStemming},
		{"TypoOne", testTypoOne, false},
		{"TypoTwo", testTypoTwo, false},
		{"TypoLimits", testTypoLimits, false},
		{"ExactAboveFuzzy", testExactAboveFuzzy, false},
		{"TitleAboveMentions", testTitleAboveMentions, false},
		{"KeywordsFound", testKeywords, false},
		{"Prefix", testPrefix, false},
		{"StopWords", testStopWords, false},
		{"AllWordsMatch", testAllWordsMatch, false},
		{"FallbackDropsLastWords", testFallback, false},
		{"FilterType", testFilterType, false},
		{"FilterConsultation", testFilterConsultation, false},
		{"FilterStatus", testFilterStatus, false},
		{"FilterTopic", testFilterTopic, false},
		{"FilterRegion", testFilterRegion, false},
		{"FilterDateRange", testFilterDateRange, false},
		{"ListingWithoutText", testListing, false},
		{"Facets", testFacets, false},
		{"SortNewest", testSortNewest, false},
		{"Pagination", testPagination, false},
		{"Visibility", testVisibility, false},
		{"VisibilityListing", testVisibilityListing, false},
		{"Delete", testDelete, false},
		{"Upsert", testUpsert, false},
		{"ExcerptEscaping", testExcerptEscaping, false},
		{"ExcerptWindow", testExcerptWindow, false},
		{"ExcerptWhereWordsMeet", testExcerptWordsMeet, false},
		{"Count", testCount, false},
		{"Rebuild", testRebuild, false},
		{"RebuildKeepsConcurrentWrites", testRebuildKeepsWrites, false},
		{"RebuildFailureKeepsIndex", testRebuildFailure, false},
		{"IndexVersion", testIndexVersion, false},
		{"Validation", testValidation, false},
		{"Suggestion", testSuggestion, opts.NoSuggestion},
		{"SuggestionRespectsVisibility", testSuggestionVisibility, opts.NoSuggestion},
		{"Ping", testPing, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip {
				t.Skip("not supported by this engine (searchtest.Options)")
			}
			tc.fn(t, open(t))
		})
	}
}

// base is the creation time of the oldest fixture document.
var base = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return base.Add(time.Duration(n) * 24 * time.Hour) }

func doc(typ, id, title, body string) mitreden.SearchDoc {
	return mitreden.SearchDoc{
		ID: mitreden.SearchDocID(typ, id), Type: typ, ItemID: id, Title: title, Body: body,
		Lang: "de", Visibility: mitreden.VisibilityPublic, URL: "/" + typ + "s/" + id,
		CreatedAt: base,
	}
}

// fixture is a small, varied set of contributions most tests search.
func fixture() []mitreden.SearchDoc {
	p1 := doc(mitreden.SearchTypeProposal, "p1", "Digitalisierung der Verwaltung",
		"Alle Anträge des Bürgeramts sollen online gestellt werden können.")
	p1.ConsultationID, p1.ConsultationTitle = "c1", "Digitale Stadt"
	p1.Status, p1.Topics, p1.Region = "submitted", []string{"digital", "verwaltung"}, "nord"
	p1.Keywords = []string{"Digitales", "Verwaltung"}
	p1.CreatedAt, p1.Supports, p1.Comments = day(1), 12, 3

	k1 := doc(mitreden.SearchTypeComment, "k1", "",
		"Das Bürgeramt digitalisierte letztes Jahr die Terminvergabe, das war gut.")
	k1.ConsultationID, k1.ProposalID, k1.Topics, k1.Region = "c1", "p1", []string{"digital"}, "nord"
	k1.ContextTitle = p1.Title
	k1.URL, k1.CreatedAt = "/proposals/p1#comment-k1", day(2)

	p2 := doc(mitreden.SearchTypeProposal, "p2", "Sichere Radwege an der Hauptstraße",
		"Wir brauchen geschützte Radwege und mehr Abstellplätze für Fahrräder.")
	p2.ConsultationID, p2.Status, p2.Topics, p2.Region = "c2", "accepted", []string{"verkehr"}, "sued"
	p2.CreatedAt, p2.Supports = day(3), 40

	p3 := doc(mitreden.SearchTypeProposal, "p3", "Mehr Spielplätze im Quartier",
		"Der Spielplatz am Markt ist zu klein; eine neue Kita braucht auch Platz.")
	p3.ConsultationID, p3.Status, p3.Topics, p3.Region = "c2", "submitted", []string{"familie"}, "sued"
	p3.CreatedAt = day(4)

	a1 := doc(mitreden.SearchTypeAnswer, "a1", "Antwort der Verwaltung zu Radwegen",
		"Die Verwaltung prüft den Baumschutz entlang der geplanten Strecke.")
	a1.ConsultationID, a1.ProposalID, a1.Topics = "c2", "p2", []string{"verkehr", "umwelt"}
	a1.CreatedAt = day(5)

	r1 := doc(mitreden.SearchTypeRecommendation, "r1", "Empfehlung zur Baumschule",
		"Der Rat empfiehlt, die städtische Baumschule zu erhalten.")
	r1.ConsultationID, r1.Status, r1.Topics = "c2", "published", []string{"umwelt"}
	r1.CreatedAt = day(6)

	c1 := doc(mitreden.SearchTypeConsultation, "c1", "Digitale Stadt",
		"Wie soll die Stadt digitaler werden? Beteiligen Sie sich an der Bürgerbeteiligung.")
	c1.ConsultationID, c1.ConsultationTitle, c1.Status = "c1", "Digitale Stadt", "open"
	c1.Topics, c1.CreatedAt = []string{"digital"}, day(0)

	e1 := doc(mitreden.SearchTypeProposal, "e1", "Protected bicycle lanes",
		"More protected lanes would make commuting by bike safer for everyone.")
	e1.Lang, e1.ConsultationID, e1.Status, e1.Topics = "en", "c2", "submitted", []string{"verkehr"}
	e1.CreatedAt = day(7)

	return []mitreden.SearchDoc{p1, k1, p2, p3, a1, r1, c1, e1}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustIndex(t *testing.T, s mitreden.Searcher, docs ...mitreden.SearchDoc) {
	t.Helper()
	if err := s.Index(ctx(t), docs...); err != nil {
		t.Fatalf("Index: %v", err)
	}
}

func indexFixture(t *testing.T, s mitreden.Searcher) {
	t.Helper()
	mustIndex(t, s, fixture()...)
}

func mustSearch(t *testing.T, s mitreden.Searcher, q mitreden.SearchQuery) *mitreden.SearchResult {
	t.Helper()
	res, err := s.Search(ctx(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func ids(res *mitreden.SearchResult) []string {
	out := make([]string, len(res.Items))
	for i, h := range res.Items {
		out[i] = h.ID
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// expect checks that text finds exactly want (in any order).
func expect(t *testing.T, s mitreden.Searcher, q mitreden.SearchQuery, want ...string) *mitreden.SearchResult {
	t.Helper()
	res := mustSearch(t, s, q)
	got := ids(res)
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("Search(%q %+v) = %v, want %v", q.Text, q, got, want)
	}
	if res.Total != len(want) {
		t.Errorf("Search(%q) Total = %d, want %d", q.Text, res.Total, len(want))
	}
	return res
}

func text(s string) mitreden.SearchQuery { return mitreden.SearchQuery{Text: s} }

func testRoundTrip(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	for _, tc := range []struct {
		text string
		want mitreden.SearchDoc
	}{{"Anträge Bürgeramts", fixture()[0]}, {"Terminvergabe", fixture()[1]}} {
		want := tc.want
		res := expect(t, s, text(tc.text), want.ID)
		if len(res.Items) != 1 {
			continue
		}
		got := res.Items[0].SearchDoc
		if !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
		}
		got.CreatedAt = want.CreatedAt
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Errorf("stored document changed:\n got %#v\nwant %#v", got, want)
		}
		if res.Page != 1 || res.PerPage != mitreden.SearchDefaultPerPage {
			t.Errorf("Page, PerPage = %d, %d; want 1, %d", res.Page, res.PerPage, mitreden.SearchDefaultPerPage)
		}
	}
}

// testCommentContext checks that comments are found by their own text, not
// by their proposal's title, which they carry as context to show.
func testCommentContext(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	p2 := fixture()[2]
	var comments []string
	for i := range 3 {
		c := doc(mitreden.SearchTypeComment, fmt.Sprintf("rc%d", i), "", fmt.Sprintf("Beitrag %d: bitte die Spuren breiter bauen.", i))
		c.ConsultationID, c.ProposalID, c.ContextTitle = p2.ConsultationID, p2.ID, p2.Title
		mustIndex(t, s, c)
		comments = append(comments, c.ID)
	}
	expect(t, s, text(p2.Title), p2.ID)
	expect(t, s, text("Sichere Radwege"), p2.ID)
	res := expect(t, s, text("Spuren breiter"), comments...)
	for _, h := range res.Items {
		if h.ContextTitle != p2.Title || h.Title != "" || h.TitleHTML != "" {
			t.Errorf("hit %s: Title %q, TitleHTML %q, ContextTitle %q; want no title and the proposal's as context",
				h.ID, h.Title, h.TitleHTML, h.ContextTitle)
		}
	}
}

// testLanguages checks that a hit carries the languages of its texts, which
// pages mark where they differ from the interface's: an English comment
// on a German proposal in a German consultation.
func testLanguages(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	p1 := fixture()[0]
	c := doc(mitreden.SearchTypeComment, "en1", "", "I agree, the forms should be available online.")
	c.Lang, c.TitleLang, c.ConsultationLang = "en", "de", "de"
	c.ConsultationID, c.ConsultationTitle, c.ProposalID, c.ContextTitle = p1.ConsultationID, p1.ConsultationTitle, p1.ID, p1.Title
	mustIndex(t, s, c)
	res := expect(t, s, text("forms available"), c.ID)
	if len(res.Items) == 1 {
		if h := res.Items[0]; h.Lang != "en" || h.TitleLang != "de" || h.ConsultationLang != "de" {
			t.Errorf("hit languages: Lang %q, TitleLang %q, ConsultationLang %q; want en, de, de", h.Lang, h.TitleLang, h.ConsultationLang)
		}
	}
}

func testGermanStemming(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// The noun finds the past tense of the verb and vice versa.
	expect(t, s, text("Digitalisierung"), "proposal:p1", "comment:k1")
	expect(t, s, text("digitalisiert"), "proposal:p1", "comment:k1")
	// Stemming and a typo together.
	expect(t, s, text("Digitalisirung"), "proposal:p1", "comment:k1")
	// Plural finds singular, umlauts folded.
	expect(t, s, text("Spielplatz"), "proposal:p3")
	expect(t, s, text("Radweg"), "proposal:p2", "answer:a1")
}

func testEnglishStemming(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// "commute" reaches "commuting" only through the English stemmer.
	expect(t, s, text("commute"), "proposal:e1")
	expect(t, s, text("lane"), "proposal:e1")
}

func testTypoOne(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, text("Digitalisirung der Verwaltung"), "proposal:p1")
	expect(t, s, text("Hauptstrase"), "proposal:p2")
}

func testTypoTwo(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// 10 letters, two edits: a missing letter and a wrong one.
	expect(t, s, text("Terminvrgabo"), "comment:k1")
}

func testTypoLimits(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// Four letters tolerate no typo, eight letters only one.
	expect(t, s, text("Kitu"))
	expect(t, s, text("Kita"), "proposal:p3")
	expect(t, s, text("Bürgramd"))
}

func testExactAboveFuzzy(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// "Baumschule" is two edits from "Baumschutz": found, but ranked lower.
	res := expect(t, s, text("Baumschutz"), "answer:a1", "recommendation:r1")
	if got := ids(res); len(got) == 2 && got[0] != "answer:a1" {
		t.Errorf("order = %v, want the exact match answer:a1 first", got)
	}
	res = expect(t, s, text("Baumschule"), "answer:a1", "recommendation:r1")
	if got := ids(res); len(got) == 2 && got[0] != "recommendation:r1" {
		t.Errorf("order = %v, want the exact match recommendation:r1 first", got)
	}
}

// testTitleAboveMentions checks that a proposal whose title holds the words
// ranks above comments that merely mention them, however short the comments,
// however often they repeat the words or however close together they put
// them, and however common the words are in titles.
func testTitleAboveMentions(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	var titled []string
	for i, title := range []string{"Tempo 30 vor der Grundschule am Markt", "Grundschule: mehr Lehrkräfte",
		"Neubau der Grundschule Nord", "Schulweg zur Grundschule sicherer machen"} {
		p := doc(mitreden.SearchTypeProposal, fmt.Sprintf("gs%d", i), title,
			"Der Verkehr vor dem Gebäude ist morgens gefährlich, und viele Eltern fahren ihre Kinder mit dem Auto. "+
				strings.Repeat("Dazu gibt es im Rat viele Meinungen und noch mehr Sitzungen. ", 8))
		p.ConsultationID, p.CreatedAt = "c3", day(i)
		mustIndex(t, s, p)
		titled = append(titled, p.ID)
	}
	var comments []string
	for i, body := range []string{"Grundschule!", "Grundschule, Grundschule, Grundschule.",
		"Die Grundschule braucht Tempo 30.", "Grundschule Tempo", "Ich war gestern in der Grundschule."} {
		c := doc(mitreden.SearchTypeComment, fmt.Sprintf("gk%d", i), "", body)
		c.ConsultationID, c.ProposalID, c.ContextTitle, c.CreatedAt = "c3", "gs0", "Tempo 30 vor der Grundschule am Markt", day(10+i)
		mustIndex(t, s, c)
		comments = append(comments, c.ID)
	}
	// A comment on another proposal, one with nothing in its title, and
	// answers or consultations never outrank a titled proposal either.
	first := func(q string, titled []string, all ...string) {
		t.Helper()
		res := expect(t, s, text(q), all...)
		got := ids(res)
		for i, id := range got {
			if i < len(titled) && !slices.Contains(titled, id) {
				t.Errorf("Search(%q) = %v, want the proposals titled with it (%v) first", q, got, titled)
				return
			}
		}
	}
	first("Grundschule", titled, append(slices.Clone(titled), comments...)...)
	first("Tempo Grundschule", titled[:1], titled[0], comments[2], comments[3])
	// A title word the search is a prefix of (the last word as typed) is a
	// title match too, as are the topics shown with a proposal.
	tb := doc(mitreden.SearchTypeProposal, "tb", "Terminbuchung für alle Bürgerämter", "Ein Portal für alle Ämter des Landes.")
	kw := doc(mitreden.SearchTypeProposal, "kw", "Ein Portal für alle Ämter", "Eines für das ganze Land.")
	kw.Keywords = []string{"Termine"}
	mustIndex(t, s, tb, kw)
	var mentions []string
	for i, body := range []string{"Ich habe drei Wochen auf einen Termin gewartet.", "Termin, Termin, Termin!", "Termin"} {
		c := doc(mitreden.SearchTypeComment, fmt.Sprintf("tk%d", i), "", body)
		c.ProposalID, c.ContextTitle, c.CreatedAt = tb.ID, tb.Title, day(20+i)
		mustIndex(t, s, c)
		mentions = append(mentions, c.ID)
	}
	// The fixture's comment:k1 mentions the Terminvergabe.
	first("Termin", []string{tb.ID, kw.ID}, append([]string{tb.ID, kw.ID, "comment:k1"}, mentions...)...)
	// Paged, the titled proposals fill the first page.
	res := mustSearch(t, s, mitreden.SearchQuery{Text: "Grundschule", PerPage: len(titled)})
	if got := ids(res); !slices.Equal(sorted(got), sorted(titled)) {
		t.Errorf("first page of %d = %v, want the titled proposals %v", len(titled), got, titled)
	}
}

// testKeywords checks that the topics shown with a consultation find it,
// with typos and prefixes as in a title, and that keywords are never
// marked or shown.
func testKeywords(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	c := doc(mitreden.SearchTypeConsultation, "kc", "Wie soll die Stadt wachsen?", "Sagen Sie uns, wo gebaut werden soll.")
	c.Keywords = []string{"Stadtentwicklung", "Wohnungsbau"}
	e := doc(mitreden.SearchTypeConsultation, "ke", "How should the city grow?", "Tell us where to build.")
	e.Lang, e.Keywords = "en", []string{"Housing"}
	mustIndex(t, s, c, e)
	expect(t, s, text("Wohnungsbau"), c.ID)
	expect(t, s, text("Stadtentwiklung"), c.ID)
	expect(t, s, text("Wohnungsb"), c.ID)
	expect(t, s, text("Wohnungsbau Stadt"), c.ID)
	res := expect(t, s, text("Housing"), e.ID)
	for _, h := range res.Items {
		if strings.Contains(h.TitleHTML+h.Excerpt, "Housing") {
			t.Errorf("hit %s shows its keyword: %q %q", h.ID, h.TitleHTML, h.Excerpt)
		}
	}
}

func testPrefix(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	g1 := doc(mitreden.SearchTypeProposal, "g1", "Schnelles Internet", "Wir wollen Glasfaser in jedem Ortsteil.")
	g2 := doc(mitreden.SearchTypeProposal, "g2", "Schnelles Internet", "Wir wollen Glasfaserausbau in jedem Ortsteil.")
	z1 := doc(mitreden.SearchTypeProposal, "z1", "Sicherer Schulweg", "Eine Zebrastreifenampel vor der Grundschule.")
	mustIndex(t, s, g1, g2, z1)
	// The last word of every search matches as a prefix.
	expect(t, s, text("Bürgerb"), "consultation:c1")
	expect(t, s, text("Zebrastr"), z1.ID)
	expect(t, s, text("Glasf"), g1.ID, g2.ID)
	expect(t, s, text("Ortsteil Glasf"), g1.ID, g2.ID)
	// An exact match ranks above a prefix match.
	res := expect(t, s, text("Glasfaser"), g1.ID, g2.ID)
	if got := ids(res); len(got) == 2 && got[0] != g1.ID {
		t.Errorf("order = %v, want the exact match %s first", got, g1.ID)
	}
	// Only the last word is a prefix.
	expect(t, s, text("Bürgerb Stadt"))
	expect(t, s, text("Stadt Bürgerb"), "consultation:c1")
	expect(t, s, text("Glasf Ortsteil"))
}

func testStopWords(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, text("und die der das"))
	expect(t, s, text("the and for"))
	// Stop words among real words do not narrow the result.
	expect(t, s, text("die Kita"), "proposal:p3")
}

func testAllWordsMatch(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// Something holds both words: only that is found.
	expect(t, s, text("Radwege Hauptstraße"), "proposal:p2")
	expect(t, s, text("Radwege Hauptstraße Spielplatz"), "proposal:p2")
}

// testFallback checks that a search nothing matches in full drops words from
// the end until something matches, and that Total and facets count exactly
// the hits returned.
func testFallback(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	g := doc(mitreden.SearchTypeProposal, "gv", "Bauanträge",
		"Das Genehmigungsverfahren für Solaranlagen auf Dächern dauert Monate.")
	g.Topics = []string{"energie"}
	mustIndex(t, s, g)
	expect(t, s, text("Genehmigungsverfahren beschleunigen"), g.ID)
	expect(t, s, text("Genehmigungsverfahren Solaranlagen beschleunigen digital"), g.ID)
	// From the end: the first words stay.
	res := expect(t, s, text("Radwege Spielplatz"), "proposal:p2", "answer:a1")
	if got := facet(res, mitreden.FacetType); fmt.Sprint(got) != fmt.Sprint(map[string]int{"proposal": 1, "answer": 1}) {
		t.Errorf("facet type = %v, want the hits returned", got)
	}
	if got := facet(res, mitreden.FacetTopic); fmt.Sprint(got) != fmt.Sprint(map[string]int{"verkehr": 2, "umwelt": 1}) {
		t.Errorf("facet topic = %v, want the hits returned", got)
	}
	expect(t, s, text("Spielplatz Radwege"), "proposal:p3")
	// Filters stay: the fallback never widens them.
	expect(t, s, mitreden.SearchQuery{Text: "Radwege Spielplatz", Types: []string{mitreden.SearchTypeAnswer}}, "answer:a1")
	expect(t, s, mitreden.SearchQuery{Text: "Genehmigungsverfahren beschleunigen", Types: []string{mitreden.SearchTypeComment}})
	// No word matches: nothing.
	expect(t, s, text("Quantenphysik Teilchenbeschleuniger"))
}

func testFilterType(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", Types: []string{mitreden.SearchTypeComment}}, "comment:k1")
	expect(t, s, mitreden.SearchQuery{Text: "Verwaltung",
		Types: []string{mitreden.SearchTypeAnswer, mitreden.SearchTypeProposal}}, "proposal:p1", "answer:a1")
}

func testFilterConsultation(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, mitreden.SearchQuery{Text: "Verwaltung", ConsultationIDs: []string{"c2"}}, "answer:a1")
	expect(t, s, mitreden.SearchQuery{Text: "Verwaltung", ConsultationIDs: []string{"c1", "c2"}}, "proposal:p1", "answer:a1")
}

func testFilterStatus(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, mitreden.SearchQuery{Text: "Radwege", Statuses: []string{"accepted"}}, "proposal:p2")
	expect(t, s, mitreden.SearchQuery{Text: "Radwege", Statuses: []string{"submitted"}})
}

func testFilterTopic(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, mitreden.SearchQuery{Text: "Verwaltung", Topics: []string{"umwelt"}}, "answer:a1")
	expect(t, s, mitreden.SearchQuery{Text: "Verwaltung", Topics: []string{"verwaltung", "umwelt"}}, "proposal:p1", "answer:a1")
}

func testFilterRegion(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", Region: "nord"}, "proposal:p1", "comment:k1")
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", Region: "sued"})
}

func testFilterDateRange(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// From is inclusive, To exclusive.
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", From: day(2)}, "comment:k1")
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", To: day(2)}, "proposal:p1")
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", From: day(1), To: day(2)}, "proposal:p1")
	expect(t, s, mitreden.SearchQuery{Text: "Bürgeramt", From: day(3)})
}

func testListing(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	res := expect(t, s, mitreden.SearchQuery{Types: []string{mitreden.SearchTypeProposal}},
		"proposal:e1", "proposal:p3", "proposal:p2", "proposal:p1")
	if got, want := ids(res), []string{"proposal:e1", "proposal:p3", "proposal:p2", "proposal:p1"}; !slices.Equal(got, want) {
		t.Errorf("listing order = %v, want newest first %v", got, want)
	}
}

func facet(res *mitreden.SearchResult, key string) map[string]int {
	m := map[string]int{}
	for _, fc := range res.Facets[key] {
		m[fc.Value] = fc.Count
	}
	return m
}

func testFacets(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	res := mustSearch(t, s, mitreden.SearchQuery{ConsultationIDs: []string{"c2"}, PerPage: 1})
	if res.Total != 5 {
		t.Fatalf("Total = %d, want 5", res.Total)
	}
	check := func(key string, want map[string]int) {
		t.Helper()
		if got := facet(res, key); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("facet %s = %v, want %v", key, got, want)
		}
	}
	// Counted over all five matches although the page holds one.
	check(mitreden.FacetType, map[string]int{"proposal": 3, "answer": 1, "recommendation": 1})
	check(mitreden.FacetStatus, map[string]int{"submitted": 2, "accepted": 1, "published": 1})
	check(mitreden.FacetTopic, map[string]int{"verkehr": 3, "familie": 1, "umwelt": 2})
	if fs := res.Facets[mitreden.FacetType]; len(fs) > 0 && fs[0].Value != "proposal" {
		t.Errorf("facet type order = %v, want largest count first", fs)
	}

	// Facets follow the text and filters.
	res = mustSearch(t, s, mitreden.SearchQuery{Text: "Bürgeramt"})
	check(mitreden.FacetType, map[string]int{"proposal": 1, "comment": 1})
	check(mitreden.FacetTopic, map[string]int{"digital": 2, "verwaltung": 1})
}

func testSortNewest(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	// By relevance the title-and-body match a1 would lead as well; newest
	// must order by date alone.
	res := mustSearch(t, s, mitreden.SearchQuery{Text: "Verwaltung Antwort", Sort: mitreden.SearchSortNewest})
	if got, want := ids(res), []string{"answer:a1"}; !slices.Equal(got, want) {
		t.Errorf("newest = %v, want %v", got, want)
	}
	res = mustSearch(t, s, mitreden.SearchQuery{Text: "Bürgeramt", Sort: mitreden.SearchSortNewest})
	if got, want := ids(res), []string{"comment:k1", "proposal:p1"}; !slices.Equal(got, want) {
		t.Errorf("newest = %v, want %v", got, want)
	}
	res = mustSearch(t, s, mitreden.SearchQuery{Text: "Verwaltung", Sort: mitreden.SearchSortNewest})
	if got, want := ids(res), []string{"answer:a1", "proposal:p1"}; !slices.Equal(got, want) {
		t.Errorf("newest = %v, want %v", got, want)
	}
	// Without text the default order is newest first.
	res = mustSearch(t, s, mitreden.SearchQuery{Topics: []string{"digital"}})
	if got, want := ids(res), []string{"comment:k1", "proposal:p1", "consultation:c1"}; !slices.Equal(got, want) {
		t.Errorf("listing = %v, want %v", got, want)
	}
}

func testPagination(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	all := ids(mustSearch(t, s, mitreden.SearchQuery{ConsultationIDs: []string{"c2"}}))
	if len(all) != 5 {
		t.Fatalf("listing = %v, want 5 items", all)
	}
	var paged []string
	for page := 1; page <= 3; page++ {
		res := mustSearch(t, s, mitreden.SearchQuery{ConsultationIDs: []string{"c2"}, Page: page, PerPage: 2})
		if res.Total != 5 || res.Page != page || res.PerPage != 2 {
			t.Errorf("page %d: Total, Page, PerPage = %d, %d, %d", page, res.Total, res.Page, res.PerPage)
		}
		paged = append(paged, ids(res)...)
	}
	if !slices.Equal(paged, all) {
		t.Errorf("pages = %v, want %v", paged, all)
	}
	res := mustSearch(t, s, mitreden.SearchQuery{ConsultationIDs: []string{"c2"}, Page: 4, PerPage: 2})
	if len(res.Items) != 0 || res.Total != 5 {
		t.Errorf("page past the end = %v (Total %d), want none of 5", ids(res), res.Total)
	}
}

func visibilityDocs() []mitreden.SearchDoc {
	var docs []mitreden.SearchDoc
	for i, v := range []string{mitreden.VisibilityPublic, mitreden.VisibilityPending, mitreden.VisibilityHidden, mitreden.VisibilityCouncil} {
		d := doc(mitreden.SearchTypeComment, v, "Haushaltsplan "+v, "Zum Haushaltsplan: Beitrag mit Sichtbarkeit "+v+".")
		d.Visibility, d.CreatedAt = v, day(i)
		docs = append(docs, d)
	}
	return docs
}

func testVisibility(t *testing.T, s mitreden.Searcher) {
	mustIndex(t, s, visibilityDocs()...)
	q := text("Haushaltsplan")
	expect(t, s, q, "comment:public")
	q.Audience = mitreden.SearchAudience{Moderator: true}
	expect(t, s, q, "comment:public", "comment:pending", "comment:hidden")
	q.Audience = mitreden.SearchAudience{Council: true}
	expect(t, s, q, "comment:public", "comment:council")
	q.Audience = mitreden.SearchAudience{Moderator: true, Council: true}
	expect(t, s, q, "comment:public", "comment:pending", "comment:hidden", "comment:council")
	// A hidden document's own words do not reveal it.
	expect(t, s, text("hidden"))
}

func testVisibilityListing(t *testing.T, s mitreden.Searcher) {
	mustIndex(t, s, visibilityDocs()...)
	q := mitreden.SearchQuery{Types: []string{mitreden.SearchTypeComment}, PerPage: 1}
	res := mustSearch(t, s, q)
	if res.Total != 1 || facet(res, mitreden.FacetType)["comment"] != 1 {
		t.Errorf("anonymous listing Total = %d, facets %v; want 1 and 1", res.Total, res.Facets)
	}
	q.Audience.Moderator = true
	if res := mustSearch(t, s, q); res.Total != 3 || facet(res, mitreden.FacetType)["comment"] != 3 {
		t.Errorf("moderator listing Total = %d, facets %v; want 3 and 3", res.Total, res.Facets)
	}
}

func testDelete(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	if err := s.Delete(ctx(t), "proposal:p1", "proposal:unknown"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expect(t, s, text("Bürgeramt"), "comment:k1")
	if n, err := s.Count(ctx(t)); err != nil || n != len(fixture())-1 {
		t.Errorf("Count = %d, %v; want %d", n, err, len(fixture())-1)
	}
	if err := s.Delete(ctx(t)); err != nil {
		t.Errorf("Delete(): %v", err)
	}
}

func testUpsert(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	d := fixture()[2]
	d.Title, d.Body, d.Status = "Sichere Fußwege", "Breitere Gehsteige für alle.", "rejected"
	mustIndex(t, s, d)
	expect(t, s, text("Hauptstraße"))
	res := expect(t, s, text("Gehsteige"), d.ID)
	if len(res.Items) == 1 && (res.Items[0].Title != d.Title || res.Items[0].Status != "rejected") {
		t.Errorf("hit = %+v, want the updated document", res.Items[0].SearchDoc)
	}
	if n, err := s.Count(ctx(t)); err != nil || n != len(fixture()) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(fixture()))
	}
}

// checkSafe fails unless h is orig escaped with only <mark> tags added.
func checkSafe(t *testing.T, what, h, orig string) {
	t.Helper()
	plain := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(h)
	if strings.ContainsAny(plain, `<>"`) {
		t.Errorf("%s %q contains unescaped markup", what, h)
	}
	if orig != "" && html.UnescapeString(plain) != orig {
		t.Errorf("%s %q does not show %q", what, h, orig)
	}
}

func testExcerptEscaping(t *testing.T, s mitreden.Searcher) {
	d := doc(mitreden.SearchTypeProposal, "x", `Lärmschutz & <b>"Ruhe"</b>`,
		`Vorher <script>alert("x")</script> & dann Lärmschutz für <i>alle</i>.`)
	mustIndex(t, s, d)
	res := expect(t, s, text("Lärmschutz"), d.ID)
	if len(res.Items) != 1 {
		return
	}
	h := res.Items[0]
	checkSafe(t, "TitleHTML", h.TitleHTML, d.Title)
	checkSafe(t, "Excerpt", h.Excerpt, d.Body)
	if !strings.Contains(h.TitleHTML, "<mark>Lärmschutz</mark>") {
		t.Errorf("TitleHTML = %q, want the match marked", h.TitleHTML)
	}
	if !strings.Contains(h.Excerpt, "<mark>Lärmschutz</mark>") {
		t.Errorf("Excerpt = %q, want the match marked", h.Excerpt)
	}
	if strings.Contains(h.Excerpt, "<script") || !strings.Contains(h.Excerpt, "&lt;script&gt;") {
		t.Errorf("Excerpt = %q, want the script tag escaped", h.Excerpt)
	}
	if h.Title != d.Title || h.Body != d.Body {
		t.Errorf("raw Title/Body changed: %q / %q", h.Title, h.Body)
	}
}

func testExcerptWindow(t *testing.T, s mitreden.Searcher) {
	filler := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 20)
	d := doc(mitreden.SearchTypeComment, "long", "Langer Beitrag", filler+"Hier steht das Wort Ortsbeirat in der Mitte. "+filler)
	mustIndex(t, s, d)
	res := expect(t, s, text("Ortsbeirat"), d.ID)
	if len(res.Items) != 1 {
		return
	}
	ex := res.Items[0].Excerpt
	if !strings.Contains(ex, "<mark>Ortsbeirat</mark>") {
		t.Errorf("Excerpt = %q, want the match in the middle of the body marked", ex)
	}
	plain := html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(ex))
	if n := utf8.RuneCountInString(plain); n < 100 || n > 300 {
		t.Errorf("Excerpt has %d runes, want about 200: %q", n, ex)
	}
	checkSafe(t, "Excerpt", ex, "")
}

// testExcerptWordsMeet checks that the excerpt shows the passage where the
// most query words meet, not the first match of one of them.
func testExcerptWordsMeet(t *testing.T, s mitreden.Searcher) {
	filler := strings.Repeat("Dazu gibt es im Rat viele Meinungen und noch mehr Sitzungen. ", 5)
	d := doc(mitreden.SearchTypeComment, "meet", "Zur Verwaltung",
		"Die digitale Verwaltung ist seit Jahren ein Thema, und viele Anträge liegen noch auf Papier vor. "+
			filler+"Viele Menschen haben Vorbehalte gegen digitale Prozesse im Bürgeramt. "+filler)
	mustIndex(t, s, d)
	res := expect(t, s, text("Vorbehalte digitale Prozesse"), d.ID)
	if len(res.Items) != 1 {
		return
	}
	ex := res.Items[0].Excerpt
	for _, w := range []string{"Vorbehalte", "digitale", "Prozesse"} {
		if !strings.Contains(ex, "<mark>"+w+"</mark>") {
			t.Errorf("Excerpt = %q, want the sentence holding all three words, %s marked", ex, w)
		}
	}
	checkSafe(t, "Excerpt", ex, "")
}

func testCount(t *testing.T, s mitreden.Searcher) {
	if n, err := s.Count(ctx(t)); err != nil || n != 0 {
		t.Errorf("empty Count = %d, %v", n, err)
	}
	indexFixture(t, s)
	mustIndex(t, s, visibilityDocs()...)
	want := len(fixture()) + len(visibilityDocs())
	if n, err := s.Count(ctx(t)); err != nil || n != want {
		t.Errorf("Count = %d, %v; want %d (every visibility)", n, err, want)
	}
}

func testRebuild(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	fresh := visibilityDocs()
	var during *mitreden.SearchResult
	err := s.Rebuild(ctx(t), func(yield func(mitreden.SearchDoc) error) error {
		for i, d := range fresh {
			if err := yield(d); err != nil {
				return err
			}
			if i == 1 {
				// Mid-rebuild the old index still answers.
				during = mustSearch(t, s, text("Bürgeramt"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if during == nil || during.Total != 2 {
		t.Errorf("search during rebuild = %+v, want the 2 old hits", during)
	}
	expect(t, s, text("Bürgeramt"))
	expect(t, s, text("Haushaltsplan"), "comment:public")
	if n, err := s.Count(ctx(t)); err != nil || n != len(fresh) {
		t.Errorf("Count after rebuild = %d, %v; want %d", n, err, len(fresh))
	}
	// The rebuilt index takes writes as usual.
	mustIndex(t, s, fixture()[0])
	expect(t, s, text("Bürgeramt"), "proposal:p1")
}

// testRebuildKeepsWrites checks that writes arriving while the feed runs
// survive the swap, and win over the feed's older copies.
func testRebuildKeepsWrites(t *testing.T, s mitreden.Searcher) {
	d := func(id, title string) mitreden.SearchDoc {
		return doc(mitreden.SearchTypeProposal, id, title, "")
	}
	mustIndex(t, s, d("gone", "Marktplatz"))
	err := s.Rebuild(ctx(t), func(yield func(mitreden.SearchDoc) error) error {
		if err := yield(d("a", "Stadtbibliothek")); err != nil {
			return err
		}
		if err := s.Index(ctx(t), d("b", "Hallenbad"), d("a", "Musikschule")); err != nil {
			return err
		}
		if err := s.Delete(ctx(t), "proposal:c"); err != nil {
			return err
		}
		return yield(d("c", "Sporthalle"))
	})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	expect(t, s, text("Hallenbad"), "proposal:b")
	expect(t, s, text("Musikschule"), "proposal:a")
	expect(t, s, text("Stadtbibliothek"))
	expect(t, s, text("Sporthalle"))
	expect(t, s, text("Marktplatz"))
}

// testIndexVersion checks, for an engine that versions its index layout,
// that a new index and a rebuilt one are of the current version.
func testIndexVersion(t *testing.T, s mitreden.Searcher) {
	v, ok := s.(mitreden.SearchIndexVersioner)
	if !ok {
		t.Skip("the engine does not version its index")
	}
	check := func(when string) {
		t.Helper()
		if need, err := v.NeedsRebuild(ctx(t)); err != nil || need {
			t.Errorf("%s: NeedsRebuild = %v, %v; want false", when, need, err)
		}
	}
	check("new index")
	indexFixture(t, s)
	check("after writes")
	if err := s.Rebuild(ctx(t), func(yield func(mitreden.SearchDoc) error) error { return yield(fixture()[0]) }); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	check("after a rebuild")
}

func testRebuildFailure(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	boom := errors.New("store down")
	err := s.Rebuild(ctx(t), func(yield func(mitreden.SearchDoc) error) error {
		if err := yield(visibilityDocs()[0]); err != nil {
			return err
		}
		return boom
	})
	if err == nil {
		t.Fatal("Rebuild with a failing feed returned nil")
	}
	expect(t, s, text("Bürgeramt"), "proposal:p1", "comment:k1")
	expect(t, s, text("Haushaltsplan"))
}

func testValidation(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	check := func(q mitreden.SearchQuery, code, msg string) {
		t.Helper()
		_, err := s.Search(ctx(t), q)
		var e *mitreden.Error
		if !errors.As(err, &e) || e.Code != code || e.Message != msg {
			t.Errorf("Search(%q) error = %v, want %s %s", q.Text, err, code, msg)
		}
	}
	check(text(""), mitreden.EINVALID, "search.query_empty")
	check(text("   \t "), mitreden.EINVALID, "search.query_empty")
	check(text(strings.Repeat("ä", mitreden.SearchMaxQueryLength+1)), mitreden.EINVALID, "search.query_too_long")
	check(mitreden.SearchQuery{Text: "Kita", Sort: "oldest"}, mitreden.EINVALID, "search.sort_invalid")
	if _, err := s.Search(ctx(t), text(strings.Repeat("ä", mitreden.SearchMaxQueryLength))); err != nil {
		t.Errorf("query of maximum length: %v", err)
	}
	res := mustSearch(t, s, mitreden.SearchQuery{Text: "Kita", PerPage: 1000})
	if res.PerPage != mitreden.SearchMaxPerPage {
		t.Errorf("PerPage = %d, want capped at %d", res.PerPage, mitreden.SearchMaxPerPage)
	}
}

func testSuggestion(t *testing.T, s mitreden.Searcher) {
	indexFixture(t, s)
	res := expect(t, s, text("Kiat"))
	if !strings.EqualFold(res.Suggestion, "kita") {
		t.Errorf("Suggestion = %q, want kita", res.Suggestion)
	}
	if res := mustSearch(t, s, text("Kita")); res.Suggestion != "" {
		t.Errorf("Suggestion with results = %q, want none", res.Suggestion)
	}
}

func testSuggestionVisibility(t *testing.T, s mitreden.Searcher) {
	d := doc(mitreden.SearchTypeComment, "secret", "Vertraulich", "Der Sperrvermerk gilt bis Mai.")
	d.Visibility = mitreden.VisibilityCouncil
	mustIndex(t, s, d)
	res := expect(t, s, text("Sperrvermirk"))
	if res.Suggestion != "" {
		t.Errorf("anonymous Suggestion = %q reveals a council-only word", res.Suggestion)
	}
	q := text("Sperrvermerk")
	q.Audience.Council = true
	expect(t, s, q, d.ID)
}

func testPing(t *testing.T, s mitreden.Searcher) {
	if err := s.Ping(ctx(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
