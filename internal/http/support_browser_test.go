package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// supportFixture is an open consultation in support mode with a limit of
// two supports and a threshold of 50, and three proposals by Erika.
type supportFixture struct {
	C         *mitreden.Consultation
	Proposals []*mitreden.Proposal
}

// longProposalBody is a proposal text with Markdown, longer than an excerpt.
const longProposalBody = "Das **Wohngeld** soll vollständig online beantragt werden können, ohne Papier und ohne Termin im Amt. " +
	"Dazu gehören ein [Formular](https://example.org/wohngeld) mit Hilfetexten, das Hochladen von Nachweisen und eine " +
	"Bestätigung per E-Mail. Wer Hilfe braucht, bekommt sie telefonisch oder im Bürgerbüro.\n\n" +
	"* Antrag online stellen\n* Nachweise hochladen\n* Bescheid digital erhalten"

func newSupportFixture(t *testing.T, e *testEnv, maxSupports, threshold int) *supportFixture {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser(fmt.Sprintf("admin%d@example.org", maxSupports), fmt.Sprintf("Admina %d", maxSupports), mitreden.RoleAdmin)
	author, _ := e.createUser(fmt.Sprintf("autor%d@example.org", maxSupports), fmt.Sprintf("Autorin %d", maxSupports))
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(48 * time.Hour), VotingMode: mitreden.VotingSupport, MaxSupports: maxSupports, SupportThreshold: threshold,
		ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	f := &supportFixture{C: c}
	for _, title := range []string{"Wohngeld online beantragen", "Kita-Platz digital finden", "Bauantrag ohne Papier"} {
		pr := &mitreden.Proposal{Title: title, Body: longProposalBody}
		if err := e.Participation.CreateProposal(ctx, author, c.ID, pr); err != nil {
			t.Fatal(err)
		}
		f.Proposals = append(f.Proposals, pr)
	}
	return f
}

// login signs the tab in through the login form.
func (b *browserSession) login(email, pw string) {
	b.t.Helper()
	b.visit("/login")
	b.fill("#email", email)
	b.fill("#password", pw)
	b.submit(`form[action="/login"] button[type="submit"]`)
}

