package mongo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestSearchRetries_KeepRecordsMadeAgain checks that a record made again
// after it was read survives the deletion of what was read: the retry that
// read it may have indexed an older state.
func TestSearchRetries_KeepRecordsMadeAgain(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	if err := s.AddSearchRetries(ctx, "proposal:a", "comment:b", "proposal:a"); err != nil {
		t.Fatal(err)
	}
	read, err := s.SearchRetries(ctx, 10)
	if err != nil || len(read) != 2 {
		t.Fatalf("read %v %v, want two records", read, err)
	}
	time.Sleep(2 * time.Millisecond)
	if err := s.AddSearchRetries(ctx, "comment:b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSearchRetries(ctx, read...); err != nil {
		t.Fatal(err)
	}
	left, err := s.SearchRetries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(rs []mitreden.SearchRetry) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.DocID)
		}
		return out
	}
	if !slices.Equal(ids(left), []string{"comment:b"}) {
		t.Fatalf("left %v, want the record made again", ids(left))
	}
	if got, _ := s.SearchRetries(ctx, 0); len(got) != 1 {
		t.Fatalf("limit 0 = %d records", len(got))
	}
}
