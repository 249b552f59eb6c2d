package mitreden

import "context"

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
	// UpdateCommentBody stores c.Body with its BodyHTML and HTMLVersion and
	// c.EditedAt, and marks the comment edited, if it is c.AuthorID's and not
	// deleted; ECONFLICT ("comment.not_editable") otherwise, also when it
	// is gone.
	UpdateCommentBody(ctx context.Context, c *Comment) error
	// MarkCommentDeleted clears the body and alignment of a comment of
	// authorID and keeps a placeholder; ECONFLICT ("comment.not_editable")
	// when it is not theirs, already deleted or gone, ENOTFOUND for a
	// malformed id. Like CreateComment it starts the counter writes on the
	// consultation and a proposal target, for the caller to end.
	MarkCommentDeleted(ctx context.Context, id, authorID string) error
	// ListComments returns every comment of a target, deleted ones
	// included, oldest first.
	ListComments(ctx context.Context, targetType, targetID string) ([]*Comment, error)
	// ListThread returns one page of a target's discussion: q.PerPage
	// top-level comments (deleted ones included, as placeholders) in
	// q.Order, every reply under them at any depth, and the counts of the
	// whole thread. Its cost does not grow with the thread: on MongoDB a
	// fixed number of indexed queries, however long the thread.
	ListThread(ctx context.Context, q ThreadQuery) (*ThreadPage, error)
	// TopLevelRank returns how many top-level comments of c's target come
	// before the top-level comment c in the order "oldest", so that a link
	// to c can open the page that holds it. EINVALID when c is a reply.
	TopLevelRank(ctx context.Context, c *Comment) (int, error)
	// CountComments counts a proposal's comments that are not deleted, in
	// all and by alignment, from the records (recount).
	CountComments(ctx context.Context, proposalID string) (total, forN, against, neutral int, err error)
	// AllComments streams every comment to yield and returns the first
	// error yield returns.
	AllComments(ctx context.Context, yield func(*Comment) error) error
	// StaleHTMLComments returns the ids of the comments whose HTMLVersion
	// is not version.
	StaleHTMLComments(ctx context.Context, version int) ([]string, error)
	// SetCommentHTML stores c's BodyHTML and HTMLVersion if c's Body is
	// still the stored one; ECONFLICT when it changed meanwhile or the
	// comment is gone, ENOTFOUND for a malformed id.
	SetCommentHTML(ctx context.Context, c *Comment) error
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

// Comment orders of a discussion: by creation, oldest or newest first, or
// best (most up minus down votes) first.
const (
	OrderOldest = "oldest"
	OrderNewest = "newest"
	OrderBest   = "best"
)

// ThreadQuery selects one page of a discussion.
type ThreadQuery struct {
	TargetType, TargetID string
	// Order is OrderOldest, OrderNewest or OrderBest; ties fall back to
	// oldest first.
	Order string
	// Page counts from 1; PerPage is the number of top-level comments.
	Page, PerPage int
}

// ThreadPage is one page of a discussion with the counts of all of it.
type ThreadPage struct {
	// Top are the page's top-level comments in the order asked.
	Top []*Comment
	// Replies are the replies under Top at every depth, oldest first.
	Replies []*Comment
	// TopTotal counts the thread's top-level comments, deleted ones
	// included (they keep their place as placeholders).
	TopTotal int
	// Visible counts the thread's comments of any depth not deleted.
	Visible int
}
