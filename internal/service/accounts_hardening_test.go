package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

func TestRegister_DisplayNameOfAnotherAccountIsRefused(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	reg := func(email, name string) error {
		err := acc.Register(ctx, service.RegisterInput{Email: email, DisplayName: name, Password: pw}, "")
		return err
	}
	if err := reg("admin@example.org", "Demo-Administration"); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Demo-Administration", " demo-administration ", "DEMO-ADMINISTRATION",
		"Demo-\u0410dministration", "Dem\u043E-Administrati\u043En", "Dem0-Administration", "Demo-Administration\uFE0F"} {
		de := domainErr(t, reg(fmt.Sprintf("fake%d@example.org", i), name), mitreden.ECONFLICT)
		if len(de.Fields) != 1 || de.Fields[0].Field != "display_name" || de.Fields[0].Message != "validation.display_name_taken" {
			t.Errorf("%q: fields %+v, want display_name taken", name, de.Fields)
		}
		if _, err := acc.FindUserByEmail(ctx, fmt.Sprintf("fake%d@example.org", i)); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("%q: the account was created: %v", name, err)
		}
	}
	if err := reg("ada@example.org", "Ada"); err != nil {
		t.Fatal(err)
	}
	ada, _ := acc.FindUserByEmail(ctx, "ada@example.org")
	name := "demo-\u0430dministration"
	_, err := acc.UpdateProfile(ctx, ada, mitreden.UserUpdate{DisplayName: &name})
	if de := domainErr(t, err, mitreden.ECONFLICT); len(de.Fields) != 1 || de.Fields[0].Message != "validation.display_name_taken" {
		t.Fatalf("rename: %+v", de.Fields)
	}
}

func TestRegister_NamesThatRenderBlankAreRefused(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	for i, tc := range []struct{ name, code string }{
		{"\u3164\u3164", "chars"},
		{"\u115F\u1160\u115F", "chars"},
		{"\uFFA0\uFFA0", "chars"},
		{"\u2800\u2800\u2800", "chars"},
		{"Anna\u3164", "chars"},
		{"\u0300\u0301\u0302", "blank"},
		{"\u3000\u2003\u00A0", "required"},
	} {
		err := acc.Register(ctx, service.RegisterInput{Email: fmt.Sprintf("b%d@example.org", i), DisplayName: tc.name, Password: pw}, "")
		de := domainErr(t, err, mitreden.EINVALID)
		if len(de.Fields) != 1 || de.Fields[0].Field != "display_name" || de.Fields[0].Code != tc.code {
			t.Errorf("%q: %+v, want display_name/%s", tc.name, de.Fields, tc.code)
		}
	}
}

// TestSessions_ActivePersonStaysLoggedInAtTheShortestIdle sets the idle
// timeout as low as the settings allow (1 s) and sends requests with pauses
// just under it, in bursts too: none may end the session, although
// activity is not written on every request. A real pause ends it.
func TestSessions_ActivePersonStaysLoggedInAtTheShortestIdle(t *testing.T) {
	acc, clk, db := newAccounts(t, service.AccountsConfig{SessionIdle: time.Second})
	if got := acc.Config().TouchEvery; got != 250*time.Millisecond {
		t.Fatalf("touch every %s, want a quarter of the idle timeout", got)
	}
	ctx := context.Background()
	mustUser(t, acc, "ida@example.org")
	l := mustLogin(t, acc, "ida@example.org")
	pauses := []time.Duration{999, 10, 240, 999, 1, 1, 249, 998, 500, 260, 999, 100, 100, 100, 999}
	writes := 0
	last := l.Session.LastSeenAt
	for round := range 4 {
		for i, p := range pauses {
			clk.Advance(p * time.Millisecond)
			if _, _, err := acc.Authenticate(ctx, l.Token); err != nil {
				t.Fatalf("round %d, request %d after a pause of %d ms: %v", round, i, p, err)
			}
			s, err := db.Sessions().FindSession(ctx, l.Session.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !s.LastSeenAt.Equal(last) {
				writes++
				last = s.LastSeenAt
			}
		}
	}
	if n := 4 * len(pauses); writes >= n {
		t.Errorf("%d writes for %d requests: activity is written on every request", writes, n)
	}
	clk.Advance(1250 * time.Millisecond)
	wantCode(t, "after a real pause", func() error { _, _, err := acc.Authenticate(ctx, l.Token); return err }(), mitreden.EUNAUTHORIZED)
}

func TestLogin_ThrottledPerIPv6Prefix(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{LoginMaxPerIP: 3, LoginMaxPerAccount: 100})
	ctx := context.Background()
	mustUser(t, acc, "tom@example.org")
	login := func(password, ip string) error {
		_, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: password, IP: ip})
		return err
	}
	// Three failures from three addresses of one /64 use up its allowance.
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a:b:c:d"} {
		wantCode(t, ip, login("wrong password!", ip), mitreden.EUNAUTHORIZED)
	}
	wantCode(t, "a fourth address of the /64", login(pw, "2001:db8:1:2:ffff:ffff:ffff:ffff"), mitreden.ERATELIMITED)
	if err := login(pw, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("the next /64: %v", err)
	}
	// IPv4 counts per address, and an IPv4-mapped IPv6 address as its IPv4 address.
	for _, ip := range []string{"192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7"} {
		wantCode(t, ip, login("wrong password!", ip), mitreden.EUNAUTHORIZED)
	}
	wantCode(t, "mapped address after three", login(pw, "::ffff:192.0.2.7"), mitreden.ERATELIMITED)
	if err := login(pw, "192.0.2.8"); err != nil {
		t.Fatalf("the next IPv4 address: %v", err)
	}
}

func TestRegister_ThrottledPerIPv6Prefix(t *testing.T) {
	acc, _, _ := newAccounts(t, service.AccountsConfig{RegisterMaxPerIP: 2})
	ctx := context.Background()
	reg := func(i int, ip string) error {
		err := acc.Register(ctx, service.RegisterInput{Email: fmt.Sprintf("r%d@example.org", i), DisplayName: fmt.Sprintf("Neu %d", i), Password: pw}, ip)
		return err
	}
	for i, ip := range []string{"2001:db8::1", "2001:db8::2"} {
		if err := reg(i, ip); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "third address of the /64", reg(2, "2001:db8::3"), mitreden.ERATELIMITED)
	if err := reg(3, "2001:db8:0:1::3"); err != nil {
		t.Fatalf("the next /64: %v", err)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                     "192.0.2.1",
		"::ffff:192.0.2.1":              "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":          "2001:db8:1:2::/64",
		"2001:DB8:1:2::":                "2001:db8:1:2::/64",
		"fe80::1%eth0":                  "fe80::/64",
		"::1":                           "::/64",
		"not an address":                "not an address",
		"2001:db8:1:2:ffff:ffff:ffff:1": "2001:db8:1:2::/64",
	} {
		if got := service.ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}
