package http

import (
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func (s *Server) handleConsultations(c *fiber.Ctx) error {
	page, per := mitreden.NormalizePage(c.QueryInt("page", 1), 10)
	f := mitreden.ConsultationFilter{Phase: mitreden.Phase(c.Query("phase")), Topic: c.Query("topic"), Region: c.Query("region"), Page: page, PerPage: per}
	if f.Phase != "" && !slices.Contains(mitreden.Phases, f.Phase) {
		f.Phase = ""
	}
	list, total, err := s.deps.Participation.Consultations(c.UserContext(), f)
	if err != nil {
		return err
	}
	p := s.page(c, "consultations.title")
	items := make([]*consultationView, len(list))
	for i, x := range list {
		items[i] = s.consultationView(x)
	}
	p.Data = fiber.Map{"Items": items, "Total": total, "Phase": string(f.Phase), "Topic": f.Topic, "Region": f.Region, "Phases": mitreden.Phases}
	p.Pager = newPager(c, page, per, total)
	return s.render(c, fiber.StatusOK, "consultations/list", p)
}

func (s *Server) consultationPage(c *fiber.Ctx, id string) (*Page, error) {
	ctx := c.UserContext()
	cons, err := s.deps.Participation.Consultation(ctx, id)
	if err != nil {
		return nil, err
	}
	p := s.page(c, "")
	cv := s.consultationView(cons)
	p.Title = cons.Title
	sort := c.Query("sort")
	if !slices.Contains(mitreden.ProposalSorts, sort) {
		sort = "random"
		if cv.Phase != string(mitreden.PhaseOpen) {
			sort = "supported"
		}
	}
	status := c.Query("status")
	if !slices.Contains(mitreden.ProposalStatuses, status) {
		status = ""
	}
	page, per := mitreden.NormalizePage(c.QueryInt("page", 1), 20)
	props, total, err := s.deps.Participation.Proposals(ctx, mitreden.ProposalFilter{ConsultationID: cons.ID, Status: status,
		Topic: c.Query("topic"), Sort: sort, Seed: s.visitorSeed(c), Page: page, PerPage: per})
	if err != nil {
		return nil, err
	}
	items := make([]*proposalView, len(props))
	for i, pr := range props {
		items[i] = s.proposalView(p.User, pr, cons, "")
	}
	csort := commentSort(c.Query("csort"))
	threads, visible, err := s.deps.Participation.Comments(ctx, "consultation", cons.ID, csort)
	if err != nil {
		return nil, err
	}
	votes, err := s.deps.Participation.CommentVotes(ctx, p.User, commentIDs(threads, nil))
	if err != nil {
		return nil, err
	}
	open := cv.Phase == string(mitreden.PhaseOpen)
	p.Data = fiber.Map{"C": cv, "Proposals": fiber.Map{"Items": items, "Total": total}, "Sort": sort, "Sorts": mitreden.ProposalSorts,
		"Status": status, "Statuses": mitreden.ProposalStatuses, "Topic": c.Query("topic"),
		"CanPropose": p.User != nil && open && cons.ProposalsEnabled && !p.User.Blocked,
		"CanComment": p.User != nil && open && cons.CommentsEnabled && !p.User.Blocked,
		"Comments":   s.commentViews(p.User, threads, votes), "CommentTotal": visible, "CommentSort": csort,
		"PhaseNote": s.phaseNote(p, cons)}
	p.Pager = newPager(c, page, per, total)
	return p, nil
}

func commentSort(v string) string {
	if v == "newest" || v == "best" {
		return v
	}
	return "oldest"
}

// phaseNote says why writing is not possible and when it will be.
func (s *Server) phaseNote(p *Page, cons *mitreden.Consultation) string {
	if err := cons.NotOpenError(s.deps.Participation.Now()); err != nil {
		de := err.(*mitreden.Error)
		date := cons.ClosesAt
		if de.Message == "participation.not_open_yet" {
			date = cons.OpensAt
		}
		return p.Tr(de.Message, "date", p.FormatTime(date))
	}
	return ""
}

func (s *Server) handleConsultation(c *fiber.Ctx) error {
	p, err := s.consultationPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "consultations/show", p)
}

