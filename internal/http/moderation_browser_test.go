package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The browser journey of moderation (issue 11), with axe and
// HTML_CodeSniffer on every page (visit and submit check each page). The
// handler tests are in moderation_test.go.

// modJourney is the fixture of the journey: an open consultation with
// Anna's proposal, her comment that will be reported and Bernd's comment
// next to it; everyone logs in through the form.
type modJourney struct {
	t    *testing.T
	e    *testEnv
	pw   string
	cid  string
	pid  string
	duck string // Anna's comment
	mail map[string]string
	ids  map[string]string
}

func newModJourney(t *testing.T) *modJourney {
	t.Helper()
	e := newEnv(t)
	j := &modJourney{t: t, e: e, mail: map[string]string{}, ids: map[string]string{}}
	for _, p := range []struct {
		key, name string
		roles     []mitreden.Role
	}{
		{"admin", "Admina Adler", []mitreden.Role{mitreden.RoleAdmin}},
		{"mod1", "Mortimer Moderator", []mitreden.Role{mitreden.RoleModerator}},
		{"mod2", "Margarete Moderatorin", []mitreden.Role{mitreden.RoleModerator}},
		{"anna", "Anna Autorin", nil}, {"bernd", "Bernd Bürger", nil},
		{"r1", "Rosa Reiter", nil}, {"r2", "Rudi Rasmussen-Oberkirchner", nil}, {"r3", "Ria Roth", nil},
	} {
		email := p.key + "@example.org"
		u, pw := e.createUser(email, p.name, p.roles...)
		j.pw, j.mail[p.key], j.ids[p.key] = pw, email, u.ID
	}
	admin := e.login(j.mail["admin"], j.pw)
	j.cid = newConsultationAPI(t, e, admin, map[string]any{"title": "Den Marktplatz neu gestalten"})
	f := &modFixture{t: t, e: e, cid: j.cid}
	anna := &modPerson{token: e.login(j.mail["anna"], j.pw)}
	bernd := &modPerson{token: e.login(j.mail["bernd"], j.pw)}
	j.pid = f.proposal(anna, "Ein Brunnen mitten auf dem Marktplatz", "Ein Brunnen, an dem sich alle im Sommer abkühlen können.", 201)
	f.comment(bernd, "proposal", j.pid, "Ein Brunnen wäre im Sommer wunderbar.", 201)
	j.duck = f.comment(anna, "proposal", j.pid, "Die Quietschentchen im Brunnen sind pinkfarben, und wer das anders sieht, hat keine Ahnung.", 201)
	return j
}

// session opens a tab logged in as key ("" for the public).
func (j *modJourney) session(key string, opts ...sessionOption) *browserSession {
	j.t.Helper()
	b := newBrowser(j.t, j.e, "de", opts...)
	if key != "" {
		browserLogin(b, j.mail[key], j.pw)
	}
	return b
}

// choose clicks the label of a radio button or checkbox, as a person does.
func (b *browserSession) choose(id string) {
	b.t.Helper()
	b.run(chromedp.Click(chromedp.CSS(`label[for="` + id + `"]`)))
	if !eval[bool](b, fmt.Sprintf(`document.getElementById(%s).checked`, jsString(id))) {
		b.t.Fatalf("clicking the label of #%s did not check it on %s", id, b.url())
	}
}

// reflows fails when the page scrolls sideways.
func reflows(t *testing.T, b *browserSession, what string) {
	t.Helper()
	if b.overflowsHorizontally() {
		t.Errorf("%s: %s scrolls sideways", what, b.url())
	}
}

// focusVisible focuses sel by keyboard (Tab from the element before it)
// and reports whether the focused element draws an outline or a ring.
func (b *browserSession) focusVisible(sel string) bool {
	b.t.Helper()
	// Focus the element before sel in tab order, then Tab onto sel, so the
	// browser treats the focus as a keyboard focus (:focus-visible).
	ok := eval[bool](b, fmt.Sprintf(`(function(el){ if (!el) return false;
		const all = Array.from(document.querySelectorAll('a[href], button, input, textarea, select, [tabindex]:not([tabindex="-1"])')).filter(e => !e.disabled && e.offsetParent !== null);
		const i = all.indexOf(el); if (i < 1) return false; all[i-1].focus(); return true })(document.querySelector(%s))`, jsString(sel)))
	if !ok {
		b.t.Fatalf("cannot reach %s by keyboard on %s", sel, b.url())
	}
	b.press("\t")
	return eval[bool](b, fmt.Sprintf(`(function(el){ if (document.activeElement !== el) return false;
		const s = getComputedStyle(el), w = parseFloat(s.outlineWidth);
		return (s.outlineStyle !== "none" && w > 0) || (s.boxShadow && s.boxShadow !== "none") })(document.querySelector(%s))`, jsString(sel)))
}

