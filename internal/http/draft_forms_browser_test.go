package http_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/service"
)

// An admin who changes a consultation or writes an official answer while
// the session ends loses nothing: the form comes back with what was typed,
// the focus on the summary that says why, and a login in the same form
// that saves it. With JavaScript and without, at 1280 and 320 pixels.
func TestBrowser_AdminFormsKeepInputAfterSessionEnd(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	newDraftAdmins(e)
	for i, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			e.Now.Store(nil)
			defer e.Now.Store(nil)
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			// Logins are throttled per account: one admin per mode.
			email := []string{"admin2@example.org", "admin3@example.org"}[i]
			b := newBrowser(t, e, "de", opts...)
			for _, c := range []struct {
				name, page, field, submit, text string
				// landed checks the page the saved form led to.
				landed func() bool
			}{
				{"consultation", "/consultations/" + f.cons + "/edit", "#body", `form[action="/consultations/` + f.cons + `"] button[type="submit"]`,
					"Das Land will die wichtigsten Leistungen online anbieten, " + mode + ".\n\nNeu: bis 2027.",
					func() bool { return strings.Contains(b.text("main"), "Neu: bis 2027.") }},
				{"answer", "/proposals/" + f.proposal, "#answer_text", `form[action="/proposals/` + f.proposal + `/answer"] button[type="submit"]`,
					"Wir prüfen das, " + mode + ". Eine Entscheidung folgt im Mai.",
					func() bool { return strings.Contains(b.text("#answer"), "Eine Entscheidung folgt im Mai.") }},
			} {
				e.Now.Store(nil)
				browserLogin(b, email, f.pw)
				b.visit(c.page)
				if !strings.HasPrefix(b.text(`form:has(`+c.field+`) [data-session-until]`), "Dieses Formular bleibt bis ") {
					t.Errorf("%s: the form does not say until when it stays valid", c.name)
				}
				b.fill(c.field, c.text)
				later := time.Now().Add(2 * time.Hour)
				e.Now.Store(&later)
				if st := b.submit(c.submit); st != 401 {
					t.Fatalf("%s after the session ended: status %d: %s", c.name, st, b.text("main"))
				}
				if fc := b.focused(); fc != "#error-summary" {
					t.Errorf("%s: focus on %s, want #error-summary", c.name, fc)
				}
				if s := b.text("#error-summary"); !strings.Contains(s, "Ihre Anmeldung ist abgelaufen") || strings.Contains(b.text("h1"), "Keine Berechtigung") {
					t.Errorf("%s: summary %q, heading %q", c.name, s, b.text("h1"))
				}
				kept := c.field
				if c.name == "answer" {
					kept = `textarea[name="answer_text"]`
				}
				if got := eval[string](b, `document.querySelector(`+jsString(kept)+`).value`); got != c.text {
					t.Fatalf("%s: the text came back as %q", c.name, got)
				}
				for _, width := range []int64{1280, 320} {
					b.viewport(width, 900)
					if b.overflowsHorizontally() {
						t.Errorf("%s: %d px: the page scrolls sideways", c.name, width)
					}
					b.screenshot(fmt.Sprintf("draft-%s-%s-%d", c.name, mode, width))
				}
				b.viewport(1280, 900)
				b.fill("#draft-email", email)
				b.fill("#draft-password", f.pw)
				if st := b.submit(`form:has(#draft-password) button[type="submit"]`); st != 200 {
					t.Fatalf("%s: log in from the form: status %d at %s", c.name, st, b.url())
				}
				if !c.landed() || b.count(`form[action="/logout"]`) != 1 {
					t.Errorf("%s: after logging in from the form the text is not saved, or the person is not logged in (%s)", c.name, b.url())
				}
				b.submit(`form[action="/logout"] button[type="submit"]`)
			}
		})
	}
}

// The profile form, like the comment forms, warns before the session ends
// and offers to extend it (WCAG 2.2.1).
func TestBrowser_ProfileWarnsBeforeSessionEnds(t *testing.T) {
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.SessionIdle = 16 * time.Second }))
	f := newCommentFixture(t, e)
	b := newBrowser(t, e, "de")
	browserLogin(b, f.email, f.pw)
	b.visit("/profile")
	b.fill("#display_name", "Erika Mustermann")
	if !waitForJS(b, `document.querySelector("dialog.session-warning").open`, 30*time.Second) {
		t.Fatal("no warning before the session ended")
	}
	b.checkA11y()
	b.press("\r")
	if !waitForJS(b, `!document.querySelector("dialog.session-warning").open`, 10*time.Second) {
		t.Fatalf("the warning stayed open: %q", b.text("dialog.session-warning"))
	}
	if got := b.text("#session-status"); !strings.HasPrefix(got, "Sie bleiben bis ") {
		t.Errorf("the extension was not announced: %q", got)
	}
	if got := eval[string](b, `document.querySelector("#display_name").value`); got != "Erika Mustermann" {
		t.Errorf("the name typed is %q after extending", got)
	}
}