// consultationForm is the admin form of a consultation.
type consultationForm struct {
	Title            string `form:"title" validate:"max=300"`
	Summary          string `form:"summary" validate:"max=1000"`
	Body             string `form:"body" validate:"max=60000"`
	Topics           string `form:"topics" validate:"max=500"`
	Region           string `form:"region" validate:"max=200"`
	OpensAt          string `form:"opens_at" validate:"max=40"`
	ClosesAt         string `form:"closes_at" validate:"max=40"`
	VotingMode       string `form:"voting_mode" validate:"omitempty,oneof=support rating"`
	MaxSupports      string `form:"max_supports" validate:"max=10"`
	SupportThreshold string `form:"support_threshold" validate:"max=10"`
	ProposalsEnabled bool   `form:"proposals_enabled"`
	CommentsEnabled  bool   `form:"comments_enabled"`
	PreModeration    bool   `form:"pre_moderation"`
}

func (f *consultationForm) domain() *mitreden.Consultation {
	return &mitreden.Consultation{Title: f.Title, Summary: f.Summary, Body: f.Body, Topics: splitTopics(f.Topics), Region: f.Region,
		OpensAt: parseLocal(f.OpensAt), ClosesAt: parseLocal(f.ClosesAt), VotingMode: f.VotingMode,
		MaxSupports: atoiOr(f.MaxSupports, -1), SupportThreshold: atoiOr(f.SupportThreshold, -1),
		ProposalsEnabled: f.ProposalsEnabled, CommentsEnabled: f.CommentsEnabled, PreModeration: f.PreModeration}
}

func (f *consultationForm) values() map[string]string {
	b := func(v bool) string {
		if v {
			return "true"
		}
		return ""
	}
	return map[string]string{"title": f.Title, "summary": f.Summary, "body": f.Body, "topics": f.Topics, "region": f.Region,
		"opens_at": f.OpensAt, "closes_at": f.ClosesAt, "voting_mode": f.VotingMode, "max_supports": f.MaxSupports,
		"support_threshold": f.SupportThreshold, "proposals_enabled": b(f.ProposalsEnabled), "comments_enabled": b(f.CommentsEnabled),
		"pre_moderation": b(f.PreModeration)}
}

func formOf(cons *mitreden.Consultation) *consultationForm {
	return &consultationForm{Title: cons.Title, Summary: cons.Summary, Body: cons.Body, Topics: joinTopics(cons.Topics),
		Region: cons.Region, OpensAt: formatLocal(cons.OpensAt), ClosesAt: formatLocal(cons.ClosesAt), VotingMode: cons.VotingMode,
		MaxSupports: fmt.Sprint(cons.MaxSupports), SupportThreshold: fmt.Sprint(cons.SupportThreshold),
		ProposalsEnabled: cons.ProposalsEnabled, CommentsEnabled: cons.CommentsEnabled, PreModeration: cons.PreModeration}
}

