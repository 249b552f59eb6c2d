package service

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/textdiff"
)

// CouncilConfig is the council's policy. Zero fields take defaults.
type CouncilConfig struct {
	// QuorumPercent: a vote counts when more than this share of all
	// members voted; default 50 (more than half).
	QuorumPercent int
}

// Council is the use case layer of the Digital Council's workspace:
// drafting recommendations together, citing citizens' input, deciding and
// publishing. Every workspace read and write answers ENOTFOUND to anyone
// who is neither a member nor an admin (councilReader, councilMember).
type Council struct {
	st     mitreden.CouncilStore
	part   mitreden.ParticipationStore
	search mitreden.Searcher
	now    Clock
	log    *slog.Logger
	cfg    CouncilConfig
	// notes tells cited authors of a publication (notify_fanout.go).
	notes *Notifications
}

// NewCouncil wires the service; searcher may be nil.
func NewCouncil(st mitreden.CouncilStore, part mitreden.ParticipationStore, searcher mitreden.Searcher, now Clock, log *slog.Logger, cfg CouncilConfig) *Council {
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.QuorumPercent <= 0 || cfg.QuorumPercent >= 100 {
		cfg.QuorumPercent = 50
	}
	return &Council{st: st, part: part, search: searcher, now: now, log: log, cfg: cfg}
}

// Now is the service clock.
func (c *Council) Now() time.Time { return c.now() }

func notFound() error { return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"} }

// editable: members edit drafts, and published recommendations (a
// correction, published as a new version); what is being voted on or was
// adopted stays as it is.
func canEditRecommendation(actor *mitreden.User, r *mitreden.Recommendation) mitreden.Permission {
	if p := councilMember(actor); !p.Allowed() {
		return p
	}
	if r.Status != mitreden.RecDraft && r.Status != mitreden.RecPublished {
		return mitreden.Deny(mitreden.ECONFLICT, "council.not_editable", map[string]any{"status": r.Status})
	}
	return mitreden.Allow()
}

func canSubmit(actor *mitreden.User, r *mitreden.Recommendation) mitreden.Permission {
	if p := councilMember(actor); !p.Allowed() {
		return p
	}
	if r.Status != mitreden.RecDraft {
		return mitreden.Deny(mitreden.ECONFLICT, "council.not_draft", nil)
	}
	return mitreden.Allow()
}

func canCouncilVote(actor *mitreden.User, r *mitreden.Recommendation) mitreden.Permission {
	if p := councilMember(actor); !p.Allowed() {
		return p
	}
	if !actor.HasRole(mitreden.RoleCouncil) {
		// Quorums count members: an admin who is no member does not vote.
		return mitreden.Deny(mitreden.EFORBIDDEN, "council.members_vote", nil)
	}
	if r.Status != mitreden.RecInReview || !r.Vote.Open {
		return mitreden.Deny(mitreden.ECONFLICT, "council.no_open_vote", nil)
	}
	return mitreden.Allow()
}

func canCloseVote(actor *mitreden.User, chair string, r *mitreden.Recommendation) mitreden.Permission {
	if p := councilMember(actor); !p.Allowed() {
		return p
	}
	if !actor.HasRole(mitreden.RoleAdmin) && actor.ID != chair {
		return mitreden.Deny(mitreden.EFORBIDDEN, "council.chair_closes", nil)
	}
	if r.Status != mitreden.RecInReview || !r.Vote.Open {
		return mitreden.Deny(mitreden.ECONFLICT, "council.no_open_vote", nil)
	}
	return mitreden.Allow()
}

func canPublish(actor *mitreden.User, r *mitreden.Recommendation) mitreden.Permission {
	if p := councilMember(actor); !p.Allowed() {
		return p
	}
	switch {
	case r.Status == mitreden.RecAdopted:
		return mitreden.Allow()
	case r.Status == mitreden.RecPublished && r.Revision > r.PublishedRevision:
		return mitreden.Allow()
	case r.Status == mitreden.RecPublished:
		return mitreden.Deny(mitreden.ECONFLICT, "council.nothing_to_publish", nil)
	}
	return mitreden.Deny(mitreden.ECONFLICT, "council.not_adopted", nil)
}

func canWithdrawRecommendation(actor *mitreden.User, r *mitreden.Recommendation) mitreden.Permission {
	if p := councilMember(actor); !p.Allowed() {
		return p
	}
	if r.Status == mitreden.RecPublished || r.Status == mitreden.RecWithdrawn {
		return mitreden.Deny(mitreden.ECONFLICT, "council.not_withdrawable", nil)
	}
	return mitreden.Allow()
}

// CreateRecommendation starts a draft with its first revision. Returns
// ENOTFOUND (no member), EFORBIDDEN (blocked), EINVALID.
func (c *Council) CreateRecommendation(ctx context.Context, actor *mitreden.User, in mitreden.Recommendation, note string) (*mitreden.Recommendation, error) {
	if err := councilMember(actor).Err(); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	note, err := checkNote(note)
	if err != nil {
		return nil, err
	}
	now := c.now()
	r := &mitreden.Recommendation{Title: in.Title, Summary: in.Summary, Body: in.Body, Topics: in.Topics, Status: mitreden.RecDraft,
		Revision: 1, CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now}
	r.Lang = mitreden.ContentLang(in.Lang, actor.Language, r.Title, r.Summary, r.Body)
	r.BodyHTML = renderText(r.Body)
	rev := revisionOf(r, actor, note, now)
	if err := c.st.CreateRecommendation(ctx, r, rev); err != nil {
		return nil, err
	}
	c.log.Info("recommendation created", "id", r.ID, "actor", actor.ID)
	return r, nil
}

func revisionOf(r *mitreden.Recommendation, actor *mitreden.User, note string, at time.Time) *mitreden.Revision {
	return &mitreden.Revision{RecID: r.ID, N: r.Revision, Title: r.Title, Summary: r.Summary, Body: r.Body, BodyHTML: r.BodyHTML,
		Topics: slices.Clone(r.Topics), Lang: r.Lang, AuthorID: actor.ID, AuthorName: actor.DisplayName, Note: note, At: at}
}

func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if fe := mitreden.CheckReason("note", note, mitreden.RecNoteMax); fe != nil && note != "" {
		return "", mitreden.Invalid(*fe)
	}
	return note, nil
}

