package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// ModerationConfig is the moderation policy. Zero fields take defaults.
type ModerationConfig struct {
	// HideThreshold is how many reports from distinct people hide an item
	// pending review; default 3.
	HideThreshold int
	// Words hold a contribution containing any of them for review; matched
	// case-insensitively as whole words (or phrases).
	Words []string
}

// SetUsers gives moderation the accounts it blocks and shows; call before
// serving.
func (p *Participation) SetUsers(users mitreden.UserStore) { p.users = users }

// ModeratedUser is an account as moderators see it: its block and the
// record of actions on it and its contributions.
type ModeratedUser struct {
	*mitreden.User
	Blocked bool
	Actions []*mitreden.ModerationAction
}

// ReadModeratedUser returns an account for a moderator deciding on a
// block. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (p *Participation) ReadModeratedUser(ctx context.Context, actor *mitreden.User, id string) (*ModeratedUser, error) {
	if err := moderator(actor).Err(); err != nil {
		return nil, err
	}
	u, err := p.users.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	acts, _, err := p.st.ListModerationActions(ctx, mitreden.ModerationLogFilter{AuthorID: id, PerPage: 20})
	if err != nil {
		return nil, err
	}
	return &ModeratedUser{User: u, Blocked: u.BlockedAt(p.now()), Actions: acts}, nil
}

// SetModeration sets the moderation policy; call before serving.
func (p *Participation) SetModeration(cfg ModerationConfig) {
	if cfg.HideThreshold <= 0 {
		cfg.HideThreshold = mitreden.DefaultHideThreshold
	}
	var words []string
	for _, w := range cfg.Words {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			words = append(words, w)
		}
	}
	cfg.Words = words
	p.mod = cfg
}

func (p *Participation) hideThreshold() int {
	if p.mod.HideThreshold <= 0 {
		return mitreden.DefaultHideThreshold
	}
	return p.mod.HideThreshold
}

// listedWords returns the listed words that occur in texts as whole words.
func (p *Participation) listedWords(texts ...string) []string {
	var found []string
	for _, t := range texts {
		low := strings.ToLower(t)
		for _, w := range p.mod.Words {
			if !slices.Contains(found, w) && containsWord(low, w) {
				found = append(found, w)
			}
		}
	}
	return found
}

// containsWord tells whether w occurs in s with no letter or digit right
// before or after it.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before, after := ' ', ' '
		if start > 0 {
			before = lastRune(s[:start])
		}
		if end < len(s) {
			after = []rune(s[end:min(len(s), end+4)])[0]
		}
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		i = start + 1
	}
}

