package service_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

// drift adds inc to counters of the document id of coll directly in the
// store, around the bookkeeping of counter writes: drift as a lost or
// doubled $inc of a stopped process leaves it.
func drift(t *testing.T, db *mongo.DB, coll, id string, inc bson.D) {
	t.Helper()
	o, err := bson.ObjectIDFromHex(id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.C(coll).UpdateOne(context.Background(), bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: inc}})
	if err != nil || res.MatchedCount != 1 {
		t.Fatalf("drift %s %s: %v", coll, id, err)
	}
}

func TestRecountConsultations_RepairsCountersAndQuotas(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	st := e.db.Participation()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 3 })
	free := e.consultation(t, nil)
	author := e.user()
	var props []*mitreden.Proposal
	for i := 0; i < 4; i++ {
		props = append(props, e.proposal(t, c, author, fmt.Sprintf("Vorschlag mit Limit %d", i)))
	}
	e.proposal(t, free, author, "Vorschlag ohne Limit")
	voter, other := e.user(), e.user()
	for _, pr := range props[:2] {
		if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.p.Vote(ctx, other, props[0].ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, other, "consultation", c.ID, mitreden.Comment{Body: "Zum Verfahren"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, other, "proposal", props[1].ID, mitreden.Comment{Body: "Zum Vorschlag"}); err != nil {
		t.Fatal(err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("consistent store: %+v %v", fixes, err)
	}
	// Drift: lost counter updates, a lost quota release and a lost
	// reservation, left by a process that then stopped.
	drift(t, e.db, "consultations", c.ID, bson.D{{Key: "proposal_count", Value: 3}, {Key: "comment_count", Value: -1}})
	if err := st.ReleaseSupport(ctx, c.ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseSupport(ctx, c.ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.ReserveSupport(ctx, c.ID, other.ID, 3); err != nil {
		t.Fatal(err)
	}
	// Quotas just moved: a vote record may still follow, so they wait...
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var counters []service.CounterFix
	for _, f := range fixes {
		if f.UserID != "" && !f.Skipped {
			t.Fatalf("quota repaired while it may be in flight: %+v", f)
		} else if f.UserID == "" {
			counters = append(counters, f) // the consultation's own counters are settled
		}
	}
	// ...until the process that moved them is known to have stopped.
	e.p.CounterWritesDeadBefore(time.Now().Add(time.Millisecond))
	fixes, err = e.p.RecountConsultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fixes = append(fixes, counters...)
	want := map[string]bool{
		c.ID + "//proposal_count/7/4": true, c.ID + "//comment_count/1/2": true,
		c.ID + "/" + voter.ID + "/supports_used/0/2": true, c.ID + "/" + other.ID + "/supports_used/2/1": true,
	}
	for _, f := range fixes {
		k := fmt.Sprintf("%s/%s/%s/%d/%d", f.ConsultationID, f.UserID, f.Field, f.From, f.To)
		if !want[k] || f.Skipped {
			t.Errorf("unexpected fix %+v", f)
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Fatalf("missing fixes %v (got %+v)", want, fixes)
	}
	got, _ := e.p.Consultation(ctx, c.ID)
	if got.ProposalCount != 4 || got.CommentCount != 2 {
		t.Fatalf("counters %d/%d", got.ProposalCount, got.CommentCount)
	}
	// The repaired quota holds: one more support, then the limit.
	if _, err := e.p.Vote(ctx, voter, props[2].ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Vote(ctx, voter, props[3].ID, "support"); mitreden.ErrorMessage(err) != "vote.limit_reached" {
		t.Fatalf("limit after repair: %v", err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("second recount: %+v %v", fixes, err)
	}
}

// Seeded votes bypass the quota; a recount gives them their quotas so the
// limit holds for seeded citizens too.
func TestRecountConsultations_GivesSeededVotesTheirQuota(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 2 })
	voter := e.user()
	var props []*mitreden.Proposal
	batch := mongo.SeedBatch{}
	for i := 0; i < 3; i++ {
		p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "seed", AuthorName: "Seed",
			Title: fmt.Sprintf("Erzeugter Vorschlag %d", i), Body: "Erzeugter Text des Vorschlags.", Status: mitreden.StatusSubmitted,
			CreatedAt: e.clk.now}
		if i < 2 {
			p.Tally.Support = 1
			batch.Votes = append(batch.Votes, mongo.SeedVote{ProposalID: p.ID, UserID: voter.ID, ConsultationID: c.ID, Value: "support"})
		}
		props = append(props, p)
	}
	batch.Proposals = props
	if err := e.db.Participation().InsertSeed(ctx, batch); err != nil {
		t.Fatal(err)
	}
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || len(fixes) != 3 {
		t.Fatalf("fixes %+v %v", fixes, err) // proposal_count 0→3, participant_count 0→2 and the quota 0→2
	}
	if _, err := e.p.Vote(ctx, voter, props[2].ID, "support"); mitreden.ErrorMessage(err) != "vote.limit_reached" {
		t.Fatalf("seeded supports not counted: %v", err)
	}
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("proposal recount: %+v %v", changes, err)
	}
}

// TestRecount_SkipsAVoteInFlightAndCountsItOnce stops a vote between its
// record and its counter update, as a slow request or another instance
// does, and recounts then: the recount must neither set the tally to the
// records (the pending $inc would count the vote twice) nor lose it.
func TestRecount_SkipsAVoteInFlightAndCountsItOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	st := e.db.Participation()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag mit Stimme im Flug")
	voter := e.user()
	if err := st.InsertVote(ctx, pr.ID, voter.ID, c.ID, "support"); err != nil { // the record, not yet the $inc
		t.Fatal(err)
	}
	changes, err := e.p.Recount(ctx)
	if err != nil || len(changes) != 1 || !changes[0].Skipped || changes[0].Field != "tally.support" {
		t.Fatalf("recount during the vote: %+v %v", changes, err)
	}
	if err := st.IncProposalCounts(ctx, pr.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil { // the $inc lands
		t.Fatal(err)
	}
	got, _, _ := e.p.Proposal(ctx, pr.ID)
	if got.Tally.Support != 1 {
		t.Fatalf("support %d, want 1", got.Tally.Support)
	}
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount after the vote: %+v %v", changes, err)
	}

	// A comment deleted on another consultation's counter, in flight the same way.
	cm, err := e.p.AddComment(ctx, voter, "consultation", c.ID, mitreden.Comment{Body: "Zum Verfahren"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkCommentDeleted(ctx, cm.ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || len(fixes) != 1 || !fixes[0].Skipped || fixes[0].Field != "comment_count" {
		t.Fatalf("recount during the deletion: %+v %v", fixes, err)
	}
	if err := st.IncConsultationCounts(ctx, c.ID, 0, -1); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.p.Consultation(ctx, c.ID); got.CommentCount != 0 {
		t.Fatalf("comment count %d, want 0", got.CommentCount)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("recount after the deletion: %+v %v", fixes, err)
	}
}

// TestRecount_RepairsWhatAStoppedProcessLeft leaves writes half done, as a
// kill -9 between record and counter does: once the writes are known dead
// (CounterWritesDeadBefore, or older than RecountStaleAfter) the recount
// repairs the counters and clears the marks, so later writes count again.
func TestRecount_RepairsWhatAStoppedProcessLeft(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	st := e.db.Participation()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag nach dem Absturz")
	stale := e.proposal(t, c, e.user(), "Ein Vorschlag mit alter Marke")
	voter := e.user()
	if err := st.InsertVote(ctx, pr.ID, voter.ID, c.ID, "support"); err != nil { // then the process died
		t.Fatal(err)
	}
	if err := st.CreateComment(ctx, &mitreden.Comment{TargetType: "proposal", TargetID: pr.ID, ConsultationID: c.ID,
		AuthorID: voter.ID, Body: "Verwaist", Alignment: "against", CreatedAt: e.clk.now}); err != nil {
		t.Fatal(err)
	}
	// A mark older than RecountStaleAfter needs no word from anyone.
	o, _ := bson.ObjectIDFromHex(stale.ID)
	if _, err := e.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "count_pending", Value: 1}, {Key: "count_pending_at", Value: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}}}); err != nil {
		t.Fatal(err)
	}
	changes, err := e.p.Recount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		if ch.ProposalID != pr.ID || !ch.Skipped {
			t.Fatalf("before the writes are known dead: %+v", changes)
		}
	}
	if pc, _ := st.ProposalCounts(ctx, stale.ID); pc.State.Pending != 0 {
		t.Fatalf("stale mark not cleared: %+v", pc.State)
	}
	e.p.CounterWritesDeadBefore(time.Now().Add(time.Millisecond))
	changes, err = e.p.Recount(ctx)
	if err != nil || len(changes) != 3 {
		t.Fatalf("repair: %+v %v", changes, err) // support, comment_count, against
	}
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || len(fixes) != 2 || fixes[0].Field != "comment_count" || fixes[0].Skipped || fixes[1].Field != "participant_count" {
		t.Fatalf("consultation repair: %+v %v", fixes, err)
	}
	pc, err := st.ProposalCounts(ctx, pr.ID)
	if err != nil || pc.Tally.Support != 1 || pc.Comments != 1 || pc.Against != 1 || pc.State.Pending != 0 {
		t.Fatalf("after repair: %+v %v", pc, err)
	}
	if _, err := e.p.Vote(ctx, e.user(), pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount after a new vote: %+v %v", changes, err)
	}
}

