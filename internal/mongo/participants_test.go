package mongo_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func participantCounts(t *testing.T, s interface {
	ParticipantCounts(context.Context, []string) (map[string]int, error)
}, ids ...string) string {
	t.Helper()
	got, err := s.ParticipantCounts(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(got)
}

func TestParticipantStore_AddTwiceCountsOnce(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	for _, a := range [][2]string{{"c1", "u1"}, {"c1", "u1"}, {"c1", "u2"}, {"c2", "u1"}, {"c1", "u2"}, {"c1", "u1"}} {
		if err := s.AddParticipant(ctx, a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := participantCounts(t, s, "c1", "c2", "c3"); got != "map[c1:2 c2:1 c3:0]" {
		t.Fatalf("counts %s", got)
	}
	var recs []string
	if err := s.AllParticipants(ctx, func(p mitreden.Participant) error {
		if p.AddedAt.IsZero() {
			t.Errorf("%+v without the time it was added", p)
		}
		recs = append(recs, p.ConsultationID+"/"+p.UserID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(recs)
	if fmt.Sprint(recs) != "[c1/u1 c1/u2 c2/u1]" {
		t.Fatalf("records %v", recs)
	}
}

func TestParticipantStore_ConcurrentAddsCountOnce(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Twenty requests of one person at once, and four people
			// five times each.
			user := "u0"
			if i >= 20 {
				user = fmt.Sprintf("u%d", 1+i%4)
			}
			if err := s.AddParticipant(ctx, "c1", user); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := participantCounts(t, s, "c1"); got != "map[c1:5]" {
		t.Fatalf("counts %s, want 5 people", got)
	}
}

// A person recorded before costs a lookup answered from memory: no write,
// no round trip; the counts are one lookup by _id each.
func TestParticipantStore_KnownPersonWritesNothing(t *testing.T) {
	s, count := openCounted(t)
	ctx := context.Background()
	// A consultation's first participant creates its counter (an update
	// that misses, then the upsert); later ones raise it.
	if got := count(func() error { return s.AddParticipant(ctx, "c1", "u1") }); got != "find insert update update" {
		t.Fatalf("first participation sent %q", got)
	}
	if got := count(func() error { return s.AddParticipant(ctx, "c1", "u2") }); got != "find insert update" {
		t.Fatalf("a second person's participation sent %q", got)
	}
	count(func() error { return s.AddParticipant(ctx, "c1", "u1") }) // reads the record once after its insert
	if got := count(func() error { return s.AddParticipant(ctx, "c1", "u1") }); got != "" {
		t.Fatalf("a known participant sent %q", got)
	}
	if got := count(func() error { _, err := s.ParticipantCounts(ctx, []string{"c1", "c2"}); return err }); got != "find find" {
		t.Fatalf("counts sent %q", got)
	}
	if got := participantCounts(t, s, "c1", "c2"); got != "map[c1:2 c2:0]" {
		t.Fatalf("counts %s", got)
	}
}

func TestParticipantStore_BulkInsertSkipsExistingAndCountsCAS(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	if err := s.AddParticipant(ctx, "c1", "u1"); err != nil {
		t.Fatal(err)
	}
	ps := []mitreden.Participant{{ConsultationID: "c1", UserID: "u1"}, {ConsultationID: "c1", UserID: "u2"}, {ConsultationID: "c2", UserID: "u3"}}
	for i := range 1500 { // more than one batch
		ps = append(ps, mitreden.Participant{ConsultationID: "c3", UserID: fmt.Sprintf("v%d", i)})
	}
	ins, err := s.InsertParticipants(ctx, ps)
	if err != nil || fmt.Sprint(ins) != "map[c1:1 c2:1 c3:1500]" {
		t.Fatalf("inserted %v %v", ins, err)
	}
	if ins, err := s.InsertParticipants(ctx, ps); err != nil || len(ins) != 0 {
		t.Fatalf("second insert %v %v", ins, err)
	}
	// Inserting raises no count; that is the caller's compare-and-set.
	if got := participantCounts(t, s, "c1", "c2", "c3"); got != "map[c1:1 c2:0 c3:0]" {
		t.Fatalf("counts %s", got)
	}
	var counts []mitreden.ParticipantCount
	if err := s.AllParticipantCounts(ctx, func(c mitreden.ParticipantCount) error { counts = append(counts, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts[0].ConsultationID != "c1" || counts[0].N != 1 {
		t.Fatalf("stored counts %+v", counts)
	}
	from := counts[0]
	if err := s.SetParticipantCount(ctx, from, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.SetParticipantCount(ctx, from, 3); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("set from a stale version: %v", err)
	}
	missing := mitreden.ParticipantCount{ConsultationID: "c2"}
	if err := s.SetParticipantCount(ctx, missing, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetParticipantCount(ctx, missing, 5); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("create a count created meanwhile: %v", err)
	}
	if err := s.AddParticipant(ctx, "c2", "u9"); err != nil {
		t.Fatal(err)
	}
	if got := participantCounts(t, s, "c1", "c2"); got != "map[c1:2 c2:2]" {
		t.Fatalf("counts after the repair %s", got)
	}
}

func TestParticipantStore_BackfillMarkerAndVoters(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	if done, err := s.ParticipantsBackfilled(ctx); err != nil || done {
		t.Fatalf("fresh store backfilled: %v %v", done, err)
	}
	if err := s.MarkParticipantsBackfilled(ctx); err != nil {
		t.Fatal(err)
	}
	if done, err := s.ParticipantsBackfilled(ctx); err != nil || !done {
		t.Fatalf("marked store not backfilled: %v %v", done, err)
	}
	n := 0
	if err := s.AllParticipantCounts(ctx, func(mitreden.ParticipantCount) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("the marker streamed as a count: %d %v", n, err)
	}
	for _, v := range [][3]string{{"p1", "u1", "c1"}, {"p2", "u1", "c1"}, {"p3", "u2", "c2"}} {
		if err := s.InsertVote(ctx, v[0], v[1], v[2], "support"); err != nil {
			t.Fatal(err)
		}
	}
	var voters []string
	if err := s.AllVoters(ctx, func(p mitreden.Participant) error { voters = append(voters, p.ConsultationID+"/"+p.UserID); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(voters)
	if fmt.Sprint(voters) != "[c1/u1 c1/u1 c2/u2]" {
		t.Fatalf("voters %v", voters)
	}
}