func lastRune(s string) rune {
	r := []rune(s[max(0, len(s)-4):])
	return r[len(r)-1]
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// holdReason tells whether a contribution of actor in c waits for review
// before publication, and why: pre-moderation, or listed words. What
// moderators write is never held.
func (p *Participation) holdReason(actor *mitreden.User, c *mitreden.Consultation, texts ...string) (string, []string) {
	if isModerator(actor) {
		return "", nil
	}
	if words := p.listedWords(texts...); len(words) > 0 {
		return mitreden.HeldWords, words
	}
	if c.PreModeration {
		return mitreden.HeldPreModeration, nil
	}
	return "", nil
}

// reviewEdit hides an edited contribution until a moderator approves it
// when a new one would have been held (pre-moderation, a listed word): an
// edit must not bring past review what a new contribution could not.
func (p *Participation) reviewEdit(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation, it *modItem, texts ...string) error {
	why, words := p.holdReason(actor, c, texts...)
	if why == "" {
		return nil
	}
	m := it.mod()
	m.Review, m.At = true, p.now()
	if err := p.setItemModeration(ctx, it, true, m); err != nil {
		return err
	}
	e := it.queueEntry()
	e.Hidden, e.Since, e.EditWhy, e.Words = true, p.now(), why, words
	if old, err := p.st.FindQueueEntry(ctx, e.ID); err == nil {
		e.Reports, e.ReportedAt, e.Since = old.Reports, old.ReportedAt, old.Since
	}
	return p.st.PutQueueEntry(ctx, e)
}

// hold stores a contribution for review instead of publishing it.
func (p *Participation) hold(ctx context.Context, e *mitreden.QueueEntry) error {
	e.ID = mitreden.QueueEntryID(e.ItemType, e.ItemID)
	e.Since = p.now()
	if err := p.st.PutQueueEntry(ctx, e); err != nil {
		return err
	}
	p.log.Info("contribution held for review", "type", e.ItemType, "id", e.ItemID, "why", e.Held.Why)
	return nil
}

// Report records actor's report of a proposal or comment; when reports from
// distinct people reach the threshold, the item is hidden pending review.
// Returns EUNAUTHORIZED, EFORBIDDEN (blocked), ENOTFOUND, ECONFLICT
// (reported before, own item), EINVALID.
func (p *Participation) Report(ctx context.Context, actor *mitreden.User, itemType, itemID string, r mitreden.Report) error {
	if err := participant(actor).Err(); err != nil {
		return err
	}
	it, err := p.modItem(ctx, itemType, itemID)
	if err != nil {
		return err
	}
	if it.deleted() {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	if err := canReport(actor, it.authorID(), false, it.hidden()).Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	now := p.now()
	r.ItemType, r.ItemID, r.ReporterID, r.CreatedAt = itemType, itemID, actor.ID, now
	if err := p.st.CreateReport(ctx, &r); err != nil {
		return err
	}
	e, err := p.st.AddQueueReport(ctx, it.queueEntry(), now)
	if err != nil {
		return err
	}
	p.log.Info("report", "type", itemType, "id", itemID, "reports", e.Reports)
	if e.Reports >= p.hideThreshold() && !it.hidden() {
		m := it.mod()
		m.Reason, m.By, m.At, m.Auto, m.Decisions = "", "", now, true, m.Decisions+1
		if err := p.setItemModeration(ctx, it, true, m); err != nil {
			return err
		}
		e.Hidden = true
		if err := p.st.PutQueueEntry(ctx, e); err != nil {
			return err
		}
		return p.record(ctx, nil, mitreden.ActionAutoHide, it, "", time.Time{})
	}
	return nil
}

// modItem is a proposal or comment moderation acts on.
type modItem struct {
	pr *mitreden.Proposal
	cm *mitreden.Comment
}

func (p *Participation) modItem(ctx context.Context, itemType, id string) (*modItem, error) {
	switch itemType {
	case mitreden.ItemProposal:
		pr, err := p.st.FindProposal(ctx, id)
		if err != nil {
			return nil, err
		}
		return &modItem{pr: pr}, nil
	case mitreden.ItemComment:
		cm, err := p.st.FindComment(ctx, id)
		if err != nil {
			return nil, err
		}
		return &modItem{cm: cm}, nil
	}
	return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

func (it *modItem) kind() string {
	if it.pr != nil {
		return mitreden.ItemProposal
	}
	return mitreden.ItemComment
}

func (it *modItem) id() string {
	if it.pr != nil {
		return it.pr.ID
	}
	return it.cm.ID
}

func (it *modItem) authorID() string {
	if it.pr != nil {
		return it.pr.AuthorID
	}
	return it.cm.AuthorID
}

func (it *modItem) hidden() bool {
	if it.pr != nil {
		return it.pr.Hidden
	}
	return it.cm.Hidden
}

func (it *modItem) deleted() bool { return it.cm != nil && it.cm.Deleted }

func (it *modItem) mod() mitreden.ItemModeration {
	if it.pr != nil {
		return it.pr.Mod
	}
	return it.cm.Mod
}

// place is where the item shows: consultation and target.
func (it *modItem) place() (consultation, targetType, targetID string) {
	if it.pr != nil {
		return it.pr.ConsultationID, "consultation", it.pr.ConsultationID
	}
	return it.cm.ConsultationID, it.cm.TargetType, it.cm.TargetID
}

func (it *modItem) queueEntry() *mitreden.QueueEntry {
	c, tt, tid := it.place()
	return &mitreden.QueueEntry{ID: mitreden.QueueEntryID(it.kind(), it.id()), ItemType: it.kind(), ItemID: it.id(),
		ConsultationID: c, TargetType: tt, TargetID: tid, AuthorID: it.authorID(), Hidden: it.hidden(), HiddenBy: it.mod().By}
}

// setItemModeration stores the item's state and brings the search index
// along before returning: a hidden item is found by no one but moderators
// the moment the action answers.
func (p *Participation) setItemModeration(ctx context.Context, it *modItem, hidden bool, m mitreden.ItemModeration) error {
	if err := p.st.SetItemModeration(ctx, it.kind(), it.id(), hidden, m); err != nil {
		return err
	}
	if it.pr != nil {
		was := it.pr.Hidden
		it.pr.Hidden, it.pr.Mod = hidden, m
		c, err := p.st.FindConsultation(ctx, it.pr.ConsultationID)
		if err != nil {
			p.retryLater(ctx, mitreden.SearchDocID(mitreden.SearchTypeProposal, it.pr.ID))
			return nil
		}
		docs := p.docs.Proposal(it.pr, c)
		if was != hidden {
			// Its comments are found with the proposal's title beside
			// them: a hidden title must go with them.
			comments, err := p.st.ListComments(ctx, mitreden.TargetProposal, it.pr.ID)
			if err != nil {
				p.log.Warn("comments of a moderated proposal not reindexed", "err", err)
			}
			for _, cm := range comments {
				if !cm.Deleted {
					docs = append(docs, p.docs.Comment(cm, c, it.pr))
				}
			}
		}
		p.index(ctx, docs...)
		return nil
	}
	it.cm.Hidden, it.cm.Mod = hidden, m
	if !it.cm.Deleted {
		p.reindexComment(ctx, it.cm)
	}
	return nil
}

// record appends an action to the moderation record.
func (p *Participation) record(ctx context.Context, actor *mitreden.User, action string, it *modItem, reason string, until time.Time) error {
	a := &mitreden.ModerationAction{At: p.now(), Action: action, Reason: strings.TrimSpace(reason), Until: until}
	if actor != nil {
		a.ActorID, a.ActorName = actor.ID, actor.DisplayName
	}
	if it != nil {
		a.ItemType, a.ItemID, a.AuthorID = it.kind(), it.id(), it.authorID()
		a.ConsultationID, a.TargetType, a.TargetID = it.place()
	}
	return p.appendAction(ctx, a)
}

// appendAction writes a to the record and logs it.
func (p *Participation) appendAction(ctx context.Context, a *mitreden.ModerationAction) error {
	if err := p.st.AppendModerationAction(ctx, a); err != nil {
		return err
	}
	p.log.Info("moderation", "action", a.Action, "actor", a.ActorID, "type", a.ItemType, "id", a.ItemID)
	return nil
}

// ItemRef names a proposal or comment.
type ItemRef struct {
	Type, ID string
}

// Moderate applies a moderator's action (approve, hide, unhide) with its
// reason to an item: reported, held before publication, or appealed.
// Approving releases a held item or dismisses the reports (and shows an
// item that reports hid); hiding a held item publishes it as a
// placeholder. Returns EUNAUTHORIZED, EFORBIDDEN (role; the appeal of one's
// own hiding), ENOTFOUND, ECONFLICT (nothing to do), EINVALID.
func (p *Participation) Moderate(ctx context.Context, actor *mitreden.User, action string, ref ItemRef, reason string) error {
	if err := moderator(actor).Err(); err != nil {
		return err
	}
	if !slices.Contains(mitreden.ItemActions, action) {
		return mitreden.Invalid(mitreden.FieldError{Field: "action", Code: "oneof", Message: "validation.oneof"})
	}
	if fe := mitreden.CheckReason("reason", reason, mitreden.ModerationReasonMax); fe != nil {
		return mitreden.Invalid(*fe)
	}
	if ref.Type != mitreden.ItemProposal && ref.Type != mitreden.ItemComment {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	reason = strings.TrimSpace(reason)
	e, err := p.st.FindQueueEntry(ctx, mitreden.QueueEntryID(ref.Type, ref.ID))
	if err != nil && mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		return err
	}
	if e != nil && e.Appeal && e.HiddenBy == actor.ID {
		// The appeal of a hiding goes to another moderator, where there
		// is one.
		if n, err := p.st.CountModerators(ctx); err != nil {
			return err
		} else if n > 1 {
			return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "moderation.appeal_other"}
		}
	}
	if e != nil && e.Held != nil {
		if action == mitreden.ActionUnhide {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.not_hidden"}
		}
		return p.release(ctx, actor, e, action == mitreden.ActionHide, reason)
	}
	it, err := p.modItem(ctx, ref.Type, ref.ID)
	if err != nil {
		return err
	}
	now := p.now()
	m := it.mod()
	m.Decisions++
	hidden := it.hidden()
	wasHidden := hidden
	switch action {
	case mitreden.ActionApprove:
		if e == nil {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.not_in_queue"}
		}
		// Approving shows what reports or a pending review hid, and grants
		// an appeal ("Freigeben" says the item is shown); otherwise an item
		// a moderator hid stays hidden (unhide shows it, with a reason).
		if hidden && (m.Auto || m.Review || e.Appeal) {
			hidden, m.Reason, m.By, m.At, m.Auto, m.Review = false, "", "", time.Time{}, false, false
		}
	case mitreden.ActionHide:
		if hidden && !m.Auto && !m.Review && e == nil {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.already_hidden"}
		}
		hidden, m.Reason, m.By, m.At, m.Auto, m.Review = true, reason, actor.ID, now, false, false
	case mitreden.ActionUnhide:
		if !hidden {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.not_hidden"}
		}
		hidden, m.Reason, m.By, m.At, m.Auto, m.Review = false, "", "", time.Time{}, false, false
	}
	if err := p.setItemModeration(ctx, it, hidden, m); err != nil {
		return err
	}
	if e != nil {
		if err := p.st.DeleteQueueEntry(ctx, e.ID); err != nil {
			return err
		}
	}
	if err := p.record(ctx, actor, action, it, reason, time.Time{}); err != nil {
		return err
	}
	// The author hears of what changes their item or answers their
	// appeal; dismissed reports they never heard of change nothing.
	if action != mitreden.ActionApprove || e.Appeal || wasHidden {
		p.moderated(ctx, actor, action, it)
	}
	return nil
}

// release publishes a held contribution, visible or (hide) as a
// placeholder with the reason. Its id was fixed when it was held, so a
// release repeated after a failure does not publish it twice.
func (p *Participation) release(ctx context.Context, actor *mitreden.User, e *mitreden.QueueEntry, hide bool, reason string) error {
	now := p.now()
	m := mitreden.ItemModeration{ReleasedAt: now, Decisions: 1}
	if hide {
		m.Reason, m.By, m.At = reason, actor.ID, now
	}
	var it *modItem
	switch {
	case e.Held.Proposal != nil:
		pr := e.Held.Proposal
		c, err := p.st.FindConsultation(ctx, pr.ConsultationID)
		if err != nil {
			return err
		}
		pr.CreatedAt, pr.Hidden, pr.Mod = now, hide, m
		if err := p.publishProposal(ctx, pr, c); err != nil && !p.alreadyStored(ctx, e) {
			return err
		}
		it = &modItem{pr: pr}
	case e.Held.Comment != nil:
		cm := e.Held.Comment
		cm.CreatedAt, cm.Hidden, cm.Mod = now, hide, m
		if err := p.publishComment(ctx, cm); err != nil && !p.alreadyStored(ctx, e) {
			return err
		}
		it = &modItem{cm: cm}
	default:
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	if err := p.st.DeleteQueueEntry(ctx, e.ID); err != nil {
		return err
	}
	action := mitreden.ActionApprove
	if hide {
		action = mitreden.ActionHide
	}
	if err := p.record(ctx, actor, action, it, reason, time.Time{}); err != nil {
		return err
	}
	p.moderated(ctx, actor, action, it)
	return nil
}

// alreadyStored tells whether a held item was published by an earlier
// release that failed afterwards.
func (p *Participation) alreadyStored(ctx context.Context, e *mitreden.QueueEntry) bool {
	_, err := p.modItem(ctx, e.ItemType, e.ItemID)
	return err == nil
}

// ModerateAll applies one action with one reason to several items and
// returns the error of each item that failed (nil when all went through).
func (p *Participation) ModerateAll(ctx context.Context, actor *mitreden.User, action string, refs []ItemRef, reason string) (map[ItemRef]error, error) {
	if err := moderator(actor).Err(); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "items", Code: "required", Message: "moderation.none_selected"})
	}
	if len(refs) > 100 {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "items", Code: "max", Message: "validation.max", Args: map[string]any{"param": 100}})
	}
	var failed map[ItemRef]error
	for _, ref := range refs {
		if err := p.Moderate(ctx, actor, action, ref, reason); err != nil {
			if mitreden.ErrorCode(err) == mitreden.EINVALID || mitreden.ErrorCode(err) == mitreden.EUNAVAILABLE {
				return failed, err
			}
			if failed == nil {
				failed = map[ItemRef]error{}
			}
			failed[ref] = err
		}
	}
	return failed, nil
}

