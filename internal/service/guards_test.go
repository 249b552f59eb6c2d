package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

// guardsEnv is a Guards on the real store with an injected clock.
type guardsEnv struct {
	g   *service.Guards
	clk *fakeClock
	n   int
}

func newGuards(t *testing.T, cfg service.GuardsConfig) *guardsEnv {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	g := service.NewGuards(mongotest.MustOpenDB(t).Counters(), cfg, clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &guardsEnv{g: g, clk: clk}
}

// aged returns a new user whose account is age old.
func (e *guardsEnv) aged(age time.Duration) *mitreden.User {
	e.n++
	return &mitreden.User{ID: fmt.Sprintf("g%03d", e.n), DisplayName: fmt.Sprintf("Person %d", e.n), CreatedAt: e.clk.now.Add(-age)}
}

func (e *guardsEnv) comment(u *mitreden.User, body string) error {
	return e.g.Comment(context.Background(), u, body)
}

func (e *guardsEnv) propose(u *mitreden.User, body string) error {
	return e.g.Proposal(context.Background(), u, body)
}

// wantLimited checks an ERATELIMITED error: its message, the seconds until
// the next attempt passes, and the minute it names.
func wantLimited(t *testing.T, err error, msg string, now time.Time, wait time.Duration) {
	t.Helper()
	de := domainErr(t, err, mitreden.ERATELIMITED)
	if de.Message != msg {
		t.Fatalf("message %q, want %q", de.Message, msg)
	}
	if want := int((wait + time.Second - 1) / time.Second); de.RetryAfter != want {
		t.Fatalf("RetryAfter %d, want %d", de.RetryAfter, want)
	}
	next := now.Add(wait)
	if until, _ := de.Args["until"].(time.Time); until.Before(next) || until.Sub(next) >= time.Minute {
		t.Fatalf("until %v, want the minute from which %v on", de.Args["until"], next)
	}
}

// links returns a text with n links, written every way Markdown links.
func links(n int) string {
	var b strings.Builder
	b.WriteString("Quellen:")
	for i := range n {
		fmt.Fprintf(&b, " "+[]string{"https://a.de/%d", "www.b.de/%d", "<http://c.de/%d>", "[Quelle](https://d.de/%d)"}[i%4], i)
	}
	return b.String()
}

func TestGuards_CommentsPerMinute(t *testing.T) {
	e := newGuards(t, service.GuardsConfig{})
	u := e.aged(30 * 24 * time.Hour)
	for i := range 5 {
		if err := e.comment(u, fmt.Sprintf("Kommentar %d", i)); err != nil {
			t.Fatalf("comment %d of 5: %v", i+1, err)
		}
	}
	// Five per minute: the next one is free 12 seconds after the first.
	e.clk.Advance(2 * time.Second)
	wantLimited(t, e.comment(u, "Einer zu viel"), "guard.comment_rate_limited", e.clk.now, 10*time.Second)
	if err := e.comment(e.aged(30*24*time.Hour), "Jemand anderes"); err != nil {
		t.Fatalf("another user: %v", err)
	}
	e.clk.Advance(10*time.Second - time.Millisecond)
	wantCode(t, "just before the time named", e.comment(u, "Noch nicht"), mitreden.ERATELIMITED)
	e.clk.Advance(time.Millisecond)
	if err := e.comment(u, "Jetzt wieder"); err != nil {
		t.Fatalf("at the time named: %v", err)
	}
}

// TestGuards_CommentsAcrossMinuteBoundary fires ten comments within a
// second around the turn of a minute: five pass.
func TestGuards_CommentsAcrossMinuteBoundary(t *testing.T) {
	e := newGuards(t, service.GuardsConfig{})
	u := e.aged(30 * 24 * time.Hour)
	e.clk.now = e.clk.now.Truncate(time.Minute).Add(time.Minute - 500*time.Millisecond)
	passed := 0
	for i := range 10 {
		if err := e.comment(u, fmt.Sprintf("Kommentar %d", i)); err == nil {
			passed++
		} else {
			wantCode(t, "comment", err, mitreden.ERATELIMITED)
		}
		e.clk.Advance(100 * time.Millisecond)
	}
	if passed != 5 {
		t.Fatalf("%d of 10 comments passed within a second, want 5", passed)
	}
}

func TestGuards_ProposalsPerDay(t *testing.T) {
	e := newGuards(t, service.GuardsConfig{})
	u := e.aged(30 * 24 * time.Hour)
	for i := range 10 {
		if err := e.propose(u, "Ein Vorschlag."); err != nil {
			t.Fatalf("proposal %d of 10: %v", i+1, err)
		}
	}
	// Ten per day: one comes back every 2.4 hours.
	wantLimited(t, e.propose(u, "Einer zu viel."), "guard.proposal_rate_limited", e.clk.now, 144*time.Minute)
	e.clk.Advance(144 * time.Minute)
	if err := e.propose(u, "Ein Vorschlag."); err != nil {
		t.Fatalf("at the time named: %v", err)
	}
	wantCode(t, "right after", e.propose(u, "Ein Vorschlag."), mitreden.ERATELIMITED)
	// Comments count apart from proposals.
	if err := e.comment(u, "Ein Kommentar."); err != nil {
		t.Fatalf("a comment: %v", err)
	}
}

// TestGuards_NewAccountsPostHalf checks the allowances of an account
// younger than a day: half, rounded up, at least one; the full rate's pace
// once it is a day old.
func TestGuards_NewAccountsPostHalf(t *testing.T) {
	for _, tc := range []struct {
		cfg                 service.GuardsConfig
		comments, proposals int
		// full is the interval of a proposal at the full rate.
		full time.Duration
	}{
		{service.GuardsConfig{}, 3, 5, 144 * time.Minute},
		{service.GuardsConfig{CommentMaxPerMinute: 1, ProposalMaxPerDay: 4}, 1, 2, 6 * time.Hour},
	} {
		e := newGuards(t, tc.cfg)
		start := e.clk.now
		u := e.aged(23 * time.Hour)
		for i := range tc.comments {
			if err := e.comment(u, fmt.Sprintf("Kommentar %d", i)); err != nil {
				t.Fatalf("%+v: comment %d of %d: %v", tc.cfg, i+1, tc.comments, err)
			}
		}
		de := domainErr(t, e.comment(u, "Einer zu viel"), mitreden.ERATELIMITED)
		if de.Args["max"] != tc.comments {
			t.Fatalf("%+v: the refusal names %v a minute, want %d", tc.cfg, de.Args["max"], tc.comments)
		}
		for i := range tc.proposals {
			if err := e.propose(u, "Ein Vorschlag."); err != nil {
				t.Fatalf("%+v: proposal %d of %d: %v", tc.cfg, i+1, tc.proposals, err)
			}
		}
		wantCode(t, "proposal beyond half", e.propose(u, "Ein Vorschlag."), mitreden.ERATELIMITED)
		// A day old, the full rate's pace: the next proposal passes one
		// full interval after the first, not half a day's share later.
		e.clk.now = start.Add(tc.full - time.Second)
		wantCode(t, "before the full interval", e.propose(u, "Ein Vorschlag."), mitreden.ERATELIMITED)
		e.clk.now = start.Add(tc.full)
		if err := e.propose(u, "Ein Vorschlag."); err != nil {
			t.Fatalf("%+v: a day old, one full interval on: %v", tc.cfg, err)
		}
	}
}

func TestGuards_LinksOfNewAccounts(t *testing.T) {
	e := newGuards(t, service.GuardsConfig{})
	fresh := e.aged(6 * 24 * time.Hour)
	if err := e.comment(fresh, links(3)); err != nil {
		t.Fatalf("three links: %v", err)
	}
	for name, err := range map[string]error{
		"comment":  e.comment(fresh, links(4)),
		"proposal": e.propose(fresh, links(4)),
		"edit":     e.g.Links(fresh, links(4)),
	} {
		de := domainErr(t, err, mitreden.EINVALID)
		if len(de.Fields) != 1 || de.Fields[0].Field != "body" || de.Fields[0].Code != "links" || de.Fields[0].Message != "validation.too_many_links" ||
			de.Fields[0].Args["max"] != 3 || de.Fields[0].Args["count"] != 4 {
			t.Fatalf("%s with four links: %+v", name, de.Fields)
		}
		if until, _ := de.Fields[0].Args["until"].(time.Time); !until.Equal(fresh.CreatedAt.Add(7 * 24 * time.Hour)) {
			t.Fatalf("%s: free of the rule from %v", name, de.Fields[0].Args["until"])
		}
	}
	// Links in code are no links.
	if err := e.comment(fresh, "```\n"+links(8)+"\n```"); err != nil {
		t.Fatalf("links in code: %v", err)
	}
	// The refusals used up nothing of the posting limit: of five per
	// minute, two comments passed, three are left.
	for i := range 3 {
		if err := e.comment(fresh, fmt.Sprintf("Kommentar %d", i)); err != nil {
			t.Fatalf("comment %d after the refusals: %v", i+3, err)
		}
	}
	wantCode(t, "sixth comment", e.comment(fresh, "Kommentar 6"), mitreden.ERATELIMITED)
	// A week old, any number.
	if err := e.comment(e.aged(7*24*time.Hour), links(12)); err != nil {
		t.Fatalf("a week old: %v", err)
	}
}

func TestGuards_WritesPerIP(t *testing.T) {
	e := newGuards(t, service.GuardsConfig{WriteMaxPerIP: 3})
	ctx := context.Background()
	now := e.clk.now
	// One /64 is one client.
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a:b:c:d"} {
		if err := e.g.Write(ctx, ip); err != nil {
			t.Fatalf("%s: %v", ip, err)
		}
	}
	wantLimited(t, e.g.Write(ctx, "2001:db8:1:2::ffff"), "guard.write_rate_limited", now, 20*time.Second)
	if err := e.g.Write(ctx, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("the next /64: %v", err)
	}
	e.clk.Advance(20 * time.Second)
	if err := e.g.Write(ctx, "2001:db8:1:2::1"); err != nil {
		t.Fatalf("at the time named: %v", err)
	}
}

func TestGuards_DefaultsAndNil(t *testing.T) {
	g := service.NewGuards(nil, service.GuardsConfig{}, nil, nil)
	if c := g.Config(); c.CommentMaxPerMinute != 5 || c.ProposalMaxPerDay != 10 || c.WriteMaxPerIP != 100 {
		t.Fatalf("defaults %+v", c)
	}
	var none *service.Guards
	u := &mitreden.User{ID: "u", CreatedAt: time.Now()}
	if none.Comment(context.Background(), u, links(9)) != nil || none.Write(context.Background(), "192.0.2.1") != nil {
		t.Fatal("nil guards refused")
	}
}
