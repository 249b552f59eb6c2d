package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// The read side's permission flags and the writes answer from the same rules:
// for every situation and action, the flag a page shows before the write
// says exactly whether the write goes through, and a refusal is the very
// error the write returns.
func TestRead_PermissionsAgreeWithWrites(t *testing.T) {
	ctx := context.Background()
	type situation struct {
		name  string
		setup func(e *partEnv) (viewer *mitreden.User, proposalID string)
	}
	open := func(e *partEnv, mod func(*mitreden.Consultation)) (*mitreden.User, *mitreden.Proposal) {
		c := e.consultation(t, mod)
		author := e.user()
		return author, e.proposal(t, c, author, "Ein Vorschlag zum Prüfen")
	}
	situations := []situation{
		{"author while open", func(e *partEnv) (*mitreden.User, string) { a, pr := open(e, nil); return a, pr.ID }},
		{"stranger while open", func(e *partEnv) (*mitreden.User, string) { _, pr := open(e, nil); return e.user(), pr.ID }},
		{"anonymous while open", func(e *partEnv) (*mitreden.User, string) { _, pr := open(e, nil); return nil, pr.ID }},
		{"blocked while open", func(e *partEnv) (*mitreden.User, string) {
			_, pr := open(e, nil)
			u := e.user()
			u.Blocked = true
			return u, pr.ID
		}},
		{"author after close", func(e *partEnv) (*mitreden.User, string) {
			a, pr := open(e, nil)
			e.clk.Advance(31 * 24 * time.Hour)
			return a, pr.ID
		}},
		{"anonymous after close", func(e *partEnv) (*mitreden.User, string) {
			_, pr := open(e, nil)
			e.clk.Advance(31 * 24 * time.Hour)
			return nil, pr.ID
		}},
		{"admin after close", func(e *partEnv) (*mitreden.User, string) {
			_, pr := open(e, nil)
			e.clk.Advance(31 * 24 * time.Hour)
			return e.admin, pr.ID
		}},
		{"stranger on a withdrawn proposal", func(e *partEnv) (*mitreden.User, string) {
			a, pr := open(e, nil)
			if _, err := e.p.WithdrawProposal(ctx, a, pr.ID); err != nil {
				t.Fatal(err)
			}
			return e.user(), pr.ID
		}},
		{"admin on a withdrawn proposal", func(e *partEnv) (*mitreden.User, string) {
			a, pr := open(e, nil)
			if _, err := e.p.WithdrawProposal(ctx, a, pr.ID); err != nil {
				t.Fatal(err)
			}
			return e.admin, pr.ID
		}},
		{"author with comments off", func(e *partEnv) (*mitreden.User, string) {
			a, pr := open(e, func(c *mitreden.Consultation) { c.CommentsEnabled = false })
			return a, pr.ID
		}},
		{"author after a support", func(e *partEnv) (*mitreden.User, string) {
			a, pr := open(e, nil)
			if _, err := e.p.Vote(ctx, e.user(), pr.ID, mitreden.VoteSupport); err != nil {
				t.Fatal(err)
			}
			return a, pr.ID
		}},
	}
	actions := []struct {
		name  string
		flag  func(pg *pageFlags) mitreden.Permission
		write func(e *partEnv, u *mitreden.User, id string) error
	}{
		{"vote", func(f *pageFlags) mitreden.Permission { return f.vote }, func(e *partEnv, u *mitreden.User, id string) error {
			_, err := e.p.Vote(ctx, u, id, mitreden.VoteSupport)
			return err
		}},
		{"unvote", func(f *pageFlags) mitreden.Permission { return f.unvote }, func(e *partEnv, u *mitreden.User, id string) error {
			_, err := e.p.Unvote(ctx, u, id)
			return err
		}},
		{"comment", func(f *pageFlags) mitreden.Permission { return f.comment }, func(e *partEnv, u *mitreden.User, id string) error {
			_, err := e.p.AddComment(ctx, u, mitreden.TargetProposal, id, mitreden.Comment{Body: "Ein Kommentar"})
			return err
		}},
		{"edit", func(f *pageFlags) mitreden.Permission { return f.edit }, func(e *partEnv, u *mitreden.User, id string) error {
			_, err := e.p.EditProposal(ctx, u, id, mitreden.Proposal{Title: "Ein neuer Titel", Body: "Ein ausführlicher Text, der lang genug ist."})
			return err
		}},
		{"withdraw", func(f *pageFlags) mitreden.Permission { return f.withdraw }, func(e *partEnv, u *mitreden.User, id string) error {
			_, err := e.p.WithdrawProposal(ctx, u, id)
			return err
		}},
		{"answer", func(f *pageFlags) mitreden.Permission { return f.answer }, func(e *partEnv, u *mitreden.User, id string) error {
			_, err := e.p.AnswerProposal(ctx, u, id, mitreden.StatusAccepted, "Wird umgesetzt.")
			return err
		}},
	}
	allowed := map[string]int{}
	for _, s := range situations {
		for _, a := range actions {
			e := newPart(t)
			viewer, id := s.setup(e)
			pg, err := e.p.ReadProposal(ctx, viewer, id, "oldest")
			if err != nil {
				t.Fatal(err)
			}
			f := &pageFlags{vote: pg.CanVote, unvote: pg.CanUnvote, comment: pg.CanComment, edit: pg.CanEdit,
				withdraw: pg.CanWithdraw, answer: pg.CanAnswer}
			if pg.Discussion == nil || pg.Discussion.CanComment.Allowed() != pg.CanComment.Allowed() || pg.Discussion.CanComment.Reason() != pg.CanComment.Reason() {
				t.Errorf("%s: the discussion's comment permission differs from the page's", s.name)
			}
			perm := a.flag(f)
			err = a.write(e, viewer, id)
			if perm.Allowed() != (err == nil) {
				t.Errorf("%s, %s: page says allowed=%v (%s), write answered %v", s.name, a.name, perm.Allowed(), perm.Reason(), err)
				continue
			}
			if err != nil && (mitreden.ErrorCode(err) != perm.Denied.Code || mitreden.ErrorMessage(err) != perm.Denied.Message) {
				t.Errorf("%s, %s: page gives %s/%s, write %s/%s", s.name, a.name, perm.Denied.Code, perm.Denied.Message,
					mitreden.ErrorCode(err), mitreden.ErrorMessage(err))
			}
			if perm.Allowed() {
				allowed[a.name]++
			}
		}
	}
	// Each action is allowed somewhere and refused somewhere, or the table proves nothing.
	for _, a := range actions {
		if n := allowed[a.name]; n == 0 || n == len(situations) {
			t.Errorf("%s allowed in %d of %d situations", a.name, n, len(situations))
		}
	}
}

