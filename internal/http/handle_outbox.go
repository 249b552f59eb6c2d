package http

import (
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The outbox: the mails the platform sent or queued, for admins. In the
// embedded mode (no MITREDEN_SMTP_URL) nothing leaves the server and this
// is where testers read mails and click their links; with SMTP it shows
// recipients, subjects and times only.

func (s *Server) outboxRoutes() {
	admin := s.requireRole(mitreden.RoleAdmin)
	s.add("GET", "/admin/outbox", admin, s.handleAdminOutbox)
	s.add("POST", "/admin/outbox/test", admin, s.handleAdminOutboxTest)
	s.add("GET", "/admin/outbox/:id", admin, s.handleAdminOutboxMail)
	s.add("GET", "/api/v1/admin/outbox", s.apiRequireRole(mitreden.RoleAdmin), s.apiAdminOutbox)
}

// outboxQuery picks a page of the outbox.
type outboxQuery struct {
	Page    int `query:"page"`
	PerPage int `query:"per_page"`
}

func (s *Server) handleAdminOutbox(c *fiber.Ctx) error {
	var q outboxQuery
	_ = s.parseQuery(c, &q) // a page number typed by hand falls back to the first
	out, err := s.deps.Outbox.Outbox(c.UserContext(), userOf(c), q.Page, 50)
	if err != nil {
		return err
	}
	p := s.page(c, "admin.outbox.title")
	p.Path = "/admin/outbox"
	p.Data = fiber.Map{"Outbox": out, "Email": userOf(c).Email}
	p.Pager = newPager(c, out.Page, out.PerPage, out.Total)
	return s.render(c, fiber.StatusOK, "admin/outbox", p)
}

func (s *Server) handleAdminOutboxMail(c *fiber.Ctx) error {
	m, err := s.deps.Outbox.OutboxMail(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	p := s.page(c, "admin.outbox.mail_title")
	p.Path = "/admin/outbox"
	p.Data = fiber.Map{"Mail": m, "Lines": mailTextLines(m.Text), "KeepsBodies": s.deps.Outbox.KeepsBodies()}
	return s.render(c, fiber.StatusOK, "admin/outbox_mail", p)
}

func (s *Server) handleAdminOutboxTest(c *fiber.Ctx) error {
	if err := s.deps.Outbox.SendTestMail(c.UserContext(), userOf(c)); err != nil {
		return err
	}
	s.flash(c, "admin.outbox.test_sent")
	return c.Redirect("/admin/outbox", fiber.StatusSeeOther)
}

// outboxMailJSON is one mail of the outbox in the API.
type outboxMailJSON struct {
	ID          string `json:"id"`
	To          string `json:"to"`
	Subject     string `json:"subject"`
	Text        string `json:"text"`
	Unsubscribe string `json:"unsubscribe,omitempty"`
	CreatedAt   string `json:"created_at"`
	SentAt      string `json:"sent_at,omitempty"`
}

func (s *Server) apiAdminOutbox(c *fiber.Ctx) error {
	var q outboxQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	out, err := s.deps.Outbox.Outbox(c.UserContext(), userOf(c), q.Page, q.PerPage)
	if err != nil {
		return err
	}
	res := listJSON[outboxMailJSON]{Items: []outboxMailJSON{}, Total: out.Total, Page: out.Page, PerPage: out.PerPage}
	for _, m := range out.Mails {
		j := outboxMailJSON{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, Unsubscribe: m.Unsubscribe,
			CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339)}
		if !m.SentAt.IsZero() {
			j.SentAt = m.SentAt.UTC().Format(time.RFC3339)
		}
		res.Items = append(res.Items, j)
	}
	return sendJSON(c, fiber.StatusOK, res)
}

// linkPattern finds http(s) links in a mail's text.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// mailTextLines splits a mail's text into lines of parts, its http(s)
// links apart, so the outbox page makes them clickable; unlike linkLines it
// keeps blank lines and spacing (html/template escapes every part;
// trailing punctuation stays text).
func mailTextLines(text string) [][]textPart {
	var out [][]textPart
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		var pieces []textPart
		rest := line
		for {
			loc := linkPattern.FindStringIndex(rest)
			if loc == nil {
				break
			}
			u := strings.TrimRight(rest[loc[0]:loc[1]], ".,;:!?)»“\"'")
			if loc[0] > 0 {
				pieces = append(pieces, textPart{Text: rest[:loc[0]]})
			}
			pieces = append(pieces, textPart{Text: u, Href: u})
			rest = rest[loc[0]+len(u):]
		}
		if rest != "" || len(pieces) == 0 {
			pieces = append(pieces, textPart{Text: rest})
		}
		out = append(out, pieces)
	}
	return out
}
