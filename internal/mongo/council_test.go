package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func mustRec(t *testing.T, s *mongo.CouncilStore, title string, at time.Time) *mitreden.Recommendation {
	t.Helper()
	r := &mitreden.Recommendation{Title: title, Summary: "Kurz gesagt", Body: "Der **Text** von " + title,
		BodyHTML: "<p>Der <strong>Text</strong> von " + title + "</p>", Topics: []string{"Verwaltung"}, Lang: "de",
		CreatedBy: "m1", CreatedAt: at}
	rev := &mitreden.Revision{AuthorID: "m1", AuthorName: "Mia", Note: "Erster Entwurf"}
	if err := s.CreateRecommendation(context.Background(), r, rev); err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Revision != 1 || r.Status != mitreden.RecDraft || rev.RecID != r.ID || rev.N != 1 || rev.Body != r.Body {
		t.Fatalf("after create: %+v %+v", r, rev)
	}
	return r
}

func save(s *mongo.CouncilStore, recID string, base int, body, author string) (*mitreden.Revision, error) {
	rev := &mitreden.Revision{RecID: recID, Title: "Titel von " + author, Summary: "Kurz", Body: body, BodyHTML: "<p>" + body + "</p>",
		Topics: []string{"Verkehr"}, Lang: "de", AuthorID: author, AuthorName: author, Note: "Änderung von " + author}
	return rev, s.SaveRevision(context.Background(), base, rev)
}

func revNumbers(t *testing.T, s *mongo.CouncilStore, recID string) []int {
	t.Helper()
	revs, err := s.Revisions(context.Background(), recID)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, r := range revs {
		ns = append(ns, r.N)
	}
	return ns
}

func recIDs(rs []*mitreden.Recommendation) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Title)
	}
	return out
}

func errorMessage(err error) string {
	var me *mitreden.Error
	if errors.As(err, &me) {
		return me.Message
	}
	return ""
}

func isStale(err error) bool {
	return mitreden.ErrorCode(err) == mitreden.ECONFLICT && errorMessage(err) == "council.stale"
}

func TestCouncilStore_CreateFindList(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	a := mustRec(t, s, "Empfehlung A", t0.In(berlin))
	b := mustRec(t, s, "Empfehlung B", t0.Add(time.Hour))
	c := mustRec(t, s, "Empfehlung C", t0.Add(2*time.Hour))

	got, err := s.FindRecommendation(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Empfehlung A" || got.Summary != "Kurz gesagt" || got.Body != a.Body || got.BodyHTML != a.BodyHTML ||
		!slices.Equal(got.Topics, []string{"Verwaltung"}) || got.Lang != "de" || got.Status != mitreden.RecDraft || got.Revision != 1 ||
		got.CreatedBy != "m1" || got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) ||
		!got.PublishedAt.IsZero() || !got.Vote.OpenedAt.IsZero() || got.Vote.Open || got.Published != 0 || got.CommentCount != 0 {
		t.Fatalf("round trip: %+v", got)
	}
	rev, err := s.FindRevision(ctx, a.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rev.RecID != a.ID || rev.N != 1 || rev.Title != a.Title || rev.Body != a.Body || rev.BodyHTML != a.BodyHTML || rev.AuthorName != "Mia" ||
		rev.Note != "Erster Entwurf" || !rev.At.Equal(t0) || rev.At.Location() != time.UTC {
		t.Fatalf("revision 1: %+v", rev)
	}
	for _, id := range []string{"", "kein-objectid", "64b7f0f0f0f0f0f0f0f0f0f0"} {
		if _, err := s.FindRecommendation(ctx, id); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Fatalf("find %q: %v", id, err)
		}
	}

	list, total, err := s.ListRecommendations(ctx, "", 1, 2)
	if err != nil || total != 3 || fmt.Sprint(recIDs(list)) != "[Empfehlung C Empfehlung B]" {
		t.Fatalf("page 1: %v %d %v", recIDs(list), total, err)
	}
	list, total, err = s.ListRecommendations(ctx, "", 2, 2)
	if err != nil || total != 3 || fmt.Sprint(recIDs(list)) != "[Empfehlung A]" {
		t.Fatalf("page 2: %v %d %v", recIDs(list), total, err)
	}
	// A save is a change: A moves to the top.
	if _, err := save(s, a.ID, 1, "Neuer Text", "m2"); err != nil {
		t.Fatal(err)
	}
	list, _, err = s.ListRecommendations(ctx, "", 1, 10)
	if err != nil || fmt.Sprint(recIDs(list)) != "[Titel von m2 Empfehlung C Empfehlung B]" {
		t.Fatalf("after a save: %v %v", recIDs(list), err)
	}
	b.Status = mitreden.RecInReview
	if err := s.SetRecommendationStatus(ctx, b, mitreden.RecDraft); err != nil {
		t.Fatal(err)
	}
	list, total, err = s.ListRecommendations(ctx, mitreden.RecInReview, 1, 10)
	if err != nil || total != 1 || fmt.Sprint(recIDs(list)) != "[Empfehlung B]" {
		t.Fatalf("in review: %v %d %v", recIDs(list), total, err)
	}
	list, total, err = s.ListRecommendations(ctx, mitreden.RecDraft, 1, 10)
	if err != nil || total != 2 || fmt.Sprint(recIDs(list)) != "[Titel von m2 Empfehlung C]" {
		t.Fatalf("drafts: %v %d %v", recIDs(list), total, err)
	}
	_ = c
}

