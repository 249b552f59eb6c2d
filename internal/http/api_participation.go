package http

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/markdown"
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
}

func (s *Server) toConsultationJSON(c *mitreden.Consultation) consultationJSON {
	j := consultationJSON{ID: c.ID, Title: c.Title, Summary: c.Summary, Body: c.Body, BodyHTML: string(markdown.Render(c.Body)),
		Topics: nonNilStrings(c.Topics), Region: c.Region, OpensAt: c.OpensAt, ClosesAt: c.ClosesAt,
		Phase: string(c.Phase(s.deps.Participation.Now())), VotingMode: c.VotingMode, MaxSupports: c.MaxSupports,
		SupportThreshold: c.SupportThreshold, ProposalsEnabled: c.ProposalsEnabled, CommentsEnabled: c.CommentsEnabled,
		PreModeration: c.PreModeration, Results: c.Results, ProposalCount: c.ProposalCount, CommentCount: c.CommentCount, CreatedAt: c.CreatedAt}
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

// consultationRequest creates or (with pointers left nil) patches a consultation.
type consultationRequest struct {
	Title            *string    `json:"title" validate:"omitempty,max=300"`
	Summary          *string    `json:"summary" validate:"omitempty,max=1000"`
	Body             *string    `json:"body" validate:"omitempty,max=60000"`
	Topics           *[]string  `json:"topics" validate:"omitempty,max=20,dive,max=80"`
	Region           *string    `json:"region" validate:"omitempty,max=200"`
	OpensAt          *time.Time `json:"opens_at"`
	ClosesAt         *time.Time `json:"closes_at"`
	VotingMode       *string    `json:"voting_mode" validate:"omitempty,oneof=support rating"`
	MaxSupports      *int       `json:"max_supports"`
	SupportThreshold *int       `json:"support_threshold"`
	ProposalsEnabled *bool      `json:"proposals_enabled"`
	CommentsEnabled  *bool      `json:"comments_enabled"`
	PreModeration    *bool      `json:"pre_moderation"`
}

func (r *consultationRequest) apply(c *mitreden.Consultation) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Title, r.Title)
	set(&c.Summary, r.Summary)
	set(&c.Body, r.Body)
	set(&c.Region, r.Region)
	set(&c.VotingMode, r.VotingMode)
	if r.Topics != nil {
		c.Topics = *r.Topics
	}
	if r.OpensAt != nil {
		c.OpensAt = r.OpensAt.UTC()
	}
	if r.ClosesAt != nil {
		c.ClosesAt = r.ClosesAt.UTC()
	}
	if r.MaxSupports != nil {
		c.MaxSupports = *r.MaxSupports
	}
	if r.SupportThreshold != nil {
		c.SupportThreshold = *r.SupportThreshold
	}
	if r.ProposalsEnabled != nil {
		c.ProposalsEnabled = *r.ProposalsEnabled
	}
	if r.CommentsEnabled != nil {
		c.CommentsEnabled = *r.CommentsEnabled
	}
	if r.PreModeration != nil {
		c.PreModeration = *r.PreModeration
	}
}

