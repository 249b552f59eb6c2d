package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestErrorPages_HumanTitles checks that every error page is headed in
// words in both languages, never with a status name, and that the JSON
// problem documents keep their status titles.
func TestErrorPages_HumanTitles(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.Lang = lang
		resp, doc := b.get("/gibt-es-nicht")
		h1 := strings.TrimSpace(doc.Find("h1").Text())
		if resp.StatusCode != 404 || h1 != map[string]string{"de": "Diese Seite gibt es nicht", "en": "We cannot find this page"}[lang] {
			t.Errorf("%s 404: %d %q", lang, resp.StatusCode, h1)
		}
		if doc.Find(`main form[action="/search"] input[name="q"]`).Length() != 1 || doc.Find(`main a[href="/"]`).Length() != 1 {
			t.Errorf("%s 404 offers no search form or home link", lang)
		}
		// A form sent without its token (403), and a wrong method (405).
		resp, doc = b.post("/logout", url.Values{})
		h1 = strings.TrimSpace(doc.Find("h1").Text())
		if resp.StatusCode != 403 || h1 != map[string]string{"de": "Das Formular ist abgelaufen", "en": "The form has expired"}[lang] {
			t.Errorf("%s csrf: %d %q", lang, resp.StatusCode, h1)
		}
		if doc.Find(`main a[href="/login"]`).Length() != 1 || doc.Find(`main a[href="/search"]`).Length() != 1 {
			t.Errorf("%s csrf refusal of a visitor: no login or search link", lang)
		}
		for _, name := range statusNames {
			if h1 == name || strings.Contains(doc.Find("title").Text(), name+" –") {
				t.Errorf("%s: status name %q as heading or title", lang, name)
			}
		}
	}
	resp := e.api("GET", "/api/v1/proposals/000000000000000000000000", "", nil)
	var p struct{ Title string }
	decodeJSON(t, resp, &p)
	if resp.StatusCode != 404 || p.Title == "" {
		t.Errorf("API 404: %d %+v", resp.StatusCode, p)
	}
}

// TestLogin_WrongPasswordIsAFormError checks that a failed login is
// reported for the form: which of email and password was wrong is not said.
func TestLogin_WrongPasswordIsAFormError(t *testing.T) {
	e := newEnv(t)
	e.createUser("ole@example.org", "Ole")
	b := e.browser()
	tok := b.csrf("/login")
	resp, doc := b.post("/login", url.Values{"_csrf": {tok}, "email": {"ole@example.org"}, "password": {"falsch falsch falsch"}, "return": {"/consultations"}})
	if resp.StatusCode != 401 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(doc.Find("#error-summary").Text(), "stimmen nicht") {
		t.Errorf("summary: %q", doc.Find("#error-summary").Text())
	}
	if doc.Find(`#error-summary a[href="#email"]`).Length() != 0 || doc.Find(`#email[aria-invalid]`).Length() != 0 || doc.Find("#email-error").Length() != 0 {
		t.Error("the failure is reported against the email field")
	}
	if v, _ := doc.Find(`#email`).Attr("value"); v != "ole@example.org" {
		t.Errorf("email not kept: %q", v)
	}
	if h, _ := doc.Find(`main a[href^="/register"]`).Attr("href"); h != "/register?return=%2fconsultations" {
		t.Errorf("register link %q does not keep the way back", h)
	}
}

