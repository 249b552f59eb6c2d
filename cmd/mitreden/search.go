package main

import (
	"context"
	"path/filepath"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/search/meili"
)

// openSearcher picks the search engine from the configuration: Meilisearch
// when MEILI_URL is set, with an index named after the database so that
// several installations can share one Meilisearch; else the embedded Bleve
// index under the data dir (whose lock open or embedded.Start holds).
func openSearcher(ctx context.Context, cfg Config) (mitreden.Searcher, error) {
	if cfg.MeiliURL != "" {
		return meili.Open(ctx, cfg.MeiliURL, cfg.MeiliAPIKey, cfg.MongoDatabase)
	}
	return bleve.Open(filepath.Join(cfg.DataDir, "search"))
}
