package meili_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/meili"
	"github.com/mitreden/mitreden/internal/search/searchtest"
)

var seq atomic.Int64

// MustOpen opens a fresh index with a unique name on the server at
// MEILI_URL, skipping the test when none is configured; the index (and its
// rebuild twin) is deleted at cleanup.
func MustOpen(tb testing.TB) *meili.Index {
	tb.Helper()
	url := os.Getenv("MEILI_URL")
	if url == "" {
		tb.Skip("MEILI_URL not set")
	}
	name := fmt.Sprintf("mitreden_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano(), seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x, err := meili.Open(ctx, url, os.Getenv("MEILI_API_KEY"), name)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = x.Drop(ctx)
		_ = x.Close()
	})
	return x
}

func TestConformance(t *testing.T) {
	searchtest.RunWith(t, func(t *testing.T) mitreden.Searcher { return MustOpen(t) },
		searchtest.Options{NoStemming: true, NoSuggestion: true})
}

func TestOpenUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := meili.Open(ctx, "http://127.0.0.1:1", "", "x")
	if mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE {
		t.Errorf("Open on a closed port = %v, want unavailable", err)
	}
}