func joinTopics(t []string) string {
	out := ""
	for i, x := range t {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func (s *Server) renderConsultationForm(c *fiber.Ctx, status int, id string, f *consultationForm, err error) error {
	title, action, submit := "consultations.new_title", "/consultations", "consultations.submit_new"
	if id != "" {
		title, action, submit = "consultations.edit_title", "/consultations/"+id, "consultations.save"
	}
	p := s.page(c, title)
	p.Values = f.values()
	if err != nil {
		p.Errors = s.formErrors(p.Lang, err)
	}
	p.Data = fiber.Map{"Action": action, "Submit": p.Tr(submit)}
	return s.render(c, status, "consultations/form", p)
}

func (s *Server) handleConsultationNew(c *fiber.Ctx) error {
	now := s.deps.Participation.Now()
	f := &consultationForm{VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true, MaxSupports: "0", SupportThreshold: "0",
		OpensAt: formatLocal(now), ClosesAt: formatLocal(now.AddDate(0, 1, 0))}
	return s.renderConsultationForm(c, fiber.StatusOK, "", f, nil)
}

func (s *Server) handleConsultationCreate(c *fiber.Ctx) error {
	var f consultationForm
	err := s.parseForm(c, &f)
	var cons *mitreden.Consultation
	if err == nil {
		cons = f.domain()
		err = s.deps.Participation.CreateConsultation(c.UserContext(), userOf(c), cons)
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code == mitreden.EINVALID || code == ebadRequest {
			return s.renderConsultationForm(c, fiber.StatusUnprocessableEntity, "", &f, err)
		}
		return err
	}
	s.flash(c, "consultation.created")
	return c.Redirect("/consultations/"+cons.ID, fiber.StatusSeeOther)
}

func (s *Server) handleConsultationEdit(c *fiber.Ctx) error {
	cons, err := s.deps.Participation.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderConsultationForm(c, fiber.StatusOK, cons.ID, formOf(cons), nil)
}

func (s *Server) handleConsultationUpdate(c *fiber.Ctx) error {
	var f consultationForm
	id := c.Params("id")
	err := s.parseForm(c, &f)
	if err == nil {
		cons := f.domain()
		cons.ID = id
		err = s.deps.Participation.UpdateConsultation(c.UserContext(), userOf(c), cons)
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code == mitreden.EINVALID || code == ebadRequest {
			return s.renderConsultationForm(c, fiber.StatusUnprocessableEntity, id, &f, err)
		}
		return err
	}
	s.flash(c, "consultation.updated")
	return c.Redirect("/consultations/"+id, fiber.StatusSeeOther)
}

func (s *Server) handleConsultationResults(c *fiber.Ctx) error {
	id := c.Params("id")
	_, err := s.deps.Participation.PublishResults(c.UserContext(), userOf(c), id, c.FormValue("results"))
	if mitreden.ErrorCode(err) == mitreden.EINVALID {
		p, perr := s.consultationPage(c, id)
		if perr != nil {
			return perr
		}
		p.Errors = s.formErrors(p.Lang, err)
		p.Values["results"] = c.FormValue("results")
		return s.render(c, fiber.StatusUnprocessableEntity, "consultations/show", p)
	} else if err != nil {
		return err
	}
	s.flash(c, "results.published")
	return c.Redirect("/consultations/"+id+"#results", fiber.StatusSeeOther)
}

// proposalForm is a citizen's proposal as a form.
type proposalForm struct {
	Title  string `form:"title" validate:"max=300"`
	Body   string `form:"body" validate:"max=20000"`
	Topics string `form:"topics" validate:"max=500"`
}

func (s *Server) renderProposalForm(c *fiber.Ctx, status int, cons *mitreden.Consultation, action, title, submit string, f *proposalForm, err error) error {
	p := s.page(c, title)
	p.Values = map[string]string{"title": f.Title, "body": f.Body, "topics": f.Topics}
	if err != nil {
		p.Errors = s.formErrors(p.Lang, err)
	}
	p.Data = fiber.Map{"Action": action, "Submit": p.Tr(submit), "ConsultationTitle": cons.Title}
	return s.render(c, status, "proposals/form", p)
}

func (s *Server) handleProposalNew(c *fiber.Ctx) error {
	cons, err := s.deps.Participation.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := cons.NotOpenError(s.deps.Participation.Now()); err != nil {
		return err
	}
	return s.renderProposalForm(c, fiber.StatusOK, cons, "/consultations/"+cons.ID+"/proposals", "proposals.new_title", "proposals.submit", &proposalForm{}, nil)
}

func (s *Server) handleProposalCreate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := s.deps.Participation.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	var f proposalForm
	err = s.parseForm(c, &f)
	pr := &mitreden.Proposal{Title: f.Title, Body: f.Body, Topics: splitTopics(f.Topics)}
	if err == nil {
		err = s.deps.Participation.CreateProposal(ctx, userOf(c), cons.ID, pr)
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code == mitreden.EINVALID || code == ebadRequest {
			return s.renderProposalForm(c, fiber.StatusUnprocessableEntity, cons, "/consultations/"+cons.ID+"/proposals", "proposals.new_title", "proposals.submit", &f, err)
		}
		return err
	}
	s.flash(c, "proposal.created")
	return c.Redirect("/proposals/"+pr.ID, fiber.StatusSeeOther)
}

func (s *Server) proposalPage(c *fiber.Ctx, id string) (*Page, error) {
	ctx := c.UserContext()
	pr, cons, err := s.deps.Participation.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	p := s.page(c, "")
	p.Title = pr.Title
	votes, err := s.deps.Participation.MyVotes(ctx, p.User, []string{pr.ID})
	if err != nil {
		return nil, err
	}
	csort := commentSort(c.Query("csort"))
	threads, _, err := s.deps.Participation.Comments(ctx, "proposal", pr.ID, csort)
	if err != nil {
		return nil, err
	}
	cvotes, err := s.deps.Participation.CommentVotes(ctx, p.User, commentIDs(threads, nil))
	if err != nil {
		return nil, err
	}
	now := s.deps.Participation.Now()
	open := cons.Phase(now) == mitreden.PhaseOpen
	pv := s.proposalView(p.User, pr, cons, votes[pr.ID])
	voteNote := ""
	if err := cons.NotOpenError(now); err != nil {
		voteNote = s.phaseNote(p, cons)
	} else if pr.Status == mitreden.StatusWithdrawn {
		voteNote = p.Tr("proposal.withdrawn")
	}
	p.Data = fiber.Map{"Pr": pv, "C": cons,
		"CanVote":    p.User != nil && open && pr.Status != mitreden.StatusWithdrawn && !p.User.Blocked,
		"VoteNote":   voteNote,
		"CanComment": p.User != nil && open && cons.CommentsEnabled && !p.User.Blocked,
		"Comments":   s.commentViews(p.User, threads, cvotes), "CommentSort": csort}
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
	pr, cons, err := s.deps.Participation.Proposal(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if pr.AuthorID != userOf(c).ID {
		return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "proposal.not_author"}
	}
	f := &proposalForm{Title: pr.Title, Body: pr.Body, Topics: joinTopics(pr.Topics)}
	return s.renderProposalForm(c, fiber.StatusOK, cons, "/proposals/"+pr.ID, "proposals.edit_title", "proposals.save", f, nil)
}

func (s *Server) handleProposalUpdate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	var f proposalForm
	err := s.parseForm(c, &f)
	if err == nil {
		_, err = s.deps.Participation.EditProposal(ctx, userOf(c), id, mitreden.Proposal{Title: f.Title, Body: f.Body, Topics: splitTopics(f.Topics)})
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code == mitreden.EINVALID || code == ebadRequest {
			_, cons, perr := s.deps.Participation.Proposal(ctx, id)
			if perr != nil {
				return perr
			}
			return s.renderProposalForm(c, fiber.StatusUnprocessableEntity, cons, "/proposals/"+id, "proposals.edit_title", "proposals.save", &f, err)
		}
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

func (s *Server) handleProposalAnswer(c *fiber.Ctx) error {
	id := c.Params("id")
	_, err := s.deps.Participation.AnswerProposal(c.UserContext(), userOf(c), id, c.FormValue("status"), c.FormValue("answer_text"))
	if mitreden.ErrorCode(err) == mitreden.EINVALID {
		p, perr := s.proposalPage(c, id)
		if perr != nil {
			return perr
		}
		p.Errors = s.formErrors(p.Lang, err)
		for i := range p.Errors {
			if p.Errors[i].Field == "answer" {
				p.Errors[i].Field = "answer_text"
			} else if p.Errors[i].Field == "status" {
				p.Errors[i].Field = "answer-status"
			}
		}
		p.Values["answer_text"] = c.FormValue("answer_text")
		return s.render(c, fiber.StatusUnprocessableEntity, "proposals/show", p)
	} else if err != nil {
		return err
	}
	s.flash(c, "answer.saved")
	return c.Redirect("/proposals/"+id+"#answer", fiber.StatusSeeOther)
}

func (s *Server) handleVote(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := s.deps.Participation.Vote(c.UserContext(), userOf(c), id, c.FormValue("value")); err != nil {
		return err
	}
	s.flash(c, "vote.saved")
	return c.Redirect("/proposals/"+id+"#tally", fiber.StatusSeeOther)
}

func (s *Server) handleUnvote(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := s.deps.Participation.Unvote(c.UserContext(), userOf(c), id); err != nil {
		return err
	}
	s.flash(c, "vote.withdrawn")
	return c.Redirect("/proposals/"+id+"#tally", fiber.StatusSeeOther)
}

// commentForm is a new comment or reply.
type commentForm struct {
	Body      string `form:"body" json:"body" validate:"max=6000"`
	ParentID  string `form:"parent_id" json:"parent_id,omitempty" validate:"max=64"`
	Alignment string `form:"alignment" json:"alignment,omitempty" validate:"omitempty,oneof=for against neutral"`
}

func (s *Server) handleCommentCreate(targetType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		var f commentForm
		err := s.parseForm(c, &f)
		var cm *mitreden.Comment
		if err == nil {
			cm, err = s.deps.Participation.AddComment(c.UserContext(), userOf(c), targetType, id, mitreden.Comment{Body: f.Body, ParentID: f.ParentID, Alignment: f.Alignment})
		}
		if mitreden.ErrorCode(err) == mitreden.EINVALID {
			var p *Page
			var perr error
			name := "proposals/show"
			if targetType == "proposal" {
				p, perr = s.proposalPage(c, id)
			} else {
				p, perr = s.consultationPage(c, id)
				name = "consultations/show"
			}
			if perr != nil {
				return perr
			}
			p.Errors = s.formErrors(p.Lang, err)
			for i := range p.Errors {
				if p.Errors[i].Field == "body" {
					p.Errors[i].Field = "new-comment-body"
				}
			}
			return s.render(c, fiber.StatusUnprocessableEntity, name, p)
		} else if err != nil {
			return err
		}
		s.flash(c, "comment.created")
		return c.Redirect(fmt.Sprintf("/%ss/%s#comment-%s", targetType, id, cm.ID), fiber.StatusSeeOther)
	}
}

func (s *Server) commentTarget(c *fiber.Ctx, id string) string {
	cm, err := s.deps.Participation.Comment(c.UserContext(), id)
	if err != nil {
		return "/"
	}
	return fmt.Sprintf("/%ss/%s#comment-%s", cm.TargetType, cm.TargetID, cm.ID)
}

func (s *Server) handleCommentEdit(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := s.deps.Participation.EditComment(c.UserContext(), userOf(c), id, c.FormValue("body")); err != nil {
		return err
	}
	s.flash(c, "comment.updated")
	return c.Redirect(s.commentTarget(c, id), fiber.StatusSeeOther)
}

func (s *Server) handleCommentDelete(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.deps.Participation.DeleteComment(c.UserContext(), userOf(c), id); err != nil {
		return err
	}
	s.flash(c, "comment.deleted")
	return c.Redirect(s.commentTarget(c, id), fiber.StatusSeeOther)
}

func (s *Server) handleCommentVote(c *fiber.Ctx) error {
	id := c.Params("id")
	v := atoiOr(c.FormValue("value"), 99)
	if _, err := s.deps.Participation.VoteComment(c.UserContext(), userOf(c), id, v); err != nil {
		return err
	}
	s.flash(c, "comment.voted")
	return c.Redirect(s.commentTarget(c, id), fiber.StatusSeeOther)
}
