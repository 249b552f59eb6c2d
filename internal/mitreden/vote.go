package mitreden

import "context"

// SupportVote is one support vote as the quota recount sees it: who spent a
// support in which consultation.
type SupportVote struct {
	ConsultationID, UserID string
}

// CounterRepairStore reads the records behind the denormalized consultation
// counters and per-user support quotas and repairs them. Every repair is a
// compare-and-set on one document, so a vote or comment arriving while a
// recount runs is never overwritten: the repair of that document is skipped
// and the next recount picks it up.
type CounterRepairStore interface {
	// AllSupportVotes streams every vote of value "support".
	AllSupportVotes(ctx context.Context, yield func(SupportVote) error) error
	// AllSupportQuotas streams every stored quota with the supports it counts as used.
	AllSupportQuotas(ctx context.Context, yield func(consultationID, userID string, used int) error) error
	// SetSupportQuota sets a user's used supports in a consultation to to,
	// if they still are from (a missing quota counts as 0).
	// Returns ECONFLICT when the quota changed meanwhile.
	SetSupportQuota(ctx context.Context, consultationID, userID string, from, to int) error
	// SetConsultationCounts sets the proposal and comment counters of a
	// consultation to the given values, if they still hold the previous ones.
	// Returns ECONFLICT when they changed meanwhile (or the consultation is gone).
	SetConsultationCounts(ctx context.Context, id string, fromProposals, fromComments, proposals, comments int) error
}
