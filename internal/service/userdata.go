package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// ExportFormat is the version of the export document. Raise it when a
// field changes meaning or goes away; new fields and sections keep it.
const ExportFormat = 1

// UserData is data self-service under the DSGVO: the export of everything
// the platform holds about a person (Art. 15, 20) and the deletion of the
// account (Art. 17). What is exported and erased comes in sections; the
// built-in ones cover the profile, sessions, contributions, votes, reports,
// moderation decisions and the council, and other services add theirs with
// Register when they are wired (notifications, follows, settings).
type UserData struct {
	acc  *Accounts
	st   mitreden.UserDataStore
	part *Participation // reindexes anonymized contributions; may be nil
	now  Clock
	log  *slog.Logger

	mu       sync.Mutex
	sections []mitreden.UserDataSection
	mails    MailForgetter
}

// MailForgetter deletes the stored mails to an address (the Mailer's
// ForgetRecipient): the outbox keeps the mails it sent, which hold the
// address and what they said.
type MailForgetter interface {
	ForgetRecipient(ctx context.Context, email string) (int, error)
}

// ForgetMails makes every deletion delete the stored mails to the
// account's address. Call it while wiring.
func (d *UserData) ForgetMails(m MailForgetter) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mails = m
}

// NewUserData wires the service. part reindexes the search documents of
// anonymized contributions; nil leaves that out.
func NewUserData(acc *Accounts, st mitreden.UserDataStore, part *Participation, now Clock, log *slog.Logger) *UserData {
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	d := &UserData{acc: acc, st: st, part: part, now: now, log: log}
	d.sections = d.builtIn()
	return d
}

// Register adds a section of another service; its Export joins the
// document under its name and its Erase runs in every deletion, after the
// built-in steps. A section registered again under the same name replaces
// the earlier one, so the document never holds a name twice. Call it
// while wiring, before serving.
func (d *UserData) Register(sec mitreden.UserDataSection) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.sections {
		if d.sections[i].Name == sec.Name {
			d.sections[i] = sec
			return
		}
	}
	d.sections = append(d.sections, sec)
}

func (d *UserData) all() []mitreden.UserDataSection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]mitreden.UserDataSection(nil), d.sections...)
}

// Export is the document a person downloads: a format version, when it
// was made, and one member per section in the order they were registered.
type Export struct {
	Format     int
	ExportedAt time.Time
	Sections   []ExportSection
}

// ExportSection is one named part of an export.
type ExportSection struct {
	Name string
	Data any
}

