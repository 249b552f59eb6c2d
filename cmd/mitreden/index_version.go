package main

import (
	"context"
	"log/slog"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// rebuildOutdatedIndex rebuilds the search index when an older version of
// mitreden built it, and reports whether it did. Search keeps answering from
// the old index until the new one is swapped in, so serve runs it in the
// background.
func rebuildOutdatedIndex(ctx context.Context, e *env, log *slog.Logger) (bool, error) {
	v, ok := e.searcher.(mitreden.SearchIndexVersioner)
	if !ok {
		return false, nil
	}
	stale, err := v.NeedsRebuild(ctx)
	if err != nil || !stale {
		return false, err
	}
	log.Info("search index built by an older version; rebuilding it in the background")
	n, err := e.indexing.Reindex(ctx, nil)
	if err != nil {
		return false, err
	}
	log.Info("search index rebuilt for this version", "docs", n)
	return true, nil
}
