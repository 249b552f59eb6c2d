package http

import (
	"errors"
	"io/fs"
	nethttp "net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/web"
)

// berlin is the zone times are shown in.
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// Page is the view model every template gets. Data holds the page's own model.
type Page struct {
	Lang  string
	Title string
	// TitleLang is the language of Title when it is a contribution's
	// title ("" otherwise); the <title> is marked when it differs.
	TitleLang string
	Path      string
	// Return is where the language switch and the verification notice
	// lead back to: this page, or after a form was sent the page it was
	// sent from (a form's own address may answer only POST).
	Return      string
	User        *mitreden.User
	SessionID   string
	CSRF        string
	Flash       string
	Errors      []ViewError
	Values      map[string]string
	SearchQuery string
	NavLinks    []NavLink
	Pager       *Pager
	Data        any
	// ErrorsAt names the form that shows the error summary itself (a
	// comment form's id); empty: wherever the page puts partials/errors.
	ErrorsAt string
	// SessionEnds is when the session ends unless a request comes first
	// (zero when logged out), and SessionLeft how long that is from now:
	// forms say until when they stay valid.
	SessionEnds time.Time
	SessionLeft time.Duration
	// Unread is the number of the viewer's unread notifications, which
	// the header shows (0 for visitors); Notifications tells whether the
	// server has them.
	Unread        int
	Notifications bool
	// Confirm is a one-time confirmation that belongs next to an item, not
	// at the top: ConfirmAt names the item ("vote", "comment-ID"), and the
	// template that shows it there gives it the id "confirmation", which the
	// redirect's fragment moves the focus to.
	Confirm, ConfirmAt string

	cat *Catalog
}

// ViewError is one translated error, linked to its input by Field.
type ViewError struct {
	Field   string
	Message string
}

// NavLink is an entry of the main navigation.
type NavLink struct {
	Href, Label string
	Current     bool
}

// Pager describes page navigation for a list.
type Pager struct {
	Page, Pages int
	base        string
	query       url.Values
}

// Href returns the link to page n keeping the other query parameters.
func (p *Pager) Href(n int) string {
	q := url.Values{}
	for k, v := range p.query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(n))
	return p.base + "?" + q.Encode()
}

// Tr translates key with optional "name", value pairs.
func (p *Page) Tr(key string, kv ...any) string { return p.cat.T(p.Lang, key, pairsToMap(kv)) }

// Value returns a submitted or prefilled form value.
func (p *Page) Value(name string) string { return p.Values[name] }

// FieldError returns the translated error of a field, or "".
func (p *Page) FieldError(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Count translates a count with the key's ".one" or ".other" form.
func (p *Page) Count(key string, n int) string { return countLabel(p, key, n) }

// BlockNote tells a blocked person on every page why and until when they
// cannot write ("" when not blocked).
func (p *Page) BlockNote() string {
	u := p.User
	if !u.BlockedAt(time.Now()) {
		return ""
	}
	if u.BlockedUntil.IsZero() {
		return p.Tr(mitreden.ReasonBlocked, "reason", u.BlockReason)
	}
	return p.Tr(mitreden.ReasonBlockedUntil, "reason", u.BlockReason, "until", u.BlockedUntil)
}

// FormatTime shows t in Europe/Berlin in the page's language.
func (p *Page) FormatTime(t time.Time) string { return formatTime(p.Lang, t) }

// formatTime shows t in Europe/Berlin as people write it in lang.
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.In(berlin).Format("2 Jan 2006, 15:04")
	}
	return t.In(berlin).Format("02.01.2006, 15:04") + " Uhr"
}

// FormatDate shows the date of t in Europe/Berlin.
func (p *Page) FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if p.Lang == "en" {
		return t.In(berlin).Format("2 Jan 2006")
	}
	return t.In(berlin).Format("02.01.2006")
}

// phaseBadge picks the KERN badge variant of a consultation phase.
func phaseBadge(phase string) string {
	switch phase {
	case "open":
		return "success"
	case "upcoming":
		return "info"
	case "evaluated":
		return "info"
	}
	return "warning"
}

// statusBadge picks the KERN badge variant of a proposal status.
func statusBadge(status string) string {
	switch status {
	case "accepted", "implemented":
		return "success"
	case "rejected", "withdrawn":
		return "danger"
	case "in_review":
		return "warning"
	}
	return "info"
}

// alignBadge picks the KERN badge variant of a comment's alignment.
func alignBadge(a string) string {
	switch a {
	case "for":
		return "success"
	case "against":
		return "danger"
	}
	return "info"
}

// returnPath is Page.Return: the request's path for a GET, else the path
// of a Referer from this host, else the home page. Never the query, which
// may hold a one-time link's token.
func returnPath(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Path()
	}
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || ref.Host != string(c.Request().Host()) || ref.Path == "" {
		return "/"
	}
	return localPath(ref.EscapedPath())
}

