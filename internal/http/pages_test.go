package http_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// checkPage asserts the accessible skeleton every page shares.
func checkPage(t *testing.T, path string, doc *goquery.Document, lang string) {
	t.Helper()
	if got, _ := doc.Find("html").Attr("lang"); got != lang {
		t.Errorf("%s: html lang = %q, want %q", path, got, lang)
	}
	if n := doc.Find("h1").Length(); n != 1 {
		t.Errorf("%s: %d h1 elements, want 1", path, n)
	}
	if strings.TrimSpace(doc.Find("title").Text()) == "" {
		t.Errorf("%s: empty title", path)
	}
	for _, sel := range []string{"header", "main#main", "footer", `nav[aria-label]`, `a.skip-link[href="#main"]`, `form[role="search"]`} {
		if doc.Find(sel).Length() == 0 {
			t.Errorf("%s: missing %s", path, sel)
		}
	}
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		typ, _ := s.Attr("type")
		if typ == "hidden" {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			name, _ := s.Attr("name")
			t.Errorf("%s: input %q has no label", path, name)
		}
	})
	for _, href := range []string{"/impressum", "/datenschutz", "/barrierefreiheit", "/leichte-sprache"} {
		if doc.Find(`footer a[href="`+href+`"]`).Length() == 0 {
			t.Errorf("%s: footer lacks %s", path, href)
		}
	}
}

func TestPages_RenderAccessibleSkeletonInBothLanguages(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.Lang = lang
		for _, p := range []string{"/", "/register", "/login", "/impressum", "/datenschutz", "/barrierefreiheit"} {
			resp, doc := b.get(p)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: status %d", p, resp.StatusCode)
			}
			checkPage(t, p, doc, lang)
		}
		// Easy Language is always German.
		_, doc := b.get("/leichte-sprache")
		checkPage(t, "/leichte-sprache", doc, "de")
	}
	_, doc := e.browser().get("/barrierefreiheit")
	if doc.Find(`a[href="mailto:kontakt@example.org"]`).Length() == 0 {
		t.Error("accessibility statement lacks the feedback contact")
	}
	b := e.browser()
	b.Lang = "en"
	_, doc = b.get("/")
	if !strings.Contains(doc.Find("h1").Text(), "Have your say") {
		t.Errorf("english home h1 = %q", doc.Find("h1").Text())
	}
}

func TestPages_NotFoundIsTranslatedHTML(t *testing.T) {
	e := newEnv(t)
	resp, doc := e.browser().get("/does-not-exist")
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkPage(t, "404", doc, "de")
	if !strings.Contains(doc.Text(), "nicht gefunden") || !strings.Contains(doc.Text(), resp.Header.Get("X-Request-Id")) {
		t.Errorf("404 page lacks message or request id: %s", doc.Find("main").Text())
	}
}

func TestRegisterForm_ErrorsAreSummarisedAndLinked(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.csrf("/register")
	resp, doc := b.post("/register", url.Values{"_csrf": {tok}, "email": {"nicht-gueltig"}, "display_name": {"A"}, "password": {"kurz"}})
	if resp.StatusCode != 422 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	checkPage(t, "register errors", doc, "de")
	for _, f := range []string{"email", "display_name", "password"} {
		if doc.Find(`#error-summary a[href="#`+f+`"]`).Length() != 1 {
			t.Errorf("summary lacks link to %s", f)
		}
		in := doc.Find("#" + f)
		if v, _ := in.Attr("aria-invalid"); v != "true" {
			t.Errorf("%s not aria-invalid", f)
		}
		if d, _ := in.Attr("aria-describedby"); !strings.Contains(d, f+"-error") || doc.Find("#"+f+"-error").Length() != 1 {
			t.Errorf("%s: aria-describedby %q does not point to its error", f, d)
		}
	}
	if v, _ := doc.Find("#email").Attr("value"); v != "nicht-gueltig" {
		t.Errorf("input lost: email value %q", v)
	}
	if v, _ := doc.Find("#password").Attr("value"); v != "" {
		t.Error("password echoed back into the form")
	}
	if !strings.Contains(doc.Find("#password-error").Text(), "12 bis 128") {
		t.Errorf("password error = %q", doc.Find("#password-error").Text())
	}
}

