package mitreden

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The Digital Council (Digitalrat) drafts recommendations in a private
// workspace, grounded in what citizens said, decides on them and publishes
// them. Members hold the role council; admins may do what members do.

// Recommendation statuses: draft → in_review → adopted → published, or
// withdrawn at any stage before published.
const (
	RecDraft     = "draft"
	RecInReview  = "in_review"
	RecAdopted   = "adopted"
	RecPublished = "published"
	RecWithdrawn = "withdrawn"
)

// RecStatuses lists the statuses in order.
var RecStatuses = []string{RecDraft, RecInReview, RecAdopted, RecPublished, RecWithdrawn}

// Council vote values.
const (
	CouncilApprove = "approve"
	CouncilReject  = "reject"
	CouncilAbstain = "abstain"
)

// CouncilVoteValues lists the values of a member's vote.
var CouncilVoteValues = []string{CouncilApprove, CouncilReject, CouncilAbstain}

// Evidence types: what a recommendation may cite.
var EvidenceTypes = []string{"proposal", "comment", "consultation"}

// Limits of recommendations.
const (
	RecTitleMin   = 5
	RecTitleMax   = 200
	RecSummaryMax = 1000
	RecBodyMax    = 50000
	RecNoteMax    = 500
)

// Recommendation is a recommendation (Empfehlung) of the council with its
// current text (its newest revision).
type Recommendation struct {
	ID       string
	Title    string
	Summary  string
	Body     string // Markdown
	BodyHTML string // Body rendered and sanitized when saved
	Topics   []string
	// Lang is the language of title, summary and body.
	Lang   string
	Status string
	// Revision is the number of the current revision, from 1.
	Revision int
	// Vote is the decision among members, open while in_review.
	Vote CouncilTally
	// Published is the number of the newest published version (0: not
	// published), PublishedAt its time.
	Published   int
	PublishedAt time.Time
	// PublishedRevision is the revision the newest version was published
	// from: a later revision is a correction to publish.
	PublishedRevision int
	CreatedBy         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// CommentCount counts the council's internal comments.
	CommentCount int
}