// TestBrowser_ModerationJourney: three citizens report a comment through
// the report form (one at 320 pixels, one without JavaScript), which hides
// it and puts it in the queue; a moderator (without JavaScript) hides it
// with a reason on the queue page; the discussion shows the placeholder,
// search no longer finds it, the public log lists it; the author appeals;
// the moderator who hid it is refused, a second one unhides it, and it is
// back. Then a moderator blocks Bernd, whose next comment is refused with
// the reason, which a banner shows on every page.
func TestBrowser_ModerationJourney(t *testing.T) {
	j := newModJourney(t)
	pid, duck := j.pid, j.duck
	proposal := "/proposals/" + pid
	reportLink := `#comment-` + duck + ` a.report-link`

	// 1. Three citizens report the comment through the form.
	for i, r := range []struct {
		key    string
		width  int64
		opts   []sessionOption
		reason string
	}{{"r1", 1280, nil, "insulting"}, {"r2", 320, nil, "insulting"}, {"r3", 1280, []sessionOption{withoutJS()}, "other"}} {
		at := fmt.Sprintf("reporter %d (%d px)", i+1, r.width)
		b := j.session(r.key, r.opts...)
		b.viewport(r.width, 900)
		b.visit(proposal)
		if st := b.submit(reportLink); st != 200 || !strings.HasSuffix(b.url(), "/comments/"+duck+"/report") {
			t.Fatalf("%s: the report link led to %s (%d)", at, b.url(), st)
		}
		if got := b.text("blockquote"); !strings.Contains(got, "Quietschentchen") {
			t.Errorf("%s: the report form does not quote the comment: %q", at, got)
		}
		reflows(t, b, at)
		// A report without a reason: the summary takes the focus and links
		// to the reasons.
		if st := b.submit(`main form button[type="submit"]`); st != 422 {
			t.Errorf("%s: report without a reason: %d", at, st)
		}
		if f := b.focused(); f != "#error-summary" {
			t.Errorf("%s: focus after the error on %s", at, f)
		}
		if !strings.Contains(b.text("#error-summary"), "Bitte wählen Sie einen Grund.") {
			t.Errorf("%s: summary %q", at, b.text("#error-summary"))
		}
		if i == 0 {
			b.screenshot("report-error-1280")
		}
		b.choose("reason-" + r.reason)
		b.fill("#note", fmt.Sprintf("Meldung %d: herabwürdigend gegenüber anderen.", i+1))
		if r.width == 320 || i == 0 {
			shot := fmt.Sprintf("report-%d", r.width)
			b.screenshot(shot)
			if !b.focusVisible("#note") {
				t.Errorf("%s: the focused note field shows no focus", at)
			}
			viewportShot(b, shot+"-focus")
		}
		if st := b.submit(`main form button[type="submit"]`); st != 200 {
			t.Fatalf("%s: sending the report: %d at %s", at, st, b.url())
		}
		if got := b.text("#confirmation"); !strings.Contains(got, "Danke, Ihre Meldung ist eingegangen.") {
			t.Errorf("%s: confirmation %q at %s", at, got, b.url())
		}
		if fc := b.focused(); fc != "#confirmation" {
			t.Errorf("%s: focus after reporting on %s", at, fc)
		}
		// Once reported, the person cannot report it again from the page.
		b.visit("/comments/" + duck + "/report")
		if b.count(`main form[action="/comments/`+duck+`/report"]`) != 0 && i < 2 {
			b.choose("reason-spam")
			if st := b.submit(`main form button[type="submit"]`); st != 409 || !strings.Contains(b.text("#error-summary"), "schon gemeldet") {
				t.Errorf("%s: reporting twice: %d %q", at, st, b.text("#error-summary"))
			}
		}
	}

	// 2. Hidden pending review: the public sees the automatic placeholder.
	pub := j.session("")
	pub.visit(proposal)
	if got := pub.text("#comment-" + duck); !strings.Contains(got, "Nach mehreren Meldungen vorläufig ausgeblendet") || strings.Contains(got, "Quietschentchen") {
		t.Errorf("after three reports the public reads %q", got)
	}

	// 3. The first moderator (without JavaScript) hides it on the queue page.
	m1 := j.session("mod1", withoutJS())
	for _, w := range []int64{1280, 320} {
		m1.viewport(w, 900)
		m1.visit("/moderation")
		reflows(t, m1, fmt.Sprintf("queue at %d px", w))
		m1.screenshot(fmt.Sprintf("queue-%d", w))
		if !m1.focusVisible("#item-comment-" + duck) {
			t.Errorf("queue at %d px: the focused checkbox shows no focus", w)
		}
		viewportShot(m1, fmt.Sprintf("queue-%d-focus", w))
	}
	// The checkbox is KERN's, as large as the radio buttons.
	if size := eval[[]float64](m1, `(function(el){ const r = el.getBoundingClientRect(); return [r.width, r.height] })(document.getElementById("item-comment-`+duck+`"))`); size[0] < 24 || size[1] < 24 {
		t.Errorf("the queue's checkbox is %v px, smaller than KERN's", size)
	}
	first := `li.queue-item:first-child`
	if got := m1.text(first); !strings.Contains(got, "Quietschentchen") || !strings.Contains(got, "Ausgeblendet") || !strings.Contains(got, "3× gemeldet") {
		t.Errorf("the reported comment is not first in the queue: %q", got)
	}
	// Without a reason, nothing happens.
	m1.choose("item-comment-" + duck)
	m1.choose("action-hide")
	if st := m1.submit(`form[action="/moderation/items"] button[type="submit"]`); st != 422 {
		t.Errorf("hiding without a reason: %d", st)
	}
	if m1.focused() != "#error-summary" || m1.attr("#reason", "aria-invalid") != "true" {
		t.Errorf("the missing reason: focus %s, field %q", m1.focused(), m1.attr("#reason", "aria-invalid"))
	}
	m1.choose("item-comment-" + duck)
	m1.choose("action-hide")
	m1.fill("#reason", "Beleidigt andere Gäste.")
	if st := m1.submit(`form[action="/moderation/items"] button[type="submit"]`); st != 200 {
		t.Fatalf("hiding: %d at %s", st, m1.url())
	}
	if got := m1.text("main"); !strings.Contains(got, "Die ausgewählten Einträge sind ausgeblendet.") || strings.Contains(got, "Quietschentchen") {
		t.Errorf("after hiding: %q", got)
	}

	// 4. The placeholder, the search and the public log.
	for _, w := range []int64{1280, 320} {
		pub.viewport(w, 900)
		pub.visit(proposal)
		if got := pub.text("#comment-" + duck); !strings.Contains(got, "Von der Moderation ausgeblendet: Beleidigt andere Gäste.") ||
			strings.Contains(got, "Quietschentchen") || strings.Contains(got, "Anna") {
			t.Errorf("placeholder at %d px: %q", w, got)
		}
		reflows(t, pub, fmt.Sprintf("placeholder at %d px", w))
		pub.run(chromedp.ScrollIntoView(chromedp.CSS("#comment-" + duck)))
		viewportShot(pub, fmt.Sprintf("placeholder-%d", w))
	}
	if !strings.Contains(pub.text("#comments"), "Ein Brunnen wäre im Sommer wunderbar.") {
		t.Error("the comment next to the hidden one vanished")
	}
	pub.viewport(1280, 900)
	pub.visit("/search?q=Quietschentchen")
	if n := pub.count("li.result"); n != 0 {
		t.Errorf("search still finds the hidden comment: %d results", n)
	}
	pub.visit("/moderation/log")
	if got := pub.text("tbody tr:first-child"); !strings.Contains(got, "Ausgeblendet") || !strings.Contains(got, "Beleidigt andere Gäste.") {
		t.Errorf("the log's newest entry: %q", got)
	}
	if pub.count(`tbody a[href="/comments/`+duck+`"]`) == 0 {
		t.Error("the log does not link the comment")
	}
	pub.screenshot("log-1280")

	// 5. The author sees why and appeals.
	anna := j.session("anna")
	anna.visit(proposal)
	if got := anna.text("#comment-" + duck); !strings.Contains(got, "Von der Moderation ausgeblendet: Beleidigt andere Gäste.") {
		t.Errorf("the author reads %q", got)
	}
	if st := anna.submit(`#comment-` + duck + ` a[href="/moderation/appeal/comment/` + duck + `"]`); st != 200 {
		t.Fatalf("appeal link: %d at %s", st, anna.url())
	}
	if st := anna.submit(`main form button[type="submit"]`); st != 422 || anna.focused() != "#error-summary" {
		t.Errorf("appeal without a note: %d, focus %s", st, anna.focused())
	}
	anna.fill("#note", "Das war ironisch gemeint, bitte noch einmal lesen.")
	if st := anna.submit(`main form button[type="submit"]`); st != 200 {
		t.Fatalf("appeal: %d at %s", st, anna.url())
	}
	if got := anna.text("main"); !strings.Contains(got, "Ihr Antrag ist eingegangen.") {
		t.Errorf("after the appeal: %q", got)
	}
	anna.visit(proposal)
	if anna.count(`a[href="/moderation/appeal/comment/`+duck+`"]`) != 0 {
		t.Error("the appeal is offered a second time")
	}

	// 6. The moderator who hid it is refused; a second one unhides it.
	m1.visit("/moderation")
	if got := m1.text(first); !strings.Contains(got, "Einspruch") || !strings.Contains(got, "Das war ironisch gemeint") {
		t.Errorf("the appeal in the queue: %q", got)
	}
	m1.choose("item-comment-" + duck)
	m1.choose("action-unhide")
	m1.fill("#reason", "Ironie erkannt.")
	if st := m1.submit(`form[action="/moderation/items"] button[type="submit"]`); st != 409 {
		t.Errorf("the moderator who hid it decides the appeal: %d", st)
	}
	if got := m1.text(`#error-summary a[href="#item-comment-` + duck + `"]`); !strings.Contains(got, "Kommentar von Anna Autorin: Über diesen Einspruch entscheidet eine andere Person") {
		t.Errorf("the refusal does not name the item: %q", m1.text("#error-summary"))
	}
	if !eval[bool](m1, `document.getElementById("item-comment-`+duck+`").checked`) {
		t.Error("the refused item is not selected again")
	}
	m2 := j.session("mod2")
	m2.visit("/moderation")
	m2.choose("item-comment-" + duck)
	m2.choose("action-unhide")
	m2.fill("#reason", "Ironie, zugespitzt, aber zulässig.")
	if st := m2.submit(`form[action="/moderation/items"] button[type="submit"]`); st != 200 {
		t.Fatalf("unhiding: %d at %s", st, m2.url())
	}
	if !strings.Contains(m2.text("main"), "Die ausgewählten Einträge sind wieder sichtbar.") {
		t.Errorf("after unhiding: %q", m2.text("main"))
	}
	pub.visit(proposal)
	if got := pub.text("#comment-" + duck); !strings.Contains(got, "Quietschentchen") || strings.Contains(got, "ausgeblendet") {
		t.Errorf("after unhiding the public reads %q", got)
	}

	// 7. A moderator blocks Bernd, who has the proposal open; his next
	// comment is refused with the reason.
	bernd := j.session("bernd")
	bernd.visit(proposal)
	m2.visit("/moderation/users/" + j.ids["bernd"])
	if got := m2.text("h1"); got != "Konto: Bernd Bürger" {
		t.Errorf("account page heading %q", got)
	}
	m2.choose("days-7")
	m2.fill("#reason", "Wiederholt beleidigende Beiträge")
	if st := m2.submit(`form[action="/moderation/users/` + j.ids["bernd"] + `/block"] button[type="submit"]`); st != 200 {
		t.Fatalf("block: %d at %s", st, m2.url())
	}
	if got := m2.text("main"); !strings.Contains(got, "Gesperrt bis") || !strings.Contains(got, "Wiederholt beleidigende Beiträge") {
		t.Errorf("account page after the block: %q", got)
	}
	m2.screenshot("user-blocked-1280")
	bernd.fill("#new-comment-body", "Ich sage trotzdem noch etwas.")
	if st := bernd.submit(`form.comment-form button[type="submit"]`); st != 403 {
		t.Errorf("the blocked person's comment: %d", st)
	}
	if got := bernd.text("#error-summary"); !strings.Contains(got, "Wiederholt beleidigende Beiträge") {
		t.Errorf("the refusal does not say why: %q", got)
	}
	if bernd.focused() != "#error-summary" {
		t.Errorf("focus after the refusal on %s", bernd.focused())
	}
	if got := eval[string](bernd, `(document.querySelector("#new-comment-body")||{value:""}).value`); got != "Ich sage trotzdem noch etwas." {
		t.Errorf("the refused text is not kept: %q", got)
	}
	bernd.screenshot("blocked-refused-1280")
	for _, p := range []string{"/", proposal, "/consultations/" + j.cid, "/my-contributions"} {
		bernd.visit(p)
		if got := bernd.text("#block-note"); !strings.Contains(got, "Wiederholt beleidigende Beiträge") || !strings.Contains(got, "bis") {
			t.Errorf("%s: block banner %q", p, got)
		}
	}
	bernd.viewport(320, 900)
	bernd.visit(proposal)
	reflows(t, bernd, "blocked at 320 px")
	bernd.screenshot("blocked-banner-320")
}
