package bleve

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestCustomPathMatchesStockBleve checks the query path built on Bleve's
// internals (wordQuery's own fuzzy candidates, the postings bitmaps of the
// first pass, the hit set the second pass scores) against Bleve's stock
// TermQuery, FuzzyQuery and PrefixQuery on the same index and fields. Each
// word of a query must match what the disjunction of the stock queries over
// the four text fields matches, so an upgrade of Bleve that changes how
// terms, fuzzy candidates or prefixes match fails here rather than in
// results.
func TestCustomPathMatchesStockBleve(t *testing.T) {
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	de := []string{"Radweg", "Radwege", "Radwegplanung", "Verwaltung", "Verwaltungen", "Digitalisierung",
		"digitalisierte", "Schule", "Schulen", "Schuhe", "Breitband", "Bürgeramt", "Bürgerämter", "Termin",
		"Termine", "Terminal", "Bibliothek", "Glasfaser", "Glasfaserausbau", "Zebrastreifenampel", "Straße"}
	en := []string{"cycle", "cycling", "cyclist", "lanes", "lane", "library", "libraries", "digital", "school", "schools"}
	var docs []mitreden.SearchDoc
	for i := range 150 {
		lang, vocab := "de", de
		if i%4 == 0 {
			lang, vocab = "en", en
		}
		text := func(n int) string {
			s := ""
			for range n {
				s += vocab[r.IntN(len(vocab))] + " "
			}
			return s
		}
		id := strconv.Itoa(i)
		docs = append(docs, mitreden.SearchDoc{ID: mitreden.SearchDocID("proposal", id), Type: "proposal", ItemID: id,
			Lang: lang, Title: text(1), Body: text(1 + r.IntN(3)), Visibility: mitreden.VisibilityPublic,
			CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)})
	}
	// Three writes: the custom path merges segments itself.
	for _, part := range [][]mitreden.SearchDoc{docs[:50], docs[50:100], docs[100:]} {
		if err := x.Index(ctx, part...); err != nil {
			t.Fatal(err)
		}
	}
	idx, release, err := x.current()
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	// stock returns the ids of the documents Bleve's own queries match for
	// the query word t in each text field, with that language's analysis:
	// its stemmed term exactly, plus for kinds "fuzzy" or "all" the terms
	// within its fuzziness sharing the first fuzzyPrefix runes, plus for
	// "prefix" or "all" (when t is a prefix) every term starting with its
	// prefix form.
	stock := func(tm term, kinds string) []string {
		var dis []query.Query
		for _, l := range (&wordQuery{t: tm}).langs() {
			for _, f := range []string{l.title, l.body} {
				tq := bleve.NewTermQuery(l.term)
				tq.SetField(f)
				dis = append(dis, tq)
				if kinds == "fuzzy" || kinds == "all" {
					q := bleve.NewFuzzyQuery(l.term)
					q.SetField(f)
					q.SetFuzziness(l.fuzz)
					q.SetPrefix(fuzzyPrefix)
					dis = append(dis, q)
				}
				if (kinds == "prefix" || kinds == "all") && tm.prefix && l.pre != "" {
					q := bleve.NewPrefixQuery(l.pre)
					q.SetField(f)
					dis = append(dis, q)
				}
			}
		}
		req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(dis...), len(docs), 0, false)
		res, err := idx.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		slices.Sort(ids)
		return ids
	}
	// custom returns the ids Search finds for text: one page holds them all
	// (pages of ties are not stable while segments merge).
	custom := func(text string) []string {
		res, err := x.Search(ctx, mitreden.SearchQuery{Text: text, PerPage: mitreden.SearchMaxPerPage})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total > mitreden.SearchMaxPerPage || res.Total != len(res.Items) {
			t.Fatalf("%q: Total %d, %d hits: the test needs fewer matches", text, res.Total, len(res.Items))
		}
		var ids []string
		for _, h := range res.Items {
			ids = append(ids, h.ID)
		}
		slices.Sort(ids)
		return ids
	}

	for _, word := range []string{
		"Radweg", "Schule", "Shule", "Rdweg", "Termin", "Bibliotek", "Digitalisirung", "Verwaltng", "Bürgeramt", "Strasse",
		"cycling", "libary", "Glasf", "Zebrastr", "Ter", "cyc", "Quantenphysik",
	} {
		ts := x.terms(word, true)
		if len(ts) != 1 {
			t.Fatalf("%q: %d terms", word, len(ts))
		}
		want := stock(ts[0], "all")
		if got := custom(word); !slices.Equal(got, want) {
			t.Errorf("%q: custom path found %d %v,\nstock Bleve %d %v", word, len(got), got, len(want), want)
		}
		// Each kind of match is compared on its own too (with the exact
		// term, which every kind includes), so a difference points at the
		// kind that changed.
		for _, kind := range []string{"term", "fuzzy", "prefix"} {
			got := customKind(t, x, idx, ts[0], kind)
			if want := stock(ts[0], kind); !slices.Equal(got, want) {
				t.Errorf("%q %s: custom path found %d %v,\nstock Bleve %d %v", word, kind, len(got), got, len(want), want)
			}
		}
	}
	for kind, word := range map[string]string{"term": "Radweg", "fuzzy": "Rdweg", "prefix": "Glasf"} {
		if len(stock(x.terms(word, true)[0], kind)) == 0 {
			t.Errorf("%s %q matches nothing: the test data should match", kind, word)
		}
	}
	if len(stock(x.terms("Quantenphysik", true)[0], "all")) != 0 {
		t.Error("Quantenphysik should match nothing")
	}
}

// customKind returns the ids the custom path's bitmaps find for the exact
// term of tm plus, by kind, its fuzzy candidates or its prefix.
func customKind(t *testing.T, x *Index, idx bleve.Index, tm term, kind string) []string {
	t.Helper()
	snap, release, err := snapshotOf(idx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	wq := &wordQuery{t: tm}
	memo, err := wq.remember(snap)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case "term":
		wq.t.prefix = false
		memo = &wordMemo{segments: memo.segments}
	case "fuzzy":
		wq.t.prefix = false
	case "prefix":
		if !tm.prefix {
			return nil
		}
		memo = &wordMemo{segments: memo.segments}
	}
	var ids []string
	for _, seg := range snap.Segments() {
		bm, err := wq.bitmap(&postings{seg: seg.Segment()}, memo)
		if err != nil {
			t.Fatal(err)
		}
		if del := seg.Deleted(); del != nil {
			bm.AndNot(del)
		}
		it := bm.Iterator()
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
