package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

type problemDoc struct {
	Type, Title, Detail string
	Status              int
	RequestID           string `json:"request_id"`
	Errors              []struct{ Field, Code, Message string }
}

func readProblem(t *testing.T, resp *nethttp.Response, status int) problemDoc {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, readBody(resp))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q", ct)
	}
	var p problemDoc
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != status || p.RequestID == "" || p.RequestID != resp.Header.Get("X-Request-Id") || p.Detail == "" || p.Title == "" {
		t.Fatalf("problem %+v", p)
	}
	return p
}

func TestAPIRegister_Lifecycle(t *testing.T) {
	e := newEnv(t)
	resp := e.api("POST", "/api/v1/auth/register", "", map[string]string{"email": "Lena@Example.org", "password": "Rheinwiesen im Herbst", "display_name": "Lena"})
	if resp.StatusCode != 202 {
		t.Fatalf("register: %d %s", resp.StatusCode, readBody(resp))
	}
	tok := e.login("lena@example.org", "Rheinwiesen im Herbst")
	if len(tok) != 43 {
		t.Fatalf("token %q", tok)
	}
	resp = e.api("GET", "/api/v1/me", tok, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("me: %d", resp.StatusCode)
	}
	var me struct {
		ID, Email, Language string
		Roles               []string
	}
	decodeJSON(t, resp, &me)
	if me.Email != "Lena@Example.org" || me.Language != "de" || len(me.Roles) != 1 || me.Roles[0] != "citizen" {
		t.Fatalf("me = %+v", me)
	}
	resp = e.api("PATCH", "/api/v1/me", tok, map[string]string{"language": "en"})
	if resp.StatusCode != 200 {
		t.Fatalf("patch me: %d", resp.StatusCode)
	}
	// Error messages follow the user's language from now on.
	p := readProblem(t, e.api("PATCH", "/api/v1/me", tok, map[string]string{"display_name": "L"}), 422)
	if p.Errors[0].Field != "display_name" || !strings.Contains(p.Errors[0].Message, "display name") {
		t.Fatalf("english field error %+v", p.Errors)
	}
	// Password change ends other sessions but keeps this one.
	other := e.login("lena@example.org", "Rheinwiesen im Herbst")
	resp = e.api("POST", "/api/v1/me/password", tok, map[string]string{"current_password": "Rheinwiesen im Herbst", "new_password": "Ruhrgebiet bei Nacht"})
	if resp.StatusCode != 204 {
		t.Fatalf("password: %d %s", resp.StatusCode, readBody(resp))
	}
	readProblem(t, e.api("GET", "/api/v1/me", other, nil), 401)
	if resp := e.api("GET", "/api/v1/me", tok, nil); resp.StatusCode != 200 {
		t.Fatalf("current session ended: %d", resp.StatusCode)
	}
	if resp := e.api("POST", "/api/v1/auth/logout", tok, nil); resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	readProblem(t, e.api("GET", "/api/v1/me", tok, nil), 401)
}

