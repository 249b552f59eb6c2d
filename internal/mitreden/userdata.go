package mitreden

import (
	"context"
	"time"
)

// DeletedAuthorID is the author id a contribution keeps once its author
// deleted the account: it matches no user, so nobody can edit or own it,
// and every surface shows it as "gelöschtes Konto" / "deleted account".
// Its stored author name is empty.
const DeletedAuthorID = "deleted"

// AuthorDeleted tells whether authorID is that of a deleted account.
func AuthorDeleted(authorID string) bool { return authorID == DeletedAuthorID }

// Erasure is an account deletion in progress. It is recorded before
// anything is erased and removed once every step ran, so a crash midway is
// finished by the next start (or the background loop) instead of leaving a
// person half deleted. Every step is idempotent.
type Erasure struct {
	UserID    string
	StartedAt time.Time
	// Salt is a random secret of this deletion. The ids that replace the
	// person's vote ids are derived from it, so a step that runs twice
	// writes the same id; it is gone with the record, and with it any way
	// to link those votes to the person.
	Salt string
}

// UserDataSection is one part of what the platform holds about a person:
// a name (the key of the export document), how to export it and how to
// erase it. Services register their sections when they are wired, so a
// new kind of personal data (notifications, follows) joins the export and
// the deletion in one place.
type UserDataSection struct {
	Name string
	// Export returns the section's part of the export document, encodable
	// as JSON with stable field names; nil leaves the section out.
	Export func(ctx context.Context, u *User) (any, error)
	// Erase removes or unlinks the section's data of the erasure's
	// person. It must be idempotent: it runs again after a crash. Nil:
	// nothing to erase.
	Erase func(ctx context.Context, e *Erasure) error
}

// AuthoredItem is a proposal or comment a deleted account wrote, named for
// reindexing: its search document changes with the author.
type AuthoredItem struct {
	Type string // SearchTypeProposal or SearchTypeComment
	ID   string
}

// UserCommentVote is one helpful/not helpful vote a person cast on a comment.
type UserCommentVote struct {
	CommentID string
	Value     int
}

// UserDataStore reads everything of one person by its owner for the
// export, and erases or unlinks it for a deletion. Every export method
// streams one indexed query (by author or user, newest first), so a
// section costs a fixed number of round trips however much a person wrote.
// Every erase method is idempotent. Besides the codes named per method,
// every method returns EUNAVAILABLE and EINTERNAL.
type UserDataStore interface {
	// EachUserProposal streams the proposals userID wrote, newest first.
	EachUserProposal(ctx context.Context, userID string, yield func(*Proposal) error) error
	// EachUserComment streams the comments userID wrote, deleted ones
	// included, newest first.
	EachUserComment(ctx context.Context, userID string, yield func(*Comment) error) error
	// EachUserVote streams the votes userID cast on proposals, newest first.
	EachUserVote(ctx context.Context, userID string, yield func(UserVote) error) error
	// EachUserCommentVote streams the votes userID cast on comments.
	EachUserCommentVote(ctx context.Context, userID string, yield func(UserCommentVote) error) error
	// EachUserReport streams the reports userID made, newest first.
	EachUserReport(ctx context.Context, userID string, yield func(*Report) error) error
	// EachUserRevision streams the council revisions userID saved.
	EachUserRevision(ctx context.Context, userID string, yield func(*Revision) error) error
	// EachUserCouncilComment streams the council comments userID wrote.
	EachUserCouncilComment(ctx context.Context, userID string, yield func(*CouncilComment) error) error
	// EachUserCouncilVote streams the council votes userID cast.
	EachUserCouncilVote(ctx context.Context, userID string, yield func(CouncilVote) error) error
	// EachUserModerationAction streams the entries of the moderation
	// record about userID's contributions and account, newest first.
	EachUserModerationAction(ctx context.Context, userID string, yield func(*ModerationAction) error) error
	// EachUserParticipation streams the consultations userID is counted
	// as a participant of.
	EachUserParticipation(ctx context.Context, userID string, yield func(Participant) error) error

	// StartErasure records e; when a record of e.UserID exists already it
	// is left as it is and returned (a deletion resumed keeps its salt).
	StartErasure(ctx context.Context, e *Erasure) (*Erasure, error)
	// PendingErasures returns the deletions not finished that started at
	// startedBy or earlier, oldest first (at most 100).
	PendingErasures(ctx context.Context, startedBy time.Time) ([]*Erasure, error)
	// FinishErasure removes the record; a missing one is no error.
	FinishErasure(ctx context.Context, userID string) error
	// EraseUser removes the user document, every session and every
	// one-time account link of userID, so the address can register again at
	// once; a missing user is no error.
	EraseUser(ctx context.Context, userID string) error
	// UserItems returns the proposals and comments userID wrote, whose
	// search documents change when the author is anonymized.
	UserItems(ctx context.Context, userID string) ([]AuthoredItem, error)
	// AnonymizeAuthor attributes every proposal, comment, official answer,
	// held contribution, council revision, council comment and piece of
	// evidence of userID to DeletedAuthorID with an empty name, and the
	// consultations, recommendations and meetings they created to
	// DeletedAuthorID. Contributions stay readable.
	AnonymizeAuthor(ctx context.Context, userID string) error
	// UnlinkVotes gives every vote of userID (on proposals, on comments,
	// in the council), every report they made and every record counting
	// them as a participant an id derived from salt instead of the user,
	// without a user id, so counts and tallies stay as they are and nothing
	// is found by the user any more; it removes the support quotas and the
	// held-contribution counter of userID.
	UnlinkVotes(ctx context.Context, userID, salt string) error
}
