// Package http is the web front of mitreden: a Fiber app with server-rendered
// pages and the JSON API under /api/v1. Handlers are thin: parse, validate,
// one service call, render. One error handler maps domain codes to statuses.
package http

import (
	"context"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/api"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/web"
)

// Config is what the HTTP layer needs from the operator's settings.
type Config struct {
	BaseURL        string   // public URL; https makes cookies Secure and __Host- prefixed
	TrustedProxies []string // IPs/CIDRs whose X-Forwarded-For is believed
	Secret         []byte   // HMAC key for CSRF tokens, at least 32 bytes
	ContactEmail   string   // feedback contact of the accessibility statement
	Version        string
	// Operator is who runs the installation, as the imprint, privacy notice,
	// accessibility statement and home page name it.
	Operator Operator
	// MissingSettings names the operator settings not yet given, for the
	// warning on the admin pages.
	MissingSettings []string
}

// Deps are the services the handlers call.
type Deps struct {
	Accounts *service.Accounts
	Store    mitreden.Pinger
	Searcher mitreden.Searcher // full-text search; nil answers 503 on search pages
	// Searching runs searches for viewers; it defaults to one over Searcher.
	Searching *service.Searching
	Search    mitreden.Pinger   // readiness of search; defaults to Searcher
	Indexing  *service.Indexing // rebuilds the index on an admin's request; may be nil
	// Participation serves consultations, proposals, votes and comments.
	Participation *service.Participation
	Logger        *slog.Logger
	// Guards limits the writes per client IP (mwWriteLimit); nil limits nothing.
	Guards *service.Guards
	// Meetings serves the council's meetings; nil leaves their routes out.
	Meetings *service.Meetings
	// Council serves the council's recommendations; nil leaves their
	// routes out.
	Council *service.Council
	// Users is the account store, which marking the council's chair reads.
	Users mitreden.UserStore
	// Assisted serves the citizens' service's entries on behalf of people
	// without an account; nil leaves its routes out.
	Assisted *service.Assisted
	// Notifications serves notifications, follows and their settings;
	// nil leaves their routes, the header's count and the follow buttons
	// out.
	Notifications *service.Notifications
	// Mailer queues the mails the platform sends (accounts, notifications).
	Mailer mitreden.MailSender
	// Outbox lists the sent mails for admins (/admin/outbox and
	// GET /api/v1/admin/outbox); nil leaves those routes out.
	Outbox *service.Mailer
	// Data serves the export of a person's data and the deletion of the
	// account (DSGVO); nil leaves their routes out.
	Data *service.UserData
}

// Server is the HTTP front.
type Server struct {
	app      *fiber.App
	cfg      Config
	deps     Deps
	cat      *Catalog
	views    *views
	validate *validator.Validate
	log      *slog.Logger
	secure   bool
	routes   []Route
	// conns is the listener's connection tracker, once Listen runs.
	conns atomic.Pointer[connTracker]
}

// Route is one registered method and path.
type Route struct{ method, path string }

// Method returns the HTTP method.
func (r Route) Method() string { return r.method }

// Path returns the Fiber path pattern.
func (r Route) Path() string { return r.path }

// New builds the app and registers every route.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Searching == nil {
		deps.Searching = service.NewSearching(deps.Searcher)
	}
	if deps.Search == nil && deps.Searcher != nil {
		deps.Search = deps.Searcher
	}
	cat, err := LoadCatalog(web.Locales)
	if err != nil {
		return nil, err
	}
	tfs, err := fs.Sub(web.Templates, "templates")
	if err != nil {
		return nil, err
	}
	views, err := loadViews(tfs, template.FuncMap{
		"dict":          dict,
		"add":           func(a, b int) int { return a + b },
		"sub":           func(a, b int) int { return a - b },
		"join":          strings.Join,
		"hasPrefix":     strings.HasPrefix,
		"list":          func(v ...string) []string { return v },
		"commentOrders": func() []string { return service.CommentOrders },
		"phaseBadge":    phaseBadge,
		"statusBadge":   statusBadge,
		"recBadge":      recBadge,
		"alignBadge":    alignBadge,
		"excerpt":       excerpt,
	})
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL)
	s := &Server{cfg: cfg, deps: deps, cat: cat, views: views, validate: newValidator(), log: deps.Logger,
		secure: u != nil && u.Scheme == "https"}
	fcfg := fiber.Config{
		ErrorHandler:            s.handleError,
		Immutable:               true,
		BodyLimit:               1 << 20,
		ReadTimeout:             10 * time.Second,
		WriteTimeout:            30 * time.Second,
		IdleTimeout:             60 * time.Second,
		DisableStartupMessage:   true,
		AppName:                 "",
		ServerHeader:            "",
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ReadBufferSize:          16 << 10,
	}
	if len(cfg.TrustedProxies) > 0 {
		fcfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s.app = fiber.New(fcfg)
	s.routesSetup()
	return s, nil
}

// App exposes the Fiber app (tests use app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	t := newConnTracker(ln)
	s.conns.Store(t)
	return s.app.Listener(t)
}

// Shutdown stops accepting and waits for in-flight requests up to ctx's
// deadline. Connections without a request in progress are closed, so an
// unused or stalled connection does not hold the shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.app.ShutdownWithContext(ctx) }()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if t := s.conns.Load(); t != nil {
				t.closeQuiet()
			}
		}
	}
}