// StaleSave is the refusal of a save on a revision that is no longer the
// current one: the member's text, the text saved meanwhile and their
// three-way merge, so that nothing typed is lost.
type StaleSave struct {
	Err *mitreden.Error
	// Base is the revision the member started from, Theirs the current
	// one, Mine what the member sent.
	Base, Theirs *mitreden.Revision
	Mine         mitreden.Revision
	// MergedBody is Mine's and Theirs' bodies merged from Base's;
	// Conflicts tells whether it holds conflict marks.
	MergedBody string
	Conflicts  bool
}

func (s *StaleSave) Error() string { return s.Err.Error() }

// Unwrap makes the refusal the domain error ECONFLICT ("council.stale").
func (s *StaleSave) Unwrap() error { return s.Err }

// MergeMarks mark the parts of a merged text both members changed.
var MergeMarks = textdiff.ConflictMarks{Mine: "<<<<<<< Ihre Fassung", Theirs: "======= Gespeicherte Fassung", End: ">>>>>>> Ende"}

// SaveRecommendation stores a member's edit as a new revision if base is
// still the current revision. On a stale base it stores nothing and
// returns a *StaleSave (ECONFLICT "council.stale"). Returns ENOTFOUND,
// EFORBIDDEN, ECONFLICT (status), EINVALID.
func (c *Council) SaveRecommendation(ctx context.Context, actor *mitreden.User, id string, base int, in mitreden.Recommendation, note string) (*mitreden.Recommendation, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canEditRecommendation(actor, r).Err(); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if note, err = checkNote(note); err != nil {
		return nil, err
	}
	now := c.now()
	next := *r
	next.Title, next.Summary, next.Body, next.Topics = in.Title, in.Summary, in.Body, in.Topics
	next.Lang = mitreden.ContentLang(in.Lang, r.Lang, next.Title, next.Summary, next.Body)
	next.Revision = base + 1
	next.BodyHTML = renderText(next.Body)
	next.UpdatedAt = now
	rev := revisionOf(&next, actor, note, now)
	rev.RecID = r.ID
	if base != r.Revision {
		return nil, c.stale(ctx, r, base, *rev)
	}
	if err := c.st.SaveRevision(ctx, base, rev); err != nil {
		if mitreden.ErrorMessage(err) == "council.stale" {
			if cur, ferr := c.st.FindRecommendation(ctx, id); ferr == nil {
				return nil, c.stale(ctx, cur, base, *rev)
			}
		}
		return nil, err
	}
	c.log.Info("recommendation saved", "id", r.ID, "revision", next.Revision, "actor", actor.ID)
	return c.st.FindRecommendation(ctx, id)
}

