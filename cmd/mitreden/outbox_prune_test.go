package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPruneOutbox_DeletesOnlyOldMailFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	files := map[string]time.Time{"old.eml": now.Add(-100 * 24 * time.Hour), "new.eml": now, "old.txt": now.Add(-100 * 24 * time.Hour)}
	for name, at := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	n, err := pruneOutbox(dir, now.Add(-outboxRetention))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	for name, kept := range map[string]bool{"old.eml": false, "new.eml": true, "old.txt": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != kept {
			t.Errorf("%s: kept=%v, want %v", name, err == nil, kept)
		}
	}
	if n, err := pruneOutbox(filepath.Join(dir, "missing"), now); err != nil || n != 0 {
		t.Fatalf("missing outbox: %d %v", n, err)
	}
}
