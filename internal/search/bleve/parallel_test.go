package bleve_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/search/searchtest"
)

// atLeastTwoCores lets split searches run on a single-core machine too.
func atLeastTwoCores(t *testing.T) {
	if prev := runtime.GOMAXPROCS(0); prev < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
}

// TestConformanceSplit runs the conformance suite with every search split
// across cores, as searches on a large index are.
func TestConformanceSplit(t *testing.T) {
	atLeastTwoCores(t)
	searchtest.Run(t, func(t *testing.T) mitreden.Searcher {
		x := MustOpen(t)
		x.SetParallelFrom(1)
		return x
	})
}

// TestSplitMatchesWhole checks that a split search answers exactly what the
// same search in one piece does: pages, totals and facets.
func TestSplitMatchesWhole(t *testing.T) {
	atLeastTwoCores(t)
	x := MustOpen(t)
	r := rand.New(rand.NewPCG(3, 4))
	vocab := []string{"Radweg", "Radwege", "Verwaltung", "Digitalisierung", "Schule", "Breitband", "Glasfaser",
		"Bürgeramt", "Termin", "Spielplatz", "Klimaschutz", "Bibliothek", "Haushalt", "Beteiligung"}
	statuses := []string{"submitted", "in_review", "accepted", "rejected"}
	topics := []string{"mobilitaet", "bildung", "umwelt", "verwaltung", "kultur"}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var docs []mitreden.SearchDoc
	for i := range 3000 {
		words := func(n int) string {
			s := ""
			for range n {
				s += vocab[r.IntN(len(vocab))] + " "
			}
			return s
		}
		id := strconv.Itoa(i)
		typ := []string{"proposal", "comment", "consultation"}[r.IntN(3)]
		d := mitreden.SearchDoc{ID: mitreden.SearchDocID(typ, id), Type: typ, ItemID: id, Lang: "de",
			Title: words(1 + r.IntN(4)), Body: words(5 + r.IntN(30)), ConsultationID: "c" + strconv.Itoa(r.IntN(5)),
			Topics: []string{topics[r.IntN(len(topics))]}, Visibility: mitreden.VisibilityPublic,
			CreatedAt: start.Add(time.Duration(i) * time.Hour), URL: "/x/" + id}
		if typ == "proposal" {
			d.Status = statuses[r.IntN(len(statuses))]
		}
		if i%40 == 0 {
			d.Visibility = mitreden.VisibilityHidden
		}
		docs = append(docs, d)
	}
	// Two writes make two segments, so parts cross segment borders.
	if err := x.Index(ctx(t), docs[:1700]...); err != nil {
		t.Fatal(err)
	}
	if err := x.Index(ctx(t), docs[1700:]...); err != nil {
		t.Fatal(err)
	}
	queries := []mitreden.SearchQuery{
		{Text: "Radweg Schule"},
		{Text: "Radweg Schule", Page: 3},
		{Text: "Radweg Schule", From: start.Add(500 * time.Hour), To: start.Add(2500 * time.Hour)},
		{Text: "Digitalisirung", From: start.Add(100 * time.Hour), Page: 2},
		{Text: "Radweg Schule", PerPage: 100, Page: 2},
		{Text: "Digitalisirung"},
		{Text: "Digitalisirung", Page: 4},
		{Text: "Glasfaser Breitband Termin", Types: []string{"proposal"}, Statuses: []string{"accepted", "rejected"}},
		{Text: "Bibl"},
		{Text: "Haushalt", Sort: mitreden.SearchSortNewest, Page: 2},
		{Types: []string{"comment"}, Page: 2},
		{Topics: []string{"umwelt"}, ConsultationIDs: []string{"c1", "c2"}},
		{Text: "Beteiligung", Audience: mitreden.SearchAudience{Moderator: true}},
		{Text: "Quantenphysik Radweg"},
	}
	search := func(q mitreden.SearchQuery) *mitreden.SearchResult {
		res, err := x.Search(ctx(t), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		return res
	}
	for _, q := range queries {
		x.SetParallelFrom(0)
		whole := search(q)
		x.SetParallelFrom(1)
		split := search(q)
		name := fmt.Sprintf("%+v", q)
		if whole.Total != split.Total {
			t.Errorf("%s: total %d split, %d whole", name, split.Total, whole.Total)
		}
		ids := func(res *mitreden.SearchResult) []string {
			var out []string
			for _, h := range res.Items {
				out = append(out, h.ID)
			}
			return out
		}
		if !slices.Equal(ids(whole), ids(split)) {
			t.Errorf("%s: page %v split, %v whole", name, ids(split), ids(whole))
		}
		for f, counts := range whole.Facets {
			if !slices.Equal(counts, split.Facets[f]) {
				t.Errorf("%s: facet %s %v split, %v whole", name, f, split.Facets[f], counts)
			}
		}
		if len(whole.Items) == 0 && q.Text != "Quantenphysik Radweg" {
			t.Errorf("%s: no hits; the test data should match", name)
		}
	}
}

// TestSplitSurvivesAWriteBetweenParts: the parts of a split search take
// their snapshots one by one; a write landing between them used to drop the
// share of every part that ran on the new snapshot, so hits vanished under
// load. Now the page is searched again whole.
func TestSplitSurvivesAWriteBetweenParts(t *testing.T) {
	atLeastTwoCores(t)
	x := MustOpen(t)
	x.SetParallelFrom(1)
	ctx := context.Background()
	var want []string
	for i := range 40 {
		d := mitreden.SearchDoc{ID: mitreden.SearchDocID("proposal", strconv.Itoa(i)), Type: "proposal", ItemID: strconv.Itoa(i),
			Lang: "de", Title: "Sichere Radwege " + strconv.Itoa(i), Body: "Breite Radwege an jeder Schule.",
			Visibility: mitreden.VisibilityPublic, CreatedAt: time.Now(), URL: "/p/" + strconv.Itoa(i)}
		if err := x.Index(ctx, d); err != nil { // one batch each: several segments
			t.Fatal(err)
		}
		want = append(want, d.ID)
	}
	first := make(chan struct{})
	var once sync.Once
	defer bleve.SetPartHooks(func(part int) {
		if part == 0 {
			return
		}
		<-first
		once.Do(func() {
			other := mitreden.SearchDoc{ID: "proposal:other", Type: "proposal", ItemID: "other", Lang: "de", Title: "Spielplatz",
				Body: "Ein neuer Spielplatz im Park.", Visibility: mitreden.VisibilityPublic, CreatedAt: time.Now(), URL: "/p/other"}
			if err := x.Index(ctx, other); err != nil {
				t.Error(err)
			}
		})
	}, func(part int) {
		if part == 0 {
			close(first)
		}
	})()
	res, err := x.Search(ctx, mitreden.SearchQuery{Text: "Radwege", PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range res.Items {
		got = append(got, h.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || res.Total != len(want) {
		t.Fatalf("split search with a write between its parts: %d hits (total %d), want %d", len(got), res.Total, len(want))
	}
}