// stale builds the refusal of a save on base while cur is current.
func (c *Council) stale(ctx context.Context, cur *mitreden.Recommendation, base int, mine mitreden.Revision) error {
	se := &StaleSave{Err: &mitreden.Error{Code: mitreden.ECONFLICT, Message: "council.stale",
		Args: map[string]any{"base": base, "current": cur.Revision}}, Mine: mine}
	theirs, err := c.st.FindRevision(ctx, cur.ID, cur.Revision)
	if err != nil {
		return err
	}
	se.Theirs = theirs
	baseBody := ""
	if b, err := c.st.FindRevision(ctx, cur.ID, base); err == nil {
		se.Base, baseBody = b, b.Body
	} else if mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		return err
	}
	norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	se.MergedBody, se.Conflicts = textdiff.Merge(norm(baseBody), norm(mine.Body), norm(theirs.Body), MergeMarks)
	return se
}

// RestoreRevision makes an older revision's text the current one, as a new
// revision. Returns ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (c *Council) RestoreRevision(ctx context.Context, actor *mitreden.User, id string, n int) (*mitreden.Recommendation, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canEditRecommendation(actor, r).Err(); err != nil {
		return nil, err
	}
	old, err := c.st.FindRevision(ctx, id, n)
	if err != nil {
		return nil, err
	}
	now := c.now()
	rev := &mitreden.Revision{RecID: id, N: r.Revision + 1, Title: old.Title, Summary: old.Summary, Body: old.Body, BodyHTML: old.BodyHTML,
		Topics: old.Topics, Lang: old.Lang, AuthorID: actor.ID, AuthorName: actor.DisplayName, RestoredFrom: n, At: now}
	if err := c.st.SaveRevision(ctx, r.Revision, rev); err != nil {
		return nil, err
	}
	return c.st.FindRecommendation(ctx, id)
}

// RevisionDiff is the word-level difference between two revisions.
type RevisionDiff struct {
	From, To                *mitreden.Revision
	Title, Summary, Body    []textdiff.Segment
	Inserted, Deleted       int
	TopicsAdded, TopicsGone []string
}

// Diff compares revisions from and to of a recommendation. Returns
// ENOTFOUND.
func (c *Council) Diff(ctx context.Context, actor *mitreden.User, id string, from, to int) (*RevisionDiff, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	a, err := c.st.FindRevision(ctx, id, from)
	if err != nil {
		return nil, err
	}
	b, err := c.st.FindRevision(ctx, id, to)
	if err != nil {
		return nil, err
	}
	d := &RevisionDiff{From: a, To: b, Title: textdiff.Words(a.Title, b.Title), Summary: textdiff.Words(a.Summary, b.Summary),
		Body: textdiff.Words(a.Body, b.Body)}
	for _, s := range [][]textdiff.Segment{d.Title, d.Summary, d.Body} {
		i, del := textdiff.Stats(s)
		d.Inserted, d.Deleted = d.Inserted+i, d.Deleted+del
	}
	for _, t := range b.Topics {
		if !slices.Contains(a.Topics, t) {
			d.TopicsAdded = append(d.TopicsAdded, t)
		}
	}
	for _, t := range a.Topics {
		if !slices.Contains(b.Topics, t) {
			d.TopicsGone = append(d.TopicsGone, t)
		}
	}
	return d, nil
}

// Revisions lists a recommendation's revisions, newest first. Returns
// ENOTFOUND.
func (c *Council) Revisions(ctx context.Context, actor *mitreden.User, id string) ([]*mitreden.Revision, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	if _, err := c.st.FindRecommendation(ctx, id); err != nil {
		return nil, err
	}
	return c.st.Revisions(ctx, id)
}

// ReadRecommendations lists the workspace's recommendations. Returns
// ENOTFOUND for non-members, EINVALID (status).
func (c *Council) ReadRecommendations(ctx context.Context, actor *mitreden.User, status string, page, perPage int) ([]*mitreden.Recommendation, int, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, 0, err
	}
	if status != "" && !slices.Contains(mitreden.RecStatuses, status) {
		return nil, 0, mitreden.Invalid(mitreden.FieldError{Field: "status", Code: "oneof", Message: "validation.oneof"})
	}
	return c.st.ListRecommendations(ctx, status, page, perPage)
}

