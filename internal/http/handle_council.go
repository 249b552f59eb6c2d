package http

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/internal/textdiff"
)

// The Digital Council's workspace (/council): recommendations drafted
// together, their history and diffs, the evidence found with the search,
// the internal discussion, the vote and publishing. Every page and form
// works without JavaScript. The service decides who may see and do what:
// to anyone who is neither a member nor an admin every workspace route
// answers 404, so drafts cannot be discovered. The only exception is the
// long forms sent by a browser whose session has ended: their text comes
// back on the draft page (councilKeepDraft), which shows nothing but what
// was sent.

func (s *Server) councilRoutes() {
	s.add("GET", "/council", s.handleCouncil)
	s.add("GET", "/council/recommendations/new", s.handleRecNew)
	s.add("POST", "/council/recommendations", s.councilKeepDraft, s.handleRecCreate)
	s.add("GET", "/council/recommendations/:id", s.handleRec)
	s.add("POST", "/council/recommendations/:id", s.councilKeepDraft, s.handleRecSave)
	s.add("GET", "/council/recommendations/:id/edit", s.handleRecEdit)
	s.add("GET", "/council/recommendations/:id/history", s.handleRecHistory)
	s.add("POST", "/council/recommendations/:id/restore", s.handleRecRestore)
	s.add("POST", "/council/recommendations/:id/submit", s.handleRecMove(recSubmit))
	s.add("POST", "/council/recommendations/:id/vote", s.handleRecVote)
	s.add("POST", "/council/recommendations/:id/close-vote", s.handleRecMove(recCloseVote))
	s.add("POST", "/council/recommendations/:id/publish", s.councilKeepDraft, s.handleRecPublish)
	s.add("POST", "/council/recommendations/:id/withdraw", s.handleRecMove(recWithdraw))
	s.add("POST", "/council/recommendations/:id/evidence", s.councilKeepDraft, s.handleEvidenceAdd)
	s.add("POST", "/council/recommendations/:id/evidence/remove", s.handleEvidenceRemove)
	s.add("POST", "/council/recommendations/:id/comments", s.councilKeepDraft, s.handleCouncilComment)
	s.add("POST", "/admin/users/:id/chair", s.requireRole(mitreden.RoleAdmin), s.handleAdminChair)

	s.add("GET", "/recommendations", s.handlePublishedList)
	s.add("GET", "/recommendations/:id", s.handlePublished)
	s.add("POST", "/recommendations/:id/comments", s.requireUserKeepDraft, s.handleCommentCreate(mitreden.TargetRecommendation))
	s.add("GET", "/api/v1/recommendations/:id/comments", s.apiComments(mitreden.TargetRecommendation))
	s.add("POST", "/api/v1/recommendations/:id/comments", s.apiRequireUser, s.apiCommentCreate(mitreden.TargetRecommendation))

	s.councilAPIRoutes()
}

// recDraftKind is draftKind for the recommendation forms whose text an
// ended session or a stale token must not lose (parts of the path split at
// "/"): "council-rec" (a new one), "council-rec-edit", "council-comment",
// "council-publish", "council-evidence", or "".
func recDraftKind(parts []string) string {
	if len(parts) < 3 || parts[2] != "recommendations" {
		return ""
	}
	switch {
	case len(parts) == 3:
		return "council-rec"
	case len(parts) == 4 && parts[3] != "":
		return "council-rec-edit"
	case len(parts) == 5 && parts[3] != "":
		switch parts[4] {
		case "comments", "publish", "evidence":
			return "council-" + parts[4]
		}
	}
	return ""
}

// isRecDraft tells whether a kept draft's kind is a recommendation form.
func isRecDraft(kind string) bool { return strings.HasPrefix(kind, "council-") }

// recURL is the workspace page of recommendation id.
func recURL(id string) string { return "/council/recommendations/" + url.PathEscape(id) }

// recBadge picks the KERN badge variant of a recommendation's status.
func recBadge(status string) string {
	switch status {
	case mitreden.RecAdopted, mitreden.RecPublished:
		return "success"
	case mitreden.RecInReview:
		return "warning"
	case mitreden.RecWithdrawn:
		return "danger"
	}
	return "info"
}

