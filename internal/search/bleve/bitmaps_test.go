package bleve

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBitmapCountMatchesSearch checks that the first pass on bitmaps finds
// exactly the documents the word queries and filters find when Bleve walks
// them: across segments, with updated and deleted documents, fuzzy, prefix,
// stop words, both languages and every filter.
func TestBitmapCountMatchesSearch(t *testing.T) {
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	de := []string{"Radweg", "Radwege", "Radwegplanung", "Verwaltung", "Digitalisierung", "digitalisierte",
		"Schule", "Schulen", "Breitband", "Bürgeramt", "Termin", "Termine", "und", "die", "Bibliothek"}
	en := []string{"cycle", "cycling", "lanes", "library", "libraries", "digital", "school", "the", "and"}
	var docs []mitreden.SearchDoc
	for i := range 1200 {
		lang, vocab := "de", de
		if i%5 == 0 {
			lang, vocab = "en", en
		}
		text := func(n int) string {
			s := ""
			for range n {
				s += vocab[r.IntN(len(vocab))] + " "
			}
			return s
		}
		typ := []string{"proposal", "comment", "consultation"}[r.IntN(3)]
		id := strconv.Itoa(i)
		d := mitreden.SearchDoc{ID: mitreden.SearchDocID(typ, id), Type: typ, ItemID: id, Lang: lang,
			Title: text(1 + r.IntN(3)), Body: text(3 + r.IntN(12)), ConsultationID: "c" + strconv.Itoa(r.IntN(4)),
			Region: []string{"Köln", "Münster"}[r.IntN(2)], Topics: []string{"t" + strconv.Itoa(r.IntN(3)), "t" + strconv.Itoa(r.IntN(5))},
			Visibility: []string{mitreden.VisibilityPublic, mitreden.VisibilityPublic, mitreden.VisibilityHidden, mitreden.VisibilityCouncil}[r.IntN(4)],
			CreatedAt:  time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)}
		if typ == "proposal" {
			d.Status = []string{"submitted", "accepted"}[r.IntN(2)]
		}
		docs = append(docs, d)
	}
	for i := 0; i < len(docs); i += 400 {
		if err := x.Index(ctx, docs[i:i+400]...); err != nil {
			t.Fatal(err)
		}
	}
	// Updates and deletions leave obsolete documents in older segments.
	for i := 0; i < 100; i++ {
		d := docs[i*7]
		d.Title = "Bibliothek library Termin"
		if err := x.Index(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Delete(ctx, docs[3].ID, docs[11].ID, docs[500].ID); err != nil {
		t.Fatal(err)
	}

	queries := []mitreden.SearchQuery{
		{Text: "Radweg Schule"},
		{Text: "Radweg Schule", Audience: mitreden.SearchAudience{Moderator: true, Council: true}},
		{Text: "Digitalisirung Termin"},
		{Text: "Bibliotek Termine"},
		{Text: "Breitbnad Schule"},
		{Text: "digitalisierte Verwaltung"},
		{Text: "cycling library"},
		{Text: "Termin Bibl"},
		{Text: "Termin R"},
		{Text: "die und"},
		{Text: "Bürgeramt Breitband", Types: []string{"proposal", "comment"}, Statuses: []string{"accepted"}},
		{Text: "Schule Termin", ConsultationIDs: []string{"c1"}, Topics: []string{"t2", "t4"}, Region: "Köln"},
		{Types: []string{"consultation"}},
		{Topics: []string{"t0"}, Region: "Münster", Audience: mitreden.SearchAudience{Council: true}},
		{Text: "Quantenphysik Radweg"},
	}
	idx, release, err := x.current()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	adv, err := idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	snap := rd.(*scorch.IndexSnapshot)
	for _, q := range queries {
		_, wqs := wordQueries(x.terms(q.Text, true))
		set, facets, err := countOnSnapshot(snap, &q, wqs)
		if err != nil {
			t.Fatal(err)
		}
		words, _ := wordQueries(x.terms(q.Text, true))
		want := walk(t, snap, idx.Mapping(), engineQuery(&q, words))
		got := setIDs(t, snap, set)
		if !slices.Equal(got, want) {
			t.Errorf("%+v: bitmaps found %d %v,\nsearch %d %v", q, len(got), got, len(want), want)
		}
		if int(set.total) != len(want) {
			t.Errorf("%+v: total %d, want %d", q, set.total, len(want))
		}
		if q.Text == "Radweg Schule" && len(want) == 0 {
			t.Errorf("%+v: the test data should match", q)
		}
		n := 0
		for _, c := range facets[mitreden.FacetType] {
			n += c.Count
		}
		if n != len(want) {
			t.Errorf("%+v: type facet counts %d hits, want %d", q, n, len(want))
		}
	}
}

// walk returns the sorted ids of the documents q's searcher visits on snap.
func walk(t *testing.T, snap *scorch.IndexSnapshot, m mapping.IndexMapping, q query.Query) []string {
	t.Helper()
	s, err := q.Searcher(context.Background(), snap, m, search.SearcherOptions{Score: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)}
	var ids []string
	for {
		dm, err := s.Next(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if dm == nil {
			break
		}
		id, err := snap.ExternalID(dm.IndexInternalID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		sctx.DocumentMatchPool.Put(dm)
	}
	slices.Sort(ids)
	return ids
}

// setIDs returns the sorted document ids of set.
func setIDs(t *testing.T, snap *scorch.IndexSnapshot, set *hitSet) []string {
	t.Helper()
	if !set.sameSegments(snap) {
		t.Fatal("set from another snapshot")
	}
	var ids []string
	for i, seg := range snap.Segments() {
		it := set.hits[i].Iterator()
		for it.HasNext() {
			id, err := seg.DocID(uint64(it.Next()))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, string(id))
		}
	}
	slices.Sort(ids)
	return ids
}
