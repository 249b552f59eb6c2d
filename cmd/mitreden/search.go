package main

import (
	"context"
	"path/filepath"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/bleve"
)

// openSearcher picks the search engine from the configuration.
func openSearcher(ctx context.Context, cfg Config) (mitreden.Searcher, error) {
	return bleve.Open(filepath.Join(cfg.DataDir, "search"))
}
