package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
		x, err := meili.Open(ctx, cfg.MeiliURL, cfg.MeiliAPIKey, cfg.MongoDatabase)
		var de *mitreden.Error
		if errors.As(err, &de) && de.Code == mitreden.EUNAVAILABLE {
			// The domain message speaks to a visitor; the operator needs the setting.
			where := cfg.MeiliURL
			if u, perr := url.Parse(where); perr == nil {
				where = u.Redacted()
			}
			return nil, fmt.Errorf("the Meilisearch at %s (MEILI_URL) does not answer: %v", where, de.Err)
		}
		return x, err
	}
	return bleve.Open(filepath.Join(cfg.DataDir, "search"))
}
