package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestSeedCitizens_SetsOfOneStoreGetDistinctNames seeds the demo citizens
// and the benchmark voters into one store: display names are unique, so the
// second set, whose generated names repeat the first's, carries its prefix;
// seeding again finds the same accounts.
func TestSeedCitizens_SetsOfOneStoreGetDistinctNames(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	e, err := open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	now := time.Now().UTC().Truncate(time.Second)
	demo, err := seedCitizens(ctx, e, "buerger", 3, demoCitizenPassword, now)
	if err != nil {
		t.Fatal(err)
	}
	scale, err := seedCitizens(ctx, e, "scale", 3, "Scale-Buerger-2026!", now)
	if err != nil {
		t.Fatalf("second set: %v", err)
	}
	for i := range scale {
		if scale[i].DisplayName != demo[i].DisplayName+" (scale)" {
			t.Errorf("citizen %d: %q beside %q", i, scale[i].DisplayName, demo[i].DisplayName)
		}
		if strings.Contains(demo[i].DisplayName, "(") {
			t.Errorf("demo citizen %d renamed: %q", i, demo[i].DisplayName)
		}
	}
	again, err := seedCitizens(ctx, e, "scale", 3, "Scale-Buerger-2026!", now)
	if err != nil {
		t.Fatalf("seeding again: %v", err)
	}
	for i := range again {
		if again[i].ID != scale[i].ID {
			t.Errorf("seeding again made citizen %d anew", i)
		}
	}
}