// EvidenceItem is a linked contribution with its current text and status,
// as the viewer may see it; Gone is set when it was deleted or hidden.
type EvidenceItem struct {
	*mitreden.Evidence
	Title, Excerpt, Lang, URL string
	Status                    string
	Gone                      bool
}

// CouncilCommentItem is an internal comment with its replies.
type CouncilCommentItem struct {
	*mitreden.CouncilComment
	Replies []*CouncilCommentItem
}

// RecommendationPage is the workspace page of a recommendation.
type RecommendationPage struct {
	*mitreden.Recommendation
	Evidence []*EvidenceItem
	Comments []*CouncilCommentItem
	Versions []*mitreden.PublishedVersion
	// MyVote is the viewer's vote ("" none); the tally is shown once the
	// vote closed (Vote), VotesCast counts while it is open.
	MyVote                                                             string
	VotesCast                                                          int
	Members                                                            int
	ChairID                                                            string
	CanEdit, CanSubmit, CanVote, CanCloseVote, CanPublish, CanWithdraw mitreden.Permission
}

// ReadRecommendation returns a recommendation with everything its
// workspace page shows. Returns ENOTFOUND.
func (c *Council) ReadRecommendation(ctx context.Context, actor *mitreden.User, id string) (*RecommendationPage, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	page := &RecommendationPage{Recommendation: r}
	if page.Evidence, err = c.evidenceItems(ctx, r.ID, false); err != nil {
		return nil, err
	}
	if page.Comments, err = c.councilComments(ctx, r.ID); err != nil {
		return nil, err
	}
	if page.Versions, err = c.st.PublishedVersions(ctx, r.ID); err != nil {
		return nil, err
	}
	votes, err := c.st.CouncilVotes(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range votes {
		if v.UserID == actor.ID {
			page.MyVote = v.Value
		}
	}
	page.VotesCast = len(votes)
	if page.Members, err = c.st.CouncilMembers(ctx); err != nil {
		return nil, err
	}
	if page.ChairID, err = c.st.CouncilChair(ctx); err != nil {
		return nil, err
	}
	page.CanEdit, page.CanSubmit, page.CanVote = canEditRecommendation(actor, r), canSubmit(actor, r), canCouncilVote(actor, r)
	page.CanCloseVote, page.CanPublish, page.CanWithdraw = canCloseVote(actor, page.ChairID, r), canPublish(actor, r), canWithdrawRecommendation(actor, r)
	return page, nil
}

// evidenceItems reads the linked contributions by _id; publicOnly drops
// what is gone (hidden, deleted, missing), for the public page.
func (c *Council) evidenceItems(ctx context.Context, recID string, publicOnly bool) ([]*EvidenceItem, error) {
	links, err := c.st.EvidenceOf(ctx, recID)
	if err != nil {
		return nil, err
	}
	out := make([]*EvidenceItem, 0, len(links))
	for _, e := range links {
		it := &EvidenceItem{Evidence: e}
		switch e.Type {
		case "proposal":
			pr, err := c.part.FindProposal(ctx, e.ItemID)
			if err != nil && mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
				return nil, err
			}
			if pr == nil || pr.Hidden {
				it.Gone = true
			} else {
				it.Title, it.Excerpt, it.Lang, it.Status, it.URL = pr.Title, excerptOf(pr.Body), pr.Lang, pr.Status, "/proposals/"+pr.ID
			}
		case "comment":
			cm, err := c.part.FindComment(ctx, e.ItemID)
			if err != nil && mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
				return nil, err
			}
			if cm == nil || cm.Hidden || cm.Deleted {
				it.Gone = true
			} else {
				it.Excerpt, it.Lang, it.URL = excerptOf(cm.Body), cm.Lang, "/comments/"+cm.ID
				it.Title = cm.AuthorName
			}
		case "consultation":
			cons, err := c.part.FindConsultation(ctx, e.ItemID)
			if err != nil && mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
				return nil, err
			}
			if cons == nil {
				it.Gone = true
			} else {
				it.Title, it.Excerpt, it.Lang, it.URL = cons.Title, cons.Summary, cons.Lang, "/consultations/"+cons.ID
				it.Status = string(cons.Phase(c.now()))
			}
		}
		if publicOnly && it.Gone {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// excerptOf is the start of a text, for evidence lists.
func excerptOf(s string) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= 300 {
		return string(r)
	}
	return string(r[:300]) + " …"
}

