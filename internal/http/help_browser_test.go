package http_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Browser tests of what helps people on their way: error pages that say what
// happened in words and lead on, a login that keeps where one came from, the
// profile's sessions in words, the current page in the navigation, and an
// admin who cannot lock everyone out.

// statusNames are the names of HTTP statuses that earlier error pages used
// as their heading; a person reads "Konflikt" as nothing.
var statusNames = []string{"Fehlerhafte Anfrage", "Anmeldung erforderlich", "Keine Berechtigung", "Nicht gefunden",
	"Methode nicht erlaubt", "Konflikt", "Ungültige Angaben", "Zu viele Anfragen", "Interner Fehler",
	"Bad Request", "Unauthorized", "Forbidden", "Not Found", "Conflict", "Too Many Requests", "Internal Server Error"}

// noMachineTime matches how Go prints a time in UTC when nobody formatted it.
var noMachineTime = regexp.MustCompile(`UTC|\+0000|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}`)

// openProposal makes an open consultation (closing at closes) with one
// proposal and returns the proposal's id.
func openProposal(t *testing.T, e *testEnv, closes time.Time) string {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser("verwaltung@example.org", "Verwaltung", mitreden.RoleAdmin)
	author, _ := e.createUser("autorin@example.org", "Autorin")
	c := &mitreden.Consultation{Title: "Radwege im Kreis", Summary: "Wo fehlen Radwege?", Body: "Wir planen das Radnetz.",
		OpensAt: time.Now().Add(-time.Hour), ClosesAt: closes, VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	p := &mitreden.Proposal{Title: "Radweg an der Landstraße 12", Body: "Zwischen den Dörfern fehlt ein sicherer Radweg."}
	if err := e.Participation.CreateProposal(ctx, author, c.ID, p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// submitByKey focuses sel and presses Enter, as a keyboard user sends a
// form, then waits for the next page, checks it and returns its status.
func (b *browserSession) submitByKey(sel string) int {
	b.t.Helper()
	b.run(chromedp.Focus(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent("\r"))
	if err != nil {
		b.t.Fatalf("Enter on %s at %s: %v", sel, b.url(), err)
	}
	b.checkPage()
	return status(resp)
}

// checkHumanHeading fails when the page's h1 is a status name.
func checkHumanHeading(t *testing.T, b *browserSession, want string) {
	t.Helper()
	h1 := strings.TrimSpace(b.text("h1"))
	for _, n := range statusNames {
		if h1 == n {
			t.Errorf("%s: heading %q is a status name", b.url(), h1)
		}
	}
	if want != "" && h1 != want {
		t.Errorf("%s: heading %q, want %q", b.url(), h1, want)
	}
	if title := eval[string](b, `document.title`); !strings.Contains(title, h1) {
		t.Errorf("%s: <title> %q does not carry the heading %q", b.url(), title, h1)
	}
}

// TestBrowser_ErrorPagesHelp checks that error pages say in words what
// happened, give times in Berlin time as people write them, and lead on:
// back to the item, to the search, to the login for a visitor who is not
// logged in; a 404 offers a search form.
func TestBrowser_ErrorPagesHelp(t *testing.T) {
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.LoginMaxPerAccount = 1 }))
	closes := time.Now().Add(5 * time.Minute).Truncate(time.Minute)
	pid := openProposal(t, e, closes)
	_, pw := e.createUser("erika@example.org", "Erika")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("404 offers search", func(t *testing.T) {
		for lang, want := range map[string]string{"de": "Diese Seite gibt es nicht", "en": "We cannot find this page"} {
			b := newBrowser(t, e, lang)
			if st := b.visit("/radwege-gibt-es-nicht"); st != 404 {
				t.Fatalf("%s: status %d", lang, st)
			}
			checkHumanHeading(t, b, want)
			if b.count(`main form[role="search"][action="/search"] input[name="q"]`) != 1 {
				t.Fatalf("%s: the 404 page offers no search form", lang)
			}
			b.screenshot("error-404-1280-" + lang)
			b.viewport(320, 800)
			if b.overflowsHorizontally() {
				t.Errorf("%s: the 404 page scrolls sideways at 320px", lang)
			}
			b.screenshot("error-404-320-" + lang)
			b.fill("#error-search-q", "Radweg")
			if st := b.submitByKey("#error-search-q"); st != 200 || !strings.Contains(b.url(), "/search?q=Radweg") {
				t.Errorf("%s: search from the 404 page: status %d at %s", lang, st, b.url())
			}
		}
	})

	t.Run("anonymous refusal leads to login and back", func(t *testing.T) {
		b := newBrowser(t, e, "de")
		b.visit("/proposals/" + pid)
		// A form posted without a session, as after the session ended in
		// another tab: the page says so and leads to the login.
		eval[bool](b, `(function(){ const f = document.createElement("form"); f.method = "post"; f.action = "/proposals/`+pid+`/vote";
			f.innerHTML = '<input type="hidden" name="_csrf" value="' + document.querySelector('input[name=_csrf]').value + '"><input type="hidden" name="value" value="support"><button id="stale" type="submit">x</button>';
			document.querySelector("main").append(f); return true })()`)
		if st := b.submit("#stale"); st != 401 {
			t.Fatalf("vote without a session: status %d", st)
		}
		checkHumanHeading(t, b, "Bitte melden Sie sich an")
		if b.count(`main a[href="/proposals/`+pid+`"]`) != 1 {
			t.Errorf("401 page has no link back to the proposal: %s", b.text("main"))
		}
		login := `main a[href="/login?return=%2Fproposals%2F` + pid + `"]`
		if b.count(login) != 1 {
			t.Fatalf("401 page has no login returning to the proposal: %s", b.text("main"))
		}
		b.submit(login)
		b.fill("#email", "erika@example.org")
		b.fill("#password", pw)
		b.submit(`form[action="/login"] button[type="submit"]`)
		if !strings.HasSuffix(b.url(), "/proposals/"+pid) {
			t.Errorf("after logging in from the error page at %s", b.url())
		}
	})

	t.Run("phase end in Berlin time, back to the proposal", func(t *testing.T) {
		b := newBrowser(t, e, "de")
		b.visit("/login")
		b.fill("#email", "erika@example.org")
		b.fill("#password", pw)
		b.submit(`form[action="/login"] button[type="submit"]`)
		b.visit("/proposals/" + pid)
		later := time.Now().Add(10 * time.Minute)
		e.Now.Store(&later)
		defer e.Now.Store(nil)
		if st := b.submit(`form[action="/proposals/` + pid + `/vote"] button[type="submit"]`); st != 409 {
			t.Fatalf("vote after the end: status %d", st)
		}
		b.screenshot("error-closed-de")
		checkHumanHeading(t, b, "Die Beteiligung ist beendet")
		main := b.text("main")
		if want := closes.In(berlin).Format("02.01.2006, 15:04") + " Uhr"; !strings.Contains(main, want) {
			t.Errorf("the end is not given as %q in Berlin time: %s", want, main)
		}
		if m := noMachineTime.FindString(main); m != "" {
			t.Errorf("machine time %q on the page: %s", m, main)
		}
		if b.count(`main a[href="/proposals/`+pid+`"]`) != 1 || b.count(`main a[href="/search"]`) != 1 {
			t.Errorf("409 page lacks the way back to the proposal or to the search: %s", main)
		}
		if b.count(`main a[href^="/login"]`) != 0 {
			t.Error("a logged-in person is offered the login")
		}
	})

	t.Run("rate limit wait in the reader's language", func(t *testing.T) {
		for lang, want := range map[string]*regexp.Regexp{
			"de": regexp.MustCompile(`ab \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr`),
			"en": regexp.MustCompile(`from \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}`),
		} {
			b := newBrowser(t, e, lang)
			var st int
			for range 2 {
				b.visit("/login")
				b.fill("#email", "gesperrt-"+lang+"@example.org")
				b.fill("#password", "falsch und noch mal falsch")
				st = b.submit(`form[action="/login"] button[type="submit"]`)
			}
			if st != 429 {
				t.Fatalf("%s: second failed login: status %d", lang, st)
			}
			b.screenshot("error-429-" + lang)
			checkHumanHeading(t, b, map[string]string{"de": "Zu viele Versuche", "en": "Too many attempts"}[lang])
			main := b.text("main")
			if !want.MatchString(main) || strings.Contains(main, "{") {
				t.Errorf("%s: the wait is not said as a time (%s): %s", lang, want, main)
			}
			if m := noMachineTime.FindString(main); m != "" {
				t.Errorf("%s: machine time %q on the page", lang, m)
			}
			if b.count(`main a[href="/login"]`) != 1 {
				t.Errorf("%s: no way back to the login form: %s", lang, main)
			}
		}
	})
}

// TestBrowser_LoginFailureAndRegisterKeepTheWay checks that a wrong password
// is reported for the form, not against the email field, and that a person
// who goes from the login on to registering lands where they started.
func TestBrowser_LoginFailureAndRegisterKeepTheWay(t *testing.T) {
	e := newEnv(t)
	pid := openProposal(t, e, time.Now().Add(48*time.Hour))
	for _, js := range []bool{true, false} {
		var opts []sessionOption
		name := "js"
		if !js {
			opts, name = append(opts, withoutJS()), "nojs"
		}
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t, e, "de", opts...)
			b.visit("/proposals/" + pid)
			b.submit(`a[href="/login?return=/proposals/` + pid + `"]`)
			b.fill("#email", "autorin@example.org")
			b.fill("#password", "nicht das richtige Passwort")
			if st := b.submit(`form[action="/login"] button[type="submit"]`); st != 401 {
				t.Fatalf("wrong password: status %d", st)
			}
			if !strings.Contains(b.text("#error-summary"), "E-Mail-Adresse oder Passwort stimmen nicht") {
				t.Errorf("the summary does not say the login failed: %q", b.text("#error-summary"))
			}
			if b.count(`#error-summary a[href="#email"]`) != 0 || b.attr("#email", "aria-invalid") == "true" || b.count("#email-error") != 0 {
				t.Error("a wrong password is reported against the email field")
			}
			if f := b.focused(); f != "#error-summary" {
				t.Errorf("focus after the failed login is on %s", f)
			}
			reg := `main a[href="/register?return=%2Fproposals%2F` + pid + `" i]`
			if b.count(reg) != 1 {
				t.Fatalf("the register link does not keep the way back: %v", eval[[]string](b, `Array.from(document.querySelectorAll("main a")).map(a => a.getAttribute("href"))`))
			}
			b.submit(reg)
			// A failed registration keeps the way too.
			b.fill("#email", "neu-"+name+"@example.org")
			if st := b.submit(`form[action="/register"] button[type="submit"]`); st != 422 {
				t.Fatalf("incomplete registration: status %d", st)
			}
			b.fill("#display_name", "Neu "+name)
			b.fill("#password", "Sonnenblumen am Rhein")
			b.submit(`form[action="/register"] button[type="submit"]`)
			// The answer page's login link keeps the way back.
			b.submit(`main a[href^="/login"]`)
			b.fill("#email", "neu-"+name+"@example.org")
			b.fill("#password", "Sonnenblumen am Rhein")
			b.submit(`form[action="/login"] button[type="submit"]`)
			if !strings.HasSuffix(b.url(), "/proposals/"+pid) || b.count(`form[action="/logout"]`) != 1 {
				t.Errorf("after registering: at %s, logged in %v", b.url(), b.count(`form[action="/logout"]`) == 1)
			}
		})
	}
}

