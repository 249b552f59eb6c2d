package http_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestMyContributions_ListsWhatIProposedCommentedAndSupported: the account
// navigation links "Meine Beiträge", which lists the person's proposals,
// comments and supports with links to each, and nothing of anyone else;
// anonymous visitors are sent to the login.
func TestMyContributions_ListsWhatIProposedCommentedAndSupported(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := newSupportFixture(t, e, 5, 0)
	erika, pw := e.createUser("erika@example.org", "Erika")
	sam, _ := e.createUser("sam@example.org", "Sam")
	mine := &mitreden.Proposal{Title: "Erikas eigener Vorschlag", Body: "Ein Vorschlag von Erika mit genug Text."}
	if err := e.Participation.CreateProposal(ctx, erika, f.C.ID, mine); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Participation.Vote(ctx, erika, f.Proposals[0].ID, mitreden.VoteSupport); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Participation.Vote(ctx, sam, f.Proposals[1].ID, mitreden.VoteSupport); err != nil {
		t.Fatal(err)
	}
	cm, err := e.Participation.AddComment(ctx, erika, mitreden.TargetProposal, f.Proposals[2].ID, mitreden.Comment{Body: "Das hilft Familien sehr."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Participation.AddComment(ctx, sam, mitreden.TargetProposal, f.Proposals[2].ID, mitreden.Comment{Body: "Sams Meinung."}); err != nil {
		t.Fatal(err)
	}

	anon := e.browser()
	if resp, _ := anon.get("/my-contributions"); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	b := e.browser()
	b.loginForm("erika@example.org", pw)
	_, home := b.get("/consultations")
	if home.Find(`nav.site-nav a[href="/my-contributions"]`).Text() != "Meine Beiträge" {
		t.Error("the account navigation does not link \"Meine Beiträge\"")
	}
	resp, doc := b.get("/my-contributions")
	if resp.StatusCode != 200 || doc.Find("h1").Text() != "Meine Beiträge" {
		t.Fatalf("status %d, h1 %q", resp.StatusCode, doc.Find("h1").Text())
	}
	if doc.Find(`nav.site-nav a[href="/my-contributions"][aria-current="page"]`).Length() != 1 {
		t.Error("the navigation does not mark the page as current")
	}
	props := doc.Find("#proposals")
	if props.Find(`a[href="/proposals/`+mine.ID+`"]`).Length() != 1 || props.Find(`a[href="/consultations/`+f.C.ID+`"]`).Length() != 1 ||
		props.Find("li").Length() != 1 {
		t.Errorf("proposals section: %q", props.Text())
	}
	comments := doc.Find("#comments")
	if comments.Find(`a[href="/comments/`+cm.ID+`"]`).Text() != "„Das hilft Familien sehr.“" ||
		comments.Find(`a[href="/proposals/`+f.Proposals[2].ID+`"]`).Length() != 1 || strings.Contains(comments.Text(), "Sams") {
		t.Errorf("comments section: %q", comments.Text())
	}
	supports := doc.Find("#supports")
	if supports.Find("#supports-"+f.C.ID).Length() != 1 || supports.Find(`a[href="/proposals/`+f.Proposals[0].ID+`"]`).Length() != 1 ||
		supports.Find(`a[href="/proposals/`+f.Proposals[1].ID+`"]`).Length() != 0 {
		t.Errorf("supports section: %q", supports.Text())
	}
	if !strings.Contains(supports.Text(), "Sie haben noch 4 von 5 Unterstützungen") {
		t.Errorf("supports section does not count the quota: %q", supports.Text())
	}
}
