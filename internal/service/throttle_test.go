package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestLogin_ThrottledAcrossWindowBoundary fires ten wrong passwords within
// three seconds, five on either side of a 15-minute boundary: fixed windows
// let all ten reach the password check; the limit of five per 15 minutes
// refuses the second five, and names when the next attempt passes.
func TestLogin_ThrottledAcrossWindowBoundary(t *testing.T) {
	acc, clk, _ := newAccounts(t, service.AccountsConfig{})
	ctx := context.Background()
	mustUser(t, acc, "tom@example.org")
	boundary := t0.Add(15 * time.Minute)
	clk.now = boundary.Add(-1500 * time.Millisecond)
	first := clk.now
	checked := 0
	var last error
	for i := range 10 {
		_, last = acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: "wrong password!", IP: fmt.Sprintf("198.51.100.%d", i)})
		if mitreden.ErrorCode(last) == mitreden.EUNAUTHORIZED {
			checked++
		}
		clk.Advance(300 * time.Millisecond)
	}
	if checked != 5 {
		t.Fatalf("%d of 10 wrong passwords were checked within 3 s across a window boundary, want 5", checked)
	}
	de := domainErr(t, last, mitreden.ERATELIMITED)
	next := first.Add(3 * time.Minute) // one of five per 15 minutes comes back
	if until, _ := de.Args["until"].(time.Time); until.Before(next) || until.Sub(next) >= time.Minute {
		t.Fatalf("until %v, want the minute from which %v on", de.Args["until"], next)
	}
	if want := int(next.Sub(clk.now.Add(-300*time.Millisecond)).Seconds()) + 1; de.RetryAfter != want {
		t.Fatalf("RetryAfter %d, want %d", de.RetryAfter, want)
	}
	clk.now = next.Add(-time.Millisecond)
	_, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: pw, IP: "198.51.100.20"})
	wantCode(t, "just before the time named", err, mitreden.ERATELIMITED)
	clk.now = next
	if _, err := acc.Login(ctx, service.LoginInput{Email: "tom@example.org", Password: pw, IP: "198.51.100.20"}); err != nil {
		t.Fatalf("at the time named: %v", err)
	}
}

// TestRegister_ThrottledAcrossWindowBoundary does the same for
// registrations from one client.
func TestRegister_ThrottledAcrossWindowBoundary(t *testing.T) {
	acc, clk, _ := newAccounts(t, service.AccountsConfig{RegisterMaxPerIP: 3})
	ctx := context.Background()
	clk.now = t0.Add(15*time.Minute - time.Second)
	created := 0
	for i := range 6 {
		if err := acc.Register(ctx, service.RegisterInput{Email: fmt.Sprintf("b%d@example.org", i), DisplayName: fmt.Sprintf("Grenze %d", i), Password: pw}, "198.51.100.1"); err == nil {
			created++
		} else {
			wantCode(t, "registration", err, mitreden.ERATELIMITED)
		}
		clk.Advance(400 * time.Millisecond)
	}
	if created != 3 {
		t.Fatalf("%d of 6 registrations within 2.4 s across a window boundary, want 3", created)
	}
}
