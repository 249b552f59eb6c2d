package bleve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestOlderIndexNeedsRebuild checks that an index built by an older mapping
// version (here: one that recorded none, as before versioning) is reported
// by NeedsRebuild, keeps answering, and is current after a Rebuild, also
// when opened again.
func TestOlderIndexNeedsRebuild(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	needs := func(x *Index) bool {
		t.Helper()
		need, err := x.NeedsRebuild(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return need
	}
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if needs(x) {
		t.Error("a new index needs a rebuild")
	}
	d := mitreden.SearchDoc{ID: "proposal:1", Type: "proposal", ItemID: "1", Title: "Altes Rathaus",
		Visibility: mitreden.VisibilityPublic, CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := x.Index(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	// Make the live index one of an older version.
	name, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bleve.Open(filepath.Join(dir, strings.TrimSpace(string(name))))
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.DeleteInternal(versionKey); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	x, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !needs(x) {
		t.Error("an index without a version does not need a rebuild")
	}
	if res, err := x.Search(ctx, mitreden.SearchQuery{Text: "Rathaus"}); err != nil || res.Total != 1 {
		t.Errorf("old index: Search = %v, %v; want it to keep answering", res, err)
	}
	if err := x.Rebuild(ctx, func(yield func(mitreden.SearchDoc) error) error { return yield(d) }); err != nil {
		t.Fatal(err)
	}
	if needs(x) {
		t.Error("a rebuilt index needs a rebuild")
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := x.NeedsRebuild(ctx); mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE {
		t.Errorf("NeedsRebuild after Close = %v, want unavailable", err)
	}
	x, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if needs(x) {
		t.Error("the rebuilt index, opened again, needs a rebuild")
	}
}
