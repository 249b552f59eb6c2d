package http_test

import (
	"bufio"
	"bytes"
	"fmt"
	"mime/multipart"
	"net"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestCSRF_TokenOnlyFromBodyOrHeader: a valid token in the query string
// does not count (URLs leak through logs, history and Referer); in the
// form body, urlencoded or multipart, or in the header it does.
func TestCSRF_TokenOnlyFromBodyOrHeader(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("kim@example.org", "Kim")
	form := url.Values{"email": {"kim@example.org"}, "password": {pw}}

	b := e.browser()
	tok := b.csrf("/login")
	req, _ := nethttp.NewRequest("POST", "/login?_csrf="+url.QueryEscape(tok), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp := b.send(req); resp.StatusCode != 403 {
		t.Errorf("token in the query string: %d, want 403", resp.StatusCode)
	}
	req, _ = nethttp.NewRequest("POST", "/login?_csrf="+url.QueryEscape(tok), nil)
	if resp := b.send(req); resp.StatusCode != 403 {
		t.Errorf("token in the query string, no body: %d, want 403", resp.StatusCode)
	}

	req, _ = nethttp.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", tok)
	if resp := b.send(req); resp.StatusCode != 303 {
		t.Errorf("token in the header: %d, want 303", resp.StatusCode)
	}

	b = e.browser()
	tok = b.csrf("/login")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", tok)
	for k, v := range form {
		_ = mw.WriteField(k, v[0])
	}
	_ = mw.Close()
	req, _ = nethttp.NewRequest("POST", "/login", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp := b.send(req); resp.StatusCode != 303 {
		t.Errorf("token in a multipart body: %d, want 303", resp.StatusCode)
	}

	b = e.browser()
	tok = b.csrf("/login")
	form.Set("_csrf", tok)
	if resp, _ := b.post("/login", form); resp.StatusCode != 303 {
		t.Errorf("token in the urlencoded body: %d, want 303", resp.StatusCode)
	}
}

// TestCache_AnonymousAnswersThatSetCookiesAreNotStored: a first visit gets
// its CSRF seed cookie; a shared cache must not keep that answer and hand
// the cookie to the next visitor.
func TestCache_AnonymousAnswersThatSetCookiesAreNotStored(t *testing.T) {
	e := newEnv(t)
	check := func(what string, resp *nethttp.Response) {
		t.Helper()
		if len(resp.Cookies()) == 0 {
			t.Fatalf("%s: no cookie set, the check would prove nothing", what)
		}
		cc := resp.Header.Get("Cache-Control")
		if !strings.Contains(cc, "private") || !strings.Contains(cc, "no-store") {
			t.Errorf("%s sets a cookie with Cache-Control %q, want private, no-store", what, cc)
		}
	}
	for _, path := range []string{"/", "/login", "/register", "/search?q=Radweg", "/gibt-es-nicht"} {
		resp, _ := e.browser().get(path)
		check("GET "+path, resp)
	}
	b := e.browser()
	tok := b.csrf("/login")
	resp, _ := b.post("/language", url.Values{"_csrf": {tok}, "lang": {"en"}, "return": {"/"}})
	check("POST /language", resp)
}

// rawExchange sends raw bytes to a listening server and reads its answer.
func rawExchange(t *testing.T, baseURL string, request []byte) *nethttp.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(baseURL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = conn.Write(request) }()
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestSecurityHeaders_OnAnswersFiberGivesItself sends a body over the limit
// (413) and headers over the read buffer (431) to a listening server: Fiber
// answers both before any middleware runs, and they must carry the same
// security headers as every other answer.
func TestSecurityHeaders_OnAnswersFiberGivesItself(t *testing.T) {
	e := newEnv(t, withBaseURL("https://beteiligung.example.org"))
	addr := e.listen()
	normal := rawExchange(t, addr, []byte("GET /login HTTP/1.1\r\nHost: beteiligung.example.org\r\n\r\n"))
	if normal.StatusCode != 200 {
		t.Fatalf("GET /login: %d", normal.StatusCode)
	}
	headers := []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
		"Permissions-Policy", "Cross-Origin-Opener-Policy", "Strict-Transport-Security"}
	for _, h := range headers {
		if normal.Header.Get(h) == "" {
			t.Fatalf("a normal page lacks %s", h)
		}
	}
	tooLarge := fmt.Sprintf("POST /login HTTP/1.1\r\nHost: beteiligung.example.org\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", 2<<20, strings.Repeat("a", 1000))
	headersTooLarge := "GET /login HTTP/1.1\r\nHost: beteiligung.example.org\r\nX-Filler: " + strings.Repeat("b", 40<<10) + "\r\n\r\n"
	for _, tc := range []struct {
		name    string
		request string
		status  int
	}{{"body too large", tooLarge, 413}, {"headers too large", headersTooLarge, 431}} {
		resp := rawExchange(t, addr, []byte(tc.request))
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
			continue
		}
		for _, h := range headers {
			if got, want := resp.Header.Get(h), normal.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", tc.name, h, got, want)
			}
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no request id", tc.name)
		}
		if len(resp.Cookies()) > 0 && !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("%s sets a cookie and may be stored: %q", tc.name, resp.Header.Get("Cache-Control"))
		}
	}
}

