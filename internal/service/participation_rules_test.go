package service_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func TestParticipation_WritesRefusedOutsideTheOpenPhase(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author, voter := e.user(), e.user()
	pr := e.proposal(t, c, author, "Vorschlag vor dem Ende")
	root, err := e.p.AddComment(ctx, voter, "proposal", pr.ID, mitreden.Comment{Body: "Vor dem Ende"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	writes := func() map[string]error {
		return map[string]error{
			"proposal":             e.p.CreateProposal(ctx, author, c.ID, &mitreden.Proposal{Title: "Noch ein Vorschlag", Body: "Ein Vorschlag mit genug Text dafür."}),
			"comment/proposal":     errOf(e.p.AddComment(ctx, voter, "proposal", pr.ID, mitreden.Comment{Body: "Später"})),
			"reply":                errOf(e.p.AddComment(ctx, voter, "proposal", pr.ID, mitreden.Comment{Body: "Später", ParentID: root.ID})),
			"comment/consultation": errOf(e.p.AddComment(ctx, voter, "consultation", c.ID, mitreden.Comment{Body: "Später"})),
			"vote":                 errOf(e.p.Vote(ctx, e.user(), pr.ID, "support")),
			"unvote":               errOf(e.p.Unvote(ctx, voter, pr.ID)),
			"edit":                 errOf(e.p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Neuer Titel", Body: pr.Body})),
		}
	}
	check := func(phase, key string, date time.Time) {
		t.Helper()
		for name, err := range writes() {
			var de *mitreden.Error
			if !errors.As(err, &de) || de.Code != mitreden.ECONFLICT || de.Message != key || !de.Args["date"].(time.Time).Equal(date) {
				t.Errorf("%s while %s: %v, want %s with date %s", name, phase, err, key, date)
			}
		}
	}
	e.clk.Advance(31 * 24 * time.Hour)
	check("closed", "participation.closed", c.ClosesAt)
	if _, err := e.p.PublishResults(ctx, e.admin, c.ID, "Drei Vorschläge werden umgesetzt."); err != nil {
		t.Fatal(err)
	}
	check("evaluated", "participation.closed", c.ClosesAt)
	got, _, _ := e.p.Proposal(ctx, pr.ID)
	if got.Tally.Support != 1 || got.CommentCount != 1 {
		t.Fatalf("refused writes changed counters: %+v %d", got.Tally, got.CommentCount)
	}

	up := e.consultation(t, func(u *mitreden.Consultation) {
		u.OpensAt = e.clk.now.Add(48 * time.Hour)
		u.ClosesAt = u.OpensAt.Add(time.Hour)
	})
	err = e.p.CreateProposal(ctx, author, up.ID, &mitreden.Proposal{Title: "Zu früh gestellt", Body: "Ein Vorschlag mit genug Text dafür."})
	var de *mitreden.Error
	if !errors.As(err, &de) || de.Message != "participation.not_open_yet" || !de.Args["date"].(time.Time).Equal(up.OpensAt) {
		t.Fatalf("upcoming proposal: %v", err)
	}
	if _, err := e.p.AddComment(ctx, voter, "consultation", up.ID, mitreden.Comment{Body: "Zu früh"}); mitreden.ErrorMessage(err) != "participation.not_open_yet" {
		t.Fatalf("upcoming comment: %v", err)
	}

	off := e.consultation(t, func(o *mitreden.Consultation) { o.ProposalsEnabled, o.CommentsEnabled = false, false })
	if err := e.p.CreateProposal(ctx, author, off.ID, &mitreden.Proposal{Title: "Abgeschaltet", Body: "Ein Vorschlag mit genug Text dafür."}); mitreden.ErrorMessage(err) != "proposal.disabled" {
		t.Fatalf("proposals off: %v", err)
	}
	if _, err := e.p.AddComment(ctx, voter, "consultation", off.ID, mitreden.Comment{Body: "Abgeschaltet"}); mitreden.ErrorMessage(err) != "comment.disabled" {
		t.Fatalf("comments off: %v", err)
	}
}

func errOf[T any](_ T, err error) error { return err }

func errOf2[T, U any](_ T, _ U, err error) error { return err }

func TestParticipation_UnknownIDsAndActors(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	u := e.user()
	pr := e.proposal(t, c, u, "Vorschlag für die Prüfung")
	cm, err := e.p.AddComment(ctx, u, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "abc", "64b7f0f0f0f0f0f0f0f0f0f0", `{"$ne":1}`} {
		for name, err := range map[string]error{
			"consultation":    errOf(e.p.Consultation(ctx, id)),
			"proposal":        errOf2(e.p.Proposal(ctx, id)),
			"comment by id":   errOf(e.p.ReadComment(ctx, u, id)),
			"create proposal": e.p.CreateProposal(ctx, u, id, &mitreden.Proposal{Title: "Vorschlag", Body: "Ein Vorschlag mit genug Text dafür."}),
			"edit proposal":   errOf(e.p.EditProposal(ctx, u, id, mitreden.Proposal{})),
			"withdraw":        errOf(e.p.WithdrawProposal(ctx, u, id)),
			"answer":          errOf(e.p.AnswerProposal(ctx, e.admin, id, mitreden.StatusAccepted, "Ja")),
			"vote":            errOf(e.p.Vote(ctx, u, id, "support")),
			"unvote":          errOf(e.p.Unvote(ctx, u, id)),
			"comment":         errOf(e.p.AddComment(ctx, u, "proposal", id, mitreden.Comment{Body: "x"})),
			"bad target":      errOf(e.p.AddComment(ctx, u, "user", pr.ID, mitreden.Comment{Body: "x"})),
			"edit comment":    errOf(e.p.EditComment(ctx, u, id, "x")),
			"delete comment":  e.p.DeleteComment(ctx, u, id),
			"vote comment":    errOf(e.p.VoteComment(ctx, u, id, 1)),
			"results":         errOf(e.p.PublishResults(ctx, e.admin, id, "x")),
		} {
			if mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
				t.Errorf("%s(%q): %v, want not_found", name, id, err)
			}
		}
	}
	blocked := &mitreden.User{ID: "blocked", DisplayName: "Gesperrt", Blocked: true}
	for _, actor := range []*mitreden.User{nil, blocked} {
		want := mitreden.EFORBIDDEN
		if actor == nil {
			want = mitreden.EUNAUTHORIZED
		}
		for name, err := range map[string]error{
			"create proposal": e.p.CreateProposal(ctx, actor, c.ID, &mitreden.Proposal{Title: "Vorschlag", Body: "Ein Vorschlag mit genug Text dafür."}),
			"vote":            errOf(e.p.Vote(ctx, actor, pr.ID, "support")),
			"unvote":          errOf(e.p.Unvote(ctx, actor, pr.ID)),
			"comment":         errOf(e.p.AddComment(ctx, actor, "proposal", pr.ID, mitreden.Comment{Body: "x"})),
			"vote comment":    errOf(e.p.VoteComment(ctx, actor, cm.ID, 1)),
			"delete comment":  e.p.DeleteComment(ctx, actor, cm.ID),
			"consultation":    e.p.CreateConsultation(ctx, actor, &mitreden.Consultation{}),
		} {
			if mitreden.ErrorCode(err) != want {
				t.Errorf("%s by %v: %v, want %s", name, actor, err, want)
			}
		}
	}
}

func TestVotes_SameValueAgainIsUnchanged(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	for _, mode := range []string{mitreden.VotingSupport, mitreden.VotingRating} {
		c := e.consultation(t, func(c *mitreden.Consultation) { c.VotingMode = mode; c.MaxSupports = 2 })
		pr := e.proposal(t, c, e.user(), "Vorschlag im Modus "+mode)
		voter := e.user()
		value := map[string]string{mitreden.VotingSupport: "support", mitreden.VotingRating: "abstain"}[mode]
		first, err := e.p.Vote(ctx, voter, pr.ID, value)
		if err != nil || !first.Changed || first.Tally.Total() != 1 {
			t.Fatalf("%s first: %+v %v", mode, first, err)
		}
		again, err := e.p.Vote(ctx, voter, pr.ID, value)
		if err != nil || again.Changed || again.Tally != first.Tally || again.Value != value {
			t.Fatalf("%s again: %+v %v", mode, again, err)
		}
		gone, err := e.p.Unvote(ctx, voter, pr.ID)
		if err != nil || !gone.Changed || gone.Tally.Total() != 0 {
			t.Fatalf("%s unvote: %+v %v", mode, gone, err)
		}
		none, err := e.p.Unvote(ctx, voter, pr.ID)
		if err != nil || none.Changed {
			t.Fatalf("%s unvote nothing: %+v %v", mode, none, err)
		}
		// The quota went back too: two supports fit again.
		if _, err := e.p.Vote(ctx, voter, pr.ID, value); err != nil {
			t.Fatalf("%s vote again after unvote: %v", mode, err)
		}
	}
}

func TestProposals_WithdrawAndAnswerRules(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 1 })
	author, voter := e.user(), e.user()
	pr := e.proposal(t, c, author, "Vorschlag zum Zurückziehen")
	if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.EditProposal(ctx, author, pr.ID, mitreden.Proposal{Title: "Neuer Titel hier", Body: pr.Body}); mitreden.ErrorMessage(err) != "proposal.edit_locked" {
		t.Fatalf("edit after support: %v", err)
	}
	if _, err := e.p.WithdrawProposal(ctx, voter, pr.ID); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("stranger withdraws: %v", err)
	}
	got, err := e.p.WithdrawProposal(ctx, author, pr.ID)
	if err != nil || got.Status != mitreden.StatusWithdrawn {
		t.Fatalf("withdraw: %v", err)
	}
	kept, _, err := e.p.Proposal(ctx, pr.ID)
	if err != nil || kept.Status != mitreden.StatusWithdrawn || kept.Title != pr.Title {
		t.Fatalf("withdrawn proposal not kept: %+v %v", kept, err)
	}
	if _, err := e.p.Vote(ctx, e.user(), pr.ID, "support"); mitreden.ErrorMessage(err) != "proposal.withdrawn" {
		t.Fatalf("vote on withdrawn: %v", err)
	}
	if _, err := e.p.WithdrawProposal(ctx, author, pr.ID); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("withdraw twice: %v", err)
	}
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusAccepted, "Gut"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("answer withdrawn: %v", err)
	}
	// Taking a support back from a withdrawn proposal frees it for another one.
	if res, err := e.p.Unvote(ctx, voter, pr.ID); err != nil || !res.Changed {
		t.Fatalf("unvote withdrawn: %+v %v", res, err)
	}
	other := e.proposal(t, c, author, "Anderer Vorschlag")
	if _, err := e.p.Vote(ctx, voter, other.ID, "support"); err != nil {
		t.Fatalf("freed support: %v", err)
	}

	pr2 := e.proposal(t, c, author, "Vorschlag für die Antwort")
	var de *mitreden.Error
	_, err = e.p.AnswerProposal(ctx, e.admin, pr2.ID, mitreden.StatusRejected, "")
	if !errors.As(err, &de) || de.Code != mitreden.EINVALID || de.Fields[0].Field != "answer" || de.Fields[0].Message != "validation.answer_required" {
		t.Fatalf("rejection without text: %v", err)
	}
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr2.ID, mitreden.StatusWithdrawn, "x"); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("admin sets withdrawn: %v", err)
	}
	e.clk.Advance(90 * time.Minute)
	a, err := e.p.AnswerProposal(ctx, e.admin, pr2.ID, mitreden.StatusInReview, "")
	if err != nil || a.ResponseSeconds != 5400 || !a.AnsweredAt.Equal(e.clk.now) || a.AnsweredByID != e.admin.ID {
		t.Fatalf("in review: %+v %v", a, err)
	}
	e.clk.Advance(time.Hour)
	a, err = e.p.AnswerProposal(ctx, e.admin, pr2.ID, mitreden.StatusRejected, "Nicht finanzierbar.")
	if err != nil || a.ResponseSeconds != 5400 || a.Answer != "Nicht finanzierbar." {
		t.Fatalf("the response time is the first answer's: %+v %v", a, err)
	}
}

