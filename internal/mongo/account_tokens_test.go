package mongo_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func TestAccountTokenStore_UsedOnceBeforeExpiryForItsPurpose(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.AccountTokens()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	tok := &mitreden.AccountToken{ID: "hash-1", Purpose: mitreden.TokenReset, UserID: "u1", Email: "a@example.org",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateAccountToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccountToken(ctx, tok); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("same id twice: %v", err)
	}
	if _, err := s.UseAccountToken(ctx, "hash-1", mitreden.TokenVerify, now); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("other purpose: %v", err)
	}
	if _, err := s.UseAccountToken(ctx, "hash-1", mitreden.TokenReset, now.Add(time.Hour)); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("at expiry: %v", err)
	}
	// Ten uses at once: exactly one gets the link.
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.UseAccountToken(ctx, "hash-1", mitreden.TokenReset, now.Add(time.Minute))
			if err == nil {
				ok.Add(1)
				if got.UserID != "u1" || got.Email != "a@example.org" || !got.UsedAt.Equal(now.Add(time.Minute)) {
					t.Errorf("used token %+v", got)
				}
			} else if mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
				t.Errorf("use: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d uses succeeded, want 1", ok.Load())
	}
}

func TestUserStore_SetVerifiedOnlyForTheAddressAndSetEmailRefusesATakenOne(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	ctx := context.Background()
	u := &mitreden.User{Email: "neu@example.org", DisplayName: "Neu", PasswordHash: "x", Unverified: true}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &mitreden.User{Email: "da@example.org", DisplayName: "Da", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s.SetVerified(ctx, u.ID, "anders@example.org", at); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("verify another address: %v", err)
	}
	got, err := s.SetVerified(ctx, u.ID, "NEU@example.org", at)
	if err != nil || got.Unverified || !got.VerifiedAt.Equal(at) {
		t.Fatalf("verified %+v, %v", got, err)
	}
	if _, err := s.SetEmail(ctx, u.ID, u.Email, "DA@example.org", at); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("taken address: %v", err)
	}
	got, err = s.SetEmail(ctx, u.ID, u.Email, "Umzug@example.org", at)
	if err != nil || got.Email != "Umzug@example.org" {
		t.Fatalf("new address %+v, %v", got, err)
	}
	// Only from the address the change was issued for.
	if _, err := s.SetEmail(ctx, u.ID, u.Email, "zurueck@example.org", at); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("a change from an address the account no longer has: %v", err)
	}
	if f, err := s.FindUserByEmail(ctx, "umzug@example.org"); err != nil || f.ID != u.ID {
		t.Fatalf("find by the new address: %v", err)
	}
}

func TestAccountTokenStore_ExpiredLinksArePurged(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.AccountTokens()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for id, exp := range map[string]time.Time{"old": now.Add(-time.Minute), "fresh": now.Add(time.Hour)} {
		if err := s.CreateAccountToken(ctx, &mitreden.AccountToken{ID: id, Purpose: mitreden.TokenVerify, UserID: "u1",
			Email: "a@example.org", CreatedAt: now.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.PurgeExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindAccountToken(ctx, "old"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("an expired link (and the address it holds) stays: %v", err)
	}
	if _, err := s.FindAccountToken(ctx, "fresh"); err != nil {
		t.Fatalf("a valid link was purged: %v", err)
	}
}

func TestAccountTokenStore_UseUserAccountTokensSpendsOnlyThatUsersPurpose(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.AccountTokens()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, tk := range []mitreden.AccountToken{{ID: "a", Purpose: mitreden.TokenEmailChange, UserID: "u1", From: "alt@example.org"},
		{ID: "b", Purpose: mitreden.TokenEmailChange, UserID: "u1"}, {ID: "c", Purpose: mitreden.TokenReset, UserID: "u1"},
		{ID: "d", Purpose: mitreden.TokenEmailChange, UserID: "u2"}} {
		tk.Email, tk.CreatedAt, tk.ExpiresAt = "x@example.org", now, now.Add(time.Hour)
		if err := s.CreateAccountToken(ctx, &tk); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.FindAccountToken(ctx, "a"); err != nil || got.From != "alt@example.org" {
		t.Fatalf("from kept: %+v, %v", got, err)
	}
	if err := s.UseUserAccountTokens(ctx, "u1", mitreden.TokenEmailChange, now); err != nil {
		t.Fatal(err)
	}
	for id, used := range map[string]bool{"a": true, "b": true, "c": false, "d": false} {
		got, err := s.FindAccountToken(ctx, id)
		if err != nil || got.UsedAt.IsZero() == used {
			t.Fatalf("%s: %+v, %v (want used %v)", id, got, err, used)
		}
	}
}
