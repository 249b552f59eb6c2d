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