// Appeal asks once for a review of the hiding of one's own item; the item
// returns to the queue marked as an appeal. Returns EUNAUTHORIZED,
// EFORBIDDEN (not the author), ENOTFOUND, ECONFLICT (not hidden, appealed
// before), EINVALID.
func (p *Participation) Appeal(ctx context.Context, actor *mitreden.User, ref ItemRef, note string) error {
	it, err := p.modItem(ctx, ref.Type, ref.ID)
	if err != nil {
		return err
	}
	if err := canAppeal(actor, it).Err(); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if fe := mitreden.CheckReason("note", note, mitreden.AppealNoteMax); fe != nil {
		return mitreden.Invalid(*fe)
	}
	m := it.mod()
	m.Appealed = true
	m.Decisions++
	if err := p.st.SetItemModeration(ctx, it.kind(), it.id(), true, m); err != nil {
		return err
	}
	e := it.queueEntry()
	e.Appeal, e.AppealNote, e.Hidden, e.HiddenBy, e.Since = true, note, true, m.By, p.now()
	if old, err := p.st.FindQueueEntry(ctx, e.ID); err == nil {
		e.Reports, e.ReportedAt = old.Reports, old.ReportedAt
	}
	if err := p.st.PutQueueEntry(ctx, e); err != nil {
		return err
	}
	return p.record(ctx, actor, mitreden.ActionAppeal, it, note, time.Time{})
}