func (c *Council) councilComments(ctx context.Context, recID string) ([]*CouncilCommentItem, error) {
	list, err := c.st.CouncilComments(ctx, recID)
	if err != nil {
		return nil, err
	}
	byID := map[string]*CouncilCommentItem{}
	var top []*CouncilCommentItem
	for _, cm := range list {
		it := &CouncilCommentItem{CouncilComment: cm}
		byID[cm.ID] = it
		if p := byID[cm.ParentID]; p != nil {
			p.Replies = append(p.Replies, it)
		} else {
			top = append(top, it)
		}
	}
	return top, nil
}

// AddEvidence links a public contribution to a recommendation, with a
// note. Returns ENOTFOUND (also for an item the public cannot see),
// EFORBIDDEN, EINVALID.
func (c *Council) AddEvidence(ctx context.Context, actor *mitreden.User, id string, e mitreden.Evidence) (*mitreden.Evidence, error) {
	if err := councilMember(actor).Err(); err != nil {
		return nil, err
	}
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status == mitreden.RecWithdrawn {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "council.withdrawn"}
	}
	if err := mitreden.ValidateEvidence(&e); err != nil {
		return nil, err
	}
	items, err := c.itemPublic(ctx, e.Type, e.ItemID)
	if err != nil {
		return nil, err
	}
	if !items {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "id", Code: "exists", Message: "council.evidence_missing"})
	}
	e.RecID, e.AddedBy, e.AddedByName, e.At = r.ID, actor.ID, actor.DisplayName, c.now()
	if err := c.st.PutEvidence(ctx, &e); err != nil {
		return nil, err
	}
	if r.Status == mitreden.RecPublished {
		// Cited at once where the recommendation is public already.
		c.cite(ctx, r, &e)
	}
	return &e, nil
}

// itemPublic tells whether a contribution exists and the public sees it.
func (c *Council) itemPublic(ctx context.Context, itemType, id string) (bool, error) {
	var err error
	ok := false
	switch itemType {
	case "proposal":
		var pr *mitreden.Proposal
		if pr, err = c.part.FindProposal(ctx, id); err == nil {
			ok = !pr.Hidden
		}
	case "comment":
		var cm *mitreden.Comment
		if cm, err = c.part.FindComment(ctx, id); err == nil {
			ok = !cm.Hidden && !cm.Deleted
		}
	case "consultation":
		_, err = c.part.FindConsultation(ctx, id)
		ok = err == nil
	}
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return false, nil
	}
	return ok, err
}

// RemoveEvidence unlinks a contribution. Returns ENOTFOUND, EFORBIDDEN.
func (c *Council) RemoveEvidence(ctx context.Context, actor *mitreden.User, id, itemType, itemID string) error {
	if err := councilMember(actor).Err(); err != nil {
		return err
	}
	if _, err := c.st.FindRecommendation(ctx, id); err != nil {
		return err
	}
	return c.st.DeleteEvidence(ctx, id, itemType, itemID)
}

// AddCouncilComment adds to the internal discussion (replies nest up to
// three levels). Returns ENOTFOUND, EFORBIDDEN, EINVALID.
func (c *Council) AddCouncilComment(ctx context.Context, actor *mitreden.User, id, parentID, body string) (*mitreden.CouncilComment, error) {
	if err := councilMember(actor).Err(); err != nil {
		return nil, err
	}
	if _, err := c.st.FindRecommendation(ctx, id); err != nil {
		return nil, err
	}
	if err := mitreden.ValidateCommentBody(body); err != nil {
		return nil, err
	}
	cm := &mitreden.CouncilComment{RecID: id, AuthorID: actor.ID, AuthorName: actor.DisplayName, Body: strings.TrimSpace(body), CreatedAt: c.now()}
	if parentID != "" {
		parent, err := c.st.FindCouncilComment(ctx, parentID)
		if err != nil || parent.RecID != id {
			return nil, mitreden.Invalid(mitreden.FieldError{Field: "parent_id", Code: "exists", Message: "validation.parent"})
		}
		if parent.Depth >= mitreden.CommentMaxDepth {
			return nil, mitreden.Invalid(mitreden.FieldError{Field: "parent_id", Code: "depth", Message: "validation.reply_depth", Args: map[string]any{"max": mitreden.CommentMaxDepth + 1}})
		}
		cm.ParentID, cm.Depth = parentID, parent.Depth+1
	}
	cm.Lang = mitreden.ContentLang("", actor.Language, cm.Body)
	cm.BodyHTML = renderText(cm.Body)
	if err := c.st.AddCouncilComment(ctx, cm); err != nil {
		return nil, err
	}
	return cm, nil
}

