package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// outboxFixture stores mails straight into the outbox: n numbered ones and
// one whose text holds markup and links.
func outboxFixture(t *testing.T, e *testEnv, n int) {
	t.Helper()
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	for i := range n {
		if err := e.DB.Mails().InsertMail(context.Background(), &mitreden.Mail{ID: fmt.Sprint("m", i), To: fmt.Sprintf("p%d@example.org", i),
			Subject: fmt.Sprint("Betreff ", i), Text: fmt.Sprint("Text ", i), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.DB.Mails().InsertMail(context.Background(), &mitreden.Mail{ID: "links", To: "ana@example.org", Subject: "Bitte <b>bestätigen</b>",
		Text:        "Guten Tag,\n\n<script>alert(1)</script> Bestätigen: https://mitreden.example/verify?token=a&b=c.\n(Siehe https://mitreden.example/hilfe)\n\nAbbestellen: javascript:alert(1)",
		Unsubscribe: "https://mitreden.example/unsubscribe/t", CreatedAt: t0.Add(time.Hour), SentAt: t0.Add(time.Hour + time.Second)}); err != nil {
		t.Fatal(err)
	}
}

// TestOutbox_AdminPages: the list newest first with state and a link per
// mail; one mail's text with its http(s) links clickable and everything
// else escaped; unknown mails 404.
func TestOutbox_AdminPages(t *testing.T) {
	e := newEnv(t)
	outboxFixture(t, e, 3)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := e.browser()
	b.loginForm("admin@example.org", pw)
	resp, doc := b.get("/admin/outbox")
	if resp.StatusCode != 200 {
		t.Fatalf("outbox: %d", resp.StatusCode)
	}
	if h := doc.Find("h1").Text(); h != "Postausgang" {
		t.Errorf("h1 %q", h)
	}
	if nav := doc.Find(`nav a[href="/admin/outbox"][aria-current="page"]`); nav.Length() != 1 {
		t.Error("the navigation does not mark the outbox as the current page")
	}
	var subjects []string
	doc.Find("tbody tr td:nth-child(3) a").Each(func(_ int, a *goquery.Selection) {
		subjects = append(subjects, a.Text()+" "+a.AttrOr("href", ""))
	})
	want := []string{"Bitte <b>bestätigen</b> /admin/outbox/links", "Betreff 2 /admin/outbox/m2", "Betreff 1 /admin/outbox/m1", "Betreff 0 /admin/outbox/m0"}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("rows %q, want %q", subjects, want)
	}
	rows := doc.Find("tbody tr")
	if s := strings.TrimSpace(rows.Eq(0).Find("td").Eq(3).Text()); !strings.HasPrefix(s, "Versandt am ") {
		t.Errorf("state of a sent mail %q", s)
	}
	if s := strings.TrimSpace(rows.Eq(1).Find("td").Eq(3).Text()); s != "Wartet auf Versand" {
		t.Errorf("state of a waiting mail %q", s)
	}
	if !strings.Contains(doc.Find("main").Text(), "Keine E-Mail verlässt den Server") {
		t.Error("the page does not say that mails stay on the server")
	}
	if doc.Find(`form[action="/admin/outbox/test"] button`).Length() != 1 {
		t.Error("no test-mail button")
	}

	resp, doc = b.get("/admin/outbox/links")
	if resp.StatusCode != 200 {
		t.Fatalf("one mail: %d", resp.StatusCode)
	}
	if h := doc.Find("h1").Text(); h != "Bitte <b>bestätigen</b>" {
		t.Errorf("h1 %q", h)
	}
	text := doc.Find(".outbox-text")
	var links []string
	text.Find("a").Each(func(_ int, a *goquery.Selection) { links = append(links, a.AttrOr("href", "")+" "+a.Text()) })
	wantLinks := []string{"https://mitreden.example/verify?token=a&b=c https://mitreden.example/verify?token=a&b=c",
		"https://mitreden.example/hilfe https://mitreden.example/hilfe"}
	if strings.Join(links, "|") != strings.Join(wantLinks, "|") {
		t.Errorf("links %q, want %q", links, wantLinks)
	}
	if text.Find("script, b").Length() != 0 || !strings.Contains(text.Text(), "<script>alert(1)</script>") {
		t.Errorf("the text's markup is not shown as text: %s", text.Text())
	}
	if ps := text.Find("p"); ps.Length() != 6 || strings.TrimSpace(ps.Eq(1).Text()) != "" {
		t.Errorf("%d lines, want 6 with the blank ones kept", ps.Length())
	}
	if !strings.Contains(doc.Find("dl").Text(), "https://mitreden.example/unsubscribe/t") {
		t.Error("the unsubscribe link is not shown")
	}
	// A mail an SMTP server took has no text left to show.
	if err := e.DB.Mails().MarkMailSent(context.Background(), "m1", time.Now(), true); err != nil {
		t.Fatal(err)
	}
	_, doc = b.get("/admin/outbox/m1")
	if doc.Find(".outbox-text").Length() != 0 || !strings.Contains(doc.Find("main").Text(), "Der Text wurde nach dem Versand gelöscht.") {
		t.Errorf("a mail without text: %s", doc.Find("main").Text())
	}
	if resp, _ := b.get("/admin/outbox/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown mail: %d", resp.StatusCode)
	}

}

// TestOutbox_TestMailToTheAdmin: the button queues the test mail to the
// admin's own address in the admin's language; it arrives with its link.
func TestOutbox_TestMailToTheAdmin(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := e.browser()
	b.loginForm("admin@example.org", pw)
	resp, _ := b.post("/admin/outbox/test", url.Values{"_csrf": {b.csrf("/admin/outbox")}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/outbox" {
		t.Fatalf("test mail: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	m := e.lastMail("admin@example.org")
	if m.Subject != "Testnachricht von mitreden" || !strings.Contains(m.Text, "http://127.0.0.1:8080/") || m.SentAt.IsZero() {
		t.Fatalf("test mail: %+v", m)
	}
	_, doc := b.get("/admin/outbox")
	if !strings.Contains(doc.Find("#status").Text(), "eingereiht") {
		t.Errorf("no confirmation: %q", doc.Find("#status").Text())
	}
	if doc.Find("tbody tr").Length() != 1 {
		t.Error("the test mail is not listed")
	}

	// An English-speaking admin reads the page and gets the mail in English.
	if _, err := e.Accounts.CreateUser(context.Background(), service.RegisterInput{Email: "jane@example.org", DisplayName: "Jane",
		Password: pw, Language: "en", Roles: []mitreden.Role{mitreden.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	en := e.browser()
	en.Lang = "en"
	en.loginForm("jane@example.org", pw)
	_, doc = en.get("/admin/outbox")
	if h := doc.Find("h1").Text(); h != "Outbox" || !strings.Contains(doc.Find("main").Text(), "No email leaves the server") {
		t.Errorf("English page: h1 %q", h)
	}
	en.post("/admin/outbox/test", url.Values{"_csrf": {en.csrf("/admin/outbox")}})
	if m := e.lastMail("jane@example.org"); m.Subject != "Test message from mitreden" || !strings.Contains(m.HTML, `lang="en"`) {
		t.Errorf("English test mail: %+v", m)
	}
}

// TestOutbox_API lists the outbox in pages for admins, in the contract's
// shape.
func TestOutbox_API(t *testing.T) {
	e := newEnv(t)
	outboxFixture(t, e, 3)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	tok := e.login("admin@example.org", pw)
	resp := e.api("GET", "/api/v1/admin/outbox?page=2&per_page=3", tok, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("outbox API: %d", resp.StatusCode)
	}
	var out struct {
		Items []struct {
			ID, To, Subject, Text, Unsubscribe string
			CreatedAt                          string `json:"created_at"`
			SentAt                             string `json:"sent_at"`
		}
	}
	var env struct {
		Total   int `json:"total"`
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
	}
	body := []byte(readBody(resp))
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(body, &env)
	if env.Total != 4 || env.Page != 2 || env.PerPage != 3 || len(out.Items) != 1 {
		t.Fatalf("page 2: %s", body)
	}
	it := out.Items[0]
	if it.ID != "m0" || it.To != "p0@example.org" || it.Subject != "Betreff 0" || it.Text != "Text 0" || it.CreatedAt != "2026-11-29T09:00:00Z" || it.SentAt != "" {
		t.Errorf("item %+v", it)
	}
	body = []byte(readBody(e.api("GET", "/api/v1/admin/outbox?per_page=1", tok, nil)))
	if err := json.Unmarshal(body, &out); err != nil || len(out.Items) != 1 || out.Items[0].ID != "links" ||
		out.Items[0].Unsubscribe != "https://mitreden.example/unsubscribe/t" || out.Items[0].SentAt != "2026-11-29T10:00:01Z" {
		t.Errorf("newest first: %s", body)
	}
	if resp := e.api("GET", "/api/v1/admin/outbox?page=x", tok, nil); resp.StatusCode != 422 && resp.StatusCode != 400 {
		t.Errorf("a bad page number: %d", resp.StatusCode)
	}
}
