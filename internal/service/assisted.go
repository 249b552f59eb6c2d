package service

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Assisted is assisted participation: staff of the citizens' service
// (RoleService) and admins enter letters, calls, visits and e-mails on
// behalf of people held as participant records. Every entry goes through
// the participation service's own paths (validation, posting limits,
// moderation holds, counters, search) with its provenance added, and is
// recorded in an audit.
type Assisted struct {
	p     *Participation
	st    mitreden.AssistedStore
	users mitreden.UserStore
	// late is how long after a close what was received before it may be
	// entered.
	late time.Duration
	log  *slog.Logger
}

// NewAssisted wires assisted participation to the participation service p;
// lateDays is the late-entry period (mitreden.DefaultLateEntryDays when
// negative). Every recount of p first finishes links cut short (ResumeLinks),
// so it counts each person's vote once.
func NewAssisted(p *Participation, st mitreden.AssistedStore, users mitreden.UserStore, lateDays int, log *slog.Logger) *Assisted {
	if lateDays < 0 {
		lateDays = mitreden.DefaultLateEntryDays
	}
	if log == nil {
		log = slog.Default()
	}
	a := &Assisted{p: p, st: st, users: users, late: time.Duration(lateDays) * 24 * time.Hour, log: log}
	p.beforeRecount = append(p.beforeRecount, func(ctx context.Context) error { _, err := a.ResumeLinks(ctx); return err })
	p.personOf, p.linkedPeople = a.personOf, a.linkedPeople
	return a
}

// personOf is the account a participant record's key counts as once the
// record is linked (one lookup by _id, for record keys only); any other id,
// and a key whose record cannot be read, counts as itself: the next
// recount corrects a person counted twice.
func (a *Assisted) personOf(ctx context.Context, id string) string {
	recID, ok := strings.CutPrefix(id, mitreden.RecordVoterPrefix)
	if !ok {
		return id
	}
	r, err := a.st.FindRecord(ctx, recID)
	if err != nil || r.LinkedUserID == "" {
		return id
	}
	return r.LinkedUserID
}

// linkedPeople maps the key of every linked record to its account.
func (a *Assisted) linkedPeople(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := a.st.LinkedRecords(ctx, func(r *mitreden.ParticipantRecord) error {
		out[r.VoterKey()] = r.LinkedUserID
		return nil
	})
	return out, err
}

// LateEntry is the late-entry period.
func (a *Assisted) LateEntry() time.Duration { return a.late }

// CheckStaff returns why u may not use the assisted pages (nil: may).
func CheckStaff(u *mitreden.User) error { return staff(u).Err() }

// personOf is the author a record's contributions are written under: its
// voter key and public name; lang is the staff member's, the fallback of the
// detected content language.
func personOf(r *mitreden.ParticipantRecord, lang string) *mitreden.User {
	return &mitreden.User{ID: r.VoterKey(), DisplayName: r.PublicName(), Language: lang}
}

func (a *Assisted) audit(ctx context.Context, e *mitreden.AuditEntry) {
	if err := a.st.AppendAudit(ctx, e); err != nil {
		// The item carries its provenance (who entered it, when) itself.
		a.log.Error("assisted audit", "action", e.Action, "record", e.RecordID, "err", err)
	}
}

// CreateRecord stores a participant record. Returns EUNAUTHORIZED,
// EFORBIDDEN, EINVALID.
func (a *Assisted) CreateRecord(ctx context.Context, actor *mitreden.User, r *mitreden.ParticipantRecord) error {
	if err := staff(actor).Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	r.ID, r.LinkedUserID, r.Merged = "", "", false
	r.CreatedByID, r.CreatedAt = actor.ID, a.p.now()
	if err := a.st.CreateRecord(ctx, r); err != nil {
		return err
	}
	a.audit(ctx, &mitreden.AuditEntry{At: r.CreatedAt, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditRecordCreated, RecordID: r.ID})
	return nil
}