// AppealPermission tells whether actor may ask for a review of the item,
// for the form that asks. Returns ENOTFOUND.
func (p *Participation) AppealPermission(ctx context.Context, actor *mitreden.User, ref ItemRef) (mitreden.Permission, error) {
	it, err := p.modItem(ctx, ref.Type, ref.ID)
	if err != nil {
		return mitreden.Permission{}, err
	}
	return canAppeal(actor, it), nil
}

// canAppeal: the author of a hidden item, once.
func canAppeal(actor *mitreden.User, it *modItem) mitreden.Permission {
	if actor == nil {
		return mitreden.Deny(mitreden.EUNAUTHORIZED, "error.unauthorized", nil)
	}
	if actor.ID != it.authorID() {
		return mitreden.Deny(mitreden.EFORBIDDEN, "moderation.appeal_author", nil)
	}
	if !it.hidden() || it.deleted() {
		return mitreden.Deny(mitreden.ECONFLICT, "moderation.not_hidden", nil)
	}
	if it.mod().Appealed {
		return mitreden.Deny(mitreden.ECONFLICT, "moderation.appealed", nil)
	}
	return mitreden.Allow()
}

// canReport: a participant, on someone else's item that is still there
// and not hidden (a report on a placeholder could only bring it back).
func canReport(actor *mitreden.User, authorID string, deleted, hidden bool) mitreden.Permission {
	if p := participant(actor); !p.Allowed() {
		return p
	}
	if deleted {
		return mitreden.Deny(mitreden.ENOTFOUND, "error.not_found", nil)
	}
	if hidden {
		return mitreden.Deny(mitreden.ECONFLICT, "moderation.item_hidden", nil)
	}
	if actor.ID == authorID {
		return mitreden.Deny(mitreden.ECONFLICT, "moderation.own_item", nil)
	}
	return mitreden.Allow()
}

