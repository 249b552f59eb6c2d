package mitreden

import "context"

// VoteStore persists votes on proposals, one per user and proposal under a
// deterministic key, and each user's used supports per consultation. It
// never moves the proposal's tally: each method that changes a vote record
// first starts a counter write on the proposal (see CountState), which the
// caller ends with ProposalStore.IncProposalCounts once the record changed;
// when the record does not change (any error), the method ends it itself.
// That costs one update per vote and lets a recount run at any time. Besides
// the codes named per method, every method returns EUNAVAILABLE when the
// store cannot be reached in time and EINTERNAL for anything unexpected.
type VoteStore interface {
	// InsertVote stores the user's first vote on the proposal; ECONFLICT
	// when the user already voted on it.
	InsertVote(ctx context.Context, proposalID, userID, consultationID, value string) error
	// FindVote returns the value of the user's vote; ENOTFOUND when none.
	FindVote(ctx context.Context, proposalID, userID string) (string, error)
	// ChangeVote sets value only while the stored value is old; ECONFLICT
	// otherwise (changed or withdrawn meanwhile).
	ChangeVote(ctx context.Context, proposalID, userID, old, value string) error
	// DeleteVote removes the vote and returns its value; ENOTFOUND when none.
	// Before it removes a support, it touches the user's quota in the
	// consultation, so a quota recount knows a release may follow.
	DeleteVote(ctx context.Context, proposalID, userID string) (string, error)
	// ReserveSupport takes one of max supports of the user in the
	// consultation; ECONFLICT ("vote.limit_reached") when they are used up.
	// A reservation precedes the vote record it pays for.
	ReserveSupport(ctx context.Context, consultationID, userID string, max int) error
	// ReleaseSupport gives one support back; none used is no error.
	ReleaseSupport(ctx context.Context, consultationID, userID string) error
	// SupportsUsed returns how many supports the user took in the
	// consultation (0 when none): one lookup by _id, cheap enough for every
	// page view.
	SupportsUsed(ctx context.Context, consultationID, userID string) (int, error)
	// UserVotes returns the user's votes on the given proposals by proposal id.
	UserVotes(ctx context.Context, userID string, proposalIDs []string) (map[string]string, error)
	// CountVotes counts a proposal's votes from the records (recount).
	CountVotes(ctx context.Context, proposalID string) (Tally, error)
	// HasVotes tells whether anyone voted on a proposal of the consultation.
	HasVotes(ctx context.Context, consultationID string) (bool, error)
}
