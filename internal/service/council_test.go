package service_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// councilEnv is the participation environment with the council's service
// and stored accounts: quorums count the members in the store.
type councilEnv struct {
	*modEnv
	c               *service.Council
	a, b, c3, admin *mitreden.User
}

func newCouncil(t *testing.T) *councilEnv {
	t.Helper()
	m := newMod(t)
	e := &councilEnv{modEnv: m}
	e.c = service.NewCouncil(m.db.Council(), m.db.Participation(), m.idx, m.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), service.CouncilConfig{})
	e.a = m.account(t, "ratA", mitreden.RoleCouncil)
	e.b = m.account(t, "ratB", mitreden.RoleCouncil)
	e.c3 = m.account(t, "ratC", mitreden.RoleCouncil)
	e.admin = m.account(t, "verwaltung", mitreden.RoleAdmin)
	return e
}

func (e *councilEnv) draft(t *testing.T, by *mitreden.User, title string) *mitreden.Recommendation {
	t.Helper()
	r, err := e.c.CreateRecommendation(context.Background(), by, mitreden.Recommendation{Title: title,
		Summary: "Kurz gesagt: offene Standards.", Body: "Erster Absatz.\n\nZweiter Absatz.\n\nDritter Absatz.", Topics: []string{"Open Data"}}, "Erster Entwurf")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCouncil_OnlyMembersAndAdminsSeeTheWorkspace(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	r := e.draft(t, e.a, "Offene Schnittstellen für alle Fachverfahren")
	citizen := e.account(t, "buerger")
	for _, who := range []*mitreden.User{nil, citizen, e.mod} {
		if _, err := e.c.ReadRecommendation(ctx, who, r.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("%v reads a draft: %v", who, err)
		}
		if _, _, err := e.c.ReadRecommendations(ctx, who, "", 1, 20); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("%v lists the workspace: %v", who, err)
		}
		if _, err := e.c.CreateRecommendation(ctx, who, mitreden.Recommendation{Title: "Versuch von außen", Body: "Text"}, ""); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("%v drafts: %v", who, err)
		}
	}
	for _, who := range []*mitreden.User{e.b, e.admin} {
		if _, err := e.c.ReadRecommendation(ctx, who, r.ID); err != nil {
			t.Errorf("%s cannot read: %v", who.DisplayName, err)
		}
	}
	// Drafts are no public page and no search hit.
	if _, err := e.c.ReadPublishedRecommendation(ctx, r.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("a draft is public: %v", err)
	}
	if list, n, _ := e.c.ReadPublished(ctx, mitreden.RecommendationFilter{}); n != 0 || len(list) != 0 {
		t.Errorf("drafts listed publicly: %d", n)
	}
	if e.found(t, "Schnittstellen", true) != 0 {
		t.Error("a draft is indexed")
	}
}

