package http

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// statusOf maps domain codes to HTTP statuses.
var statusOf = map[string]int{
	mitreden.EINVALID:      fiber.StatusUnprocessableEntity,
	mitreden.EUNAUTHORIZED: fiber.StatusUnauthorized,
	mitreden.EFORBIDDEN:    fiber.StatusForbidden,
	mitreden.ENOTFOUND:     fiber.StatusNotFound,
	mitreden.ECONFLICT:     fiber.StatusConflict,
	mitreden.ERATELIMITED:  fiber.StatusTooManyRequests,
	mitreden.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
	mitreden.EINTERNAL:     fiber.StatusInternalServerError,
}

// messageOfStatus names the catalogue key of a plain HTTP error.
var messageOfStatus = map[int]string{
	fiber.StatusBadRequest:                  "error.bad_request",
	fiber.StatusUnauthorized:                "error.unauthorized",
	fiber.StatusForbidden:                   "error.forbidden",
	fiber.StatusNotFound:                    "error.not_found",
	fiber.StatusMethodNotAllowed:            "error.method_not_allowed",
	fiber.StatusRequestEntityTooLarge:       "error.too_large",
	fiber.StatusUnsupportedMediaType:        "error.unsupported_media_type",
	fiber.StatusTooManyRequests:             "error.rate_limited",
	fiber.StatusRequestHeaderFieldsTooLarge: "error.headers_too_large",
	fiber.StatusServiceUnavailable:          "error.unavailable",
}

// codeOfStatus names the problem type of a plain HTTP error.
var codeOfStatus = map[int]string{
	fiber.StatusBadRequest:                  "bad_request",
	fiber.StatusNotFound:                    mitreden.ENOTFOUND,
	fiber.StatusMethodNotAllowed:            "method_not_allowed",
	fiber.StatusRequestEntityTooLarge:       "too_large",
	fiber.StatusUnsupportedMediaType:        "unsupported_media_type",
	fiber.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
}

// problemField is one entry of a problem's errors list.
type problemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	RequestID string         `json:"request_id"`
	Errors    []problemField `json:"errors,omitempty"`
}

// wantsJSON decides between a problem document and an HTML page.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/healthz" || c.Path() == "/readyz" {
		return true
	}
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, "application/json") || strings.Contains(accept, "application/problem+json")
}