type pageFlags struct{ vote, unvote, comment, edit, withdraw, answer mitreden.Permission }

// A closed consultation tells everyone it is closed; it never asks anyone to
// log in for what is over.
func TestRead_ClosedConsultationGivesThePhaseNotALogin(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag zum Prüfen")
	open, err := e.p.ReadProposal(ctx, nil, pr.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if code := open.CanVote.Denied.Code; code != mitreden.EUNAUTHORIZED {
		t.Fatalf("anonymous while open: %s, want unauthorized", code)
	}
	e.clk.Advance(31 * 24 * time.Hour)
	page, err := e.p.ReadConsultationPage(ctx, nil, c.ID, mitreden.ProposalFilter{}, "oldest")
	if err != nil {
		t.Fatal(err)
	}
	for name, pm := range map[string]mitreden.Permission{"propose": page.CanPropose, "comment": page.CanComment, "discussion": page.Discussion.CanComment} {
		if pm.Allowed() || pm.Reason() != "participation.closed" {
			t.Errorf("%s after close: %+v, want participation.closed", name, pm.Denied)
		}
	}
	if page.Sort != "supported" {
		t.Errorf("default order after close: %s", page.Sort)
	}
	if len(page.Proposals) != 1 || page.ProposalTotal != 1 || page.Proposals[0].VotingMode != mitreden.VotingSupport {
		t.Errorf("proposals: %d of %d", len(page.Proposals), page.ProposalTotal)
	}
}

// Moderation's hidden comments lose text and author for everyone but
// moderators, in discussions and in the answer of a write, and nobody else
// acts on them.
func TestRead_HiddenCommentsAreRedactedOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.user()
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag zum Prüfen")
	cm, err := e.p.AddComment(ctx, author, mitreden.TargetProposal, pr.ID, mitreden.Comment{Body: "Beleidigender Text", Alignment: "against"})
	if err != nil {
		t.Fatal(err)
	}
	mod := &mitreden.User{ID: "mod1", DisplayName: "Moderation", Roles: []mitreden.Role{mitreden.RoleModerator}}
	if err := e.p.Moderate(ctx, mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Beleidigend"); err != nil {
		t.Fatal(err)
	}
	citizen := e.user()
	for _, viewer := range []*mitreden.User{nil, citizen, author} {
		d, err := e.p.ReadDiscussion(ctx, viewer, mitreden.TargetProposal, pr.ID, "oldest")
		if err != nil {
			t.Fatal(err)
		}
		it := d.Comments[0]
		if !it.Redacted || it.Body != "" || it.AuthorName != "" || it.AuthorID != "" || it.Alignment != "" {
			t.Errorf("viewer %v sees %+v", viewer, it.Comment)
		}
		if it.CanVote.Allowed() || it.CanReply.Allowed() || it.CanEdit.Allowed() {
			t.Errorf("viewer %v may act on a hidden comment", viewer)
		}
		one, err := e.p.ReadComment(ctx, viewer, cm.ID)
		if err != nil || one.Body != "" {
			t.Errorf("single read by %v: %q %v", viewer, one.Body, err)
		}
	}
	if _, err := e.p.VoteComment(ctx, citizen, cm.ID, 1); mitreden.ErrorMessage(err) != "comments.hidden" {
		t.Errorf("citizen votes on a hidden comment: %v", err)
	}
	it, err := e.p.VoteComment(ctx, mod, cm.ID, -1)
	if err != nil || it.Redacted || it.Body != "Beleidigender Text" || it.Down != 1 {
		t.Errorf("moderator's vote answer: %+v %v", it, err)
	}
	d, err := e.p.ReadDiscussion(ctx, mod, mitreden.TargetProposal, pr.ID, "oldest")
	if err != nil || d.Comments[0].Redacted || d.Comments[0].AuthorName != author.DisplayName {
		t.Errorf("moderator's discussion: %+v %v", d.Comments[0].Comment, err)
	}
	// The author can still take their words back.
	if err := e.p.DeleteComment(ctx, author, cm.ID); err != nil {
		t.Errorf("author deletes a hidden comment: %v", err)
	}
}