func TestAPIErrors_BadInput(t *testing.T) {
	e := newEnv(t)
	e.createUser("taken@example.org", "Vergeben")
	cases := []struct {
		name, body, ctype, lang string
		status                  int
		field, code, contains   string
	}{
		{"malformed JSON", `{"email":`, "application/json", "", 400, "", "", "JSON"},
		{"trailing data", `{"email":"a@b.de","password":"x","display_name":"n"} {}`, "application/json", "", 400, "", "", ""},
		{"unknown field", `{"email":"a@b.de","password":"Rheinwiesen im Herbst","display_name":"Ann","role":"admin"}`, "application/json", "", 400, "role", "malformed", "Unbekannt"},
		{"field name in another case", `{"Email":"a@b.de","PASSWORD":"Rheinwiesen im Herbst","display_name":"Ann"}`, "application/json", "", 400, "Email", "malformed", "Unbekannt"},
		{"repeated field", `{"email":"a@b.de","password":"Rheinwiesen im Herbst","display_name":"Ann","display_name":"Bob"}`, "application/json", "", 400, "display_name", "malformed", ""},
		{"wrong type", `{"email":["a"],"password":"Rheinwiesen im Herbst","display_name":"Ann"}`, "application/json", "", 400, "email", "malformed", ""},
		{"operator injection", `{"email":{"$ne":""},"password":{"$ne":""},"display_name":"Ann"}`, "application/json", "", 400, "email", "", ""},
		{"wrong content type", `email=a@b.de`, "application/x-www-form-urlencoded", "", 415, "", "", ""},
		{"text/plain", `{}`, "text/plain", "", 415, "", "", ""},
		{"missing fields de", `{}`, "application/json", "de", 422, "email", "required", "füllen"},
		{"missing fields en", `{}`, "application/json", "en", 422, "email", "required", "fill in"},
		{"bad email", `{"email":"keine-mail","password":"Rheinwiesen im Herbst","display_name":"Ann"}`, "application/json", "", 422, "email", "email", ""},
		{"short password", `{"email":"ann@example.org","password":"kurz","display_name":"Ann"}`, "application/json", "", 422, "password", "length", "12"},
		{"common password", `{"email":"ann@example.org","password":"passwort123456","display_name":"Ann"}`, "application/json", "", 422, "password", "common", ""},
		{"personal password", `{"email":"annika@example.org","password":"annika-im-sommer-2026","display_name":"Ann"}`, "application/json", "", 422, "password", "personal", ""},
		// A taken address answers 202 like a new one (TestAPIRegister_TakenAddressAnswersLikeANewOne);
		// a taken display name is public and reported.
		{"duplicate display name", `{"email":"TAKEN@example.org","password":"Rheinwiesen im Herbst","display_name":"vergeben"}`, "application/json", "", 409, "display_name", "taken", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := nethttp.NewRequest("POST", "/api/v1/auth/register", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			if tc.lang != "" {
				req.Header.Set("Accept-Language", tc.lang)
			}
			p := readProblem(t, e.do(req), tc.status)
			if tc.field != "" {
				found := false
				for _, f := range p.Errors {
					if f.Field == tc.field && (tc.code == "" || f.Code == tc.code) && (tc.contains == "" || strings.Contains(f.Message+p.Detail, tc.contains)) {
						found = true
					}
				}
				if !found {
					t.Errorf("no error for field %s code %s containing %q: %+v / %s", tc.field, tc.code, tc.contains, p.Errors, p.Detail)
				}
			} else if tc.contains != "" && !strings.Contains(p.Detail, tc.contains) {
				t.Errorf("detail %q lacks %q", p.Detail, tc.contains)
			}
			for _, bad := range []string{"mongo", "bson", "runtime", "goroutine", "unmarshal"} {
				if strings.Contains(strings.ToLower(p.Detail), bad) {
					t.Errorf("detail leaks internals: %q", p.Detail)
				}
			}
		})
	}
}

func TestAPIErrors_BodyOver1MiBIs413(t *testing.T) {
	e := newEnv(t)
	base := e.listen()
	// Announce a body over the limit; the server answers before reading it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"email\":", 1<<20+100)
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	req, _ := nethttp.NewRequest("POST", "/api/v1/auth/register", nil)
	req.Header.Set("Content-Type", "application/json")
	checkContract(t, req, nil, resp)
	readProblem(t, resp, 413)
}

func TestAPILogin_NeverRevealsAccountsAndThrottles(t *testing.T) {
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.LoginMaxPerAccount = 5; c.LoginMaxPerIP = 1000 }))
	_, pw := e.createUser("known@example.org", "Bekannt")
	wrong := readProblem(t, e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "known@example.org", "password": "falsches passwort"}), 401)
	unknown := readProblem(t, e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.org", "password": "falsches passwort"}), 401)
	if wrong.Detail != unknown.Detail || wrong.Type != unknown.Type {
		t.Fatalf("login errors differ: %q vs %q", wrong.Detail, unknown.Detail)
	}
	// Operator injection never logs anyone in.
	resp := e.api("POST", "/api/v1/auth/login", "", `{"email":{"$ne":""},"password":{"$ne":""}}`)
	if resp.StatusCode != 400 && resp.StatusCode != 422 {
		t.Fatalf("injection: %d", resp.StatusCode)
	}
	if body := readBody(resp); strings.Contains(body, "token") {
		t.Fatalf("injection answered with a token: %s", body)
	}
	for i := 0; i < 4; i++ {
		e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "known@example.org", "password": "falsches passwort"})
	}
	resp = e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "known@example.org", "password": pw})
	p := readProblem(t, resp, 429)
	if resp.Header.Get("Retry-After") == "" || p.Detail == "" {
		t.Fatalf("throttled without Retry-After: %+v", p)
	}
}

