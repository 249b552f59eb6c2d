package http_test

import (
	"bytes"
	"encoding/json"
	nethttp "net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/smtp"
)

// TestBrowser_MailAccountsJourney follows one person through everything
// mail and account self-service touch, in order, with address confirmation
// on: she registers, the admin finds the confirmation mail in the outbox
// and she follows its link, confirms, proposes and comments; Bert replies,
// her header counts the notification, a reply mail with one-click
// List-Unsubscribe arrives, and her mail client's one-click POST turns
// replies to "Keine E-Mail"; she forgets her password and resets it by
// mail, downloads her data and deletes her account. axe and
// HTML_CodeSniffer check every page the browsers visit.
func TestBrowser_MailAccountsJourney(t *testing.T) {
	e := newEnv(t, withVerification())
	admin, adminPW := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	c := openConsultation(t, e, admin)
	_, bertPW := e.createUser("bert@example.org", "Bert Bach") // created directly, so already confirmed
	const email, pw, newPW = "ronja@example.org", "Sonnenblumen am Rhein", "Neue Brücken über die Ruhr"
	const title = "Bücherbus für die Dörfer"

	// Register.
	b := newBrowser(t, e, "de")
	b.visit("/register")
	b.fill("#email", email)
	b.fill("#display_name", "Ronja Rabe")
	b.fill("#password", pw)
	if st := b.submit(`form[action="/register"] button[type="submit"]`); st != 200 || !strings.Contains(b.text("main h1"), "Postfach") {
		t.Fatalf("register: %d %q", st, b.text("main"))
	}

	// The confirmation mail, as the admin reads it in the outbox.
	e.runJobs()
	ad := newBrowser(t, e, "de")
	browserLogin(ad, "admin@example.org", adminPW)
	ad.visit("/admin/outbox")
	mailPage := eval[string](ad, `(function(){ for (const tr of document.querySelectorAll("tbody tr"))
		if (tr.innerText.includes(`+jsString(email)+`)) return tr.querySelector("a").getAttribute("href"); return "" })()`)
	if mailPage == "" {
		t.Fatalf("no mail to %s in the outbox: %q", email, ad.text("main"))
	}
	if st := ad.submit(`tbody a[href="` + mailPage + `"]`); st != 200 || !strings.Contains(ad.text("h1"), "bestätigen") {
		t.Fatalf("the confirmation mail: %d %q", st, ad.text("h1"))
	}
	raw := ad.attr(`.outbox-text a[href*="/account/verify?token="]`, "href")
	link, err := url.Parse(raw)
	if raw == "" || err != nil {
		t.Fatalf("the mail has no confirmation link: %q", ad.text(".outbox-text"))
	}

	// Confirm by the button behind the link, then log in.
	b.visit(link.RequestURI())
	if st := b.submit(`form[action="/account/verify"] button[type="submit"]`); st != 200 || !strings.Contains(b.text("#status"), "bestätigt") {
		t.Fatalf("confirming: %d %q", st, b.text("main"))
	}
	browserLogin(b, email, pw)

	// Propose, and comment on the own proposal.
	b.visit("/consultations/" + c.ID + "/proposals/new")
	b.fill("#title", title)
	b.fill("#body", "Ein Bücherbus hält einmal die Woche in jedem Ortsteil ohne Bücherei.")
	b.submit(`form[action$="/proposals"] button[type="submit"]`)
	proposalPath := strings.SplitN(strings.TrimPrefix(b.url(), b.base), "#", 2)[0]
	if !strings.HasPrefix(proposalPath, "/proposals/") || b.text("main h1") != title {
		t.Fatalf("after proposing at %s: %q", b.url(), b.text("main"))
	}
	b.fill("#new-comment-body", "Dienstags wäre gut, da ist Markt.")
	b.submit(`form.comment-form button[type="submit"]`)

	// Bert replies to her comment through its reply link.
	bert := newBrowser(t, e, "de")
	browserLogin(bert, "bert@example.org", bertPW)
	bert.visit(proposalPath)
	if st := bert.submit(`#comments a[href^="/comments/"][href$="/reply"]`); st != 200 {
		t.Fatalf("reply page: %d", st)
	}
	bert.fill("#reply-body", "Dienstags passt auch für die Schule.")
	bert.submit(`form.comment-form button[type="submit"]`)
	if !strings.Contains(bert.text("#comments"), "Dienstags passt auch für die Schule.") {
		t.Fatalf("the reply is not on the page: %q", bert.text("#comments"))
	}
	e.runJobs() // the fan-out

	// The header counts it; the list names it.
	b.visit("/")
	if got := strings.Join(strings.Fields(b.text(`header a[href="/notifications"]`)), " "); got != "Benachrichtigungen (1)" {
		t.Fatalf("header link: %q", got)
	}
	b.submit(`header a[href="/notifications"]`)
	if got := b.text("main ol.notification-list li.notification--unread"); !strings.Contains(got, "Bert Bach hat auf Ihren Kommentar") {
		t.Fatalf("notification list: %q", b.text("main"))
	}

	// The reply mail arrived at once, with one-click List-Unsubscribe.
	m := e.lastMail(email)
	if !strings.HasPrefix(m.Subject, "Antwort auf Ihren Kommentar") || !strings.Contains(m.Text, "Dienstags passt") {
		t.Fatalf("reply mail: %q\n%s", m.Subject, m.Text)
	}
	msg, err := smtp.Compose(smtp.Sender{From: mail.Address{Address: "noreply@mitreden.example"}, Host: "127.0.0.1"}, &m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	unsub := parsed.Header.Get("List-Unsubscribe")
	if unsub != "<"+m.Unsubscribe+">" || m.Unsubscribe == "" || parsed.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe headers: %q, %q", unsub, parsed.Header.Get("List-Unsubscribe-Post"))
	}

	// The mail client's one-click POST (RFC 8058): no cookie, no token.
	u, _ := url.Parse(strings.Trim(unsub, "<>"))
	resp, err := nethttp.Post(b.base+u.RequestURI(), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	answer := readBody(resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(answer, "Abbestellt") {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	b.visit("/notifications/settings")
	if !eval[bool](b, `document.getElementById("mode-reply-never").checked`) || b.text(`label[for="mode-reply-never"]`) != "Keine E-Mail" {
		t.Fatalf("settings after unsubscribing: %q", b.text("#mode-reply"))
	}

	// Log out, forget the password, reset it by the mail's link.
	b.submit(`form[action="/logout"] button`)
	b.visit("/login")
	b.submit(`main a[href="/password/forgot"]`)
	b.fill("#email", email)
	b.submit(`form[action="/password/forgot"] button[type="submit"]`)
	if !strings.Contains(b.text("main"), "Bitte prüfen Sie Ihr Postfach") {
		t.Fatalf("forgot answer: %q", b.text("main"))
	}
	b.visit(e.linkIn(email, "Neues Passwort"))
	b.fill("#password", newPW)
	b.submit(`form[action="/password/reset"] button[type="submit"]`)
	if b.count(`form[action="/logout"]`) != 1 || !strings.Contains(b.text("#status"), "neues Passwort ist gespeichert") {
		t.Fatalf("after the reset: status %q, %q", b.text("#status"), b.text("main"))
	}
	if m := e.lastMail(email); !strings.Contains(m.Subject, "Passwort") || !strings.Contains(m.Subject, "geändert") {
		t.Errorf("no mail says the password changed: %q", m.Subject)
	}

	// Meine Daten: the download holds the proposal and the notification.
	b.visit("/profile")
	if st := b.submit(`main a[href="/profile/data"]`); st != 200 || b.count(`main a[href="/profile/data/export"][download]`) != 1 {
		t.Fatalf("my data: %d %q", st, b.text("main"))
	}
	body := eval[string](b, `(function(){ const x = new XMLHttpRequest(); x.open("GET", "/profile/data/export", false); x.send();
		return x.status === 200 ? x.responseText : "" })()`)
	var export struct {
		Proposals     []struct{ Title string }
		Notifications struct {
			Notifications []struct{ Kind, Title string }
		}
	}
	if err := json.Unmarshal([]byte(body), &export); err != nil {
		t.Fatalf("download: %v: %.300s", err, body)
	}
	if len(export.Proposals) != 1 || export.Proposals[0].Title != title ||
		len(export.Notifications.Notifications) != 1 || export.Notifications.Notifications[0].Kind != "reply" {
		t.Fatalf("download: %+v", export)
	}

	// Delete the account; the proposal stays, by "gelöschtes Konto".
	if st := b.submit(`main a[href="/profile/delete"]`); st != 200 {
		t.Fatalf("delete page: %d", st)
	}
	b.fill("#password", newPW)
	if st := b.submit(`form[action="/profile/delete"] button[type="submit"]`); st != 200 || !strings.Contains(b.text("body"), "Ihr Konto ist gelöscht.") {
		t.Fatalf("delete: %d %q", st, b.text("main"))
	}
	b.visit(proposalPath)
	if meta := b.text("main h1 ~ p.meta"); !strings.Contains(meta, "gelöschtes Konto") || strings.Contains(b.text("body"), "Ronja Rabe") {
		t.Errorf("proposal after deleting: %q", meta)
	}
}
