package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/service"
)

// testEnv is a server on the real embedded store, driven in-process.
type testEnv struct {
	t        *testing.T
	Server   *mhttp.Server
	Accounts *service.Accounts
	DB       *mongo.DB
	Searcher mitreden.Searcher
	// Participation is the service behind consultations, proposals and comments.
	Participation *service.Participation
	// Meetings serves the council's meetings.
	Meetings *service.Meetings
	// Council serves the council's recommendations.
	Council *service.Council
	// Assisted serves the citizens' service.
	Assisted *service.Assisted
	Now      *atomic.Pointer[time.Time]
	// Jobs runs the background jobs (mails helps run them); Mailer queues
	// mails into the outbox (mail_helpers_test.go).
	Jobs   *service.Jobs
	Mailer *service.Mailer
	// Data exports a person's data and deletes accounts.
	Data *service.UserData
	// Notifications serves follows and notifications; their fan-outs
	// run as Jobs.
	Notifications *service.Notifications
}

// envOption tweaks a test server.
type envOption func(*mhttp.Config, *service.AccountsConfig)

func withBaseURL(u string) envOption {
	return func(c *mhttp.Config, _ *service.AccountsConfig) { c.BaseURL = u }
}

func withTrustedProxies(p ...string) envOption {
	return func(c *mhttp.Config, _ *service.AccountsConfig) { c.TrustedProxies = p }
}

func withAccounts(f func(*service.AccountsConfig)) envOption {
	return func(_ *mhttp.Config, a *service.AccountsConfig) { f(a) }
}

func newEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	return newGuardedEnv(t, testGuards, opts...)
}

// testGuards are the guards of newEnv: the link rule of new accounts as in
// production, the rate limits far above what any test writes (the tests of
// the limits use newGuardedEnv).
var testGuards = service.GuardsConfig{CommentMaxPerMinute: 1 << 20, ProposalMaxPerDay: 1 << 20, WriteMaxPerIP: 1 << 20}

// newGuardedEnv is newEnv with the guards of gcfg.
func newGuardedEnv(t *testing.T, gcfg service.GuardsConfig, opts ...envOption) *testEnv {
	t.Helper()
	db := mongotest.MustOpenDB(t)
	now := &atomic.Pointer[time.Time]{}
	clock := func() time.Time {
		if p := now.Load(); p != nil {
			return *p
		}
		return time.Now().UTC()
	}
	cfg := mhttp.Config{BaseURL: "http://127.0.0.1:8080", Secret: []byte(strings.Repeat("k", 32)), ContactEmail: "kontakt@example.org"}
	// Verification is off unless a test turns it on (withVerification):
	// most tests register people to take part, not to verify them.
	acfg := service.AccountsConfig{NoEmailVerification: true}
	for _, o := range opts {
		o(&cfg, &acfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jobs, mailer := newTestMailer(t, db, cfg.BaseURL, clock, log)
	acc := service.NewAccounts(db.Users(), db.Sessions(), db.Counters(), acfg, clock, log)
	acc.UseMail(db.AccountTokens(), mailer, cfg.BaseURL)
	idx, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	part := service.NewParticipation(db.Participation(), idx, clock, log)
	part.SetUsers(db.Users())
	guards := service.NewGuards(db.Counters(), gcfg, clock, log)
	part.Guards = guards
	meetings := service.NewMeetings(db.Meetings(), clock)
	council := service.NewCouncil(db.Council(), db.Participation(), idx, clock, log, service.CouncilConfig{})
	part.RegisterCommentTarget(mitreden.TargetRecommendation, council.CommentTarget)
	meetings.SetRecommendationTitles(council.Titles)
	indexing := service.NewIndexing(idx, service.Sources(part.AllSearchDocs, council.AllSearchDocs), clock, log)
	assisted := service.NewAssisted(part, db.Participation(), db.Users(), mitreden.DefaultLateEntryDays, log)
	data := service.NewUserData(acc, db.UserData(), part, clock, log)
	notes := service.NewNotifications(db.Notifications(), db.Notifications(), db.Participation(), db.Users(), jobs, mailer, clock, log,
		service.NotificationsConfig{BaseURL: cfg.BaseURL, Secret: cfg.Secret})
	notes.Attach(part)
	notes.AttachCouncil(council)
	data.Register(notes.DataSection())
	data.Register(assisted.DataSection(db.UserData()))
	data.ForgetMails(mailer)
	srv, err := mhttp.New(cfg, mhttp.Deps{Accounts: acc, Store: db, Searcher: idx, Participation: part, Indexing: indexing, Guards: guards,
		Meetings: meetings, Council: council, Users: db.Users(), Assisted: assisted, Mailer: mailer, Outbox: mailer, Data: data, Logger: log,
		Notifications: notes})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, Server: srv, Accounts: acc, DB: db, Searcher: idx, Participation: part, Meetings: meetings, Council: council, Assisted: assisted, Now: now,
		Jobs: jobs, Mailer: mailer, Data: data, Notifications: notes}
}

// listen serves the app on a loopback port until the test ends and returns its base URL.
func (e *testEnv) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.Server.App().Listener(ln) }()
	e.t.Cleanup(func() { _ = e.Server.App().Shutdown() })
	return "http://" + ln.Addr().String()
}