// CouncilComments lists the internal discussion. Returns ENOTFOUND.
func (c *Council) CouncilComments(ctx context.Context, actor *mitreden.User, id string) ([]*CouncilCommentItem, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	if _, err := c.st.FindRecommendation(ctx, id); err != nil {
		return nil, err
	}
	return c.councilComments(ctx, id)
}

// Submit moves a draft to review and opens the vote among members.
func (c *Council) Submit(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Recommendation, error) {
	return c.transition(ctx, actor, id, func(r *mitreden.Recommendation) (string, error) {
		if err := canSubmit(actor, r).Err(); err != nil {
			return "", err
		}
		from := r.Status
		r.Status, r.Vote = mitreden.RecInReview, mitreden.CouncilTally{Open: true, OpenedAt: c.now()}
		return from, nil
	})
}

// transition reads a recommendation, lets change decide and move it, and
// stores the move only if nobody moved it meanwhile.
func (c *Council) transition(ctx context.Context, actor *mitreden.User, id string, change func(r *mitreden.Recommendation) (string, error)) (*mitreden.Recommendation, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	from, err := change(r)
	if err != nil {
		return nil, err
	}
	r.UpdatedAt = c.now()
	if err := c.st.SetRecommendationStatus(ctx, r, from); err != nil {
		return nil, err
	}
	c.log.Info("recommendation moved", "id", r.ID, "from", from, "to", r.Status, "actor", actor.ID)
	return r, nil
}

// Vote stores a member's vote while the vote is open; it may be changed
// until the vote closes. Returns ENOTFOUND, EFORBIDDEN, ECONFLICT, EINVALID.
func (c *Council) Vote(ctx context.Context, actor *mitreden.User, id, value string) error {
	if err := councilReader(actor).Err(); err != nil {
		return err
	}
	if !slices.Contains(mitreden.CouncilVoteValues, value) {
		return mitreden.Invalid(mitreden.FieldError{Field: "value", Code: "oneof", Message: "validation.oneof"})
	}
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return err
	}
	if err := canCouncilVote(actor, r).Err(); err != nil {
		return err
	}
	return c.st.PutCouncilVote(ctx, &mitreden.CouncilVote{RecID: id, UserID: actor.ID, Value: value, At: c.now()})
}

// CloseVote ends the vote (an admin or the chair): adopted when more than
// the quorum's share of all members voted and approvals exceed
// rejections, else back to draft; the counts and date are recorded.
func (c *Council) CloseVote(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Recommendation, error) {
	chair, err := c.st.CouncilChair(ctx)
	if err != nil {
		return nil, err
	}
	members, err := c.st.CouncilMembers(ctx)
	if err != nil {
		return nil, err
	}
	return c.transition(ctx, actor, id, func(r *mitreden.Recommendation) (string, error) {
		if err := canCloseVote(actor, chair, r).Err(); err != nil {
			return "", err
		}
		votes, err := c.st.CouncilVotes(ctx, r.ID)
		if err != nil {
			return "", err
		}
		t := mitreden.CouncilTally{OpenedAt: r.Vote.OpenedAt, ClosedAt: c.now(), Members: members}
		for _, v := range votes {
			switch v.Value {
			case mitreden.CouncilApprove:
				t.Approve++
			case mitreden.CouncilReject:
				t.Reject++
			case mitreden.CouncilAbstain:
				t.Abstain++
			}
		}
		t.Adopted = c.Quorate(t) && t.Approve > t.Reject
		r.Vote = t
		if t.Adopted {
			r.Status = mitreden.RecAdopted
		} else {
			r.Status = mitreden.RecDraft
		}
		return mitreden.RecInReview, nil
	})
}

// Quorate tells whether enough members voted for t to count.
func (c *Council) Quorate(t mitreden.CouncilTally) bool {
	return t.Members > 0 && t.Voted()*100 > t.Members*c.cfg.QuorumPercent
}

// Withdraw ends a recommendation before it was published.
func (c *Council) Withdraw(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Recommendation, error) {
	return c.transition(ctx, actor, id, func(r *mitreden.Recommendation) (string, error) {
		if err := canWithdrawRecommendation(actor, r).Err(); err != nil {
			return "", err
		}
		from := r.Status
		r.Status, r.Vote.Open = mitreden.RecWithdrawn, false
		return from, nil
	})
}

