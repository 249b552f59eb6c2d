package http_test

import (
	"io"
	"log/slog"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/service"
)

// freeze stops the clock of e's services at the current time and returns it.
func (e *testEnv) freeze() time.Time {
	now := time.Now().UTC()
	e.Now.Store(&now)
	return now
}

// advance moves the frozen clock of e on by d.
func (e *testEnv) advance(d time.Duration) {
	next := e.Now.Load().Add(d)
	e.Now.Store(&next)
}

// write sends an unsafe request as the client ip (behind the trusted
// proxy 0.0.0.0, which app.Test's requests come from).
func (e *testEnv) write(method, path, ip, contentType, body, lang string) *nethttp.Response {
	e.t.Helper()
	req, _ := nethttp.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("Accept-Language", lang)
	return e.do(req)
}

// TestWriteLimit_PerClientIP sends unsafe requests of every kind (API and
// forms, accepted or refused) from one client: the limit's worth pass, the
// next answers 429 with Retry-After and a translated page or problem, GETs
// and other clients are not affected, and the client may write again when
// Retry-After said.
func TestWriteLimit_PerClientIP(t *testing.T) {
	e := newGuardedEnv(t, service.GuardsConfig{WriteMaxPerIP: 3}, withTrustedProxies("0.0.0.0"))
	e.freeze()
	const json, form = "application/json", "application/x-www-form-urlencoded"
	login := `{"email":"niemand@example.org","password":"falsches Passwort"}`
	if st := e.write("POST", "/api/v1/auth/login", "198.51.100.7", json, login, "de").StatusCode; st != 401 {
		t.Fatalf("API login: %d", st)
	}
	if st := e.write("POST", "/login", "198.51.100.7", form, "email=a%40b.de&password=x", "de").StatusCode; st != 403 {
		t.Fatalf("form without token: %d", st) // refused by the CSRF check, counted before it
	}
	if st := e.write("PATCH", "/api/v1/me", "198.51.100.7", json, `{"display_name":"X"}`, "de").StatusCode; st != 401 {
		t.Fatalf("API write without credentials: %d", st)
	}
	for _, path := range []string{"/", "/login", "/api/v1/search?q=x"} {
		req, _ := nethttp.NewRequest("GET", path, nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		if st := e.do(req).StatusCode; st != 200 {
			t.Fatalf("GET %s after the writes: %d", path, st)
		}
	}
	// The fourth write: 429, in the reader's language. Three per minute:
	// the first write comes back after 20 seconds.
	for _, lang := range []string{"de", "en"} {
		resp := e.write("POST", "/api/v1/auth/login", "198.51.100.7", json, login, lang)
		p := readProblem(t, resp, 429)
		if resp.Header.Get("Retry-After") != "20" || p.Type != "urn:mitreden:problem:rate_limited" {
			t.Fatalf("%s: Retry-After %q, problem %+v", lang, resp.Header.Get("Retry-After"), p)
		}
		if want := map[string]string{"de": "Bitte versuchen Sie es ab ", "en": "Please try again from "}[lang]; !strings.Contains(p.Detail, want) {
			t.Errorf("%s: detail %q", lang, p.Detail)
		}
	}
	resp := e.write("POST", "/login", "198.51.100.7", form, "email=a%40b.de&password=x", "de")
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "20" || strings.TrimSpace(doc.Find("h1").First().Text()) != "Zu viele Anfragen in kurzer Zeit" ||
		!strings.Contains(doc.Find("main").Text(), "Von Ihrem Anschluss kamen in kurzer Zeit sehr viele Anfragen") {
		t.Fatalf("form: %d, Retry-After %q, %q", resp.StatusCode, resp.Header.Get("Retry-After"), strings.Join(strings.Fields(doc.Find("main").Text()), " "))
	}
	// Another client writes on.
	if st := e.write("POST", "/api/v1/auth/login", "198.51.100.8", json, login, "de").StatusCode; st != 401 {
		t.Fatalf("another client: %d", st)
	}
	e.advance(19 * time.Second)
	readProblem(t, e.write("POST", "/api/v1/auth/login", "198.51.100.7", json, login, "de"), 429)
	e.advance(time.Second)
	if st := e.write("POST", "/api/v1/auth/login", "198.51.100.7", json, login, "de").StatusCode; st != 401 {
		t.Fatalf("when Retry-After said: %d", st)
	}
}

// TestWriteLimit_SharedByInstances counts the writes of one client at two
// servers on one store: together they allow the limit, not each.
func TestWriteLimit_SharedByInstances(t *testing.T) {
	cfg := service.GuardsConfig{WriteMaxPerIP: 3}
	e := newGuardedEnv(t, cfg, withTrustedProxies("0.0.0.0"))
	e.freeze()
	clock := func() time.Time { return *e.Now.Load() }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	other, err := mhttp.New(mhttp.Config{BaseURL: "http://127.0.0.1:8080", Secret: []byte(strings.Repeat("k", 32)), TrustedProxies: []string{"0.0.0.0"}},
		mhttp.Deps{Accounts: e.Accounts, Store: e.DB, Searcher: e.Searcher, Participation: e.Participation, Logger: log,
			Guards: service.NewGuards(e.DB.Counters(), cfg, clock, log)})
	if err != nil {
		t.Fatal(err)
	}
	second := &testEnv{t: t, Server: other, Accounts: e.Accounts, DB: e.DB, Searcher: e.Searcher, Participation: e.Participation, Now: e.Now}
	login := `{"email":"niemand@example.org","password":"falsches Passwort"}`
	for i, srv := range []*testEnv{e, second, e} {
		if st := srv.write("POST", "/api/v1/auth/login", "2001:db8:7::1", "application/json", login, "de").StatusCode; st != 401 {
			t.Fatalf("write %d: %d", i+1, st)
		}
	}
	for _, srv := range []*testEnv{second, e} {
		// Another address of the same /64 is the same client.
		readProblem(t, srv.write("POST", "/api/v1/auth/login", "2001:db8:7::2", "application/json", login, "de"), 429)
	}
}

// TestContract_EveryWriteMayBeRateLimited: the write limit per client
// applies to every unsafe API operation, so each documents its 429.
func TestContract_EveryWriteMayBeRateLimited(t *testing.T) {
	doc, _ := loadSpec(t)
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if method == "GET" || method == "HEAD" {
				continue
			}
			if op.Responses.Value("429") == nil {
				t.Errorf("%s %s does not document 429 (MITREDEN_WRITE_MAX_PER_IP)", method, path)
			}
		}
	}
}
