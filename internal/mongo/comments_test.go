package mongo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func TestCommentStore_ThreadEditDeleteAndHide(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	var ids []string
	for i, target := range []string{"p1", "p2", "p1", "p1"} {
		c := &mitreden.Comment{TargetType: "proposal", TargetID: target, ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
			Body: "Beitrag", Alignment: "for", CreatedAt: t0.Add(time.Duration(10-i) * time.Minute)}
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	list, err := s.ListComments(ctx, "proposal", "p1")
	if err != nil || len(list) != 3 || list[0].ID != ids[3] || list[2].ID != ids[0] {
		t.Fatalf("list oldest first: %v", err)
	}
	if list, err := s.ListComments(ctx, "consultation", "p1"); err != nil || len(list) != 0 {
		t.Fatalf("another target type: %d %v", len(list), err)
	}
	if err := s.UpdateCommentBody(ctx, &mitreden.Comment{ID: ids[0], AuthorID: "u2", Body: "fremd", EditedAt: t0}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("edit by another user: %v", err)
	}
	if err := s.UpdateCommentBody(ctx, &mitreden.Comment{ID: ids[0], AuthorID: "u1", Body: "geändert", EditedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCommentDeleted(ctx, ids[0], "u2"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("delete by another user: %v", err)
	}
	if err := s.MarkCommentDeleted(ctx, ids[0], "u1"); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindComment(ctx, ids[0])
	if err != nil || !got.Deleted || got.Body != "" || got.Alignment != "" || !got.Edited || !got.EditedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("placeholder: %+v %v", got, err)
	}
	if err := s.UpdateCommentBody(ctx, &mitreden.Comment{ID: ids[0], AuthorID: "u1", Body: "wieder da", EditedAt: t0}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("edit after delete: %v", err)
	}
	if err := s.MarkCommentDeleted(ctx, ids[0], "u1"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("delete twice: %v", err)
	}
	if total, forN, _, _, err := s.CountComments(ctx, "p1"); err != nil || total != 2 || forN != 2 {
		t.Fatalf("count: %d %d %v", total, forN, err)
	}
	if err := s.SetItemModeration(ctx, mitreden.ItemComment, ids[1], true, mitreden.ItemModeration{Reason: "Test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItemModeration(ctx, mitreden.ItemComment, "64b7f0f0f0f0f0f0f0f0f0f0", true, mitreden.ItemModeration{}); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("hide unknown: %v", err)
	}
	for _, id := range []string{"", "x", "64b7f0f0f0f0f0f0f0f0f0f0"} {
		if _, err := s.FindComment(ctx, id); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("FindComment(%q): %v", id, err)
		}
	}
}

func TestCommentStore_VotesOnePerUserChangeable(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	step := func(user string, value, wantOld int) {
		t.Helper()
		old, err := s.PutCommentVote(ctx, "cm1", user, value)
		if err != nil || old != wantOld {
			t.Fatalf("%s votes %d: previous %d, want %d (%v)", user, value, old, wantOld, err)
		}
	}
	step("u1", 1, 0)
	step("u1", 1, 1)
	step("u1", -1, 1)
	step("u1", 0, -1)
	step("u1", 0, 0)
	step("u1", 1, 0)
	step("u2", -1, 0)
	got, err := s.UserCommentVotes(ctx, "u1", []string{"cm1", "cm2"})
	if err != nil || len(got) != 1 || got["cm1"] != 1 {
		t.Fatalf("user votes: %v %v", got, err)
	}
	// Concurrent first votes of one user: exactly one finds no previous vote.
	var mu sync.Mutex
	fresh := 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			old, err := s.PutCommentVote(ctx, "cm2", "u3", 1)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if old == 0 {
				fresh++
			}
		}()
	}
	wg.Wait()
	if fresh != 1 {
		t.Fatalf("%d calls saw no previous vote, want 1", fresh)
	}
}