func (s *Server) apiConsultations(c *fiber.Ctx) error {
	page, per := mitreden.NormalizePage(c.QueryInt("page", 1), c.QueryInt("per_page", 20))
	f := mitreden.ConsultationFilter{Phase: mitreden.Phase(c.Query("phase")), Topic: c.Query("topic"), Region: c.Query("region"), Page: page, PerPage: per}
	if f.Phase != "" && !slices.Contains(mitreden.Phases, f.Phase) {
		return mitreden.Invalid(mitreden.FieldError{Field: "phase", Code: "oneof", Message: "validation.oneof"})
	}
	list, total, err := s.deps.Participation.Consultations(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := listJSON[consultationJSON]{Items: []consultationJSON{}, Total: total, Page: page, PerPage: per}
	for _, x := range list {
		out.Items = append(out.Items, s.toConsultationJSON(x))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiConsultationCreate(c *fiber.Ctx) error {
	var req consultationRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	cons := &mitreden.Consultation{VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	req.apply(cons)
	if err := s.deps.Participation.CreateConsultation(c.UserContext(), userOf(c), cons); err != nil {
		return err
	}
	c.Location("/api/v1/consultations/" + cons.ID)
	return sendJSON(c, fiber.StatusCreated, s.toConsultationJSON(cons))
}

func (s *Server) apiConsultation(c *fiber.Ctx) error {
	cons, err := s.deps.Participation.Consultation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, s.toConsultationJSON(cons))
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
	req.apply(cons)
	if err := s.deps.Participation.UpdateConsultation(c.UserContext(), userOf(c), cons); err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, s.toConsultationJSON(cons))
}

// authorJSON names the public author of a contribution.
type authorJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

// answerJSON is the official answer to a proposal.
type answerJSON struct {
	Text            string    `json:"text"`
	HTML            string    `json:"html"`
	AnsweredBy      string    `json:"answered_by"`
	AnsweredAt      time.Time `json:"answered_at"`
	ResponseSeconds int64     `json:"response_seconds"`
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
}

func tallyJSON(mode string, t mitreden.Tally) map[string]int {
	if mode == mitreden.VotingRating {
		return map[string]int{"yes": t.Yes, "no": t.No, "abstain": t.Abstain}
	}
	return map[string]int{"support": t.Support}
}

func toProposalJSON(p *mitreden.Proposal, c *mitreden.Consultation, myVote string) proposalJSON {
	j := proposalJSON{ID: p.ID, ConsultationID: p.ConsultationID, Title: p.Title, Body: p.Body, BodyHTML: string(markdown.Render(p.Body)),
		Topics: nonNilStrings(p.Topics), Status: p.Status, Author: authorJSON{ID: p.AuthorID, DisplayName: p.AuthorName},
		Tally: tallyJSON(c.VotingMode, p.Tally), CommentCount: p.CommentCount,
		AlignmentCounts: map[string]int{"for": p.For, "against": p.Against, "neutral": p.Neutral},
		Qualified:       p.Qualified(c), MyVote: myVote, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if !p.AnsweredAt.IsZero() {
		j.Answer = &answerJSON{Text: p.Answer, HTML: string(markdown.Render(p.Answer)), AnsweredBy: p.AnsweredBy, AnsweredAt: p.AnsweredAt,
			ResponseSeconds: p.ResponseSeconds}
	}
	return j
}

func (s *Server) apiProposals(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cons, err := s.deps.Participation.Consultation(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	page, per := mitreden.NormalizePage(c.QueryInt("page", 1), c.QueryInt("per_page", 20))
	sort := c.Query("sort")
	if sort == "" {
		sort = "random"
	}
	list, total, err := s.deps.Participation.Proposals(ctx, mitreden.ProposalFilter{ConsultationID: cons.ID, Status: c.Query("status"),
		Topic: c.Query("topic"), Sort: sort, Seed: s.visitorSeed(c), Page: page, PerPage: per})
	if err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	votes, err := s.deps.Participation.MyVotes(ctx, userOf(c), ids)
	if err != nil {
		return err
	}
	out := listJSON[proposalJSON]{Items: []proposalJSON{}, Total: total, Page: page, PerPage: per}
	for _, p := range list {
		out.Items = append(out.Items, toProposalJSON(p, cons, votes[p.ID]))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

// proposalRequest creates or edits a proposal.
type proposalRequest struct {
	Title  *string   `json:"title" validate:"omitempty,max=300"`
	Body   *string   `json:"body" validate:"omitempty,max=20000"`
	Topics *[]string `json:"topics" validate:"omitempty,max=20,dive,max=80"`
}

func (r *proposalRequest) apply(p *mitreden.Proposal) {
	if r.Title != nil {
		p.Title = *r.Title
	}
	if r.Body != nil {
		p.Body = *r.Body
	}
	if r.Topics != nil {
		p.Topics = *r.Topics
	}
}

func (s *Server) apiProposalCreate(c *fiber.Ctx) error {
	var req proposalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	pr := &mitreden.Proposal{}
	req.apply(pr)
	if err := s.deps.Participation.CreateProposal(ctx, userOf(c), c.Params("id"), pr); err != nil {
		return err
	}
	pr, cons, err := s.deps.Participation.Proposal(ctx, pr.ID)
	if err != nil {
		return err
	}
	c.Location("/api/v1/proposals/" + pr.ID)
	return sendJSON(c, fiber.StatusCreated, toProposalJSON(pr, cons, ""))
}

func (s *Server) apiProposal(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pr, cons, err := s.deps.Participation.Proposal(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	votes, err := s.deps.Participation.MyVotes(ctx, userOf(c), []string{pr.ID})
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toProposalJSON(pr, cons, votes[pr.ID]))
}

func (s *Server) apiProposalUpdate(c *fiber.Ctx) error {
	var req proposalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	pr, cons, err := s.deps.Participation.Proposal(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	upd := *pr
	req.apply(&upd)
	if pr, err = s.deps.Participation.EditProposal(ctx, userOf(c), pr.ID, upd); err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toProposalJSON(pr, cons, ""))
}

// answerRequest is an official answer.
type answerRequest struct {
	Status string `json:"status" validate:"required,oneof=in_review accepted rejected implemented"`
	Answer string `json:"answer" validate:"max=20000"`
}

func (s *Server) apiProposalAnswer(c *fiber.Ctx) error {
	var req answerRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	pr, err := s.deps.Participation.AnswerProposal(ctx, userOf(c), c.Params("id"), req.Status, req.Answer)
	if err != nil {
		return err
	}
	cons, err := s.deps.Participation.Consultation(ctx, pr.ConsultationID)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toProposalJSON(pr, cons, ""))
}

// voteRequest is a vote value.
type voteRequest struct {
	Value string `json:"value" validate:"required,oneof=support yes no abstain"`
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
	_, cons, err := s.deps.Participation.Proposal(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, voteJSON{Changed: res.Changed, Value: res.Value, Tally: tallyJSON(cons.VotingMode, res.Tally)})
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
	Up        int        `json:"up"`
	Down      int        `json:"down"`
	MyVote    int        `json:"my_vote"`
	CreatedAt time.Time  `json:"created_at"`
}

func toCommentJSON(cm *mitreden.Comment, myVote int) commentJSON {
	j := commentJSON{ID: cm.ID, ParentID: cm.ParentID, Depth: cm.Depth, Author: authorJSON{ID: cm.AuthorID, DisplayName: cm.AuthorName},
		Body: cm.Body, BodyHTML: string(markdown.Render(cm.Body)), Alignment: cm.Alignment, Edited: cm.Edited, Deleted: cm.Deleted,
		Up: cm.Up, Down: cm.Down, MyVote: myVote, CreatedAt: cm.CreatedAt}
	if cm.Deleted {
		j.Author, j.BodyHTML = authorJSON{}, ""
	}
	return j
}

func flatten(threads []*service.CommentThread, into []*mitreden.Comment) []*mitreden.Comment {
	for _, t := range threads {
		into = append(into, t.Comment)
		into = flatten(t.Replies, into)
	}
	return into
}

func (s *Server) apiComments(targetType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		id := c.Params("id")
		var err error
		if targetType == "proposal" {
			_, _, err = s.deps.Participation.Proposal(ctx, id)
		} else {
			_, err = s.deps.Participation.Consultation(ctx, id)
		}
		if err != nil {
			return err
		}
		threads, _, err := s.deps.Participation.Comments(ctx, targetType, id, commentSort(c.Query("sort")))
		if err != nil {
			return err
		}
		list := flatten(threads, nil)
		votes, err := s.deps.Participation.CommentVotes(ctx, userOf(c), commentIDs(threads, nil))
		if err != nil {
			return err
		}
		per := len(list)
		if per == 0 {
			per = 1
		}
		out := listJSON[commentJSON]{Items: []commentJSON{}, Total: len(list), Page: 1, PerPage: per}
		u := userOf(c)
		mod := u.HasRole(mitreden.RoleModerator) || u.HasRole(mitreden.RoleAdmin)
		for _, cm := range list {
			j := toCommentJSON(cm, votes[cm.ID])
			if cm.Hidden && !mod {
				j.Body, j.BodyHTML, j.Alignment, j.Author = "", "", "", authorJSON{}
			}
			out.Items = append(out.Items, j)
		}
		return sendJSON(c, fiber.StatusOK, out)
	}
}

// commentRequest creates a comment.
type commentRequest struct {
	Body      string `json:"body" validate:"max=6000"`
	ParentID  string `json:"parent_id" validate:"max=64"`
	Alignment string `json:"alignment" validate:"omitempty,oneof=for against neutral"`
}

func (s *Server) apiCommentCreate(targetType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req commentRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return err
		}
		cm, err := s.deps.Participation.AddComment(c.UserContext(), userOf(c), targetType, c.Params("id"),
			mitreden.Comment{Body: req.Body, ParentID: req.ParentID, Alignment: req.Alignment})
		if err != nil {
			return err
		}
		return sendJSON(c, fiber.StatusCreated, toCommentJSON(cm, 0))
	}
}

// commentEditRequest edits a comment.
type commentEditRequest struct {
	Body string `json:"body" validate:"required,max=6000"`
}

func (s *Server) apiCommentUpdate(c *fiber.Ctx) error {
	var req commentEditRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	cm, err := s.deps.Participation.EditComment(c.UserContext(), userOf(c), c.Params("id"), req.Body)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toCommentJSON(cm, 0))
}

func (s *Server) apiCommentDelete(c *fiber.Ctx) error {
	if err := s.deps.Participation.DeleteComment(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// commentVoteRequest is an up (1) or down (-1) vote.
type commentVoteRequest struct {
	Value int `json:"value" validate:"oneof=1 -1"`
}

func (s *Server) apiCommentVote(c *fiber.Ctx) error {
	var req commentVoteRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	cm, err := s.deps.Participation.VoteComment(c.UserContext(), userOf(c), c.Params("id"), req.Value)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toCommentJSON(cm, req.Value))
}

func (s *Server) apiCommentUnvote(c *fiber.Ctx) error {
	cm, err := s.deps.Participation.VoteComment(c.UserContext(), userOf(c), c.Params("id"), 0)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toCommentJSON(cm, 0))
}