// Validate checks the editable fields.
func (r *Recommendation) Validate() error {
	r.Title, r.Summary, r.Body = strings.TrimSpace(r.Title), strings.TrimSpace(r.Summary), strings.TrimSpace(r.Body)
	r.Topics = NormalizeTopics(r.Topics)
	var fs []FieldError
	for _, fe := range []*FieldError{
		lengthErr("title", utf8.RuneCountInString(r.Title), RecTitleMin, RecTitleMax, "validation.title_length"),
		lengthErr("summary", utf8.RuneCountInString(r.Summary), 0, RecSummaryMax, "validation.summary_length"),
		lengthErr("body", utf8.RuneCountInString(r.Body), 1, RecBodyMax, "validation.body_length"),
		CheckText("title", r.Title), CheckText("summary", r.Summary), CheckText("body", r.Body),
		checkTopics(r.Topics), CheckLang("lang", r.Lang),
	} {
		if fe != nil {
			fs = append(fs, *fe)
		}
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// CouncilTally is the state of a recommendation's vote.
type CouncilTally struct {
	Open                     bool
	OpenedAt, ClosedAt       time.Time
	Approve, Reject, Abstain int
	// Members is how many members there were when the vote closed; Adopted
	// the result.
	Members int
	Adopted bool
}

// Voted is how many members voted.
func (t CouncilTally) Voted() int { return t.Approve + t.Reject + t.Abstain }

// Revision is one immutable save of a recommendation's text.
type Revision struct {
	RecID   string
	N       int
	Title   string
	Summary string
	Body    string
	// BodyHTML is Body rendered and sanitized when saved; it becomes the
	// recommendation's BodyHTML with the revision.
	BodyHTML   string
	Topics     []string
	Lang       string
	AuthorID   string
	AuthorName string
	Note       string
	// RestoredFrom is the revision this one restores (0: none).
	RestoredFrom int
	At           time.Time
}

// Evidence links a citizen's contribution to a recommendation.
type Evidence struct {
	RecID       string
	Type        string // proposal, comment or consultation
	ItemID      string
	Note        string
	AddedBy     string
	AddedByName string
	At          time.Time
}

// ValidateEvidence checks an evidence link's type and note.
func ValidateEvidence(e *Evidence) error {
	e.Note = strings.TrimSpace(e.Note)
	var fs []FieldError
	if !slices.Contains(EvidenceTypes, e.Type) {
		fs = append(fs, FieldError{Field: "type", Code: "oneof", Message: "validation.oneof"})
	}
	if strings.TrimSpace(e.ItemID) == "" {
		fs = append(fs, FieldError{Field: "id", Code: "required", Message: "validation.required"})
	}
	if fe := lengthErr("note", utf8.RuneCountInString(e.Note), 0, RecNoteMax, "validation.note_length"); fe != nil {
		fs = append(fs, *fe)
	}
	if fe := CheckText("note", e.Note); fe != nil {
		fs = append(fs, *fe)
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// CouncilVote is one member's vote on a recommendation.
type CouncilVote struct {
	RecID, UserID, Value string
	At                   time.Time
}

// CouncilComment is a comment of the council's internal discussion.
type CouncilComment struct {
	ID         string
	RecID      string
	ParentID   string
	Depth      int
	AuthorID   string
	AuthorName string
	Body       string
	BodyHTML   string
	Lang       string
	CreatedAt  time.Time
}

// PublishedVersion is the frozen text of a published recommendation; a
// correction publishes a new version with its changelog note.
type PublishedVersion struct {
	RecID    string
	Version  int
	Revision int
	Title    string
	Summary  string
	Body     string
	BodyHTML string
	Topics   []string
	Lang     string
	Note     string // what changed (empty for the first version)
	At       time.Time
}

// Citation is a published recommendation that cites an item, kept on the
// item so its page shows "Aufgegriffen in der Empfehlung …" without a query.
type Citation struct {
	RecID, Title, Lang string
}

// RecommendationFilter selects published recommendations.
type RecommendationFilter struct {
	Topic         string
	From, To      time.Time // published in [From, To)
	Page, PerPage int
}

// CouncilStore persists the council's workspace. Besides the codes named
// per method, every method returns EUNAVAILABLE and EINTERNAL.
type CouncilStore interface {
	// CreateRecommendation inserts r (Revision 1, status draft) with its
	// first revision; sets r.ID.
	CreateRecommendation(ctx context.Context, r *Recommendation, rev *Revision) error
	// FindRecommendation returns ENOTFOUND when there is none.
	FindRecommendation(ctx context.Context, id string) (*Recommendation, error)
	// ListRecommendations lists the workspace's recommendations, newest
	// change first.
	ListRecommendations(ctx context.Context, status string, page, perPage int) ([]*Recommendation, int, error)
	// SaveRevision stores rev as revision base+1 and makes it current,
	// only if the current revision is base; ECONFLICT ("council.stale")
	// otherwise.
	SaveRevision(ctx context.Context, base int, rev *Revision) error
	// Revisions lists a recommendation's revisions, newest first.
	Revisions(ctx context.Context, recID string) ([]*Revision, error)
	// FindRevision returns ENOTFOUND when there is none.
	FindRevision(ctx context.Context, recID string, n int) (*Revision, error)
	// SetRecommendationStatus moves r from status from to r.Status with
	// r.Vote, r.Published and r.PublishedAt; ECONFLICT when its status is
	// no longer from.
	SetRecommendationStatus(ctx context.Context, r *Recommendation, from string) error
	// PutEvidence adds or replaces a link (one per item).
	PutEvidence(ctx context.Context, e *Evidence) error
	// DeleteEvidence removes a link; a missing one is no error.
	DeleteEvidence(ctx context.Context, recID, itemType, itemID string) error
	// EvidenceOf lists a recommendation's links, oldest first.
	EvidenceOf(ctx context.Context, recID string) ([]*Evidence, error)
	// PutCouncilVote stores a member's vote (one per member, changeable).
	PutCouncilVote(ctx context.Context, v *CouncilVote) error
	// CouncilVotes lists the votes on a recommendation.
	CouncilVotes(ctx context.Context, recID string) ([]*CouncilVote, error)
	// AddCouncilComment inserts c and sets c.ID.
	AddCouncilComment(ctx context.Context, c *CouncilComment) error
	// CouncilComments lists a recommendation's internal comments, oldest
	// first.
	CouncilComments(ctx context.Context, recID string) ([]*CouncilComment, error)
	// FindCouncilComment returns ENOTFOUND when there is none.
	FindCouncilComment(ctx context.Context, id string) (*CouncilComment, error)
	// PutPublishedVersion inserts a version (ECONFLICT when it exists).
	PutPublishedVersion(ctx context.Context, v *PublishedVersion) error
	// PublishedVersions lists a recommendation's versions, newest first.
	PublishedVersions(ctx context.Context, recID string) ([]*PublishedVersion, error)
	// ListPublished lists published recommendations, newest first.
	ListPublished(ctx context.Context, f RecommendationFilter) ([]*Recommendation, int, error)
	// AddCitation records on a proposal, comment or consultation that a
	// published recommendation cites it; a missing item is no error.
	AddCitation(ctx context.Context, itemType, itemID string, c Citation) error
	// Citations returns the citations kept on an item.
	Citations(ctx context.Context, itemType, itemID string) ([]Citation, error)
	// CouncilMembers counts the accounts holding the council role.
	CouncilMembers(ctx context.Context) (int, error)
	// CouncilChair returns the chair's user id ("" when none).
	CouncilChair(ctx context.Context) (string, error)
	// SetCouncilChair marks a member as chair ("" clears).
	SetCouncilChair(ctx context.Context, userID string) error
}
