package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// A write that concerns others records one event: a "notify" job under an
// ID made of the event, inserted in one write, and returns. The job's
// handler finds the recipients with paged, indexed queries and stores
// their notifications in batches; a retry stores nothing twice (the
// notifications' _ids are made of event and person) and queues no mail
// twice (the mail's key is the notification's id).

// Event types, each resolved to its recipients by the handler.
const (
	eventComment    = "comment"    // a published comment: the parent's author, the proposal's author
	eventAnswer     = "answer"     // a proposal's official answer or status: author, supporters, followers
	eventPhase      = "phase"      // a consultation's phase: its followers
	eventModeration = "moderation" // a moderation decision: the item's author
	eventCitation   = "citation"   // a published recommendation: the cited items' authors
)

// notifyEvent is the payload of a "notify" job.
type notifyEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	ActorID   string    `json:"actor_id,omitempty"`
	ActorName string    `json:"actor_name,omitempty"`
	At        time.Time `json:"at"`
	// ItemType and ItemID name the comment, proposal, consultation or
	// recommendation the event is about.
	ItemType string `json:"item_type,omitempty"`
	ItemID   string `json:"item_id,omitempty"`
	AuthorID string `json:"author_id,omitempty"`
	Status   string `json:"status,omitempty"`
	Phase    string `json:"phase,omitempty"`
	Action   string `json:"action,omitempty"`
	Title    string `json:"title,omitempty"`
	Lang     string `json:"lang,omitempty"`
	// Cited are the "type:id" of the items a recommendation cites.
	Cited []string `json:"cited,omitempty"`
}

// record enqueues ev's fan-out. The write it follows has happened, so a
// failure is logged, not returned: the write stands.
func (n *Notifications) record(ctx context.Context, ev notifyEvent) {
	n.enqueue(ctx, ev, false)
}

// enqueue queues ev's fan-out job, behind the write (the store may write
// it a moment later, Jobs.EnqueueBehind) when behind is set.
func (n *Notifications) enqueue(ctx context.Context, ev notifyEvent, behind bool) {
	if n == nil || n.jobs == nil {
		return
	}
	if ev.At.IsZero() {
		ev.At = n.now()
	}
	j, err := n.notifyJob(ev)
	if err == nil {
		if behind {
			err = n.jobs.EnqueueBehind(ctx, j)
		} else {
			err = n.jobs.Enqueue(ctx, j)
		}
	}
	if err != nil {
		n.log.Warn("notification event not recorded", "event", ev.ID, "err", err)
	}
}

// notifyJob is the fan-out job of ev, due now; its ID is the event's, so
// an event queued twice runs once.
func (n *Notifications) notifyJob(ev notifyEvent) (*mitreden.Job, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return &mitreden.Job{ID: JobNotify + ":" + ev.ID, Kind: JobNotify, Payload: b, State: mitreden.JobQueued, RunAt: n.now()}, nil
}

// commentEvent is the event of a published comment; false when it answers
// nobody's contribution.
func commentEvent(cm *mitreden.Comment) (notifyEvent, bool) {
	if cm.ParentID == "" && cm.TargetType != mitreden.TargetProposal {
		return notifyEvent{}, false
	}
	return notifyEvent{ID: "comment:" + cm.ID, Type: eventComment, ActorID: cm.AuthorID, ActorName: cm.AuthorName,
		ItemType: mitreden.ItemComment, ItemID: cm.ID, At: cm.CreatedAt}, true
}

