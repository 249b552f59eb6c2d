package http_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

// Markdown is rendered when it is written; pages and the API only copy the
// stored HTML. The test reads every page and API read that shows Markdown,
// anonymously and as the author, and counts the renderer's conversions: a
// read path that renders fails it. It must not run in parallel with tests
// that write (the counter is the process's).
func TestRender_ReadsNeverRender(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	author, pw := e.createUser("erika@example.org", "Erika")
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die **wichtigsten** Leistungen online anbieten.", Topics: []string{"Verwaltung"}, Region: "Land",
		OpensAt: time.Now().Add(-time.Hour), ClosesAt: time.Now().Add(48 * time.Hour), VotingMode: mitreden.VotingSupport,
		ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		pr := &mitreden.Proposal{Title: "Wohngeld online beantragen", Body: "Bitte das Wohngeld *vollständig* online beantragen können.\n\n- Antrag\n- Nachweise"}
		if err := e.Participation.CreateProposal(ctx, author, c.ID, pr); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pr.ID)
		if i == 0 {
			if _, err := e.Participation.AnswerProposal(ctx, admin, pr.ID, mitreden.StatusInReview, "Wir *prüfen* das."); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, target := range []struct{ typ, id string }{{"proposal", ids[1]}, {"consultation", c.ID}} {
		parent, err := e.Participation.AddComment(ctx, author, target.typ, target.id, mitreden.Comment{Body: "Ein **Kommentar** dazu."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Participation.AddComment(ctx, admin, target.typ, target.id, mitreden.Comment{Body: "Eine *Antwort*.", ParentID: parent.ID}); err != nil {
			t.Fatal(err)
		}
	}
	erika := e.login("erika@example.org", pw)
	adminToken := e.login("admin@example.org", apw)
	anon, signedIn := e.browser(), e.browser()
	signedIn.loginForm("erika@example.org", pw)

	before := markdown.Conversions()
	shown := ""
	for _, b := range []*browser{anon, signedIn} {
		for _, path := range []string{"/", "/consultations", "/consultations/" + c.ID, "/consultations/" + c.ID + "?sort=newest",
			"/proposals/" + ids[0], "/proposals/" + ids[1], "/proposals/" + ids[1] + "/edit"} {
			resp, doc := b.get(path)
			if resp.StatusCode != 200 && !(b == anon && strings.HasSuffix(path, "/edit")) {
				t.Fatalf("GET %s: %d", path, resp.StatusCode)
			}
			h, _ := doc.Html()
			shown += h
		}
	}
	for _, token := range []string{"", erika, adminToken} {
		for _, path := range []string{"/api/v1/consultations", "/api/v1/consultations/" + c.ID, "/api/v1/consultations/" + c.ID + "/proposals?per_page=100",
			"/api/v1/consultations/" + c.ID + "/comments", "/api/v1/proposals/" + ids[0], "/api/v1/proposals/" + ids[1] + "/comments"} {
			resp := e.api("GET", path, token, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", path, resp.StatusCode)
			}
			shown += readBody(resp)
		}
	}
	if n := markdown.Conversions() - before; n != 0 {
		t.Errorf("reading pages and the API converted Markdown %d times, want 0", n)
	}
	for _, want := range []string{"<strong>wichtigsten</strong>", "<em>vollständig</em>", "<li>Nachweise</li>", "<em>prüfen</em>",
		"<strong>Kommentar</strong>", "<em>Antwort</em>", `\u003cem\u003evollständig\u003c/em\u003e`} {
		if !strings.Contains(shown, want) {
			t.Errorf("the stored HTML %q is shown nowhere", want)
		}
	}
	if strings.Contains(shown, "&lt;strong&gt;") || strings.Contains(shown, "&lt;em&gt;") {
		t.Errorf("a page shows stored HTML as text")
	}
}

// Items of an older release carry no HTML: until the start-up backfill
// reaches them, pages and the API show the source escaped (never rendered
// on the read, never as HTML), and afterwards the rendered text.
func TestRender_OldItemsShowTheirSourceEscapedUntilBackfilled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", Topics: []string{"Verwaltung"}, Region: "Land",
		OpensAt: time.Now().Add(-time.Hour), ClosesAt: time.Now().Add(48 * time.Hour), VotingMode: mitreden.VotingSupport,
		ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	old := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "alt", AuthorName: "Alt", Title: "Ein alter Vorschlag",
		Body: "Ein **alter** Text <b>mit</b> Markup.", Status: mitreden.StatusSubmitted, CreatedAt: time.Now().UTC()}
	if err := e.DB.Participation().InsertSeed(ctx, mongo.SeedBatch{Proposals: []*mitreden.Proposal{old}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	before := markdown.Conversions()
	_, doc := b.get("/proposals/" + old.ID)
	h, _ := doc.Find("main").Html()
	if markdown.Conversions() != before {
		t.Errorf("an item without HTML was rendered on the read")
	}
	if !strings.Contains(h, "Ein **alter** Text &lt;b&gt;mit&lt;/b&gt; Markup.") || strings.Contains(h, "<strong>alter</strong>") {
		t.Fatalf("before the backfill the page shows %s", h)
	}
	if _, err := e.Participation.BackfillHTML(ctx); err != nil {
		t.Fatal(err)
	}
	_, doc = b.get("/proposals/" + old.ID)
	if h, _ := doc.Find("main").Html(); !strings.Contains(h, "<strong>alter</strong>") {
		t.Fatalf("after the backfill the page shows %s", h)
	}
}

// BenchmarkProposalList_LongMarkdown reads the API list of 20 proposals of
// 10,000 characters of hostile Markdown (lists nested 4,999 deep),
// anonymously, as the security review did: "stored" is the
// read as it is now, "rendered" adds the rendering every read did before.
func BenchmarkProposalList_LongMarkdown(b *testing.B) {
	ctx := context.Background()
	db := mongotest.MustOpenDB(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	part := service.NewParticipation(db.Participation(), nil, nil, log)
	acc := service.NewAccounts(db.Users(), db.Sessions(), db.Counters(), service.AccountsConfig{}, nil, log)
	srv, err := mhttp.New(mhttp.Config{BaseURL: "http://127.0.0.1:8080", Secret: []byte(strings.Repeat("k", 32))},
		mhttp.Deps{Accounts: acc, Store: db, Participation: part, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	admin := &mitreden.User{ID: "admin1", DisplayName: "Admina", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", OpensAt: time.Now().Add(-time.Hour),
		ClosesAt: time.Now().Add(48 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := part.CreateConsultation(ctx, admin, c); err != nil {
		b.Fatal(err)
	}
	bomb := strings.Repeat("- ", 4999) + "x" // 4,999 nested lists: about 90 ms to render
	var bodies []string
	for i := range 20 {
		pr := &mitreden.Proposal{Title: fmt.Sprintf("Vorschlag %d", i+1), Body: bomb}
		if err := part.CreateProposal(ctx, &mitreden.User{ID: fmt.Sprintf("u%d", i), DisplayName: "Person"}, c.ID, pr); err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, pr.Body)
	}
	get := func(b *testing.B) {
		req, _ := nethttp.NewRequest("GET", "/api/v1/consultations/"+c.ID+"/proposals?per_page=100", nil)
		resp, err := srv.App().Test(req, -1)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("list: %v %v", resp, err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.ReportMetric(float64(n), "resp-bytes")
	}
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			get(b)
		}
	})
	b.Run("rendered", func(b *testing.B) {
		for b.Loop() {
			get(b)
			for _, body := range bodies {
				markdown.Render(body)
			}
		}
	})
}
