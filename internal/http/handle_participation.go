package http

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// HTML handlers of participation: parse, call the service once, render.
// What a viewer may see and do comes from the service's read side.

// consultationListQuery is the filter of the consultation list.
type consultationListQuery struct {
	Phase   string `query:"phase" validate:"omitempty,phase"`
	Topic   string `query:"topic" validate:"max=80"`
	Region  string `query:"region" validate:"max=120"`
	Page    int    `query:"page"`
	PerPage int    `query:"per_page"`
}

// filter builds the domain filter; perPage applies unless the query asks for another.
func (q *consultationListQuery) filter(perPage int) mitreden.ConsultationFilter {
	if q.PerPage > 0 {
		perPage = q.PerPage
	}
	page, per := mitreden.NormalizePage(q.Page, perPage)
	return mitreden.ConsultationFilter{Phase: mitreden.Phase(q.Phase), Topic: q.Topic, Region: q.Region, Page: page, PerPage: per}
}

func (s *Server) handleConsultations(c *fiber.Ctx) error {
	var q consultationListQuery
	if err := s.parseQuery(c, &q); err != nil {
		// A list filter typed by hand falls back to all consultations.
		q = consultationListQuery{Page: q.Page}
	}
	q.PerPage = 0
	f := q.filter(10)
	p := s.page(c, "consultations.title")
	list, total, err := s.deps.Participation.ReadConsultations(c.UserContext(), p.User, f)
	if err != nil {
		return err
	}
	items := make([]*consultationView, len(list))
	for i, x := range list {
		items[i] = s.consultationView(p, x)
	}
	p.Data = fiber.Map{"Items": items, "Total": total, "Phase": q.Phase, "Topic": q.Topic, "Region": q.Region, "Phases": mitreden.Phases,
		"CanCreate": s.deps.Participation.CanCreateConsultation(p.User).Allowed()}
	p.Pager = newPager(c, f.Page, f.PerPage, total)
	return s.render(c, fiber.StatusOK, "consultations/list", p)
}

// proposalListQuery orders and filters a consultation's proposals and its comments.
type proposalListQuery struct {
	Sort         string `query:"sort" json:"sort" validate:"omitempty,proposal_sort"`
	Status       string `query:"status" json:"status" validate:"omitempty,proposal_status"`
	Topic        string `query:"topic" json:"topic" validate:"max=80"`
	Page         int    `query:"page" json:"page"`
	PerPage      int    `query:"per_page" json:"per_page"`
	CommentOrder string `query:"csort" json:"-" validate:"omitempty,comment_order"`
	CommentPage  int    `query:"cpage" json:"-"`
}

func (q *proposalListQuery) filter(seed int64, perPage int) mitreden.ProposalFilter {
	if q.PerPage > 0 {
		perPage = q.PerPage
	}
	page, per := mitreden.NormalizePage(q.Page, perPage)
	return mitreden.ProposalFilter{Status: q.Status, Topic: q.Topic, Sort: q.Sort, Seed: seed, Page: page, PerPage: per}
}

func (s *Server) consultationPage(c *fiber.Ctx, id string) (*Page, error) {
	var q proposalListQuery
	if err := s.parseQuery(c, &q); err != nil {
		// The page's selects only send known values; anything else is ignored.
		q = proposalListQuery{Topic: q.Topic, Page: q.Page, CommentPage: q.CommentPage}
		if len(q.Topic) > 80 {
			q.Topic = ""
		}
	}
	p := s.page(c, "")
	f := q.filter(s.visitorSeed(c), 20)
	pg, err := s.deps.Participation.ReadConsultationPageWith(c.UserContext(), p.User, id, f, q.discussionQuery())
	if err != nil {
		return nil, err
	}
	cv := s.consultationView(p, &pg.ConsultationItem)
	p.Title, p.TitleLang = pg.Title, pg.Lang
	items := make([]*proposalView, len(pg.Proposals))
	for i, it := range pg.Proposals {
		items[i] = s.listItemView(it, pg.Title)
	}
	p.Data = fiber.Map{"C": cv, "Proposals": fiber.Map{"Items": items, "Total": pg.ProposalTotal}, "Sort": pg.Sort, "Quota": pg.Quota, "Held": pg.Held,
		"Sorts": mitreden.ProposalSorts, "Status": q.Status, "Statuses": mitreden.ProposalStatuses, "Topic": q.Topic,
		"CanPropose": cv.CanPropose, "CanComment": s.perm(p, pg.Discussion.CanComment),
		"Comments": s.commentViews(pg.Discussion.Comments), "CommentTotal": pg.Discussion.Visible, "CommentSort": pg.Discussion.Order,
		"CommentPager": newCommentPager(c, pg.Discussion),
		"PhaseNote":    s.phaseNote(p, pg.Consultation)}
	p.Pager = newPager(c, f.Page, f.PerPage, pg.ProposalTotal)
	s.addFollow(p, pg.Following, mitreden.FollowConsultation, id)
	return p, nil
}