// SearchRecords finds records by name, place, address, phone or e-mail
// (at most 50, newest first). Returns EUNAUTHORIZED, EFORBIDDEN.
func (a *Assisted) SearchRecords(ctx context.Context, actor *mitreden.User, q string) ([]*mitreden.ParticipantRecord, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	if len([]rune(q)) > 200 {
		q = string([]rune(q)[:200])
	}
	return a.st.SearchRecords(ctx, q, 50)
}

// RecordRead is a participant record as staff see it.
type RecordRead struct {
	Record *mitreden.ParticipantRecord
	// LinkedName is the display name of the linked account.
	LinkedName string
	Audit      []*mitreden.AuditEntry
}

// ReadRecord returns a record with its latest 100 audit entries. Returns
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (a *Assisted) ReadRecord(ctx context.Context, actor *mitreden.User, id string) (*RecordRead, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	r, err := a.st.FindRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &RecordRead{Record: r}
	if r.LinkedUserID != "" {
		if u, err := a.users.FindUserByID(ctx, r.LinkedUserID); err == nil {
			out.LinkedName = u.DisplayName
		}
	}
	if out.Audit, err = a.st.ListAudit(ctx, r.ID, 100); err != nil {
		return nil, err
	}
	return out, nil
}

// entryErr joins the field errors of the entry and of the contribution, so
// a form shows all at once.
func entryErr(errs ...error) error {
	var fs []mitreden.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		e, ok := err.(*mitreden.Error)
		if !ok || e.Code != mitreden.EINVALID {
			return err
		}
		fs = append(fs, e.Fields...)
	}
	if len(fs) > 0 {
		return mitreden.Invalid(fs...)
	}
	return nil
}

func (a *Assisted) provenance(actor *mitreden.User, r *mitreden.ParticipantRecord, c *mitreden.Consultation, e mitreden.AssistedEntry) *mitreden.Provenance {
	now := a.p.now()
	return &mitreden.Provenance{Channel: e.Channel, ReceivedAt: e.ReceivedAt, EnteredByID: actor.ID, EnteredBy: actor.DisplayName,
		Reference: e.Reference, RecordID: r.ID, Late: now.After(c.ClosesAt)}
}

// record finds the record an entry is for. A record linked to an account
// that moderation blocked takes no entries: staff write for the person, and
// the block is the person's.
func (a *Assisted) record(ctx context.Context, actor *mitreden.User, id string) (*mitreden.ParticipantRecord, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	r, err := a.st.FindRecord(ctx, id)
	if err != nil || r.LinkedUserID == "" {
		return r, err
	}
	u, err := a.users.FindUserByID(ctx, r.LinkedUserID)
	if err != nil {
		return nil, err
	}
	if u.BlockedAt(a.p.now()) {
		return nil, blockedPermission(u).Err()
	}
	return r, nil
}

// EnterProposal stores a proposal received from the record's person in
// consultation cid. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID,
// ECONFLICT (received outside the open phase, entered after the late-entry
// deadline, proposals off), ERATELIMITED (the person's proposals per day).
func (a *Assisted) EnterProposal(ctx context.Context, actor *mitreden.User, recordID, cid string, e mitreden.AssistedEntry, pr *mitreden.Proposal) error {
	r, err := a.record(ctx, actor, recordID)
	if err != nil {
		return err
	}
	c, err := a.p.st.FindConsultation(ctx, cid)
	if err != nil {
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			return mitreden.Invalid(mitreden.FieldError{Field: "consultation_id", Code: "exists", Message: "validation.consultation"})
		}
		return err
	}
	now := a.p.now()
	if err := entryErr(e.Validate(now), pr.Validate()); err != nil {
		return err
	}
	if err := canEnterAssisted(actor, c, e.ReceivedAt, now, a.late).Err(); err != nil {
		return err
	}
	if !c.ProposalsEnabled {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.disabled"}
	}
	pr.Prov = a.provenance(actor, r, c, e)
	if err := a.p.createProposal(ctx, personOf(r, actor.Language), c, pr); err != nil {
		return err
	}
	a.audit(ctx, &mitreden.AuditEntry{At: now, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditProposal, RecordID: r.ID,
		ItemType: mitreden.ItemProposal, ItemID: pr.ID, Channel: e.Channel, ReceivedAt: e.ReceivedAt, Reference: e.Reference})
	return nil
}

