package http

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// consultationView is a consultation as pages show it.
type consultationView struct {
	*mitreden.Consultation
	Phase       string
	BodyHTML    template.HTML
	ResultsHTML template.HTML
}

func (s *Server) consultationView(c *mitreden.Consultation) *consultationView {
	return &consultationView{Consultation: c, Phase: string(c.Phase(s.deps.Participation.Now())),
		BodyHTML: markdown.Render(c.Body), ResultsHTML: markdown.Render(c.Results)}
}

// proposalView is a proposal as pages show it, with what the viewer may do.
type proposalView struct {
	*mitreden.Proposal
	ConsultationTitle string
	VotingMode        string
	Support, Yes      int
	No, Abstain       int
	BodyHTML          template.HTML
	AnswerHTML        template.HTML
	Answered          bool
	Qualified         bool
	MyVote            string
	CanEdit           bool
	CanWithdraw       bool
	CanAnswer         bool
}

func (s *Server) proposalView(u *mitreden.User, p *mitreden.Proposal, c *mitreden.Consultation, myVote string) *proposalView {
	now := s.deps.Participation.Now()
	return &proposalView{Proposal: p, ConsultationTitle: c.Title, VotingMode: c.VotingMode,
		Support: p.Tally.Support, Yes: p.Tally.Yes, No: p.Tally.No, Abstain: p.Tally.Abstain,
		BodyHTML: markdown.Render(p.Body), AnswerHTML: markdown.Render(p.Answer), Answered: !p.AnsweredAt.IsZero(),
		Qualified: p.Qualified(c), MyVote: myVote,
		CanEdit:     service.CanEditProposal(u, p, c, now),
		CanWithdraw: u != nil && u.ID == p.AuthorID && (p.Status == mitreden.StatusSubmitted || p.Status == mitreden.StatusInReview),
		CanAnswer:   u.HasRole(mitreden.RoleAdmin) && p.Status != mitreden.StatusWithdrawn}
}

// commentView is one comment with its replies and what the viewer may do.
type commentView struct {
	*mitreden.Comment
	BodyHTML  template.HTML
	Replies   []*commentView
	MyVote    int
	CanEdit   bool
	CanDelete bool
	CanReply  bool
}

func (s *Server) commentViews(u *mitreden.User, threads []*service.CommentThread, votes map[string]int) []*commentView {
	now := s.deps.Participation.Now()
	out := make([]*commentView, 0, len(threads))
	mod := u.HasRole(mitreden.RoleModerator) || u.HasRole(mitreden.RoleAdmin)
	for _, t := range threads {
		mine := u != nil && u.ID == t.AuthorID && !t.Deleted
		cm := t.Comment
		if cm.Hidden && !mod {
			c := *cm
			c.Body, c.AuthorName, c.Alignment = "", "", ""
			cm = &c
			mine = false
		}
		out = append(out, &commentView{Comment: cm, BodyHTML: markdown.Render(cm.Body),
			Replies: s.commentViews(u, t.Replies, votes), MyVote: votes[t.ID],
			CanEdit: mine && now.Sub(t.CreatedAt) <= mitreden.CommentEditFor, CanDelete: mine,
			CanReply: !t.Deleted && t.Depth < mitreden.CommentMaxDepth})
	}
	return out
}

func commentIDs(threads []*service.CommentThread, into []string) []string {
	for _, t := range threads {
		into = append(into, t.ID)
		into = commentIDs(t.Replies, into)
	}
	return into
}

// visitorSeed gives each visitor a stable random order of proposals: it is
// derived from the session, or from the CSRF seed cookie for anonymous visitors.
func (s *Server) visitorSeed(c *fiber.Ctx) int64 {
	key := s.csrfSeed(c)
	if sess := sessionOf(c); sess != nil {
		key = sess.ID
	}
	var h uint64 = 1469598103934665603
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return int64(h >> 2)
}

// splitTopics turns "a, b" into a topic list.
func splitTopics(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// parseLocal reads a datetime-local value as Europe/Berlin time.
func parseLocal(v string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(v), berlin); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func formatLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(berlin).Format("2006-01-02T15:04")
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return def
}
