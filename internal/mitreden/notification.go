package mitreden

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Notifications bring people back when something happens to what they
// wrote, supported or follow. A write records one event as a background
// job and returns; the job finds the recipients and stores one
// notification per person under an _id made of the event and the person,
// so a retried fan-out never stores one twice. Each person decides per
// kind whether a notification is also mailed at once, in a daily or a
// weekly digest, or not at all.

// Notification kinds: what happened.
const (
	NotifyReply      = "reply"      // a reply to my comment
	NotifyComment    = "comment"    // a comment on my proposal
	NotifyAnswer     = "answer"     // an official answer or status change of a proposal I wrote, support or follow
	NotifyPhase      = "phase"      // a phase change of a consultation I follow
	NotifyModeration = "moderation" // a moderation decision about my contribution
	NotifyCitation   = "citation"   // a published council recommendation cites my contribution
)

// NotificationKinds lists every kind, in the order settings show them.
var NotificationKinds = []string{NotifyReply, NotifyComment, NotifyAnswer, NotifyPhase, NotifyModeration, NotifyCitation}

// MailMode is when a person gets a kind of notification by mail.
type MailMode string

// The mail modes. Every notification shows on the notifications page; the
// mode decides the mail only.
const (
	MailImmediately MailMode = "immediately"
	MailDaily       MailMode = "daily"
	MailWeekly      MailMode = "weekly"
	MailNever       MailMode = "never"
)

// MailModes lists the modes in the order the settings offer them.
var MailModes = []MailMode{MailImmediately, MailDaily, MailWeekly, MailNever}

// DefaultMailMode is the mode of a kind a person has not chosen: replies
// and official answers at once, everything else in the daily digest.
func DefaultMailMode(kind string) MailMode {
	if kind == NotifyReply || kind == NotifyAnswer {
		return MailImmediately
	}
	return MailDaily
}

// Follow targets.
const (
	FollowProposal     = "proposal"
	FollowConsultation = "consultation"
)

// Follow is a person following a proposal or consultation. Its key is
// user:targettype:targetid, so following twice is one follow.
type Follow struct {
	UserID     string
	TargetType string
	TargetID   string
	CreatedAt  time.Time
}

// FollowID is the deterministic key of a follow.
func FollowID(userID, targetType, targetID string) string {
	return userID + ":" + targetType + ":" + targetID
}

// Notification is one event as one person sees it.
type Notification struct {
	// ID is EventID + ":" + UserID.
	ID      string
	EventID string
	UserID  string
	Kind    string
	// Title names what it is about (the proposal, consultation or
	// recommendation); TitleLang is its language.
	Title, TitleLang string
	// Summary says what happened in a few words, in no language: the
	// status, the phase, the moderation action or an excerpt of the
	// comment (Excerpt, in ExcerptLang).
	Status, Phase, Action string
	Excerpt, ExcerptLang  string
	// ActorID and ActorName are who acted; both are emptied when that
	// account is deleted (the page then says "deleted account").
	ActorID, ActorName string
	// URL is the local path to what happened.
	URL string
	// ConsultationID and ConsultationTitle group digests.
	ConsultationID, ConsultationTitle string
	Read                              bool
	// Mail is how the notification is mailed, fixed when it is stored from
	// the person's settings; Mailed is set once a digest took it.
	Mail      MailMode
	Mailed    bool
	CreatedAt time.Time
}

// NotificationID is the deterministic key of an event's notification to a
// person.
func NotificationID(eventID, userID string) string { return eventID + ":" + userID }

// NotificationSettings are one person's mail modes per kind.
type NotificationSettings struct {
	UserID string
	Modes  map[string]MailMode
}

// Mode returns the person's mode for kind, or the kind's default.
func (s *NotificationSettings) Mode(kind string) MailMode {
	if s != nil {
		if m, ok := s.Modes[kind]; ok {
			return m
		}
	}
	return DefaultMailMode(kind)
}