// Publish publishes an adopted recommendation (version 1), or a corrected
// published one as a new version with its changelog note; the published
// text is frozen in its version. The cited contributions show the
// citation, and the recommendation becomes findable. Returns ENOTFOUND,
// EFORBIDDEN, ECONFLICT, EINVALID (a correction needs a note).
func (c *Council) Publish(ctx context.Context, actor *mitreden.User, id, note string) (*mitreden.Recommendation, error) {
	note = strings.TrimSpace(note)
	var version *mitreden.PublishedVersion
	r, err := c.transition(ctx, actor, id, func(r *mitreden.Recommendation) (string, error) {
		if err := canPublish(actor, r).Err(); err != nil {
			return "", err
		}
		if r.Status == mitreden.RecPublished && note == "" {
			return "", mitreden.Invalid(mitreden.FieldError{Field: "note", Code: "required", Message: "council.changelog_required"})
		}
		if _, err := checkNote(note); err != nil {
			return "", err
		}
		now := c.now()
		from := r.Status
		version = &mitreden.PublishedVersion{RecID: r.ID, Version: r.Published + 1, Revision: r.Revision, Title: r.Title, Summary: r.Summary,
			Body: r.Body, BodyHTML: r.BodyHTML, Topics: r.Topics, Lang: r.Lang, Note: note, At: now}
		if err := c.st.PutPublishedVersion(ctx, version); err != nil {
			return "", err
		}
		r.Status, r.Published, r.PublishedAt, r.PublishedRevision = mitreden.RecPublished, version.Version, now, r.Revision
		return from, nil
	})
	if err != nil {
		return nil, err
	}
	links, err := c.st.EvidenceOf(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range links {
		c.cite(ctx, r, e)
	}
	c.index(ctx, r)
	c.published(ctx, actor, r, links)
	return r, nil
}

// cite records on a contribution that the published r cites it.
func (c *Council) cite(ctx context.Context, r *mitreden.Recommendation, e *mitreden.Evidence) {
	if err := c.st.AddCitation(ctx, e.Type, e.ItemID, mitreden.Citation{RecID: r.ID, Title: r.Title, Lang: r.Lang}); err != nil {
		c.log.Warn("citation not recorded", "recommendation", r.ID, "item", e.ItemID, "err", err)
	}
}

// index makes a published recommendation findable by everyone.
func (c *Council) index(ctx context.Context, r *mitreden.Recommendation) {
	if c.search == nil || r.Status != mitreden.RecPublished {
		return
	}
	if err := c.search.Index(ctx, RecommendationDoc(r)); err != nil {
		c.log.Warn("search index of a recommendation failed", "id", r.ID, "err", err)
	}
}

// RecommendationDoc is the search document of a published recommendation.
func RecommendationDoc(r *mitreden.Recommendation) mitreden.SearchDoc {
	return mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeRecommendation, r.ID), Type: mitreden.SearchTypeRecommendation,
		ItemID: r.ID, Title: r.Title, Body: textOf(r.Summary+"\n\n"+r.Body, "", 0), Keywords: r.Topics, Topics: r.Topics, Lang: r.Lang,
		Visibility: mitreden.VisibilityPublic, URL: "/recommendations/" + r.ID, CreatedAt: r.PublishedAt, Status: r.Status}
}

// PublishedRecommendation is a published recommendation as the public sees
// it: its newest version, the changelog of earlier ones, the decision and
// the evidence the public can see.
type PublishedRecommendation struct {
	*mitreden.Recommendation
	Version  *mitreden.PublishedVersion
	Versions []*mitreden.PublishedVersion
	Evidence []*EvidenceItem
}

// ReadPublished lists published recommendations for everyone, each as its
// newest published version (a correction drafted in the workspace shows
// only once it is published).
func (c *Council) ReadPublished(ctx context.Context, f mitreden.RecommendationFilter) ([]*mitreden.Recommendation, int, error) {
	list, total, err := c.st.ListPublished(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*mitreden.Recommendation, 0, len(list))
	for _, r := range list {
		pub, _, err := c.public(ctx, r)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, pub)
	}
	return out, total, nil
}

