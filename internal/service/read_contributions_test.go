package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// The consultation and proposal pages tell a logged-in person how many of
// the consultation's limited supports are left, and follow every support
// and withdrawal; nobody else, no other phase and no consultation without a
// limit (or in the rating mode, which the limit does not touch) shows one.
func TestRead_SupportQuotaFollowsSupportsAndWithdrawals(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 5 })
	author, erika := e.user(), e.user()
	prs := []*mitreden.Proposal{e.proposal(t, c, author, "Erster Vorschlag"), e.proposal(t, c, author, "Zweiter Vorschlag"),
		e.proposal(t, c, author, "Dritter Vorschlag")}
	quota := func(viewer *mitreden.User) (page, proposal [2]int) {
		t.Helper()
		pg, err := e.p.ReadConsultationPage(ctx, viewer, c.ID, mitreden.ProposalFilter{}, "")
		if err != nil {
			t.Fatal(err)
		}
		pp, err := e.p.ReadProposal(ctx, viewer, prs[0].ID, "")
		if err != nil {
			t.Fatal(err)
		}
		return [2]int{pg.Quota.Left(), pg.Quota.Max}, [2]int{pp.Quota.Left(), pp.Quota.Max}
	}
	if pg, pp := quota(erika); pg != [2]int{5, 5} || pp != pg {
		t.Errorf("before supporting: page %v, proposal %v, want 5 of 5", pg, pp)
	}
	for _, pr := range prs {
		if _, err := e.p.Vote(ctx, erika, pr.ID, mitreden.VoteSupport); err != nil {
			t.Fatal(err)
		}
	}
	if pg, pp := quota(erika); pg != [2]int{2, 5} || pp != pg {
		t.Errorf("after three supports: page %v, proposal %v, want 2 of 5", pg, pp)
	}
	if _, err := e.p.Unvote(ctx, erika, prs[1].ID); err != nil {
		t.Fatal(err)
	}
	if pg, _ := quota(erika); pg != [2]int{3, 5} {
		t.Errorf("after withdrawing one: %v, want 3 of 5", pg)
	}
	if pg, pp := quota(nil); pg[1] != 0 || pp[1] != 0 {
		t.Errorf("anonymous is shown a quota: %v %v", pg, pp)
	}
	// The list marks what the viewer supports.
	pg, err := e.p.ReadConsultationPage(ctx, erika, c.ID, mitreden.ProposalFilter{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range pg.Proposals {
		if want := it.ID != prs[1].ID; (it.MyVote == mitreden.VoteSupport) != want {
			t.Errorf("%s: MyVote %q", it.Title, it.MyVote)
		}
	}

	unlimited := e.consultation(t, nil)
	rating := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 5; c.VotingMode = mitreden.VotingRating })
	for _, id := range []string{unlimited.ID, rating.ID} {
		pg, err := e.p.ReadConsultationPage(ctx, erika, id, mitreden.ProposalFilter{}, "")
		if err != nil || pg.Quota.Max != 0 {
			t.Errorf("consultation %s shows a quota %+v (%v)", id, pg.Quota, err)
		}
	}
	e.clk.Advance(31 * 24 * time.Hour)
	if pg, _ := quota(erika); pg[1] != 0 {
		t.Errorf("after the close a quota is shown: %v", pg)
	}
}

// "Meine Beiträge" lists what the viewer proposed, commented (not deleted;
// hidden ones without their text) and voted on, newest first, with the
// titles to link, and nothing of anyone else.
func TestReadMyContributions(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 3 })
	other := e.consultation(t, func(c *mitreden.Consultation) { c.Title = "Offene Daten für alle" })
	erika, sam := e.user(), e.user()
	if _, err := e.p.ReadMyContributions(ctx, nil); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Errorf("anonymous: %v", err)
	}
	mine := e.proposal(t, c, erika, "Mein Vorschlag")
	e.clk.Advance(time.Minute)
	mine2 := e.proposal(t, other, erika, "Mein zweiter Vorschlag")
	theirs := e.proposal(t, c, sam, "Sams Vorschlag")
	theirs2 := e.proposal(t, other, sam, "Sams zweiter Vorschlag")
	e.proposal(t, c, sam, "Sams dritter Vorschlag")
	for _, pr := range []*mitreden.Proposal{theirs, mine} {
		e.clk.Advance(time.Minute)
		if _, err := e.p.Vote(ctx, erika, pr.ID, mitreden.VoteSupport); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Advance(time.Minute)
	if _, err := e.p.Vote(ctx, erika, theirs2.ID, mitreden.VoteSupport); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Vote(ctx, sam, mine.ID, mitreden.VoteSupport); err != nil {
		t.Fatal(err)
	}
	onProposal, err := e.p.AddComment(ctx, erika, mitreden.TargetProposal, theirs.ID, mitreden.Comment{Body: "Gute Idee, aber teuer."})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	onConsultation, err := e.p.AddComment(ctx, erika, mitreden.TargetConsultation, c.ID, mitreden.Comment{Body: "Ein Wort zum Verfahren."})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	gone, err := e.p.AddComment(ctx, erika, mitreden.TargetProposal, theirs.ID, mitreden.Comment{Body: "Vergessen Sie das."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.p.DeleteComment(ctx, erika, gone.ID); err != nil {
		t.Fatal(err)
	}
	mod := &mitreden.User{ID: "mod1", DisplayName: "Moderation", Roles: []mitreden.Role{mitreden.RoleModerator}}
	if err := e.p.Moderate(ctx, mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: onProposal.ID}, "Beleidigend"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, sam, mitreden.TargetProposal, mine.ID, mitreden.Comment{Body: "Sams Kommentar."}); err != nil {
		t.Fatal(err)
	}

	got, err := e.p.ReadMyContributions(ctx, erika)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Proposals) != 2 || got.Proposals[0].ID != mine2.ID || got.Proposals[1].ID != mine.ID ||
		got.Proposals[0].ConsultationTitle != "Offene Daten für alle" {
		t.Errorf("proposals: %+v", got.Proposals)
	}
	if len(got.Comments) != 2 || got.Comments[0].ID != onConsultation.ID || got.Comments[0].TargetTitle != c.Title ||
		got.Comments[1].ID != onProposal.ID || got.Comments[1].TargetTitle != theirs.Title {
		t.Fatalf("comments: %+v", got.Comments)
	}
	if !got.Comments[1].Redacted || got.Comments[1].Body != "" || got.Comments[0].Redacted || got.Comments[0].Body != "Ein Wort zum Verfahren." {
		t.Errorf("hidden comment shown as %+v, visible as %+v", got.Comments[1].Comment, got.Comments[0].Comment)
	}
	// Grouped by consultation, the one voted in last first.
	if len(got.Votes) != 2 || got.Votes[0].Consultation.ID != other.ID || got.Votes[1].Consultation.ID != c.ID {
		t.Fatalf("vote groups: %+v", got.Votes)
	}
	g := got.Votes[1]
	if len(g.Votes) != 2 || g.Votes[0].Proposal.ID != mine.ID || g.Votes[1].Proposal.ID != theirs.ID || g.Votes[0].Value != mitreden.VoteSupport {
		t.Errorf("votes in %s: %+v", c.Title, g.Votes)
	}
	if g.Quota != (service.SupportQuota{Used: 2, Max: 3}) || got.Votes[0].Quota.Max != 0 {
		t.Errorf("quotas: %+v and %+v", g.Quota, got.Votes[0].Quota)
	}
	if got.MoreProposals || got.MoreComments || got.MoreVotes {
		t.Error("a short list says there is more")
	}
}