// TestRegister_ReturnsWhereStarted checks that registering leads to the
// page the person started from, and only to a local one: the answer page
// ("check your mailbox") links to the login, which goes back there.
func TestRegister_ReturnsWhereStarted(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, doc := b.get("/register?return=%2Fconsultations%3Fphase%3Dopen")
	if v, _ := doc.Find(`form[action="/register"] input[name="return"]`).Attr("value"); v != "/consultations?phase=open" {
		t.Fatalf("register form keeps return %q", v)
	}
	if h, _ := doc.Find(`main a[href^="/login"]`).Attr("href"); h != "/login?return=%2fconsultations%3fphase%3dopen" {
		t.Errorf("login link %q does not keep the way back", h)
	}
	for i, tc := range []struct{ ret, want string }{
		{"/consultations?phase=open", "/consultations?phase=open"},
		{"https://evil.example/x", "/"},
		{"//evil.example", "/"},
		{"", "/"},
	} {
		c := e.browser()
		tok := c.csrf("/register")
		email := "neu" + string(rune('a'+i)) + "@example.org"
		resp, doc := c.post("/register", url.Values{"_csrf": {tok}, "email": {email},
			"display_name": {"Neue Person " + string(rune('A'+i))}, "password": {"Sonnenblumen am Rhein"}, "return": {tc.ret}})
		href, _ := doc.Find(`main a[href^="/login"]`).Attr("href")
		if resp.StatusCode != 200 || href == "" {
			t.Fatalf("return %q: %d, login link %q", tc.ret, resp.StatusCode, href)
		}
		u, _ := url.Parse(href)
		resp, _ = c.post("/login", url.Values{"_csrf": {c.csrf(href)}, "email": {email}, "password": {"Sonnenblumen am Rhein"},
			"return": {u.Query().Get("return")}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != tc.want {
			t.Errorf("return %q: %d to %q, want %q", tc.ret, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
}

// TestAdminUserRole_OwnAdminNeedsConfirmation checks the form flow of
// giving up one's own admin role and the last-admin rule through the form
// and the API.
func TestAdminUserRole_OwnAdminNeedsConfirmation(t *testing.T) {
	e := newEnv(t)
	admin, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := e.browser()
	b.loginForm("admin@example.org", apw)
	hasAdmin := func(id string) bool {
		u, err := e.Accounts.User(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return u.HasRole(mitreden.RoleAdmin)
	}
	tok := b.csrf("/admin/users")
	path := "/admin/users/" + admin.ID + "/roles"
	resp, doc := b.post(path, url.Values{"_csrf": {tok}, "role": {"admin"}, "action": {"revoke"}})
	if resp.StatusCode != 200 || doc.Find(`form[action="`+path+`"] input[name="confirm"][value="yes"]`).Length() != 1 || !hasAdmin(admin.ID) {
		t.Fatalf("own revoke without confirmation: %d, confirm form %d, admin %v", resp.StatusCode, doc.Find(`input[name="confirm"]`).Length(), hasAdmin(admin.ID))
	}
	checkPage(t, "confirm", doc, "de")
	resp, doc = b.post(path, url.Values{"_csrf": {tok}, "role": {"admin"}, "action": {"revoke"}, "confirm": {"yes"}})
	if resp.StatusCode != 409 || !strings.Contains(doc.Find("#error-summary").Text(), "letzte Administrationsrolle") || !hasAdmin(admin.ID) {
		t.Fatalf("last admin through the form: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	if resp, _ := b.post(path, url.Values{"_csrf": {tok}, "role": {"admin"}, "action": {"revoke"}, "confirm": {"maybe"}}); resp.StatusCode != 422 {
		t.Errorf("confirm=maybe: %d", resp.StatusCode)
	}
	token := e.login("admin@example.org", apw)
	resp = e.api("DELETE", "/api/v1/users/"+admin.ID+"/roles/admin", token, nil)
	var p struct{ Detail string }
	decodeJSON(t, resp, &p)
	if resp.StatusCode != 409 || !strings.Contains(p.Detail, "letzte Administrationsrolle") {
		t.Fatalf("last admin through the API: %d %q", resp.StatusCode, p.Detail)
	}
	// With a second admin the confirmed revocation goes through and leads
	// to the profile (the admin pages are closed now).
	other, _ := e.createUser("zweite@example.org", "Zweite", mitreden.RoleAdmin)
	resp, _ = b.post(path, url.Values{"_csrf": {tok}, "role": {"admin"}, "action": {"revoke"}, "confirm": {"yes"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/profile" || hasAdmin(admin.ID) || !hasAdmin(other.ID) {
		t.Fatalf("confirmed revocation: %d to %q, admin %v", resp.StatusCode, resp.Header.Get("Location"), hasAdmin(admin.ID))
	}
	if resp, _ := b.get("/admin/users"); resp.StatusCode != 403 {
		t.Errorf("admin page after giving up the role: %d", resp.StatusCode)
	}
}

// TestLogin_RateLimitSaysUntilWhen checks the wait of a throttled login as
// a time in Berlin, in the page and in the problem document.
func TestLogin_RateLimitSaysUntilWhen(t *testing.T) {
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.LoginMaxPerAccount = 1 }))
	now := time.Date(2025, 1, 15, 13, 7, 0, 0, time.UTC) // 14:07 in Berlin; one failure per 15 minutes: the next at 14:22
	e.Now.Store(&now)
	b := e.browser()
	var body string
	for range 2 {
		tok := b.csrf("/login")
		resp, doc := b.post("/login", url.Values{"_csrf": {tok}, "email": {"x@example.org"}, "password": {"falsch falsch falsch"}})
		body = doc.Find("main").Text()
		if resp.StatusCode == 429 {
			break
		}
	}
	if !strings.Contains(body, "ab 15.01.2025, 14:22 Uhr") || strings.Contains(body, "UTC") {
		t.Errorf("429 page: %s", body)
	}
	resp := e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "x@example.org", "password": "falsch falsch falsch"})
	var p struct{ Detail string }
	decodeJSON(t, resp, &p)
	if resp.StatusCode != 429 || !strings.Contains(p.Detail, "14:22 Uhr") {
		t.Errorf("API 429: %d %q", resp.StatusCode, p.Detail)
	}
}