// MarshalJSON writes format and exported_at first and then the sections
// in order, so the document reads the same every time.
func (e *Export) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"format":`)
	f, _ := json.Marshal(e.Format)
	b.Write(f)
	b.WriteString(`,"exported_at":`)
	t, err := json.Marshal(e.ExportedAt.UTC())
	if err != nil {
		return nil, err
	}
	b.Write(t)
	for _, s := range e.Sections {
		k, _ := json.Marshal(s.Name)
		v, err := json.Marshal(s.Data)
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Export returns everything the platform holds about u. Every section is
// read by owner with a fixed number of queries, however much u wrote.
// Returns EUNAUTHORIZED for a nil user.
func (d *UserData) Export(ctx context.Context, u *mitreden.User) (*Export, error) {
	if u == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	fresh, err := d.acc.users.FindUserByID(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	e := &Export{Format: ExportFormat, ExportedAt: d.now().UTC()}
	for _, sec := range d.all() {
		if sec.Export == nil {
			continue
		}
		v, err := sec.Export(ctx, fresh)
		if err != nil {
			return nil, err
		}
		if v != nil {
			e.Sections = append(e.Sections, ExportSection{Name: sec.Name, Data: v})
		}
	}
	d.log.Info("data exported", "user_id", u.ID)
	return e, nil
}

// DeleteAccount deletes u's account after checking the password: a wrong
// one answers EINVALID (field "password") and counts as a failed login of
// the account, like a password change, and nothing is deleted. The last
// admin cannot delete the account (ECONFLICT), so the platform keeps
// someone who can grant roles. A blocked person may delete theirs: the
// right to erasure does not depend on good conduct, and nothing of what a
// block protects goes away (contributions stay, hidden ones hidden, and
// the moderation record keeps its entries).
//
// The deletion is recorded first; then the profile and every session are
// erased at once (the address can register again at once), contributions
// are attributed to the deleted account and votes unlinked. Should a step
// fail or the process die, the record stays and ResumeErasures finishes
// it; the answer is then still success, as the account is gone. Returns
// EUNAUTHORIZED, EINVALID, ECONFLICT, ERATELIMITED.
func (d *UserData) DeleteAccount(ctx context.Context, u *mitreden.User, password string) error {
	if u == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	a := d.acc
	fresh, err := a.users.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	slots, err := a.takeSlots(ctx, a.now(), allowance{loginAccountKey(fresh.Email), a.cfg.LoginMaxPerAccount})
	if err != nil {
		d.log.Warn("account deletion throttled", "user_id", u.ID)
		return err
	}
	if password == "" || !VerifyPassword(fresh.PasswordHash, password) {
		// The slot taken stays: it counts this failure.
		return mitreden.Invalid(mitreden.FieldError{Field: "password", Code: "wrong", Message: "data.delete_password_wrong"})
	}
	a.giveBack(ctx, slots)
	if fresh.HasRole(mitreden.RoleAdmin) {
		if err := d.giveUpAdmin(ctx, fresh); err != nil {
			return err
		}
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	// Once started, the deletion runs to its end even when the client
	// goes away.
	ctx = context.WithoutCancel(ctx)
	e, err := d.st.StartErasure(ctx, &mitreden.Erasure{UserID: fresh.ID, StartedAt: d.now().UTC(),
		Salt: base64.RawStdEncoding.EncodeToString(salt)})
	if err != nil {
		return err
	}
	if err := d.eraseAccount(ctx, e); err != nil {
		return err
	}
	d.log.Info("account deleted", "user_id", fresh.ID)
	if err := d.finish(ctx, e); err != nil {
		d.log.Warn("account deletion not finished; it is resumed", "user_id", fresh.ID, "err", err)
	}
	return nil
}

// giveUpAdmin takes the admin role from u before the account goes, unless
// it is the last one (ECONFLICT). Two admins deleting their accounts at
// once both counted two admins before either wrote; the store has no
// multi-document condition, so, as SetRole does, the role goes first and
// the count is taken after: whoever finds no admin left gets the role back
// and is refused. At worst both are refused and try again; never does the
// platform end without an admin.
func (d *UserData) giveUpAdmin(ctx context.Context, u *mitreden.User) error {
	a := d.acc
	refused := &mitreden.Error{Code: mitreden.ECONFLICT, Message: "data.delete_last_admin"}
	if n, err := a.countAdmins(ctx); err != nil {
		return err
	} else if n <= 1 {
		return refused
	}
	roles := make([]mitreden.Role, 0, len(u.Roles))
	for _, r := range u.Roles {
		if r != mitreden.RoleAdmin {
			roles = append(roles, r)
		}
	}
	if _, err := a.users.SetRoles(ctx, u.ID, roles); err != nil {
		return err
	}
	if n, err := a.countAdmins(ctx); err != nil || n == 0 {
		if _, rerr := a.users.SetRoles(context.WithoutCancel(ctx), u.ID, u.Roles); rerr != nil {
			d.log.Error("admin role not restored after a refused deletion", "user_id", u.ID, "err", rerr)
		}
		if err != nil {
			return err
		}
		return refused
	}
	return nil
}

// eraseAccount erases the profile, the sessions and the one-time links;
// before, while the user document still holds the address, the mails to
// it. Once the document is gone (a resumed deletion) the mails went
// before, and the address may belong to a new account whose mails stay.
func (d *UserData) eraseAccount(ctx context.Context, e *mitreden.Erasure) error {
	d.mu.Lock()
	mails := d.mails
	d.mu.Unlock()
	if mails != nil {
		u, err := d.acc.users.FindUserByID(ctx, e.UserID)
		switch {
		case err == nil:
			if _, err := mails.ForgetRecipient(ctx, u.Email); err != nil {
				return err
			}
		case mitreden.ErrorCode(err) != mitreden.ENOTFOUND:
			return err
		}
	}
	return d.st.EraseUser(ctx, e.UserID)
}

// finish runs every step of a deletion and removes its record. Each step
// is idempotent, so a deletion interrupted anywhere is finished by running
// it again.
func (d *UserData) finish(ctx context.Context, e *mitreden.Erasure) error {
	for _, sec := range d.all() {
		if sec.Erase == nil {
			continue
		}
		if err := sec.Erase(ctx, e); err != nil {
			return err
		}
	}
	return d.st.FinishErasure(ctx, e.UserID)
}

// ResumeErasures finishes the deletions that started before olderThan ago
// and are still recorded (the process died, or a step failed), and returns
// how many it finished. The server runs it at start (olderThan 0) and
// then from a loop, where the delay keeps it clear of deletions a request
// is running right now (running one twice at once would do no harm: every
// step is idempotent).
func (d *UserData) ResumeErasures(ctx context.Context, olderThan time.Duration) (int, error) {
	pending, err := d.st.PendingErasures(ctx, d.now().Add(-olderThan))
	if err != nil {
		return 0, err
	}
	done := 0
	for _, e := range pending {
		if err := d.finish(ctx, e); err != nil {
			return done, err
		}
		d.log.Info("account deletion finished after an interruption", "user_id", e.UserID)
		done++
	}
	return done, nil
}

// The built-in sections. Their names and field names are the export's
// contract (api/openapi.yaml, UserExport).

type exportProfile struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	DisplayName  string     `json:"display_name"`
	Language     string     `json:"language"`
	Roles        []string   `json:"roles"`
	Blocked      bool       `json:"blocked"`
	BlockedUntil *time.Time `json:"blocked_until,omitempty"`
	BlockReason  string     `json:"block_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

