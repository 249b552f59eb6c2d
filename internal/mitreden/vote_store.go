package mitreden

import "context"

// VoteStore persists votes on proposals, one per user and proposal under a
// deterministic key, and each user's used supports per consultation. It
// never touches the proposal's tally: the service moves the counters. Besides
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
	DeleteVote(ctx context.Context, proposalID, userID string) (string, error)
	// ReserveSupport takes one of max supports of the user in the
	// consultation; ECONFLICT ("vote.limit_reached") when they are used up.
	ReserveSupport(ctx context.Context, consultationID, userID string, max int) error
	// ReleaseSupport gives one support back; none used is no error.
	ReleaseSupport(ctx context.Context, consultationID, userID string) error
	// UserVotes returns the user's votes on the given proposals by proposal id.
	UserVotes(ctx context.Context, userID string, proposalIDs []string) (map[string]string, error)
	// CountVotes counts a proposal's votes from the records (recount).
	CountVotes(ctx context.Context, proposalID string) (Tally, error)
}