// Block blocks an account with a reason, until a time or (zero) for good;
// the person can read and log in, and every write is refused with the
// reason. Moderators block citizens and council members; admins also
// moderators. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID.
func (p *Participation) Block(ctx context.Context, actor *mitreden.User, userID, reason string, until time.Time) (*mitreden.User, error) {
	if err := moderator(actor).Err(); err != nil {
		return nil, err
	}
	var fs []mitreden.FieldError
	if fe := mitreden.CheckReason("reason", reason, mitreden.ModerationReasonMax); fe != nil {
		fs = append(fs, *fe)
	}
	now := p.now()
	if !until.IsZero() && !until.After(now) {
		fs = append(fs, mitreden.FieldError{Field: "until", Code: "future", Message: "validation.future"})
	}
	if len(fs) > 0 {
		return nil, mitreden.Invalid(fs...)
	}
	target, err := p.users.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if target.ID == actor.ID {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.block_self"}
	}
	if target.HasRole(mitreden.RoleAdmin) || (isModerator(target) && !actor.HasRole(mitreden.RoleAdmin)) {
		return nil, &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "moderation.block_role"}
	}
	reason = strings.TrimSpace(reason)
	u, err := p.users.SetBlock(ctx, userID, &mitreden.Block{Reason: reason, Until: until.UTC(), By: actor.ID, At: now})
	if err != nil {
		return nil, err
	}
	return u, p.recordUser(ctx, actor, mitreden.ActionBlock, userID, reason, until.UTC())
}