// TestDisplayName_LookAlikeIsRefusedWithAFieldError registers through the
// form and the API and renames through both: a name another account uses,
// in another case or with Cyrillic look-alikes, is refused at the field.
func TestDisplayName_LookAlikeIsRefusedWithAFieldError(t *testing.T) {
	e := newEnv(t)
	e.createUser("admin@example.org", "Demo-Administration", mitreden.RoleAdmin)
	const taken = "Dieser Anzeigename ist schon vergeben"

	b := e.browser()
	tok := b.csrf("/register")
	resp, doc := b.post("/register", url.Values{"_csrf": {tok}, "email": {"mallory@example.org"},
		"display_name": {"demo-\u0430dministration"}, "password": {"Sonnenblumen am Rhein"}})
	if resp.StatusCode != 422 {
		t.Fatalf("form: status %d, want 422", resp.StatusCode)
	}
	if msg := doc.Find("#display_name-error, [id^=display_name][id$=error]").Text(); !strings.Contains(msg, taken) {
		t.Errorf("form: no field error at the display name: %q", doc.Find("main").Text())
	}

	res := e.api("POST", "/api/v1/auth/register", "", map[string]string{"email": "mallory@example.org",
		"display_name": "DEMO-ADMINISTRATI\u041EN", "password": "Sonnenblumen am Rhein"})
	if res.StatusCode != 409 {
		t.Fatalf("API: status %d, want 409: %s", res.StatusCode, readBody(res))
	}
	var p struct {
		Errors []struct{ Field, Code, Message string }
	}
	decodeJSON(t, res, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "display_name" || p.Errors[0].Code != "taken" || !strings.Contains(p.Errors[0].Message, taken) {
		t.Errorf("API: errors %+v", p.Errors)
	}

	_, pw := e.createUser("ole@example.org", "Ole")
	token := e.login("ole@example.org", pw)
	res = e.api("PATCH", "/api/v1/me", token, map[string]string{"display_name": "Dem0-Administration"})
	if res.StatusCode != 409 {
		t.Fatalf("API rename: status %d, want 409: %s", res.StatusCode, readBody(res))
	}
	b = e.browser()
	b.loginForm("ole@example.org", pw)
	tok = b.csrf("/profile")
	resp, doc = b.post("/profile", url.Values{"_csrf": {tok}, "display_name": {"DEMO-ADMINISTRATION"}, "language": {"de"}})
	if resp.StatusCode != 422 {
		t.Fatalf("form rename: status %d, want 422", resp.StatusCode)
	}
	if !strings.Contains(doc.Find("main").Text(), taken) {
		t.Errorf("form rename: message missing: %q", doc.Find("main").Text())
	}
}
