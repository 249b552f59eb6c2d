package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// SetConsultationCounts overwrites the denormalized counters of a
// consultation, conditioned on their previous values so that a proposal or
// comment counted meanwhile is not lost.
func (s *ParticipationStore) SetConsultationCounts(ctx context.Context, id string, fromProposals, fromComments, proposals, comments int) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("consultations").UpdateOne(ctx,
		bson.D{{Key: "_id", Value: o}, {Key: "proposal_count", Value: fromProposals}, {Key: "comment_count", Value: fromComments}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "proposal_count", Value: proposals}, {Key: "comment_count", Value: comments}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "recount.changed_concurrently"}
	}
	return nil
}
