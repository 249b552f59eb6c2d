package mitreden

// The allowed values of inputs, named once so that validation tags, forms and
// the rules all draw on the same lists.

// VotingModes lists the voting modes of a consultation.
var VotingModes = []string{VotingSupport, VotingRating}

// Vote values of a proposal vote.
const (
	VoteSupport = "support"
	VoteYes     = "yes"
	VoteNo      = "no"
	VoteAbstain = "abstain"
)

// VoteValues lists every vote value; VoteValuesOf narrows it to a mode.
var VoteValues = []string{VoteSupport, VoteYes, VoteNo, VoteAbstain}

// VoteValuesOf returns the values a vote may take in a voting mode.
func VoteValuesOf(mode string) []string {
	if mode == VotingRating {
		return []string{VoteYes, VoteNo, VoteAbstain}
	}
	return []string{VoteSupport}
}

// CommentVoteValues are a comment vote's values: up, down, and 0 to take it back.
var CommentVoteValues = []int{1, -1, 0}

// Comment target types.
const (
	TargetProposal     = "proposal"
	TargetConsultation = "consultation"
	// TargetRecommendation is a published recommendation of the council,
	// which citizens discuss like a consultation. Its comments belong to no
	// consultation (ConsultationID "").
	TargetRecommendation = "recommendation"
)