// EnterComment stores a comment received from the record's person on a
// proposal (a reply with in.ParentID). Returns as EnterProposal, ECONFLICT
// for comments off.
func (a *Assisted) EnterComment(ctx context.Context, actor *mitreden.User, recordID, proposalID string, e mitreden.AssistedEntry, in mitreden.Comment) (*mitreden.Comment, error) {
	r, err := a.record(ctx, actor, recordID)
	if err != nil {
		return nil, err
	}
	pr, c, err := a.p.Proposal(ctx, proposalID)
	if err != nil {
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			return nil, mitreden.Invalid(mitreden.FieldError{Field: "proposal_id", Code: "exists", Message: "validation.proposal"})
		}
		return nil, err
	}
	now := a.p.now()
	if err := entryErr(e.Validate(now), mitreden.ValidateCommentBody(in.Body)); err != nil {
		return nil, err
	}
	if err := canEnterAssisted(actor, c, e.ReceivedAt, now, a.late).Err(); err != nil {
		return nil, err
	}
	if !c.CommentsEnabled {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.disabled"}
	}
	in.Prov = a.provenance(actor, r, c, e)
	cm, err := a.p.addComment(ctx, personOf(r, actor.Language), c, mitreden.TargetProposal, pr.ID, in)
	if err != nil {
		return nil, err
	}
	a.audit(ctx, &mitreden.AuditEntry{At: now, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditComment, RecordID: r.ID,
		ItemType: mitreden.ItemComment, ItemID: cm.ID, Channel: e.Channel, ReceivedAt: e.ReceivedAt, Reference: e.Reference})
	return cm, nil
}

// EnterVote stores the vote (support, or yes/no/abstain) received from the
// record's person under its voter id: the linked account's once there is
// one, so a person votes once however they reach us. The support limit of
// the consultation holds across channels for the same reason. Returns as
// EnterProposal, ECONFLICT (withdrawn or hidden proposal, limit reached).
func (a *Assisted) EnterVote(ctx context.Context, actor *mitreden.User, recordID, proposalID string, e mitreden.AssistedEntry, value string) (*mitreden.VoteResult, error) {
	r, err := a.record(ctx, actor, recordID)
	if err != nil {
		return nil, err
	}
	pr, c, err := a.p.Proposal(ctx, proposalID)
	if err != nil {
		return nil, err
	}
	now := a.p.now()
	if err := e.Validate(now); err != nil {
		return nil, err
	}
	if err := canEnterAssisted(actor, c, e.ReceivedAt, now, a.late).Err(); err != nil {
		return nil, err
	}
	if pr.Status == mitreden.StatusWithdrawn {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.withdrawn"}
	}
	if pr.Hidden {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.item_hidden"}
	}
	voter := r.VoterID()
	res, err := a.p.castVote(ctx, voter, pr, c, value)
	if err != nil {
		return nil, err
	}
	if res.Changed {
		if err := a.st.SetVoteProvenance(ctx, pr.ID, voter, e.Channel, e.ReceivedAt); err != nil {
			a.log.Warn("vote provenance", "err", err)
		}
	}
	a.audit(ctx, &mitreden.AuditEntry{At: now, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditVote, RecordID: r.ID,
		ItemType: mitreden.ItemProposal, ItemID: pr.ID, Value: value, Channel: e.Channel, ReceivedAt: e.ReceivedAt, Reference: e.Reference})
	return res, nil
}

// LinkResult says what linking a record to an account did with its votes.
type LinkResult struct {
	Record *mitreden.ParticipantRecord
	// Moved votes became the account's; Duplicates were dropped because
	// the account had voted on the same proposal (its own vote stays);
	// OverLimit supports were dropped because the account's supports in
	// that consultation were used up.
	Moved, Duplicates, OverLimit int
}

