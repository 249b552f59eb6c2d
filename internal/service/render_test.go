package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

const richText = "Ein **wichtiger** Punkt mit [Link](https://www.land.nrw/) und\n\n- einer\n- Liste"

func rendered(src string) string { return string(markdown.Render(src)) }

// Every write of a Markdown source stores its HTML, rendered by the current
// renderer, so that reads find it.
func TestRender_EveryWriteStoresTheHTMLOfItsText(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	st := e.db.Participation()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.Body = richText })
	author := e.user()
	pr := &mitreden.Proposal{Title: "Ein Vorschlag", Body: richText + " im Vorschlag", Topics: []string{"Verwaltung"}}
	if err := e.p.CreateProposal(ctx, author, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	check := func(what, got, src string, version int) {
		t.Helper()
		if got != rendered(src) || version != markdown.Version {
			t.Errorf("%s: stored HTML %q (version %d), want %q (version %d)", what, got, version, rendered(src), markdown.Version)
		}
	}
	gotC, _ := st.FindConsultation(ctx, c.ID)
	check("new consultation", gotC.BodyHTML, c.Body, gotC.HTMLVersion)
	gotP, _ := st.FindProposal(ctx, pr.ID)
	check("new proposal", gotP.BodyHTML, pr.Body, gotP.HTMLVersion)

	if _, err := e.p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Ein Vorschlag", Body: "Jetzt *anders* formuliert, lang genug."}); err != nil {
		t.Fatal(err)
	}
	gotP, _ = st.FindProposal(ctx, pr.ID)
	check("edited proposal", gotP.BodyHTML, "Jetzt *anders* formuliert, lang genug.", gotP.HTMLVersion)

	cm, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: "*Ja*, unbedingt."})
	if err != nil {
		t.Fatal(err)
	}
	gotM, _ := st.FindComment(ctx, cm.ID)
	check("new comment", gotM.BodyHTML, "*Ja*, unbedingt.", gotM.HTMLVersion)
	if _, err := e.p.EditComment(ctx, author, cm.ID, "**Nein**, doch nicht."); err != nil {
		t.Fatal(err)
	}
	gotM, _ = st.FindComment(ctx, cm.ID)
	check("edited comment", gotM.BodyHTML, "**Nein**, doch nicht.", gotM.HTMLVersion)

	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusAccepted, "Wird *umgesetzt*."); err != nil {
		t.Fatal(err)
	}
	gotP, _ = st.FindProposal(ctx, pr.ID)
	check("answer", gotP.AnswerHTML, "Wird *umgesetzt*.", gotP.HTMLVersion)

	e.clk.Advance(31 * 24 * 60 * 60 * 1e9)
	if _, err := e.p.PublishResults(ctx, e.admin, c.ID, "## Ergebnis\n\nAlles **gut**."); err != nil {
		t.Fatal(err)
	}
	gotC, _ = st.FindConsultation(ctx, c.ID)
	check("results", gotC.ResultsHTML, "## Ergebnis\n\nAlles **gut**.", gotC.HTMLVersion)
	check("body beside the results", gotC.BodyHTML, c.Body, gotC.HTMLVersion)
}

// Data of an older release has no HTML: the backfill renders exactly that,
// and a second run finds nothing and renders nothing.
func TestBackfillHTML_RendersWhatHasNoHTMLOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	current := e.proposal(t, c, e.user(), "Schon gerendert")
	batch := mongo.SeedBatch{}
	for i := range 3 {
		p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "alt", AuthorName: "Alt", Title: "Alter Vorschlag",
			Body: richText, Status: mitreden.StatusSubmitted, CreatedAt: e.clk.now}
		if i == 0 {
			p.Status, p.Answer = mitreden.StatusAccepted, "Eine *alte* Antwort."
		}
		batch.Proposals = append(batch.Proposals, p)
		batch.Comments = append(batch.Comments, &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal", TargetID: p.ID,
			ConsultationID: c.ID, AuthorID: "alt", Body: "Ein *alter* Kommentar.", CreatedAt: e.clk.now})
	}
	if err := e.db.Participation().InsertSeed(ctx, batch); err != nil {
		t.Fatal(err)
	}
	r, err := e.p.BackfillHTML(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Consultations != 0 || r.Proposals != 3 || r.Comments != 3 || r.Changed != 0 {
		t.Fatalf("backfill rendered %+v, want the 3 old proposals and 3 old comments", r)
	}
	st := e.db.Participation()
	for _, p := range batch.Proposals {
		got, err := st.FindProposal(ctx, p.ID)
		if err != nil || got.BodyHTML != rendered(p.Body) || got.AnswerHTML != rendered(p.Answer) || got.HTMLVersion != markdown.Version {
			t.Fatalf("backfilled proposal: %+v %v", got, err)
		}
	}
	for _, cm := range batch.Comments {
		if got, err := st.FindComment(ctx, cm.ID); err != nil || got.BodyHTML != rendered(cm.Body) || got.HTMLVersion != markdown.Version {
			t.Fatalf("backfilled comment: %+v %v", got, err)
		}
	}
	if got, _ := st.FindProposal(ctx, current.ID); got.BodyHTML != rendered(current.Body) {
		t.Fatalf("current proposal changed: %q", got.BodyHTML)
	}

	before := markdown.Conversions()
	r, err = e.p.BackfillHTML(ctx)
	if err != nil || r.Consultations+r.Proposals+r.Comments+r.Changed != 0 {
		t.Fatalf("second backfill: %+v %v", r, err)
	}
	if n := markdown.Conversions() - before; n != 0 {
		t.Fatalf("a backfill with nothing stale converted %d texts", n)
	}
}