// recPerPage is the length of the workspace's list.
const recPerPage = 20

func (s *Server) handleCouncil(c *fiber.Ctx) error {
	var q recListQuery
	err := s.parseQuery(c, &q)
	p := s.page(c, "council.title")
	var list []*mitreden.Recommendation
	var total int
	status := fiber.StatusOK
	if err == nil {
		list, total, err = s.deps.Council.ReadRecommendations(c.UserContext(), p.User, q.Status, q.Page, recPerPage)
	}
	if formFailed(err) {
		// A status typed by hand: the list of all, with the error.
		status = fiber.StatusUnprocessableEntity
		s.fillForm(p, nil, err, map[string]string{"status": "status-filter"})
		list, total, err = s.deps.Council.ReadRecommendations(c.UserContext(), p.User, "", 1, recPerPage)
		q = recListQuery{}
	}
	if err != nil {
		return err
	}
	page, _ := mitreden.NormalizePage(q.Page, recPerPage)
	p.Values["status"] = q.Status
	p.Data = fiber.Map{"Items": list, "Total": total, "Statuses": mitreden.RecStatuses, "Status": q.Status}
	p.Pager = newPager(c, page, recPerPage, total)
	return s.render(c, status, "council/list", p)
}

// councilAccess answers 404 to anyone who may not work in the workspace,
// for the pages that show no recommendation (the form of a new one): the
// service decides, reading nothing.
func (s *Server) councilAccess(c *fiber.Ctx) error {
	return s.deps.Council.Workspace(userOf(c))
}

func (s *Server) handleRecNew(c *fiber.Ctx) error {
	if err := s.councilAccess(c); err != nil {
		return err
	}
	return s.renderRecForm(c, fiber.StatusOK, "", nil, nil)
}

// recFormIDs maps fields to the inputs of the recommendation form.
var recFormIDs = map[string]string{"base_revision": "body"}

// renderRecForm shows the form of a new recommendation (id "") or of
// recommendation id's next revision, with values and the errors of err.
func (s *Server) renderRecForm(c *fiber.Ctx, status int, id string, values map[string]string, err error) error {
	title, action, submit, back := "council.new_title", "/council/recommendations", "council.create", "/council"
	if id != "" {
		title, action, submit, back = "council.edit_title", recURL(id), "council.save", recURL(id)
	}
	p := s.page(c, title)
	s.fillForm(p, values, err, recFormIDs)
	p.Data = fiber.Map{"Action": action, "Submit": p.Tr(submit), "Back": back, "Edit": id != ""}
	return s.render(c, status, "council/form", p)
}