// TestBrowser_ProfileNamesSessionDevices checks that the profile describes
// sessions as "Firefox auf Linux, zuletzt aktiv vor 5 Minuten", never as the
// raw User-Agent header.
func TestBrowser_ProfileNamesSessionDevices(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("sitzung@example.org", "Sitzung")
	before := time.Now().Add(-5*time.Minute - 10*time.Second)
	e.Now.Store(&before)
	_, err := e.Accounts.Login(context.Background(), service.LoginInput{Email: "sitzung@example.org", Password: pw, IP: "192.0.2.7",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"})
	e.Now.Store(nil)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{
		"de": {"Firefox auf Linux, zuletzt aktiv vor 5 Minuten", "Chrome auf Linux, zuletzt aktiv gerade eben"},
		"en": {"Firefox on Linux, last active 5 minutes ago", "Chrome on Linux, last active just now"},
	} {
		b := newBrowser(t, e, lang)
		b.visit("/login")
		b.fill("#email", "sitzung@example.org")
		b.fill("#password", pw)
		b.submit(`form[action="/login"] button[type="submit"]`)
		if lang == "en" {
			b.submit(`form.lang-switch button[value="en"]`)
		}
		b.visit("/profile")
		b.screenshot("profile-sessions-" + lang)
		table := b.text("section[aria-labelledby='profile-sessions'] table")
		for _, w := range want {
			if !strings.Contains(table, w) {
				t.Errorf("%s: sessions do not read %q:\n%s", lang, w, table)
			}
		}
		if strings.Contains(table, "Mozilla/5.0") || strings.Contains(table, "Gecko") {
			t.Errorf("%s: the raw User-Agent is shown:\n%s", lang, table)
		}
		if b.count(`section[aria-labelledby='profile-sessions'] time[datetime]`) < 2 {
			t.Errorf("%s: the last activity carries no machine-readable time", lang)
		}
		if lang == "en" {
			b.submit(`form.lang-switch button[value="de"]`) // the account keeps German for the next run
		}
	}
}

// TestBrowser_NavigationMarksCurrentPage checks that the main navigation
// marks the current page for screen readers (aria-current) and for the eye,
// by more than colour, at 1280 and 320 pixels.
func TestBrowser_NavigationMarksCurrentPage(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("nav@example.org", "Navigation")
	b := newBrowser(t, e, "de")
	type look struct {
		Current         int
		Href            string
		Weight, Other   int
		Line, OtherLine string
	}
	check := func(path, href string) {
		t.Helper()
		b.visit(path)
		l := eval[look](b, `(function(){
			const cur = document.querySelectorAll('nav.site-nav a[aria-current="page"]');
			const other = document.querySelector('nav.site-nav a:not([aria-current])');
			const cs = cur[0] ? getComputedStyle(cur[0]) : null, os = getComputedStyle(other);
			return {current: cur.length, href: cur[0] ? cur[0].getAttribute("href") : "",
				weight: cs ? parseInt(cs.fontWeight) : 0, other: parseInt(os.fontWeight),
				line: cs ? cs.textDecorationLine + " " + cs.textDecorationThickness : "", otherLine: os.textDecorationLine + " " + os.textDecorationThickness};
		})()`)
		if l.Current != 1 || l.Href != href {
			t.Errorf("%s: %d links marked current (%q), want %s", path, l.Current, l.Href, href)
			return
		}
		// Bolder and a thicker underline: a difference in shape, not in
		// colour alone (WCAG 1.4.1).
		if l.Weight <= l.Other || l.Line == l.OtherLine || !strings.HasPrefix(l.Line, "underline") {
			t.Errorf("%s: the current link does not look different: weight %d vs %d, underline %q vs %q", path, l.Weight, l.Other, l.Line, l.OtherLine)
		}
	}
	for _, w := range []int64{1280, 320} {
		b.viewport(w, 800)
		check("/", "/")
		check("/consultations", "/consultations")
		check("/login", "/login")
		if w == 320 {
			b.screenshot("nav-current-320")
		}
	}
	b.visit("/login")
	b.fill("#email", "nav@example.org")
	b.fill("#password", pw)
	b.submit(`form[action="/login"] button[type="submit"]`)
	check("/profile", "/profile")
	b.screenshot("nav-current-profile-320")
}

// TestBrowser_AdminCannotRemoveLastAdmin checks, without JavaScript, that
// the last admin role cannot be revoked (a clear message on the list) and
// that giving up one's own admin role is confirmed on a page of its own.
func TestBrowser_AdminCannotRemoveLastAdmin(t *testing.T) {
	e := newEnv(t)
	admin, pw := e.createUser("chefin@example.org", "Chefin", mitreden.RoleAdmin)
	other, _ := e.createUser("vertretung@example.org", "Vertretung")
	b := newBrowser(t, e, "de", withoutJS())
	b.visit("/login")
	b.fill("#email", "chefin@example.org")
	b.fill("#password", pw)
	b.submit(`form[action="/login"] button[type="submit"]`)
	roleButton := func(u *mitreden.User, action string) string {
		return `form[action="/admin/users/` + u.ID + `/roles"]:has(input[name="role"][value="admin"]) button[name="action"][value="` + action + `"]`
	}
	isAdmin := func(u *mitreden.User) bool {
		t.Helper()
		got, err := e.Accounts.User(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.HasRole(mitreden.RoleAdmin)
	}
	confirm := `form[action="/admin/users/` + admin.ID + `/roles"] input[name="confirm"][value="yes"] ~ button[type="submit"]`

	// The only admin: asked first, then refused with a reason.
	b.visit("/admin/users")
	if st := b.submit(roleButton(admin, "revoke")); st != 200 || b.count(confirm) != 1 {
		t.Fatalf("revoking the own admin role is not confirmed first: status %d: %s", st, b.text("main"))
	}
	b.screenshot("admin-confirm-revoke")
	if !isAdmin(admin) {
		t.Fatal("the role went before the confirmation")
	}
	if st := b.submit(confirm); st != 409 {
		t.Fatalf("the last admin role: status %d", st)
	}
	if !strings.Contains(b.text("#error-summary"), "letzte Administrationsrolle") || b.count("main table") != 1 {
		t.Errorf("the refusal does not explain itself on the user list: %s", b.text("main"))
	}
	if f := b.focused(); f != "#error-summary" {
		t.Errorf("focus after the refusal is on %s", f)
	}
	if !isAdmin(admin) {
		t.Fatal("the last admin lost the role")
	}

	// With a second admin: cancelling keeps the role, confirming gives it up.
	b.visit("/admin/users")
	b.submit(roleButton(other, "grant"))
	if !isAdmin(other) {
		t.Fatal("second admin not granted")
	}
	b.submit(roleButton(admin, "revoke"))
	b.submit(`main a[href="/admin/users"]`)
	if !strings.HasSuffix(b.url(), "/admin/users") || !isAdmin(admin) {
		t.Fatalf("cancelling: at %s, admin %v", b.url(), isAdmin(admin))
	}
	b.submit(roleButton(admin, "revoke"))
	b.submitByKey(confirm) // Enter on the focused button, as keyboard users confirm
	if isAdmin(admin) || !strings.HasSuffix(b.url(), "/profile") {
		t.Fatalf("after confirming: at %s, still admin %v", b.url(), isAdmin(admin))
	}
	if !strings.Contains(b.text("#status"), "Administrationsrolle abgegeben") || b.count(`nav a[href="/admin/users"]`) != 0 {
		t.Errorf("after giving up the role: status %q, admin link %d", b.text("#status"), b.count(`nav a[href="/admin/users"]`))
	}
}
