package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/service"
)

type partEnv struct {
	p     *service.Participation
	db    *mongo.DB
	clk   *fakeClock
	admin *mitreden.User
	idx   mitreden.Searcher
	n     atomic.Int64
}

func newPart(t testing.TB) *partEnv {
	t.Helper()
	db := mongotest.MustOpenDB(t)
	idx, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	clk := &fakeClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	p := service.NewParticipation(db.Participation(), idx, clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &partEnv{p: p, db: db, clk: clk, idx: idx, admin: &mitreden.User{ID: "admin1", DisplayName: "Admina", Roles: []mitreden.Role{mitreden.RoleAdmin}}}
}

func (e *partEnv) user() *mitreden.User {
	n := e.n.Add(1)
	return &mitreden.User{ID: fmt.Sprintf("u%03d", n), DisplayName: fmt.Sprintf("Person %d", n)}
}

func (e *partEnv) consultation(t testing.TB, mod func(*mitreden.Consultation)) *mitreden.Consultation {
	t.Helper()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, welche Verwaltungsleistungen zuerst digital werden sollen.",
		Body: "Das Land NRW will bis 2027 die wichtigsten Leistungen online anbieten.", Topics: []string{"Verwaltung"}, Region: "Land",
		OpensAt: e.clk.now.Add(-time.Hour), ClosesAt: e.clk.now.Add(30 * 24 * time.Hour), VotingMode: mitreden.VotingSupport,
		ProposalsEnabled: true, CommentsEnabled: true}
	if mod != nil {
		mod(c)
	}
	if err := e.p.CreateConsultation(context.Background(), e.admin, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *partEnv) proposal(t testing.TB, c *mitreden.Consultation, author *mitreden.User, title string) *mitreden.Proposal {
	t.Helper()
	pr := &mitreden.Proposal{Title: title, Body: "Ein ausführlicher Vorschlag mit genug Text für die Prüfung.", Topics: []string{"Digitalisierung"}}
	if err := e.p.CreateProposal(context.Background(), author, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestVotes_ConcurrentDuplicatesCountOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Wohngeld online beantragen")
	var wg sync.WaitGroup
	var fails atomic.Int64
	for u := 0; u < 50; u++ {
		voter := e.user()
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err != nil {
					fails.Add(1)
					t.Errorf("vote: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	got, _, _ := e.p.Proposal(ctx, pr.ID)
	if got.Tally.Support != 50 || fails.Load() != 0 {
		t.Fatalf("tally = %d, want 50 (fails %d)", got.Tally.Support, fails.Load())
	}
	changes, err := e.p.Recount(ctx)
	if err != nil || len(changes) != 0 {
		t.Fatalf("recount changed %v (%v)", changes, err)
	}
}

func TestVotes_SupportLimitHoldsUnderConcurrency(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 3 })
	author := e.user()
	var props []*mitreden.Proposal
	for i := 0; i < 10; i++ {
		props = append(props, e.proposal(t, c, author, fmt.Sprintf("Vorschlag Nummer %d", i)))
	}
	voter := e.user()
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for _, pr := range props {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.p.Vote(ctx, voter, pr.ID, "support")
			switch {
			case err == nil:
				ok.Add(1)
			case mitreden.ErrorMessage(err) == "vote.limit_reached":
				limited.Add(1)
			default:
				t.Errorf("vote: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 || limited.Load() != 7 {
		t.Fatalf("ok=%d limited=%d, want 3/7", ok.Load(), limited.Load())
	}
	// Withdrawing one frees a support; the same value again changes nothing.
	for _, pr := range props {
		if res, err := e.p.Unvote(ctx, voter, pr.ID); err == nil && res.Changed {
			break
		}
	}
	var last *mitreden.Proposal
	for _, pr := range props {
		if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err == nil {
			last = pr
			break
		}
	}
	if last == nil {
		t.Fatal("freed support could not be used")
	}
	res, err := e.p.Vote(ctx, voter, last.ID, "support")
	if err != nil || res.Changed {
		t.Fatalf("same vote again: %+v %v", res, err)
	}
	var de *mitreden.Error
	for _, pr := range props {
		if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err != nil {
			if !errorsAs(err, &de) || de.Args["limit"] != 3 {
				t.Fatalf("limit error lacks the limit: %v", err)
			}
			break
		}
	}
}

func TestVotes_RatingChangeAndRefusals(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.VotingMode = mitreden.VotingRating })
	author := e.user()
	pr := e.proposal(t, c, author, "Offene Daten der Kommunen")
	voter := e.user()
	if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("support in rating mode: %v", err)
	}
	if _, err := e.p.Vote(ctx, voter, pr.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	res, err := e.p.Vote(ctx, voter, pr.ID, "no")
	if err != nil || !res.Changed || res.Tally.Yes != 0 || res.Tally.No != 1 {
		t.Fatalf("change: %+v %v", res, err)
	}
	if _, err := e.p.Vote(ctx, nil, pr.ID, "yes"); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("anonymous: %v", err)
	}
	if _, err := e.p.Vote(ctx, &mitreden.User{ID: "b", Blocked: true}, pr.ID, "yes"); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("blocked: %v", err)
	}
	if _, err := e.p.Vote(ctx, voter, "nicht-da", "yes"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("unknown id: %v", err)
	}
	// The author cannot edit after the first vote.
	if _, err := e.p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Neuer Titel hier", Body: pr.Body}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("edit after vote: %v", err)
	}
	// Withdrawn proposals take no more votes.
	if _, err := e.p.WithdrawProposal(ctx, author, pr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Vote(ctx, e.user(), pr.ID, "yes"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("vote on withdrawn: %v", err)
	}
	// After closing, writing is refused with a conflict that says when.
	e.clk.Advance(31 * 24 * time.Hour)
	_, err = e.p.Vote(ctx, voter, e.proposalAt(t, c).ID, "yes")
	if mitreden.ErrorCode(err) != mitreden.ECONFLICT || mitreden.ErrorMessage(err) != "participation.closed" {
		t.Fatalf("vote after close: %v", err)
	}
}

// proposalAt returns some proposal of c without creating one.
func (e *partEnv) proposalAt(t *testing.T, c *mitreden.Consultation) *mitreden.Proposal {
	t.Helper()
	list, _, err := e.p.Proposals(context.Background(), mitreden.ProposalFilter{ConsultationID: c.ID, Sort: "newest"})
	if err != nil || len(list) == 0 {
		t.Fatalf("no proposal: %v", err)
	}
	return list[0]
}

func TestProposals_ValidationEditAnswerAndPhases(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.user()
	err := e.p.CreateProposal(ctx, author, c.ID, &mitreden.Proposal{Title: "Kurz", Body: "zu kurz", Topics: []string{"a", "b", "c", "d", "e", "f"}})
	de, ok := err.(*mitreden.Error)
	if !ok || de.Code != mitreden.EINVALID || len(de.Fields) != 3 {
		t.Fatalf("validation: %v", err)
	}
	pr := e.proposal(t, c, author, "Breitband für den ländlichen Raum")
	if _, err := e.p.EditProposal(ctx, e.user(), pr.ID, mitreden.Proposal{Title: "Fremder Titel", Body: pr.Body}); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("stranger edit: %v", err)
	}
	got, err := e.p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Glasfaser für den ländlichen Raum", Body: pr.Body})
	if err != nil || got.Title != "Glasfaser für den ländlichen Raum" {
		t.Fatalf("edit: %v", err)
	}
	if _, err := e.p.AnswerProposal(ctx, e.user(), pr.ID, "accepted", "ok"); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("citizen answers: %v", err)
	}
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, "rejected", " "); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("reject without text: %v", err)
	}
	e.clk.Advance(48 * time.Hour)
	got, err = e.p.AnswerProposal(ctx, e.admin, pr.ID, "accepted", "Wird im Förderprogramm umgesetzt.")
	if err != nil || got.Status != "accepted" || got.AnsweredBy != "Admina" || got.ResponseSeconds != 48*3600 {
		t.Fatalf("answer: %+v %v", got, err)
	}
	up := e.consultation(t, func(c *mitreden.Consultation) { c.OpensAt = e.clk.now.Add(time.Hour) })
	err = e.p.CreateProposal(ctx, author, up.ID, &mitreden.Proposal{Title: "Zu früh gestellt", Body: "Dieser Vorschlag kommt vor dem Beginn."})
	if mitreden.ErrorCode(err) != mitreden.ECONFLICT || mitreden.ErrorMessage(err) != "participation.not_open_yet" {
		t.Fatalf("upcoming: %v", err)
	}
	if _, err := e.p.PublishResults(ctx, e.admin, c.ID, "Ergebnisse"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("results while open: %v", err)
	}
	e.clk.Advance(60 * 24 * time.Hour)
	done, err := e.p.PublishResults(ctx, e.admin, c.ID, "Die Landesregierung setzt drei Vorschläge um.")
	if err != nil || done.Phase(e.clk.now) != mitreden.PhaseEvaluated {
		t.Fatalf("results: %v", err)
	}
}

