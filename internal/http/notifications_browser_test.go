package http_test

import (
	"strings"
	"testing"
)

// TestBrowser_NotificationsJourney: Bert replies to Anna's comment; Anna's
// header counts it (its accessible name says how many are unread); she
// reaches the list by keyboard, marks the notification read by its button,
// and chooses the daily digest for replies in the settings. Once with
// JavaScript at 1280 pixels, once without at 320; axe and
// HTML_CodeSniffer check every page.
func TestBrowser_NotificationsJourney(t *testing.T) {
	for _, run := range []struct {
		name  string
		width int64
		opts  []sessionOption
	}{{"1280", 1280, nil}, {"320 without JavaScript", 320, []sessionOption{withoutJS()}}} {
		t.Run(run.name, func(t *testing.T) {
			f := newNoteFixture(t)
			e := f.e
			cm := f.comment(f.annaTok, "Nachts sind die Güterzüge am lautesten.", "")
			f.comment(f.bertTok, "Stimmt, besonders zwischen zwei und vier Uhr.", cm)
			e.runJobs()

			b := newBrowser(t, e, "de", run.opts...)
			b.viewport(run.width, 900)
			browserLogin(b, "anna@example.org", f.annaPW)
			b.visit("/")
			link := `header a[href="/notifications"]`
			if got := strings.Join(strings.Fields(b.text(link)), " "); got != "Benachrichtigungen (1)" {
				t.Fatalf("header link: %q", got)
			}
			// The link's text is its accessible name: no label hides the count.
			if b.attr(link, "aria-label") != "" {
				t.Errorf("the header link's aria-label overrides its text")
			}
			reflows(t, b, "home")
			// The header link by keyboard: focus it, then Enter.
			if !b.focusVisible(link) {
				t.Errorf("the header link shows no focus")
			}
			b.press("\r")
			waitForJS(b, `location.pathname === "/notifications"`, 5e9)
			b.checkPage()
			if !strings.HasSuffix(b.url(), "/notifications") {
				t.Fatalf("Enter on the header link led to %s", b.url())
			}
			if got := b.text("main ol.notification-list li.notification--unread button.link-button"); !strings.Contains(got, "Bert Bach hat auf Ihren Kommentar") {
				t.Fatalf("list item: %q", got)
			}
			reflows(t, b, "list")
			if st := b.submit(`li.notification--unread form[action$="/read"] button`); st != 200 {
				t.Fatalf("mark read: %d", st)
			}
			if b.count("li.notification--unread") != 0 || strings.Contains(b.text(link), "(") {
				t.Fatalf("after marking read: header %q", b.text(link))
			}
			if got := b.text("#status"); !strings.Contains(got, "als gelesen markiert") {
				t.Errorf("status after marking read: %q", got)
			}
			if st := b.submit(`main a[href="/notifications/settings"]`); st != 200 {
				t.Fatalf("settings: %d", st)
			}
			reflows(t, b, "settings")
			b.choose("mode-reply-daily")
			if st := b.submit(`main form[action="/notifications/settings"] button[type="submit"]`); st != 200 {
				t.Fatalf("save settings: %d", st)
			}
			if got := b.text("#status"); !strings.Contains(got, "gespeichert") {
				t.Errorf("status after saving: %q", got)
			}
			if !eval[bool](b, `document.getElementById("mode-reply-daily").checked && document.getElementById("mode-answer-immediately").checked`) {
				t.Errorf("the saved settings are not shown")
			}
		})
	}
}
