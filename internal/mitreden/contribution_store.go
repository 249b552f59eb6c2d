package mitreden

import (
	"context"
	"time"
)

// ContributionStore reads what one person contributed across all
// consultations, for the page "Meine Beiträge". Each list method is one
// indexed query on MongoDB (newest first, at most limit items); the embedded
// engine answers it by scanning the collection, which is acceptable for a
// page a person opens now and then, never for a page everyone reads. Besides
// the codes named per method, every method returns EUNAVAILABLE when the
// store cannot be reached in time and EINTERNAL for anything unexpected.
type ContributionStore interface {
	// UserProposals returns the proposals userID wrote, newest first.
	UserProposals(ctx context.Context, userID string, limit int) ([]*Proposal, error)
	// UserComments returns the comments userID wrote that are not deleted,
	// newest first.
	UserComments(ctx context.Context, userID string, limit int) ([]*Comment, error)
	// UserVoteList returns the votes userID cast on proposals, newest first.
	UserVoteList(ctx context.Context, userID string, limit int) ([]UserVote, error)
	// ProposalsByID returns the proposals with the given ids by id, leaving
	// out those missing; one query on MongoDB.
	ProposalsByID(ctx context.Context, ids []string) (map[string]*Proposal, error)
}

// UserVote is one vote a person cast on a proposal.
type UserVote struct {
	ProposalID, ConsultationID string
	// Value is "support", "yes", "no" or "abstain".
	Value     string
	CreatedAt time.Time
}