func TestProposals_RandomOrderStablePerSeed(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	a := e.user()
	for i := 0; i < 12; i++ {
		e.proposal(t, c, a, fmt.Sprintf("Zufallsvorschlag %02d", i))
	}
	order := func(seed int64, page int) []string {
		list, total, err := e.p.Proposals(ctx, mitreden.ProposalFilter{ConsultationID: c.ID, Sort: "random", Seed: seed, Page: page, PerPage: 5})
		if err != nil || total != 12 {
			t.Fatalf("list: %d %v", total, err)
		}
		var ids []string
		for _, p := range list {
			ids = append(ids, p.ID)
		}
		return ids
	}
	seed := int64(1) << 61
	first := append(append(order(seed, 1), order(seed, 2)...), order(seed, 3)...)
	again := append(append(order(seed, 1), order(seed, 2)...), order(seed, 3)...)
	if fmt.Sprint(first) != fmt.Sprint(again) || len(first) != 12 {
		t.Fatalf("unstable: %v vs %v", first, again)
	}
	seen := map[string]bool{}
	for _, id := range first {
		seen[id] = true
	}
	if len(seen) != 12 {
		t.Fatalf("pages overlap or miss: %d distinct", len(seen))
	}
	other := order(seed/3, 1)
	if fmt.Sprint(other) == fmt.Sprint(first[:5]) {
		t.Log("different seed gave the same first page (possible but unlikely)")
	}
}