// TestBrowser_SupportLimitVisibleBeforeItBites: on an open consultation that
// limits supports, a logged-in person reads how many are left near the
// proposal list and beside the support button, sees their supported
// proposals marked in the list (a badge, which screen readers read too),
// and hitting the limit explains it on the proposal page itself, with a
// link to their supports, not on an error page titled "Konflikt". With
// and without JavaScript; the link is followed by keyboard.
func TestBrowser_SupportLimitVisibleBeforeItBites(t *testing.T) {
	e := newEnv(t)
	f := newSupportFixture(t, e, 2, 0)
	cpath := "/consultations/" + f.C.ID
	for i, js := range []bool{false, true} {
		email := fmt.Sprintf("erika%d@example.org", i)
		_, pw := e.createUser(email, fmt.Sprintf("Erika %d", i))
		var b *browserSession
		if js {
			b = newBrowser(t, e, "de")
		} else {
			b = newBrowser(t, e, "de", withoutJS())
		}
		mode := map[bool]string{false: "no JS", true: "JS"}[js]

		// Anonymous: no quota, nothing marked.
		b.visit(cpath)
		if b.count("#support-quota") != 0 {
			t.Errorf("%s: an anonymous visitor is shown a quota", mode)
		}
		b.login(email, pw)
		b.visit(cpath)
		if got := b.text("#support-quota"); !strings.Contains(got, "Sie haben noch 2 von 2 Unterstützungen") {
			t.Errorf("%s: quota before supporting: %q", mode, got)
		}
		// The quota sits in the proposals section, above the list.
		if !eval[bool](b, `!!document.querySelector("#proposals-title ~ #support-quota")`) {
			t.Errorf("%s: the quota is not near the proposal list", mode)
		}

		// Support the first proposal: the proposal page counts it.
		b.visit("/proposals/" + f.Proposals[0].ID)
		b.submit(`form[action$="/vote"] button[type="submit"]`)
		if got := b.text("#support-quota"); !strings.Contains(got, "Sie haben noch 1 von 2 Unterstützungen") {
			t.Errorf("%s: quota on the proposal page after supporting: %q", mode, got)
		}
		b.visit(cpath)
		if got := b.text("#support-quota"); !strings.Contains(got, "Sie haben noch 1 von 2 Unterstützungen") {
			t.Errorf("%s: quota on the consultation after supporting: %q", mode, got)
		}
		mine := fmt.Sprintf(`li.kern-card:has(a[href="/proposals/%s"])`, f.Proposals[0].ID)
		if got := b.text(mine + " .my-vote"); got != "Von Ihnen unterstützt" {
			t.Errorf("%s: the supported card says %q", mode, got)
		}
		if b.count(`li.kern-card .my-vote`) != 1 || b.count(`li.card--mine`) != 1 {
			t.Errorf("%s: %d cards marked, want the one supported", mode, b.count(`li.kern-card .my-vote`))
		}

		// The second uses the last support.
		b.visit("/proposals/" + f.Proposals[1].ID)
		b.submit(`form[action$="/vote"] button[type="submit"]`)
		if got := b.text("#support-quota"); !strings.Contains(got, "Sie haben alle 2 Unterstützungen vergeben") {
			t.Errorf("%s: quota with none left: %q", mode, got)
		}

		// The third hits the limit: explained on the same page.
		b.visit("/proposals/" + f.Proposals[2].ID)
		if st := b.submit(`form[action$="/vote"] button[type="submit"]`); st != 409 {
			t.Errorf("%s: over the limit: status %d, want 409", mode, st)
		}
		if h1 := b.text("h1"); h1 != f.Proposals[2].Title {
			t.Errorf("%s: over the limit the page's heading is %q, want the proposal's", mode, h1)
		}
		if title := eval[string](b, `document.title`); strings.Contains(title, "Konflikt") {
			t.Errorf("%s: over the limit the page is titled %q", mode, title)
		}
		if b.attr("#vote-limit", "role") != "alert" || !strings.Contains(b.text("#vote-limit"), "alle 2 Unterstützungen") {
			t.Errorf("%s: no alert naming the limit: %q", mode, b.text("#vote-limit"))
		}
		if got := b.focused(); got != "#vote-limit" {
			t.Errorf("%s: focus is on %s, want the alert", mode, got)
		}
		b.screenshot(fmt.Sprintf("support-limit-%s", strings.ReplaceAll(mode, " ", "")))
		link := `#vote-limit a[href="/my-contributions#supports-` + f.C.ID + `"]`
		if b.count(link) != 1 {
			t.Fatalf("%s: the alert does not link to the supports", mode)
		}
		// Keyboard: Tab from the alert reaches its link, Enter follows it.
		for n := 0; !strings.HasPrefix(eval[string](b, `document.activeElement.getAttribute("href")||""`), "/my-contributions#supports-"); n++ {
			if n > 5 {
				t.Fatalf("%s: Tab does not reach the link to the supports", mode)
			}
			b.press("\t")
		}
		b.press("\r")
		for n := 0; !strings.Contains(b.url(), "/my-contributions"); n++ {
			if n > 100 {
				t.Fatalf("%s: Enter did not open the supports (at %s)", mode, b.url())
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.checkPage()
		b.screenshot(fmt.Sprintf("my-contributions-%s", strings.ReplaceAll(mode, " ", "")))
		b.viewport(320, 800)
		if b.overflowsHorizontally() {
			t.Errorf("%s: \"Meine Beiträge\" scrolls sideways at 320 pixels", mode)
		}
		b.screenshot(fmt.Sprintf("my-contributions-320-%s", strings.ReplaceAll(mode, " ", "")))
		b.viewport(1280, 900)
		group := fmt.Sprintf(`#supports-%s + p.support-quota + ul`, f.C.ID)
		for j, pr := range f.Proposals {
			has := b.count(group+` a[href="/proposals/`+pr.ID+`"]`) == 1
			if has != (j < 2) {
				t.Errorf("%s: my supports list proposal %d: %v", mode, j, has)
			}
		}

		// Withdrawing gives a support back.
		b.visit("/proposals/" + f.Proposals[0].ID)
		b.submit(`form[action$="/vote/delete"] button[type="submit"]`)
		if got := b.text("#support-quota"); !strings.Contains(got, "Sie haben noch 1 von 2 Unterstützungen") {
			t.Errorf("%s: quota after withdrawing: %q", mode, got)
		}
		b.visit(cpath)
		if got := b.text("#support-quota"); !strings.Contains(got, "Sie haben noch 1 von 2 Unterstützungen") || b.count(mine+" .my-vote") != 0 {
			t.Errorf("%s: consultation after withdrawing: %q", mode, got)
		}
	}

	// English.
	pw := "correct horse battery staple 42"
	if _, err := e.Accounts.CreateUser(context.Background(), service.RegisterInput{Email: "sam@example.org", DisplayName: "Sam",
		Password: pw, Language: "en"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e, "en")
	b.login("sam@example.org", pw)
	b.visit(cpath)
	if got := b.text("#support-quota"); !strings.Contains(got, "You have 2 of 2 supports left") {
		t.Errorf("English quota: %q", got)
	}
}

// TestBrowser_ProposalCardsShowExcerptAndProgress: a card in a list shows
// the start of the proposal as plain text, cut at a word, and where the
// consultation has a threshold a labelled progress bar with "12 von 50
// Unterstützungen".
func TestBrowser_ProposalCardsShowExcerptAndProgress(t *testing.T) {
	e := newEnv(t)
	f := newSupportFixture(t, e, 5, 50)
	none := newSupportFixture(t, e, 3, 0)
	ctx := context.Background()
	if err := e.DB.Participation().IncProposalCounts(ctx, f.Proposals[0].ID, mitreden.Tally{Support: 12}, 0, ""); err != nil {
		t.Fatal(err)
	}
	card := fmt.Sprintf(`li.kern-card:has(a[href="/proposals/%s"])`, f.Proposals[0].ID)
	for _, width := range []int64{1280, 320} {
		b := newBrowser(t, e, "de", withoutJS())
		b.viewport(width, 900)
		b.visit("/consultations/" + f.C.ID)
		ex := b.text(card + " .card-excerpt")
		if strings.ContainsAny(ex, "*[]") || !strings.HasPrefix(ex, "Das Wohngeld soll vollständig online") {
			t.Errorf("%dpx: excerpt is not the plain text: %q", width, ex)
		}
		if n := utf8.RuneCountInString(ex); n > 162 || n < 100 || !strings.HasSuffix(ex, " …") {
			t.Errorf("%dpx: excerpt of %d characters: %q", width, n, ex)
		}
		plain := "Das Wohngeld soll vollständig online beantragt werden können, ohne Papier und ohne Termin im Amt. Dazu gehören ein Formular mit Hilfetexten, das Hochladen von Nachweisen und eine Bestätigung"
		if cut := strings.TrimSuffix(ex, " …"); !strings.HasPrefix(plain, cut) || !strings.ContainsRune(" ,.;:", rune(plain[len(cut)])) {
			t.Errorf("%dpx: excerpt not cut at a word: %q", width, ex)
		}
		bar := card + " progress"
		if b.attr(bar, "max") != "50" || b.attr(bar, "value") != "12" {
			t.Errorf("%dpx: progress max=%q value=%q", width, b.attr(bar, "max"), b.attr(bar, "value"))
		}
		name := eval[string](b, fmt.Sprintf(`(function(p){ return p && p.labels.length ? p.labels[0].innerText : "" })(document.querySelector(%s))`, jsString(bar)))
		if name != "12 von 50 Unterstützungen" {
			t.Errorf("%dpx: the bar's label reads %q", width, name)
		}
		if !eval[bool](b, fmt.Sprintf(`(function(p){ var r = p.getBoundingClientRect(); return r.width > 50 && r.height > 4 })(document.querySelector(%s))`, jsString(bar))) {
			t.Errorf("%dpx: the bar is not visible", width)
		}
		if b.overflowsHorizontally() {
			t.Errorf("%dpx: the consultation page scrolls sideways", width)
		}
		b.screenshot(fmt.Sprintf("cards-%d", width))
		b.visit("/consultations/" + none.C.ID)
		if b.count("progress") != 0 || b.count(".card-excerpt") != 3 {
			t.Errorf("%dpx: without a threshold: %d bars, %d excerpts", width, b.count("progress"), b.count(".card-excerpt"))
		}
	}
	b := newBrowser(t, e, "en")
	b.visit("/consultations/" + f.C.ID)
	if got := b.text(card + " .threshold__label"); got != "12 of 50 supports" {
		t.Errorf("English progress label: %q", got)
	}
}

// TestBrowser_ProposeAboveTheFold: "Vorschlag machen" is in view when an
// open consultation opens, at 320 and at 1280 pixels, even with a long
// title and summary, and is reached by keyboard before the proposal list.
func TestBrowser_ProposeAboveTheFold(t *testing.T) {
	e := newEnv(t)
	f := newSupportFixture(t, e, 0, 0)
	ctx := context.Background()
	// A title as long as real ones get; the summary may run to 500 characters.
	f.C.Title = "Welche Dienste sollen zuerst online kommen?"
	f.C.Summary = strings.Repeat("Sagen Sie uns, welche Leistungen Ihnen im Alltag am meisten helfen würden, wenn sie digital wären. ", 4)
	admin, _ := e.createUser("chefin@example.org", "Chefin", mitreden.RoleAdmin)
	if err := e.Participation.UpdateConsultation(ctx, admin, f.C); err != nil {
		t.Fatal(err)
	}
	_, pw := e.createUser("erika@example.org", "Erika")
	inView := `(function(el){ if (!el) return false; var r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight })(document.getElementById("propose-top"))`
	for _, size := range [][2]int64{{320, 640}, {1280, 720}} {
		b := newBrowser(t, e, "de", withoutJS())
		b.viewport(size[0], size[1])
		b.visit("/consultations/" + f.C.ID)
		if !eval[bool](b, inView) || !strings.Contains(b.text("#propose-top"), "Melden Sie sich an") {
			t.Errorf("%dx%d anonymous: the login to propose is not in view: %q", size[0], size[1], b.text("#propose-top"))
		}
		b.login("erika@example.org", pw)
		b.viewport(size[0], size[1])
		b.visit("/consultations/" + f.C.ID)
		if !eval[bool](b, inView) || b.text("#propose-top") != "Vorschlag machen" {
			t.Errorf("%dx%d: \"Vorschlag machen\" is not in view", size[0], size[1])
		}
		b.screenshot(fmt.Sprintf("propose-top-%d", size[0]))
		// Keyboard: Tab reaches it before any proposal, Enter opens the form.
		for n := 0; b.focused() != "#propose-top"; n++ {
			if n > 40 || strings.HasPrefix(eval[string](b, `document.activeElement.getAttribute("href")||""`), "/proposals/") {
				t.Fatalf("%dpx: Tab does not reach \"Vorschlag machen\" before the proposals", size[0])
			}
			b.press("\t")
		}
		b.press("\r")
		for n := 0; !strings.HasSuffix(b.url(), "/proposals/new"); n++ {
			if n > 100 {
				t.Fatalf("%dpx: Enter did not open the proposal form (at %s)", size[0], b.url())
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.checkPage()
	}
}