// page starts a view model for the current request.
func (s *Server) page(c *fiber.Ctx, titleKey string) *Page {
	p := &Page{Lang: langOf(c), Path: c.Path(), Return: returnPath(c), User: userOf(c), CSRF: s.csrfToken(c), Values: map[string]string{}, cat: s.cat}
	p.Unread, p.Notifications = s.unread(c, p.User), s.deps.Notifications != nil
	if sess := sessionOf(c); sess != nil {
		p.SessionID = sess.ID
		if s.deps.Accounts != nil {
			p.SessionEnds, p.SessionLeft = s.deps.Accounts.SessionEnds(sess)
		}
	}
	if titleKey != "" {
		p.Title = p.Tr(titleKey)
	}
	if f := c.Cookies(s.cookieName("flash")); f != "" {
		key, at := flashParts(f)
		if s.cat.Has("de", key) {
			if at != "" {
				p.Confirm, p.ConfirmAt = p.Tr(key), at
			} else {
				p.Flash = p.Tr(key)
			}
		}
		s.clearCookie(c, "flash")
	}
	return p
}

// ConfirmHere tells whether the one-time confirmation belongs at the item
// at ("vote", "comment-ID").
func (p *Page) ConfirmHere(at string) bool { return p.Confirm != "" && p.ConfirmAt == at }

// flashAnchor is what may name the item a confirmation belongs to.
var flashAnchor = regexp.MustCompile(`^[a-z]+(-[0-9a-zA-Z]+)?$`)

// flashParts splits a flash cookie into its message key and the item it
// belongs to ("" for the top of the page).
func flashParts(v string) (key, at string) {
	key, at, _ = strings.Cut(v, "@")
	if !flashAnchor.MatchString(at) {
		at = ""
	}
	return key, at
}

// flashAnchorOf returns the item the pending confirmation belongs to, ""
// when none: a comment's link lands on the confirmation instead.
func (s *Server) flashAnchorOf(c *fiber.Ctx) string {
	_, at := flashParts(c.Cookies(s.cookieName("flash")))
	return at
}

// render writes a page inside the main layout.
func (s *Server) render(c *fiber.Ctx, status int, name string, p *Page) error {
	if p.User != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return s.views.render(c.Status(status), name, p, true)
}

// formErrors translates a domain error's field errors for a form.
func (s *Server) formErrors(lang string, err error) []ViewError {
	e, ok := err.(*mitreden.Error)
	if !ok {
		return []ViewError{{Message: s.cat.T(lang, "error.internal", nil)}}
	}
	var out []ViewError
	for _, f := range e.Fields {
		out = append(out, ViewError{Field: f.Field, Message: s.cat.T(lang, f.Message, f.Args)})
	}
	if len(out) == 0 {
		out = append(out, ViewError{Message: s.cat.T(lang, e.Message, e.Args)})
	}
	return out
}

// flash sets a one-time status message key shown on the next page.
func (s *Server) flash(c *fiber.Ctx, key string) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName("flash"), Value: key, Path: "/", HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: 60})
}

// confirmAt sets a one-time confirmation key shown next to the item at
// (see Page.Confirm) rather than at the top of the next page: where the
// eyes and the focus are after a support or a comment.
func (s *Server) confirmAt(c *fiber.Ctx, key, at string) { s.flash(c, key+"@"+at) }

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName(name), Value: "", Path: "/", HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

// cookieName prefixes __Host- when served over https.
func (s *Server) cookieName(base string) string {
	if s.secure {
		return "__Host-mitreden_" + base
	}
	return "mitreden_" + base
}

func (s *Server) staticHandler() fiber.Handler {
	sub, _ := fs.Sub(web.Static, "static")
	h := filesystem.New(filesystem.Config{Root: nethttp.FS(sub), MaxAge: 3600})
	return func(c *fiber.Ctx) error {
		if strings.Contains(c.Path(), "..") {
			return fiber.ErrNotFound
		}
		return h(c)
	}
}

// paragraphs splits a catalogue text into paragraphs at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// newPager builds a pager for total items.
func newPager(c *fiber.Ctx, page, per, total int) *Pager {
	pages := (total + per - 1) / per
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return &Pager{Page: page, Pages: pages, base: c.Path(), query: q}
}

// formFailed tells whether err is about the input, so that the form is shown
// again with the text kept instead of an error page: invalid input, or a
// refusal that names the field it is about.
func formFailed(err error) bool {
	code := mitreden.ErrorCode(err)
	var de *mitreden.Error
	return code == mitreden.EINVALID || code == ebadRequest || errors.As(err, &de) && len(de.Fields) > 0
}

// formStatus is the status of a form shown again: 422, or 409 for a field
// the current state refuses.
func formStatus(err error) int {
	if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return fiber.StatusConflict
	}
	return fiber.StatusUnprocessableEntity
}

// fillForm puts the submitted values and the field errors of err on p: the
// one way every form is shown again. ids renames fields to the ids of their
// inputs where they differ, so the error summary links to them.
func (s *Server) fillForm(p *Page, values map[string]string, err error, ids map[string]string) {
	for k, v := range values {
		p.Values[k] = v
	}
	if err == nil {
		return
	}
	p.Errors = s.formErrors(p.Lang, err)
	for i := range p.Errors {
		if id, ok := ids[p.Errors[i].Field]; ok {
			p.Errors[i].Field = id
		}
	}
}