type exportSession struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
}

type exportProposal struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	ConsultationID string    `json:"consultation_id"`
	Title          string    `json:"title"`
	Body           string    `json:"body"`
	Topics         []string  `json:"topics"`
	Status         string    `json:"status"`
	Lang           string    `json:"lang"`
	Hidden         bool      `json:"hidden"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

type exportComment struct {
	ID         string     `json:"id"`
	URL        string     `json:"url"`
	TargetType string     `json:"target_type"`
	TargetID   string     `json:"target_id"`
	ParentID   string     `json:"parent_id"`
	Body       string     `json:"body"`
	Alignment  string     `json:"alignment"`
	Lang       string     `json:"lang"`
	Deleted    bool       `json:"deleted"`
	Hidden     bool       `json:"hidden"`
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at,omitempty"`
}

type exportVote struct {
	ProposalID     string    `json:"proposal_id"`
	URL            string    `json:"url"`
	ConsultationID string    `json:"consultation_id"`
	Value          string    `json:"value"`
	CreatedAt      time.Time `json:"created_at"`
}

type exportCommentVote struct {
	CommentID string `json:"comment_id"`
	URL       string `json:"url"`
	Value     int    `json:"value"`
}

type exportParticipation struct {
	ConsultationID string     `json:"consultation_id"`
	URL            string     `json:"url"`
	Since          *time.Time `json:"since,omitempty"`
}