// createUser makes an account directly through the service and returns its password.
func (e *testEnv) createUser(email, name string, roles ...mitreden.Role) (*mitreden.User, string) {
	e.t.Helper()
	pw := "correct horse battery staple 42"
	u, err := e.Accounts.CreateUser(context.Background(), service.RegisterInput{Email: email, DisplayName: name, Password: pw, Roles: roles})
	if err != nil {
		e.t.Fatalf("create user: %v", err)
	}
	return u, pw
}

// do sends req in-process and checks the exchange against api/openapi.yaml.
func (e *testEnv) do(req *nethttp.Request) *nethttp.Response {
	e.t.Helper()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := e.Server.App().Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	checkContract(e.t, req, reqBody, resp)
	return resp
}

// api sends a JSON request with an optional bearer token.
func (e *testEnv) api(method, path, token string, body any) *nethttp.Response {
	e.t.Helper()
	var r io.Reader
	if s, ok := body.(string); ok {
		r = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := nethttp.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// login returns a bearer token for the given credentials.
func (e *testEnv) login(email, pw string) string {
	e.t.Helper()
	resp := e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": pw})
	if resp.StatusCode != 200 {
		e.t.Fatalf("login %s: status %d: %s", email, resp.StatusCode, readBody(resp))
	}
	var out struct{ Token string }
	decodeJSON(e.t, resp, &out)
	return out.Token
}

func readBody(resp *nethttp.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func decodeJSON(t *testing.T, resp *nethttp.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

// browser is a cookie-keeping client for form flows, driven in-process.
type browser struct {
	e   *testEnv
	jar *cookiejar.Jar
	// Lang is sent as Accept-Language.
	Lang string
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, jar: jar, Lang: "de"}
}

var base, _ = url.Parse("http://127.0.0.1:8080/")

func (b *browser) send(req *nethttp.Request) *nethttp.Response {
	b.e.t.Helper()
	for _, c := range b.jar.Cookies(base) {
		req.AddCookie(c)
	}
	req.Header.Set("Accept-Language", b.Lang)
	resp := b.e.do(req)
	b.jar.SetCookies(base, resp.Cookies())
	return resp
}

// get fetches a page and parses it.
func (b *browser) get(path string) (*nethttp.Response, *goquery.Document) {
	b.e.t.Helper()
	req, _ := nethttp.NewRequest("GET", path, nil)
	resp := b.send(req)
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp, doc
}

// csrf fetches a page and returns the CSRF token of its first form.
func (b *browser) csrf(path string) string {
	b.e.t.Helper()
	_, doc := b.get(path)
	tok, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || tok == "" {
		b.e.t.Fatalf("no csrf token on %s", path)
	}
	return tok
}

// post submits a form.
func (b *browser) post(path string, form url.Values) (*nethttp.Response, *goquery.Document) {
	b.e.t.Helper()
	req, _ := nethttp.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := b.send(req)
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	return resp, doc
}

// loginForm logs the browser in through the HTML form.
func (b *browser) loginForm(email, pw string) {
	b.e.t.Helper()
	tok := b.csrf("/login")
	resp, _ := b.post("/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {pw}})
	if resp.StatusCode != 303 {
		b.e.t.Fatalf("login form: status %d", resp.StatusCode)
	}
}
