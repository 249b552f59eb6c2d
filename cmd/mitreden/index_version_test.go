package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	blevelib "github.com/blevesearch/bleve/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestRebuildOutdatedIndex: an index that an older version built is rebuilt
// at start, once, and keeps what the store holds; a current one is left alone.
func TestRebuildOutdatedIndex(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	var logs bytes.Buffer
	log := newLogger(&logs, "info")
	ctx := context.Background()
	e, err := open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if err := e.openSearch(ctx); err != nil {
		t.Fatal(err)
	}
	admin := &mitreden.User{ID: "admin", DisplayName: "Admina", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Glasfaser für den ländlichen Raum", Summary: "Wo fehlt schnelles Internet am meisten?",
		Body: "Der Kreis plant den Ausbau und fragt, wo er anfangen soll.", Region: "Kreis", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(24 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	if did, err := rebuildOutdatedIndex(ctx, e, log); did || err != nil {
		t.Fatalf("current index rebuilt: %v %v", did, err)
	}

	// Make the live index look as an older version left it: without the
	// version it records.
	if err := e.searcher.Close(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.DataDir, "search")
	live, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := blevelib.Open(filepath.Join(dir, strings.TrimSpace(string(live))))
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.DeleteInternal([]byte("mitreden.mapping_version")); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.openSearch(ctx); err != nil {
		t.Fatal(err)
	}

	if did, err := rebuildOutdatedIndex(ctx, e, log); !did || err != nil {
		t.Fatalf("outdated index not rebuilt: %v %v", did, err)
	}
	if !strings.Contains(logs.String(), "search index rebuilt for this version") {
		t.Errorf("rebuild not logged: %s", logs.String())
	}
	if did, err := rebuildOutdatedIndex(ctx, e, log); did || err != nil {
		t.Fatalf("rebuilt twice: %v %v", did, err)
	}
	res, err := e.searcher.Search(ctx, mitreden.SearchQuery{Text: "Glasfaser"})
	if err != nil || res.Total != 1 {
		t.Fatalf("after the rebuild: %+v %v", res, err)
	}
}