func TestCouncil_StaleSaveNeverOverwritesAndMerges(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	r := e.draft(t, e.a, "Barrierefreie Verwaltungsportale")
	// Two members save on revision 1 at once: one wins, the other's text
	// comes back with the winner's and their merge.
	edits := map[*mitreden.User]string{
		e.a: "Erster Absatz, von A geschärft.\n\nZweiter Absatz.\n\nDritter Absatz.",
		e.b: "Erster Absatz.\n\nZweiter Absatz.\n\nDritter Absatz, von B ergänzt.",
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	var stale []*service.StaleSave
	for who, body := range edits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.c.SaveRecommendation(ctx, who, r.ID, 1, mitreden.Recommendation{Title: r.Title, Summary: r.Summary, Body: body, Topics: r.Topics}, "Änderung")
			mu.Lock()
			defer mu.Unlock()
			if se := service.AsStale(err); se != nil {
				stale = append(stale, se)
			} else if err != nil {
				t.Errorf("save: %v", err)
			} else {
				won = append(won, body)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || len(stale) != 1 {
		t.Fatalf("%d saves won, %d stale", len(won), len(stale))
	}
	se := stale[0]
	if mitreden.ErrorCode(se) != mitreden.ECONFLICT || se.Theirs.Body != won[0] || se.Conflicts {
		t.Fatalf("stale: %+v", se)
	}
	for _, want := range []string{"von A geschärft", "von B ergänzt"} {
		if !strings.Contains(se.MergedBody, want) {
			t.Errorf("merge lost %q: %q", want, se.MergedBody)
		}
	}
	cur, _ := e.c.ReadRecommendation(ctx, e.a, r.ID)
	if cur.Revision != 2 || cur.Body != won[0] {
		t.Fatalf("current %d %q", cur.Revision, cur.Body)
	}
	// The merged text saved on the new base is revision 3.
	if _, err := e.c.SaveRecommendation(ctx, e.b, r.ID, 2, mitreden.Recommendation{Title: r.Title, Summary: r.Summary, Body: se.MergedBody, Topics: r.Topics}, "Zusammengeführt"); err != nil {
		t.Fatal(err)
	}
	revs, _ := e.c.Revisions(ctx, e.a, r.ID)
	if len(revs) != 3 || revs[0].N != 3 || revs[0].Note != "Zusammengeführt" || revs[2].Note != "Erster Entwurf" {
		t.Fatalf("revisions %+v", revs)
	}
	// The same paragraph changed on both sides: a conflict, nothing lost.
	if _, err := e.c.SaveRecommendation(ctx, e.b, r.ID, 3, mitreden.Recommendation{Title: r.Title, Body: "Erster Absatz, von B umformuliert.\n\nZweiter Absatz."}, ""); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.SaveRecommendation(ctx, e.a, r.ID, 3, mitreden.Recommendation{Title: r.Title, Body: "Erster Absatz, ganz anders.\n\nZweiter Absatz."}, "")
	if se := service.AsStale(err); se == nil || !se.Conflicts || !strings.Contains(se.MergedBody, "ganz anders") || !strings.Contains(se.MergedBody, "von B umformuliert") {
		t.Fatalf("conflict: %v", err)
	}
}

func TestCouncil_DiffAndRestore(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	r := e.draft(t, e.a, "Digitale Bildung in Schulen")
	if _, err := e.c.SaveRecommendation(ctx, e.b, r.ID, 1, mitreden.Recommendation{Title: r.Title, Summary: r.Summary,
		Body: "Erster Absatz.\n\nZweiter Absatz mit Tablets.\n\nDritter Absatz.", Topics: []string{"Open Data", "Bildung"}}, "Tablets"); err != nil {
		t.Fatal(err)
	}
	d, err := e.c.Diff(ctx, e.a, r.ID, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d.Inserted != 2 || d.Deleted != 0 || len(d.TopicsAdded) != 1 || d.TopicsAdded[0] != "Bildung" {
		t.Fatalf("diff +%d -%d %v", d.Inserted, d.Deleted, d.TopicsAdded)
	}
	if _, err := e.c.Diff(ctx, e.a, r.ID, 1, 9); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("unknown revision: %v", err)
	}
	restored, err := e.c.RestoreRevision(ctx, e.a, r.ID, 1)
	if err != nil || restored.Revision != 3 || restored.Body != r.Body {
		t.Fatalf("restore: %+v %v", restored, err)
	}
	revs, _ := e.c.Revisions(ctx, e.a, r.ID)
	if revs[0].RestoredFrom != 1 {
		t.Errorf("restored from %d", revs[0].RestoredFrom)
	}
}

func TestCouncil_DecideAndPublish(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	citizen := e.account(t, "ideengeberin")
	pr := e.proposal(t, c, citizen, "Alle Formulare auch in Leichter Sprache")
	r := e.draft(t, e.a, "Leichte Sprache in allen Online-Diensten")
	// Evidence: only what the public sees.
	if _, err := e.c.AddEvidence(ctx, e.b, r.ID, mitreden.Evidence{Type: "proposal", ItemID: pr.ID, Note: "Genau das fordern wir."}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.AddEvidence(ctx, e.b, r.ID, mitreden.Evidence{Type: "proposal", ItemID: "000000000000000000000000"}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Errorf("missing item: %v", err)
	}
	if _, err := e.c.AddEvidence(ctx, e.b, r.ID, mitreden.Evidence{Type: "user", ItemID: pr.ID}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Errorf("bad type: %v", err)
	}
	// Votes only while in review; the chair or an admin closes.
	if err := e.c.Vote(ctx, e.a, r.ID, mitreden.CouncilApprove); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Errorf("vote on a draft: %v", err)
	}
	if _, err := e.c.Submit(ctx, e.a, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.SaveRecommendation(ctx, e.a, r.ID, 1, mitreden.Recommendation{Title: r.Title, Body: "Neu"}, ""); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Errorf("edit in review: %v", err)
	}
	for who, v := range map[*mitreden.User]string{e.a: mitreden.CouncilReject, e.b: mitreden.CouncilApprove} {
		if err := e.c.Vote(ctx, who, r.ID, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.c.Vote(ctx, e.a, r.ID, mitreden.CouncilApprove); err != nil { // changeable
		t.Fatal(err)
	}
	if err := e.c.Vote(ctx, e.admin, r.ID, mitreden.CouncilApprove); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Errorf("an admin who is no member votes: %v", err)
	}
	if _, err := e.c.CloseVote(ctx, e.c3, r.ID); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Errorf("a member who is not chair closes: %v", err)
	}
	if err := e.c.SetChair(ctx, e.db.Users(), e.admin, e.c3.ID); err != nil {
		t.Fatal(err)
	}
	closed, err := e.c.CloseVote(ctx, e.c3, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Two of three members voted, both approve: quorate and adopted.
	if closed.Status != mitreden.RecAdopted || closed.Vote.Approve != 2 || closed.Vote.Members != 3 || closed.Vote.ClosedAt.IsZero() {
		t.Fatalf("closed %+v", closed)
	}
	pub, err := e.c.Publish(ctx, e.a, r.ID, "")
	if err != nil || pub.Status != mitreden.RecPublished || pub.Published != 1 {
		t.Fatalf("publish %+v %v", pub, err)
	}
	if _, err := e.c.Publish(ctx, e.a, r.ID, "Nichts geändert"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Errorf("publishing again without a change: %v", err)
	}
	got, err := e.c.ReadPublishedRecommendation(ctx, r.ID)
	if err != nil || got.Version.Version != 1 || len(got.Evidence) != 1 || got.Evidence[0].Title != pr.Title {
		t.Fatalf("public %+v %v", got, err)
	}
	cited, _ := e.db.Participation().FindProposal(ctx, pr.ID)
	if len(cited.CitedIn) != 1 || cited.CitedIn[0].RecID != r.ID || cited.CitedIn[0].Title != r.Title {
		t.Fatalf("citation %+v", cited.CitedIn)
	}
	if e.found(t, "Leichte Sprache Online-Diensten", false) == 0 {
		t.Error("the published recommendation is not findable")
	}
	// A correction: the public reads the frozen version until it is
	// published as version 2 with its changelog.
	if _, err := e.c.SaveRecommendation(ctx, e.b, r.ID, 1, mitreden.Recommendation{Title: r.Title, Summary: r.Summary, Body: "Korrigierter Text.", Topics: r.Topics}, "Tippfehler"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.c.ReadPublishedRecommendation(ctx, r.ID); got.Body != r.Body {
		t.Fatalf("the published text changed without publishing: %q", got.Body)
	}
	if _, err := e.c.Publish(ctx, e.a, r.ID, ""); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Errorf("a correction without a changelog note: %v", err)
	}
	if _, err := e.c.Publish(ctx, e.a, r.ID, "Tippfehler im Text berichtigt"); err != nil {
		t.Fatal(err)
	}
	got, _ = e.c.ReadPublishedRecommendation(ctx, r.ID)
	if got.Body != "Korrigierter Text." || len(got.Versions) != 2 || got.Versions[0].Note != "Tippfehler im Text berichtigt" {
		t.Fatalf("version 2: %q %d", got.Body, len(got.Versions))
	}
	if _, err := e.c.Withdraw(ctx, e.a, r.ID); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Errorf("withdraw after publishing: %v", err)
	}
}

func TestCouncil_VoteWithoutQuorumGoesBackToDraft(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	r := e.draft(t, e.a, "Eine Empfehlung ohne Mehrheit")
	if _, err := e.c.Submit(ctx, e.a, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Vote(ctx, e.a, r.ID, mitreden.CouncilApprove); err != nil {
		t.Fatal(err)
	}
	// One of three voted: no quorum.
	closed, err := e.c.CloseVote(ctx, e.admin, r.ID)
	if err != nil || closed.Status != mitreden.RecDraft || closed.Vote.Adopted || closed.Vote.Approve != 1 {
		t.Fatalf("closed %+v %v", closed, err)
	}
	if _, err := e.c.Publish(ctx, e.a, r.ID, ""); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Errorf("publish without adoption: %v", err)
	}
	if _, err := e.c.Withdraw(ctx, e.b, r.ID); err != nil {
		t.Fatal(err)
	}
}

func TestCouncil_InternalDiscussionIsThreaded(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	r := e.draft(t, e.a, "Eine Empfehlung zum Diskutieren")
	top, err := e.c.AddCouncilComment(ctx, e.a, r.ID, "", "Sollten wir die Kommunen einbeziehen?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.AddCouncilComment(ctx, e.b, r.ID, top.ID, "Ja, unbedingt."); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.AddCouncilComment(ctx, e.account(t, "fremd"), r.ID, "", "Hallo?"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("a citizen comments internally: %v", err)
	}
	list, err := e.c.CouncilComments(ctx, e.c3, r.ID)
	if err != nil || len(list) != 1 || len(list[0].Replies) != 1 || list[0].Replies[0].Body != "Ja, unbedingt." {
		t.Fatalf("discussion %+v %v", list, err)
	}
}

func TestCouncil_BlockedMemberWritesNothing(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	r := e.draft(t, e.a, "Eine Empfehlung vor der Sperre")
	blocked := *e.b
	blocked.Blocked, blocked.BlockReason, blocked.BlockedUntil = true, "Streit", time.Now().Add(time.Hour)
	if _, err := e.c.SaveRecommendation(ctx, &blocked, r.ID, 1, mitreden.Recommendation{Title: r.Title, Body: "Neu"}, ""); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Errorf("blocked member saves: %v", err)
	}
	if _, err := e.c.ReadRecommendation(ctx, &blocked, r.ID); err != nil {
		t.Errorf("blocked member cannot read: %v", err)
	}
}

func TestCouncil_CitizensDiscussAPublishedRecommendation(t *testing.T) {
	e := newCouncil(t)
	ctx := context.Background()
	e.p.RegisterCommentTarget(mitreden.TargetRecommendation, e.c.CommentTarget)
	r := e.draft(t, e.a, "Ein offenes Datenportal für das Land")
	citizen := e.account(t, "leserin")
	body := mitreden.Comment{Body: "Bitte auch die Fahrpläne als offene Daten, Stichwort Nahverkehrsdaten."}
	if _, err := e.p.AddComment(ctx, citizen, mitreden.TargetRecommendation, r.ID, body); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("comment on a draft: %v", err)
	}
	for _, who := range []*mitreden.User{e.a, e.b} {
		if _, err := e.c.Submit(ctx, who, r.ID); err != nil && who == e.a {
			t.Fatal(err)
		}
		if err := e.c.Vote(ctx, who, r.ID, mitreden.CouncilApprove); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.c.CloseVote(ctx, e.admin, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Publish(ctx, e.a, r.ID, ""); err != nil {
		t.Fatal(err)
	}
	cm, err := e.p.AddComment(ctx, citizen, mitreden.TargetRecommendation, r.ID, body)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.p.ReadDiscussion(ctx, nil, mitreden.TargetRecommendation, r.ID, "")
	if err != nil || d.Visible != 1 || d.Comments[0].ID != cm.ID || !d.CanComment.Allowed() && d.CanComment.Denied.Code != mitreden.EUNAUTHORIZED {
		t.Fatalf("discussion %+v %v", d, err)
	}
	// Findable, linked to the recommendation's page, with its title.
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Nahverkehrsdaten"})
	if err != nil || res.Total != 1 || res.Items[0].URL != "/recommendations/"+r.ID+"#comment-"+cm.ID || res.Items[0].ContextTitle != r.Title {
		t.Fatalf("search %+v %v", res, err)
	}
	// Moderation applies as everywhere.
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Off-Topic"); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.p.ReadDiscussion(ctx, nil, mitreden.TargetRecommendation, r.ID, ""); !d.Comments[0].Redacted {
		t.Fatal("hidden comment shown")
	}
}
