package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// AllVotes streams every vote's proposal and value: one pass over the
// votes for a recount of every tally (a query per proposal scans the whole
// collection each time in the embedded mode).
func (s *ParticipationStore) AllVotes(ctx context.Context, yield func(mitreden.VoteRecord) error) error {
	cur, err := s.db.C("votes").Find(ctx, bson.D{},
		options.Find().SetProjection(bson.D{{Key: "proposal_id", Value: 1}, {Key: "value", Value: 1}}))
	if err != nil {
		return mapErr(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d voteDoc
		if err := cur.Decode(&d); err != nil {
			return mapErr(err)
		}
		if err := yield(mitreden.VoteRecord{ProposalID: d.ProposalID, Value: d.Value}); err != nil {
			return err
		}
	}
	return mapErr(cur.Err())
}