// editingStore answers the official answer of a proposal between the
// backfill's read and its write, as an admin might.
type editingStore struct {
	mitreden.ParticipationStore
	answer string
	done   bool
}

func (s *editingStore) SetProposalHTML(ctx context.Context, p *mitreden.Proposal) error {
	if !s.done {
		s.done = true
		edit := *p
		edit.Answer, edit.AnswerHTML = s.answer, rendered(s.answer)
		if err := s.ParticipationStore.SetProposalStatus(ctx, &edit); err != nil {
			return err
		}
	}
	return s.ParticipationStore.SetProposalHTML(ctx, p)
}

// An answer written while the backfill renders the proposal wins: the
// backfill never stores HTML of the replaced text, and renders the proposal
// again, since the answer stored only its own field's HTML.
func TestBackfillHTML_AnEditMeanwhileWins(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "alt", Title: "Alter Vorschlag",
		Body: richText, Status: mitreden.StatusSubmitted, CreatedAt: e.clk.now}
	if err := e.db.Participation().InsertSeed(ctx, mongo.SeedBatch{Proposals: []*mitreden.Proposal{p}}); err != nil {
		t.Fatal(err)
	}
	st := &editingStore{ParticipationStore: e.db.Participation(), answer: "Die *neue* Antwort."}
	svc := service.NewParticipation(st, nil, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r, err := svc.BackfillHTML(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.done || r.Proposals != 1 || r.Changed != 0 {
		t.Fatalf("backfill %+v, edit injected %v", r, st.done)
	}
	got, err := e.db.Participation().FindProposal(ctx, p.ID)
	if err != nil || got.AnswerHTML != rendered(st.answer) || got.BodyHTML != rendered(p.Body) || got.HTMLVersion != markdown.Version {
		t.Fatalf("after an answer meanwhile: %+v %v", got, err)
	}
}

// Search documents take their text from the stored HTML: indexing an item
// again (a count changed, a reindex) converts no Markdown, and yields the
// text the Markdown gives. An item not yet backfilled is converted.
func TestSearchDocs_TakeTheTextFromTheStoredHTML(t *testing.T) {
	e := newPart(t)
	c := e.consultation(t, func(c *mitreden.Consultation) { c.Body = richText })
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag")
	pr.Answer = "Wird *geprüft*."
	service.RenderProposal(pr)
	cm := &mitreden.Comment{ID: "c1", Body: "Ein **Kommentar**."}
	service.RenderComment(cm)
	docs := e.p.SearchDocs()
	before := markdown.Conversions()
	got := []string{docs.Proposal(pr, c)[0].Body, docs.Proposal(pr, c)[1].Body, docs.Comment(cm, c, pr).Body}
	if n := markdown.Conversions() - before; n != 0 {
		t.Errorf("indexing items with current HTML converted Markdown %d times", n)
	}
	for i, src := range []string{pr.Body, pr.Answer, cm.Body} {
		if got[i] != markdown.PlainText(src) {
			t.Errorf("search text %q, want %q", got[i], markdown.PlainText(src))
		}
	}
	if body := docs.Consultation(c).Body; body != markdown.PlainText(c.Summary+"\n\n"+c.Body) {
		t.Errorf("consultation search text %q", body)
	}
	old := &mitreden.Comment{ID: "c2", Body: "Ein *alter* Kommentar.", BodyHTML: "<p>veraltet</p>", HTMLVersion: markdown.Version - 1}
	if body := docs.Comment(old, c, pr).Body; body != "Ein alter Kommentar." {
		t.Errorf("search text of an item not backfilled: %q", body)
	}
}
