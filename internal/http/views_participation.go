package http

import (
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// permView is a permission as a page shows it.
type permView struct {
	// OK admits the action.
	OK bool
	// Login is set when only a login is missing: the page offers one.
	Login bool
	// Note is the translated reason of any other refusal.
	Note string
}

func (s *Server) perm(p *Page, pm mitreden.Permission) permView {
	if pm.Allowed() {
		return permView{OK: true}
	}
	if pm.Denied.Code == mitreden.EUNAUTHORIZED {
		return permView{Login: true}
	}
	return permView{Note: s.cat.T(p.Lang, pm.Denied.Message, pm.Denied.Args)}
}

// consultationView is a consultation as pages show it.
type consultationView struct {
	*mitreden.Consultation
	Phase       string
	BodyHTML    template.HTML
	ResultsHTML template.HTML
	CanPropose  permView
	CanComment  permView
	CanManage   bool
}

func (s *Server) consultationView(p *Page, it *service.ConsultationItem) *consultationView {
	c := it.Consultation
	return &consultationView{Consultation: c, Phase: string(it.Phase),
		BodyHTML: storedHTML(c.BodyHTML, c.Body, c.HTMLVersion), ResultsHTML: storedHTML(c.ResultsHTML, c.Results, c.HTMLVersion),
		CanPropose: s.perm(p, it.CanPropose), CanComment: s.perm(p, it.CanComment), CanManage: it.CanManage.Allowed()}
}

// proposalView is a proposal as pages show it, with what the viewer may do.
type proposalView struct {
	*mitreden.Proposal
	// The fields each card shows are copied beside the embedded proposal:
	// html/template looks a field up by name on every access, and through
	// an embedded struct that search took an eighth of a consultation page.
	ID, Title, AuthorName, Status string
	CreatedAt                     time.Time
	CommentCount                  int
	ConsultationTitle             string
	VotingMode                    string
	Support, Yes                  int
	No, Abstain                   int
	BodyHTML                      template.HTML
	AnswerHTML                    template.HTML
	Answered                      bool
	Qualified                     bool
	MyVote                        string
	CanVote                       permView
	CanUnvote                     bool
	CanEdit                       bool
	CanWithdraw                   bool
	CanAnswer                     bool
	// Excerpt is the start of the body as plain text (lists only).
	Excerpt string
	// Threshold is the consultation's support threshold (0: none) and
	// Toward the votes that count towards it.
	Threshold, Toward int
	// ConsultationLang is the language of ConsultationTitle, where a
	// list shows it.
	ConsultationLang string
	// Mod is what moderation decided: a hidden proposal shows as a
	// placeholder (Redacted) to all but moderators, who see it marked.
	Mod       modView
	Redacted  bool
	CanReport bool
	CanAppeal bool
	History   []*mitreden.ModerationAction
}

// modView is an item's moderation state as pages show it.
type modView struct {
	Hidden, Auto, Review bool
	Reason               string
	ReleasedAt           time.Time
}

func modOf(hidden bool, m mitreden.ItemModeration) modView {
	return modView{Hidden: hidden, Auto: m.Auto, Review: m.Review, Reason: m.Reason, ReleasedAt: m.ReleasedAt}
}

func (s *Server) proposalItemView(it *service.ProposalItem, consultationTitle string) *proposalView {
	pr := it.Proposal
	return &proposalView{Proposal: pr, ID: pr.ID, Title: pr.Title, AuthorName: pr.AuthorName, Status: pr.Status,
		CreatedAt: pr.CreatedAt, CommentCount: pr.CommentCount, ConsultationTitle: consultationTitle, VotingMode: it.VotingMode,
		Support: pr.Tally.Support, Yes: pr.Tally.Yes, No: pr.Tally.No, Abstain: pr.Tally.Abstain,
		BodyHTML: storedHTML(pr.BodyHTML, pr.Body, pr.HTMLVersion), AnswerHTML: storedHTML(pr.AnswerHTML, pr.Answer, pr.HTMLVersion),
		Answered:  !pr.AnsweredAt.IsZero(),
		Qualified: it.Qualified, MyVote: it.MyVote, Threshold: it.Threshold, Toward: pr.ThresholdVotes(),
		Mod: modOf(pr.Hidden, pr.Mod), Redacted: it.Redacted}
}

// listItemView is a proposal as a card in a list shows it: with an excerpt.
func (s *Server) listItemView(it *service.ProposalItem, consultationTitle string) *proposalView {
	v := s.proposalItemView(it, consultationTitle)
	v.Excerpt = bodyExcerpt(it.BodyHTML, it.Body, it.HTMLVersion, proposalExcerptRunes)
	return v
}

// proposalExcerptRunes is about two lines of a card at 1280 pixels.
const proposalExcerptRunes = 160

// excerptSource bounds the HTML an excerpt is taken from: a body of 10,000
// characters need not be stripped whole for its first 160.
const excerptSource = 2048

// bodyExcerpt is the start of a text as plain text, at most n characters,
// cut at a word. It takes the stored HTML (the Markdown source where that
// is outdated), stripped of markup, never rendering on the read.
func bodyExcerpt(html, src string, version, n int) string {
	if version != markdown.Version {
		return excerpt(strings.NewReplacer("#", "", "*", "", "_", "", "`", "", ">", "").Replace(src), n)
	}
	if len(html) > excerptSource {
		// Cut after a whole tag, so no half tag or entity is left.
		html = html[:excerptSource]
		if i := strings.LastIndexByte(html, '>'); i > 0 {
			html = html[:i+1]
		}
	}
	return excerpt(markdown.TextOfHTML(html), n)
}

func (s *Server) proposalPageView(p *Page, pg *service.ProposalPage) *proposalView {
	v := s.proposalItemView(&pg.ProposalItem, pg.Consultation.Title)
	v.CanVote, v.CanUnvote = s.perm(p, pg.CanVote), pg.CanUnvote.Allowed()
	v.CanEdit, v.CanWithdraw, v.CanAnswer = pg.CanEdit.Allowed(), pg.CanWithdraw.Allowed(), pg.CanAnswer.Allowed()
	v.CanReport, v.CanAppeal, v.History = pg.CanReport.Allowed(), pg.CanAppeal.Allowed(), pg.History
	return v
}

// commentView is one comment with its replies and what the viewer may do.
// Its fields are copied rather than embedded: html/template looks a field
// up by name on every access, and through embedded structs that search cost
// a fifth of a long thread's page.
type commentView struct {
	ID, AuthorName, Body, Alignment string
	// Lang is the language of Body.
	Lang                      string
	BodyHTML                  template.HTML
	CreatedAt                 time.Time
	Edited, Deleted, Redacted bool
	Up, Down, MyVote          int
	Replies                   []*commentView
	CanEdit                   bool
	CanDelete                 bool
	CanReply                  bool
	CanVote                   bool
	CanReport, CanAppeal      bool
	Mod                       modView
	History                   []*mitreden.ModerationAction
	// CitedIn are the published recommendations citing the comment.
	CitedIn []mitreden.Citation
	// Prov is set on a comment staff entered on a person's behalf.
	Prov *mitreden.Provenance
}

func (s *Server) commentViews(items []*service.CommentItem) []*commentView {
	out := make([]*commentView, 0, len(items))
	for _, it := range items {
		out = append(out, &commentView{ID: it.ID, AuthorName: it.AuthorName, Body: it.Body, Alignment: it.Alignment, Lang: it.Lang,
			CreatedAt: it.CreatedAt, Edited: it.Edited, Deleted: it.Deleted, Redacted: it.Redacted, Up: it.Up, Down: it.Down, MyVote: it.MyVote,
			BodyHTML: storedHTML(it.BodyHTML, it.Body, it.HTMLVersion), Replies: s.commentViews(it.Replies),
			CanEdit: it.CanEdit.Allowed(), CanDelete: it.CanDelete.Allowed(), CanReply: it.CanReply.Allowed(), CanVote: it.CanVote.Allowed(),
			CanReport: it.CanReport.Allowed(), CanAppeal: it.CanAppeal.Allowed(), Mod: modOf(it.Hidden, it.Mod), History: it.History,
			CitedIn: it.CitedIn, Prov: it.Prov})
	}
	return out
}

// storedHTML is the HTML rendered from src when src was written; reads
// never render. An item whose HTML another renderer version made, or none
// (data of an older release), shows src escaped until the start-up backfill
// (service.BackfillHTML) reaches it: never HTML of a sanitizer that may
// since have been fixed.
func storedHTML(html, src string, version int) template.HTML {
	if version == markdown.Version {
		return template.HTML(html) //nolint:gosec // sanitized when written
	}
	if src == "" {
		return ""
	}
	return template.HTML("<p>" + strings.ReplaceAll(template.HTMLEscapeString(src), "\n", "<br>\n") + "</p>") //nolint:gosec // escaped
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
