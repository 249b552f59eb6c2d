package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// consultationJSON is a consultation in the API.
type consultationJSON struct {
	ID               string     `json:"id"`
	Title            string     `json:"title"`
	Summary          string     `json:"summary"`
	Body             string     `json:"body"`
	BodyHTML         string     `json:"body_html"`
	Topics           []string   `json:"topics"`
	Region           string     `json:"region"`
	OpensAt          time.Time  `json:"opens_at"`
	ClosesAt         time.Time  `json:"closes_at"`
	Phase            string     `json:"phase"`
	VotingMode       string     `json:"voting_mode"`
	MaxSupports      int        `json:"max_supports"`
	SupportThreshold int        `json:"support_threshold"`
	ProposalsEnabled bool       `json:"proposals_enabled"`
	CommentsEnabled  bool       `json:"comments_enabled"`
	PreModeration    bool       `json:"pre_moderation"`
	Results          string     `json:"results,omitempty"`
	EvaluatedAt      *time.Time `json:"evaluated_at,omitempty"`
	ProposalCount    int        `json:"proposal_count"`
	CommentCount     int        `json:"comment_count"`
	CreatedAt        time.Time  `json:"created_at"`
	// Lang is the language of the texts: "de" or "en".
	Lang string `json:"lang"`
	// Permissions say what the caller may do here now, and why not.
	Permissions map[string]permissionJSON `json:"permissions,omitempty"`
}

// permissionJSON is one permission of the caller with the reason of a refusal.
type permissionJSON struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

func (s *Server) permissionsJSON(c *fiber.Ctx, perms map[string]mitreden.Permission) map[string]permissionJSON {
	out := make(map[string]permissionJSON, len(perms))
	lang := langOf(c)
	for name, pm := range perms {
		if pm.Allowed() {
			out[name] = permissionJSON{Allowed: true}
			continue
		}
		out[name] = permissionJSON{Reason: pm.Denied.Message, Message: s.cat.T(lang, pm.Denied.Message, pm.Denied.Args)}
	}
	return out
}

func (s *Server) consultationItemJSON(c *fiber.Ctx, it *service.ConsultationItem) consultationJSON {
	j := s.toConsultationJSON(it.Consultation)
	j.Phase = string(it.Phase)
	j.Permissions = s.permissionsJSON(c, map[string]mitreden.Permission{"propose": it.CanPropose, "comment": it.CanComment})
	return j
}