// RequeueCommentEvents queues again the events of the comments created
// from from until before to, for the reconciliation after an unclean stop:
// a comment's event is queued behind its write (commentPublished), so such
// a stop may have lost it. Events already queued or run are skipped, and
// running one again changes nothing. One pass over the comments.
func (n *Notifications) RequeueCommentEvents(ctx context.Context, from, to time.Time) (int, error) {
	var jobs []*mitreden.Job
	err := n.part.AllComments(ctx, func(cm *mitreden.Comment) error {
		if cm.CreatedAt.Before(from) || !cm.CreatedAt.Before(to) || cm.Deleted {
			return nil
		}
		ev, ok := commentEvent(cm)
		if !ok {
			return nil
		}
		j, err := n.notifyJob(ev)
		if err == nil {
			jobs = append(jobs, j)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	for start := 0; start < len(jobs); start += 500 {
		if err := n.jobs.Enqueue(ctx, jobs[start:min(start+500, len(jobs))]...); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// follow makes a person follow what they wrote; a failure is logged.
func (n *Notifications) follow(ctx context.Context, userID, targetType, targetID string) {
	if n == nil {
		return
	}
	if userID = n.account(ctx, userID); userID == "" {
		return
	}
	if err := n.st.PutFollow(ctx, &mitreden.Follow{UserID: userID, TargetType: targetType, TargetID: targetID, CreatedAt: n.now()}); err != nil {
		n.log.Warn("automatic follow", "err", err)
	}
}

// Hooks the participation and council services call after their writes;
// each is a no-op without a Notifications service.

// proposalPublished: the author follows the proposal and its
// consultation (its phases decide what becomes of the proposal).
func (p *Participation) proposalPublished(ctx context.Context, pr *mitreden.Proposal) {
	p.notes.follow(ctx, pr.AuthorID, mitreden.FollowProposal, pr.ID)
	p.notes.follow(ctx, pr.AuthorID, mitreden.FollowConsultation, pr.ConsultationID)
}

// commentPublished records a published comment's event, behind the
// comment's write: comments are the most frequent write, and the
// reconciliation after an unclean stop queues their events again
// (RequeueCommentEvents).
func (p *Participation) commentPublished(ctx context.Context, cm *mitreden.Comment) {
	if ev, ok := commentEvent(cm); ok {
		p.notes.enqueue(ctx, ev, true)
	}
}

// proposalAnswered records an official answer or status change.
func (p *Participation) proposalAnswered(ctx context.Context, actor *mitreden.User, pr *mitreden.Proposal) {
	p.notes.record(ctx, notifyEvent{ID: fmt.Sprintf("answer:%s:%d", pr.ID, p.now().UnixNano()), Type: eventAnswer, ActorID: actor.ID,
		ActorName: actor.DisplayName, ItemType: mitreden.ItemProposal, ItemID: pr.ID, Status: pr.Status, Title: pr.Title, Lang: pr.Lang})
}

// consultationEvaluated records the phase change results bring.
func (p *Participation) consultationEvaluated(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation) {
	p.notes.record(ctx, phaseEvent(c, mitreden.PhaseEvaluated, c.EvaluatedAt, actor))
}

func phaseEvent(c *mitreden.Consultation, ph mitreden.Phase, at time.Time, actor *mitreden.User) notifyEvent {
	ev := notifyEvent{ID: fmt.Sprintf("phase:%s:%s:%d", c.ID, ph, at.Unix()), Type: eventPhase, ItemType: mitreden.FollowConsultation,
		ItemID: c.ID, Phase: string(ph), Title: c.Title, At: at}
	if actor != nil {
		ev.ActorID, ev.ActorName = actor.ID, actor.DisplayName
	}
	return ev
}

// moderated records a moderation decision about a contribution.
func (p *Participation) moderated(ctx context.Context, actor *mitreden.User, action string, it *modItem) {
	ev := notifyEvent{ID: fmt.Sprintf("moderation:%s:%s:%s:%d", it.kind(), it.id(), action, p.now().UnixNano()), Type: eventModeration,
		ItemType: it.kind(), ItemID: it.id(), AuthorID: it.authorID(), Action: action}
	if actor != nil {
		ev.ActorID, ev.ActorName = actor.ID, actor.DisplayName
	}
	if it.pr != nil {
		ev.Title, ev.Lang = it.pr.Title, it.pr.Lang
	}
	p.notes.record(ctx, ev)
}

// published records a published version citing contributions.
func (c *Council) published(ctx context.Context, actor *mitreden.User, r *mitreden.Recommendation, links []*mitreden.Evidence) {
	var cited []string
	for _, e := range links {
		if e.Type == mitreden.ItemProposal || e.Type == mitreden.ItemComment {
			cited = append(cited, e.Type+":"+e.ItemID)
		}
	}
	if len(cited) == 0 {
		return
	}
	c.notes.record(ctx, notifyEvent{ID: fmt.Sprintf("citation:%s:%d", r.ID, r.Published), Type: eventCitation, ActorID: actor.ID,
		ActorName: actor.DisplayName, ItemType: "recommendation", ItemID: r.ID, Title: r.Title, Lang: r.Lang, Cited: cited})
}

// HandleNotify runs a "notify" job: it stores the event's notifications
// and queues the immediate mails. Running it again changes nothing.
func (n *Notifications) HandleNotify(ctx context.Context, job *mitreden.Job) error {
	var ev notifyEvent
	if err := json.Unmarshal(job.Payload, &ev); err != nil {
		return mitreden.Permanent(fmt.Errorf("notify payload: %w", err))
	}
	base := mitreden.Notification{EventID: ev.ID, Title: ev.Title, TitleLang: ev.Lang, Status: ev.Status, Phase: ev.Phase,
		Action: ev.Action, ActorID: ev.ActorID, ActorName: ev.ActorName, CreatedAt: ev.At.UTC().Truncate(time.Millisecond)}
	switch ev.Type {
	case eventComment:
		return n.fanComment(ctx, ev, base)
	case eventAnswer:
		pr, err := n.part.FindProposal(ctx, ev.ItemID)
		if err != nil {
			return gone(err)
		}
		base.Kind, base.URL, base.ConsultationID = mitreden.NotifyAnswer, "/proposals/"+pr.ID, pr.ConsultationID
		base.Title, base.TitleLang = pr.Title, pr.Lang
		if mitreden.AuthorDeleted(pr.AnsweredByID) || pr.AnsweredByID == ev.ActorID {
			base.ActorID, base.ActorName = actorOf(pr.AnsweredByID, pr.AnsweredBy)
		}
		// The mail carries the answer itself, so nobody has to log in to read it.
		base.Excerpt, base.ExcerptLang = excerptOf(markdown.PlainText(pr.Answer)), pr.AnswerLang
		n.placeIn(ctx, &base)
		if err := n.deliver(ctx, ev, base, []string{pr.AuthorID}); err != nil {
			return err
		}
		deliver := func(ids []string) error { return n.deliver(ctx, ev, base, ids) }
		if err := n.rcpt.EachSupporter(ctx, pr.ID, n.cfg.Batch, deliver); err != nil {
			return err
		}
		return n.st.EachFollower(ctx, mitreden.FollowProposal, pr.ID, n.cfg.Batch, deliver)
	case eventPhase:
		c, err := n.part.FindConsultation(ctx, ev.ItemID)
		if err != nil {
			return gone(err)
		}
		base.Kind, base.URL, base.ConsultationID, base.ConsultationTitle = mitreden.NotifyPhase, "/consultations/"+c.ID, c.ID, c.Title
		base.Title = c.Title
		return n.st.EachFollower(ctx, mitreden.FollowConsultation, c.ID, n.cfg.Batch, func(ids []string) error {
			return n.deliver(ctx, ev, base, ids)
		})
	case eventModeration:
		base.Kind = mitreden.NotifyModeration
		if err := n.describeItem(ctx, ev.ItemType, ev.ItemID, &base); err != nil {
			return gone(err)
		}
		return n.deliver(ctx, ev, base, []string{ev.AuthorID})
	case eventCitation:
		base.Kind, base.URL = mitreden.NotifyCitation, "/recommendations/"+ev.ItemID
		seen := map[string]bool{}
		var authors []string
		for _, ref := range ev.Cited {
			typ, id, _ := strings.Cut(ref, ":")
			var author string
			switch typ {
			case mitreden.ItemProposal:
				if pr, err := n.part.FindProposal(ctx, id); err == nil {
					author = pr.AuthorID
				}
			case mitreden.ItemComment:
				if cm, err := n.part.FindComment(ctx, id); err == nil && !cm.Deleted {
					author = cm.AuthorID
				}
			}
			if author != "" && !seen[author] {
				seen[author] = true
				authors = append(authors, author)
			}
		}
		return n.deliver(ctx, ev, base, authors)
	}
	return mitreden.Permanent(fmt.Errorf("notify: unknown event type %q", ev.Type))
}

// actorOf is the actor a notification names for an item's author or
// answerer as stored now: nobody once the account was deleted.
func actorOf(id, name string) (string, string) {
	if mitreden.AuthorDeleted(id) {
		return "", ""
	}
	return id, name
}

// account is the account an author or voter id reaches: a participant
// record's key its linked account, "" for an unlinked record (nobody can
// read what is stored for it) and for a deleted account.
func (n *Notifications) account(ctx context.Context, id string) string {
	if !strings.HasPrefix(id, mitreden.RecordVoterPrefix) {
		if mitreden.AuthorDeleted(id) {
			return ""
		}
		return id
	}
	if n.personOf != nil {
		id = n.personOf(ctx, id)
	}
	if strings.HasPrefix(id, mitreden.RecordVoterPrefix) {
		return ""
	}
	return id
}

// gone makes a missing item a permanent failure: retrying cannot find it.
func gone(err error) error {
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return mitreden.Permanent(err)
	}
	return err
}

// fanComment tells the author of the parent comment about a reply, and the
// proposal's author about a comment on it (once, as a reply when both).
func (n *Notifications) fanComment(ctx context.Context, ev notifyEvent, base mitreden.Notification) error {
	cm, err := n.part.FindComment(ctx, ev.ItemID)
	if err != nil {
		return gone(err)
	}
	if cm.Deleted || cm.Hidden {
		return nil
	}
	base.URL, base.Excerpt, base.ExcerptLang = "/comments/"+cm.ID, excerptOf(cm.Body), cm.Lang
	base.ConsultationID = cm.ConsultationID
	// The actor is the comment's author as it is now: a job that runs
	// after the author deleted the account names nobody.
	base.ActorID, base.ActorName = actorOf(cm.AuthorID, cm.AuthorName)
	switch cm.TargetType {
	case mitreden.TargetProposal:
		pr, err := n.part.FindProposal(ctx, cm.TargetID)
		if err != nil {
			return gone(err)
		}
		base.Title, base.TitleLang = pr.Title, pr.Lang
		n.placeIn(ctx, &base)
		if cm.ParentID == "" {
			base.Kind = mitreden.NotifyComment
			return n.deliver(ctx, ev, base, []string{pr.AuthorID})
		}
		parent, err := n.part.FindComment(ctx, cm.ParentID)
		if err != nil {
			return gone(err)
		}
		reply := base
		reply.Kind = mitreden.NotifyReply
		if err := n.deliver(ctx, ev, reply, []string{parent.AuthorID}); err != nil {
			return err
		}
		if pr.AuthorID != parent.AuthorID {
			base.Kind = mitreden.NotifyComment
			return n.deliver(ctx, ev, base, []string{pr.AuthorID})
		}
		return nil
	case mitreden.TargetConsultation:
		if c, err := n.part.FindConsultation(ctx, cm.TargetID); err == nil {
			base.Title, base.ConsultationTitle = c.Title, c.Title
		}
	}
	if cm.ParentID == "" {
		return nil
	}
	parent, err := n.part.FindComment(ctx, cm.ParentID)
	if err != nil {
		return gone(err)
	}
	base.Kind = mitreden.NotifyReply
	return n.deliver(ctx, ev, base, []string{parent.AuthorID})
}

// describeItem fills title, link and place of a proposal or comment.
func (n *Notifications) describeItem(ctx context.Context, itemType, id string, nt *mitreden.Notification) error {
	switch itemType {
	case mitreden.ItemProposal:
		pr, err := n.part.FindProposal(ctx, id)
		if err != nil {
			return err
		}
		nt.Title, nt.TitleLang, nt.URL, nt.ConsultationID = pr.Title, pr.Lang, "/proposals/"+pr.ID, pr.ConsultationID
	case mitreden.ItemComment:
		cm, err := n.part.FindComment(ctx, id)
		if err != nil {
			return err
		}
		nt.URL, nt.Excerpt, nt.ExcerptLang, nt.ConsultationID = "/comments/"+cm.ID, excerptOf(cm.Body), cm.Lang, cm.ConsultationID
		if cm.TargetType == mitreden.TargetProposal {
			if pr, err := n.part.FindProposal(ctx, cm.TargetID); err == nil {
				nt.Title, nt.TitleLang = pr.Title, pr.Lang
			}
		}
	default:
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	n.placeIn(ctx, nt)
	return nil
}

// placeIn names the consultation a notification belongs to (digests group
// by it).
func (n *Notifications) placeIn(ctx context.Context, nt *mitreden.Notification) {
	if nt.ConsultationID == "" || nt.ConsultationTitle != "" {
		return
	}
	if c, err := n.part.FindConsultation(ctx, nt.ConsultationID); err == nil {
		nt.ConsultationTitle = c.Title
	}
}

// deliver stores base for each recipient but the actor, with the mail
// mode of their settings, and queues the immediate mails: one settings
// query, one insert (with the counters' two writes), one address query.
func (n *Notifications) deliver(ctx context.Context, ev notifyEvent, base mitreden.Notification, recipients []string) error {
	var ids []string
	actor := n.account(ctx, ev.ActorID)
	for _, id := range recipients {
		if id = n.account(ctx, id); id != "" && id != actor && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	settings, err := n.st.NotificationSettings(ctx, ids)
	if err != nil {
		return err
	}
	ns := make([]*mitreden.Notification, len(ids))
	var now []*mitreden.Notification
	for i, id := range ids {
		nt := base
		nt.ID, nt.UserID, nt.Mail = mitreden.NotificationID(ev.ID, id), id, settings[id].Mode(base.Kind)
		nt.Mailed = nt.Mail == mitreden.MailImmediately || nt.Mail == mitreden.MailNever
		ns[i] = &nt
		if nt.Mail == mitreden.MailImmediately {
			now = append(now, &nt)
		}
	}
	if _, err := n.st.InsertNotifications(ctx, ns); err != nil {
		return err
	}
	// Queued for every immediate one, stored now or before: a retry after
	// a failure between the insert and the mails sends what is missing,
	// and the mail key keeps what was queued from going twice.
	return n.mailNow(ctx, now)
}

// mailNow queues one mail per notification.
func (n *Notifications) mailNow(ctx context.Context, ns []*mitreden.Notification) error {
	if len(ns) == 0 || n.mail == nil || n.users == nil {
		return nil
	}
	ids := make([]string, len(ns))
	for i, nt := range ns {
		ids[i] = nt.UserID
	}
	people, err := n.users.MailRecipients(ctx, ids)
	if err != nil {
		return err
	}
	for _, nt := range ns {
		r := people[nt.UserID]
		if r == nil || r.Email == "" {
			continue
		}
		m := mitreden.OutgoingMail{Key: nt.ID, To: r.Email, Language: mailLang(r.Language), Template: "notification",
			Data: n.mailItem(nt), Unsubscribe: n.UnsubscribeURL(nt.UserID, nt.Kind)}
		m.Data["Name"] = r.DisplayName
		m.Data["SettingsURL"] = n.cfg.BaseURL + "/notifications/settings"
		if err := n.mail.SendMail(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func mailLang(l string) string {
	if l == "en" {
		return "en"
	}
	return "de"
}

// mailItem is what a mail template reads of a notification. Every value is
// plain text; the templates escape it.
func (n *Notifications) mailItem(nt *mitreden.Notification) map[string]any {
	return map[string]any{"Kind": nt.Kind, "Title": nt.Title, "Status": nt.Status, "Phase": nt.Phase, "Action": nt.Action,
		"Excerpt": nt.Excerpt, "Actor": nt.ActorName, "URL": n.cfg.BaseURL + nt.URL, "Consultation": nt.ConsultationTitle}
}