// phaseNoteView says, outside the open phase, which phase a consultation is
// in and what comes next; Results links the published results.
type phaseNoteView struct{ Text, Results string }

// phaseNote is what the consultation and its proposals say outside the open
// phase instead of inviting anyone to log in (nil while open), in the words
// of the voting mode: supports or ratings.
func (s *Server) phaseNote(p *Page, cons *mitreden.Consultation) *phaseNoteView {
	switch cons.Phase(s.deps.Participation.Now()) {
	case mitreden.PhaseUpcoming:
		return &phaseNoteView{Text: p.Tr("phase_note.upcoming."+cons.VotingMode, "date", cons.OpensAt)}
	case mitreden.PhaseClosed:
		return &phaseNoteView{Text: p.Tr("phase_note.closed."+cons.VotingMode, "date", cons.ClosesAt)}
	case mitreden.PhaseEvaluated:
		return &phaseNoteView{Text: p.Tr("phase_note.evaluated", "date", cons.EvaluatedAt), Results: "/consultations/" + cons.ID + "#results"}
	}
	return nil
}

func (s *Server) handleConsultation(c *fiber.Ctx) error {
	p, err := s.consultationPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "consultations/show", p)
}

// consultationFormIDs maps fields to the ids of their inputs where they differ.
var consultationFormIDs = map[string]string{}

func (s *Server) renderConsultationForm(c *fiber.Ctx, status int, id string, values map[string]string, err error) error {
	p := s.page(c, "")
	s.fillForm(p, values, err, consultationFormIDs)
	s.consultationForm(p, id, nil)
	return s.render(c, status, "consultations/form", p)
}

func (s *Server) handleConsultationNew(c *fiber.Ctx) error {
	now := s.deps.Participation.Now()
	draft := &mitreden.Consultation{VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true,
		OpensAt: now, ClosesAt: now.AddDate(0, 1, 0)}
	return s.renderConsultationForm(c, fiber.StatusOK, "", consultationFormValues(draft), nil)
}

// parseConsultationForm reads the consultation form into cons.
func (s *Server) parseConsultationForm(c *fiber.Ctx, cons *mitreden.Consultation) (*consultationRequest, error) {
	var req consultationRequest
	if err := s.parseForm(c, &req); err != nil {
		return &req, err
	}
	req.uncheckedAreFalse()
	return &req, req.apply(cons)
}

