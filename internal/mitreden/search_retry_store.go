package mitreden

import (
	"context"
	"time"
)

// SearchRetry is a search document to index again, as recorded at At.
type SearchRetry struct {
	DocID string
	At    time.Time
}

// SearchRetryStore records search documents whose indexing failed, so that
// they are indexed again from the store instead of waiting for a reindex.
// Every method returns EUNAVAILABLE when the store cannot be reached in time
// and EINTERNAL for anything unexpected.
type SearchRetryStore interface {
	// AddSearchRetries records (or records again, with a later time) the
	// search document ids.
	AddSearchRetries(ctx context.Context, docIDs ...string) error
	// SearchRetries returns up to limit records.
	SearchRetries(ctx context.Context, limit int) ([]SearchRetry, error)
	// DeleteSearchRetries removes the records, except one recorded again
	// since it was read (its time differs).
	DeleteSearchRetries(ctx context.Context, rs ...SearchRetry) error
}

// SearchableCounter counts the stored items a reindex feeds, without reading
// them, so the start-up check of the index stays cheap.
type SearchableCounter interface {
	// CountSearchable counts consultations, proposals, official answers and
	// comments not deleted. Returns EUNAVAILABLE or EINTERNAL.
	CountSearchable(ctx context.Context) (int, error)
}
