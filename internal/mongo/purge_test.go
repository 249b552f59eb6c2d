package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func TestPurgeExpired_RemovesOnlyExpired(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC)
	for id, exp := range map[string]time.Time{"old": now.Add(-time.Minute), "live": now.Add(time.Hour)} {
		if err := db.Sessions().CreateSession(ctx, &mitreden.Session{ID: id, UserID: "u", CreatedAt: now, LastSeenAt: now, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	// An allowance whole again before now, and one still in use.
	for _, at := range []time.Time{now.Add(-time.Hour), now} {
		if _, _, err := db.Counters().Take(ctx, "login:"+at.Format(time.TimeOnly), mitreden.Rate{Max: 5, Per: 15 * time.Minute}, at); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.PurgeExpired(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("purged %d (%v), want 2", n, err)
	}
	if _, err := db.Sessions().FindSession(ctx, "live"); err != nil {
		t.Fatalf("live session purged: %v", err)
	}
	if _, err := db.Sessions().FindSession(ctx, "old"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("expired session kept: %v", err)
	}
}

// The embedded engine has no TTL indexes: finished jobs and old mails go
// with the purge, queued jobs and recent mails stay.
func TestPurgeExpired_RemovesFinishedJobsAndOldMails(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC)
	long := now.Add(-100 * 24 * time.Hour)
	if err := db.Jobs().EnqueueJobs(ctx, &mitreden.Job{ID: "done", Kind: "k", RunAt: long, CreatedAt: long},
		&mitreden.Job{ID: "queued", Kind: "k", RunAt: now.Add(time.Hour), CreatedAt: long}); err != nil {
		t.Fatal(err)
	}
	j, err := db.Jobs().ClaimJob(ctx, []string{"k"}, "w", long, time.Minute)
	if err != nil || j == nil || j.ID != "done" {
		t.Fatalf("claim: %v %v", j, err)
	}
	if err := db.Jobs().CompleteJob(ctx, "done", "w", long); err != nil {
		t.Fatal(err)
	}
	for id, at := range map[string]time.Time{"old-mail": long, "new-mail": now} {
		if err := db.Mails().InsertMail(ctx, &mitreden.Mail{ID: id, To: "a@example.org", Subject: "s", Text: "t", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.PurgeExpired(ctx, now); err != nil || n != 2 {
		t.Fatalf("purged %d (%v), want 2", n, err)
	}
	if _, err := db.Jobs().FindJob(ctx, "queued"); err != nil {
		t.Fatalf("queued job purged: %v", err)
	}
	if _, err := db.Jobs().FindJob(ctx, "done"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("finished job kept: %v", err)
	}
	if _, err := db.Mails().FindMail(ctx, "new-mail"); err != nil {
		t.Fatalf("recent mail purged: %v", err)
	}
	if _, err := db.Mails().FindMail(ctx, "old-mail"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("old mail kept: %v", err)
	}
}
