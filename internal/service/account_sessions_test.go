package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

type fakeClock struct{ now time.Time }

func (f *fakeClock) Now() time.Time          { return f.now }
func (f *fakeClock) Advance(d time.Duration) { f.now = f.now.Add(d) }

func newAccounts(t *testing.T, cfg service.AccountsConfig) (*service.Accounts, *fakeClock, *mongo.DB) {
	t.Helper()
	db := mongotest.MustOpenDB(t)
	clk := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	acc := service.NewAccounts(db.Users(), db.Sessions(), db.Counters(), cfg, clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return acc, clk, db
}

const pw = "Lindenblüten im Juni"

func mustUser(t *testing.T, acc *service.Accounts, email string, roles ...mitreden.Role) *mitreden.User {
	t.Helper()
	u, err := acc.CreateUser(context.Background(), service.RegisterInput{Email: email, DisplayName: "Person", Password: pw, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw, code string
	}{
		{"elf zeichen", "length"},
		{"zwölf zeiche", ""},
		{strings.Repeat("ä", 128), "common"},              // one repeated character
		{"Ä" + strings.Repeat("bcdefghij", 14) + "ö", ""}, // 128 runes, more bytes
		{"Ä" + strings.Repeat("bcdefghij", 14) + "öü", "length"},
		{"PasswortPasswort", "common"},
		{"abcabcabcabc", "common"},
		{"maria.schmidt-1990", "personal"},
		{"nur kleine buchstaben und leerzeichen", ""},
	} {
		fe := service.CheckPassword(tc.pw, "maria.schmidt@example.org", "Maria")
		got := ""
		if fe != nil {
			got = fe.Code
		}
		if got != tc.code {
			t.Errorf("CheckPassword(%q) = %q, want %q", tc.pw, got, tc.code)
		}
	}
	h1, _ := service.HashPassword(pw)
	h2, _ := service.HashPassword(pw)
	if h1 == h2 || !strings.HasPrefix(h1, "$argon2id$") {
		t.Fatalf("hashes %q %q", h1, h2)
	}
	if !service.VerifyPassword(h1, pw) || service.VerifyPassword(h1, pw+"x") {
		t.Fatal("verify")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2id$v=19$m=0,t=0,p=0$$", "plain", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if service.VerifyPassword(bad, pw) {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	h, _ := service.HashPassword("seed password 1")
	f.Add(h, "seed password 1")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		_ = service.VerifyPassword(hash, pw) // must not panic
	})
}

func TestLogin_TokenIsHashedAndSessionsTimeOut(t *testing.T) {
	acc, clk, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "sara@example.org")
	l, err := acc.Login(ctx, service.LoginInput{Email: "SARA@example.org", Password: pw, IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(l.Token))
	if len(l.Token) != 43 || l.Session.ID != hex.EncodeToString(sum[:]) {
		t.Fatalf("token %q session %q", l.Token, l.Session.ID)
	}
	n, _ := db.C("sessions").CountDocuments(ctx, bson.D{{Key: "_id", Value: l.Token}})
	if n != 0 {
		t.Fatal("the raw token is stored")
	}
	l2, _ := acc.Login(ctx, service.LoginInput{Email: "sara@example.org", Password: pw})
	if l2.Session.ID == l.Session.ID {
		t.Fatal("no new session id at login")
	}
	// Idle: active every 29 minutes stays valid ...
	for i := 0; i < 3; i++ {
		clk.Advance(29 * time.Minute)
		if _, _, err := acc.Authenticate(ctx, l.Token); err != nil {
			t.Fatalf("after %d idle periods: %v", i+1, err)
		}
	}
	// ... 31 minutes of silence ends the session and deletes it.
	clk.Advance(31 * time.Minute)
	if _, _, err := acc.Authenticate(ctx, l.Token); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("idle session: %v", err)
	}
	if _, err := db.Sessions().FindSession(ctx, l.Session.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("idle session not deleted: %v", err)
	}
	// Absolute: even an active session ends after 12 hours.
	l3, _ := acc.Login(ctx, service.LoginInput{Email: "sara@example.org", Password: pw})
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		clk.Advance(20 * time.Minute)
		if _, _, err := acc.Authenticate(ctx, l3.Token); err != nil {
			t.Fatalf("active session ended after %s: %v", elapsed, err)
		}
	}
	clk.Advance(40 * time.Minute)
	if _, _, err := acc.Authenticate(ctx, l3.Token); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("session beyond 12h: %v", err)
	}
}

