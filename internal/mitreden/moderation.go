package mitreden

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Moderation keeps discussions civil and lawful in the open: people report
// proposals and comments, moderators decide with a reason, every decision
// is recorded for good and shown in a public log, and the author is told.

// Item types moderation acts on.
const (
	ItemProposal = "proposal"
	ItemComment  = "comment"
	ItemUser     = "user"
)

// ReportReasons are the reasons a report gives.
var ReportReasons = []string{"spam", "insulting", "off_topic", "personal_data", "illegal", "other"}

// Limits of moderation texts.
const (
	ReportNoteMax        = 1000
	ModerationReasonMax  = 500
	AppealNoteMax        = 1000
	DefaultHideThreshold = 3
)

// Moderation actions as recorded.
const (
	ActionApprove  = "approve"   // reports dismissed, or a held item released
	ActionHide     = "hide"      // hidden by a moderator
	ActionUnhide   = "unhide"    // shown again
	ActionAutoHide = "auto_hide" // hidden by reports reaching the threshold
	ActionBlock    = "block"
	ActionUnblock  = "unblock"
	ActionAppeal   = "appeal" // the author asked for a review
)

// ModerationActions lists every recorded action (filters of the log).
var ModerationActions = []string{ActionApprove, ActionHide, ActionUnhide, ActionAutoHide, ActionBlock, ActionUnblock, ActionAppeal}

// ItemActions are the actions a moderator applies to an item.
var ItemActions = []string{ActionApprove, ActionHide, ActionUnhide}

// Why a contribution is held for review before anyone else sees it.
const (
	HeldPreModeration = "premoderation"
	HeldWords         = "words"
)

// Report is one person's report of a proposal or comment. A person reports
// an item once.
type Report struct {
	ItemType, ItemID string
	ReporterID       string
	Reason           string
	Note             string
	CreatedAt        time.Time
}