func TestCouncilStore_RevisionsNewestFirst(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r := mustRec(t, s, "Empfehlung", t0)
	r2, err := save(s, r.ID, 1, "Zweite Fassung", "m2")
	if err != nil {
		t.Fatal(err)
	}
	r3, err := save(s, r.ID, 2, "Dritte Fassung", "m3")
	if err != nil {
		t.Fatal(err)
	}
	if r2.N != 2 || r3.N != 3 || r3.At.IsZero() {
		t.Fatalf("numbers %d %d, at %v", r2.N, r3.N, r3.At)
	}
	if got := revNumbers(t, s, r.ID); !slices.Equal(got, []int{3, 2, 1}) {
		t.Fatalf("revisions %v, want newest first", got)
	}
	revs, _ := s.Revisions(ctx, r.ID)
	if revs[0].Body != "Dritte Fassung" || revs[0].AuthorID != "m3" || revs[0].Note != "Änderung von m3" || revs[1].Body != "Zweite Fassung" {
		t.Fatalf("revision texts: %+v %+v", revs[0], revs[1])
	}
	got, err := s.FindRevision(ctx, r.ID, 2)
	if err != nil || got.Body != "Zweite Fassung" || got.BodyHTML != "<p>Zweite Fassung</p>" || got.Title != "Titel von m2" ||
		!slices.Equal(got.Topics, []string{"Verkehr"}) {
		t.Fatalf("revision 2: %+v %v", got, err)
	}
	for _, n := range []int{0, 4} {
		if _, err := s.FindRevision(ctx, r.ID, n); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Fatalf("revision %d: %v", n, err)
		}
	}
	cur, err := s.FindRecommendation(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Revision != 3 || cur.Body != "Dritte Fassung" || cur.BodyHTML != "<p>Dritte Fassung</p>" || cur.Title != "Titel von m3" ||
		!slices.Equal(cur.Topics, []string{"Verkehr"}) || !cur.UpdatedAt.Equal(r3.At) || !cur.CreatedAt.Equal(t0) {
		t.Fatalf("current: %+v", cur)
	}
	// An old base and a base ahead of the current revision are both stale,
	// and neither leaves a revision behind.
	for _, base := range []int{1, 2, 5} {
		if _, err := save(s, r.ID, base, "Verloren", "m4"); !isStale(err) {
			t.Fatalf("base %d: %v", base, err)
		}
	}
	if got := revNumbers(t, s, r.ID); !slices.Equal(got, []int{3, 2, 1}) {
		t.Fatalf("revisions after stale saves %v", got)
	}
	if cur, _ := s.FindRecommendation(ctx, r.ID); cur.Body != "Dritte Fassung" {
		t.Fatalf("a stale save overwrote: %q", cur.Body)
	}
	if _, err := save(s, "64b7f0f0f0f0f0f0f0f0f0f0", 1, "x", "m1"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("save on a missing recommendation: %v", err)
	}
	if other := mustRec(t, s, "Andere", t0); slices.Equal(revNumbers(t, s, other.ID), []int{3, 2, 1}) {
		t.Fatal("revisions of another recommendation listed")
	}
}

