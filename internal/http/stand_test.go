package http_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Tests of "say where people stand" (issue 10): the confirmation of a
// support, a withdrawal or a comment lands next to the item; the helpful
// buttons are short and look pressed; pages outside the open phase say the
// phase and what comes next, in the wording of the voting mode.

// standFixture is an open consultation in support mode (threshold 2) with a
// proposal by Anna and a comment by Anna on it that the admin found helpful.
type standFixture struct {
	cons, proposal, comment string
	email, pw               string
	admin, anna             *mitreden.User
}

func newStandFixture(t *testing.T, e *testEnv) *standFixture {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	anna, _ := e.createUser("anna@example.org", "Anna")
	_, pw := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Spielplätze im Viertel", Summary: "Welche Spielplätze sollen zuerst erneuert werden?",
		Body: "Die Stadt erneuert drei Spielplätze.", OpensAt: now.Add(-24 * time.Hour), ClosesAt: now.Add(30 * 24 * time.Hour),
		VotingMode: mitreden.VotingSupport, SupportThreshold: 2, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Spielplatz am Markt zuerst", Body: "Der Spielplatz am Markt ist der älteste und wird am meisten genutzt."}
	if err := e.Participation.CreateProposal(ctx, anna, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	cm, err := e.Participation.AddComment(ctx, anna, "proposal", pr.ID, mitreden.Comment{Body: "Dort fehlt auch Schatten."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Participation.VoteComment(ctx, admin, cm.ID, 1); err != nil {
		t.Fatal(err)
	}
	return &standFixture{cons: c.ID, proposal: pr.ID, comment: cm.ID, email: "erika@example.org", pw: pw, admin: admin, anna: anna}
}

// createEnglishUser makes an account whose language setting is English
// (a setting wins over Accept-Language) and returns its password.
func createEnglishUser(t *testing.T, e *testEnv, email, name string) string {
	t.Helper()
	pw := "correct horse battery staple 42"
	if _, err := e.Accounts.CreateUser(context.Background(), service.RegisterInput{Email: email, DisplayName: name, Password: pw, Language: "en"}); err != nil {
		t.Fatal(err)
	}
	return pw
}

// follow requests the redirect target of resp (a 303) and returns the
// response and the page; a fragment stays off the request.
func (b *browser) follow(resp interface{ Location() (*url.URL, error) }) (string, *goquery.Document) {
	b.e.t.Helper()
	loc, err := resp.Location()
	if err != nil {
		b.e.t.Fatalf("no redirect: %v", err)
	}
	target := *loc
	target.Fragment = ""
	_, doc := b.get(target.RequestURI())
	return loc.String(), doc
}

// checkConfirmation checks that doc shows text as the one confirmation, a
// focusable status message inside the element within (not at the top of
// the page).
func checkConfirmation(t *testing.T, doc *goquery.Document, within, text string) {
	t.Helper()
	if got := strings.TrimSpace(doc.Find("#status").Text()); got != "" {
		t.Errorf("the confirmation is at the top of the page: %q", got)
	}
	conf := doc.Find("#confirmation")
	if conf.Length() != 1 {
		t.Fatalf("%d confirmations, want 1", conf.Length())
	}
	if got := strings.TrimSpace(conf.Text()); got != text {
		t.Errorf("confirmation %q, want %q", got, text)
	}
	if r, _ := conf.Attr("role"); r != "status" {
		t.Errorf("confirmation role %q, want status", r)
	}
	if ti, _ := conf.Attr("tabindex"); ti != "-1" {
		t.Errorf("confirmation tabindex %q, want -1 (the fragment moves the focus to it)", ti)
	}
	if doc.Find(within+" #confirmation").Length() != 1 {
		t.Errorf("the confirmation is not inside %s", within)
	}
}

// After supporting, withdrawing, commenting, voting on or editing a comment,
// the redirect lands on the confirmation, which the page shows next to the
// button or the comment, not at the top.
func TestConfirmation_NextToTheItem(t *testing.T) {
	e := newEnv(t)
	f := newStandFixture(t, e)
	b := e.browser()
	b.loginForm(f.email, f.pw)
	tok := b.csrf("/proposals/" + f.proposal)

	resp, _ := b.post("/proposals/"+f.proposal+"/vote", url.Values{"_csrf": {tok}, "value": {"support"}})
	if resp.StatusCode != 303 {
		t.Fatalf("support: %d", resp.StatusCode)
	}
	loc, doc := b.follow(resp)
	if !strings.HasSuffix(loc, "/proposals/"+f.proposal+"#confirmation") {
		t.Errorf("support redirects to %s", loc)
	}
	checkConfirmation(t, doc, ".vote-box", "Ihre Unterstützung wurde gespeichert.")
	// The next page shows it no more.
	if _, doc = b.get("/proposals/" + f.proposal); doc.Find("#confirmation").Length() != 0 {
		t.Errorf("the confirmation shows again")
	}

	resp, _ = b.post("/proposals/"+f.proposal+"/vote/delete", url.Values{"_csrf": {tok}})
	loc, doc = b.follow(resp)
	if !strings.HasSuffix(loc, "#confirmation") {
		t.Errorf("withdrawal redirects to %s", loc)
	}
	checkConfirmation(t, doc, ".vote-box", "Ihre Unterstützung wurde zurückgenommen.")

	// A comment: its link answers with the page at the confirmation inside it.
	resp, _ = b.post("/proposals/"+f.proposal+"/comments", url.Values{"_csrf": {tok}, "body": {"Ein Sonnensegel wäre schön."}})
	if resp.StatusCode != 303 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	link, _ := resp.Location()
	id := strings.TrimPrefix(link.Path, "/comments/")
	resp, _ = b.get(link.Path)
	loc, doc = b.follow(resp)
	if !strings.HasSuffix(loc, "/proposals/"+f.proposal+"#confirmation") {
		t.Errorf("the new comment's link redirects to %s", loc)
	}
	checkConfirmation(t, doc, "#comment-"+id, "Ihr Kommentar wurde veröffentlicht.")
	// Without a confirmation waiting, the link lands on the comment.
	resp, _ = b.get(link.Path)
	if l, _ := resp.Location(); l == nil || l.Fragment != "comment-"+id {
		t.Errorf("a comment's link without a confirmation redirects to %v", l)
	}

	resp, _ = b.post("/comments/"+f.comment+"/vote", url.Values{"_csrf": {tok}, "value": {"1"}})
	resp, _ = b.get(mustLocation(t, resp))
	_, doc = b.follow(resp)
	checkConfirmation(t, doc, "#comment-"+f.comment, "Ihre Bewertung wurde gespeichert.")

	resp, _ = b.post("/comments/"+id+"/edit", url.Values{"_csrf": {tok}, "body": {"Ein Sonnensegel wäre sehr schön."}})
	resp, _ = b.get(mustLocation(t, resp))
	_, doc = b.follow(resp)
	checkConfirmation(t, doc, "#comment-"+id, "Ihr Kommentar wurde gespeichert.")

	resp, _ = b.post("/comments/"+id+"/delete", url.Values{"_csrf": {tok}})
	resp, _ = b.get(mustLocation(t, resp))
	_, doc = b.follow(resp)
	checkConfirmation(t, doc, "#comment-"+id, "Dieser Kommentar wurde gelöscht.")
}

// mustLocation is the path of a redirect.
func mustLocation(t *testing.T, resp interface{ Location() (*url.URL, error) }) string {
	t.Helper()
	l, err := resp.Location()
	if err != nil {
		t.Fatalf("no redirect: %v", err)
	}
	return l.RequestURI()
}

// The helpful buttons say "Hilfreich (1)" and "Nicht hilfreich (0)"; whose
// comment they are about is said once, to screen readers only; the score
// line does not repeat the counts next to them. Readers who cannot vote
// see the counts in the score line.
func TestHelpfulButtons_ShortLabels(t *testing.T) {
	e := newEnv(t)
	f := newStandFixture(t, e)
	b := e.browser()
	b.loginForm(f.email, f.pw)
	_, doc := b.get("/proposals/" + f.proposal)
	form := doc.Find(`form[action="/comments/` + f.comment + `/vote"]`)
	up, down := form.Find(`button[value="1"]`), form.Find(`button[value="-1"]`)
	if up.Length() != 1 || down.Length() != 1 {
		t.Fatalf("helpful buttons: %d up, %d down", up.Length(), down.Length())
	}
	for _, c := range []struct {
		btn           *goquery.Selection
		visible, name string
	}{{up, "Hilfreich (1)", "Hilfreich (1) – Kommentar von Anna"}, {down, "Nicht hilfreich (0)", "Nicht hilfreich (0) – Kommentar von Anna"}} {
		if _, ok := c.btn.Attr("aria-label"); ok {
			t.Errorf("%q carries an aria-label besides its text", c.visible)
		}
		visible := strings.TrimSpace(c.btn.Clone().Find(".kern-sr-only").Remove().End().Text())
		if visible != c.visible {
			t.Errorf("visible label %q, want %q", visible, c.visible)
		}
		if name := strings.Join(strings.Fields(c.btn.Text()), " "); name != c.name {
			t.Errorf("name %q, want %q", name, c.name)
		}
		if p, _ := c.btn.Attr("aria-pressed"); p != "false" {
			t.Errorf("%q aria-pressed %q", c.visible, p)
		}
	}
	if got := doc.Find("#comment-" + f.comment + " .comment-actions").Text(); strings.Contains(got, "1 hilfreich") {
		t.Errorf("the score line repeats the counts next to the buttons: %q", got)
	}

	tok := b.csrf("/proposals/" + f.proposal)
	b.post("/comments/"+f.comment+"/vote", url.Values{"_csrf": {tok}, "value": {"1"}})
	_, doc = b.get("/proposals/" + f.proposal)
	up = doc.Find(`form[action="/comments/` + f.comment + `/vote"] button[aria-pressed="true"]`)
	if up.Length() != 1 || !strings.Contains(up.Text(), "Hilfreich (2)") || !up.HasClass("vote-toggle") {
		t.Errorf("the pressed button: %d, %q, class %q", up.Length(), up.Text(), up.AttrOr("class", ""))
	}
	if up.Find(".vote-toggle__mark[aria-hidden=true]").Length() != 1 {
		t.Errorf("the pressed button has no mark besides its colour")
	}

	// English, and anonymous readers see the counts.
	en := e.browser()
	en.Lang = "en"
	en.loginForm("jane@example.org", createEnglishUser(t, e, "jane@example.org", "Jane"))
	_, doc = en.get("/proposals/" + f.proposal)
	up = doc.Find(`form[action="/comments/` + f.comment + `/vote"] button[value="1"]`)
	if name := strings.Join(strings.Fields(up.Text()), " "); name != "Helpful (2) – comment by Anna" {
		t.Errorf("English name %q", name)
	}
	_, doc = e.browser().get("/proposals/" + f.proposal)
	if got := doc.Find("#comment-" + f.comment + " .comment-actions").Text(); !strings.Contains(got, "2 hilfreich, 0 nicht hilfreich") {
		t.Errorf("anonymous readers do not see the counts: %q", got)
	}
}

// voteWords are words of voting that a consultation in support mode must
// not use: it asks for supports, nobody votes.
var voteWords = map[string]*regexp.Regexp{
	"de": regexp.MustCompile(`(?i)abstimm|\bstimmen?\b`),
	"en": regexp.MustCompile(`(?i)\bvot(e|es|ing)\b`),
}

// phaseFixture makes a consultation in mode whose participation ran from
// opens to closes, with one proposal (qualified: threshold 2, supported
// by the admin and supporter) and, if evaluate, published results; the clock is moved into
// the open phase to write and back afterwards.
func phaseFixture(t *testing.T, e *testEnv, admin, author, supporter *mitreden.User, mode string, opens, closes time.Time, evaluate bool) (cons, proposal string) {
	t.Helper()
	ctx := context.Background()
	c := &mitreden.Consultation{Title: "Verfahren " + mode, Summary: "Worum es in diesem Verfahren geht.", Body: "Die Beschreibung dieses Verfahrens.",
		OpensAt: opens, ClosesAt: closes, VotingMode: mode, SupportThreshold: 2, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	during := opens.Add(time.Minute)
	e.Now.Store(&during)
	defer e.Now.Store(nil)
	pr := &mitreden.Proposal{Title: "Ein Vorschlag im Verfahren", Body: "Ein Vorschlag mit genug Text darin."}
	if err := e.Participation.CreateProposal(ctx, author, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	value := "support"
	if mode == mitreden.VotingRating {
		value = "yes"
	}
	for _, u := range []*mitreden.User{supporter, admin} {
		if _, err := e.Participation.Vote(ctx, u, pr.ID, value); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Participation.AddComment(ctx, supporter, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar."}); err != nil {
		t.Fatal(err)
	}
	if evaluate {
		after := closes.Add(time.Minute)
		e.Now.Store(&after)
		if _, err := e.Participation.AnswerProposal(ctx, admin, pr.ID, "rejected", "Dafür fehlt das Geld."); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Participation.PublishResults(ctx, admin, c.ID, "Wir setzen zwei Vorschläge um."); err != nil {
			t.Fatal(err)
		}
	}
	return c.ID, pr.ID
}

// Upcoming, closed and evaluated consultations say the phase and what comes
// next on the consultation and in the proposal's support box, invite nobody
// to log in, and in support mode never speak of voting; a qualified proposal
// that was rejected says what each badge means.
func TestPhaseNotes_SayWhatComesNext(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	author, _ := e.createUser("anna@example.org", "Anna")
	supporter, spw := e.createUser("erika@example.org", "Erika")
	pws := map[string]string{"de": spw, "en": createEnglishUser(t, e, "jane@example.org", "Jane")}
	emails := map[string]string{"de": "erika@example.org", "en": "jane@example.org"}
	now := time.Now().UTC()
	type phaseCase struct {
		name, mode    string
		opens, closes time.Time
		evaluate      bool
		want          map[string]string // language → sentence on both pages
	}
	cases := []phaseCase{
		{name: "upcoming", mode: mitreden.VotingSupport, opens: now.Add(48 * time.Hour), closes: now.Add(30 * 24 * time.Hour),
			want: map[string]string{"de": "Die Beteiligung beginnt am", "en": "Participation starts on"}},
		{name: "closed", mode: mitreden.VotingSupport, opens: now.Add(-10 * 24 * time.Hour), closes: now.Add(-time.Hour),
			want: map[string]string{"de": "die Ergebnisse werden ausgewertet", "en": "the results are being evaluated"}},
		{name: "closed rating", mode: mitreden.VotingRating, opens: now.Add(-10 * 24 * time.Hour), closes: now.Add(-time.Hour),
			want: map[string]string{"de": "Bewertungen und Kommentare sind nicht mehr möglich", "en": "ratings and comments are no longer possible"}},
		{name: "evaluated", mode: mitreden.VotingSupport, opens: now.Add(-10 * 24 * time.Hour), closes: now.Add(-2 * time.Hour), evaluate: true,
			want: map[string]string{"de": "Ausgewertet am", "en": "Evaluated on"}},
	}
	anon := map[string]*browser{"de": e.browser(), "en": e.browser()}
	anon["en"].Lang = "en"
	citizen := map[string]*browser{"de": e.browser(), "en": e.browser()}
	citizen["en"].Lang = "en"
	for _, c := range cases {
		cons, pr := phaseFixture(t, e, admin, author, supporter, c.mode, c.opens, c.closes, c.evaluate)
		for lang := range c.want {
			citizen[lang].loginForm(emails[lang], pws[lang])
			for who, b := range map[string]*browser{"anonymous": anon[lang], "citizen": citizen[lang]} {
				for _, path := range []string{"/consultations/" + cons, "/proposals/" + pr} {
					_, doc := b.get(path)
					main := doc.Find("main")
					where := c.name + " " + lang + " " + who + " " + path
					if l := main.Find(`a[href^="/login"]`); l.Length() != 0 {
						t.Errorf("%s invites to log in: %q", where, l.Text())
					}
					note := main.Find(".phase-note")
					if note.Length() != 1 || !strings.Contains(note.Text(), c.want[lang]) {
						t.Errorf("%s: phase note %q, want %q", where, note.Text(), c.want[lang])
					}
					if c.mode == mitreden.VotingSupport {
						if w := voteWords[lang].FindString(main.Text()); w != "" {
							t.Errorf("%s speaks of voting (%q) in support mode:\n%s", where, w, strings.Join(strings.Fields(main.Text()), " "))
						}
					}
					if c.evaluate && strings.HasPrefix(path, "/proposals/") {
						if main.Find(`.phase-note a[href="/consultations/`+cons+`#results"]`).Length() != 1 {
							t.Errorf("%s: the note does not link the results", where)
						}
						want := map[string]string{"de": "Qualifiziert: hat die Schwelle von 2 Unterstützungen erreicht.",
							"en": "Qualified: reached the threshold of 2 supports."}[lang]
						if got := main.Find(".status-note").Text(); !strings.Contains(got, want) || !strings.Contains(got, map[string]string{"de": "Abgelehnt:", "en": "Rejected:"}[lang]) {
							t.Errorf("%s: the badges are not explained: %q", where, got)
						}
					}
					if c.evaluate && strings.HasPrefix(path, "/consultations/") {
						if got := main.Find(".card-list .status-note").Text(); !strings.Contains(got, map[string]string{"de": "Abgelehnt:", "en": "Rejected:"}[lang]) {
							t.Errorf("%s: the card's badges are not explained: %q", where, got)
						}
					}
				}
			}
		}
	}
}

// In the open phase, support mode speaks of supports: to a visitor, to a
// person who supports, on the consultation and the proposal.
func TestSupportMode_NeverSpeaksOfVoting(t *testing.T) {
	e := newEnv(t)
	f := newStandFixture(t, e)
	logins := map[string][2]string{"de": {f.email, f.pw}, "en": {"jane@example.org", createEnglishUser(t, e, "jane@example.org", "Jane")}}
	for _, lang := range []string{"de", "en"} {
		anon := e.browser()
		anon.Lang = lang
		b := e.browser()
		b.Lang = lang
		b.loginForm(logins[lang][0], logins[lang][1])
		tok := b.csrf("/proposals/" + f.proposal)
		b.post("/proposals/"+f.proposal+"/vote", url.Values{"_csrf": {tok}, "value": {"support"}})
		for who, br := range map[string]*browser{"anonymous": anon, "supporter": b} {
			for _, path := range []string{"/consultations/" + f.cons, "/proposals/" + f.proposal} {
				_, doc := br.get(path)
				if w := voteWords[lang].FindString(doc.Find("main").Text()); w != "" {
					t.Errorf("%s %s %s speaks of voting (%q): %s", lang, who, path, w, strings.Join(strings.Fields(doc.Find("main").Text()), " "))
				}
			}
		}
		b.post("/proposals/"+f.proposal+"/vote/delete", url.Values{"_csrf": {tok}})
	}
}