func TestComments_NestingEditWindowDeletionAndVotes(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.user()
	pr := e.proposal(t, c, author, "Digitale Bildung an Schulen")
	u := e.user()
	root, err := e.p.AddComment(ctx, u, "proposal", pr.ID, mitreden.Comment{Body: "Sehr wichtig!", Alignment: "for"})
	if err != nil {
		t.Fatal(err)
	}
	parent := root
	for depth := 1; depth <= 2; depth++ {
		parent, err = e.p.AddComment(ctx, e.user(), "proposal", pr.ID, mitreden.Comment{Body: "Antwort", ParentID: parent.ID})
		if err != nil || parent.Depth != depth {
			t.Fatalf("reply depth %d: %v", depth, err)
		}
	}
	if _, err := e.p.AddComment(ctx, u, "proposal", pr.ID, mitreden.Comment{Body: "zu tief", ParentID: parent.ID}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("fourth level: %v", err)
	}
	if _, err := e.p.AddComment(ctx, u, "proposal", pr.ID, mitreden.Comment{Body: "x", Alignment: "maybe"}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("bad alignment: %v", err)
	}
	got, _, _ := e.p.Proposal(ctx, pr.ID)
	if got.CommentCount != 3 || got.For != 1 {
		t.Fatalf("counts: %d for=%d", got.CommentCount, got.For)
	}
	// Edit within 15 minutes, not after.
	e.clk.Advance(10 * time.Minute)
	if cm, err := e.p.EditComment(ctx, u, root.ID, "Sehr, sehr wichtig!"); err != nil || !cm.Edited {
		t.Fatalf("edit: %v", err)
	}
	e.clk.Advance(6 * time.Minute)
	if _, err := e.p.EditComment(ctx, u, root.ID, "zu spät"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("late edit: %v", err)
	}
	if _, err := e.p.EditComment(ctx, author, root.ID, "fremd"); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("stranger edit: %v", err)
	}
	// Votes: one per user, changeable.
	voter := e.user()
	e.p.VoteComment(ctx, voter, root.ID, 1)
	e.p.VoteComment(ctx, voter, root.ID, 1)
	cm, err := e.p.VoteComment(ctx, voter, root.ID, -1)
	if err != nil || cm.Up != 0 || cm.Down != 1 {
		t.Fatalf("comment votes: %+v %v", cm, err)
	}
	// Deleting leaves a placeholder; replies stay.
	if err := e.p.DeleteComment(ctx, u, root.ID); err != nil {
		t.Fatal(err)
	}
	d, err := e.p.ReadDiscussion(ctx, u, "proposal", pr.ID, "oldest")
	if err != nil {
		t.Fatal(err)
	}
	threads, visible := d.Comments, d.Visible
	if err != nil || len(threads) != 1 || !threads[0].Deleted || threads[0].Body != "" || len(threads[0].Replies) != 1 || visible != 2 {
		t.Fatalf("threads after delete: %v visible=%d", err, visible)
	}
	got, _, _ = e.p.Proposal(ctx, pr.ID)
	if got.CommentCount != 2 || got.For != 0 {
		t.Fatalf("counts after delete: %d for=%d", got.CommentCount, got.For)
	}
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount: %v %v", changes, err)
	}
	// The first comment made editing impossible for the proposal's author.
	if _, err := e.p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Neuer Titel hier", Body: pr.Body}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("edit after comment: %v", err)
	}
}

