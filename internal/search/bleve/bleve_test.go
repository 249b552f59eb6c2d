package bleve_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/search/searchtest"
)

// MustOpen opens an index in a fresh temporary directory, closed at cleanup.
func MustOpen(tb testing.TB) *bleve.Index {
	tb.Helper()
	x, err := bleve.Open(tb.TempDir())
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = x.Close() })
	return x
}

func TestConformance(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) mitreden.Searcher { return MustOpen(t) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func testDoc(id, title string) mitreden.SearchDoc {
	return mitreden.SearchDoc{ID: "proposal:" + id, Type: "proposal", ItemID: id, Title: title,
		Visibility: mitreden.VisibilityPublic, CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func total(t *testing.T, s mitreden.Searcher, text string) int {
	t.Helper()
	res, err := s.Search(ctx(t), mitreden.SearchQuery{Text: text})
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	return res.Total
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	x, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = bleve.Open(dir)
	if mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE || mitreden.ErrorMessage(err) != "search.locked" {
		t.Fatalf("second Open = %v, want unavailable search.locked", err)
	}
	if d := time.Since(start); d > 10*bleve.LockTimeout {
		t.Errorf("second Open took %v, want about %v", d, bleve.LockTimeout)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y, err := bleve.Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	_ = y.Close()
}

func TestReopenKeepsRebuiltIndex(t *testing.T) {
	dir := t.TempDir()
	x, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Index(ctx(t), testDoc("old", "Altes Rathaus")); err != nil {
		t.Fatal(err)
	}
	err = x.Rebuild(ctx(t), func(yield func(mitreden.SearchDoc) error) error {
		return yield(testDoc("new", "Neues Schwimmbad"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var subdirs []string
	for _, e := range entries {
		if e.IsDir() {
			subdirs = append(subdirs, e.Name())
		}
	}
	current, _ := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if len(subdirs) != 1 || subdirs[0]+"\n" != string(current) {
		t.Errorf("subdirectories %v, CURRENT %q: want only the live index", subdirs, current)
	}

	y, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if total(t, y, "Schwimmbad") != 1 || total(t, y, "Rathaus") != 0 {
		t.Error("reopened index is not the rebuilt one")
	}
}

func TestClosed(t *testing.T) {
	x, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_ = x.Close()
	if err := x.Ping(ctx(t)); mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE {
		t.Errorf("Ping after Close = %v, want unavailable", err)
	}
	if _, err := x.Search(ctx(t), mitreden.SearchQuery{Text: "x"}); mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE {
		t.Errorf("Search after Close = %v, want unavailable", err)
	}
}

// TestNewestManyHits checks the newest-first listing of more hits than it
// sorts at once (it then looks in date windows at the top): pages must match
// a full sort by date, across uneven dates and a document dated in the future.
func TestNewestManyHits(t *testing.T) {
	x := MustOpen(t)
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var docs []mitreden.SearchDoc
	for i := range 6000 {
		d := testDoc(strconv.Itoa(i), "Beitrag")
		// Most documents are old, a few recent: hits do not spread evenly.
		d.CreatedAt = start.Add(time.Duration(r.Int64N(int64(4 * 365 * 24 * time.Hour))))
		if i%500 == 0 {
			d.CreatedAt = start.AddDate(6, 0, i)
		}
		if i == 77 {
			d.CreatedAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		docs = append(docs, d)
	}
	if err := x.Index(ctx(t), docs...); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(docs, func(a, b mitreden.SearchDoc) int { return b.CreatedAt.Compare(a.CreatedAt) })
	for _, q := range []mitreden.SearchQuery{
		{Types: []string{"proposal"}, PerPage: 20},
		{Types: []string{"proposal"}, PerPage: 20, Page: 2},
		{Types: []string{"proposal"}, PerPage: 50, Page: 40},
		{Text: "Beitrag", Sort: mitreden.SearchSortNewest, PerPage: 20, Page: 3},
	} {
		res, err := x.Search(ctx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != len(docs) {
			t.Errorf("%+v: Total = %d, want %d", q, res.Total, len(docs))
		}
		from := (max(q.Page, 1) - 1) * q.PerPage
		var got, want []string
		for i, h := range res.Items {
			got = append(got, h.ID)
			want = append(want, docs[from+i].ID)
		}
		if len(got) != q.PerPage || !slices.Equal(got, want) {
			t.Errorf("%+v: page = %v, want %v", q, got, want)
		}
	}
}
