package mongo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// The lists of "Meine Beiträge": one person's proposals, comments not
// deleted and votes, newest first, at most limit, nobody else's.
func TestContributions_ListOnePersonsNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := mongotest.MustOpenDB(t).Participation()
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var props []*mitreden.Proposal
	for i, author := range []string{"erika", "sam", "erika", "erika"} {
		p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: author, AuthorName: author, Title: "Vorschlag", Body: "Text",
			Status: mitreden.StatusSubmitted, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.CreateProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
		props = append(props, p)
	}
	got, err := s.UserProposals(ctx, "erika", 2)
	if err != nil || len(got) != 2 || got[0].ID != props[3].ID || got[1].ID != props[2].ID {
		t.Errorf("UserProposals limit 2: %v %v", ids(got), err)
	}
	if got, _ := s.UserProposals(ctx, "erika", 10); len(got) != 3 {
		t.Errorf("UserProposals: %d, want 3", len(got))
	}

	var comments []*mitreden.Comment
	for i, author := range []string{"erika", "sam", "erika", "erika"} {
		c := &mitreden.Comment{TargetType: mitreden.TargetProposal, TargetID: props[1].ID, ConsultationID: "c1", AuthorID: author,
			AuthorName: author, Body: "Kommentar", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		comments = append(comments, c)
	}
	if err := s.MarkCommentDeleted(ctx, comments[3].ID, "erika"); err != nil {
		t.Fatal(err)
	}
	gotC, err := s.UserComments(ctx, "erika", 10)
	if err != nil || len(gotC) != 2 || gotC[0].ID != comments[2].ID || gotC[1].ID != comments[0].ID {
		t.Errorf("UserComments: %d %v", len(gotC), err)
	}

	for _, p := range []*mitreden.Proposal{props[1], props[0], props[3]} {
		if err := s.InsertVote(ctx, p.ID, "erika", "c1", mitreden.VoteSupport); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // votes are dated by the store, to the millisecond
	}
	if err := s.InsertVote(ctx, props[0].ID, "sam", "c1", mitreden.VoteSupport); err != nil {
		t.Fatal(err)
	}
	votes, err := s.UserVoteList(ctx, "erika", 10)
	if err != nil || len(votes) != 3 || votes[0].ProposalID != props[3].ID || votes[2].ProposalID != props[1].ID ||
		votes[0].ConsultationID != "c1" || votes[0].Value != mitreden.VoteSupport {
		t.Errorf("UserVoteList: %+v %v", votes, err)
	}

	byID, err := s.ProposalsByID(ctx, []string{props[0].ID, props[2].ID, "000000000000000000000000", "kein-id"})
	if err != nil || len(byID) != 2 || byID[props[2].ID].Title != "Vorschlag" {
		t.Errorf("ProposalsByID: %v %v", byID, err)
	}
}

func ids(ps []*mitreden.Proposal) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// A consultation page reads the viewer's quota on every view, so it is one
// find by _id alone (which the embedded engine answers from its _id index,
// see embedded.IndexIDLookups), never a filter that scans; it follows
// reservations and releases.
func TestSupportsUsed_IsOneLookupByID(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var finds []bson.Raw
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "find" {
			mu.Lock()
			finds = append(finds, e.Command)
			mu.Unlock()
		}
	}}
	db, err := mongo.Open(ctx, mongotest.URI(t), mongotest.DBName(t), mongo.SerializeWrites(), mongo.WithMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	s := db.Participation()
	used := func() int {
		t.Helper()
		mu.Lock()
		finds = nil
		mu.Unlock()
		n, err := s.SupportsUsed(ctx, "c1", "erika")
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(finds) != 1 {
			t.Fatalf("%d finds, want 1", len(finds))
		}
		filter := finds[0].Lookup("filter").Document()
		if elems, _ := filter.Elements(); len(elems) != 1 || elems[0].Key() != "_id" || !strings.Contains(elems[0].Value().String(), "c1:erika") {
			t.Fatalf("the quota is found by %s, want its _id alone", filter)
		}
		return n
	}
	if n := used(); n != 0 {
		t.Errorf("before any support: %d", n)
	}
	for range 2 {
		if err := s.ReserveSupport(ctx, "c1", "erika", 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReserveSupport(ctx, "c1", "sam", 5); err != nil {
		t.Fatal(err)
	}
	if n := used(); n != 2 {
		t.Errorf("after two supports: %d", n)
	}
	if err := s.ReleaseSupport(ctx, "c1", "erika"); err != nil {
		t.Fatal(err)
	}
	if n := used(); n != 1 {
		t.Errorf("after a release: %d", n)
	}
}