// Two members save on the same base at once: exactly one wins, the other
// is told its base is stale, and nothing the winner wrote is overwritten.
func TestCouncilStore_ConcurrentSaveOnSameBaseOneWins(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r := mustRec(t, s, "Empfehlung", t0)
	for round := 1; round <= 5; round++ {
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  [2]error
			revs  [2]*mitreden.Revision
		)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				revs[i], errs[i] = save(s, r.ID, round, fmt.Sprintf("Fassung %d von m%d", round, i), fmt.Sprintf("m%d", i))
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: both saves won", round)
				}
				winner = i
			case !isStale(err):
				t.Fatalf("round %d: loser got %v (%s), want conflict council.stale", round, err, errorMessage(err))
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no save won: %v", round, errs)
		}
		want := revs[winner].Body
		cur, err := s.FindRecommendation(ctx, r.ID)
		if err != nil || cur.Revision != round+1 || cur.Body != want {
			t.Fatalf("round %d: current %d %q, want %d %q (%v)", round, cur.Revision, cur.Body, round+1, want, err)
		}
		got, err := s.FindRevision(ctx, r.ID, round+1)
		if err != nil || got.Body != want {
			t.Fatalf("round %d: revision %d holds %q, want the winner's %q (%v)", round, round+1, got.Body, want, err)
		}
	}
	if got := revNumbers(t, s, r.ID); !slices.Equal(got, []int{6, 5, 4, 3, 2, 1}) {
		t.Fatalf("revisions %v", got)
	}
}

// A save cut short after its revision was written leaves the
// recommendation behind; the next save on that base is stale and brings
// the recommendation forward, so the one after it goes through.
func TestCouncilStore_SaveCutShortIsRolledForward(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r := mustRec(t, s, "Empfehlung", t0)
	cut := &mitreden.Revision{RecID: r.ID, Title: "Abgebrochen", Body: "Text der abgebrochenen Speicherung", BodyHTML: "<p>abgebrochen</p>",
		Lang: "de", AuthorID: "m2", At: t0.Add(time.Hour)}
	if err := s.InsertRevisionOnly(ctx, 1, cut); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.FindRecommendation(ctx, r.ID); cur.Revision != 1 {
		t.Fatalf("the cut save moved the recommendation: %d", cur.Revision)
	}
	if _, err := save(s, r.ID, 1, "Meine Fassung", "m3"); !isStale(err) {
		t.Fatalf("save on the base the cut save used: %v", err)
	}
	cur, err := s.FindRecommendation(ctx, r.ID)
	if err != nil || cur.Revision != 2 || cur.Body != cut.Body || cur.BodyHTML != cut.BodyHTML || cur.Title != "Abgebrochen" ||
		!cur.UpdatedAt.Equal(cut.At) {
		t.Fatalf("not rolled forward: %+v %v", cur, err)
	}
	if _, err := save(s, r.ID, 2, "Meine Fassung", "m3"); err != nil {
		t.Fatalf("save on the rolled-forward base: %v", err)
	}
	if got := revNumbers(t, s, r.ID); !slices.Equal(got, []int{3, 2, 1}) {
		t.Fatalf("revisions %v", got)
	}
	if cur, _ := s.FindRecommendation(ctx, r.ID); cur.Revision != 3 || cur.Body != "Meine Fassung" {
		t.Fatalf("current %d %q", cur.Revision, cur.Body)
	}
}