func (s *Server) toConsultationJSON(c *mitreden.Consultation) consultationJSON {
	j := consultationJSON{ID: c.ID, Title: c.Title, Summary: c.Summary, Body: c.Body, BodyHTML: string(storedHTML(c.BodyHTML, c.Body, c.HTMLVersion)),
		Topics: nonNilStrings(c.Topics), Region: c.Region, OpensAt: c.OpensAt, ClosesAt: c.ClosesAt,
		Phase: string(c.Phase(s.deps.Participation.Now())), VotingMode: c.VotingMode, MaxSupports: c.MaxSupports,
		SupportThreshold: c.SupportThreshold, ProposalsEnabled: c.ProposalsEnabled, CommentsEnabled: c.CommentsEnabled,
		PreModeration: c.PreModeration, Results: c.Results, ProposalCount: c.ProposalCount, CommentCount: c.CommentCount, CreatedAt: c.CreatedAt,
		Lang: c.Lang}
	if !c.EvaluatedAt.IsZero() {
		t := c.EvaluatedAt
		j.EvaluatedAt = &t
	}
	return j
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) apiConsultations(c *fiber.Ctx) error {
	var q consultationListQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	f := q.filter(20)
	list, total, err := s.deps.Participation.ReadConsultations(c.UserContext(), userOf(c), f)
	if err != nil {
		return err
	}
	out := listJSON[consultationJSON]{Items: []consultationJSON{}, Total: total, Page: f.Page, PerPage: f.PerPage}
	for _, x := range list {
		out.Items = append(out.Items, s.consultationItemJSON(c, x))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiConsultationCreate(c *fiber.Ctx) error {
	var req consultationRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	cons := &mitreden.Consultation{VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := req.apply(cons); err != nil {
		return err
	}
	if err := s.deps.Participation.CreateConsultation(c.UserContext(), userOf(c), cons); err != nil {
		return err
	}
	return s.apiConsultationAnswer(c, fiber.StatusCreated, cons.ID)
}

// apiConsultationAnswer answers with the consultation id as the caller sees it.
func (s *Server) apiConsultationAnswer(c *fiber.Ctx, status int, id string) error {
	it, err := s.deps.Participation.ReadConsultation(c.UserContext(), userOf(c), id)
	if err != nil {
		return err
	}
	if status == fiber.StatusCreated {
		c.Location("/api/v1/consultations/" + id)
	}
	return sendJSON(c, status, s.consultationItemJSON(c, it))
}

func (s *Server) apiConsultation(c *fiber.Ctx) error {
	return s.apiConsultationAnswer(c, fiber.StatusOK, c.Params("id"))
}

func (s *Server) apiConsultationUpdate(c *fiber.Ctx) error {
	var req consultationRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	cons, err := s.deps.Participation.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := req.apply(cons); err != nil {
		return err
	}
	if err := s.deps.Participation.UpdateConsultation(c.UserContext(), userOf(c), cons); err != nil {
		return err
	}
	return s.apiConsultationAnswer(c, fiber.StatusOK, cons.ID)
}

// authorJSON names the public author of a contribution.
type authorJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	// Deleted is set when the author deleted the account (see authorFor).
	Deleted bool `json:"deleted,omitempty"`
}

// answerJSON is the official answer to a proposal.
type answerJSON struct {
	Text            string    `json:"text"`
	HTML            string    `json:"html"`
	AnsweredBy      string    `json:"answered_by"`
	AnsweredAt      time.Time `json:"answered_at"`
	ResponseSeconds int64     `json:"response_seconds"`
	// Lang is the language of the answer, which staff write.
	Lang string `json:"lang"`
}

// proposalJSON is a proposal in the API.
type proposalJSON struct {
	ID              string         `json:"id"`
	ConsultationID  string         `json:"consultation_id"`
	Title           string         `json:"title"`
	Body            string         `json:"body"`
	BodyHTML        string         `json:"body_html"`
	Topics          []string       `json:"topics"`
	Status          string         `json:"status"`
	Author          authorJSON     `json:"author"`
	Tally           map[string]int `json:"tally"`
	CommentCount    int            `json:"comment_count"`
	AlignmentCounts map[string]int `json:"alignment_counts"`
	Qualified       bool           `json:"qualified"`
	Answer          *answerJSON    `json:"answer,omitempty"`
	MyVote          string         `json:"my_vote,omitempty"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	// Lang is the language of title and body: "de" or "en".
	Lang string `json:"lang"`
	hiddenJSON
	provenanceJSON
	// Permissions say what the caller may do with the proposal now, and why not.
	Permissions map[string]permissionJSON `json:"permissions,omitempty"`
}

// hiddenJSON tells that and why moderation hid a proposal or comment, as
// its placeholder does on the page (its words and author are left out for
// everyone but moderators).
type hiddenJSON struct {
	Hidden bool `json:"hidden,omitempty"`
	// HiddenBecause is "decision" (a moderator hid it, HiddenReason says
	// why), "reports" (hidden after several reports until a moderator
	// decides) or "review" (an edit waits for review).
	HiddenBecause string `json:"hidden_because,omitempty"`
	HiddenReason  string `json:"hidden_reason,omitempty"`
}

func toHiddenJSON(hidden bool, m mitreden.ItemModeration) hiddenJSON {
	switch {
	case !hidden:
		return hiddenJSON{}
	case m.Review:
		return hiddenJSON{Hidden: true, HiddenBecause: "review"}
	case m.Auto:
		return hiddenJSON{Hidden: true, HiddenBecause: "reports"}
	}
	return hiddenJSON{Hidden: true, HiddenBecause: "decision", HiddenReason: m.Reason}
}

func tallyJSON(mode string, t mitreden.Tally) map[string]int {
	if mode == mitreden.VotingRating {
		return map[string]int{"yes": t.Yes, "no": t.No, "abstain": t.Abstain}
	}
	return map[string]int{"support": t.Support}
}

func toProposalJSON(p *mitreden.Proposal, c *mitreden.Consultation, myVote string) proposalJSON {
	j := proposalJSON{ID: p.ID, ConsultationID: p.ConsultationID, Title: p.Title, Body: p.Body, BodyHTML: string(storedHTML(p.BodyHTML, p.Body, p.HTMLVersion)),
		Topics: nonNilStrings(p.Topics), Status: p.Status, Author: authorJSON{ID: p.AuthorID, DisplayName: p.AuthorName},
		Tally: tallyJSON(c.VotingMode, p.Tally), CommentCount: p.CommentCount,
		AlignmentCounts: map[string]int{"for": p.For, "against": p.Against, "neutral": p.Neutral},
		Qualified:       p.Qualified(c), MyVote: myVote, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Lang: p.Lang,
		hiddenJSON: toHiddenJSON(p.Hidden, p.Mod), provenanceJSON: toProvenanceJSON(p.Prov)}
	if !p.AnsweredAt.IsZero() {
		j.Answer = &answerJSON{Text: p.Answer, HTML: string(storedHTML(p.AnswerHTML, p.Answer, p.HTMLVersion)), AnsweredBy: p.AnsweredBy, AnsweredAt: p.AnsweredAt,
			ResponseSeconds: p.ResponseSeconds, Lang: p.AnswerLang}
	}
	return j
}

func (s *Server) proposalPageJSON(c *fiber.Ctx, pg *service.ProposalPage) proposalJSON {
	j := toProposalJSON(pg.Proposal, pg.Consultation, pg.MyVote)
	j.Author = s.authorFor(c, pg.Proposal.AuthorID, pg.Proposal.AuthorName)
	if j.Answer != nil && mitreden.AuthorDeleted(pg.Proposal.AnsweredByID) {
		j.Answer.AnsweredBy = s.authorFor(c, pg.Proposal.AnsweredByID, "").DisplayName
	}
	j.Permissions = s.permissionsJSON(c, map[string]mitreden.Permission{"vote": pg.CanVote, "unvote": pg.CanUnvote,
		"comment": pg.CanComment, "edit": pg.CanEdit, "withdraw": pg.CanWithdraw, "answer": pg.CanAnswer})
	return j
}

func (s *Server) apiProposals(c *fiber.Ctx) error {
	var q proposalListQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	if q.Sort == "" {
		q.Sort = "random"
	}
	f := q.filter(s.visitorSeed(c), 20)
	f.ConsultationID = c.Params("id")
	list, total, err := s.deps.Participation.ReadProposals(c.UserContext(), userOf(c), f)
	if err != nil {
		return err
	}
	out := listJSON[proposalJSON]{Items: []proposalJSON{}, Total: total, Page: f.Page, PerPage: f.PerPage}
	cons := &mitreden.Consultation{}
	for _, it := range list {
		cons.VotingMode = it.VotingMode
		j := toProposalJSON(it.Proposal, cons, it.MyVote)
		j.Author = s.authorFor(c, it.Proposal.AuthorID, it.Proposal.AuthorName)
		j.Qualified = it.Qualified
		out.Items = append(out.Items, j)
	}
	return sendJSON(c, fiber.StatusOK, out)
}

// apiProposalAnswer answers with the proposal id as the caller sees it.
func (s *Server) apiProposalAnswer(c *fiber.Ctx, status int, id string) error {
	pg, err := s.deps.Participation.ReadProposal(c.UserContext(), userOf(c), id, "")
	if err != nil {
		return err
	}
	if status == fiber.StatusCreated {
		c.Location("/api/v1/proposals/" + id)
	}
	return sendJSON(c, status, s.proposalPageJSON(c, pg))
}

func (s *Server) apiProposalCreate(c *fiber.Ctx) error {
	var req proposalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	pr := &mitreden.Proposal{}
	req.apply(pr)
	if err := s.deps.Participation.CreateProposal(c.UserContext(), userOf(c), c.Params("id"), pr); err != nil {
		return err
	}
	if pr.Held != "" {
		return s.heldJSON(c, mitreden.ItemProposal, pr.ID, pr.Held)
	}
	return s.apiProposalAnswer(c, fiber.StatusCreated, pr.ID)
}

// heldAnswer says that a contribution was accepted and waits for
// moderation before anyone else sees it.
type heldAnswer struct {
	ItemType string `json:"item_type"`
	ID       string `json:"id"`
	Status   string `json:"status"`
	Held     string `json:"held"`
	Message  string `json:"message"`
}

func (s *Server) heldJSON(c *fiber.Ctx, itemType, id, why string) error {
	return sendJSON(c, fiber.StatusAccepted, heldAnswer{ItemType: itemType, ID: id, Status: "pending", Held: why,
		Message: s.cat.T(langOf(c), "moderation.held_notice_"+why, nil)})
}

func (s *Server) apiProposal(c *fiber.Ctx) error {
	return s.apiProposalAnswer(c, fiber.StatusOK, c.Params("id"))
}

func (s *Server) apiProposalUpdate(c *fiber.Ctx) error {
	var req proposalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	pr, _, err := s.deps.Participation.Proposal(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	upd := *pr
	req.apply(&upd)
	if _, err = s.deps.Participation.EditProposal(ctx, userOf(c), pr.ID, upd); err != nil {
		return err
	}
	return s.apiProposalAnswer(c, fiber.StatusOK, pr.ID)
}

func (s *Server) apiProposalAnswerSet(c *fiber.Ctx) error {
	var req answerRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	pr, err := s.deps.Participation.AnswerProposal(c.UserContext(), userOf(c), c.Params("id"), req.Status, req.text())
	if err != nil {
		return err
	}
	return s.apiProposalAnswer(c, fiber.StatusOK, pr.ID)
}

// voteJSON reports a vote's effect.
type voteJSON struct {
	Changed bool           `json:"changed"`
	Value   string         `json:"value,omitempty"`
	Tally   map[string]int `json:"tally"`
}

func (s *Server) apiVote(c *fiber.Ctx) error {
	var req voteRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	return s.voteAnswer(c, func() (*mitreden.VoteResult, error) {
		return s.deps.Participation.Vote(c.UserContext(), userOf(c), c.Params("id"), req.Value)
	})
}

func (s *Server) apiUnvote(c *fiber.Ctx) error {
	return s.voteAnswer(c, func() (*mitreden.VoteResult, error) {
		return s.deps.Participation.Unvote(c.UserContext(), userOf(c), c.Params("id"))
	})
}

func (s *Server) voteAnswer(c *fiber.Ctx, f func() (*mitreden.VoteResult, error)) error {
	res, err := f()
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, voteJSON{Changed: res.Changed, Value: res.Value, Tally: tallyJSON(res.VotingMode, res.Tally)})
}

// commentJSON is a comment in the API; threads come flattened in reading order.
type commentJSON struct {
	ID        string     `json:"id"`
	ParentID  string     `json:"parent_id,omitempty"`
	Depth     int        `json:"depth"`
	Author    authorJSON `json:"author"`
	Body      string     `json:"body"`
	BodyHTML  string     `json:"body_html"`
	Alignment string     `json:"alignment,omitempty"`
	Edited    bool       `json:"edited"`
	Deleted   bool       `json:"deleted"`
	hiddenJSON
	Up        int       `json:"up"`
	Down      int       `json:"down"`
	MyVote    int       `json:"my_vote"`
	CreatedAt time.Time `json:"created_at"`
	Lang      string    `json:"lang"`
	provenanceJSON
	Permissions map[string]permissionJSON `json:"permissions,omitempty"`
}

func (s *Server) commentJSON(c *fiber.Ctx, it *service.CommentItem) commentJSON {
	cm := it.Comment
	j := commentJSON{ID: cm.ID, ParentID: cm.ParentID, Depth: cm.Depth, Author: s.authorFor(c, cm.AuthorID, cm.AuthorName),
		Body: cm.Body, BodyHTML: string(storedHTML(cm.BodyHTML, cm.Body, cm.HTMLVersion)), Alignment: cm.Alignment, Edited: cm.Edited, Deleted: cm.Deleted,
		hiddenJSON: toHiddenJSON(cm.Hidden, cm.Mod), Up: cm.Up, Down: cm.Down, MyVote: it.MyVote, CreatedAt: cm.CreatedAt, Lang: cm.Lang,
		provenanceJSON: toProvenanceJSON(cm.Prov)}
	if cm.Deleted || it.Redacted {
		j.BodyHTML = ""
	}
	j.Permissions = s.permissionsJSON(c, map[string]mitreden.Permission{"edit": it.CanEdit, "delete": it.CanDelete,
		"reply": it.CanReply, "vote": it.CanVote})
	return j
}

func flattenComments(items []*service.CommentItem, into []*service.CommentItem) []*service.CommentItem {
	for _, it := range items {
		into = append(into, it)
		into = flattenComments(it.Replies, into)
	}
	return into
}

// discussionQuery orders a discussion and picks a page of it: per_page
// top-level comments, each followed by its replies.
type discussionQuery struct {
	Sort    string `query:"sort" validate:"omitempty,comment_order"`
	Page    int    `query:"page"`
	PerPage int    `query:"per_page"`
}

func (s *Server) apiComments(targetType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var q discussionQuery
		if err := s.parseQuery(c, &q); err != nil {
			return err
		}
		d, err := s.deps.Participation.ReadDiscussionPage(c.UserContext(), userOf(c), targetType, c.Params("id"),
			service.DiscussionQuery{Order: q.Sort, Page: q.Page, PerPage: q.PerPage})
		if err != nil {
			return err
		}
		// Pages are made of top-level comments; total counts them, and
		// items hold each followed by its replies.
		list := flattenComments(d.Comments, nil)
		out := listJSON[commentJSON]{Items: []commentJSON{}, Total: d.TopTotal, Page: d.Page, PerPage: d.PerPage}
		for _, it := range list {
			out.Items = append(out.Items, s.commentJSON(c, it))
		}
		return sendJSON(c, fiber.StatusOK, out)
	}
}

func (s *Server) apiCommentCreate(targetType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req commentRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return err
		}
		cm, err := s.deps.Participation.AddComment(c.UserContext(), userOf(c), targetType, c.Params("id"),
			mitreden.Comment{Body: req.Body, ParentID: req.ParentID, Alignment: req.Alignment, Lang: req.Lang})
		if err != nil {
			return err
		}
		if cm.Held != "" {
			return s.heldJSON(c, mitreden.ItemComment, cm.ID, cm.Held)
		}
		it, err := s.deps.Participation.NewCommentItem(c.UserContext(), userOf(c), cm)
		if err != nil {
			return err
		}
		return sendJSON(c, fiber.StatusCreated, s.commentJSON(c, it))
	}
}

func (s *Server) apiCommentUpdate(c *fiber.Ctx) error {
	var req commentEditRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	it, err := s.deps.Participation.EditComment(c.UserContext(), userOf(c), c.Params("id"), req.Body)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, s.commentJSON(c, it))
}

func (s *Server) apiCommentDelete(c *fiber.Ctx) error {
	if err := s.deps.Participation.DeleteComment(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiCommentVote(c *fiber.Ctx) error {
	var req commentVoteRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	it, err := s.deps.Participation.VoteComment(c.UserContext(), userOf(c), c.Params("id"), req.Value)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, s.commentJSON(c, it))
}

func (s *Server) apiCommentUnvote(c *fiber.Ctx) error {
	it, err := s.deps.Participation.VoteComment(c.UserContext(), userOf(c), c.Params("id"), 0)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, s.commentJSON(c, it))
}
