package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// GuardsConfig holds the automatic limits on writing. Zero fields take
// defaults. Operators raise them for a load test (scripts/bench.sh).
type GuardsConfig struct {
	CommentMaxPerMinute int // comments and replies per user and minute, default 5
	ProposalMaxPerDay   int // proposals per user and day, default 10
	WriteMaxPerIP       int // unsafe requests per client IP (IPv6: per /64) and minute, default 100
}

func (c *GuardsConfig) defaults() {
	if c.CommentMaxPerMinute <= 0 {
		c.CommentMaxPerMinute = 5
	}
	if c.ProposalMaxPerDay <= 0 {
		c.ProposalMaxPerDay = 10
	}
	if c.WriteMaxPerIP <= 0 {
		c.WriteMaxPerIP = 100
	}
}

const (
	// NewAccountAge is the age below which an account posts at half the
	// rate: a throwaway account made for a flood gets less out of it.
	NewAccountAge = 24 * time.Hour
	// LinkProbation is the age below which an account may put at most
	// MaxLinksOnProbation links into a contribution, the usual spam.
	LinkProbation = 7 * 24 * time.Hour
	// MaxLinksOnProbation is how many links a contribution of an account
	// on probation may hold.
	MaxLinksOnProbation = 3
)

// Guards are the automatic limits on writing: posting limits per user
// (comments per minute, proposals per day, half for new accounts), the
// links a new account may post, and the writes per client IP. Every count
// lives in the store (mitreden.CounterStore), so all instances share it,
// and is a token bucket: a limit of N per period lets N through at once and
// then one more every period/N, with no window boundary to straddle.
//
// The methods of a nil *Guards allow everything, for tests of other rules.
type Guards struct {
	counters mitreden.CounterStore
	cfg      GuardsConfig
	now      Clock
	log      *slog.Logger
}

// NewGuards wires the limits.
func NewGuards(counters mitreden.CounterStore, cfg GuardsConfig, now Clock, log *slog.Logger) *Guards {
	cfg.defaults()
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	return &Guards{counters: counters, cfg: cfg, now: now, log: log}
}

// Config returns the effective limits.
func (g *Guards) Config() GuardsConfig { return g.cfg }

// Proposal admits a new proposal of actor with text body: EINVALID on body
// when a new account puts too many links into it (Links), ERATELIMITED
// when actor used up the proposals of the day, with when the next passes.
func (g *Guards) Proposal(ctx context.Context, actor *mitreden.User, body string) error {
	if g == nil || actor == nil {
		return nil
	}
	if err := g.Links(actor, body); err != nil {
		return err
	}
	r := mitreden.Rate{Max: g.userMax(actor, g.cfg.ProposalMaxPerDay), Per: 24 * time.Hour}
	return g.take(ctx, "post:proposal:"+actor.ID, r, "guard.proposal_rate_limited", "user_id", actor.ID)
}

// Comment admits a new comment or reply of actor with text body, like
// Proposal, against the comments per minute.
func (g *Guards) Comment(ctx context.Context, actor *mitreden.User, body string) error {
	if g == nil || actor == nil {
		return nil
	}
	if err := g.Links(actor, body); err != nil {
		return err
	}
	r := mitreden.Rate{Max: g.userMax(actor, g.cfg.CommentMaxPerMinute), Per: time.Minute}
	return g.take(ctx, "post:comment:"+actor.ID, r, "guard.comment_rate_limited", "user_id", actor.ID)
}

// Links refuses a text of an account younger than LinkProbation with more
// than MaxLinksOnProbation links (as Markdown makes them, bare addresses
// included) with EINVALID on body, saying from when the account is free of
// the rule. New texts and edits alike pass through it.
func (g *Guards) Links(actor *mitreden.User, body string) error {
	if g == nil || actor == nil || actor.CreatedAt.IsZero() {
		return nil
	}
	free := actor.CreatedAt.Add(LinkProbation)
	if !g.now().Before(free) {
		return nil
	}
	if n := markdown.Links(body); n > MaxLinksOnProbation {
		return mitreden.Invalid(mitreden.FieldError{Field: "body", Code: "links", Message: "validation.too_many_links",
			Args: map[string]any{"max": MaxLinksOnProbation, "count": n, "until": ceilMinute(free)}})
	}
	return nil
}

// Write admits one unsafe request (a form post, an API write) from the
// client ip, counted per ClientKey: ERATELIMITED with when the next passes
// once the writes per minute are used up.
func (g *Guards) Write(ctx context.Context, ip string) error {
	if g == nil || ip == "" {
		return nil
	}
	r := mitreden.Rate{Max: g.cfg.WriteMaxPerIP, Per: time.Minute}
	// No address in the log: the privacy notice promises them for logins only.
	return g.take(ctx, "write:ip:"+ClientKey(ip), r, "guard.write_rate_limited")
}

// userMax is the allowance of a user: max, or half of it (rounded up, at
// least one) for an account younger than NewAccountAge.
func (g *Guards) userMax(u *mitreden.User, max int) int {
	if !u.CreatedAt.IsZero() && g.now().Sub(u.CreatedAt) < NewAccountAge {
		return (max + 1) / 2
	}
	return max
}

// take counts one event of key against r, or answers ERATELIMITED with the
// message msg, naming the allowance, when it is used up.
func (g *Guards) take(ctx context.Context, key string, r mitreden.Rate, msg string, who ...any) error {
	now := g.now()
	ok, retry, err := g.counters.Take(ctx, key, r, now)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	g.log.Warn("write throttled", append([]any{"limit", msg, "retry", retry}, who...)...)
	e := rateLimited(msg, now, retry)
	e.Args["max"] = r.Max
	return e
}
