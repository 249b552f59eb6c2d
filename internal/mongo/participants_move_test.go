package mongo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// Removing a participant lowers the count only when it removed a record, so
// a move resumed after a crash (removing again) never lowers it twice; the
// person's consultations are found by the person, and a recount's delete
// leaves the counts alone.
func TestParticipantStore_RemoveLowersOnceAndFindsByPerson(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	for _, a := range [][2]string{{"c1", "rec-1"}, {"c1", "u1"}, {"c2", "rec-1"}, {"c3", "u2"}} {
		if err := s.AddParticipant(ctx, a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := s.ParticipationsOf(ctx, "rec-1")
	if err != nil || fmt.Sprint(cs) != "[c1 c2]" && fmt.Sprint(cs) != "[c2 c1]" {
		t.Fatalf("participations of rec-1: %v %v", cs, err)
	}
	for range 2 {
		if err := s.RemoveParticipant(ctx, "c1", "rec-1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveParticipant(ctx, "c9", "nobody"); err != nil {
		t.Fatal(err)
	}
	if got := participantCounts(t, s, "c1", "c2", "c9"); got != "map[c1:1 c2:1 c9:0]" {
		t.Fatalf("after removing: %s", got)
	}
	if err := s.DeleteParticipants(ctx, []mitreden.Participant{{ConsultationID: "c2", UserID: "rec-1"}}); err != nil {
		t.Fatal(err)
	}
	if got := participantCounts(t, s, "c2"); got != "map[c2:1]" {
		t.Fatalf("a recount's delete changed the count: %s", got)
	}
	if cs, err := s.ParticipationsOf(ctx, "rec-1"); err != nil || len(cs) != 0 {
		t.Fatalf("rec-1 still recorded in %v %v", cs, err)
	}
}