func TestLogin_ThrottlesPerAccountAndIP(t *testing.T) {
	acc, clk, db := newAccounts(t, service.AccountsConfig{LoginMaxPerIP: 8})
	ctx := context.Background()
	mustUser(t, acc, "tom@example.org")
	for i := 0; i < 5; i++ {
		if _, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: "wrong password", IP: "198.51.100.7"}); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: pw, IP: "198.51.100.8"})
	var de *mitreden.Error
	if mitreden.ErrorCode(err) != mitreden.ERATELIMITED || !errorsAs(err, &de) || de.RetryAfter <= 0 {
		t.Fatalf("sixth attempt: %v", err)
	}
	// No email in the counters collection: keys are hashed.
	cur, _ := db.C("counters").Find(ctx, bson.D{})
	var docs []bson.M
	_ = cur.All(ctx, &docs)
	for _, d := range docs {
		if strings.Contains(d["_id"].(string), "tom@") {
			t.Fatalf("email in counter key %v", d["_id"])
		}
	}
	clk.Advance(16 * time.Minute)
	if _, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: pw, IP: "198.51.100.8"}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Per IP: failures across accounts from one address.
	for i := 0; i < 8; i++ {
		_, _ = acc.Login(ctx, service.LoginInput{Email: "x" + string(rune('a'+i)) + "@example.org", Password: "wrong password", IP: "203.0.113.9"})
	}
	if _, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: pw, IP: "203.0.113.9"}); mitreden.ErrorCode(err) != mitreden.ERATELIMITED {
		t.Fatalf("per-IP limit: %v", err)
	}
	if _, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: pw, IP: "203.0.113.10"}); err != nil {
		t.Fatalf("other IP blocked: %v", err)
	}
}

func TestChangePasswordEndsOtherSessions_AndRoles(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	u := mustUser(t, acc, "ute@example.org")
	a, _ := acc.Login(ctx, service.LoginInput{Email: "ute@example.org", Password: pw})
	b, _ := acc.Login(ctx, service.LoginInput{Email: "ute@example.org", Password: pw})
	if err := acc.ChangePassword(ctx, u, a.Session.ID, "falsch", "Neues Passwort am Rhein"); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("wrong current: %v", err)
	}
	if err := acc.ChangePassword(ctx, u, a.Session.ID, pw, "kurz"); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("weak new: %v", err)
	}
	if err := acc.ChangePassword(ctx, u, a.Session.ID, pw, "Neues Passwort am Rhein"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := acc.Authenticate(ctx, a.Token); err != nil {
		t.Fatalf("current session ended: %v", err)
	}
	if _, _, err := acc.Authenticate(ctx, b.Token); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("other session survived: %v", err)
	}
	other := mustUser(t, acc, "otto@example.org")
	o, _ := acc.Login(ctx, service.LoginInput{Email: "otto@example.org", Password: pw})
	if err := acc.RevokeSession(ctx, u, o.Session.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("revoke other's session: %v", err)
	}
	admin := mustUser(t, acc, "adm@example.org", mitreden.RoleAdmin)
	if _, err := acc.SetRole(ctx, u, other.ID, mitreden.RoleCouncil, true); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("citizen grants: %v", err)
	}
	if _, err := acc.SetRole(ctx, nil, other.ID, mitreden.RoleCouncil, true); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("anonymous grants: %v", err)
	}
	if _, err := acc.SetRole(ctx, admin, admin.ID, mitreden.RoleAdmin, false); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("self revoke: %v", err)
	}
	if _, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleCitizen, false); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("citizen role: %v", err)
	}
	got, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleModerator, true)
	if err != nil || !got.HasRole(mitreden.RoleModerator) {
		t.Fatalf("grant: %v", err)
	}
}

func errorsAs(err error, target **mitreden.Error) bool { return errors.As(err, target) }