func (s *Server) handleRecCreate(c *fiber.Ctx) error {
	var req recRequest
	normalizeNewlines(c, "body")
	err := s.parseForm(c, &req)
	var r *mitreden.Recommendation
	if err == nil {
		var in mitreden.Recommendation
		req.apply(&in)
		r, err = s.deps.Council.CreateRecommendation(c.UserContext(), userOf(c), in, req.Note)
	}
	if formFailed(err) {
		return s.renderRecForm(c, fiber.StatusUnprocessableEntity, "", req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "council.created")
	return c.Redirect(recURL(r.ID), fiber.StatusSeeOther)
}

func (s *Server) handleRecEdit(c *fiber.Ctx) error {
	pg, err := s.deps.Council.ReadRecommendation(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	if err := pg.CanEdit.Err(); err != nil {
		return err
	}
	return s.renderRecForm(c, fiber.StatusOK, pg.ID, recFormValues(pg.Recommendation), nil)
}

// handleRecSave stores the edit form as the next revision. On a stale base
// the answer is the merge page (409): nothing typed is lost.
func (s *Server) handleRecSave(c *fiber.Ctx) error {
	id := c.Params("id")
	var req recRequest
	normalizeNewlines(c, "body")
	err := s.parseForm(c, &req)
	var r *mitreden.Recommendation
	if err == nil && req.BaseRevision == 0 {
		err = mitreden.Invalid(mitreden.FieldError{Field: "base_revision", Code: "required", Message: "validation.required"})
	}
	if err == nil {
		var in mitreden.Recommendation
		req.apply(&in)
		r, err = s.deps.Council.SaveRecommendation(c.UserContext(), userOf(c), id, req.BaseRevision, in, req.Note)
	}
	if se := service.AsStale(err); se != nil {
		return s.renderMerge(c, id, &req, se)
	}
	if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		// Invalid, or no longer editable (submitted meanwhile): the text
		// comes back in the form with the reason.
		return s.renderRecForm(c, formStatus(err), id, req.values(), fieldlessConflict(err))
	} else if err != nil {
		return err
	}
	s.flash(c, "council.saved")
	return c.Redirect(recURL(r.ID), fiber.StatusSeeOther)
}

// mergeView is the page of a save on a stale base: what the member sent,
// the revision saved meanwhile, and the word diff from that to the
// member's text. The form holds the merge, to save on the new base.
type mergeView struct {
	Mine   mitreden.Revision
	Theirs *mitreden.Revision
	// Base is the revision the member started from.
	Base      int
	Conflicts bool
	// TitleClash and SummaryClash are set where both changed the field
	// differently: the form keeps the member's, the page shows theirs.
	TitleClash, SummaryClash bool
	Diff                     template.HTML
	Inserted, Deleted        int
	Marks                    textdiff.ConflictMarks
	Action, Back             string
}

// conflictMarks are the marks of a merge in the page's language.
func conflictMarks(p *Page) textdiff.ConflictMarks {
	return textdiff.ConflictMarks{Mine: p.Tr("council.mark_mine"), Theirs: p.Tr("council.mark_theirs"), End: p.Tr("council.mark_end")}
}

// staleMerge merges the member's body with the one saved meanwhile, marked
// in the reader's language, and the title and summary: a field only one
// side changed takes that change; where both changed it differently the
// member's text wins and clash is set.
type staleMerge struct {
	Title, Summary, Body     string
	Topics                   []string
	Conflicts                bool
	TitleClash, SummaryClash bool
}

func mergeStale(se *service.StaleSave, marks textdiff.ConflictMarks) staleMerge {
	var base mitreden.Revision
	if se.Base != nil {
		base = *se.Base
	}
	norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	m := staleMerge{Topics: se.Mine.Topics}
	m.Body, m.Conflicts = textdiff.Merge(norm(base.Body), norm(se.Mine.Body), norm(se.Theirs.Body), marks)
	field := func(base, mine, theirs string) (string, bool) {
		switch {
		case mine == base:
			return theirs, false
		case theirs == base || theirs == mine:
			return mine, false
		}
		return mine, true
	}
	m.Title, m.TitleClash = field(base.Title, se.Mine.Title, se.Theirs.Title)
	m.Summary, m.SummaryClash = field(base.Summary, se.Mine.Summary, se.Theirs.Summary)
	if joinTopics(se.Mine.Topics) == joinTopics(base.Topics) {
		m.Topics = se.Theirs.Topics
	}
	return m
}

// renderMerge answers a save on a stale base: 409 with the merge in the
// form (on the new base), the member's text as sent, the text saved
// meanwhile and the word diff between the two.
func (s *Server) renderMerge(c *fiber.Ctx, id string, req *recRequest, se *service.StaleSave) error {
	p := s.page(c, "council.merge_title")
	m := mergeStale(se, conflictMarks(p))
	s.fillForm(p, map[string]string{"title": m.Title, "summary": m.Summary, "body": m.Body, "topics": joinTopics(m.Topics),
		"note": req.Note, "base_revision": strconv.Itoa(se.Theirs.N), "lang": se.Mine.Lang}, nil, nil)
	segs := textdiff.Words(se.Theirs.Body, se.Mine.Body)
	ins, del := textdiff.Stats(segs)
	v := &mergeView{Mine: se.Mine, Theirs: se.Theirs, Base: req.BaseRevision, Conflicts: m.Conflicts,
		TitleClash: m.TitleClash, SummaryClash: m.SummaryClash, Inserted: ins, Deleted: del, Marks: conflictMarks(p),
		Diff:   textdiff.HTML(segs, p.Tr("diff.inserted"), p.Tr("diff.deleted"), p.Tr("diff.end")),
		Action: recURL(id), Back: recURL(id)}
	p.Data = fiber.Map{"M": v}
	return s.render(c, fiber.StatusConflict, "council/merge", p)
}

// recView is a recommendation as its workspace page shows it.
type recView struct {
	*service.RecommendationPage
	BodyHTML                              template.HTML
	CanEdit, CanSubmit, CanVote           permView
	CanCloseVote, CanPublish, CanWithdraw permView
	// Correction is set when publishing makes a new version of a published
	// recommendation, which needs a changelog note.
	Correction bool
	// QuorumVotes is how many members must vote for a vote to count, and
	// Quorate whether enough did in the closed vote.
	QuorumVotes int
	Quorate     bool
	Comments    []*councilCommentView
}

// councilCommentView is a comment of the internal discussion.
type councilCommentView struct {
	*mitreden.CouncilComment
	BodyHTML template.HTML
	Replies  []*councilCommentView
	CanReply bool
}

func councilCommentViews(items []*service.CouncilCommentItem) []*councilCommentView {
	out := make([]*councilCommentView, 0, len(items))
	for _, it := range items {
		out = append(out, &councilCommentView{CouncilComment: it.CouncilComment, BodyHTML: template.HTML(it.BodyHTML), //nolint:gosec // sanitized when written
			Replies: councilCommentViews(it.Replies), CanReply: it.Depth < mitreden.CommentMaxDepth})
	}
	return out
}

// quorumVotes is the least number of votes among members that counts.
func (s *Server) quorumVotes(members int) int {
	for k := 1; k <= members; k++ {
		if s.deps.Council.Quorate(mitreden.CouncilTally{Members: members, Approve: k}) {
			return k
		}
	}
	return members
}

func (s *Server) recView(p *Page, pg *service.RecommendationPage) *recView {
	return &recView{RecommendationPage: pg, BodyHTML: template.HTML(pg.Recommendation.BodyHTML), //nolint:gosec // sanitized when saved
		CanEdit: s.perm(p, pg.CanEdit), CanSubmit: s.perm(p, pg.CanSubmit), CanVote: s.perm(p, pg.CanVote),
		CanCloseVote: s.perm(p, pg.CanCloseVote), CanPublish: s.perm(p, pg.CanPublish), CanWithdraw: s.perm(p, pg.CanWithdraw),
		Correction: pg.Status == mitreden.RecPublished, QuorumVotes: s.quorumVotes(pg.Members), Quorate: s.deps.Council.Quorate(pg.Vote), Comments: councilCommentViews(pg.Comments)}
}

// pickerTypes are what the evidence picker searches: what can be cited.
var pickerTypes = []string{mitreden.SearchTypeProposal, mitreden.SearchTypeComment, mitreden.SearchTypeConsultation}

// pickerPerPage is how many hits the evidence picker lists.
const pickerPerPage = 10

// pickerHit is a search hit the picker offers to link.
type pickerHit struct {
	searchHitView
	// Key names the hit's inputs ("proposal-ID"); Linked is set when it is
	// linked already (adding it again changes the note).
	Key    string
	Linked bool
}

// evidencePicker runs the picker's search: the public's search, as the
// public sees it, since only what the public sees can be cited.
func (s *Server) evidencePicker(c *fiber.Ctx, p *Page, q string, linked map[string]bool) fiber.Map {
	out := fiber.Map{"Q": q}
	if strings.TrimSpace(q) == "" {
		return out
	}
	res, err := s.deps.Searching.Search(c.UserContext(), nil, mitreden.SearchQuery{Text: q, Types: pickerTypes, PerPage: pickerPerPage, Page: 1})
	if err != nil {
		key := "search.unavailable"
		if mitreden.ErrorCode(err) == mitreden.EINVALID {
			key = "council.search_invalid"
		}
		out["Error"] = p.Tr(key)
		return out
	}
	hits := make([]pickerHit, 0, len(res.Items))
	for _, h := range s.hitViews(p, res) {
		key := h.Type + "-" + h.ItemID
		hits = append(hits, pickerHit{searchHitView: h, Key: key, Linked: linked[h.Type+":"+h.ItemID]})
	}
	out["Hits"], out["Total"], out["Searched"] = hits, res.Total, true
	return out
}

// handleRec is the workspace page of a recommendation; q runs the
// evidence picker's search.
func (s *Server) handleRec(c *fiber.Ctx) error {
	return s.renderRec(c, fiber.StatusOK, c.Query("q"), nil, nil, nil)
}

// renderRec renders the workspace page, with the values and errors of a
// form on it that failed (ids maps their fields to its inputs).
func (s *Server) renderRec(c *fiber.Ctx, status int, q string, values map[string]string, err error, ids map[string]string) error {
	p := s.page(c, "")
	pg, rerr := s.deps.Council.ReadRecommendation(c.UserContext(), p.User, c.Params("id"))
	if rerr != nil {
		return rerr
	}
	if r := []rune(q); len(r) > 200 {
		q = string(r[:200]) // the picker's field takes 200
	}
	p.Title, p.TitleLang, p.Path = pg.Title, pg.Lang, recURL(pg.ID)
	s.fillForm(p, values, err, ids)
	linked := map[string]bool{}
	for _, e := range pg.Evidence {
		linked[e.Type+":"+e.ItemID] = true
	}
	p.Data = fiber.Map{"R": s.recView(p, pg), "Picker": s.evidencePicker(c, p, q, linked), "VoteValues": mitreden.CouncilVoteValues}
	return s.render(c, status, "council/show", p)
}

// recMove is an action of the decision box that only moves the status.
type recMove int

const (
	recSubmit recMove = iota
	recCloseVote
	recWithdraw
)

func (s *Server) move(c *fiber.Ctx, m recMove) (*mitreden.Recommendation, string, error) {
	ctx, actor, id := c.UserContext(), userOf(c), c.Params("id")
	switch m {
	case recSubmit:
		r, err := s.deps.Council.Submit(ctx, actor, id)
		return r, "council.submitted", err
	case recCloseVote:
		r, err := s.deps.Council.CloseVote(ctx, actor, id)
		if err == nil && r.Status == mitreden.RecAdopted {
			return r, "council.vote_closed_adopted", nil
		}
		return r, "council.vote_closed_not_adopted", err
	}
	r, err := s.deps.Council.Withdraw(ctx, actor, id)
	return r, "council.withdrawn_done", err
}

// handleRecMove submits, closes the vote or withdraws; a refusal (the
// status changed meanwhile) comes back on the page in the summary.
func (s *Server) handleRecMove(m recMove) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, key, err := s.move(c, m)
		if refusedOnPage(err) {
			return s.renderRec(c, refusalStatus(err), "", nil, err, nil)
		} else if err != nil {
			return err
		}
		s.confirmAt(c, key, "decision")
		return c.Redirect(recURL(c.Params("id"))+"#confirmation", fiber.StatusSeeOther)
	}
}