// Routes lists every registered method and path (for the access-control matrix test).
func (s *Server) Routes() []Route { return s.routes }

func (s *Server) add(method, path string, handlers ...fiber.Handler) {
	s.routes = append(s.routes, Route{method, path})
	s.app.Add(method, path, handlers...)
}

func (s *Server) routesSetup() {
	s.app.Use(s.mwBusy, s.mwRequestID, s.mwLog, s.mwRecover, s.mwSecurityHeaders)
	s.app.Get("/healthz", s.handleHealthz)
	s.app.Get("/readyz", s.handleReadyz)
	s.app.Use("/static", s.staticHandler())
	s.app.Use(s.mwAuth, s.mwLanguage, s.mwWriteLimit, s.mwCSRF)

	// Pages.
	s.add("GET", "/", s.handleHome)
	s.add("GET", "/register", s.handleRegisterForm)
	s.add("POST", "/register", s.handleRegister)
	s.add("GET", "/login", s.handleLoginForm)
	s.add("POST", "/login", s.handleLogin)
	s.add("POST", "/logout", s.handleLogout)
	s.add("POST", "/language", s.handleLanguage)
	s.add("GET", "/profile", s.requireUser, s.handleProfile)
	s.add("POST", "/profile", s.requireUserKeepDraft, s.handleProfileUpdate)
	s.add("POST", "/profile/password", s.requireUser, s.handlePasswordChange)
	s.add("POST", "/profile/sessions/:id/revoke", s.requireUser, s.handleSessionRevoke)
	s.accountRoutes()
	s.add("GET", "/admin/users", s.requireRole(mitreden.RoleAdmin), s.handleAdminUsers)
	s.add("POST", "/admin/users/:id/roles", s.requireRole(mitreden.RoleAdmin), s.handleAdminUserRole)
	s.add("POST", "/admin/users/:id/verify", s.requireRole(mitreden.RoleAdmin), s.handleAdminUserVerify)
	s.add("GET", "/admin/search", s.requireRole(mitreden.RoleAdmin), s.handleAdminSearch)
	s.add("POST", "/admin/search/reindex", s.requireRole(mitreden.RoleAdmin), s.handleAdminSearchReindex)
	if s.deps.Outbox != nil {
		s.outboxRoutes()
	}
	if s.deps.Participation != nil {
		s.participationRoutes()
		s.moderationRoutes()
	}
	if s.deps.Assisted != nil {
		s.assistedRoutes()
	}
	if s.deps.Council != nil {
		// Before the meetings: the workspace's entry is the recommendations list.
		s.councilRoutes()
	}
	if s.deps.Meetings != nil {
		s.meetingRoutes()
	}
	if s.deps.Notifications != nil {
		s.notificationRoutes()
	}
	if s.deps.Data != nil {
		s.dataRoutes()
	}
	s.add("GET", "/search", s.handleSearch)
	s.add("GET", "/search/suggest", s.handleSearchSuggest)
	for _, p := range staticPages {
		s.add("GET", "/"+p, s.handleStaticPage(p))
	}

	// JSON API.
	s.add("GET", "/api/v1/openapi.yaml", s.handleOpenAPI)
	s.add("POST", "/api/v1/auth/register", s.apiRegister)
	s.add("POST", "/api/v1/auth/login", s.apiLogin)
	s.add("POST", "/api/v1/auth/logout", s.apiRequireUser, s.apiLogout)
	s.add("GET", "/api/v1/me", s.apiRequireUser, s.apiMe)
	s.add("PATCH", "/api/v1/me", s.apiRequireUser, s.apiMeUpdate)
	s.add("POST", "/api/v1/me/password", s.apiRequireUser, s.apiPasswordChange)
	s.add("GET", "/api/v1/search", s.apiSearch)
	s.add("POST", "/api/v1/admin/reindex", s.apiRequireRole(mitreden.RoleAdmin), s.apiReindexStart)
	s.add("GET", "/api/v1/admin/reindex", s.apiRequireRole(mitreden.RoleAdmin), s.apiReindexStatus)
	s.add("GET", "/api/v1/users", s.apiRequireRole(mitreden.RoleAdmin), s.apiUsers)
	s.add("PUT", "/api/v1/users/:id/roles/:role", s.apiRequireRole(mitreden.RoleAdmin), s.apiUserRoleGrant)
	s.add("DELETE", "/api/v1/users/:id/roles/:role", s.apiRequireRole(mitreden.RoleAdmin), s.apiUserRoleRevoke)

	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

func (s *Server) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	return c.Send(api.OpenAPI)
}

func (s *Server) handleHealthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) handleReadyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	for name, p := range map[string]mitreden.Pinger{"store": s.deps.Store, "search": s.deps.Search} {
		if p == nil {
			continue
		}
		if err := p.Ping(ctx); err != nil {
			checks[name] = "unavailable"
			ok = false
		} else {
			checks[name] = "ok"
		}
	}
	if !ok {
		c.Set(fiber.HeaderRetryAfter, "5")
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}

// localPath returns p when it is a safe local redirect target, else "/".
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\\") {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		m[k] = kv[i+1]
	}
	return m
}
