package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

const (
	localUser    = "mitreden.user"
	localSession = "mitreden.session"
	localLang    = "mitreden.lang"
	localBearer  = "mitreden.bearer"
	localRID     = "mitreden.rid"
)

func userOf(c *fiber.Ctx) *mitreden.User {
	u, _ := c.Locals(localUser).(*mitreden.User)
	return u
}

func sessionOf(c *fiber.Ctx) *mitreden.Session {
	s, _ := c.Locals(localSession).(*mitreden.Session)
	return s
}

func langOf(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	return "de"
}

func requestID(c *fiber.Ctx) string {
	r, _ := c.Locals(localRID).(string)
	return r
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// mwRecover turns a panic into a 500 problem carrying the request id.
func (s *Server) mwRecover(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = &mitreden.Error{Code: mitreden.EINTERNAL, Message: "error.internal", Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	return c.Next()
}

// mwRequestID assigns every request an id, sent back as X-Request-Id.
func (s *Server) mwRequestID(c *fiber.Ctx) error {
	rid := randomToken(12)
	c.Locals(localRID, rid)
	c.Set("X-Request-Id", rid)
	return c.Next()
}

// mwLog writes one line per request. It logs no query strings, cookies or bodies.
func (s *Server) mwLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	attrs := []any{"request_id", requestID(c), "method", c.Method(), "path", c.Path(),
		"status", c.Response().StatusCode(), "duration_ms", time.Since(start).Milliseconds()}
	if u := userOf(c); u != nil {
		attrs = append(attrs, "user_id", u.ID)
	}
	s.log.Info("request", attrs...)
	return nil
}

// mwSecurityHeaders sets CSP and friends on every answer, and keeps
// answers that set a cookie out of shared caches. Error pages get the same
// from handleError, which renders them after this has returned.
func (s *Server) mwSecurityHeaders(c *fiber.Ctx) error {
	s.setSecurityHeaders(c)
	err := c.Next()
	if err == nil {
		privateIfCookie(c)
	}
	return err
}

// setSecurityHeaders sets the headers every answer carries, those Fiber
// sends on its own (413, 431) included.
func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.secure {
		c.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// privateIfCookie marks an answer that sets a cookie (an anonymous page
// handing out its CSRF seed, a login, a flash message) as private and not to
// be stored: a shared cache that kept it would hand the same cookie to
// everyone behind it.
func privateIfCookie(c *fiber.Ctx) {
	setsCookie := false
	c.Response().Header.VisitAllCookie(func(_, _ []byte) { setsCookie = true })
	if setsCookie {
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	}
}

// mwAuth resolves a bearer token or the session cookie to the user. A bad or
// expired credential is treated as anonymous (pages) or 401 (API, by requireUser).
func (s *Server) mwAuth(c *fiber.Ctx) error {
	token := ""
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
		}
		token = strings.TrimSpace(tok)
		c.Locals(localBearer, true)
		if token == "" {
			return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
		}
	} else {
		token = c.Cookies(s.cookieName("session"))
	}
	if token == "" {
		return c.Next()
	}
	sess, u, err := s.deps.Accounts.Authenticate(c.UserContext(), token)
	switch mitreden.ErrorCode(err) {
	case "":
		c.Locals(localUser, u)
		c.Locals(localSession, sess)
	case mitreden.EUNAUTHORIZED:
		if c.Locals(localBearer) == true {
			return err
		}
		s.clearCookie(c, "session")
	default:
		return err
	}
	return c.Next()
}

// mwLanguage picks the UI language: user setting, then the lang cookie, then Accept-Language.
func (s *Server) mwLanguage(c *fiber.Ctx) error {
	lang := ""
	if u := userOf(c); u != nil && (u.Language == "de" || u.Language == "en") {
		lang = u.Language
	} else if l := c.Cookies("mitreden_lang"); l == "de" || l == "en" {
		lang = l
	} else {
		lang = s.cat.Match(c.Get(fiber.HeaderAcceptLanguage))
	}
	c.Locals(localLang, lang)
	c.Set(fiber.HeaderContentLanguage, lang)
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

// mwWriteLimit counts every unsafe request (forms and API writes alike)
// against the writes per minute of its client IP, shared by all instances
// through the store, and answers 429 with Retry-After beyond them. It runs
// before the CSRF check, so a flood with bad tokens counts too, and after
// the language is known, so the refusal is said in the reader's language.
func (s *Server) mwWriteLimit(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead:
		return c.Next()
	}
	if err := s.deps.Guards.Write(c.UserContext(), c.IP()); err != nil {
		return err
	}
	return c.Next()
}