func TestRecount_RepairsDrift(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Drift im Zähler reparieren")
	for i := 0; i < 3; i++ {
		if _, err := e.p.Vote(ctx, e.user(), pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	// Drift as a lost or doubled $inc leaves it, set directly in the store.
	drift(t, e.db, "proposals", pr.ID, bson.D{{Key: "tally.support", Value: 5}, {Key: "comment_count", Value: 2}})
	changes, err := e.p.Recount(ctx)
	if err != nil || len(changes) != 2 || changes[0].Skipped || changes[1].Skipped {
		t.Fatalf("changes %v %v", changes, err)
	}
	got, _, _ := e.p.Proposal(ctx, pr.ID)
	if got.Tally.Support != 3 || got.CommentCount != 0 {
		t.Fatalf("after recount %+v", got.Tally)
	}
}

func TestParticipation_IndexesContributions(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Digitalisierung der Kfz-Zulassung")
	commenter := e.user()
	cm, err := e.p.AddComment(ctx, commenter, "proposal", pr.ID, mitreden.Comment{Body: "Die Zulassungsstelle braucht Termine online."})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Zulassungsstelle"})
	if err != nil || res.Total != 1 || res.Items[0].URL != "/proposals/"+pr.ID+"#comment-"+cm.ID {
		t.Fatalf("comment not found in context: %v %+v", err, res)
	}
	if err := e.p.DeleteComment(ctx, commenter, cm.ID); err != nil {
		t.Fatal(err)
	}
	res, _ = e.idx.Search(ctx, mitreden.SearchQuery{Text: "Zulassungsstelle"})
	if res.Total != 0 {
		t.Fatal("deleted comment still found")
	}
	// Reindex from the store finds the same documents.
	n := 0
	if err := e.p.AllSearchDocs(ctx, func(mitreden.SearchDoc) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("all docs = %d %v", n, err)
	}
}

func TestHideComment_RemovesItFromPublicSearchAtOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Digitale Terminvergabe im Bürgeramt")
	cm, err := e.p.AddComment(ctx, e.user(), "proposal", pr.ID, mitreden.Comment{Body: "Die Sachbearbeiterin war unfreundlich, Beleidigungswort."})
	if err != nil {
		t.Fatal(err)
	}
	find := func(a mitreden.SearchAudience) int {
		res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Beleidigungswort", Audience: a})
		if err != nil {
			t.Fatal(err)
		}
		return res.Total
	}
	if find(mitreden.SearchAudience{}) != 1 {
		t.Fatal("comment not found before hiding")
	}
	if err := e.p.Moderate(ctx, e.user(), mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Beleidigend"); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("citizen hides: %v", err)
	}
	mod := &mitreden.User{ID: "mod", Roles: []mitreden.Role{mitreden.RoleModerator}}
	if err := e.p.Moderate(ctx, mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Beleidigend"); err != nil {
		t.Fatal(err)
	}
	if n := find(mitreden.SearchAudience{}); n != 0 {
		t.Fatalf("hidden comment still public in search: %d", n)
	}
	if n := find(mitreden.SearchAudience{Moderator: true}); n != 1 {
		t.Fatalf("moderator cannot find the hidden comment: %d", n)
	}
}

// flakySearcher fails every write while down is set.
type flakySearcher struct {
	mitreden.Searcher
	down atomic.Bool
}

func (f *flakySearcher) Index(ctx context.Context, docs ...mitreden.SearchDoc) error {
	if f.down.Load() {
		return mitreden.Errorf(mitreden.EUNAVAILABLE, "search.unavailable")
	}
	return f.Searcher.Index(ctx, docs...)
}

func (f *flakySearcher) Delete(ctx context.Context, ids ...string) error {
	if f.down.Load() {
		return mitreden.Errorf(mitreden.EUNAVAILABLE, "search.unavailable")
	}
	return f.Searcher.Delete(ctx, ids...)
}

// TestRetryIndexing_CatchesUpAfterAnOutage writes while the search engine
// fails: the writes succeed, and once it is back RetryIndexing brings the
// index to the current state of the store, deletions included.
func TestRetryIndexing_CatchesUpAfterAnOutage(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	flaky := &flakySearcher{Searcher: e.idx}
	p := service.NewParticipation(e.db.Participation(), flaky, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	find := func(text string, types ...string) int {
		t.Helper()
		res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: text, Types: types, Audience: mitreden.SearchAudience{Moderator: true}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Total
	}
	c := e.consultation(t, nil)
	author, commenter := e.user(), e.user()
	kept, err := p.AddComment(ctx, commenter, "consultation", c.ID, mitreden.Comment{Body: "Vorher indexiert: Glasfaser."})
	if err != nil {
		t.Fatal(err)
	}

	flaky.down.Store(true)
	pr := &mitreden.Proposal{Title: "Bibliotheksausweis online beantragen", Body: "Der Ausweis der Stadtbibliothek soll online beantragt werden können.", Topics: []string{"Kultur"}}
	if err := p.CreateProposal(ctx, author, c.ID, pr); err != nil {
		t.Fatalf("a write failed because search is down: %v", err)
	}
	if _, err := p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Büchereiausweis online beantragen", Body: pr.Body, Topics: pr.Topics}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddComment(ctx, commenter, "proposal", pr.ID, mitreden.Comment{Body: "Während des Ausfalls: Lesesaal."}); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteComment(ctx, commenter, kept.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RetryIndexing(ctx); err == nil {
		t.Fatal("RetryIndexing succeeded while search is down")
	}
	if find("Bibliotheksausweis") != 0 || find("Glasfaser") != 1 {
		t.Fatal("the index changed while search was down")
	}

	flaky.down.Store(false)
	n, err := p.RetryIndexing(ctx)
	if err != nil || n == 0 {
		t.Fatalf("RetryIndexing = %d, %v", n, err)
	}
	if find("Lesesaal") != 1 {
		t.Error("comment written during the outage not indexed")
	}
	if find("Glasfaser") != 0 {
		t.Error("comment deleted during the outage still found")
	}
	if a, b := find("Büchereiausweis", "proposal"), find("Bibliotheksausweis"); a != 1 || b != 0 {
		t.Errorf("proposal not indexed in its current state: %d new title, %d old", a, b)
	}
	if n, err := p.RetryIndexing(ctx); err != nil || n != 0 {
		t.Fatalf("records left after catching up: %d, %v", n, err)
	}
}

// TestCountSearchDocs_MatchesTheStream checks the cheap count the start-up
// check uses against the documents a reindex streams: answered proposals
// add a document, deleted comments none, hidden ones one.
func TestCountSearchDocs_MatchesTheStream(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	streamed := func() int {
		n := 0
		if err := e.p.AllSearchDocs(ctx, func(mitreden.SearchDoc) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	check := func(what string) {
		t.Helper()
		n, err := e.p.CountSearchDocs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := streamed(); n != want {
			t.Fatalf("%s: counted %d, streamed %d", what, n, want)
		}
	}
	check("empty store")
	c := e.consultation(t, nil)
	author, commenter := e.user(), e.user()
	pr := e.proposal(t, c, author, "Kita-Anmeldung online")
	e.proposal(t, c, author, "Sperrmüll online anmelden")
	check("consultation and proposals")
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusRejected, "Das regelt der Kreis."); err != nil {
		t.Fatal(err)
	}
	check("answered proposal")
	var ids []string
	for i := range 4 {
		cm, err := e.p.AddComment(ctx, commenter, "proposal", pr.ID, mitreden.Comment{Body: fmt.Sprintf("Kommentar Nummer %d zur Anmeldung.", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cm.ID)
	}
	if err := e.p.DeleteComment(ctx, commenter, ids[0]); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[1:3] {
		if err := e.p.Moderate(ctx, e.admin, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: id}, "Beleidigend"); err != nil {
			t.Fatal(err)
		}
	}
	check("deleted and hidden comments")
	if n := streamed(); n != 7 { // consultation, 2 proposals, 1 answer, 3 comments (two hidden)
		t.Fatalf("streamed %d documents, want 7", n)
	}
}