// Unblock lifts a block with a reason. Returns EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, ECONFLICT (not blocked), EINVALID.
func (p *Participation) Unblock(ctx context.Context, actor *mitreden.User, userID, reason string) (*mitreden.User, error) {
	if err := moderator(actor).Err(); err != nil {
		return nil, err
	}
	if fe := mitreden.CheckReason("reason", reason, mitreden.ModerationReasonMax); fe != nil {
		return nil, mitreden.Invalid(*fe)
	}
	target, err := p.users.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !target.BlockedAt(p.now()) {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.not_blocked"}
	}
	u, err := p.users.SetBlock(ctx, userID, nil)
	if err != nil {
		return nil, err
	}
	return u, p.recordUser(ctx, actor, mitreden.ActionUnblock, userID, strings.TrimSpace(reason), time.Time{})
}

func (p *Participation) recordUser(ctx context.Context, actor *mitreden.User, action, userID, reason string, until time.Time) error {
	return p.appendAction(ctx, &mitreden.ModerationAction{At: p.now(), ActorID: actor.ID, ActorName: actor.DisplayName, Action: action,
		ItemType: mitreden.ItemUser, ItemID: userID, AuthorID: userID, Reason: reason, Until: until})
}

// QueueItem is a queue entry with what a moderator needs to decide: the
// item as moderators see it, its context, the reports, and earlier actions
// on it and on its author.
type QueueItem struct {
	*mitreden.QueueEntry
	Proposal *mitreden.Proposal // the item, or the proposal a comment discusses
	Comment  *mitreden.Comment  // the item when it is a comment
	// ContextTitle names the proposal or consultation the item belongs to.
	ContextTitle, ContextLang string
	// Parent is the comment a reply answers; Before and After are its
	// neighbours in the discussion.
	Parent, Before, After *mitreden.Comment
	ReportList            []*mitreden.Report
	ItemActions           []*mitreden.ModerationAction
	AuthorActions         []*mitreden.ModerationAction
	// Author is the author's account (nil when gone), to see a block.
	Author *mitreden.User
}

// QueuePerPage is how many items a queue page shows.
const QueuePerPage = 20

// ReadQueue returns a page of the moderation queue. Returns EUNAUTHORIZED,
// EFORBIDDEN.
func (p *Participation) ReadQueue(ctx context.Context, actor *mitreden.User, page int) ([]*QueueItem, int, error) {
	if err := moderator(actor).Err(); err != nil {
		return nil, 0, err
	}
	entries, total, err := p.st.ListQueue(ctx, page, QueuePerPage)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*QueueItem, 0, len(entries))
	for _, e := range entries {
		qi, err := p.queueItem(ctx, e)
		if err != nil {
			if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
				continue // the item went around the store
			}
			return nil, 0, err
		}
		out = append(out, qi)
	}
	return out, total, nil
}