// Deleted comments keep their place in the thread without an author.
func TestRead_DeletedCommentKeepsRepliesWithoutAuthor(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.user()
	root, err := e.p.AddComment(ctx, author, mitreden.TargetConsultation, c.ID, mitreden.Comment{Body: "Erster"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, e.user(), mitreden.TargetConsultation, c.ID, mitreden.Comment{Body: "Antwort", ParentID: root.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.p.DeleteComment(ctx, author, root.ID); err != nil {
		t.Fatal(err)
	}
	d, err := e.p.ReadDiscussion(ctx, author, mitreden.TargetConsultation, c.ID, "newest")
	if err != nil || len(d.Comments) != 1 || d.Visible != 1 {
		t.Fatalf("discussion: %+v %v", d, err)
	}
	got := d.Comments[0]
	if !got.Deleted || got.AuthorID != "" || got.AuthorName != "" || len(got.Replies) != 1 || got.CanReply.Allowed() || got.CanEdit.Allowed() {
		t.Errorf("deleted comment: %+v, replies %d", got.Comment, len(got.Replies))
	}
}

// Comment votes end with the participation phase, like every other write;
// after the close they would reorder "best" once the discussion is over.
func TestCommentVotes_EndWithTheParticipationPhase(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	cm, err := e.p.AddComment(ctx, e.user(), mitreden.TargetConsultation, c.ID, mitreden.Comment{Body: "Gute Frage"})
	if err != nil {
		t.Fatal(err)
	}
	voter := e.user()
	if _, err := e.p.VoteComment(ctx, voter, cm.ID, 1); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(31 * 24 * time.Hour)
	for _, v := range []int{1, -1, 0} {
		if _, err := e.p.VoteComment(ctx, voter, cm.ID, v); mitreden.ErrorMessage(err) != "participation.closed" {
			t.Errorf("comment vote %d after close: %v", v, err)
		}
	}
	it, err := e.p.ReadComment(ctx, voter, cm.ID)
	if err != nil || it.Up != 1 || it.MyVote != 1 || it.CanVote.Allowed() {
		t.Errorf("after close: %+v %v", it, err)
	}
}

// Withdrawing ends with the participation phase; a proposal submitted by the
// close can always be answered.
func TestWithdraw_EndsWithTheParticipationPhase(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.user()
	pr := e.proposal(t, c, author, "Ein Vorschlag zum Prüfen")
	e.clk.Advance(31 * 24 * time.Hour)
	_, err := e.p.WithdrawProposal(ctx, author, pr.ID)
	if mitreden.ErrorCode(err) != mitreden.ECONFLICT || mitreden.ErrorMessage(err) != "proposal.withdraw_closed" {
		t.Fatalf("withdraw after close: %v", err)
	}
	got, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusInReview, "Wird geprüft.")
	if err != nil || got.Status != mitreden.StatusInReview {
		t.Fatalf("answer after close: %v", err)
	}
}
