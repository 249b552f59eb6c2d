package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestBrowser_ParticipationJourney walks the core flow in a real browser with
// axe on every page: register, open a consultation, propose, a second user
// supports and comments, the author can no longer edit, an admin answers.
func TestBrowser_ParticipationJourney(t *testing.T) {
	e := newEnv(t)
	admin, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	_, jpw := e.createUser("jonas@example.org", "Jonas")
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die **wichtigsten** Leistungen online anbieten.", Topics: []string{"Verwaltung"}, Region: "Land",
		OpensAt: time.Now().Add(-time.Hour), ClosesAt: time.Now().Add(48 * time.Hour), VotingMode: "support", SupportThreshold: 1,
		ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(context.Background(), admin, c); err != nil {
		t.Fatal(err)
	}
	login := func(b *browserSession, email, pw string) {
		b.visit("/login")
		b.fill("#email", email)
		b.fill("#password", pw)
		b.submit(`form[action="/login"] button[type="submit"]`)
	}
	logout := func(b *browserSession) { b.submit(`form[action="/logout"] button`) }

	b := newBrowser(t, e, "de")
	// 1. Register.
	b.visit("/register")
	b.fill("#email", "erika@example.org")
	b.fill("#display_name", "Erika")
	b.fill("#password", "Sonnenblumen am Rhein")
	b.submit(`form[action="/register"] button[type="submit"]`)
	login(b, "erika@example.org", "Sonnenblumen am Rhein")
	// 2. Open the consultation and make a proposal (with an XSS attempt).
	b.visit("/consultations")
	b.visit("/consultations/" + c.ID)
	b.visit("/consultations/" + c.ID + "/proposals/new")
	b.fill("#title", "Wohngeld vollständig online")
	b.fill("#body", `Bitte das Wohngeld online anbieten. <img src=x onerror="window.__xss=1"> [klick](javascript:window.__xss=2)`)
	b.submit(`form[action$="/proposals"] button[type="submit"]`)
	loc := browserRun(b, chromedp.Location())
	if !strings.Contains(loc, "/proposals/") {
		t.Fatalf("after proposing at %s: %s", loc, b.text("main"))
	}
	pid := loc[strings.LastIndex(loc, "/")+1:]
	if x := browserRun(b, chromedp.Evaluate[bool](`window.__xss === undefined`)); !x {
		t.Fatal("a script from the proposal ran")
	}
	if b.count(`a[href="/proposals/`+pid+`/edit"]`) != 1 {
		t.Fatal("author cannot edit a fresh proposal")
	}
	logout(b)
	// 3. A second user supports and comments.
	login(b, "jonas@example.org", jpw)
	b.visit("/proposals/" + pid)
	b.submit(`form[action="/proposals/` + pid + `/vote"] button[type="submit"]`)
	if got := b.text("#tally"); !strings.Contains(got, "1 Unterstützung") {
		t.Fatalf("tally after support: %q", got)
	}
	b.fill("#new-comment-body", "Das würde mir viel Zeit sparen.")
	b.submit(`form.comment-form button[type="submit"]`)
	if got := b.text("#comments"); !strings.Contains(got, "Das würde mir viel Zeit sparen.") || !strings.Contains(got, "Kommentare (1)") {
		t.Fatalf("comment missing: %q", got)
	}
	logout(b)
	// 4. The author can no longer edit the supported proposal.
	login(b, "erika@example.org", "Sonnenblumen am Rhein")
	b.visit("/proposals/" + pid)
	if b.count(`a[href="/proposals/`+pid+`/edit"]`) != 0 {
		t.Fatal("edit link still offered after support")
	}
	logout(b)
	// 5. An admin answers; the answer shows.
	login(b, "admin@example.org", apw)
	b.visit("/proposals/" + pid)
	b.run(chromedp.SetValue(chromedp.CSS("#answer-status"), "accepted"))
	b.fill("#answer_text", "Die Landesregierung setzt das im nächsten Jahr um.")
	b.submit(`form[action="/proposals/` + pid + `/answer"] button[type="submit"]`)
	if got := b.text("#answer"); !strings.Contains(got, "Die Landesregierung setzt das im nächsten Jahr um.") || !strings.Contains(got, "Angenommen") {
		t.Fatalf("answer not shown: %q", got)
	}
	// Search finds the proposal with a typo and links it in context.
	b.visit("/search?q=" + "Wohngelt")
	if b.count("li.result mark") == 0 {
		t.Fatalf("no highlighted result: %s", b.text("main"))
	}
	b.visit("/search?q=Wohngeld&type=proposal")
	b.submit(`li.result a[href="/proposals/` + pid + `"]`)
	if loc := browserRun(b, chromedp.Location()); !strings.HasSuffix(loc, "/proposals/"+pid) {
		t.Fatalf("result opened %s", loc)
	}
	// Hiding a comment through the moderation service call removes it from the results at once.
	b.visit("/search?q=" + "Zeit+sparen")
	if b.count("li.result") != 1 {
		t.Fatalf("comment not found before hiding: %s", b.text("main"))
	}
	d, err := e.Participation.ReadDiscussion(context.Background(), nil, "proposal", pid, "oldest")
	if err != nil || len(d.Comments) != 1 {
		t.Fatalf("comments: %v", err)
	}
	if err := e.Participation.Moderate(context.Background(), admin, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: d.Comments[0].ID}, "Beleidigend"); err != nil {
		t.Fatal(err)
	}
	logout(b)
	b.visit("/search?q=" + "Zeit+sparen")
	if n := b.count("li.result"); n != 0 {
		t.Fatalf("hidden comment still in results: %d", n)
	}
	b.visit("/proposals/" + pid)
	if strings.Contains(b.text("#comments"), "Zeit sparen") {
		t.Fatal("hidden comment still shown to the public")
	}
}