// Link links a record to the account the person created and merges the
// record's votes into the account's: a proposal both voted on keeps one
// vote (the account's), so nothing counts twice, and the support limit
// holds. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID (no such
// account), ECONFLICT (linked to another account).
func (a *Assisted) Link(ctx context.Context, actor *mitreden.User, recordID, userID string) (*LinkResult, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	if _, err := a.st.FindRecord(ctx, recordID); err != nil {
		return nil, err
	}
	if _, err := a.users.FindUserByID(ctx, userID); err != nil {
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			return nil, mitreden.Invalid(mitreden.FieldError{Field: "user_id", Code: "exists", Message: "validation.user"})
		}
		return nil, err
	}
	r, err := a.st.LinkRecord(ctx, recordID, userID, a.p.now())
	if err != nil {
		return nil, err
	}
	res, err := a.merge(ctx, r)
	if err != nil {
		return nil, err
	}
	a.audit(ctx, &mitreden.AuditEntry{At: a.p.now(), StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditLink, RecordID: r.ID,
		Value: userID})
	return res, nil
}

// ResumeLinks finishes the merges of links cut short (a crash between the
// link and its last vote) and returns how many records it merged.
func (a *Assisted) ResumeLinks(ctx context.Context) (int, error) {
	rs, err := a.st.UnmergedRecords(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if _, err := a.merge(ctx, r); err != nil {
			return 0, err
		}
	}
	return len(rs), nil
}

// merge moves each vote of the record to its account, one vote at a time
// and each step a single-document write with the counter protocol of any
// vote: the account's vote is written (and counted) before the record's is
// removed (and uncounted), so a crash between them leaves both, never
// neither; running merge again then finds the account's vote and removes
// the record's. The record's participant records move the same way. The
// record is marked merged last.
func (a *Assisted) merge(ctx context.Context, r *mitreden.ParticipantRecord) (*LinkResult, error) {
	res := &LinkResult{Record: r}
	user, key := r.LinkedUserID, r.VoterKey()
	votes, err := a.st.VotesOf(ctx, key)
	if err != nil {
		return nil, err
	}
	cons := map[string]*mitreden.Consultation{}
	for _, v := range votes {
		c := cons[v.ConsultationID]
		if c == nil {
			if c, err = a.p.st.FindConsultation(ctx, v.ConsultationID); err != nil {
				return nil, err
			}
			cons[c.ID] = c
		}
		if err := a.moveVote(ctx, c, v, key, user, res); err != nil {
			return nil, err
		}
	}
	// The record's participations become the account's: the account's
	// record first (counted when new), then the record's goes (uncounted),
	// so a crash between them counts the person twice until the merge
	// resumes, never not at all.
	cids, err := a.p.st.ParticipationsOf(ctx, key)
	if err != nil {
		return nil, err
	}
	for _, cid := range cids {
		if err := a.p.st.AddParticipant(ctx, cid, user); err != nil {
			return nil, err
		}
		if err := a.p.st.RemoveParticipant(ctx, cid, key); err != nil {
			return nil, err
		}
	}
	if err := a.st.SetRecordMerged(ctx, r.ID); err != nil {
		return nil, err
	}
	r.Merged = true
	return res, nil
}