// public is r as the public knows it: the text of its newest published
// version, which it returns too.
func (c *Council) public(ctx context.Context, r *mitreden.Recommendation) (*mitreden.Recommendation, *mitreden.PublishedVersion, error) {
	versions, err := c.st.PublishedVersions(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(versions) == 0 {
		return nil, nil, notFound()
	}
	v := versions[0]
	pub := *r
	pub.Title, pub.Summary, pub.Body, pub.BodyHTML, pub.Topics, pub.Lang = v.Title, v.Summary, v.Body, v.BodyHTML, v.Topics, v.Lang
	pub.Revision = v.Revision
	return &pub, v, nil
}

// Workspace tells whether actor may enter the council's workspace: nil for
// members and admins, ENOTFOUND for everyone else. It reads nothing.
func (c *Council) Workspace(actor *mitreden.User) error { return councilReader(actor).Err() }

// QuorumPercent is the share of all members that must be exceeded by the
// members who vote.
func (c *Council) QuorumPercent() int { return c.cfg.QuorumPercent }

// Titles names recommendations by id, for the workspace (a meeting's
// agenda); unknown ids are left out.
func (c *Council) Titles(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		r, err := c.st.FindRecommendation(ctx, id)
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		out[id] = r.Title
	}
	return out, nil
}

// ReadPublishedRecommendation returns a published recommendation; drafts
// and everything not published answer ENOTFOUND to everyone.
func (c *Council) ReadPublishedRecommendation(ctx context.Context, id string) (*PublishedRecommendation, error) {
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != mitreden.RecPublished {
		return nil, notFound()
	}
	versions, err := c.st.PublishedVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	// The public reads the frozen version, never the workspace's newer
	// revisions.
	pub, v, err := c.public(ctx, r)
	if err != nil {
		return nil, err
	}
	ev, err := c.evidenceItems(ctx, id, true)
	if err != nil {
		return nil, err
	}
	return &PublishedRecommendation{Recommendation: pub, Version: v, Versions: versions, Evidence: ev}, nil
}

// CouncilChair returns the chair's id for a member or admin. Returns
// ENOTFOUND for others.
func (c *Council) CouncilChair(ctx context.Context, actor *mitreden.User) (string, error) {
	if err := councilReader(actor).Err(); err != nil {
		return "", err
	}
	return c.st.CouncilChair(ctx)
}

// SetChair marks a member as the council's chair (admins only; "" clears).
// Returns EFORBIDDEN, ENOTFOUND, EINVALID (not a member).
func (c *Council) SetChair(ctx context.Context, users mitreden.UserStore, actor *mitreden.User, userID string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if userID != "" {
		u, err := users.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		if !u.HasRole(mitreden.RoleCouncil) {
			return mitreden.Invalid(mitreden.FieldError{Field: "user_id", Code: "member", Message: "council.chair_member"})
		}
	}
	return c.st.SetCouncilChair(ctx, userID)
}

// AsStale returns the stale-save refusal in err, if any.
func AsStale(err error) *StaleSave {
	var se *StaleSave
	if errors.As(err, &se) {
		return se
	}
	return nil
}

// AllSearchDocs streams the search documents of every published
// recommendation (reindex); drafts are never indexed.
func (c *Council) AllSearchDocs(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
	for page := 1; ; page++ {
		list, total, err := c.st.ListPublished(ctx, mitreden.RecommendationFilter{Page: page, PerPage: 100})
		if err != nil {
			return err
		}
		for _, r := range list {
			pub, _, err := c.public(ctx, r)
			if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if err := yield(RecommendationDoc(pub)); err != nil {
				return err
			}
		}
		if len(list) == 0 || page*100 >= total {
			return nil
		}
	}
}

// CountSearchDocs counts what AllSearchDocs yields.
func (c *Council) CountSearchDocs(ctx context.Context) (int, error) {
	_, total, err := c.st.ListPublished(ctx, mitreden.RecommendationFilter{Page: 1, PerPage: 1})
	return total, err
}

// CommentTarget is the context citizens comment on a published
// recommendation in (see Participation.RegisterCommentTarget): open from
// its publication on, comments on, no pre-moderation; ENOTFOUND for
// anything not published.
func (c *Council) CommentTarget(ctx context.Context, id string) (*mitreden.Consultation, error) {
	r, err := c.st.FindRecommendation(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != mitreden.RecPublished {
		return nil, notFound()
	}
	// The public knows the published version's title, not the workspace's
	// correction in progress.
	if r, _, err = c.public(ctx, r); err != nil {
		return nil, err
	}
	return &mitreden.Consultation{Title: r.Title, Lang: r.Lang, Topics: r.Topics, OpensAt: r.PublishedAt,
		ClosesAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), VotingMode: mitreden.VotingSupport, CommentsEnabled: true}, nil
}