// handleError is the one place errors become answers. Only internal errors are
// logged with their cause; clients see a translated, safe message.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	if requestID(c) == "" {
		// Errors raised before the middleware ran (body or headers too
		// large, answered by Fiber itself) get an id and the headers
		// every answer carries too.
		rid := randomToken(12)
		c.Locals(localRID, rid)
		c.Set("X-Request-Id", rid)
		s.setSecurityHeaders(c)
	}
	defer privateIfCookie(c)
	lang := langOf(c)
	status := fiber.StatusInternalServerError
	code := mitreden.EINTERNAL
	msgKey := "error.internal"
	var args map[string]any
	var fields []mitreden.FieldError
	var fe *fiber.Error
	var de *mitreden.Error
	switch {
	case errors.As(err, &de):
		code = de.Code
		if st, ok := statusOf[de.Code]; ok {
			status = st
		}
		if de.Code != mitreden.EINTERNAL {
			msgKey, args, fields = de.Message, de.Args, de.Fields
		}
		if de.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(de.RetryAfter))
		} else if status == fiber.StatusServiceUnavailable {
			c.Set(fiber.HeaderRetryAfter, "5")
		}
	case errors.As(err, &fe):
		status = fe.Code
		code = codeOfStatus[status]
		if code == "" {
			code = strconv.Itoa(status)
		}
		if k, ok := messageOfStatus[status]; ok {
			msgKey = k
		}
	}
	if status >= 500 && status != fiber.StatusServiceUnavailable {
		s.log.Error("internal error", "request_id", requestID(c), "path", c.Path(), "err", err)
	} else if status == fiber.StatusServiceUnavailable {
		s.log.Warn("unavailable", "request_id", requestID(c), "path", c.Path(), "err", err)
	}
	if !s.cat.Has("de", msgKey) {
		msgKey = map[bool]string{true: "error.internal", false: "error.generic"}[status >= 500]
	}
	detail := s.cat.T(lang, msgKey, args)
	title := s.cat.T(lang, "status."+strconv.Itoa(status), nil)
	if wantsJSON(c) {
		p := problem{Type: "urn:mitreden:problem:" + code, Title: title, Status: status, Detail: detail, RequestID: requestID(c)}
		for _, f := range fields {
			p.Errors = append(p.Errors, problemField{Field: f.Field, Code: f.Code, Message: s.cat.T(lang, f.Message, f.Args)})
		}
		c.Status(status)
		c.Set(fiber.HeaderContentType, "application/problem+json; charset=utf-8")
		b, _ := jsonMarshal(p)
		return c.Send(b)
	}
	if status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet {
		return c.Redirect("/login?return="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	pg := s.page(c, "")
	pg.Title = s.errorTitle(lang, status, msgKey)
	view := errorView{Message: detail, RequestID: requestID(c), Status: status}
	view.Back, view.BackLabel = errorBackLink(c.Method(), c.Path(), status)
	if view.BackLabel != "" {
		view.BackLabel = s.cat.T(lang, view.BackLabel, nil)
	}
	if c.Method() != fiber.MethodGet {
		// The language switch returns to pg.Path with a GET; a form's
		// address may have none.
		pg.Path = "/"
		if view.Back != "" {
			pg.Path = view.Back
		}
	}
	if pg.User == nil && (status == fiber.StatusUnauthorized || status == fiber.StatusForbidden) {
		ret := view.Back
		if ret == "" && c.Method() == fiber.MethodGet {
			ret = c.OriginalURL()
		}
		view.Login = "/login"
		if ret = localPath(ret); ret != "/" {
			view.Login += "?return=" + urlQueryEscape(ret)
		}
	}
	view.SearchForm = status == fiber.StatusNotFound
	view.SearchLink = status >= 400 && status < 500 && !view.SearchForm && status != fiber.StatusTooManyRequests
	pg.Data = view
	for _, f := range fields {
		pg.Errors = append(pg.Errors, ViewError{Field: f.Field, Message: s.cat.T(lang, f.Message, f.Args)})
	}
	if rerr := s.render(c, status, "pages/error", pg); rerr != nil {
		s.log.Error("render error page", "request_id", requestID(c), "err", rerr)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(status).SendString(detail)
	}
	return nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// errorView is what an error page shows besides its title: the message, the
// request id, and the ways on that fit the error.
type errorView struct {
	Message, RequestID string
	Status             int
	// Back leads to the page the failed request was about (the proposal a
	// vote was for, the form that was sent), BackLabel names it.
	Back, BackLabel string
	// Login is the login page returning to Back (or the page asked for),
	// offered to an anonymous visitor who was refused.
	Login string
	// SearchForm offers a search where something was not found;
	// SearchLink links the search page on other refusals.
	SearchForm, SearchLink bool
}

// errorTitle is an error page's heading: a title for the message where one
// is written ("Die Beteiligung ist beendet"), else one for the status, both
// said as people say them, never the status code's name ("Konflikt").
func (s *Server) errorTitle(lang string, status int, msgKey string) string {
	if k := "error_title." + msgKey; s.cat.Has("de", k) {
		return s.cat.T(lang, k, nil)
	}
	if k := "error_title." + strconv.Itoa(status); s.cat.Has("de", k) {
		return s.cat.T(lang, k, nil)
	}
	return s.cat.T(lang, map[bool]string{true: "error_title.500", false: "error_title.400"}[status >= 500], nil)
}

// errorItems are the kinds of page an address below them belongs to, with
// the catalogue key of a link back to one.
var errorItems = map[string]string{
	"consultations": "error.back_consultation",
	"proposals":     "error.back_proposal",
	"comments":      "error.back_comment",
}

// errorForms are pages whose forms post to their own address or one below
// it, with the catalogue key of a link back to the form.
var errorForms = []struct{ path, label string }{
	{"/admin/users", "error.back_admin_users"},
	{"/admin/search", "error.back_admin_search"},
	{"/profile", "error.back_profile"},
	{"/login", "error.back_login"},
	{"/register", "error.back_register"},
}

// errorBackLink finds the page a failed request was about: the
// consultation, proposal or comment in its address (/proposals/ID/vote →
// /proposals/ID), or the form page a form was sent from. A request for that
// page itself has no link back, nor does a 404 (the item may be what is
// missing).
func errorBackLink(method, path string, status int) (href, labelKey string) {
	if status == fiber.StatusNotFound || status >= 500 {
		return "", ""
	}
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if key, ok := errorItems[seg[0]]; ok && len(seg) >= 2 && isItemID(seg[1]) {
		href = "/" + seg[0] + "/" + seg[1]
		if href != path || method != fiber.MethodGet {
			return href, key
		}
		return "", ""
	}
	if method == fiber.MethodGet {
		return "", ""
	}
	for _, f := range errorForms {
		if path == f.path || strings.HasPrefix(path, f.path+"/") {
			return f.path, f.label
		}
	}
	return "", ""
}

// isItemID tells whether an address segment can be an item's id (not
// "new", nothing that needs escaping).
func isItemID(s string) bool {
	if s == "" || s == "new" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
