package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A person who wrote a letter and also took part online counts as two
// people until staff link the record to the account, and as one after, in
// the stored count and in every recount.
func TestAssisted_LinkCountsRecordAndAccountAsOnePerson(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c, c2 := e.consultation(t, nil), e.consultation(t, nil)
	r := e.record(t, "Hanna H.")
	pr := e.letterProposal(t, r, c, "Bänke am Marktplatz aufstellen")
	u := e.account(t, "Hanna")
	if _, err := e.p.Vote(ctx, u, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 2 {
		t.Fatalf("before the link: %d people, want 2", n)
	}
	if _, err := e.a.Link(ctx, e.staff, r.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 1 {
		t.Fatalf("after the link: %d people, want 1", n)
	}
	// A letter entered after the link counts for the account, which took
	// part there online already.
	other := e.proposal(t, c2, e.user(), "Radweg zur Schule bauen")
	if _, err := e.p.Vote(ctx, u, other.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.EnterComment(ctx, e.staff, r.ID, other.ID, e.entry(mitreden.ChannelLetter), mitreden.Comment{Body: "Per Brief: bitte beleuchtet."}); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c2); n != 2 {
		t.Fatalf("second consultation: %d people, want 2 (the author and Hanna)", n)
	}
	// The recount agrees: the record's proposal and comment count for the
	// account.
	e.p.CounterWritesDeadBefore(time.Now().UTC())
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("recount %+v %v", fixes, err)
	}
	if n := e.tookPart(t, c); n != 1 {
		t.Fatalf("after the recount: %d people, want 1", n)
	}
}

// A link cut short after the account's participant record was written,
// before the record's went, counts the person twice until the merge
// resumes, which a recount does first.
func TestAssisted_LinkCutShortCountsOnceAfterResume(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	r := e.record(t, "Kurt K.")
	e.letterProposal(t, r, c, "Spielplatz im Park erneuern")
	u := e.account(t, "Kurt")
	st := e.db.Participation()
	if _, err := st.LinkRecord(ctx, r.ID, u.ID, e.clk.now); err != nil {
		t.Fatal(err)
	}
	if err := st.AddParticipant(ctx, c.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 2 {
		t.Fatalf("cut short: %d people, want 2", n)
	}
	if n, err := e.a.ResumeLinks(ctx); err != nil || n != 1 {
		t.Fatalf("resume %d %v", n, err)
	}
	if n := e.tookPart(t, c); n != 1 {
		t.Fatalf("after resuming: %d people, want 1", n)
	}
	e.p.CounterWritesDeadBefore(time.Now().UTC())
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("recount %+v %v", fixes, err)
	}
}

// Records linked before links moved participations (or an entry that raced
// a link) leave the record's participant record beside the account's; the
// recount drops it and counts one person.
func TestAssisted_RecountCountsALinkedRecordAsItsAccount(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	r := e.record(t, "Lena L.")
	pr := e.letterProposal(t, r, c, "Wochenmarkt auch am Abend")
	u := e.account(t, "Lena")
	if _, err := e.p.Vote(ctx, u, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	st := e.db.Participation()
	if _, err := st.LinkRecord(ctx, r.ID, u.ID, e.clk.now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRecordMerged(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 2 {
		t.Fatalf("old link: %d people, want 2", n)
	}
	e.p.CounterWritesDeadBefore(time.Now().UTC())
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || len(fixes) != 1 || fixes[0].From != 2 || fixes[0].To != 1 || fixes[0].Skipped {
		t.Fatalf("recount %+v %v", fixes, err)
	}
	if n := e.tookPart(t, c); n != 1 {
		t.Fatalf("after the recount: %d people, want 1", n)
	}
	if cs, err := st.ParticipationsOf(ctx, r.VoterKey()); err != nil || len(cs) != 0 {
		t.Fatalf("the record's participant records stay: %v %v", cs, err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("second recount %+v %v", fixes, err)
	}
}