// refusedOnPage tells whether err is a refusal the page shows in its
// summary (the state or the person's rights), rather than an error page.
func refusedOnPage(err error) bool {
	switch mitreden.ErrorCode(err) {
	case mitreden.ECONFLICT, mitreden.EFORBIDDEN, mitreden.EINVALID, ebadRequest:
		return true
	}
	return false
}

// refusalStatus is the status of a page shown again with a refusal: 403
// (blocked, or not one's to do) and 409 (the state) as such, 422 for the
// input.
func refusalStatus(err error) int {
	switch code := mitreden.ErrorCode(err); code {
	case mitreden.EFORBIDDEN, mitreden.ECONFLICT:
		return statusOf[code]
	}
	return fiber.StatusUnprocessableEntity
}

func (s *Server) handleRecVote(c *fiber.Ctx) error {
	var req councilVoteRequest
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Council.Vote(c.UserContext(), userOf(c), c.Params("id"), req.Value)
	}
	if refusedOnPage(err) {
		return s.renderRec(c, refusalStatus(err), "", nil, err, map[string]string{"value": "vote-" + mitreden.CouncilApprove})
	} else if err != nil {
		return err
	}
	s.confirmAt(c, "council.voted", "decision")
	return c.Redirect(recURL(c.Params("id"))+"#confirmation", fiber.StatusSeeOther)
}