func TestCouncilStore_StatusMovesAndConflict(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r := mustRec(t, s, "Empfehlung", t0)
	opened := t0.Add(time.Hour)
	r.Status, r.Vote, r.UpdatedAt = mitreden.RecInReview, mitreden.CouncilTally{Open: true, OpenedAt: opened}, opened
	if err := s.SetRecommendationStatus(ctx, r, mitreden.RecDraft); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindRecommendation(ctx, r.ID)
	if err != nil || got.Status != mitreden.RecInReview || !got.Vote.Open || !got.Vote.OpenedAt.Equal(opened) ||
		!got.Vote.ClosedAt.IsZero() || !got.UpdatedAt.Equal(opened) {
		t.Fatalf("in review: %+v %v", got, err)
	}
	// A move from a status it no longer has.
	stale := *r
	stale.Status = mitreden.RecWithdrawn
	if err := s.SetRecommendationStatus(ctx, &stale, mitreden.RecDraft); mitreden.ErrorCode(err) != mitreden.ECONFLICT ||
		errorMessage(err) != "council.status_changed" {
		t.Fatalf("move from draft again: %v", err)
	}
	if got, _ := s.FindRecommendation(ctx, r.ID); got.Status != mitreden.RecInReview {
		t.Fatalf("the conflicting move changed the status to %s", got.Status)
	}
	// Two moves from in_review at once: one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, to := range []string{mitreden.RecAdopted, mitreden.RecWithdrawn} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := *r
			m.Status, m.UpdatedAt = to, time.Time{} // now
			m.Vote = mitreden.CouncilTally{OpenedAt: opened, ClosedAt: opened.Add(time.Hour), Approve: 3, Reject: 1, Abstain: 1, Members: 6, Adopted: true}
			errs[i] = s.SetRecommendationStatus(ctx, &m, mitreden.RecInReview)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("concurrent moves: %v", errs)
	}
	got, _ = s.FindRecommendation(ctx, r.ID)
	if want := map[bool]string{true: mitreden.RecAdopted, false: mitreden.RecWithdrawn}[errs[0] == nil]; got.Status != want {
		t.Fatalf("status %s, want the winner's %s", got.Status, want)
	}
	if !got.UpdatedAt.After(opened) {
		t.Fatalf("a move without a time did not take now: %v", got.UpdatedAt)
	}
	if got.Vote.Open || got.Vote.Approve != 3 || got.Vote.Reject != 1 || got.Vote.Abstain != 1 || got.Vote.Members != 6 ||
		!got.Vote.Adopted || got.Vote.Voted() != 5 || !got.Vote.ClosedAt.Equal(opened.Add(time.Hour)) {
		t.Fatalf("tally: %+v", got.Vote)
	}
	// Publishing keeps the tally and records the publication (the store
	// does not judge which moves are allowed; the service does).
	from, pub := got.Status, t0.Add(48*time.Hour)
	got.Status, got.Published, got.PublishedAt, got.PublishedRevision, got.UpdatedAt = mitreden.RecPublished, 1, pub, 1, pub
	if err := s.SetRecommendationStatus(ctx, got, from); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.FindRecommendation(ctx, r.ID); p.Status != mitreden.RecPublished || p.Published != 1 || !p.PublishedAt.Equal(pub) ||
		p.PublishedRevision != 1 || !p.UpdatedAt.Equal(pub) || p.Vote.Approve != 3 {
		t.Fatalf("published: %+v", p)
	}
	missing := &mitreden.Recommendation{ID: "64b7f0f0f0f0f0f0f0f0f0f0", Status: mitreden.RecInReview}
	if err := s.SetRecommendationStatus(ctx, missing, mitreden.RecDraft); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("missing: %v", err)
	}
}

