package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Job kinds of notifications.
const (
	JobNotify = "notify" // one event's fan-out
	JobDigest = "digest" // one period's digest mails
)

// NotificationsConfig is how notifications reach people. Zero fields take
// defaults.
type NotificationsConfig struct {
	// BaseURL is the public URL the links in mails start with.
	BaseURL string
	// Secret signs the one-click unsubscribe links (the server secret).
	Secret []byte
	// DigestHour is the hour (Europe/Berlin) the daily digest goes out
	// and, on Mondays, the weekly one; default 7.
	DigestHour int
	// Batch is how many recipients the fan-out handles per store round;
	// default 1000.
	Batch int
}

// Notifications is the use case layer of follows, notifications, their
// settings, digests and one-click unsubscribes.
type Notifications struct {
	st    mitreden.NotificationStore
	rcpt  mitreden.RecipientStore
	part  mitreden.ParticipationStore
	users mitreden.MailRecipientStore
	jobs  *Jobs
	mail  mitreden.MailSender
	now   Clock
	log   *slog.Logger
	cfg   NotificationsConfig
	// personOf names the account a participant record's key counts as
	// once the record is linked (Attach wires the participation's).
	personOf func(ctx context.Context, id string) string
}

// NewNotifications wires the service and registers its job handlers
// with jobs. users and mail may be nil (no mails).
func NewNotifications(st mitreden.NotificationStore, rcpt mitreden.RecipientStore, part mitreden.ParticipationStore,
	users mitreden.MailRecipientStore, jobs *Jobs, mail mitreden.MailSender, now Clock, log *slog.Logger, cfg NotificationsConfig) *Notifications {
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.DigestHour <= 0 || cfg.DigestHour > 23 {
		cfg.DigestHour = 7
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	n := &Notifications{st: st, rcpt: rcpt, part: part, users: users, jobs: jobs, mail: mail, now: now, log: log, cfg: cfg}
	jobs.Handle(JobNotify, n.HandleNotify)
	jobs.Handle(JobDigest, n.HandleDigest)
	return n
}

// Attach makes the participation service's writes record their events
// here; call before serving.
func (n *Notifications) Attach(p *Participation) {
	p.notes = n
	n.personOf = func(ctx context.Context, id string) string {
		if p.personOf == nil {
			return id
		}
		return p.personOf(ctx, id)
	}
}

// AttachCouncil makes published recommendations notify the authors of
// what they cite; call before serving.
func (n *Notifications) AttachCouncil(c *Council) { c.notes = n }

// NotificationsPage is one page of a person's notifications.
type NotificationsPage struct {
	Items         []*mitreden.Notification
	Unread, Total int
	Page, PerPage int
}

// Pages returns the number of pages.
func (p *NotificationsPage) Pages() int {
	return max(1, (p.Total+p.PerPage-1)/p.PerPage)
}

// NotificationsPerPage is the default page size of the list.
const NotificationsPerPage = 20

func signedIn(actor *mitreden.User) error {
	if actor == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	return nil
}

// ReadNotifications returns a page of actor's notifications, newest first,
// with the counters: two store calls. Returns EUNAUTHORIZED.
func (n *Notifications) ReadNotifications(ctx context.Context, actor *mitreden.User, page, perPage int) (*NotificationsPage, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if perPage <= 0 || perPage > 100 {
		perPage = NotificationsPerPage
	}
	page = max(page, 1)
	counts, err := n.st.CountNotifications(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	out := &NotificationsPage{Unread: min(counts.Unread, counts.Total), Total: counts.Total, Page: page, PerPage: perPage}
	if (page-1)*perPage >= counts.Total {
		return out, nil
	}
	out.Items, err = n.st.ListNotifications(ctx, actor.ID, page, perPage)
	return out, err
}

// Unread returns the number of actor's unread notifications for the
// header: one lookup by _id, none for visitors. A failed read shows none.
func (n *Notifications) Unread(ctx context.Context, actor *mitreden.User) int {
	if n == nil || actor == nil {
		return 0
	}
	c, err := n.st.CountNotifications(ctx, actor.ID)
	if err != nil {
		n.log.Warn("unread notifications", "err", err)
		return 0
	}
	return min(c.Unread, c.Total)
}

// OpenNotification marks actor's notification read and returns it (the
// link on the list leads through here to its URL). Returns EUNAUTHORIZED,
// ENOTFOUND (not actor's).
func (n *Notifications) OpenNotification(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Notification, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if err := n.st.MarkNotificationRead(ctx, actor.ID, id); err != nil {
		return nil, err
	}
	nt, err := n.st.FindNotification(ctx, actor.ID, id)
	if err != nil {
		return nil, err
	}
	nt.Read = true
	return nt, nil
}

// MarkRead marks one of actor's notifications read. Returns EUNAUTHORIZED,
// ENOTFOUND.
func (n *Notifications) MarkRead(ctx context.Context, actor *mitreden.User, id string) error {
	if err := signedIn(actor); err != nil {
		return err
	}
	return n.st.MarkNotificationRead(ctx, actor.ID, id)
}

// MarkAllRead marks every notification of actor read. Returns
// EUNAUTHORIZED.
func (n *Notifications) MarkAllRead(ctx context.Context, actor *mitreden.User) error {
	if err := signedIn(actor); err != nil {
		return err
	}
	return n.st.MarkAllNotificationsRead(ctx, actor.ID)
}

// followTarget checks that the target exists and, to be followed, is
// public.
func (n *Notifications) followTarget(ctx context.Context, targetType, id string, public bool) error {
	switch targetType {
	case mitreden.FollowProposal:
		pr, err := n.part.FindProposal(ctx, id)
		if err != nil {
			return err
		}
		if public && pr.Hidden {
			return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
		}
		return nil
	case mitreden.FollowConsultation:
		_, err := n.part.FindConsultation(ctx, id)
		return err
	}
	return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

// Follow makes actor follow a proposal or consultation; following twice is
// one follow. Returns EUNAUTHORIZED, ENOTFOUND.
func (n *Notifications) Follow(ctx context.Context, actor *mitreden.User, targetType, id string) error {
	if err := signedIn(actor); err != nil {
		return err
	}
	if err := n.followTarget(ctx, targetType, id, true); err != nil {
		return err
	}
	return n.st.PutFollow(ctx, &mitreden.Follow{UserID: actor.ID, TargetType: targetType, TargetID: id, CreatedAt: n.now()})
}

// Unfollow ends actor's follow (of a hidden proposal too); not following
// is no error. Returns EUNAUTHORIZED, ENOTFOUND (no such target).
func (n *Notifications) Unfollow(ctx context.Context, actor *mitreden.User, targetType, id string) error {
	if err := signedIn(actor); err != nil {
		return err
	}
	if err := n.followTarget(ctx, targetType, id, false); err != nil {
		return err
	}
	return n.st.DeleteFollow(ctx, actor.ID, targetType, id)
}

// Following tells whether actor follows the target, for the page's
// button: one lookup by _id, none for visitors (false).
func (n *Notifications) Following(ctx context.Context, actor *mitreden.User, targetType, id string) (bool, error) {
	if n == nil || actor == nil {
		return false, nil
	}
	return n.st.Following(ctx, actor.ID, targetType, id)
}

// Settings returns actor's mail mode of every kind (defaults filled in).
// Returns EUNAUTHORIZED.
func (n *Notifications) Settings(ctx context.Context, actor *mitreden.User) (map[string]mitreden.MailMode, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	all, err := n.st.NotificationSettings(ctx, []string{actor.ID})
	if err != nil {
		return nil, err
	}
	return fullModes(all[actor.ID]), nil
}

func fullModes(s *mitreden.NotificationSettings) map[string]mitreden.MailMode {
	out := make(map[string]mitreden.MailMode, len(mitreden.NotificationKinds))
	for _, k := range mitreden.NotificationKinds {
		out[k] = s.Mode(k)
	}
	return out
}

// SaveSettings sets actor's mail modes of the kinds given; kinds left out
// keep theirs. Returns EUNAUTHORIZED, EINVALID (an unknown kind or mode).
func (n *Notifications) SaveSettings(ctx context.Context, actor *mitreden.User, modes map[string]mitreden.MailMode) (map[string]mitreden.MailMode, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	in := &mitreden.NotificationSettings{UserID: actor.ID, Modes: modes}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	cur, err := n.Settings(ctx, actor)
	if err != nil {
		return nil, err
	}
	for k, m := range modes {
		cur[k] = m
	}
	if err := n.st.PutNotificationSettings(ctx, &mitreden.NotificationSettings{UserID: actor.ID, Modes: cur}); err != nil {
		return nil, err
	}
	return cur, nil
}

// Unsubscribe scopes: a kind, or every kind a digest of that period
// carries.
const (
	UnsubscribeDaily  = "digest-daily"
	UnsubscribeWeekly = "digest-weekly"
)

// unsubscribeScope tells whether scope is one a link may carry.
func unsubscribeScope(scope string) bool {
	return slices.Contains(mitreden.NotificationKinds, scope) || scope == UnsubscribeDaily || scope == UnsubscribeWeekly
}

// UnsubscribeToken signs user and scope with the server secret.
func (n *Notifications) UnsubscribeToken(userID, scope string) string {
	m := hmac.New(sha256.New, n.cfg.Secret)
	m.Write([]byte("unsubscribe\x00" + userID + "\x00" + scope))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// UnsubscribePath is the local path of the one-click unsubscribe link.
const UnsubscribePath = "/notifications/unsubscribe"

// UnsubscribeURL is the absolute one-click link of a mail to userID about
// scope (a kind or a digest period).
func (n *Notifications) UnsubscribeURL(userID, scope string) string {
	q := url.Values{"u": {userID}, "k": {scope}, "t": {n.UnsubscribeToken(userID, scope)}}
	return n.cfg.BaseURL + UnsubscribePath + "?" + q.Encode()
}

// CheckUnsubscribe tells whether token is a valid link for user and scope.
// Returns EINVALID (no valid link).
func (n *Notifications) CheckUnsubscribe(userID, scope, token string) error {
	if userID == "" || !unsubscribeScope(scope) || len(n.cfg.Secret) == 0 ||
		!hmac.Equal([]byte(token), []byte(n.UnsubscribeToken(userID, scope))) {
		return &mitreden.Error{Code: mitreden.EINVALID, Message: "notifications.unsubscribe_invalid"}
	}
	return nil
}

// Unsubscribe sets the mail mode of the link's kind to never (a digest's
// link: every kind mailed in that digest). The signed token is the only
// credential: mail clients post it without a session (RFC 8058). Returns
// EINVALID (no valid link).
func (n *Notifications) Unsubscribe(ctx context.Context, userID, scope, token string) error {
	if err := n.CheckUnsubscribe(userID, scope, token); err != nil {
		return err
	}
	if slices.Contains(mitreden.NotificationKinds, scope) {
		return n.st.SetNotificationMode(ctx, userID, scope, mitreden.MailNever)
	}
	period := mitreden.MailDaily
	if scope == UnsubscribeWeekly {
		period = mitreden.MailWeekly
	}
	all, err := n.st.NotificationSettings(ctx, []string{userID})
	if err != nil {
		return err
	}
	modes := fullModes(all[userID])
	for k, m := range modes {
		if m == period {
			modes[k] = mitreden.MailNever
		}
	}
	return n.st.PutNotificationSettings(ctx, &mitreden.NotificationSettings{UserID: userID, Modes: modes})
}

// NotificationsExport is what notifications hold about one person, for
// the data export ("Meine Daten").
type NotificationsExport struct {
	Follows       []FollowExport               `json:"follows"`
	Notifications []NotificationExport         `json:"notifications"`
	Settings      map[string]mitreden.MailMode `json:"notification_settings"`
}

// FollowExport is one follow in the export.
type FollowExport struct {
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// NotificationExport is one notification in the export.
type NotificationExport struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title,omitempty"`
	URL       string    `json:"url"`
	Read      bool      `json:"read"`
	Mail      string    `json:"mail"`
	Mailed    bool      `json:"mailed"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportUser returns the follows, notifications and settings of a person
// (the account service checks who asks).
func (n *Notifications) ExportUser(ctx context.Context, userID string) (*NotificationsExport, error) {
	fs, err := n.st.UserFollows(ctx, userID)
	if err != nil {
		return nil, err
	}
	ns, err := n.st.UserNotifications(ctx, userID)
	if err != nil {
		return nil, err
	}
	all, err := n.st.NotificationSettings(ctx, []string{userID})
	if err != nil {
		return nil, err
	}
	out := &NotificationsExport{Follows: []FollowExport{}, Notifications: []NotificationExport{}, Settings: fullModes(all[userID])}
	for _, f := range fs {
		out.Follows = append(out.Follows, FollowExport{TargetType: f.TargetType, TargetID: f.TargetID, CreatedAt: f.CreatedAt})
	}
	for _, nt := range ns {
		out.Notifications = append(out.Notifications, NotificationExport{ID: nt.ID, Kind: nt.Kind, Title: nt.Title, URL: nt.URL,
			Read: nt.Read, Mail: string(nt.Mail), Mailed: nt.Mailed, CreatedAt: nt.CreatedAt})
	}
	return out, nil
}

// EraseUser deletes a person's follows, notifications, counters and
// settings (account deletion).
func (n *Notifications) EraseUser(ctx context.Context, userID string) error {
	return n.st.EraseNotificationData(ctx, userID)
}

// SetSecret sets the key the unsubscribe links are signed with (the
// server secret); call before serving.
func (n *Notifications) SetSecret(secret []byte) { n.cfg.Secret = secret }

// DataSection is the notifications' part of a person's data export and
// account deletion: follows, notifications and settings.
func (n *Notifications) DataSection() mitreden.UserDataSection {
	return mitreden.UserDataSection{
		Name: "notifications",
		Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return n.ExportUser(ctx, u.ID)
		},
		Erase: func(ctx context.Context, e *mitreden.Erasure) error {
			return n.EraseUser(ctx, e.UserID)
		},
	}
}