func (s *Server) handleRecPublish(c *fiber.Ctx) error {
	var req publishRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Council.Publish(c.UserContext(), userOf(c), c.Params("id"), req.Note)
	}
	if refusedOnPage(err) {
		return s.renderRec(c, refusalStatus(err), "", map[string]string{"note": req.Note}, err, map[string]string{"note": "publish-note"})
	} else if err != nil {
		return err
	}
	s.confirmAt(c, "council.published", "decision")
	return c.Redirect(recURL(c.Params("id"))+"#confirmation", fiber.StatusSeeOther)
}

// evidenceNoteID is the id of the note field of the picker's hit.
func evidenceNoteID(itemType, id string) string { return "note-" + itemType + "-" + id }

func (s *Server) handleEvidenceAdd(c *fiber.Ctx) error {
	var req evidenceRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Council.AddEvidence(c.UserContext(), userOf(c), c.Params("id"), mitreden.Evidence{Type: req.Type, ItemID: req.ID, Note: req.Note})
	}
	if refusedOnPage(err) {
		// The note comes back in the hit's form, found by the same search.
		field := evidenceNoteID(req.Type, req.ID)
		return s.renderRec(c, refusalStatus(err), req.Q, map[string]string{field: req.Note}, err,
			map[string]string{"note": field, "id": field, "type": field})
	} else if err != nil {
		return err
	}
	s.confirmAt(c, "council.evidence_added", "evidence")
	to := recURL(c.Params("id"))
	if req.Q != "" {
		to += "?q=" + url.QueryEscape(req.Q)
	}
	return c.Redirect(to+"#confirmation", fiber.StatusSeeOther)
}