func TestCouncilStore_EvidencePutTwiceReplacesAndDelete(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r, other := mustRec(t, s, "Empfehlung", t0), mustRec(t, s, "Andere", t0)
	for _, e := range []*mitreden.Evidence{
		{RecID: r.ID, Type: "proposal", ItemID: "p1", Note: "erste Notiz", AddedBy: "m1", AddedByName: "Mia", At: t0.Add(time.Minute)},
		{RecID: r.ID, Type: "comment", ItemID: "p1", Note: "ein Kommentar", AddedBy: "m2", AddedByName: "Max", At: t0.Add(2 * time.Minute)},
		{RecID: other.ID, Type: "proposal", ItemID: "p1", Note: "anderswo", AddedBy: "m1", At: t0},
		{RecID: r.ID, Type: "proposal", ItemID: "p1", Note: "zweite Notiz", AddedBy: "m3", AddedByName: "Mo", At: t0.Add(time.Minute)},
	} {
		if err := s.PutEvidence(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.EvidenceOf(ctx, r.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("evidence %d %v, want 2 (one per item)", len(list), err)
	}
	if e := list[0]; e.Type != "proposal" || e.ItemID != "p1" || e.Note != "zweite Notiz" || e.AddedBy != "m3" || e.AddedByName != "Mo" ||
		!e.At.Equal(t0.Add(time.Minute)) || e.At.Location() != time.UTC || e.RecID != r.ID {
		t.Fatalf("replaced link: %+v", e)
	}
	if list[1].Type != "comment" || list[1].Note != "ein Kommentar" {
		t.Fatalf("second link: %+v", list[1])
	}
	if err := s.DeleteEvidence(ctx, r.ID, "proposal", "p1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEvidence(ctx, r.ID, "proposal", "p1"); err != nil {
		t.Fatalf("deleting a missing link: %v", err)
	}
	if list, err := s.EvidenceOf(ctx, r.ID); err != nil || len(list) != 1 || list[0].Type != "comment" {
		t.Fatalf("after delete: %v %v", list, err)
	}
	if list, err := s.EvidenceOf(ctx, other.ID); err != nil || len(list) != 1 || list[0].Note != "anderswo" {
		t.Fatalf("the other recommendation's link: %v %v", list, err)
	}
}

func TestCouncilStore_VotesOnePerMemberChangeable(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r, other := mustRec(t, s, "Empfehlung", t0), mustRec(t, s, "Andere", t0)
	for i, v := range []mitreden.CouncilVote{
		{RecID: r.ID, UserID: "u1", Value: mitreden.CouncilApprove},
		{RecID: r.ID, UserID: "u2", Value: mitreden.CouncilReject},
		{RecID: other.ID, UserID: "u1", Value: mitreden.CouncilAbstain},
		{RecID: r.ID, UserID: "u1", Value: mitreden.CouncilReject},
	} {
		v.At = t0.Add(time.Duration(i) * time.Minute)
		if err := s.PutCouncilVote(ctx, &v); err != nil {
			t.Fatal(err)
		}
	}
	votes, err := s.CouncilVotes(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range votes {
		if v.RecID != r.ID || v.At.Location() != time.UTC {
			t.Fatalf("vote %+v", v)
		}
		got[v.UserID] = v.Value
	}
	if len(votes) != 2 || fmt.Sprint(got) != "map[u1:reject u2:reject]" {
		t.Fatalf("votes %d %v, want one per member with u1 changed", len(votes), got)
	}
	if votes, err := s.CouncilVotes(ctx, other.ID); err != nil || len(votes) != 1 || votes[0].Value != mitreden.CouncilAbstain {
		t.Fatalf("other recommendation: %v %v", votes, err)
	}
}

func TestCouncilStore_CommentsOldestFirst(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r, other := mustRec(t, s, "Empfehlung", t0), mustRec(t, s, "Andere", t0)
	var ids []string
	for i, m := range []int{20, 0, 10} {
		c := &mitreden.CouncilComment{RecID: r.ID, AuthorID: "m1", AuthorName: "Mia", Body: fmt.Sprintf("Kommentar %d", i),
			BodyHTML: fmt.Sprintf("<p>Kommentar %d</p>", i), Lang: "de", CreatedAt: t0.Add(time.Duration(m) * time.Minute)}
		if i == 2 {
			c.ParentID, c.Depth = ids[1], 1
		}
		if err := s.AddCouncilComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if err := s.AddCouncilComment(ctx, &mitreden.CouncilComment{RecID: other.ID, Body: "anderswo"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.CouncilComments(ctx, r.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("comments %d %v", len(list), err)
	}
	var order []string
	for _, c := range list {
		order = append(order, c.Body)
	}
	if fmt.Sprint(order) != "[Kommentar 1 Kommentar 2 Kommentar 0]" {
		t.Fatalf("order %v, want oldest first", order)
	}
	c, err := s.FindCouncilComment(ctx, ids[2])
	if err != nil || c.ParentID != ids[1] || c.Depth != 1 || c.BodyHTML != "<p>Kommentar 2</p>" || c.AuthorName != "Mia" || c.Lang != "de" ||
		!c.CreatedAt.Equal(t0.Add(10*time.Minute)) || c.CreatedAt.Location() != time.UTC || c.RecID != r.ID {
		t.Fatalf("find: %+v %v", c, err)
	}
	for _, id := range []string{"x", "64b7f0f0f0f0f0f0f0f0f0f0"} {
		if _, err := s.FindCouncilComment(ctx, id); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Fatalf("find %q: %v", id, err)
		}
	}
	if got, _ := s.FindRecommendation(ctx, r.ID); got.CommentCount != 3 {
		t.Fatalf("comment count %d", got.CommentCount)
	}
}

func TestCouncilStore_PublishedVersions(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	r := mustRec(t, s, "Empfehlung", t0)
	for _, v := range []*mitreden.PublishedVersion{
		{RecID: r.ID, Version: 1, Revision: 4, Title: "Fassung 1", Body: "eins", BodyHTML: "<p>eins</p>", Topics: []string{"Verkehr"}, Lang: "de", At: t0},
		{RecID: r.ID, Version: 2, Revision: 6, Title: "Fassung 2", Body: "zwei", Note: "Tippfehler korrigiert", At: t0.Add(time.Hour)},
	} {
		if err := s.PutPublishedVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutPublishedVersion(ctx, &mitreden.PublishedVersion{RecID: r.ID, Version: 2, Title: "nochmal"}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("version 2 again: %v", err)
	}
	vs, err := s.PublishedVersions(ctx, r.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions %d %v", len(vs), err)
	}
	if vs[0].Version != 2 || vs[0].Title != "Fassung 2" || vs[0].Note != "Tippfehler korrigiert" || vs[0].Revision != 6 ||
		vs[1].Version != 1 || vs[1].BodyHTML != "<p>eins</p>" || !slices.Equal(vs[1].Topics, []string{"Verkehr"}) || !vs[1].At.Equal(t0) ||
		vs[1].At.Location() != time.UTC || vs[1].RecID != r.ID {
		t.Fatalf("versions newest first: %+v %+v", vs[0], vs[1])
	}
	if vs, err := s.PublishedVersions(ctx, "andere"); err != nil || len(vs) != 0 {
		t.Fatalf("versions of another: %v %v", vs, err)
	}
}

func TestCouncilStore_ListPublishedFiltersAndPages(t *testing.T) {
	s := mongotest.MustOpenDB(t).Council()
	ctx := context.Background()
	day := 24 * time.Hour
	for i, c := range []struct {
		status string
		topics []string
		at     time.Time
	}{
		{mitreden.RecPublished, []string{"Verkehr"}, t0},
		{mitreden.RecPublished, []string{"Verkehr", "Bildung"}, t0.Add(day)},
		{mitreden.RecPublished, []string{"Bildung"}, t0.Add(2 * day)},
		{mitreden.RecPublished, []string{"Verkehr"}, t0.Add(3 * day)},
		{mitreden.RecAdopted, []string{"Verkehr"}, time.Time{}},
		{mitreden.RecDraft, []string{"Verkehr"}, time.Time{}},
	} {
		r := &mitreden.Recommendation{Title: fmt.Sprintf("E%d", i), Body: "Text", Topics: c.topics, Lang: "de", CreatedAt: t0}
		if err := s.CreateRecommendation(ctx, r, &mitreden.Revision{AuthorID: "m1"}); err != nil {
			t.Fatal(err)
		}
		if c.status != mitreden.RecDraft {
			r.Status = c.status
			if !c.at.IsZero() {
				r.Published, r.PublishedAt = 1, c.at
			}
			if err := s.SetRecommendationStatus(ctx, r, mitreden.RecDraft); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		f     mitreden.RecommendationFilter
		want  string
		total int
	}{
		{"all", mitreden.RecommendationFilter{}, "[E3 E2 E1 E0]", 4},
		{"topic", mitreden.RecommendationFilter{Topic: "Verkehr"}, "[E3 E1 E0]", 3},
		{"topic Bildung", mitreden.RecommendationFilter{Topic: "Bildung"}, "[E2 E1]", 2},
		{"from inclusive", mitreden.RecommendationFilter{From: t0.Add(day)}, "[E3 E2 E1]", 3},
		{"to exclusive", mitreden.RecommendationFilter{To: t0.Add(2 * day)}, "[E1 E0]", 2},
		{"range and topic", mitreden.RecommendationFilter{Topic: "Verkehr", From: t0.Add(day), To: t0.Add(4 * day)}, "[E3 E1]", 2},
		{"page 2", mitreden.RecommendationFilter{Page: 2, PerPage: 3}, "[E0]", 4},
		{"page 1", mitreden.RecommendationFilter{Page: 1, PerPage: 3}, "[E3 E2 E1]", 4},
		{"past the end", mitreden.RecommendationFilter{Page: 3, PerPage: 3}, "[]", 4},
		{"nothing", mitreden.RecommendationFilter{Topic: "Umwelt"}, "[]", 0},
	} {
		list, total, err := s.ListPublished(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := fmt.Sprint(recIDs(list)); got != tc.want || total != tc.total {
			t.Errorf("%s: %s of %d, want %s of %d", tc.name, got, total, tc.want, tc.total)
		}
	}
	list, _, _ := s.ListPublished(ctx, mitreden.RecommendationFilter{PerPage: 1})
	if len(list) != 1 || list[0].PublishedAt.Location() != time.UTC || !list[0].PublishedAt.Equal(t0.Add(3*day)) || list[0].Published != 1 {
		t.Fatalf("published fields: %+v", list[0])
	}
}

// openTwice opens the same database with two DBs: writes go through the
// first (with the options of the embedded mode, whose memory holds the
// items), the second keeps nothing in memory and reads what the store
// itself holds.
func openTwice(t *testing.T) (*mongo.DB, *mongo.DB) {
	t.Helper()
	name := mongotest.DBName(t)
	var dbs [2]*mongo.DB
	for i := range dbs {
		opts := mongotest.Options()
		if i == 1 {
			opts = nil
		}
		db, err := mongo.Open(context.Background(), mongotest.URI(t), name, opts...)
		if err != nil {
			t.Fatal(err)
		}
		dbs[i] = db
	}
	t.Cleanup(func() {
		_ = dbs[0].Drop(context.Background())
		for _, db := range dbs {
			_ = db.Close(context.Background())
		}
	})
	return dbs[0], dbs[1]
}

func TestCouncilStore_CitationsOnEachItemType(t *testing.T) {
	db, fresh := openTwice(t)
	s, ps := db.Council(), db.Participation()
	ctx := context.Background()
	cons := mustConsultation(t, ps, "Offene Daten", t0, t0.Add(time.Hour))
	prop := mustProposal(t, ps, cons.ID, 1, 7)
	com := &mitreden.Comment{TargetType: "proposal", TargetID: prop.ID, ConsultationID: cons.ID, AuthorID: "u1", AuthorName: "Anna",
		Body: "Beitrag", CreatedAt: t0}
	if err := ps.CreateComment(ctx, com); err != nil {
		t.Fatal(err)
	}
	// A counter written behind the proposal must survive the citation.
	if err := ps.IncProposalCounts(ctx, prop.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
		t.Fatal(err)
	}
	// Read everything once, so memory holds the items before the citation.
	citedIn := map[string]func(ps *mongo.ParticipationStore) ([]mitreden.Citation, error){
		"proposal": func(ps *mongo.ParticipationStore) ([]mitreden.Citation, error) {
			p, err := ps.FindProposal(ctx, prop.ID)
			if err == nil && p.Tally.Support != 1 {
				err = fmt.Errorf("support %d after the citation, want 1", p.Tally.Support)
			}
			if err != nil {
				return nil, err
			}
			return p.CitedIn, nil
		},
		"comment": func(ps *mongo.ParticipationStore) ([]mitreden.Citation, error) {
			c, err := ps.FindComment(ctx, com.ID)
			if err != nil {
				return nil, err
			}
			return c.CitedIn, nil
		},
		"consultation": func(ps *mongo.ParticipationStore) ([]mitreden.Citation, error) {
			c, err := ps.FindConsultation(ctx, cons.ID)
			if err != nil {
				return nil, err
			}
			return c.CitedIn, nil
		},
	}
	ids := map[string]string{"proposal": prop.ID, "comment": com.ID, "consultation": cons.ID}
	check := func(step, typ string, want ...mitreden.Citation) {
		t.Helper()
		if err := db.FlushDeferred(ctx); err != nil { // the support, for the store's view
			t.Fatal(err)
		}
		for name, ps := range map[string]*mongo.ParticipationStore{"memory": ps, "store": fresh.Participation()} {
			got, err := citedIn[typ](ps)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s: %s seen through %s: %v %v, want %v", step, typ, name, got, err, want)
			}
		}
		got, err := s.Citations(ctx, typ, ids[typ])
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("%s: Citations(%s): %v %v, want %v", step, typ, got, err, want)
		}
	}
	for typ := range ids {
		check("before", typ)
	}
	a := mitreden.Citation{RecID: "recA", Title: "Empfehlung A", Lang: "de"}
	b := mitreden.Citation{RecID: "recB", Title: "Recommendation B", Lang: "en"}
	a2 := mitreden.Citation{RecID: "recA", Title: "Empfehlung A (korrigiert)", Lang: "de"}
	for typ, id := range ids {
		if err := s.AddCitation(ctx, typ, id, a); err != nil {
			t.Fatal(err)
		}
		check("first", typ, a)
		if err := s.AddCitation(ctx, typ, id, b); err != nil {
			t.Fatal(err)
		}
		check("second", typ, a, b)
		if err := s.AddCitation(ctx, typ, id, a2); err != nil {
			t.Fatal(err)
		}
		check("corrected title", typ, a2, b)
		if err := s.AddCitation(ctx, typ, id, a2); err != nil {
			t.Fatal(err)
		}
		check("same again", typ, a2, b)
	}
	if p, _ := ps.FindProposal(ctx, prop.ID); p.Title != prop.Title || p.Body != prop.Body || p.Status != prop.Status {
		t.Fatalf("the citation changed the proposal: %+v", p)
	}
	for _, id := range []string{"64b7f0f0f0f0f0f0f0f0f0f0", "kein-objectid"} {
		if err := s.AddCitation(ctx, "proposal", id, a); err != nil {
			t.Fatalf("citation of a missing item %q: %v", id, err)
		}
	}
	if _, err := s.Citations(ctx, "proposal", "64b7f0f0f0f0f0f0f0f0f0f0"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("citations of a missing item: %v", err)
	}
	if err := s.AddCitation(ctx, "user", prop.ID, a); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("unknown type: %v", err)
	}
}

// Citations added at once to one item all stay: each is a read and a
// conditional write of the whole list.
func TestCouncilStore_ConcurrentCitationsAllKept(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s, ps := db.Council(), db.Participation()
	ctx := context.Background()
	prop := mustProposal(t, ps, "c1", 1, 7)
	if _, err := ps.FindProposal(ctx, prop.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.AddCitation(ctx, "proposal", prop.ID, mitreden.Citation{RecID: fmt.Sprintf("rec%02d", i), Title: "E", Lang: "de"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := s.Citations(ctx, "proposal", prop.ID)
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for _, c := range got {
		recs = append(recs, c.RecID)
	}
	slices.Sort(recs)
	var want []string
	for i := range 12 {
		want = append(want, fmt.Sprintf("rec%02d", i))
	}
	if !slices.Equal(recs, want) {
		t.Fatalf("citations %v, want all 12 once", recs)
	}
}

func TestCouncilStore_MembersAndChair(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s, us := db.Council(), db.Users()
	ctx := context.Background()
	if n, err := s.CouncilMembers(ctx); err != nil || n != 0 {
		t.Fatalf("members of none: %d %v", n, err)
	}
	for i, roles := range [][]mitreden.Role{
		{mitreden.RoleCouncil}, {mitreden.RoleCouncil, mitreden.RoleAdmin}, {mitreden.RoleModerator}, nil, {mitreden.RoleAdmin},
	} {
		if err := us.CreateUser(ctx, &mitreden.User{Email: fmt.Sprintf("u%d@example.org", i), DisplayName: fmt.Sprintf("Person %c", 'A'+i),
			PasswordHash: "h", Roles: roles}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CouncilMembers(ctx); err != nil || n != 2 {
		t.Fatalf("members %d %v, want 2", n, err)
	}
	if id, err := s.CouncilChair(ctx); err != nil || id != "" {
		t.Fatalf("chair before any: %q %v", id, err)
	}
	for _, id := range []string{"u1", "u2", ""} {
		if err := s.SetCouncilChair(ctx, id); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CouncilChair(ctx); err != nil || got != id {
			t.Fatalf("chair %q %v, want %q", got, err, id)
		}
	}
}