// Validate checks reason and note.
func (r *Report) Validate() error {
	r.Note = strings.TrimSpace(r.Note)
	var fs []FieldError
	if !slices.Contains(ReportReasons, r.Reason) {
		fs = append(fs, FieldError{Field: "reason", Code: "oneof", Message: "moderation.report_reason_missing"})
	}
	if fe := lengthErr("note", utf8.RuneCountInString(r.Note), 0, ReportNoteMax, "validation.note_length"); fe != nil {
		fs = append(fs, *fe)
	}
	if fe := CheckText("note", r.Note); fe != nil {
		fs = append(fs, *fe)
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// CheckReason checks the reason every moderator action requires.
func CheckReason(field, reason string, max int) *FieldError {
	reason = strings.TrimSpace(reason)
	if fe := lengthErr(field, utf8.RuneCountInString(reason), 1, max, "validation.reason_length"); fe != nil {
		return fe
	}
	return CheckText(field, reason)
}

// ItemModeration is what moderation decided about a proposal or comment,
// kept on the item itself so every read shows it without another lookup.
type ItemModeration struct {
	// Reason, By and At tell who hid the item, when and why (while hidden).
	Reason string
	By     string
	At     time.Time
	// Auto is set when reports hid the item pending review; Review when
	// an edit waits for review (pre-moderation or a listed word).
	Auto, Review bool
	// Appealed is set once the author asked for a review: one appeal per
	// item.
	Appealed bool
	// Decisions counts the recorded actions on the item, so the author's
	// page reads the record only when there is something to show.
	Decisions int
	// ReleasedAt is when a pre-moderated item was released.
	ReleasedAt time.Time
}

// ModerationAction is one entry of the moderation record. It is written
// once and never changed or deleted.
type ModerationAction struct {
	ID        string
	At        time.Time
	ActorID   string // "" for the platform (automatic hiding)
	ActorName string
	Action    string
	// ItemType is ItemProposal, ItemComment or ItemUser; ItemID its id.
	ItemType, ItemID string
	// ConsultationID, TargetType and TargetID place the item: a comment's
	// proposal or consultation, a proposal's consultation.
	ConsultationID       string
	TargetType, TargetID string
	// AuthorID is whose contribution (or account) it concerns.
	AuthorID string
	Reason   string
	// Until ends a block; zero for a permanent one.
	Until time.Time
}

// ModerationLogFilter selects entries of the record, newest first.
type ModerationLogFilter struct {
	Action   string
	From, To time.Time // From inclusive, To exclusive; zero: open
	// ItemType with ItemID, or AuthorID, narrow to one item or person.
	ItemType, ItemID string
	AuthorID         string
	Page, PerPage    int
}

// QueueEntry is an item waiting for a moderator: reported, held before
// publication, or appealed. Its ID is ItemType + ":" + ItemID.
type QueueEntry struct {
	ID               string
	ItemType, ItemID string
	ConsultationID   string
	// TargetType and TargetID: where a comment shows.
	TargetType, TargetID string
	AuthorID             string
	// Reports counts the reports since the last review; ReportedAt is the
	// newest.
	Reports    int
	ReportedAt time.Time
	// Since is when the item entered the queue.
	Since time.Time
	// Hidden is set while the item is hidden pending review.
	Hidden bool
	// Appeal is set when the author asked for a review, with the note;
	// HiddenBy is the moderator whose hiding is appealed.
	Appeal     bool
	AppealNote string
	HiddenBy   string
	// Held is set for a contribution not yet published.
	Held *HeldContribution
	// EditWhy is set (HeldPreModeration, HeldWords) when an edit of a
	// published item waits for review, with the listed Words it has.
	EditWhy string
	Words   []string
}

// QueueEntryID is the id of the queue entry of an item.
func QueueEntryID(itemType, itemID string) string { return itemType + ":" + itemID }

// HeldContribution is a proposal or comment written where moderators
// review before publication, or caught by the word list. It is published
// with ID when released.
type HeldContribution struct {
	Why      string // HeldPreModeration or HeldWords
	Proposal *Proposal
	Comment  *Comment
	// Words are the listed words that matched (HeldWords).
	Words []string
}

// Title is the held proposal's title, or "".
func (h *HeldContribution) Title() string {
	if h.Proposal != nil {
		return h.Proposal.Title
	}
	return ""
}

// ModerationStore persists reports, the queue and the record. Besides the
// codes named per method, every method returns EUNAVAILABLE and EINTERNAL.
type ModerationStore interface {
	// CreateReport stores r; ECONFLICT ("moderation.already_reported")
	// when the reporter reported the item before.
	CreateReport(ctx context.Context, r *Report) error
	// ItemReports returns the reports of an item, oldest first.
	ItemReports(ctx context.Context, itemType, itemID string) ([]*Report, error)
	// AddQueueReport counts one report on the item's queue entry, creating
	// the entry from e when there is none, and returns the entry after it.
	AddQueueReport(ctx context.Context, e *QueueEntry, at time.Time) (*QueueEntry, error)
	// PutQueueEntry inserts or replaces an entry.
	PutQueueEntry(ctx context.Context, e *QueueEntry) error
	// FindQueueEntry returns an entry; ENOTFOUND when there is none.
	FindQueueEntry(ctx context.Context, id string) (*QueueEntry, error)
	// DeleteQueueEntry removes an entry; a missing one is no error.
	DeleteQueueEntry(ctx context.Context, id string) error
	// ListQueue returns a page of the queue in review order (appeals and
	// items hidden by reports first, then the most reported, then the
	// oldest) and its length.
	ListQueue(ctx context.Context, page, perPage int) ([]*QueueEntry, int, error)
	// HeldOf returns the held contributions of an author, of one
	// consultation unless consultationID is "", oldest first.
	HeldOf(ctx context.Context, authorID, consultationID string) ([]*QueueEntry, error)
	// AppendModerationAction records a; the record is never changed.
	AppendModerationAction(ctx context.Context, a *ModerationAction) error
	// ListModerationActions returns a page of the record, newest first, and
	// how many match.
	ListModerationActions(ctx context.Context, f ModerationLogFilter) ([]*ModerationAction, int, error)
	// SetItemModeration stores whether an item is hidden and its
	// moderation fields; ENOTFOUND when it is gone.
	SetItemModeration(ctx context.Context, itemType, id string, hidden bool, m ItemModeration) error
	// NewItemID returns a new id for a proposal or comment held before
	// publication.
	NewItemID() string
	// CountModerators counts the accounts holding the moderator or admin
	// role (an appeal goes to another moderator where there is one).
	CountModerators(ctx context.Context) (int, error)
}

// Block is a moderator's block of an account: it can read and log in, and
// every write is refused with the reason until Until (zero: for good).
type Block struct {
	Reason string
	Until  time.Time
	By     string
	At     time.Time
}

// BlockedAt tells whether u is blocked at now.
func (u *User) BlockedAt(now time.Time) bool {
	if u == nil || !u.Blocked {
		return false
	}
	return u.BlockedUntil.IsZero() || now.Before(u.BlockedUntil)
}