// TestBrowser_XSSCorpusRunsNoScript renders hostile Markdown in a proposal
// and a comment and checks in the browser that nothing executed.
func TestBrowser_XSSCorpusRunsNoScript(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	author, _ := e.createUser("mallory@example.org", "Mallory")
	ctx := context.Background()
	c := &mitreden.Consultation{Title: "Sicherheitstest der Darstellung", Summary: "Prüft, dass Beiträge kein Skript ausführen.",
		Body: "<script>window.__xss='consultation'</script> Text des Verfahrens.", OpensAt: time.Now().Add(-time.Hour),
		ClosesAt: time.Now().Add(time.Hour), VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	corpus := []string{
		`<script>window.__xss='script'</script>`,
		`<img src=x onerror="window.__xss='img'">`,
		`[klick](javascript:window.__xss='link')`,
		`<a href="jav&#x09;ascript:window.__xss='tab'">x</a>`,
		`<svg onload="window.__xss='svg'"></svg>`,
		`<iframe src="javascript:parent.__xss='iframe'"></iframe>`,
		`<details open ontoggle="window.__xss='details'">d</details>`,
		`<body onload="window.__xss='body'">`,
		`<style>@import 'javascript:alert(1)';</style>`,
		"`<script>` als Code ist erlaubt",
	}
	pr := &mitreden.Proposal{Title: "Feindliche Eingaben im Vorschlag", Body: "Vorschlag mit Angriffen:\n\n" + strings.Join(corpus, "\n\n")}
	if err := e.Participation.CreateProposal(ctx, author, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	for _, payload := range corpus {
		if _, err := e.Participation.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: payload}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, e, "de")
	for _, p := range []string{"/consultations/" + c.ID, "/proposals/" + pr.ID, "/search?q=Angriffen"} {
		b.visit(p)
		if ran := browserRun(b, chromedp.Evaluate[string](`String(window.__xss || "")`)); ran != "" {
			t.Errorf("%s: script ran (%s)", p, ran)
		}
		// Click every link of the contributions: none may run code.
		browserRun(b, chromedp.Evaluate[bool](`(function(){document.querySelectorAll('.prose a').forEach(a => { if (a.href.startsWith('javascript')) { window.__xss = 'href' } }); return true })()`))
		if ran := browserRun(b, chromedp.Evaluate[string](`String(window.__xss || "")`)); ran != "" {
			t.Errorf("%s: javascript: link survived", p)
		}
	}
	_ = fmt.Sprint
}