func (s *Server) handleConsultationCreate(c *fiber.Ctx) error {
	cons := &mitreden.Consultation{}
	req, err := s.parseConsultationForm(c, cons)
	if err == nil {
		err = s.deps.Participation.CreateConsultation(c.UserContext(), userOf(c), cons)
	}
	if formFailed(err) {
		return s.renderConsultationForm(c, formStatus(err), "", req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "consultation.created")
	return c.Redirect("/consultations/"+cons.ID, fiber.StatusSeeOther)
}

func (s *Server) handleConsultationEdit(c *fiber.Ctx) error {
	cons, err := s.deps.Participation.ReadConsultation(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderConsultationForm(c, fiber.StatusOK, cons.ID, consultationFormValues(cons.Consultation), nil)
}

func (s *Server) handleConsultationUpdate(c *fiber.Ctx) error {
	id := c.Params("id")
	cons := &mitreden.Consultation{ID: id}
	req, err := s.parseConsultationForm(c, cons)
	if err == nil {
		err = s.deps.Participation.UpdateConsultation(c.UserContext(), userOf(c), cons)
	}
	if formFailed(err) {
		return s.renderConsultationForm(c, formStatus(err), id, req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "consultation.updated")
	return c.Redirect("/consultations/"+id, fiber.StatusSeeOther)
}

func (s *Server) handleConsultationResults(c *fiber.Ctx) error {
	id := c.Params("id")
	var req resultsRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Participation.PublishResults(c.UserContext(), userOf(c), id, req.Results)
	}
	if formFailed(err) {
		p, perr := s.consultationPage(c, id)
		if perr != nil {
			return perr
		}
		s.fillForm(p, map[string]string{"results": req.Results}, err, nil)
		return s.render(c, fiber.StatusUnprocessableEntity, "consultations/show", p)
	} else if err != nil {
		return err
	}
	s.flash(c, "results.published")
	return c.Redirect("/consultations/"+id+"#results", fiber.StatusSeeOther)
}

// renderProposalForm renders the new-proposal or proposal-edit form of a
// proposal in cons.
func (s *Server) renderProposalForm(c *fiber.Ctx, status int, cons *mitreden.Consultation, action, title, submit string, values map[string]string, err error) error {
	p := s.page(c, title)
	s.fillForm(p, values, err, nil)
	p.Data = fiber.Map{"Action": action, "Submit": p.Tr(submit), "ConsultationTitle": cons.Title, "ConsultationLang": cons.Lang}
	return s.render(c, status, "proposals/form", p)
}

func (s *Server) handleProposalNew(c *fiber.Ctx) error {
	cons, err := s.deps.Participation.ReadConsultation(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	if err := cons.CanPropose.Err(); err != nil {
		return err
	}
	return s.renderProposalForm(c, fiber.StatusOK, cons.Consultation, "/consultations/"+cons.ID+"/proposals", "proposals.new_title", "proposals.submit", nil, nil)
}

func (s *Server) handleProposalCreate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	var req proposalRequest
	pr := &mitreden.Proposal{}
	err := s.parseForm(c, &req)
	if err == nil {
		req.apply(pr)
		err = s.deps.Participation.CreateProposal(ctx, userOf(c), id, pr)
	}
	if limited := retryLater(c, err); formFailed(err) || limited {
		cons, cerr := s.deps.Participation.ReadConsultation(ctx, userOf(c), id)
		if cerr != nil {
			return cerr
		}
		status := fiber.StatusUnprocessableEntity
		if limited {
			// A posting limit: the text stays, the summary says when.
			status = fiber.StatusTooManyRequests
		}
		return s.renderProposalForm(c, status, cons.Consultation, "/consultations/"+id+"/proposals", "proposals.new_title", "proposals.submit", req.values(), err)
	} else if err != nil {
		return err
	}
	if pr.Held != "" {
		s.confirmAt(c, "moderation.held_notice_"+pr.Held, "held")
		return c.Redirect("/consultations/"+id+"#confirmation", fiber.StatusSeeOther)
	}
	s.flash(c, "proposal.created")
	return c.Redirect("/proposals/"+pr.ID, fiber.StatusSeeOther)
}

func (s *Server) proposalPage(c *fiber.Ctx, id string) (*Page, error) {
	var q proposalListQuery
	_ = s.parseQuery(c, &q) // an unknown comment order falls back to the default
	p := s.page(c, "")
	pg, err := s.deps.Participation.ReadProposalWith(c.UserContext(), p.User, id, q.discussionQuery())
	if err != nil {
		return nil, err
	}
	p.Title, p.TitleLang = pg.Title, pg.Lang
	if pg.Redacted {
		p.Title, p.TitleLang = p.Tr("moderation.hidden_proposal_title"), ""
	}
	p.Data = fiber.Map{"Pr": s.proposalPageView(p, pg), "C": pg.Consultation, "Quota": pg.Quota,
		"AnswerStatuses": mitreden.AnswerStatuses, "VoteValues": mitreden.VoteValuesOf(pg.VotingMode),
		"CanComment": s.perm(p, pg.Discussion.CanComment),
		"Comments":   s.commentViews(pg.Discussion.Comments), "CommentSort": pg.Discussion.Order,
		"CommentPager": newCommentPager(c, pg.Discussion), "PhaseNote": s.phaseNote(p, pg.Consultation), "Held": pg.Held}
	s.addFollow(p, pg.Following, mitreden.FollowProposal, id)
	return p, nil
}

func (s *Server) handleProposal(c *fiber.Ctx) error {
	p, err := s.proposalPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "proposals/show", p)
}

func (s *Server) handleProposalEdit(c *fiber.Ctx) error {
	pg, err := s.deps.Participation.ReadProposal(c.UserContext(), userOf(c), c.Params("id"), "")
	if err != nil {
		return err
	}
	if pg.CanEdit.Denied != nil && pg.CanEdit.Denied.Code == mitreden.EFORBIDDEN {
		return pg.CanEdit.Err()
	}
	values := map[string]string{"title": pg.Title, "body": pg.Body, "topics": joinTopics(pg.Topics), "lang": pg.Lang}
	return s.renderProposalForm(c, fiber.StatusOK, pg.Consultation, "/proposals/"+pg.ID, "proposals.edit_title", "proposals.save", values, nil)
}

func (s *Server) handleProposalUpdate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	var req proposalRequest
	err := s.parseForm(c, &req)
	if err == nil {
		var upd mitreden.Proposal
		req.apply(&upd)
		_, err = s.deps.Participation.EditProposal(ctx, userOf(c), id, upd)
	}
	if formFailed(err) {
		pg, perr := s.deps.Participation.ReadProposal(ctx, userOf(c), id, "")
		if perr != nil {
			return perr
		}
		return s.renderProposalForm(c, fiber.StatusUnprocessableEntity, pg.Consultation, "/proposals/"+id, "proposals.edit_title", "proposals.save", req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "proposal.updated")
	return c.Redirect("/proposals/"+id, fiber.StatusSeeOther)
}

func (s *Server) handleProposalWithdraw(c *fiber.Ctx) error {
	if _, err := s.deps.Participation.WithdrawProposal(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "proposal.withdrawn")
	return c.Redirect("/proposals/"+c.Params("id"), fiber.StatusSeeOther)
}

// answerFormIDs: the answer form's inputs are named apart from the page's sections.
var answerFormIDs = map[string]string{"answer": "answer_text", "status": "answer-status"}

func (s *Server) handleProposalAnswer(c *fiber.Ctx) error {
	id := c.Params("id")
	var req answerRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Participation.AnswerProposal(c.UserContext(), userOf(c), id, req.Status, req.text())
	}
	if formFailed(err) {
		p, perr := s.proposalPage(c, id)
		if perr != nil {
			return perr
		}
		s.fillForm(p, map[string]string{"answer_text": req.text(), "status": req.Status}, err, answerFormIDs)
		return s.render(c, fiber.StatusUnprocessableEntity, "proposals/show", p)
	} else if err != nil {
		return err
	}
	s.flash(c, "answer.saved")
	return c.Redirect("/proposals/"+id+"#answer", fiber.StatusSeeOther)
}

