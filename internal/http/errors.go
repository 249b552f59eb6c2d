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
	pg.Title = title
	pg.Data = fiber.Map{"Message": detail, "RequestID": requestID(c)}
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