func TestProposals_RandomOrderDiffersAcrossSeedsAndTotalsFollowFilters(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	a := e.user()
	var rands []int64
	for i := 0; i < 9; i++ {
		pr := e.proposal(t, c, a, fmt.Sprintf("Zufallsvorschlag %02d", i))
		rands = append(rands, pr.Rand)
		if i%3 == 0 {
			if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusAccepted, "Angenommen"); err != nil {
				t.Fatal(err)
			}
		}
	}
	sort.Slice(rands, func(i, j int) bool { return rands[i] < rands[j] })
	first := func(seed int64) string {
		list, total, err := e.p.Proposals(ctx, mitreden.ProposalFilter{ConsultationID: c.ID, Seed: seed, PerPage: 3})
		if err != nil || total != 9 || len(list) != 3 {
			t.Fatalf("default (random) list: %d %d %v", len(list), total, err)
		}
		return list[0].ID
	}
	// Seeds on either side of a stored position start the order at different proposals.
	if first(rands[2]) == first(rands[6]) {
		t.Fatal("different seeds give the same order")
	}
	if a, b := first(rands[4]), first(rands[4]); a != b {
		t.Fatal("same seed, different order")
	}
	for _, tc := range []struct {
		f            mitreden.ProposalFilter
		items, total int
	}{
		{mitreden.ProposalFilter{Sort: "newest", PerPage: 4, Page: 3}, 1, 9},
		{mitreden.ProposalFilter{Sort: "newest", PerPage: 4, Page: 4}, 0, 9},
		{mitreden.ProposalFilter{Sort: "supported", Status: mitreden.StatusAccepted, PerPage: 2}, 2, 3},
		{mitreden.ProposalFilter{Sort: "random", Status: mitreden.StatusSubmitted, PerPage: 4, Page: 2}, 2, 6},
		{mitreden.ProposalFilter{Sort: "commented", Topic: "Digitalisierung", PerPage: 20}, 9, 9},
		{mitreden.ProposalFilter{Sort: "commented", Topic: "Landwirtschaft"}, 0, 0},
	} {
		tc.f.ConsultationID = c.ID
		list, total, err := e.p.Proposals(ctx, tc.f)
		if err != nil || len(list) != tc.items || total != tc.total {
			t.Errorf("%+v: %d items, total %d (%v), want %d/%d", tc.f, len(list), total, err, tc.items, tc.total)
		}
	}
	for _, f := range []mitreden.ProposalFilter{{Sort: "title"}, {Status: "deleted"}} {
		f.ConsultationID = c.ID
		if _, _, err := e.p.Proposals(ctx, f); mitreden.ErrorCode(err) != mitreden.EINVALID {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

func TestComments_ConcurrentVotesAndConsultationThreads(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.user()
	cm, err := e.p.AddComment(ctx, author, "consultation", c.ID, mitreden.Comment{Body: "Allgemeine Frage zum Verfahren", Alignment: "neutral"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := e.p.AddComment(ctx, e.user(), "consultation", c.ID, mitreden.Comment{Body: "Antwort", ParentID: cm.ID})
	if err != nil || reply.Depth != 1 {
		t.Fatalf("reply: %v", err)
	}
	pr := e.proposal(t, c, author, "Vorschlag mit eigener Diskussion")
	if _, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: "x", ParentID: cm.ID}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("reply across threads: %v", err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		voter := e.user()
		value := 1
		if i%3 == 0 {
			value = -1
		}
		for r := 0; r < 3; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.p.VoteComment(ctx, voter, cm.ID, value); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	d, err := e.p.ReadDiscussion(ctx, nil, "consultation", c.ID, "best")
	if err != nil {
		t.Fatal(err)
	}
	threads, visible := d.Comments, d.Visible
	if err != nil || len(threads) != 1 || visible != 2 || len(threads[0].Replies) != 1 {
		t.Fatalf("threads: %d visible %d %v", len(threads), visible, err)
	}
	if got := threads[0]; got.Up != 20 || got.Down != 10 {
		t.Fatalf("comment votes up=%d down=%d, want 20/10", got.Up, got.Down)
	}
	got, _ := e.p.Consultation(ctx, c.ID)
	if got.CommentCount != 2 {
		t.Fatalf("consultation comment counter %d", got.CommentCount)
	}
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Verfahren Frage"})
	if err != nil || res.Total < 1 {
		t.Fatalf("search: %+v %v", res, err)
	}
	found := false
	for _, h := range res.Items {
		found = found || h.URL == "/consultations/"+c.ID+"#comment-"+cm.ID
	}
	if !found {
		t.Fatalf("consultation comment not found with its URL: %+v", res.Items)
	}
}