func TestAPIAuth_TokensRolesAndCSRF(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	target, cpw := e.createUser("citizen@example.org", "Bürger")
	admin := e.login("admin@example.org", apw)
	citizen := e.login("citizen@example.org", cpw)
	readProblem(t, e.api("GET", "/api/v1/me", "", nil), 401)
	readProblem(t, e.api("GET", "/api/v1/me", "garbage-token", nil), 401)
	req, _ := nethttp.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Basic YTpi")
	readProblem(t, e.do(req), 401)
	readProblem(t, e.api("GET", "/api/v1/users", citizen, nil), 403)
	readProblem(t, e.api("PUT", "/api/v1/users/"+target.ID+"/roles/council", citizen, nil), 403)
	readProblem(t, e.api("PUT", "/api/v1/users/not-an-id/roles/council", admin, nil), 404)
	readProblem(t, e.api("PUT", "/api/v1/users/000000000000000000000000/roles/council", admin, nil), 404)
	readProblem(t, e.api("PUT", "/api/v1/users/"+target.ID+"/roles/king", admin, nil), 422)
	if resp := e.api("PUT", "/api/v1/users/"+target.ID+"/roles/council", admin, nil); resp.StatusCode != 200 {
		t.Fatalf("grant: %d", resp.StatusCode)
	}
	resp := e.api("GET", "/api/v1/users?role=council", admin, nil)
	var list struct {
		Items               []struct{ ID, Email string }
		Total, Page, PerPag int
	}
	decodeJSON(t, resp, &list)
	if list.Total != 1 || list.Items[0].ID != target.ID {
		t.Fatalf("council list: %+v", list)
	}
	me, _ := e.Accounts.FindUserByEmail(context.Background(), "admin@example.org")
	readProblem(t, e.api("DELETE", "/api/v1/users/"+me.ID+"/roles/admin", admin, nil), 409)

	// A cookie-authenticated JSON write needs the CSRF header; bearer calls do not.
	b := e.browser()
	b.loginForm("citizen@example.org", cpw)
	req, _ = nethttp.NewRequest("PATCH", "/api/v1/me", strings.NewReader(`{"display_name":"Neu"}`))
	req.Header.Set("Content-Type", "application/json")
	readProblem(t, b.send(req), 403)
	tok := b.csrf("/profile")
	req, _ = nethttp.NewRequest("PATCH", "/api/v1/me", strings.NewReader(`{"display_name":"Neu"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", tok)
	if resp := b.send(req); resp.StatusCode != 200 {
		t.Fatalf("cookie PATCH with CSRF: %d", resp.StatusCode)
	}
}

func TestAPI_StoreDownAnswers503(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("s@example.org", "Store")
	tok := e.login("s@example.org", pw)
	if err := e.DB.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, token, body string }{
		{"GET", "/api/v1/me", tok, ""},
		{"POST", "/api/v1/auth/login", "", `{"email":"s@example.org","password":"x"}`},
		{"POST", "/api/v1/auth/register", "", `{"email":"n@example.org","password":"Rheinwiesen im Herbst","display_name":"Neu"}`},
		{"GET", "/api/v1/consultations", "", ""},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		resp := e.api(tc.method, tc.path, tc.token, body)
		p := readProblem(t, resp, 503)
		raw, _ := json.Marshal(p)
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", tc.method, tc.path)
		}
		for _, leak := range []string{"client", "mongo", "disconnect", "socket", "connection", "driver"} {
			if strings.Contains(strings.ToLower(string(raw)), leak) {
				t.Errorf("%s %s leaks %q: %s", tc.method, tc.path, leak, raw)
			}
		}
	}
	if resp := e.api("GET", "/readyz", "", nil); resp.StatusCode != 503 {
		t.Errorf("readyz with store down: %d", resp.StatusCode)
	}
}

func TestAPI_EmailNeverShownToOthers(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	_, pw := e.createUser("privat.person@example.org", "Privat")
	_, opw := e.createUser("andere@example.org", "Andere")
	admin, author, other := e.login("admin@example.org", apw), e.login("privat.person@example.org", pw), e.login("andere@example.org", opw)
	cid := newConsultationAPI(t, e, admin, nil)
	resp := e.api("POST", "/api/v1/consultations/"+cid+"/proposals", author, map[string]any{"title": "Mehr Bänke im Park", "body": "Im Stadtpark fehlen Sitzgelegenheiten für Ältere."})
	var pr struct{ ID string }
	decodeJSON(t, resp, &pr)
	if resp := e.api("POST", "/api/v1/proposals/"+pr.ID+"/comments", author, map[string]any{"body": "Gerne auch mit Lehne."}); resp.StatusCode != 201 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	if resp := e.api("POST", "/api/v1/consultations/"+cid+"/comments", author, map[string]any{"body": "Gute Idee insgesamt."}); resp.StatusCode != 201 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	leaks := func(body string) bool { return strings.Contains(strings.ToLower(body), "privat.person@") }

	// Other users and visitors, through the API and the pages.
	for _, token := range []string{"", other} {
		for _, path := range []string{"/api/v1/proposals/" + pr.ID, "/api/v1/consultations/" + cid + "/proposals",
			"/api/v1/proposals/" + pr.ID + "/comments", "/api/v1/consultations/" + cid + "/comments", "/api/v1/search?q=B%C3%A4nke"} {
			resp := e.api("GET", path, token, nil)
			body := readBody(resp)
			named := strings.Contains(path, "/search") || strings.Contains(body, `"display_name":"Privat"`) // search hits carry no author
			if resp.StatusCode != 200 || leaks(body) || !named {
				t.Errorf("GET %s (token %t): %d, email shown or author missing: %.300s", path, token != "", resp.StatusCode, body)
			}
		}
		readProblem(t, e.api("GET", "/api/v1/users", token, nil), map[bool]int{true: 403, false: 401}[token != ""])
	}
	b := e.browser()
	b.loginForm("andere@example.org", opw)
	for _, path := range []string{"/", "/proposals/" + pr.ID, "/consultations/" + cid, "/search?q=B%C3%A4nke"} {
		resp, doc := b.get(path)
		if html, _ := doc.Html(); resp.StatusCode != 200 || leaks(html) {
			t.Errorf("page %s: %d or email shown", path, resp.StatusCode)
		}
	}
	// The owner sees their own email, and admins see it in the user list.
	if body := readBody(e.api("GET", "/api/v1/me", author, nil)); !leaks(body) {
		t.Errorf("/me lacks the own email: %s", body)
	}
	if body := readBody(e.api("GET", "/api/v1/users", admin, nil)); !leaks(body) {
		t.Errorf("admin list lacks emails: %s", body)
	}
}

func TestAPILogin_ThrottlesPerIPAcrossAccounts(t *testing.T) {
	e := newEnv(t) // default limits: 5 failures per account, 20 per IP
	_, pw := e.createUser("fresh@example.org", "Frisch")
	for i := range 20 {
		p := readProblem(t, e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": fmt.Sprintf("guess%d@example.org", i), "password": "falsches passwort"}), 401)
		if p.Type != "urn:mitreden:problem:unauthorized" {
			t.Fatalf("failure %d: %+v", i, p)
		}
	}
	// This account never failed, but the address did too often: the right password waits too.
	resp := e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "fresh@example.org", "password": pw})
	p := readProblem(t, resp, 429)
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > 15*60+1 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if p.Type != "urn:mitreden:problem:rate_limited" || strings.Contains(p.Detail, "fresh@") {
		t.Fatalf("problem %+v", p)
	}
	// English on request.
	req, _ := nethttp.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"fresh@example.org","password":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	if p := readProblem(t, e.do(req), 429); p.Detail == "" || p.Title != "Too Many Requests" && !strings.Contains(strings.ToLower(p.Title+p.Detail), "many") {
		t.Errorf("english throttle problem %+v", p)
	}
}

func TestAPI_CSRFOnlyForCookieCredentials(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("keks@example.org", "Keks")
	token := e.login("keks@example.org", pw)
	// A bearer call needs no CSRF token: no browser sends it on its own.
	if resp := e.api("PATCH", "/api/v1/me", token, map[string]string{"display_name": "Bearer"}); resp.StatusCode != 200 {
		t.Fatalf("bearer PATCH without CSRF: %d %s", resp.StatusCode, readBody(resp))
	}
	// The same session as a cookie does: a cross-site page could send that.
	b := e.browser()
	b.loginForm("keks@example.org", pw)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/auth/logout", ""},
		{"PATCH", "/api/v1/me", `{"display_name":"Keks"}`},
		{"POST", "/api/v1/me/password", `{"current_password":"` + pw + `","new_password":"ganz neues passwort 1"}`},
	} {
		req, _ := nethttp.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		readProblem(t, b.send(req), 403)
	}
	// Nothing happened: still logged in, old password still works.
	if resp, _ := b.get("/profile"); resp.StatusCode != 200 {
		t.Fatalf("session ended by a request without CSRF token: %d", resp.StatusCode)
	}
	e.login("keks@example.org", pw)
}
