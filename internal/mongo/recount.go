package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// AllVotes streams every vote's proposal and value: one pass over the
// votes for a recount of every tally (a query per proposal scans the whole
// collection each time in the embedded mode).
func (s *ParticipationStore) AllVotes(ctx context.Context, yield func(mitreden.VoteRecord) error) error {
	return streamFind(ctx, s.db, "votes", bson.D{}, bson.D{{Key: "proposal_id", Value: 1}, {Key: "value", Value: 1}},
		func(d *voteDoc) error { return yield(mitreden.VoteRecord{ProposalID: d.ProposalID, Value: d.Value}) })
}
