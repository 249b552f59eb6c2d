package mitreden

import "context"

// ProposalStore persists proposals with their denormalized counters. Every
// write is one atomic single-document operation. Besides the codes named per
// method, every method returns EUNAVAILABLE when the store cannot be reached
// in time and EINTERNAL for anything unexpected.
type ProposalStore interface {
	// CreateProposal inserts p and sets its ID (and CreatedAt when zero).
	// It starts a counter write on p's consultation (see CountState), which
	// the caller ends with ConsultationStore.IncConsultationCounts.
	CreateProposal(ctx context.Context, p *Proposal) error
	// FindProposal returns the proposal with id; ENOTFOUND when there is
	// none (or id is malformed).
	FindProposal(ctx context.Context, id string) (*Proposal, error)
	// UpdateProposalContent changes title, body and topics only while p's
	// author still owns a submitted proposal without votes and comments;
	// ECONFLICT ("proposal.edit_locked") otherwise, also when it is gone.
	UpdateProposalContent(ctx context.Context, p *Proposal) error
	// SetProposalStatus stores status and the official answer fields; a
	// missing proposal is no error (ENOTFOUND only for a malformed id).
	SetProposalStatus(ctx context.Context, p *Proposal) error
	// ListProposals returns one page of a consultation's proposals in the
	// order f.Sort names and how many match in all.
	ListProposals(ctx context.Context, f ProposalFilter) ([]*Proposal, int, error)
	// IncProposalCounts adds to the tally and the comment counters (the
	// alignment counter named by alignment moves with comments) and ends
	// one counter write in flight (see CountState): it completes a vote or
	// comment record write of VoteStore or CommentStore, which started it.
	// With none in flight (bulk seeding) it moves the counters alone.
	// A missing proposal is no error (ENOTFOUND only for a malformed id).
	IncProposalCounts(ctx context.Context, id string, tally Tally, comments int, alignment string) error
	// ProposalCounts returns the counters of the proposal with their
	// state, for a recount; ENOTFOUND when there is none.
	ProposalCounts(ctx context.Context, id string) (ProposalCounts, error)
	// SetProposalCounts sets the counters of from.ID to to's and ends the
	// writes in flight, if counters and state are still those of from
	// (recount). Returns ECONFLICT when they changed meanwhile (or the
	// proposal is gone).
	SetProposalCounts(ctx context.Context, from, to ProposalCounts) error
	// AllProposals streams every proposal to yield and returns the first
	// error yield returns.
	AllProposals(ctx context.Context, yield func(*Proposal) error) error
	// StaleHTMLProposals returns the ids of the proposals whose
	// HTMLVersion is not version: their HTML is missing or an older
	// renderer made it.
	StaleHTMLProposals(ctx context.Context, version int) ([]string, error)
	// SetProposalHTML stores p's BodyHTML, AnswerHTML and HTMLVersion if
	// p's Body and Answer are still the stored ones; ECONFLICT when they
	// changed meanwhile or the proposal is gone, ENOTFOUND for a malformed
	// id.
	SetProposalHTML(ctx context.Context, p *Proposal) error
}