func (s *Server) handleVote(c *fiber.Ctx) error {
	id := c.Params("id")
	var req voteRequest
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	if _, err := s.deps.Participation.Vote(c.UserContext(), userOf(c), id, req.Value); isVoteLimit(err) {
		return s.renderVoteLimit(c, id, err)
	} else if err != nil {
		return err
	}
	return s.voteConfirmed(c, id, "saved", req.Value == mitreden.VoteSupport)
}

// voteConfirmed redirects to the proposal's support box, where the
// confirmation (what happened, in the words of the voting mode: a support
// or a rating) takes the focus.
func (s *Server) voteConfirmed(c *fiber.Ctx, id, what string, support bool) error {
	key := "vote." + what
	if support {
		key = "vote.support_" + what
	}
	s.confirmAt(c, key, "vote")
	return c.Redirect("/proposals/"+id+"#confirmation", fiber.StatusSeeOther)
}

// isVoteLimit tells whether err refuses a support because the person's
// supports in the consultation are used up.
func isVoteLimit(err error) bool {
	return mitreden.ErrorCode(err) == mitreden.ECONFLICT && mitreden.ErrorMessage(err) == "vote.limit_reached"
}

// renderVoteLimit answers a support over the limit on the proposal page
// itself: the alert beside the support button says the limit and links to
// the person's supports, so they can withdraw one (not an error page).
func (s *Server) renderVoteLimit(c *fiber.Ctx, id string, err error) error {
	p, perr := s.proposalPage(c, id)
	if perr != nil {
		return perr
	}
	var de *mitreden.Error
	errors.As(err, &de)
	p.Data.(fiber.Map)["VoteLimit"] = s.cat.T(p.Lang, de.Message, de.Args)
	return s.render(c, fiber.StatusConflict, "proposals/show", p)
}