type exportReport struct {
	ItemType  string    `json:"item_type"`
	ItemID    string    `json:"item_id"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

type exportDecision struct {
	At       time.Time  `json:"at"`
	Action   string     `json:"action"`
	ItemType string     `json:"item_type"`
	ItemID   string     `json:"item_id"`
	Reason   string     `json:"reason"`
	Until    *time.Time `json:"until,omitempty"`
}

type exportCouncil struct {
	Revisions []exportRevision       `json:"revisions"`
	Comments  []exportCouncilComment `json:"comments"`
	Votes     []exportCouncilVote    `json:"votes"`
}

type exportRevision struct {
	RecommendationID string    `json:"recommendation_id"`
	URL              string    `json:"url"`
	N                int       `json:"n"`
	Title            string    `json:"title"`
	Summary          string    `json:"summary"`
	Body             string    `json:"body"`
	Note             string    `json:"note"`
	At               time.Time `json:"at"`
}

type exportCouncilComment struct {
	ID               string    `json:"id"`
	RecommendationID string    `json:"recommendation_id"`
	ParentID         string    `json:"parent_id"`
	Body             string    `json:"body"`
	CreatedAt        time.Time `json:"created_at"`
}

type exportCouncilVote struct {
	RecommendationID string    `json:"recommendation_id"`
	Value            string    `json:"value"`
	At               time.Time `json:"at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// collect streams a section into a list that is never null in JSON.
func collect[T, V any](ctx context.Context, each func(context.Context, string, func(V) error) error, userID string, conv func(V) T) ([]T, error) {
	out := []T{}
	err := each(ctx, userID, func(v V) error {
		out = append(out, conv(v))
		return nil
	})
	return out, err
}

// builtIn returns the sections of this service, in export order; the
// account section erases first, so profile and sessions go at once.
func (d *UserData) builtIn() []mitreden.UserDataSection {
	st := d.st
	return []mitreden.UserDataSection{
		{Name: "profile", Export: func(_ context.Context, u *mitreden.User) (any, error) {
			p := exportProfile{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Language: u.Language, Roles: []string{},
				Blocked: u.Blocked, BlockedUntil: timePtr(u.BlockedUntil), BlockReason: u.BlockReason, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
			for _, r := range u.Roles {
				p.Roles = append(p.Roles, string(r))
			}
			return p, nil
		}, Erase: d.eraseAccount},
		{Name: "sessions", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			list, err := d.acc.sessions.ListUserSessions(ctx, u.ID)
			out := make([]exportSession, 0, len(list))
			for _, s := range list {
				out = append(out, exportSession{CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt, UserAgent: s.UserAgent, IP: s.IP})
			}
			return out, err
		}},
		{Name: "proposals", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return collect(ctx, st.EachUserProposal, u.ID, func(p *mitreden.Proposal) exportProposal {
				topics := p.Topics
				if topics == nil {
					topics = []string{}
				}
				return exportProposal{ID: p.ID, URL: "/proposals/" + p.ID, ConsultationID: p.ConsultationID, Title: p.Title, Body: p.Body,
					Topics: topics, Status: p.Status, Lang: p.Lang, Hidden: p.Hidden, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
			})
		}, Erase: d.eraseAuthorship},
		{Name: "comments", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return collect(ctx, st.EachUserComment, u.ID, func(c *mitreden.Comment) exportComment {
				return exportComment{ID: c.ID, URL: "/comments/" + c.ID, TargetType: c.TargetType, TargetID: c.TargetID, ParentID: c.ParentID,
					Body: c.Body, Alignment: c.Alignment, Lang: c.Lang, Deleted: c.Deleted, Hidden: c.Hidden, CreatedAt: c.CreatedAt.UTC(),
					EditedAt: timePtr(c.EditedAt)}
			})
		}},
		{Name: "votes", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return collect(ctx, st.EachUserVote, u.ID, func(v mitreden.UserVote) exportVote {
				return exportVote{ProposalID: v.ProposalID, URL: "/proposals/" + v.ProposalID, ConsultationID: v.ConsultationID,
					Value: v.Value, CreatedAt: v.CreatedAt.UTC()}
			})
		}, Erase: func(ctx context.Context, e *mitreden.Erasure) error {
			return st.UnlinkVotes(ctx, e.UserID, e.Salt)
		}},
		{Name: "comment_votes", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return collect(ctx, st.EachUserCommentVote, u.ID, func(v mitreden.UserCommentVote) exportCommentVote {
				return exportCommentVote{CommentID: v.CommentID, URL: "/comments/" + v.CommentID, Value: v.Value}
			})
		}},
		{Name: "reports", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return collect(ctx, st.EachUserReport, u.ID, func(r *mitreden.Report) exportReport {
				return exportReport{ItemType: r.ItemType, ItemID: r.ItemID, Reason: r.Reason, Note: r.Note, CreatedAt: r.CreatedAt.UTC()}
			})
		}},
		{Name: "participations", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			return collect(ctx, st.EachUserParticipation, u.ID, func(p mitreden.Participant) exportParticipation {
				return exportParticipation{ConsultationID: p.ConsultationID, URL: "/consultations/" + p.ConsultationID, Since: timePtr(p.AddedAt)}
			})
		}},
		{Name: "moderation_decisions", Export: d.exportDecisions},
		{Name: "council", Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			var c exportCouncil
			var err error
			if c.Revisions, err = collect(ctx, st.EachUserRevision, u.ID, func(r *mitreden.Revision) exportRevision {
				return exportRevision{RecommendationID: r.RecID, URL: "/council/recommendations/" + r.RecID, N: r.N, Title: r.Title,
					Summary: r.Summary, Body: r.Body, Note: r.Note, At: r.At.UTC()}
			}); err != nil {
				return nil, err
			}
			if c.Comments, err = collect(ctx, st.EachUserCouncilComment, u.ID, func(cm *mitreden.CouncilComment) exportCouncilComment {
				return exportCouncilComment{ID: cm.ID, RecommendationID: cm.RecID, ParentID: cm.ParentID, Body: cm.Body, CreatedAt: cm.CreatedAt.UTC()}
			}); err != nil {
				return nil, err
			}
			c.Votes, err = collect(ctx, st.EachUserCouncilVote, u.ID, func(v mitreden.CouncilVote) exportCouncilVote {
				return exportCouncilVote{RecommendationID: v.RecID, Value: v.Value, At: v.At.UTC()}
			})
			return c, err
		}},
	}
}

