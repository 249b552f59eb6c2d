package http_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_AccountJourney: register → the mail → verify → propose, and
// forgot password → the mail → reset, in a real browser with axe on every
// page (checkPage), with and without JavaScript.
func TestBrowser_AccountJourney(t *testing.T) {
	e := newEnv(t, withVerification())
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	c := openConsultation(t, e, admin)
	for _, noJS := range []bool{false, true} {
		name, email := "js", "journey-js@example.org"
		var opts []sessionOption
		if noJS {
			name, email = "nojs", "journey-nojs@example.org"
			opts = append(opts, withoutJS())
		}
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t, e, "de", opts...)
			if noJS {
				// The narrowest screen, where nothing may scroll sideways.
				b.viewport(320, 800)
			}
			b.visit("/register")
			b.fill("#email", email)
			b.fill("#display_name", "Reise "+name)
			b.fill("#password", "Sonnenblumen am Rhein")
			if st := b.submit(`form[action="/register"] button[type="submit"]`); st != 200 {
				t.Fatalf("register: %d", st)
			}
			if !strings.Contains(b.text("main h1"), "Postfach") {
				t.Fatalf("answer page: %q", b.text("main"))
			}
			b.screenshot("account-register-sent-" + name)
			b.submit(`main a[href^="/login"]`)
			b.fill("#email", email)
			b.fill("#password", "Sonnenblumen am Rhein")
			b.submit(`form[action="/login"] button[type="submit"]`)
			// Every page says what to do; proposing waits.
			b.visit("/consultations/" + c.ID)
			if b.count(`#verify-note button`) != 1 {
				t.Fatalf("no verification note: %q", b.text("main"))
			}
			b.screenshot("account-unverified-" + name)
			// By keyboard: Tab reaches the resend button early, Enter sends it.
			reached := false
			for range 30 {
				b.press("\t")
				if eval[bool](b, `document.activeElement.matches("#verify-note button")`) {
					reached = true
					break
				}
			}
			if !reached {
				t.Fatal("Tab never reaches the button that sends the link again")
			}
			b.press("\r")
			waitFor(t, func() bool { return strings.Contains(b.text("#status"), "neuen Link") })
			// The mail's link shows a button; pressing it verifies.
			b.visit(e.linkIn(email, "bestätigen"))
			b.submit(`form[action="/account/verify"] button[type="submit"]`)
			if b.count(`#verify-note`) != 0 || !strings.Contains(b.text("#status"), "bestätigt") {
				t.Fatalf("after verifying: %q", b.text("main"))
			}
			b.visit("/consultations/" + c.ID + "/proposals/new")
			b.fill("#title", "Vorschlag auf der Reise "+name)
			b.fill("#body", "Ein Vorschlag mit genug Text darin, damit er gilt.")
			b.submit(`form[action$="/proposals"] button[type="submit"]`)
			if !strings.Contains(b.url(), "/proposals/") || !strings.Contains(b.text("main h1"), "Vorschlag auf der Reise") {
				t.Fatalf("after proposing at %s: %q", b.url(), b.text("main"))
			}
			b.submit(`form[action="/logout"] button`)
			// Forgot the password: the link on the login page, the mail, the reset.
			b.visit("/login")
			b.submit(`main a[href="/password/forgot"]`)
			b.fill("#email", email)
			b.submit(`form[action="/password/forgot"] button[type="submit"]`)
			if !strings.Contains(b.text("main"), "Bitte prüfen Sie Ihr Postfach") {
				t.Fatalf("forgot answer: %q", b.text("main"))
			}
			b.visit(e.linkIn(email, "Neues Passwort"))
			b.fill("#password", "kurz")
			if st := b.submit(`form[action="/password/reset"] button[type="submit"]`); st != 422 {
				t.Fatalf("short password: %d", st)
			}
			if f := b.focused(); f != "#error-summary" {
				t.Errorf("focus after the refused password is on %s", f)
			}
			b.fill("#password", "Neue Brücken über die Ruhr")
			b.submit(`form[action="/password/reset"] button[type="submit"]`)
			if b.count(`form[action="/logout"]`) != 1 {
				t.Fatalf("not logged in after the reset: %q", b.text("main"))
			}
			b.screenshot("account-reset-done-" + name)
			for _, p := range []string{"/password/forgot", "/password/reset?token=x", "/account/verify?token=x", "/account/email/confirm?token=x", "/profile"} {
				b.visit(p)
				if b.overflowsHorizontally() {
					t.Errorf("%s scrolls sideways (%s)", p, name)
				}
			}
			// Changing the address on the profile: a wrong password is
			// reported at its field and the new address kept.
			b.visit("/profile")
			b.fill("#new_email", "umgezogen-"+email)
			b.fill("#email_password", "nicht mein Passwort")
			if st := b.submit(`form[action="/profile/email"] button[type="submit"]`); st != 422 {
				t.Fatalf("wrong password: %d", st)
			}
			if b.count(`#error-summary a[href="#email_password"]`) != 1 || b.attr("#new_email", "value") != "umgezogen-"+email {
				t.Errorf("address change form after a wrong password: %q", b.text("main"))
			}
		})
	}
}