func (s *Server) handleUnvote(c *fiber.Ctx) error {
	id := c.Params("id")
	res, err := s.deps.Participation.Unvote(c.UserContext(), userOf(c), id)
	if err != nil {
		return err
	}
	return s.voteConfirmed(c, id, "withdrawn", res.VotingMode == mitreden.VotingSupport)
}

// commentFormIDs: the new-comment form's text area has its own id.
var commentFormIDs = map[string]string{"body": "new-comment-body"}

func (s *Server) handleCommentCreate(targetType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		var req commentRequest
		normalizeNewlines(c, "body")
		err := s.parseForm(c, &req)
		var cm *mitreden.Comment
		if err == nil {
			cm, err = s.deps.Participation.AddComment(c.UserContext(), userOf(c), targetType, id,
				mitreden.Comment{Body: req.Body, ParentID: req.ParentID, Alignment: req.Alignment, Lang: req.Lang})
		}
		err = commentBodyErrors(err, req.Body, langOf(c))
		if formFailed(err) || refusedWhileTyping(err) {
			return s.renderCommentFailed(c, targetType, id, &req, err)
		} else if err != nil {
			return err
		}
		if cm.Held != "" {
			s.confirmAt(c, "moderation.held_notice_"+cm.Held, "held")
			return c.Redirect("/"+targetType+"s/"+id+"#confirmation", fiber.StatusSeeOther)
		}
		s.confirmAt(c, "comment.created", "comment-"+cm.ID)
		return c.Redirect(commentURL(cm), fiber.StatusSeeOther)
	}
}

// commentURL links to a comment: handleCommentLink opens the page of its
// discussion that holds it.
func commentURL(cm *mitreden.Comment) string {
	return "/comments/" + cm.ID
}

func (s *Server) handleCommentEdit(c *fiber.Ctx) error {
	var req commentEditRequest
	normalizeNewlines(c, "body")
	err := s.parseForm(c, &req)
	var cm *service.CommentItem
	if err == nil {
		cm, err = s.deps.Participation.EditComment(c.UserContext(), userOf(c), c.Params("id"), req.Body)
	}
	if err = commentBodyErrors(err, req.Body, langOf(c)); formFailed(err) {
		return s.renderCommentEdit(c, formStatus(err), c.Params("id"), &req.Body, err)
	} else if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		// The edit window passed while the person typed: the text comes back.
		return s.renderCommentEdit(c, fiber.StatusConflict, c.Params("id"), &req.Body, err)
	} else if err != nil {
		return err
	}
	s.confirmAt(c, "comment.updated", "comment-"+cm.ID)
	return c.Redirect(commentURL(cm.Comment), fiber.StatusSeeOther)
}

func (s *Server) handleCommentDelete(c *fiber.Ctx) error {
	cm, err := s.deps.Participation.ReadComment(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	if err := s.deps.Participation.DeleteComment(c.UserContext(), userOf(c), cm.ID); err != nil {
		return err
	}
	s.confirmAt(c, "comment.deleted", "comment-"+cm.ID)
	return c.Redirect(commentURL(cm.Comment), fiber.StatusSeeOther)
}

func (s *Server) handleCommentVote(c *fiber.Ctx) error {
	var req commentVoteRequest
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	cm, err := s.deps.Participation.VoteComment(c.UserContext(), userOf(c), c.Params("id"), req.Value)
	if err != nil {
		return err
	}
	s.confirmAt(c, "comment.voted", "comment-"+cm.ID)
	return c.Redirect(commentURL(cm.Comment), fiber.StatusSeeOther)
}
