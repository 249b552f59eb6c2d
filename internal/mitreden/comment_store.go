package mitreden

import (
	"context"
	"time"
)

// CommentStore persists comments, their threads and the votes on them.
// Every write is one atomic single-document operation, except that creating
// a comment also appends it to its target's thread. Besides the codes named
// per method, every method returns EUNAVAILABLE when the store cannot be
// reached in time and EINTERNAL for anything unexpected.
type CommentStore interface {
	// CreateComment inserts c, sets its ID (and CreatedAt when zero) and
	// lists it in its target's thread. It first starts a counter write on
	// c's consultation and, for a comment on a proposal, on the proposal
	// (see CountState); the caller ends them with IncConsultationCounts and
	// IncProposalCounts. When it fails before the comment is stored, it
	// ends them itself.
	CreateComment(ctx context.Context, c *Comment) error
	// FindComment returns the comment with id; ENOTFOUND when there is none
	// (or id is malformed).
	FindComment(ctx context.Context, id string) (*Comment, error)
	// UpdateCommentBody edits a comment of authorID that is not deleted;
	// ECONFLICT ("comment.not_editable") otherwise, also when it is gone.
	UpdateCommentBody(ctx context.Context, id, authorID, body string, at time.Time) error
	// MarkCommentDeleted clears the body and alignment of a comment of
	// authorID and keeps a placeholder; ECONFLICT ("comment.not_editable")
	// when it is not theirs, already deleted or gone, ENOTFOUND for a
	// malformed id. Like CreateComment it starts the counter writes on the
	// consultation and a proposal target, for the caller to end.
	MarkCommentDeleted(ctx context.Context, id, authorID string) error
	// SetCommentHidden hides or shows a comment (moderation); ENOTFOUND
	// when there is none.
	SetCommentHidden(ctx context.Context, id string, hidden bool) error
	// ListComments returns every comment of a target, deleted ones
	// included, oldest first.
	ListComments(ctx context.Context, targetType, targetID string) ([]*Comment, error)
	// CountComments counts a proposal's comments that are not deleted, in
	// all and by alignment, from the records (recount).
	CountComments(ctx context.Context, proposalID string) (total, forN, against, neutral int, err error)
	// AllComments streams every comment to yield and returns the first
	// error yield returns.
	AllComments(ctx context.Context, yield func(*Comment) error) error
	// PutCommentVote stores the user's +1 or -1 on a comment (0 removes it)
	// and returns the previous value (0 when none).
	PutCommentVote(ctx context.Context, commentID, userID string, value int) (int, error)
	// IncCommentVotes adds to a comment's up and down counters; a missing
	// comment is no error (ENOTFOUND only for a malformed id).
	IncCommentVotes(ctx context.Context, id string, up, down int) error
	// UserCommentVotes returns the user's votes on the given comments by
	// comment id.
	UserCommentVotes(ctx context.Context, userID string, commentIDs []string) (map[string]int, error)
}
