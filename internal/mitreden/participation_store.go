package mitreden

// ParticipationStore is every store the participation service writes to,
// as one implementation provides them; wiring passes it whole, the service
// keeps each aggregate's store apart.
type ParticipationStore interface {
	ConsultationStore
	ProposalStore
	VoteStore
	CommentStore
	ModerationStore
	ContributionStore
	ParticipantStore
	SearchRetryStore
	SearchableCounter
}