func (s *Server) handleEvidenceRemove(c *fiber.Ctx) error {
	var req evidenceRemoveRequest
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Council.RemoveEvidence(c.UserContext(), userOf(c), c.Params("id"), req.Type, req.ID)
	}
	if refusedOnPage(err) {
		return s.renderRec(c, refusalStatus(err), "", nil, err, nil)
	} else if err != nil {
		return err
	}
	s.confirmAt(c, "council.evidence_removed", "evidence")
	return c.Redirect(recURL(c.Params("id"))+"#confirmation", fiber.StatusSeeOther)
}

// councilCommentField is the id of the textarea a comment was written in:
// the discussion's form or the reply form of its parent.
func councilCommentField(parentID string) string {
	if parentID == "" {
		return "ccomment-body"
	}
	return "reply-" + parentID
}

func (s *Server) handleCouncilComment(c *fiber.Ctx) error {
	var req councilCommentRequest
	normalizeNewlines(c, "body")
	err := s.parseForm(c, &req)
	var cm *mitreden.CouncilComment
	if err == nil {
		cm, err = s.deps.Council.AddCouncilComment(c.UserContext(), userOf(c), c.Params("id"), req.ParentID, req.Body)
	}
	if refusedOnPage(err) {
		field := councilCommentField(req.ParentID)
		return s.renderRec(c, refusalStatus(err), "", map[string]string{field: req.Body}, commentBodyErrors(err, req.Body, langOf(c)),
			map[string]string{"body": field, "parent_id": field})
	} else if err != nil {
		return err
	}
	s.confirmAt(c, "council.commented", "ccomment-"+cm.ID)
	return c.Redirect(recURL(c.Params("id"))+"#confirmation", fiber.StatusSeeOther)
}

// historyView is the history page: the revisions and the diff between the
// two chosen (none while there is only one).
type historyView struct {
	R         *mitreden.Recommendation
	Revisions []*mitreden.Revision
	CanEdit   permView
	From, To  int
	Diff      *service.RevisionDiff
	Title     template.HTML
	Summary   template.HTML
	Body      template.HTML
	// TitleChanged, SummaryChanged and BodyChanged tell which parts the
	// diff changes.
	TitleChanged, SummaryChanged, BodyChanged bool
}