// exportDecisions lists the moderation decisions about u's account and
// contributions as the person sees them on their own items: what, when,
// why and until when, never which moderator decided.
func (d *UserData) exportDecisions(ctx context.Context, u *mitreden.User) (any, error) {
	return collect(ctx, d.st.EachUserModerationAction, u.ID, func(a *mitreden.ModerationAction) exportDecision {
		return exportDecision{At: a.At.UTC(), Action: a.Action, ItemType: a.ItemType, ItemID: a.ItemID, Reason: a.Reason,
			Until: timePtr(a.Until)}
	})
}

// eraseAuthorship attributes the person's contributions to the deleted
// account. The search documents of their proposals and comments are
// recorded for reindexing before the authors change, so a crash between
// leaves them to the retry of failed indexing; then they are reindexed
// at once.
func (d *UserData) eraseAuthorship(ctx context.Context, e *mitreden.Erasure) error {
	items, err := d.st.UserItems(ctx, e.UserID)
	if err != nil {
		return err
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = mitreden.SearchDocID(it.Type, it.ID)
	}
	p := d.part
	if p != nil && p.search != nil && len(ids) > 0 {
		if err := p.st.AddSearchRetries(ctx, ids...); err != nil {
			return err
		}
	}
	if err := d.st.AnonymizeAuthor(ctx, e.UserID); err != nil {
		return err
	}
	if p != nil && p.search != nil && len(ids) > 0 {
		for {
			n, err := p.RetryIndexing(ctx)
			if err != nil {
				d.log.Warn("search documents of a deleted account not reindexed; retried later", "err", err)
				break
			}
			if n < retryBatch {
				break
			}
		}
	}
	return nil
}