func (a *Assisted) moveVote(ctx context.Context, c *mitreden.Consultation, v mitreden.AssistedVote, key, user string, res *LinkResult) error {
	st := a.p.st
	channel, received, err := a.st.VoteChannel(ctx, v.ProposalID, key)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil // moved meanwhile
	} else if err != nil {
		return err
	}
	limited := c.MaxSupports > 0 && v.Value == "support"
	switch _, err := st.FindVote(ctx, v.ProposalID, user); mitreden.ErrorCode(err) {
	case "":
		res.Duplicates++
	case mitreden.ENOTFOUND:
		if limited {
			if err := st.ReserveSupport(ctx, c.ID, user, c.MaxSupports); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
				res.OverLimit++
				break
			} else if err != nil {
				return err
			}
		}
		switch err := st.InsertVote(ctx, v.ProposalID, user, c.ID, v.Value); mitreden.ErrorCode(err) {
		case "":
			if err := st.IncProposalCounts(ctx, v.ProposalID, tallyOf(v.Value, 1), 0, ""); err != nil {
				return err
			}
			if channel != mitreden.ChannelOnline {
				if err := a.st.SetVoteProvenance(ctx, v.ProposalID, user, channel, received); err != nil {
					a.log.Warn("vote provenance", "err", err)
				}
			}
			a.p.addParticipant(ctx, c.ID, user)
			res.Moved++
		case mitreden.ECONFLICT: // the account voted meanwhile
			if limited {
				_ = st.ReleaseSupport(ctx, c.ID, user)
			}
			res.Duplicates++
		default:
			if limited {
				_ = st.ReleaseSupport(ctx, c.ID, user)
			}
			return err
		}
	default:
		return err
	}
	old, err := st.DeleteVote(ctx, v.ProposalID, key)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if err := st.IncProposalCounts(ctx, v.ProposalID, tallyOf(old, -1), 0, ""); err != nil {
		return err
	}
	if c.MaxSupports > 0 && old == "support" {
		if err := st.ReleaseSupport(ctx, c.ID, key); err != nil {
			a.log.Warn("release support", "err", err)
		}
	}
	a.p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeProposal, v.ProposalID))
	return nil
}

// Letter is an official answer to a proposal entered for a participant
// record, to be sent by post.
type Letter struct {
	// Key names the answer: a new answer to the same proposal is a new
	// letter.
	Key          string
	Proposal     *mitreden.Proposal
	Consultation *mitreden.Consultation
	Record       *mitreden.ParticipantRecord
	SentAt       time.Time
}

func letterKey(pr *mitreden.Proposal) string {
	return fmt.Sprintf("%s:%d", pr.ID, pr.AnsweredAt.UnixMilli())
}

// Letters lists the answers waiting to be sent, oldest answer first.
// Returns EUNAUTHORIZED, EFORBIDDEN.
func (a *Assisted) Letters(ctx context.Context, actor *mitreden.User) ([]*Letter, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	prs, err := a.st.AnsweredRecordProposals(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(prs))
	for i, pr := range prs {
		keys[i] = letterKey(pr)
	}
	sent, err := a.st.LettersSent(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []*Letter
	cons := map[string]*mitreden.Consultation{} // letters of one consultation share it
	for _, pr := range prs {
		if _, ok := sent[letterKey(pr)]; ok || pr.Status == mitreden.StatusWithdrawn {
			continue
		}
		l, err := a.letter(ctx, pr, cons)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Proposal.AnsweredAt.Before(out[j].Proposal.AnsweredAt) })
	return out, nil
}

func (a *Assisted) letter(ctx context.Context, pr *mitreden.Proposal, cons map[string]*mitreden.Consultation) (*Letter, error) {
	c := cons[pr.ConsultationID]
	if c == nil {
		var err error
		if c, err = a.p.st.FindConsultation(ctx, pr.ConsultationID); err != nil {
			return nil, err
		}
		cons[c.ID] = c
	}
	r, err := a.st.FindRecord(ctx, pr.Prov.RecordID)
	if err != nil {
		return nil, err
	}
	return &Letter{Key: letterKey(pr), Proposal: pr, Consultation: c, Record: r}, nil
}