// Validate checks that every kind and mode is known.
func (s *NotificationSettings) Validate() error {
	var fs []FieldError
	for k, m := range s.Modes {
		if !slices.Contains(NotificationKinds, k) {
			fs = append(fs, FieldError{Field: k, Code: "oneof", Message: "validation.oneof"})
		} else if !slices.Contains(MailModes, m) {
			fs = append(fs, FieldError{Field: k, Code: "oneof", Message: "validation.oneof"})
		}
	}
	if len(fs) > 0 {
		slices.SortFunc(fs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Invalid(fs...)
	}
	return nil
}

// NotificationCounts are a person's counters, kept on one document read by
// _id: the header's unread number and the list's total.
type NotificationCounts struct {
	Unread, Total int
}

// NotificationStore keeps follows, notifications, counters and settings.
// Every method is one query or write per call (batched ones one per
// batch). Besides the codes named, every method returns EUNAVAILABLE when
// the store cannot be reached in time and EINTERNAL for anything else.
type NotificationStore interface {
	// PutFollow stores f; following again is no error.
	PutFollow(ctx context.Context, f *Follow) error
	// DeleteFollow removes a follow; none is no error.
	DeleteFollow(ctx context.Context, userID, targetType, targetID string) error
	// Following tells whether the person follows the target (one _id
	// lookup).
	Following(ctx context.Context, userID, targetType, targetID string) (bool, error)
	// EachFollower calls fn with the followers of a target, batch at a
	// time, from one query that streams them (any number, one scan on
	// engines without indexes); an error of fn ends it.
	EachFollower(ctx context.Context, targetType, targetID string, batch int, fn func(userIDs []string) error) error
	// UserFollows returns every follow of a person, newest first.
	UserFollows(ctx context.Context, userID string) ([]*Follow, error)

	// InsertNotifications stores ns, skipping those whose ID exists, counts
	// the stored ones on their people's counters, and returns the stored
	// ones. A person appears at most once in ns.
	InsertNotifications(ctx context.Context, ns []*Notification) ([]*Notification, error)
	// ListNotifications returns a person's notifications, newest first.
	ListNotifications(ctx context.Context, userID string, page, perPage int) ([]*Notification, error)
	// FindNotification returns ENOTFOUND unless the notification exists
	// and is the person's.
	FindNotification(ctx context.Context, userID, id string) (*Notification, error)
	// CountNotifications reads the person's counters (one _id lookup;
	// zeros when there are none).
	CountNotifications(ctx context.Context, userID string) (NotificationCounts, error)
	// MarkNotificationRead marks one of the person's notifications read
	// and counts it off; already read is no error. ENOTFOUND when it is not
	// the person's.
	MarkNotificationRead(ctx context.Context, userID, id string) error
	// MarkAllNotificationsRead marks every notification of the person read
	// and sets the unread counter to zero.
	MarkAllNotificationsRead(ctx context.Context, userID string) error
	// PendingDigest returns up to limit notifications of mail mode mode
	// not yet mailed, created before before, of people whose id sorts
	// after afterUser, ordered by person and time (paging by person).
	PendingDigest(ctx context.Context, mode MailMode, before time.Time, afterUser string, limit int) ([]*Notification, error)
	// MarkNotificationsMailed marks the notifications mailed.
	MarkNotificationsMailed(ctx context.Context, ids []string) error
	// UserNotifications returns every notification of a person (export).
	UserNotifications(ctx context.Context, userID string) ([]*Notification, error)

	// NotificationSettings returns the stored settings of the people
	// (none stored: missing from the map).
	NotificationSettings(ctx context.Context, userIDs []string) (map[string]*NotificationSettings, error)
	// PutNotificationSettings replaces a person's settings.
	PutNotificationSettings(ctx context.Context, s *NotificationSettings) error
	// SetNotificationMode sets one kind's mode of a person.
	SetNotificationMode(ctx context.Context, userID, kind string, mode MailMode) error

	// EraseNotificationData removes a person's follows, notifications,
	// counters and settings, and their name from what others were told
	// of their actions.
	EraseNotificationData(ctx context.Context, userID string) error
}

// RecipientStore finds the people an event concerns with indexed queries.
type RecipientStore interface {
	// EachSupporter calls fn with the people who voted for or supported a
	// proposal, batch at a time, from one query that streams them; an
	// error of fn ends it.
	EachSupporter(ctx context.Context, proposalID string, batch int, fn func(userIDs []string) error) error
}

// MailRecipient is what mailing a person needs.
type MailRecipient struct {
	ID, Email, Language, DisplayName string
}

// MailRecipientStore reads the addresses of many people in one query.
type MailRecipientStore interface {
	// MailRecipients returns the people found among ids by id.
	MailRecipients(ctx context.Context, ids []string) (map[string]*MailRecipient, error)
}

// NotificationCountRepairStore recomputes people's notification counters
// from their notifications, for `mitreden recount`: a fan-out that died
// between storing notifications and counting them leaves a counter short.
type NotificationCountRepairStore interface {
	// NotificationTallies counts the notifications and the unread ones of
	// the given people, or of everyone when userIDs is nil (one
	// aggregation).
	NotificationTallies(ctx context.Context, userIDs []string) (map[string]NotificationCounts, error)
	// AllNotificationCounts reads every person's counters (one query).
	AllNotificationCounts(ctx context.Context) (map[string]NotificationCounts, error)
	// SetNotificationCounts sets a person's counters to to, only while
	// they are from (a missing counter reads as zeros); false when they
	// changed meanwhile.
	SetNotificationCounts(ctx context.Context, userID string, from, to NotificationCounts) (bool, error)
}