// TestRecount_ConcurrentWritesLoseNothing runs votes (support with a limit,
// ratings changed and withdrawn) and comments (created and deleted) from
// many goroutines while Recount and RecountConsultations run again and
// again, on the embedded store. Afterwards every counter equals its records;
// drift crafted beforehand on quiet documents has been repaired meanwhile.
func TestRecount_ConcurrentWritesLoseNothing(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	st := e.db.Participation()
	limited := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 2 })
	rating := e.consultation(t, func(c *mitreden.Consultation) { c.VotingMode = mitreden.VotingRating })
	quiet := e.consultation(t, nil)
	author := e.user()
	var props []*mitreden.Proposal
	for i := 0; i < 3; i++ {
		props = append(props, e.proposal(t, limited, author, fmt.Sprintf("Vorschlag mit Limit %d", i)))
		props = append(props, e.proposal(t, rating, author, fmt.Sprintf("Vorschlag zur Bewertung %d", i)))
	}
	quietProposal := e.proposal(t, quiet, author, "Ein stiller Vorschlag")
	drift(t, e.db, "proposals", quietProposal.ID, bson.D{{Key: "tally.support", Value: 3}, {Key: "against", Value: 1}})
	drift(t, e.db, "consultations", quiet.ID, bson.D{{Key: "comment_count", Value: 2}})

	// The recounts run while the writers write, and the writers go on a
	// little after the last recount: a counter a recount got wrong would
	// stay wrong, as no quiet recount follows to hide it.
	const rounds, writers, maxOps = 6, 6, 2000
	var recounts atomic.Int64
	recountDone := make(chan error, 1)
	go func() {
		defer close(recountDone)
		for recounts.Load() < rounds {
			if _, err := e.p.Recount(ctx); err != nil {
				recountDone <- err
				return
			}
			if _, err := e.p.RecountConsultations(ctx); err != nil {
				recountDone <- err
				return
			}
			recounts.Add(1)
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		voter := e.user()
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []string
			after := 0
			for i := 0; i < maxOps && after < 3; i++ {
				if recounts.Load() >= rounds {
					after++
				}
				pr := props[r.IntN(len(props))]
				var err error
				switch op := r.IntN(5); {
				case op <= 1 && pr.ConsultationID == limited.ID:
					_, err = e.p.Vote(ctx, voter, pr.ID, "support")
					if mitreden.ErrorMessage(err) == "vote.limit_reached" {
						err = nil
					}
				case op <= 1:
					_, err = e.p.Vote(ctx, voter, pr.ID, []string{"yes", "no", "abstain"}[r.IntN(3)])
				case op == 2:
					_, err = e.p.Unvote(ctx, voter, pr.ID)
				case op == 3:
					var cm *mitreden.Comment
					cm, err = e.p.AddComment(ctx, voter, "proposal", pr.ID, mitreden.Comment{Body: "Ein Beitrag", Alignment: mitreden.Alignments[r.IntN(3)]})
					if err == nil {
						mine = append(mine, cm.ID)
					}
				case len(mine) > 0:
					err = e.p.DeleteComment(ctx, voter, mine[0])
					mine = mine[1:]
				}
				if err != nil {
					t.Errorf("writer %d op %d: %v", w, i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if err := <-recountDone; err != nil {
		t.Fatal(err)
	}
	if recounts.Load() < rounds {
		t.Fatalf("only %d recounts ran during the writes", recounts.Load())
	}

	// Every counter equals its records, with nothing left in flight.
	for _, pr := range append(props, quietProposal) {
		pc, err := st.ProposalCounts(ctx, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		tally, err := st.CountVotes(ctx, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		total, forN, against, neutral, err := st.CountComments(ctx, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := mitreden.ProposalCounts{Tally: tally, Comments: total, For: forN, Against: against, Neutral: neutral}
		if !pc.SameCounters(want) || pc.State.Pending != 0 {
			t.Errorf("proposal %s: counters %+v, records %+v", pr.ID, pc, want)
		}
	}
	comments := map[string]int{}
	if err := st.AllComments(ctx, func(cm *mitreden.Comment) error {
		if !cm.Deleted {
			comments[cm.ConsultationID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*mitreden.Consultation{limited, rating, quiet} {
		got, err := e.p.Consultation(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantProposals := 3
		if c == quiet {
			wantProposals = 1
		}
		if got.ProposalCount != wantProposals || got.CommentCount != comments[c.ID] {
			t.Errorf("consultation %s: %d proposals, %d comments; records %d, %d", c.ID, got.ProposalCount, got.CommentCount, wantProposals, comments[c.ID])
		}
	}
	supports := map[string]int{}
	if err := st.AllSupportVotes(ctx, func(v mitreden.SupportVote) error {
		if v.ConsultationID == limited.ID {
			supports[v.UserID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.AllSupportQuotas(ctx, func(q mitreden.SupportQuota) error {
		if q.ConsultationID == limited.ID && q.Used != supports[q.UserID] {
			t.Errorf("quota of %s: %d used, %d supports", q.UserID, q.Used, supports[q.UserID])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