// ReadLetter returns the letter answering the proposal, sent or not.
// Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (no answered proposal of a
// record).
func (a *Assisted) ReadLetter(ctx context.Context, actor *mitreden.User, proposalID string) (*Letter, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	pr, err := a.p.st.FindProposal(ctx, proposalID)
	if err != nil {
		return nil, err
	}
	if pr.Prov == nil || pr.Prov.RecordID == "" || pr.AnsweredAt.IsZero() {
		return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	l, err := a.letter(ctx, pr, map[string]*mitreden.Consultation{})
	if err != nil {
		return nil, err
	}
	sent, err := a.st.LettersSent(ctx, []string{l.Key})
	if err != nil {
		return nil, err
	}
	l.SentAt = sent[l.Key]
	return l, nil
}

// MarkLetterSent records that the letter answering the proposal went out;
// marking it twice keeps the first time. Returns as ReadLetter.
func (a *Assisted) MarkLetterSent(ctx context.Context, actor *mitreden.User, proposalID string) (*Letter, error) {
	l, err := a.ReadLetter(ctx, actor, proposalID)
	if err != nil {
		return nil, err
	}
	now := a.p.now()
	if l.SentAt.IsZero() {
		if err := a.st.MarkLetterSent(ctx, l.Key, now); err != nil {
			return nil, err
		}
		l.SentAt = now
		a.audit(ctx, &mitreden.AuditEntry{At: now, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditLetterSent,
			RecordID: l.Record.ID, ItemType: mitreden.ItemProposal, ItemID: l.Proposal.ID})
	}
	return l, nil
}

// correctable refuses corrections of what staff did not enter.
func correctable(actor *mitreden.User, prov *mitreden.Provenance) error {
	if err := staff(actor).Err(); err != nil {
		return err
	}
	if prov == nil {
		return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "assisted.not_assisted"}
	}
	return nil
}

// ReadCorrection returns a staff-entered proposal (or, with itemType
// comment, the comment) for the correction form. Returns EUNAUTHORIZED,
// EFORBIDDEN (not entered by staff), ENOTFOUND.
func (a *Assisted) ReadCorrection(ctx context.Context, actor *mitreden.User, itemType, id string) (*mitreden.Proposal, *mitreden.Comment, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, nil, err
	}
	switch itemType {
	case mitreden.ItemProposal:
		pr, err := a.p.st.FindProposal(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		return pr, nil, correctable(actor, pr.Prov)
	case mitreden.ItemComment:
		cm, err := a.p.st.FindComment(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		if cm.Deleted {
			return nil, nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.deleted"}
		}
		return nil, cm, correctable(actor, cm.Prov)
	}
	return nil, nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

// CorrectProposal corrects the title and body of a proposal staff entered
// (a misread letter, a mistyped call): the text as first entered is kept
// and the proposal shows "korrigiert am …". Held back for review like any
// edit that could not pass as new. Returns EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, EINVALID, ECONFLICT (changed meanwhile).
func (a *Assisted) CorrectProposal(ctx context.Context, actor *mitreden.User, id, title, body string) (*mitreden.Proposal, error) {
	pr, _, err := a.ReadCorrection(ctx, actor, mitreden.ItemProposal, id)
	if err != nil {
		return nil, err
	}
	c, err := a.p.st.FindConsultation(ctx, pr.ConsultationID)
	if err != nil {
		return nil, err
	}
	oldBody := pr.Body
	prov := *pr.Prov
	if prov.CorrectedAt.IsZero() {
		prov.OriginalTitle, prov.OriginalBody = pr.Title, pr.Body
	}
	pr.Title, pr.Body = title, body
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	prov.CorrectedAt = a.p.now()
	pr.Prov = &prov
	pr.Lang = mitreden.ContentLang("", actor.Language, pr.Title, pr.Body)
	pr.BodyHTML = renderText(pr.Body)
	if err := a.st.CorrectProposal(ctx, pr, oldBody); err != nil {
		return nil, err
	}
	a.p.index(ctx, a.p.docs.Proposal(pr, c)...)
	if err := a.p.reviewEdit(ctx, personOf(&mitreden.ParticipantRecord{ID: prov.RecordID}, actor.Language), c, &modItem{pr: pr}, pr.Title, pr.Body); err != nil {
		return nil, err
	}
	a.audit(ctx, &mitreden.AuditEntry{At: prov.CorrectedAt, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditCorrection,
		RecordID: prov.RecordID, ItemType: mitreden.ItemProposal, ItemID: pr.ID})
	return pr, nil
}

// CorrectComment corrects a comment staff entered, as CorrectProposal.
func (a *Assisted) CorrectComment(ctx context.Context, actor *mitreden.User, id, body string) (*mitreden.Comment, error) {
	_, cm, err := a.ReadCorrection(ctx, actor, mitreden.ItemComment, id)
	if err != nil {
		return nil, err
	}
	if err := mitreden.ValidateCommentBody(body); err != nil {
		return nil, err
	}
	oldBody := cm.Body
	prov := *cm.Prov
	if prov.CorrectedAt.IsZero() {
		prov.OriginalBody = cm.Body
	}
	prov.CorrectedAt = a.p.now()
	cm.Prov, cm.Body = &prov, strings.TrimSpace(body)
	cm.Lang = mitreden.ContentLang("", actor.Language, cm.Body)
	cm.BodyHTML = renderText(cm.Body)
	if err := a.st.CorrectComment(ctx, cm, oldBody); err != nil {
		return nil, err
	}
	a.p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID))
	if cm.ConsultationID != "" {
		if c, err := a.p.st.FindConsultation(ctx, cm.ConsultationID); err == nil {
			if err := a.p.reviewEdit(ctx, personOf(&mitreden.ParticipantRecord{ID: prov.RecordID}, actor.Language), c, &modItem{cm: cm}, cm.Body); err != nil {
				return nil, err
			}
		}
	}
	a.audit(ctx, &mitreden.AuditEntry{At: prov.CorrectedAt, StaffID: actor.ID, Staff: actor.DisplayName, Action: mitreden.AuditCorrection,
		RecordID: prov.RecordID, ItemType: mitreden.ItemComment, ItemID: cm.ID})
	return cm, nil
}