func TestRegisterLoginLogout_FormFlow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tok := b.csrf("/register")
	resp, _ := b.post("/register", url.Values{"_csrf": {tok}, "email": {"Erika@Example.org"}, "display_name": {"Erika M."}, "password": {"Sonnenblumen am Rhein"}})
	// Registering answers "check your mailbox" for every address and
	// logs nobody in (accounts_mail_test.go); the login follows.
	if resp.StatusCode != 200 || cookieOf(b, "mitreden_session") != "" {
		t.Fatalf("register: %d, session %q", resp.StatusCode, cookieOf(b, "mitreden_session"))
	}
	resp, _ = b.post("/login", url.Values{"_csrf": {b.csrf("/login")}, "email": {"erika@example.org"}, "password": {"Sonnenblumen am Rhein"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *nethttp.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "mitreden_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != nethttp.SameSiteLaxMode || len(session.Value) != 43 {
		t.Fatalf("session cookie = %+v", session)
	}
	_, doc := b.get("/")
	if !strings.Contains(doc.Find("#status").Text(), "angemeldet") {
		t.Errorf("no welcome status: %q", doc.Find("#status").Text())
	}
	resp, doc = b.get("/profile")
	if resp.StatusCode != 200 || !strings.Contains(doc.Text(), "Erika@Example.org") {
		t.Fatalf("profile: %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("logged-in page Cache-Control = %q", cc)
	}
	// Logging in again issues a new session id.
	b2 := e.browser()
	b2.loginForm("erika@example.org", "Sonnenblumen am Rhein")
	if c := cookieOf(b2, "mitreden_session"); c == "" || c == session.Value {
		t.Fatal("login did not issue a new session")
	}
	// Logout deletes the session server-side: the old cookie stops working.
	old := cookieOf(b, "mitreden_session")
	tok = b.csrf("/profile")
	resp, _ = b.post("/logout", url.Values{"_csrf": {tok}})
	if resp.StatusCode != 303 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	req, _ := nethttp.NewRequest("GET", "/api/v1/me", nil)
	req.AddCookie(&nethttp.Cookie{Name: "mitreden_session", Value: old})
	if resp := e.do(req); resp.StatusCode != 401 {
		t.Fatalf("old session after logout: %d", resp.StatusCode)
	}
}

func cookieOf(b *browser, name string) string {
	for _, c := range b.jar.Cookies(base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestForms_RequireCSRF(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("kim@example.org", "Kim")
	b := e.browser()
	b.csrf("/login") // get the seed cookie
	for _, tok := range []string{"", "forged", strings.Repeat("a", 64)} {
		resp, _ := b.post("/login", url.Values{"_csrf": {tok}, "email": {"kim@example.org"}, "password": {pw}})
		if resp.StatusCode != 403 {
			t.Errorf("login with csrf %q: %d, want 403", tok, resp.StatusCode)
		}
	}
	b.loginForm("kim@example.org", pw)
	// A token from before login is bound to the anonymous session and no longer valid.
	resp, _ := b.post("/profile", url.Values{"_csrf": {"x"}, "display_name": {"Kim K."}})
	if resp.StatusCode != 403 {
		t.Errorf("profile with bad csrf: %d", resp.StatusCode)
	}
	tok := b.csrf("/profile")
	resp, _ = b.post("/profile", url.Values{"_csrf": {tok}, "display_name": {"Kim K."}, "language": {"en"}})
	if resp.StatusCode != 303 {
		t.Fatalf("profile update: %d", resp.StatusCode)
	}
	_, doc := b.get("/profile")
	if l, _ := doc.Find("html").Attr("lang"); l != "en" {
		t.Errorf("user language setting not applied: lang=%s", l)
	}
	// GET never changes state: a GET to a POST route is 404/405, not an action.
	req, _ := nethttp.NewRequest("GET", "/logout", nil)
	if resp := b.send(req); resp.StatusCode < 400 {
		t.Errorf("GET /logout = %d", resp.StatusCode)
	}
}

func TestLanguage_SwitchCookieAndAcceptLanguage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.Lang = "fr, en;q=0.8"
	_, doc := b.get("/")
	if l, _ := doc.Find("html").Attr("lang"); l != "en" {
		t.Errorf("Accept-Language fr,en → %s", l)
	}
	b.Lang = "fr"
	_, doc = b.get("/")
	if l, _ := doc.Find("html").Attr("lang"); l != "de" {
		t.Errorf("unsupported language falls back to %s", l)
	}
	tok := b.csrf("/login")
	resp, _ := b.post("/language", url.Values{"_csrf": {tok}, "lang": {"en"}, "return": {"/login"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
		t.Fatalf("switch: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = b.get("/login")
	if l, _ := doc.Find("html").Attr("lang"); l != "en" {
		t.Errorf("after switch lang=%s", l)
	}
	// The return target is only ever a local path.
	tok = b.csrf("/")
	for _, evil := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"} {
		resp, _ = b.post("/language", url.Values{"_csrf": {tok}, "lang": {"de"}, "return": {evil}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("return %q redirected to %q", evil, loc)
		}
	}
}

func TestLogin_ReturnIsLocalOnly(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("ole@example.org", "Ole")
	b := e.browser()
	tok := b.csrf("/login")
	resp, _ := b.post("/login", url.Values{"_csrf": {tok}, "email": {"ole@example.org"}, "password": {pw}, "return": {"https://evil.example/x"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("open redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Anonymous visitors of a private page are sent to login and back.
	resp, _ = e.browser().get("/profile")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?return=%2Fprofile" {
		t.Fatalf("anonymous profile: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.browser().get("/")
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
	if resp.Header.Get("Server") != "" || resp.Header.Get("X-Powered-By") != "" {
		t.Error("version header present")
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over http")
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	// No page refers to another host.
	_, doc := e.browser().get("/")
	doc.Find("link[href], script[src], img[src]").Each(func(_ int, s *goquery.Selection) {
		u, _ := s.Attr("href")
		if u == "" {
			u, _ = s.Attr("src")
		}
		if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
			t.Errorf("external resource %q", u)
		}
	})
}

func TestHTTPS_CookiesAreHostPrefixedAndSecure(t *testing.T) {
	e := newEnv(t, withBaseURL("https://mitreden.nrw.example"))
	_, pw := e.createUser("ana@example.org", "Ana")
	resp := e.do(func() *nethttp.Request { r, _ := nethttp.NewRequest("GET", "/login", nil); return r }())
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over https")
	}
	var csrfCookie *nethttp.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-mitreden_csrf" {
			csrfCookie = c
		}
	}
	if csrfCookie == nil || !csrfCookie.Secure || csrfCookie.Path != "/" || csrfCookie.Domain != "" {
		t.Fatalf("csrf cookie = %+v", csrfCookie)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	tok, _ := doc.Find(`input[name="_csrf"]`).Attr("value")
	form := url.Values{"_csrf": {tok}, "email": {"ana@example.org"}, "password": {pw}}
	req, _ := nethttp.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&nethttp.Cookie{Name: csrfCookie.Name, Value: csrfCookie.Value})
	resp = e.do(req)
	if resp.StatusCode != 303 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	found := false
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-mitreden_session" {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != nethttp.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("session cookie flags: %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no __Host- session cookie")
	}
}

func TestClientIP_OnlyFromTrustedProxies(t *testing.T) {
	// Untrusted: X-Forwarded-For is ignored, so forging it does not escape the per-IP limit.
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.LoginMaxPerIP = 3; c.LoginMaxPerAccount = 100 }))
	status := 0
	for i := 0; i < 4; i++ {
		req, _ := nethttp.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"x`+string(rune('a'+i))+`@example.org","password":"wrong password here"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "10.0.0."+string(rune('1'+i)))
		status = e.do(req).StatusCode
	}
	if status != 429 {
		t.Fatalf("forged X-Forwarded-For escaped the IP limit: last status %d", status)
	}
	// Trusted proxy: each forwarded client gets its own budget.
	e = newEnv(t, withTrustedProxies("0.0.0.0"), withAccounts(func(c *service.AccountsConfig) { c.LoginMaxPerIP = 3; c.LoginMaxPerAccount = 100 }))
	for i := 0; i < 4; i++ {
		req, _ := nethttp.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"y`+string(rune('a'+i))+`@example.org","password":"wrong password here"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "10.0.0."+string(rune('1'+i)))
		if st := e.do(req).StatusCode; st != 401 {
			t.Fatalf("trusted proxy, client %d: status %d", i, st)
		}
	}
}

// faultPinger fails or panics on Ping, to test readiness and recovery.
type faultPinger struct{ panic bool }

func (f faultPinger) Ping(context.Context) error {
	if f.panic {
		panic("boom")
	}
	return errors.New("down")
}

func TestReadyz_ReportsFailingDependency_AndPanicsBecome500(t *testing.T) {
	e := newEnv(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		pinger mitreden.Pinger
		status int
	}{{faultPinger{}, 503}, {faultPinger{panic: true}, 500}} {
		srv, err := mhttp.New(mhttp.Config{BaseURL: "http://127.0.0.1:8080", Secret: []byte(strings.Repeat("k", 32))},
			mhttp.Deps{Accounts: e.Accounts, Store: e.DB, Search: tc.pinger, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := nethttp.NewRequest("GET", "/readyz", nil)
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(resp)
		if resp.StatusCode != tc.status {
			t.Fatalf("readyz = %d (%s), want %d", resp.StatusCode, body, tc.status)
		}
		if tc.status == 503 && (!strings.Contains(body, `"search":"unavailable"`) || !strings.Contains(body, `"store":"ok"`) || resp.Header.Get("Retry-After") == "") {
			t.Errorf("readyz body %s", body)
		}
		if tc.status == 500 && (!strings.Contains(body, resp.Header.Get("X-Request-Id")) || strings.Contains(body, "boom")) {
			t.Errorf("panic answer %s", body)
		}
		req, _ = nethttp.NewRequest("GET", "/healthz", nil)
		if resp, _ := srv.App().Test(req, -1); resp.StatusCode != 200 {
			t.Errorf("healthz = %d while a dependency is down", resp.StatusCode)
		}
	}
}

func TestAdminUsers_GrantAndRevokeRoles(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	target, _ := e.createUser("rat@example.org", "Ratsmitglied")
	b := e.browser()
	b.loginForm("admin@example.org", apw)
	resp, doc := b.get("/admin/users")
	if resp.StatusCode != 200 {
		t.Fatalf("admin users: %d", resp.StatusCode)
	}
	checkPage(t, "/admin/users", doc, "de")
	if !strings.Contains(doc.Find("table").Text(), "rat@example.org") {
		t.Fatal("user missing from admin list")
	}
	tok := b.csrf("/admin/users")
	resp, _ = b.post("/admin/users/"+target.ID+"/roles", url.Values{"_csrf": {tok}, "role": {"council"}, "action": {"grant"}})
	if resp.StatusCode != 303 {
		t.Fatalf("grant: %d", resp.StatusCode)
	}
	u, _ := e.Accounts.User(context.Background(), target.ID)
	if !u.HasRole(mitreden.RoleCouncil) {
		t.Fatal("role not granted")
	}
	resp, _ = b.post("/admin/users/"+target.ID+"/roles", url.Values{"_csrf": {tok}, "role": {"council"}, "action": {"revoke"}})
	u, _ = e.Accounts.User(context.Background(), target.ID)
	if resp.StatusCode != 303 || u.HasRole(mitreden.RoleCouncil) {
		t.Fatal("role not revoked")
	}
	resp, _ = b.post("/admin/users/"+target.ID+"/roles", url.Values{"_csrf": {tok}, "role": {"$where"}, "action": {"grant"}})
	if resp.StatusCode != 422 {
		t.Errorf("bad role: %d", resp.StatusCode)
	}
	// A citizen gets 403 on the admin page.
	_, cpw := e.createUser("citizen@example.org", "Bürgerin")
	c := e.browser()
	c.loginForm("citizen@example.org", cpw)
	if resp, _ := c.get("/admin/users"); resp.StatusCode != 403 {
		t.Errorf("citizen on admin page: %d", resp.StatusCode)
	}
}
