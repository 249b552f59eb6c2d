package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

// fakeClock is the injected clock: tests move time instead of sleeping.
type fakeClock struct{ now time.Time }

func (f *fakeClock) Now() time.Time          { return f.now }
func (f *fakeClock) Advance(d time.Duration) { f.now = f.now.Add(d) }

// t0 starts a 15-minute throttling window, so windows end where tests expect.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newAccounts(t *testing.T, cfg service.AccountsConfig) (*service.Accounts, *fakeClock, *mongo.DB) {
	t.Helper()
	db := mongotest.MustOpenDB(t)
	clk := &fakeClock{now: t0}
	acc := service.NewAccounts(db.Users(), db.Sessions(), db.Counters(), cfg, clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return acc, clk, db
}

const pw = "Lindenblüten im Juni"

func mustUser(t *testing.T, acc *service.Accounts, email string, roles ...mitreden.Role) *mitreden.User {
	t.Helper()
	// Display names are unique: each account is named after its email.
	u, err := acc.CreateUser(context.Background(), service.RegisterInput{Email: email, DisplayName: "Person " + email, Password: pw, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustLogin(t *testing.T, acc *service.Accounts, email string) *service.Login {
	t.Helper()
	l, err := acc.Login(context.Background(), service.LoginInput{Email: email, Password: pw, IP: "192.0.2.200"})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return l
}

func domainErr(t *testing.T, err error, code string) *mitreden.Error {
	t.Helper()
	var de *mitreden.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return de
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := mitreden.ErrorCode(err); got != code {
		t.Fatalf("%s: %v (code %q), want %q", what, err, got, code)
	}
}

// dump returns every document of a collection as extended JSON, for checks
// that something is stored nowhere in it.
func dump(t *testing.T, db *mongo.DB, coll string) string {
	t.Helper()
	ctx := context.Background()
	cur, err := db.C(coll).Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range docs {
		j, err := bson.MarshalExtJSON(d, false, false)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func block(t *testing.T, db *mongo.DB, u *mitreden.User) {
	t.Helper()
	id, err := bson.ObjectIDFromHex(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.C("users").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "blocked", Value: true}}}})
	if err != nil || res.MatchedCount != 1 {
		t.Fatalf("block: %v %v", res, err)
	}
}

func TestRegister_ValidationNamesFieldsWithMessageKeys(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	type fe struct{ field, code, msg string }
	for _, tc := range []struct {
		name string
		in   service.RegisterInput
		want []fe
	}{
		{"empty", service.RegisterInput{}, []fe{
			{"email", "required", "validation.required"},
			{"display_name", "required", "validation.required"},
			{"password", "required", "validation.required"},
		}},
		{"blank", service.RegisterInput{Email: "  ", DisplayName: " \t", Password: pw}, []fe{
			{"email", "required", "validation.required"},
			{"display_name", "required", "validation.required"},
		}},
		{"malformed", service.RegisterInput{Email: "not an email", DisplayName: "X", Password: "kurz"}, []fe{
			{"email", "email", "validation.email"},
			{"display_name", "length", "validation.display_name_length"},
			{"password", "length", "validation.password_length"},
		}},
		{"no dot in domain", service.RegisterInput{Email: "a@localhost", DisplayName: "Anna", Password: pw}, []fe{
			{"email", "email", "validation.email"},
		}},
		{"display name with address", service.RegisterInput{Email: "Anna <anna@example.org>", DisplayName: "Anna", Password: pw}, []fe{
			{"email", "email", "validation.email"},
		}},
		{"long name", service.RegisterInput{Email: "anna@example.org", DisplayName: strings.Repeat("ä", 51), Password: pw}, []fe{
			{"display_name", "length", "validation.display_name_length"},
		}},
		{"bidi override in name", service.RegisterInput{Email: "anna@example.org", DisplayName: "Anna\u202Enimda", Password: pw}, []fe{
			{"display_name", "chars", "validation.display_name_chars"},
		}},
		{"zero-width space in name", service.RegisterInput{Email: "anna@example.org", DisplayName: "Ad\u200Bmin", Password: pw}, []fe{
			{"display_name", "chars", "validation.display_name_chars"},
		}},
		{"newline in name", service.RegisterInput{Email: "anna@example.org", DisplayName: "Anna\nBerg", Password: pw}, []fe{
			{"display_name", "chars", "validation.display_name_chars"},
		}},
		{"common password", service.RegisterInput{Email: "anna@example.org", DisplayName: "Anna", Password: "Passwort1234"}, []fe{
			{"password", "common", "validation.password_common"},
		}},
		{"personal password", service.RegisterInput{Email: "anna.berg@example.org", DisplayName: "Anna", Password: "ich bin anna.berg!"}, []fe{
			{"password", "personal", "validation.password_personal"},
		}},
		{"name in password", service.RegisterInput{Email: "ab@example.org", DisplayName: "Annegret", Password: "annegret aus bonn"}, []fe{
			{"password", "personal", "validation.password_personal"},
		}},
		{"language", service.RegisterInput{Email: "anna@example.org", DisplayName: "Anna", Password: pw, Language: "fr"}, []fe{
			{"language", "oneof", "validation.language"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := acc.Register(ctx, tc.in, "")
			de := domainErr(t, err, mitreden.EINVALID)
			var got []fe
			for _, f := range de.Fields {
				got = append(got, fe{f.Field, f.Code, f.Message})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fields %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, _, err := acc.ListUsers(ctx, service.System, mitreden.UserFilter{}); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := acc.ListUsers(ctx, service.System, mitreden.UserFilter{}); n != 0 {
		t.Fatalf("%d users created by invalid registrations", n)
	}
}

func TestRegister_CreatesCitizenOnlyAndIgnoresRoles(t *testing.T) {
	acc, _, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	err := acc.Register(ctx, service.RegisterInput{Email: " Lea@Example.org ", DisplayName: " Lea ", Password: pw,
		Roles: []mitreden.Role{mitreden.RoleAdmin, mitreden.RoleModerator}}, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := acc.FindUserByEmail(ctx, "lea@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "Lea@Example.org" || u.DisplayName != "Lea" || u.Language != "de" {
		t.Fatalf("user %+v", u)
	}
	stored, err := acc.User(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.HasRole(mitreden.RoleAdmin) || stored.HasRole(mitreden.RoleModerator) || !stored.HasRole(mitreden.RoleCitizen) {
		t.Fatalf("self-registration got roles %v", stored.Roles)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || !service.VerifyPassword(stored.PasswordHash, pw) {
		t.Fatalf("stored hash %q", stored.PasswordHash)
	}
	if strings.Contains(dump(t, db, "users"), pw) {
		t.Fatal("the plain password is stored")
	}
}

func TestRegister_EmailUniqueCaseInsensitive(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	if err := acc.Register(ctx, service.RegisterInput{Email: "sara@example.org", DisplayName: "Sara", Password: pw}, ""); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"sara@example.org", "SARA@Example.ORG", " Sara@example.org "} {
		// A taken address answers like a new one (the owner gets a
		// mail, see TestRegister_TakenAddressAnswersLikeANewOne).
		if err := acc.Register(ctx, service.RegisterInput{Email: email, DisplayName: "Andere Sara", Password: "ein ganz anderes Passwort"}, ""); err != nil {
			t.Fatalf("%q: %v", email, err)
		}
	}
	if _, n, _ := acc.ListUsers(ctx, service.System, mitreden.UserFilter{}); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

func TestRegister_ThrottledPerIP(t *testing.T) {
	acc, clk, _ := newAccounts(t, service.AccountsConfig{RegisterMaxPerIP: 3})
	ctx := context.Background()
	reg := func(i int, ip string) error {
		err := acc.Register(ctx, service.RegisterInput{Email: fmt.Sprintf("r%d@example.org", i), DisplayName: fmt.Sprintf("Reg %d", i), Password: pw}, ip)
		return err
	}
	for i := 0; i < 3; i++ {
		if err := reg(i, "198.51.100.1"); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	de := domainErr(t, reg(3, "198.51.100.1"), mitreden.ERATELIMITED)
	if de.RetryAfter <= 0 || de.RetryAfter > int((15*time.Minute).Seconds())+1 {
		t.Fatalf("RetryAfter %d", de.RetryAfter)
	}
	if _, err := acc.FindUserByEmail(ctx, "r3@example.org"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("throttled registration created the account: %v", err)
	}
	// Failed attempts count too: invalid input does not reopen the door.
	wantCode(t, "invalid after limit", reg(4, "198.51.100.1"), mitreden.ERATELIMITED)
	if err := reg(5, "198.51.100.2"); err != nil {
		t.Fatalf("another IP: %v", err)
	}
	clk.Advance(15 * time.Minute)
	if err := reg(6, "198.51.100.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestLogin_TokenIsRandomAndOnlyItsHashIsStored(t *testing.T) {
	acc, _, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	u := mustUser(t, acc, "sara@example.org")
	l, err := acc.Login(ctx, service.LoginInput{Email: " SARA@example.org", Password: pw, IP: "192.0.2.1", UserAgent: "Test/1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if l.User.ID != u.ID || l.Session.UserID != u.ID || l.User.Blocked {
		t.Fatalf("login %+v", l)
	}
	raw, err := base64.RawURLEncoding.DecodeString(l.Token)
	if len(l.Token) != 43 || err != nil || len(raw) != 32 {
		t.Fatalf("token %q (%d chars, %d bytes, %v)", l.Token, len(l.Token), len(raw), err)
	}
	sum := sha256.Sum256([]byte(l.Token))
	if l.Session.ID != hex.EncodeToString(sum[:]) || l.Session.ID != service.SessionID(l.Token) {
		t.Fatalf("session id %q is not the SHA-256 of the token", l.Session.ID)
	}
	stored, err := db.Sessions().FindSession(ctx, l.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.CreatedAt.Equal(t0) || !stored.ExpiresAt.Equal(t0.Add(12*time.Hour)) || stored.IP != "192.0.2.1" || stored.UserAgent != "Test/1.0" {
		t.Fatalf("stored session %+v", stored)
	}
	if sessions := dump(t, db, "sessions"); strings.Contains(sessions, l.Token) || !strings.Contains(sessions, l.Session.ID) {
		t.Fatalf("sessions collection: %s", sessions)
	}
	if s, got, err := acc.Authenticate(ctx, l.Token); err != nil || got.ID != u.ID || s.ID != l.Session.ID {
		t.Fatalf("authenticate: %v", err)
	}
	// Neither the session id nor a tampered token authenticates.
	for _, bad := range []string{l.Session.ID, l.Token[:42], l.Token + "A", "", strings.Repeat("A", 101)} {
		wantCode(t, fmt.Sprintf("token %q", bad), func() error { _, _, err := acc.Authenticate(ctx, bad); return err }(), mitreden.EUNAUTHORIZED)
	}
}

func TestLogin_NewSessionIDEveryTime(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	u := mustUser(t, acc, "sara@example.org")
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		l := mustLogin(t, acc, "sara@example.org")
		if seen[l.Token] || seen[l.Session.ID] {
			t.Fatalf("login %d reused a token or session id", i)
		}
		seen[l.Token], seen[l.Session.ID] = true, true
	}
	ss, err := acc.Sessions(ctx, u)
	if err != nil || len(ss) != 5 {
		t.Fatalf("%d sessions, %v", len(ss), err)
	}
}

func TestLogin_LongUserAgentIsCutToValidText(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "ua@example.org")
	ua := strings.Repeat("a", 199) + strings.Repeat("ü", 50)
	l, err := acc.Login(ctx, service.LoginInput{Email: "ua@example.org", Password: pw, UserAgent: ua})
	if err != nil {
		t.Fatalf("login with a long user agent: %v", err)
	}
	if len(l.Session.UserAgent) > 200 || !strings.HasPrefix(ua, l.Session.UserAgent) || !utf8.ValidString(l.Session.UserAgent) {
		t.Fatalf("user agent %q", l.Session.UserAgent)
	}
	if _, _, err := acc.Authenticate(ctx, l.Token); err != nil {
		t.Fatal(err)
	}
}

func TestLogin_FailuresLookAlike(t *testing.T) {
	acc, _, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "known@example.org")
	blocked := mustUser(t, acc, "blocked@example.org")
	blockedSession := mustLogin(t, acc, "blocked@example.org")
	block(t, db, blocked)

	try := func(email, password string) *mitreden.Error {
		t.Helper()
		l, err := acc.Login(ctx, service.LoginInput{Email: email, Password: password, IP: "192.0.2.9"})
		if l != nil {
			t.Fatalf("%s: login returned a session", email)
		}
		return domainErr(t, err, mitreden.EUNAUTHORIZED)
	}
	wrong := try("known@example.org", "falsches Passwort 1")
	for name, e := range map[string]*mitreden.Error{
		"unknown email":          try("nobody@example.org", pw),
		"unknown email, same pw": try("nobody@example.org", "falsches Passwort 1"),
		"blocked, wrong pw":      try("blocked@example.org", "falsches Passwort 1"),
		"empty":                  try("", ""),
	} {
		if !reflect.DeepEqual(e, wrong) {
			t.Errorf("%s: %+v differs from wrong password %+v", name, e, wrong)
		}
	}
	if wrong.Message != "account.login_failed" || len(wrong.Fields) != 0 || wrong.RetryAfter != 0 {
		t.Fatalf("login failure %+v", wrong)
	}
	// A blocked person still logs in and reads (moderation refuses their
	// writes with the reason): the open session stays, a new login works.
	if _, u, err := acc.Authenticate(ctx, blockedSession.Token); err != nil || !u.Blocked {
		t.Fatalf("blocked session: %+v, %v", u, err)
	}
	if l, err := acc.Login(ctx, service.LoginInput{Email: "blocked@example.org", Password: pw, IP: "192.0.2.9"}); err != nil || !l.User.Blocked {
		t.Fatalf("blocked login: %v", err)
	}
}

func TestLogin_ThrottledPerAccount(t *testing.T) {
	acc, clk, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "tom@example.org")
	mustUser(t, acc, "tina@example.org")
	login := func(email, password, ip string) error {
		_, err := acc.Login(ctx, service.LoginInput{Email: email, Password: password, IP: ip})
		return err
	}
	// Four failures leave the account usable; spread over IPs so only the
	// account counter can be what stops the sixth attempt.
	for i := 0; i < 4; i++ {
		wantCode(t, "failure", login("tom@example.org", "wrong password!", fmt.Sprintf("198.51.100.%d", i)), mitreden.EUNAUTHORIZED)
	}
	if err := login("tom@example.org", pw, "198.51.100.50"); err != nil {
		t.Fatalf("after 4 failures: %v", err)
	}
	// The fifth failure (any case of the email counts) closes the account.
	wantCode(t, "fifth failure", login("TOM@Example.org", "wrong password!", "198.51.100.4"), mitreden.EUNAUTHORIZED)
	// Five per 15 minutes: the first of them is given back after 3
	// minutes, and the next attempt passes then.
	clk.Advance(time.Minute)
	de := domainErr(t, login("tom@example.org", pw, "198.51.100.51"), mitreden.ERATELIMITED)
	if want := int((2 * time.Minute).Seconds()); de.RetryAfter != want {
		t.Fatalf("RetryAfter %d, want %d", de.RetryAfter, want)
	}
	if until, _ := de.Args["until"].(time.Time); !until.Equal(t0.Add(3 * time.Minute)) {
		t.Fatalf("until %v, want %v", de.Args["until"], t0.Add(3*time.Minute))
	}
	if de.Message == "account.login_failed" {
		t.Fatal("throttling looks like a wrong password")
	}
	if err := login("tina@example.org", pw, "198.51.100.4"); err != nil {
		t.Fatalf("another account from the same IP: %v", err)
	}
	// Counters are keyed by a hash, never by the email.
	counters := dump(t, db, "counters")
	if counters == "" || strings.Contains(strings.ToLower(counters), "tom") || strings.Contains(counters, "example.org") {
		t.Fatalf("counters reveal the email: %s", counters)
	}
	clk.Advance(time.Minute + 59*time.Second)
	wantCode(t, "one second before the time named", login("tom@example.org", pw, "198.51.100.52"), mitreden.ERATELIMITED)
	clk.Advance(time.Second)
	if err := login("tom@example.org", pw, "198.51.100.52"); err != nil {
		t.Fatalf("at the time named: %v", err)
	}
}

func TestLogin_ThrottledPerIP(t *testing.T) {
	acc, _, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "tom@example.org")
	login := func(email, password, ip string) error {
		_, err := acc.Login(ctx, service.LoginInput{Email: email, Password: password, IP: ip})
		return err
	}
	const attacker = "203.0.113.9"
	// 19 failures across different accounts (none reaches its own limit).
	for i := 0; i < 19; i++ {
		wantCode(t, "failure", login(fmt.Sprintf("victim%d@example.org", i), "wrong password!", attacker), mitreden.EUNAUTHORIZED)
	}
	if err := login("tom@example.org", pw, attacker); err != nil {
		t.Fatalf("after 19 failures from the IP: %v", err)
	}
	wantCode(t, "20th failure", login("victim19@example.org", "wrong password!", attacker), mitreden.EUNAUTHORIZED)
	de := domainErr(t, login("tom@example.org", pw, attacker), mitreden.ERATELIMITED)
	if de.RetryAfter <= 0 {
		t.Fatalf("RetryAfter %d", de.RetryAfter)
	}
	wantCode(t, "a fresh account from the IP", login("fresh@example.org", "wrong password!", attacker), mitreden.ERATELIMITED)
	if err := login("tom@example.org", pw, "203.0.113.10"); err != nil {
		t.Fatalf("another IP is blocked too: %v", err)
	}
	if counters := dump(t, db, "counters"); strings.Contains(counters, "victim") || strings.Contains(counters, "example.org") {
		t.Fatalf("counters reveal emails: %s", counters)
	}
}

func TestSessions_IdleTimeoutAndTouchEvery(t *testing.T) {
	acc, clk, db := newAccounts(t, service.AccountsConfig{TouchEvery: 5 * time.Minute})
	ctx := context.Background()
	mustUser(t, acc, "ida@example.org")
	l := mustLogin(t, acc, "ida@example.org")
	lastSeen := func() time.Time {
		t.Helper()
		s, err := db.Sessions().FindSession(ctx, l.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.LastSeenAt
	}
	auth := func() error { _, _, err := acc.Authenticate(ctx, l.Token); return err }

	// Requests within TouchEvery do not write.
	for i := 0; i < 4; i++ {
		clk.Advance(time.Minute)
		if err := auth(); err != nil {
			t.Fatal(err)
		}
		if !lastSeen().Equal(t0) {
			t.Fatalf("after %d min: last seen written (%s)", i+1, lastSeen())
		}
	}
	clk.Advance(time.Minute) // 5 min
	if err := auth(); err != nil {
		t.Fatal(err)
	}
	if !lastSeen().Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("last seen %s, want touched at 5 min", lastSeen())
	}
	// 29 idle minutes are fine, and the request counts as activity.
	clk.Advance(29 * time.Minute)
	if err := auth(); err != nil {
		t.Fatalf("after 29 idle minutes: %v", err)
	}
	clk.Advance(29 * time.Minute)
	if err := auth(); err != nil {
		t.Fatalf("after another 29 idle minutes: %v", err)
	}
	// Activity may have gone unwritten for up to TouchEvery, so the session
	// ends after 30 idle minutes plus those 5.
	clk.Advance(34 * time.Minute)
	if err := auth(); err != nil {
		t.Fatalf("after 34 idle minutes: %v", err)
	}
	clk.Advance(35 * time.Minute)
	wantCode(t, "35 idle minutes", auth(), mitreden.EUNAUTHORIZED)
	if _, err := db.Sessions().FindSession(ctx, l.Session.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("idle session not deleted: %v", err)
	}
}

func TestSessions_IdleTimeoutDefaults(t *testing.T) {
	acc, clk, _ := newAccounts(t, service.AccountsConfig{})
	cfg := acc.Config()
	if cfg.SessionIdle != 30*time.Minute || cfg.SessionAbsolute != 12*time.Hour || cfg.LoginMaxPerAccount != 5 || cfg.LoginMaxPerIP != 20 {
		t.Fatalf("defaults %+v", cfg)
	}
	ctx := context.Background()
	mustUser(t, acc, "ida@example.org")
	l := mustLogin(t, acc, "ida@example.org")
	if cfg.TouchEvery != time.Minute {
		t.Fatalf("touch every %s, want 1 min", cfg.TouchEvery)
	}
	clk.Advance(31 * time.Minute)
	wantCode(t, "31 idle minutes", func() error { _, _, err := acc.Authenticate(ctx, l.Token); return err }(), mitreden.EUNAUTHORIZED)
}

func TestSessions_AbsoluteTimeout(t *testing.T) {
	acc, clk, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "abe@example.org")
	l := mustLogin(t, acc, "abe@example.org")
	for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
		clk.Advance(20 * time.Minute)
		if _, _, err := acc.Authenticate(ctx, l.Token); err != nil {
			t.Fatalf("active session ended after %s: %v", elapsed, err)
		}
	}
	clk.Advance(20 * time.Minute) // 12 h
	wantCode(t, "at 12h", func() error { _, _, err := acc.Authenticate(ctx, l.Token); return err }(), mitreden.EUNAUTHORIZED)
	if _, err := db.Sessions().FindSession(ctx, l.Session.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("expired session not deleted: %v", err)
	}
}

func TestSessions_LogoutDeletesServerSide(t *testing.T) {
	acc, _, db := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "lou@example.org")
	a := mustLogin(t, acc, "lou@example.org")
	b := mustLogin(t, acc, "lou@example.org")
	if err := acc.Logout(ctx, a.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Sessions().FindSession(ctx, a.Session.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("session still stored: %v", err)
	}
	wantCode(t, "after logout", func() error { _, _, err := acc.Authenticate(ctx, a.Token); return err }(), mitreden.EUNAUTHORIZED)
	if _, _, err := acc.Authenticate(ctx, b.Token); err != nil {
		t.Fatalf("logout ended another session: %v", err)
	}
	if err := acc.Logout(ctx, a.Session.ID); err != nil {
		t.Fatalf("second logout: %v", err)
	}
}

func TestSessions_ChangePassword(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	u := mustUser(t, acc, "ute.berg@example.org")
	mustUser(t, acc, "otto@example.org")
	cur := mustLogin(t, acc, "ute.berg@example.org")
	others := []*service.Login{mustLogin(t, acc, "ute.berg@example.org"), mustLogin(t, acc, "ute.berg@example.org")}
	foreign := mustLogin(t, acc, "otto@example.org")
	const next = "Neues Passwort am Rhein"

	wantCode(t, "nil user", acc.ChangePassword(ctx, nil, cur.Session.ID, pw, next), mitreden.EUNAUTHORIZED)
	de := domainErr(t, acc.ChangePassword(ctx, u, cur.Session.ID, "falsches Passwort", next), mitreden.EINVALID)
	if len(de.Fields) != 1 || de.Fields[0].Field != "current_password" || de.Fields[0].Message != "validation.current_password" {
		t.Fatalf("wrong current: %+v", de.Fields)
	}
	for bad, code := range map[string]string{"kurz": "length", "passwort1234": "common", "ich bin ute.berg!": "personal"} {
		de := domainErr(t, acc.ChangePassword(ctx, u, cur.Session.ID, pw, bad), mitreden.EINVALID)
		if len(de.Fields) != 1 || de.Fields[0].Field != "new_password" || de.Fields[0].Code != code {
			t.Fatalf("new %q: %+v, want new_password/%s", bad, de.Fields, code)
		}
	}
	// Failed attempts changed nothing.
	for _, l := range others {
		if _, _, err := acc.Authenticate(ctx, l.Token); err != nil {
			t.Fatalf("refused change ended a session: %v", err)
		}
	}
	if err := acc.ChangePassword(ctx, u, cur.Session.ID, pw, next); err != nil {
		t.Fatal(err)
	}
	if _, _, err := acc.Authenticate(ctx, cur.Token); err != nil {
		t.Fatalf("current session ended: %v", err)
	}
	for _, l := range others {
		wantCode(t, "other session", func() error { _, _, err := acc.Authenticate(ctx, l.Token); return err }(), mitreden.EUNAUTHORIZED)
	}
	if _, _, err := acc.Authenticate(ctx, foreign.Token); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
	if ss, _ := acc.Sessions(ctx, u); len(ss) != 1 || ss[0].ID != cur.Session.ID {
		t.Fatalf("sessions after change: %d", len(ss))
	}
	_, err := acc.Login(ctx, service.LoginInput{Email: "ute.berg@example.org", Password: pw})
	wantCode(t, "old password", err, mitreden.EUNAUTHORIZED)
	if _, err := acc.Login(ctx, service.LoginInput{Email: "ute.berg@example.org", Password: next}); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestSessions_RevokeOnlyOwn(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	u := mustUser(t, acc, "ria@example.org")
	mustUser(t, acc, "otto@example.org")
	mine := mustLogin(t, acc, "ria@example.org")
	mine2 := mustLogin(t, acc, "ria@example.org")
	his := mustLogin(t, acc, "otto@example.org")

	missing := acc.RevokeSession(ctx, u, strings.Repeat("0", 64))
	foreign := acc.RevokeSession(ctx, u, his.Session.ID)
	wantCode(t, "another user's session", foreign, mitreden.ENOTFOUND)
	wantCode(t, "missing session", missing, mitreden.ENOTFOUND)
	if mitreden.ErrorMessage(foreign) != mitreden.ErrorMessage(missing) {
		t.Fatalf("foreign %q and missing %q sessions are told apart", mitreden.ErrorMessage(foreign), mitreden.ErrorMessage(missing))
	}
	if _, _, err := acc.Authenticate(ctx, his.Token); err != nil {
		t.Fatalf("another user's session was revoked: %v", err)
	}
	wantCode(t, "nil user", acc.RevokeSession(ctx, nil, mine2.Session.ID), mitreden.EUNAUTHORIZED)
	if err := acc.RevokeSession(ctx, u, mine2.Session.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "revoked", func() error { _, _, err := acc.Authenticate(ctx, mine2.Token); return err }(), mitreden.EUNAUTHORIZED)
	if _, _, err := acc.Authenticate(ctx, mine.Token); err != nil {
		t.Fatalf("revoke ended the wrong session: %v", err)
	}
}

func TestRoles_SetRole(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	admin := mustUser(t, acc, "adm@example.org", mitreden.RoleAdmin)
	citizen := mustUser(t, acc, "cit@example.org")
	mod := mustUser(t, acc, "mod@example.org", mitreden.RoleModerator)
	other := mustUser(t, acc, "otto@example.org")

	roles := func(id string) []mitreden.Role {
		t.Helper()
		u, err := acc.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return u.Roles
	}
	set := func(actor *mitreden.User, id string, r mitreden.Role, grant bool) error {
		_, err := acc.SetRole(ctx, actor, id, r, grant)
		return err
	}
	wantCode(t, "citizen grants", set(citizen, other.ID, mitreden.RoleCouncil, true), mitreden.EFORBIDDEN)
	wantCode(t, "citizen grants self admin", set(citizen, citizen.ID, mitreden.RoleAdmin, true), mitreden.EFORBIDDEN)
	wantCode(t, "moderator grants", set(mod, other.ID, mitreden.RoleModerator, true), mitreden.EFORBIDDEN)
	wantCode(t, "anonymous grants", set(nil, other.ID, mitreden.RoleCouncil, true), mitreden.EUNAUTHORIZED)
	if r := roles(other.ID); !reflect.DeepEqual(r, []mitreden.Role{mitreden.RoleCitizen}) {
		t.Fatalf("refused grants changed roles: %v", r)
	}
	// The only admin cannot give up the role: nobody could grant it again.
	err := set(admin, admin.ID, mitreden.RoleAdmin, false)
	wantCode(t, "last admin revokes self", err, mitreden.ECONFLICT)
	if e, _ := err.(*mitreden.Error); e == nil || e.Message != "account.last_admin" {
		t.Fatalf("last admin: %v, want the account.last_admin message", err)
	}
	if !slices.Contains(roles(admin.ID), mitreden.RoleAdmin) {
		t.Fatal("admin lost the role")
	}
	wantCode(t, "revoke citizen", set(admin, other.ID, mitreden.RoleCitizen, false), mitreden.EINVALID)
	wantCode(t, "grant citizen", set(admin, other.ID, mitreden.RoleCitizen, true), mitreden.EINVALID)
	wantCode(t, "unknown role", set(admin, other.ID, mitreden.Role("superuser"), true), mitreden.EINVALID)
	wantCode(t, "unknown user", set(admin, "000000000000000000000000", mitreden.RoleCouncil, true), mitreden.ENOTFOUND)

	got, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleModerator, true)
	if err != nil || !got.HasRole(mitreden.RoleModerator) {
		t.Fatalf("grant: %v %v", got, err)
	}
	if _, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleCouncil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleModerator, true); err != nil { // twice: no duplicate
		t.Fatal(err)
	}
	want := []mitreden.Role{mitreden.RoleCitizen, mitreden.RoleCouncil, mitreden.RoleModerator}
	if r := roles(other.ID); !reflect.DeepEqual(r, want) {
		t.Fatalf("roles %v, want %v", r, want)
	}
	if _, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleModerator, false); err != nil {
		t.Fatal(err)
	}
	if r := roles(other.ID); !reflect.DeepEqual(r, []mitreden.Role{mitreden.RoleCitizen, mitreden.RoleCouncil}) {
		t.Fatalf("after revoke: %v", r)
	}
	// An admin may revoke another admin, and the new admin can act.
	if _, err := acc.SetRole(ctx, admin, other.ID, mitreden.RoleAdmin, true); err != nil {
		t.Fatal(err)
	}
	promoted, _ := acc.User(ctx, other.ID)
	if _, err := acc.SetRole(ctx, promoted, admin.ID, mitreden.RoleAdmin, false); err != nil {
		t.Fatalf("revoke another admin: %v", err)
	}
	if slices.Contains(roles(admin.ID), mitreden.RoleAdmin) {
		t.Fatal("admin role not revoked")
	}
	// Now promoted is the last admin: neither they nor a stale admin
	// session of the former admin can take the role away.
	wantCode(t, "new last admin revokes self", set(promoted, promoted.ID, mitreden.RoleAdmin, false), mitreden.ECONFLICT)
	wantCode(t, "former admin revokes the last", set(admin, promoted.ID, mitreden.RoleAdmin, false), mitreden.ECONFLICT)
	if !slices.Contains(roles(promoted.ID), mitreden.RoleAdmin) {
		t.Fatal("the last admin lost the role")
	}
	// With a second admin, an admin may give up their own role.
	if _, err := acc.SetRole(ctx, promoted, admin.ID, mitreden.RoleAdmin, true); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.SetRole(ctx, promoted, promoted.ID, mitreden.RoleAdmin, false); err != nil {
		t.Fatalf("revoke own admin role while another admin is left: %v", err)
	}
	if slices.Contains(roles(promoted.ID), mitreden.RoleAdmin) || !slices.Contains(roles(admin.ID), mitreden.RoleAdmin) {
		t.Fatalf("after giving up the own role: %v, %v", roles(promoted.ID), roles(admin.ID))
	}
}

// TestRoles_AdminsRevokingEachOtherKeepOne lets two admins revoke each
// other at the same moment, many times: at least one admin is always left,
// though both counted two before either wrote.
func TestRoles_AdminsRevokingEachOtherKeepOne(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	a := mustUser(t, acc, "a@example.org", mitreden.RoleAdmin)
	b := mustUser(t, acc, "b@example.org", mitreden.RoleAdmin)
	for round := range 20 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]*mitreden.User{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = acc.SetRole(ctx, pair[0], pair[1].ID, mitreden.RoleAdmin, false)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && mitreden.ErrorCode(err) != mitreden.ECONFLICT {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		users, n, err := acc.ListUsers(ctx, a, mitreden.UserFilter{Role: mitreden.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("round %d: no admin left (errors %v)", round, errs)
		}
		// Make both admins again for the next round.
		for _, u := range []*mitreden.User{a, b} {
			if _, err := acc.SetRole(ctx, users[0], u.ID, mitreden.RoleAdmin, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRoles_ListUsersRequiresAdmin(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	admin := mustUser(t, acc, "adm@example.org", mitreden.RoleAdmin)
	citizen := mustUser(t, acc, "cit@example.org")
	mod := mustUser(t, acc, "mod@example.org", mitreden.RoleModerator, mitreden.RoleCouncil)
	for name, actor := range map[string]*mitreden.User{"citizen": citizen, "moderator": mod} {
		users, _, err := acc.ListUsers(ctx, actor, mitreden.UserFilter{})
		wantCode(t, name, err, mitreden.EFORBIDDEN)
		if users != nil {
			t.Fatalf("%s got users", name)
		}
	}
	_, _, err := acc.ListUsers(ctx, nil, mitreden.UserFilter{})
	wantCode(t, "anonymous", err, mitreden.EUNAUTHORIZED)
	users, total, err := acc.ListUsers(ctx, admin, mitreden.UserFilter{})
	if err != nil || total != 3 || len(users) != 3 {
		t.Fatalf("admin list: %d of %d, %v", len(users), total, err)
	}
}

// errorsAs is errors.As for domain errors (shared with the participation tests).
func errorsAs(err error, target **mitreden.Error) bool { return errors.As(err, target) }

// TestSessions_ChangePasswordThrottled checks that wrong current passwords
// count as failed logins of the account: after the limit, neither another
// try nor a login gets through until the window ends.
func TestSessions_ChangePasswordThrottled(t *testing.T) {
	acc, clk, _ := newAccounts(t, service.AccountsConfig{LoginMaxPerAccount: 3})
	ctx := context.Background()
	u := mustUser(t, acc, "tilo@example.org")
	cur := mustLogin(t, acc, "tilo@example.org")
	const next = "Neues Passwort am Rhein"
	for i := range 3 {
		wantCode(t, fmt.Sprintf("wrong current %d", i+1), acc.ChangePassword(ctx, u, cur.Session.ID, "geraten", next), mitreden.EINVALID)
	}
	err := acc.ChangePassword(ctx, u, cur.Session.ID, pw, next)
	wantCode(t, "after the limit, even the right password", err, mitreden.ERATELIMITED)
	var de *mitreden.Error
	if !errors.As(err, &de) || de.RetryAfter <= 0 {
		t.Fatalf("no Retry-After: %+v", err)
	}
	_, err = acc.Login(ctx, service.LoginInput{Email: "tilo@example.org", Password: pw})
	wantCode(t, "login of the same account", err, mitreden.ERATELIMITED)
	if _, err := acc.Login(ctx, service.LoginInput{Email: "other@example.org", Password: pw}); mitreden.ErrorCode(err) == mitreden.ERATELIMITED {
		t.Fatal("another account is throttled too")
	}
	clk.now = clk.now.Add(16 * time.Minute)
	if err := acc.ChangePassword(ctx, u, cur.Session.ID, pw, next); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestUpdateProfile_ChecksNameAndLanguage(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	u := mustUser(t, acc, "lena@example.org")
	str := func(s string) *string { return &s }
	_, err := acc.UpdateProfile(ctx, nil, mitreden.UserUpdate{DisplayName: str("Lena")})
	wantCode(t, "nil user", err, mitreden.EUNAUTHORIZED)
	for name, code := range map[string]string{"L": "length", "  ": "required", "Le\u202Ena": "chars", "Le\tna": "chars"} {
		_, err := acc.UpdateProfile(ctx, u, mitreden.UserUpdate{DisplayName: str(name)})
		de := domainErr(t, err, mitreden.EINVALID)
		if len(de.Fields) != 1 || de.Fields[0].Field != "display_name" || de.Fields[0].Code != code {
			t.Fatalf("name %q: %+v, want display_name/%s", name, de.Fields, code)
		}
	}
	_, err = acc.UpdateProfile(ctx, u, mitreden.UserUpdate{Language: str("fr")})
	domainErr(t, err, mitreden.EINVALID)
	got, err := acc.UpdateProfile(ctx, u, mitreden.UserUpdate{DisplayName: str("  Lena Wörth "), Language: str("en")})
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Lena Wörth" || got.Language != "en" {
		t.Fatalf("profile = %q/%q", got.DisplayName, got.Language)
	}
}

// TestLogin_ParallelGuessesStayWithinTheLimit fires many wrong passwords at
// one account at once: no more of them may be checked than the limit allows,
// and afterwards the right password is throttled too.
func TestLogin_ParallelGuessesStayWithinTheLimit(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{LoginMaxPerAccount: 5, LoginMaxPerIP: 1000})
	ctx := context.Background()
	mustUser(t, acc, "paula@example.org")
	var wg sync.WaitGroup
	var checked, throttled atomic.Int32
	for i := range 20 {
		wg.Go(func() {
			_, err := acc.Login(ctx, service.LoginInput{Email: "paula@example.org", Password: fmt.Sprintf("falsch geraten %d", i), IP: "192.0.2.7"})
			switch mitreden.ErrorCode(err) {
			case mitreden.EUNAUTHORIZED:
				checked.Add(1)
			case mitreden.ERATELIMITED:
				throttled.Add(1)
			default:
				t.Errorf("guess %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if checked.Load() > 5 || checked.Load()+throttled.Load() != 20 {
		t.Fatalf("%d guesses checked, %d throttled; at most 5 may be checked", checked.Load(), throttled.Load())
	}
	_, err := acc.Login(ctx, service.LoginInput{Email: "paula@example.org", Password: pw})
	wantCode(t, "right password after the guesses", err, mitreden.ERATELIMITED)
}

// TestLogin_SuccessGivesItsSlotBack checks that successful logins do not use
// up the allowance for failures.
func TestLogin_SuccessGivesItsSlotBack(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{LoginMaxPerAccount: 2, LoginMaxPerIP: 3})
	ctx := context.Background()
	mustUser(t, acc, "sven@example.org")
	for i := range 10 {
		if _, err := acc.Login(ctx, service.LoginInput{Email: "sven@example.org", Password: pw, IP: "192.0.2.8"}); err != nil {
			t.Fatalf("login %d: %v", i+1, err)
		}
	}
	_, err := acc.Login(ctx, service.LoginInput{Email: "sven@example.org", Password: "falsch geraten", IP: "192.0.2.8"})
	wantCode(t, "first failure", err, mitreden.EUNAUTHORIZED)
	if _, err := acc.Login(ctx, service.LoginInput{Email: "sven@example.org", Password: pw, IP: "192.0.2.8"}); err != nil {
		t.Fatalf("after one failure: %v", err)
	}
}