// changed tells whether a diff inserts or deletes anything.
func changed(segs []textdiff.Segment) bool {
	for _, s := range segs {
		if s.Op != textdiff.Equal {
			return true
		}
	}
	return false
}

func (s *Server) handleRecHistory(c *fiber.Ctx) error {
	return s.renderHistory(c, fiber.StatusOK, nil)
}

// renderHistory shows the revisions of a recommendation and the diff of
// two of them (?from=&to=; by default the last change).
func (s *Server) renderHistory(c *fiber.Ctx, status int, err error) error {
	ctx, actor, id := c.UserContext(), userOf(c), c.Params("id")
	p := s.page(c, "council.history_title")
	pg, rerr := s.deps.Council.ReadRecommendation(ctx, actor, id)
	if rerr != nil {
		return rerr
	}
	revs, rerr := s.deps.Council.Revisions(ctx, actor, id)
	if rerr != nil {
		return rerr
	}
	var q diffQuery
	if qerr := s.parseQuery(c, &q); qerr != nil {
		q = diffQuery{}
	}
	v := &historyView{R: pg.Recommendation, Revisions: revs, CanEdit: s.perm(p, pg.CanEdit), From: q.From, To: q.To}
	if v.To == 0 {
		v.To = pg.Revision
	}
	if v.From == 0 {
		v.From = max(v.To-1, 1)
	}
	if v.From != v.To {
		d, derr := s.deps.Council.Diff(ctx, actor, id, v.From, v.To)
		switch {
		case derr == nil:
			ins, del, end := p.Tr("diff.inserted"), p.Tr("diff.deleted"), p.Tr("diff.end")
			v.Diff = d
			v.Title, v.Summary, v.Body = textdiff.HTML(d.Title, ins, del, end), textdiff.HTML(d.Summary, ins, del, end), textdiff.HTML(d.Body, ins, del, end)
			v.TitleChanged, v.SummaryChanged, v.BodyChanged = changed(d.Title), changed(d.Summary), changed(d.Body)
		case mitreden.ErrorCode(derr) == mitreden.ENOTFOUND:
			// A revision number typed by hand that does not exist.
			if err == nil {
				err = mitreden.Invalid(mitreden.FieldError{Field: "from", Code: "exists", Message: "council.no_revision"})
				status = fiber.StatusUnprocessableEntity
			}
		default:
			return derr
		}
	}
	p.Title = p.Tr("council.history_of", "title", pg.Title)
	s.fillForm(p, nil, err, map[string]string{"from": "from-" + strconv.Itoa(pg.Revision), "to": "to-" + strconv.Itoa(pg.Revision),
		"revision": "history"})
	p.Data = fiber.Map{"H": v}
	return s.render(c, status, "council/history", p)
}

func (s *Server) handleRecRestore(c *fiber.Ctx) error {
	var req restoreRequest
	err := s.parseForm(c, &req)
	var r *mitreden.Recommendation
	if err == nil {
		r, err = s.deps.Council.RestoreRevision(c.UserContext(), userOf(c), c.Params("id"), req.Revision)
	}
	if refusedOnPage(err) {
		return s.renderHistory(c, refusalStatus(err), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "council.restored")
	return c.Redirect(recURL(r.ID)+"/history", fiber.StatusSeeOther)
}

// chairForm marks a member as chair (action "set") or clears the chair.
type chairForm struct {
	Action string `form:"action" validate:"required,oneof=set clear"`
}

func (s *Server) handleAdminChair(c *fiber.Ctx) error {
	var req chairForm
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	id := c.Params("id")
	if req.Action == "clear" {
		id = ""
	}
	if err := s.deps.Council.SetChair(c.UserContext(), s.deps.Users, userOf(c), id); err != nil {
		if !formFailed(err) {
			return err
		}
		p, perr := s.adminUsersPage(c)
		if perr != nil {
			return perr
		}
		p.Errors = s.formErrors(p.Lang, fieldless(err))
		return s.render(c, fiber.StatusUnprocessableEntity, "admin/users", p)
	}
	s.flash(c, "admin.users.chair_saved")
	return c.Redirect("/admin/users", fiber.StatusSeeOther)
}