// ChannelRow is one channel's counts in a consultation's statistics.
type ChannelRow struct {
	Channel                    string
	Proposals, Comments, Votes int
}

// ConsultationStats is a consultation's contributions by channel.
type ConsultationStats struct {
	Consultation *mitreden.Consultation
	Rows         []ChannelRow
	Total        ChannelRow
}

// ReadStats counts a consultation's proposals, comments and votes by
// channel, for everyone. Returns ENOTFOUND.
func (a *Assisted) ReadStats(ctx context.Context, consultationID string) (*ConsultationStats, error) {
	c, err := a.p.st.FindConsultation(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	st, err := a.st.ChannelStats(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := &ConsultationStats{Consultation: c}
	for _, ch := range mitreden.Channels {
		row := ChannelRow{Channel: ch, Proposals: st.Proposals[ch], Comments: st.Comments[ch], Votes: st.Votes[ch]}
		out.Rows = append(out.Rows, row)
		out.Total.Proposals += row.Proposals
		out.Total.Comments += row.Comments
		out.Total.Votes += row.Votes
	}
	return out, nil
}

// ChannelAllowed tells whether ch is an assisted channel.
func ChannelAllowed(ch string) bool { return slices.Contains(mitreden.AssistedChannels, ch) }

// EntryConsultations lists the consultations staff may enter contributions
// in now: open ones, and closed ones within the late-entry period (not
// evaluated), newest close first. Returns EUNAUTHORIZED, EFORBIDDEN.
func (a *Assisted) EntryConsultations(ctx context.Context, actor *mitreden.User) ([]*mitreden.Consultation, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	now := a.p.now()
	var out []*mitreden.Consultation
	for _, ph := range []mitreden.Phase{mitreden.PhaseOpen, mitreden.PhaseClosed} {
		list, _, err := a.p.st.ListConsultations(ctx, mitreden.ConsultationFilter{Phase: ph, Now: now, Page: 1, PerPage: 100})
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if c.EvaluatedAt.IsZero() && !now.After(c.ClosesAt.Add(a.late)) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// LinkEmail links the record to the account with the e-mail address, as
// Link (EINVALID on email when there is none).
func (a *Assisted) LinkEmail(ctx context.Context, actor *mitreden.User, recordID, email string) (*LinkResult, error) {
	if err := staff(actor).Err(); err != nil {
		return nil, err
	}
	u, err := a.users.FindUserByEmail(ctx, email)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "email", Code: "exists", Message: "validation.user_email"})
	} else if err != nil {
		return nil, err
	}
	return a.Link(ctx, actor, recordID, u.ID)
}
