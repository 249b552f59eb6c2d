package mitreden

import "context"

// ConsultationStore persists consultations. Every write is one atomic
// single-document operation. Besides the codes named per method, every
// method returns EUNAVAILABLE when the store cannot be reached in time and
// EINTERNAL for anything unexpected.
type ConsultationStore interface {
	// CreateConsultation inserts c and sets its ID (and CreatedAt when zero).
	CreateConsultation(ctx context.Context, c *Consultation) error
	// FindConsultation returns the consultation with id; ENOTFOUND when
	// there is none (or id is malformed).
	FindConsultation(ctx context.Context, id string) (*Consultation, error)
	// UpdateConsultation replaces the editable fields of c.ID with the HTML
	// rendered from them, never the counters; ENOTFOUND when there is no
	// such consultation.
	UpdateConsultation(ctx context.Context, c *Consultation) error
	// ListConsultations returns a page of the consultations matching f,
	// newest opening first, and how many match in all.
	ListConsultations(ctx context.Context, f ConsultationFilter) ([]*Consultation, int, error)
	// IncConsultationCounts adds to the denormalized proposal and comment
	// counters and ends one counter write in flight (see CountState), which
	// ProposalStore.CreateProposal, CommentStore.CreateComment or
	// CommentStore.MarkCommentDeleted started; with none in flight (bulk
	// seeding) it moves the counters alone. A missing consultation is no
	// error (ENOTFOUND only for a malformed id).
	IncConsultationCounts(ctx context.Context, id string, proposals, comments int) error
	// AllConsultations streams every consultation to yield and returns
	// the first error yield returns.
	AllConsultations(ctx context.Context, yield func(*Consultation) error) error
	// StaleHTMLConsultations returns the ids of the consultations whose
	// HTMLVersion is not version.
	StaleHTMLConsultations(ctx context.Context, version int) ([]string, error)
	// SetConsultationHTML stores c's BodyHTML, ResultsHTML and HTMLVersion
	// if c's Body and Results are still the stored ones; ECONFLICT when
	// they changed meanwhile or the consultation is gone, ENOTFOUND for a
	// malformed id.
	SetConsultationHTML(ctx context.Context, c *Consultation) error
}