func (p *Participation) queueItem(ctx context.Context, e *mitreden.QueueEntry) (*QueueItem, error) {
	qi := &QueueItem{QueueEntry: e}
	var err error
	switch {
	case e.Held != nil && e.Held.Proposal != nil:
		qi.Proposal = e.Held.Proposal
	case e.Held != nil:
		qi.Comment = e.Held.Comment
	case e.ItemType == mitreden.ItemProposal:
		if qi.Proposal, err = p.st.FindProposal(ctx, e.ItemID); err != nil {
			return nil, err
		}
	default:
		if qi.Comment, err = p.st.FindComment(ctx, e.ItemID); err != nil {
			return nil, err
		}
	}
	if cm := qi.Comment; cm != nil {
		if cm.TargetType == mitreden.TargetProposal {
			if qi.Proposal, err = p.st.FindProposal(ctx, cm.TargetID); err != nil {
				return nil, err
			}
			qi.ContextTitle, qi.ContextLang = qi.Proposal.Title, qi.Proposal.Lang
		} else if c, err := p.st.FindConsultation(ctx, cm.TargetID); err == nil {
			qi.ContextTitle, qi.ContextLang = c.Title, c.Lang
		}
		if cm.ParentID != "" {
			qi.Parent, _ = p.st.FindComment(ctx, cm.ParentID)
		}
		if e.Held == nil {
			qi.Before, qi.After = p.neighbours(ctx, cm)
		}
	} else if c, err := p.st.FindConsultation(ctx, qi.Proposal.ConsultationID); err == nil {
		qi.ContextTitle, qi.ContextLang = c.Title, c.Lang
	}
	if e.Held == nil {
		if qi.ReportList, err = p.st.ItemReports(ctx, e.ItemType, e.ItemID); err != nil {
			return nil, err
		}
		if qi.ItemActions, _, err = p.st.ListModerationActions(ctx, mitreden.ModerationLogFilter{ItemType: e.ItemType, ItemID: e.ItemID, PerPage: 10}); err != nil {
			return nil, err
		}
	}
	if qi.AuthorActions, _, err = p.st.ListModerationActions(ctx, mitreden.ModerationLogFilter{AuthorID: e.AuthorID, PerPage: 5}); err != nil {
		return nil, err
	}
	if u, err := p.users.FindUserByID(ctx, e.AuthorID); err == nil {
		qi.Author = u
	}
	return qi, nil
}

// neighbours are the comments written right before and after cm in its
// discussion, for context; a long thread is not read for it.
func (p *Participation) neighbours(ctx context.Context, cm *mitreden.Comment) (before, after *mitreden.Comment) {
	all, err := p.st.ListComments(ctx, cm.TargetType, cm.TargetID)
	if err != nil || len(all) > 2000 {
		return nil, nil
	}
	for i, c := range all {
		if c.ID != cm.ID {
			continue
		}
		if i > 0 && !all[i-1].Deleted {
			before = all[i-1]
		}
		if i+1 < len(all) && !all[i+1].Deleted {
			after = all[i+1]
		}
	}
	return before, after
}

// LogEntry is a public entry of the moderation record: never the hidden
// text, the reporter or the moderator.
type LogEntry struct {
	At                   time.Time
	Action               string
	ItemType, ItemID     string
	TargetType, TargetID string
	Reason               string
	Until                time.Time
}

// ReadModerationLog returns a page of the public moderation record. Returns
// EINVALID (action).
func (p *Participation) ReadModerationLog(ctx context.Context, f mitreden.ModerationLogFilter) ([]*LogEntry, int, error) {
	if f.Action != "" && !slices.Contains(mitreden.ModerationActions, f.Action) {
		return nil, 0, mitreden.Invalid(mitreden.FieldError{Field: "action", Code: "oneof", Message: "validation.oneof"})
	}
	f.ItemType, f.ItemID, f.AuthorID = "", "", ""
	list, total, err := p.st.ListModerationActions(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*LogEntry, len(list))
	for i, a := range list {
		e := &LogEntry{At: a.At, Action: a.Action, ItemType: a.ItemType, ItemID: a.ItemID, TargetType: a.TargetType, TargetID: a.TargetID,
			Reason: a.Reason, Until: a.Until}
		if a.ItemType == mitreden.ItemUser {
			e.ItemID = "" // the public is not told who was blocked
		}
		if a.Action == mitreden.ActionAppeal {
			e.Reason = "" // the author's note may quote the hidden words
		}
		out[i] = e
	}
	return out, total, nil
}

// itemHistory is the record of one item, for its author (only read when
// the item has decisions).
func (p *Participation) itemHistory(ctx context.Context, itemType, id string, m mitreden.ItemModeration) ([]*mitreden.ModerationAction, error) {
	if m.Decisions == 0 {
		return nil, nil
	}
	list, _, err := p.st.ListModerationActions(ctx, mitreden.ModerationLogFilter{ItemType: itemType, ItemID: id, PerPage: 50})
	return list, err
}
