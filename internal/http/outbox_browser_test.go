package http_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_OutboxJourney: an admin at 320 pixels without JavaScript
// opens the outbox from the navigation, sends the test mail, finds it in
// the list, opens it and follows its link by keyboard; at 1280 pixels the
// delivered mail says so. axe and HTML_CodeSniffer check every page.
func TestBrowser_OutboxJourney(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := newBrowser(t, e, "de", withoutJS())
	b.viewport(320, 900)
	browserLogin(b, "admin@example.org", pw)
	if st := b.submit(`nav a[href="/admin/outbox"]`); st != 200 {
		t.Fatalf("outbox from the navigation: %d", st)
	}
	if !strings.Contains(b.text("main"), "Noch keine E-Mails.") {
		t.Errorf("empty outbox: %q", b.text("main"))
	}
	reflows(t, b, "empty outbox at 320 px")
	if st := b.submit(`form[action="/admin/outbox/test"] button`); st != 200 {
		t.Fatalf("test mail: %d", st)
	}
	if !strings.Contains(b.text("#status"), "eingereiht") || b.count("tbody tr") != 1 || !strings.Contains(b.text("tbody"), "Wartet auf Versand") {
		t.Fatalf("after the test mail: status %q, list %q", b.text("#status"), b.text("main"))
	}
	reflows(t, b, "outbox at 320 px")
	if st := b.submit(`tbody a`); st != 200 || b.text("h1") != "Testnachricht von mitreden" {
		t.Fatalf("one mail: %d %q", st, b.text("h1"))
	}
	reflows(t, b, "one mail at 320 px")
	// The test mail links to the platform twice: in its text and in the
	// footer.
	link := `.outbox-text a[href="http://127.0.0.1:8080/"]`
	if b.count(link) != 2 {
		t.Fatalf("the mail's link is not clickable: %q", b.text(".outbox-text"))
	}
	if !b.focusVisible(link) {
		t.Error("the mail's link shows no keyboard focus")
	}

	e.runJobs()
	b.viewport(1280, 900)
	b.visit("/admin/outbox")
	if !strings.Contains(b.text("tbody"), "Versandt am") {
		t.Errorf("the delivered mail: %q", b.text("tbody"))
	}
}
