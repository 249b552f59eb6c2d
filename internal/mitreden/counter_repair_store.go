package mitreden

import (
	"context"
	"time"
)

// RecountStaleAfter is how long a counter write may be in flight before a
// recount takes it for the write of a process that died. A live write (mark,
// record, counter update) takes seconds at most; the clocks of the processes
// sharing a store must agree far better than this.
const RecountStaleAfter = 2 * time.Minute

// CountState is the bookkeeping that lets a recount repair a denormalized
// counter without multi-document transactions and without losing a write
// that arrives meanwhile. A write that changes a record the counter counts
// (a vote, a comment, a proposal) first marks the counter's document
// (Pending+1, Version+1, PendingAt raised to now) and ends with the counter
// update, which also takes Pending-1. A recount leaves a document with
// writes in flight alone, and repairs the others with a compare-and-set on
// the counters and the state it read: any write that started since changed
// Version, so the repair fails and the next recount takes it up.
type CountState struct {
	// Pending counts the counter writes in flight.
	Pending int
	// PendingAt is when the latest of them started, by the clock of the
	// process that started it.
	PendingAt time.Time
	// Version changes with every write that starts.
	Version int64
}

// Settled reports whether no counter write is in flight, or only writes
// that started before deadBefore, whose process must have died.
func (s CountState) Settled(deadBefore time.Time) bool {
	return s.Pending == 0 || s.PendingAt.Before(deadBefore)
}

// ProposalCounts are a proposal's denormalized counters as a recount reads
// and repairs them.
type ProposalCounts struct {
	ID       string
	Tally    Tally
	Comments int
	For      int
	Against  int
	Neutral  int
	State    CountState
}

// SameCounters reports whether p and o count the same.
func (p ProposalCounts) SameCounters(o ProposalCounts) bool {
	return p.Tally == o.Tally && p.Comments == o.Comments && p.For == o.For && p.Against == o.Against && p.Neutral == o.Neutral
}

// ConsultationCounts are a consultation's denormalized counters as a
// recount reads and repairs them.
type ConsultationCounts struct {
	ID        string
	Proposals int
	Comments  int
	State     CountState
}

// SupportVote is one support vote as the quota recount sees it: who spent a
// support in which consultation.
type SupportVote struct {
	ConsultationID, UserID string
}

// VoteRecord is one stored vote as a recount of tallies sees it.
type VoteRecord struct {
	ProposalID, Value string
}

// SupportQuota is a user's used supports in a consultation as the quota
// recount reads them. A quota moves before its vote record does (a support
// is reserved before the vote is stored, and a vote's quota is touched
// before the vote is deleted), so ChangedAt tells whether a vote record may
// still follow.
type SupportQuota struct {
	ConsultationID, UserID string
	Used                   int
	// ChangedAt is when the quota last moved, by the clock of the process
	// that moved it; Version changes with every move.
	ChangedAt time.Time
	Version   int64
}

// CounterRepairStore reads the records behind the denormalized consultation
// counters and per-user support quotas and repairs them. Every repair is a
// compare-and-set on one document, so a vote or comment arriving while a
// recount runs is never overwritten: the repair of that document fails with
// ECONFLICT and the next recount picks it up. Besides the codes named per
// method, every method returns EUNAVAILABLE when the store cannot be reached
// in time and EINTERNAL for anything unexpected.
type CounterRepairStore interface {
	// AllConsultationCounts streams every consultation's counters with
	// their state and returns the first error yield returns.
	AllConsultationCounts(ctx context.Context, yield func(ConsultationCounts) error) error
	// SetConsultationCounts sets the proposal and comment counters of
	// from.ID to proposals and comments and ends the writes in flight, if
	// counters and state are still those of from. Returns ECONFLICT when
	// they changed meanwhile (or the consultation is gone).
	SetConsultationCounts(ctx context.Context, from ConsultationCounts, proposals, comments int) error
	// AllVotes streams every vote record, for a recount of all tallies in
	// one pass over the votes.
	AllVotes(ctx context.Context, yield func(VoteRecord) error) error
	// AllSupportVotes streams every vote of value "support".
	AllSupportVotes(ctx context.Context, yield func(SupportVote) error) error
	// AllSupportQuotas streams every stored quota.
	AllSupportQuotas(ctx context.Context, yield func(SupportQuota) error) error
	// SetSupportQuota sets a user's used supports in a consultation to
	// used, if the quota is still from (a missing quota counts as 0 used).
	// Returns ECONFLICT when the quota moved meanwhile.
	SetSupportQuota(ctx context.Context, from SupportQuota, used int) error
}