// csrfSeed is a per-browser random value in a cookie; the token is an HMAC of
// it and the session id, so a token dies with the session (signed double submit).
func (s *Server) csrfSeed(c *fiber.Ctx) string {
	if v, ok := c.Locals("mitreden.csrfseed").(string); ok {
		return v
	}
	seed := c.Cookies(s.cookieName("csrf"))
	if len(seed) < 20 || len(seed) > 64 {
		seed = randomToken(24)
		c.Cookie(&fiber.Cookie{Name: s.cookieName("csrf"), Value: seed, Path: "/", HTTPOnly: true,
			Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode})
	}
	c.Locals("mitreden.csrfseed", seed)
	return seed
}

func (s *Server) csrfFor(seed, sessionID string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte(seed + "|" + sessionID))
	return hex.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token forms of this request must carry.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	sid := ""
	if sess := sessionOf(c); sess != nil {
		sid = sess.ID
	}
	return s.csrfFor(s.csrfSeed(c), sid)
}

// mwCSRF requires a valid token on every unsafe request that a browser could
// send on its own: forms, and anything carrying the session cookie. Bearer
// requests are exempt (no ambient credential), and so are JSON requests without
// a cookie (a cross-site page cannot send JSON without a CORS preflight).
func (s *Server) mwCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Locals(localBearer) == true {
		return c.Next()
	}
	if c.Path() == unsubscribePath {
		// One-click unsubscribe (RFC 8058): the signed link is the
		// credential, and mail clients post it without cookies.
		return c.Next()
	}
	hasCookie := c.Cookies(s.cookieName("session")) != ""
	isJSON := strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationJSON)
	if !hasCookie && (isJSON || strings.HasPrefix(c.Path(), "/api/")) {
		// No ambient credential: the API answers such requests on their own
		// merits (a wrong content type gets its 415).
		return c.Next()
	}
	got := c.Get("X-CSRF-Token")
	if got == "" && !isJSON {
		got = formBodyValue(c, "_csrf")
	}
	seed := c.Cookies(s.cookieName("csrf"))
	sid := ""
	if sess := sessionOf(c); sess != nil {
		sid = sess.ID
	}
	if seed == "" || got == "" || !hmac.Equal([]byte(got), []byte(s.csrfFor(seed, sid))) {
		s.log.Warn("csrf rejected", "request_id", requestID(c), "path", c.Path())
		if kind := draftKind(c.Path()); kind != "" && !isJSON && c.Get("HX-Request") == "" {
			// A comment or proposal form sent after its session ended or
			// with a stale token: its text comes back (the page changes nothing).
			return s.renderDraft(c, kind, nil)
		}
		return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "error.csrf"}
	}
	return c.Next()
}

// formBodyValue returns a field of a form body, urlencoded or multipart.
// Unlike c.FormValue it never reads the query string: a token in a URL
// leaks through logs, history and Referer headers.
func formBodyValue(c *fiber.Ctx, key string) string {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		return string(c.Request().PostArgs().Peek(key))
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if f, err := c.MultipartForm(); err == nil && len(f.Value[key]) > 0 {
			return f.Value[key][0]
		}
	}
	return ""
}

// requireUser sends anonymous visitors of a page to the login form.
func (s *Server) requireUser(c *fiber.Ctx) error {
	if userOf(c) == nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login?return="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	return c.Next()
}

// requireRole admits only users holding role; others get 403 (401 when anonymous).
func (s *Server) requireRole(role mitreden.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := userOf(c)
		if u == nil {
			return s.requireUser(c)
		}
		if !u.HasRole(role) {
			s.log.Warn("access denied", "request_id", requestID(c), "user_id", u.ID, "path", c.Path())
			return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "error.forbidden"}
		}
		return c.Next()
	}
}

// apiRequireUser answers 401 for anonymous API calls.
func (s *Server) apiRequireUser(c *fiber.Ctx) error {
	if userOf(c) == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	return c.Next()
}

// apiRequireRole answers 401/403.
func (s *Server) apiRequireRole(role mitreden.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := userOf(c)
		if u == nil {
			return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
		}
		if !u.HasRole(role) {
			s.log.Warn("access denied", "request_id", requestID(c), "user_id", u.ID, "path", c.Path())
			return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "error.forbidden"}
		}
		return c.Next()
	}
}
