package http_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_DownloadMyDataThenDeleteTheAccount: a person opens "Meine
// Daten" from the profile (at 320 pixels without JavaScript, then at 1280
// with it), downloads everything as one JSON file, goes on to delete the
// account, mistypes the password, deletes it, and finds the proposal
// attributed to the deleted account. axe and HTML_CodeSniffer check every
// page (visit and submit).
func TestBrowser_DownloadMyDataThenDeleteTheAccount(t *testing.T) {
	e := newEnv(t)
	f := newDataFixture(t, e)

	small := newBrowser(t, e, "de", withoutJS())
	small.viewport(320, 900)
	browserLogin(small, "erika@example.org", f.pw)
	for _, p := range []string{"/profile/data", "/profile/delete"} {
		if st := small.visit(p); st != 200 {
			t.Fatalf("%s: %d", p, st)
		}
		reflows(t, small, p+" at 320 px without JavaScript")
	}
	small.fill("#password", "vertippt")
	if st := small.submit(`form[action="/profile/delete"] button[type="submit"]`); st != 422 {
		t.Fatalf("wrong password without JavaScript: %d", st)
	}
	if small.count(`#error-summary a[href="#password"]`) != 1 {
		t.Errorf("the summary does not link to the password: %q", small.text("#error-summary"))
	}
	reflows(t, small, "delete form with an error at 320 px")

	// In English, with JavaScript: the same pages pass axe.
	en := "en"
	if _, err := e.Accounts.UpdateProfile(context.Background(), f.other, mitreden.UserUpdate{Language: &en}); err != nil {
		t.Fatal(err)
	}
	other := newBrowser(t, e, "en")
	other.viewport(1280, 900)
	browserLogin(other, "otto@example.org", "correct horse battery staple 42")
	for p, h1 := range map[string]string{"/profile/data": "My data", "/profile/delete": "Delete account"} {
		if st := other.visit(p); st != 200 || other.text("h1") != h1 {
			t.Errorf("%s in English: %d %q", p, st, other.text("h1"))
		}
	}
	// By keyboard alone: Tab to the password, type, Enter; the refusal
	// comes back with the summary in focus.
	other.visit("/profile/delete")
	reached := false
	for range 40 {
		other.press("\t")
		if other.focused() == "#password" {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatal("Tab never reaches the password field")
	}
	other.press("not my password")
	other.press("\r")
	waitFor(t, func() bool { return eval[bool](other, `!!document.querySelector("#error-summary")`) })
	other.checkPage()
	if !strings.Contains(other.text("#error-summary"), "The password is wrong. Nothing was deleted.") {
		t.Errorf("summary %q", other.text("#error-summary"))
	}
	if f := other.focused(); f != "#error-summary" {
		t.Errorf("focus after the refusal: %s", f)
	}

	b := newBrowser(t, e, "de")
	b.viewport(1280, 900)
	browserLogin(b, "erika@example.org", f.pw)
	b.visit("/profile")
	if st := b.submit(`main a[href="/profile/data"]`); st != 200 {
		t.Fatalf("my data: %d", st)
	}
	if h := b.text("h1"); h != "Meine Daten" {
		t.Errorf("h1 %q", h)
	}
	if b.count(`main a[href="/profile/data/export"][download]`) != 1 {
		t.Error("the download link is no download")
	}
	// What the download link fetches, with the tab's cookies.
	got := eval[string](b, `(function(){ const x = new XMLHttpRequest(); x.open("GET", "/profile/data/export", false); x.send();
		return x.status + "|" + x.getResponseHeader("Content-Disposition") + "|" + x.responseText })()`)
	parts := strings.SplitN(got, "|", 3)
	if len(parts) != 3 || parts[0] != "200" || !strings.HasPrefix(parts[1], `attachment; filename="mitreden-daten-`) ||
		!strings.Contains(parts[2], `"format":1`) || !strings.Contains(parts[2], "Wasserspielplatz am Kanalufer") {
		t.Fatalf("download: %.300s", got)
	}
	b.screenshot("my-data-1280")

	if st := b.submit(`main a[href="/profile/delete"]`); st != 200 {
		t.Fatalf("delete page: %d", st)
	}
	if !strings.Contains(b.text("main"), "gelöschtes Konto") {
		t.Error("the delete page does not say how contributions are shown")
	}
	b.fill("#password", "vertippt")
	if st := b.submit(`form[action="/profile/delete"] button[type="submit"]`); st != 422 {
		t.Fatalf("wrong password: %d", st)
	}
	if !strings.Contains(b.text("#error-summary"), "Das Passwort stimmt nicht") {
		t.Errorf("summary %q", b.text("#error-summary"))
	}
	b.screenshot("delete-account-error-1280")
	b.fill("#password", f.pw)
	if st := b.submit(`form[action="/profile/delete"] button[type="submit"]`); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	if !strings.HasSuffix(b.url(), "/") || !strings.Contains(b.text("main"), "Ihr Konto ist gelöscht.") && !strings.Contains(b.text("body"), "Ihr Konto ist gelöscht.") {
		t.Errorf("after deleting: %s %q", b.url(), b.text("body"))
	}
	b.visit("/proposals/" + f.proposal.ID)
	if meta := b.text("main h1 ~ p.meta"); !strings.Contains(meta, "gelöschtes Konto") {
		t.Errorf("proposal meta %q", meta)
	}
	if strings.Contains(b.text("body"), "Erika Elster") {
		t.Error("the deleted name still shows")
	}
	// The other tab's session ended with the account.
	if st := small.visit("/profile/data"); st != 200 || !strings.Contains(small.url(), "/login") {
		t.Errorf("the other session outlived the deletion: %d %s", st, small.url())
	}
}
