package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestHome_SaysHowManyPeopleTookPart checks that each open consultation's
// card on the home page counts the people who proposed, commented or voted
// there, each once, beside its proposals and comments, with singular and
// plural right in both languages.
func TestHome_SaysHowManyPeopleTookPart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	anna, _ := e.createUser("anna@example.org", "Anna")
	ben, _ := e.createUser("ben@example.org", "Ben")
	cem, _ := e.createUser("cem@example.org", "Cem")
	now := time.Now().UTC()
	mk := func(title string, closesIn time.Duration) *mitreden.Consultation {
		t.Helper()
		c := &mitreden.Consultation{Title: title, Summary: "Worum es geht, in zwei Sätzen. Machen Sie mit.",
			Body: "Der Text des Verfahrens mit allen Einzelheiten.", Region: "Land", OpensAt: now.Add(-time.Hour),
			ClosesAt: now.Add(closesIn), VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true}
		if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	many, one, none := mk("Welche Dienste zuerst online?", 24*time.Hour), mk("Offene Daten im Kreis", 48*time.Hour), mk("Breitband auf dem Land", 72*time.Hour)
	propose := func(c *mitreden.Consultation, u *mitreden.User, title string) *mitreden.Proposal {
		t.Helper()
		pr := &mitreden.Proposal{Title: title, Body: "Ein Vorschlag mit genug Text, damit er gespeichert wird."}
		if err := e.Participation.CreateProposal(ctx, u, c.ID, pr); err != nil {
			t.Fatal(err)
		}
		return pr
	}
	comment := func(u *mitreden.User, target, id string) {
		t.Helper()
		if _, err := e.Participation.AddComment(ctx, u, target, id, mitreden.Comment{Body: "Ein Kommentar dazu."}); err != nil {
			t.Fatal(err)
		}
	}
	// many: Anna proposes and comments, Ben comments twice, Cem only
	// supports; Anna and Cem support too. Three people.
	pr := propose(many, anna, "Wohngeld online beantragen")
	comment(anna, "proposal", pr.ID)
	comment(ben, "proposal", pr.ID)
	comment(ben, "consultation", many.ID)
	for _, u := range []*mitreden.User{anna, cem} {
		if _, err := e.Participation.Vote(ctx, u, pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	// one: Ben alone, with two proposals and a comment.
	propose(one, ben, "Haushaltsdaten als offene Daten")
	comment(ben, "proposal", propose(one, ben, "Verkehrsdaten als offene Daten").ID)

	want := map[string]map[string]string{
		"de": {
			many.ID: "Bisher haben 3 Personen mitgemacht: 1 Vorschlag, 3 Kommentare.",
			one.ID:  "Bisher hat 1 Person mitgemacht: 2 Vorschläge, 1 Kommentar.",
			none.ID: "Bisher hat noch niemand mitgemacht.",
		},
		"en": {
			many.ID: "So far 3 people have taken part: 1 proposal, 3 comments.",
			one.ID:  "So far 1 person has taken part: 2 proposals, 1 comment.",
			none.ID: "Nobody has taken part yet.",
		},
	}
	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.Lang = lang
		resp, doc := b.get("/")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: home answers %d", lang, resp.StatusCode)
		}
		cards := doc.Find("main .home-open > li")
		if cards.Length() != 3 {
			t.Fatalf("%s: %d cards, want 3", lang, cards.Length())
		}
		for id, took := range want[lang] {
			card := cards.FilterFunction(func(_ int, s *goquery.Selection) bool {
				href, _ := s.Find("h3 a").Attr("href")
				return href == "/consultations/"+id
			})
			if text := strings.Join(strings.Fields(card.Text()), " "); !strings.Contains(text, took) {
				t.Errorf("%s: the card of %s says %q, want %q", lang, id, text, took)
			}
		}
	}
}
