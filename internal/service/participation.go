package service

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Participation is the use case layer for consultations, proposals, votes and
// comments. Every write keeps the search index in step; a failed index call
// is logged and never fails the write (the index catches up by reindex).
type Participation struct {
	st     mitreden.ParticipationStore
	search mitreden.Searcher
	docs   *SearchDocs
	now    Clock
	log    *slog.Logger
	// Guards holds the posting limits and the link rule of new accounts
	// (guards.go); the server sets it, and nil limits nothing.
	Guards *Guards
	// deadBefore, when set, is when the counter writes of stopped
	// processes started at the latest (see CounterWritesDeadBefore).
	deadBefore atomic.Pointer[time.Time]
	// queue gathers documents whose counters changed (index_queue.go).
	queue indexQueue
	// mod is the moderation policy (moderation.go).
	mod ModerationConfig
	// users are the accounts moderation blocks (SetUsers).
	users mitreden.UserStore
	// targets resolve comment targets of other services (a published
	// recommendation) to the consultation-like context their rules need.
	targets map[string]CommentTarget
	// notes records the events of writes for notifications
	// (notify_fanout.go); nil records none.
	notes *Notifications
	// beforeRecount run first in every Recount (OnRecount).
	beforeRecount []func(context.Context) error
	// personOf names the person an author or voter id counts as (a
	// participant record linked to an account counts as the account);
	// linkedPeople maps every such id to its person, for a recount. Both
	// are set by NewAssisted; nil maps every id to itself.
	personOf     func(ctx context.Context, id string) string
	linkedPeople func(ctx context.Context) (map[string]string, error)
}

// CommentTarget resolves a comment target of another service to a
// consultation-like context whose phase, switches and title the comment
// rules and search documents use; its ID is "" (the comments belong to no
// consultation). ENOTFOUND when the target does not exist or is not
// public.
type CommentTarget func(ctx context.Context, id string) (*mitreden.Consultation, error)

// RegisterCommentTarget lets people comment on targets of targetType
// resolved by resolve; call before serving.
func (p *Participation) RegisterCommentTarget(targetType string, resolve CommentTarget) {
	if p.targets == nil {
		p.targets = map[string]CommentTarget{}
	}
	p.targets[targetType] = resolve
	p.docs.targets = p.targets
}

// NewParticipation wires the service; searcher may be nil.
func NewParticipation(st mitreden.ParticipationStore, searcher mitreden.Searcher, now Clock, log *slog.Logger) *Participation {
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	return &Participation{st: st, search: searcher, docs: NewSearchDocs(st, now), now: now, log: log}
}

// SearchDocs returns the builder of the search documents the service
// indexes, for a reindex and for other services that index the same items.
func (p *Participation) SearchDocs() *SearchDocs { return p.docs }

// CountSearchDocs counts what AllSearchDocs yields (items of a missing
// consultation or proposal aside), without reading it.
func (p *Participation) CountSearchDocs(ctx context.Context) (int, error) {
	return p.docs.Count(ctx)
}

// AllSearchDocs streams every searchable document from the store (reindex).
func (p *Participation) AllSearchDocs(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
	return p.docs.All(ctx, yield)
}

// Now returns the service clock (pages show phases with it).
func (p *Participation) Now() time.Time { return p.now() }
