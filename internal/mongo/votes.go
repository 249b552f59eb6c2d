package mongo

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

var _ mitreden.CounterRepairStore = (*ParticipationStore)(nil)

// quotaDoc is the per-user, per-consultation support quota that
// ReserveSupport increments conditionally; its _id is "consultation:user".
type quotaDoc struct {
	ID   string `bson:"_id"`
	Used int    `bson:"used"`
}

// AllSupportVotes streams every support vote. Like the other full scans it
// runs under the caller's context only: a recount over a large store takes
// longer than the per-call timeout.
func (s *ParticipationStore) AllSupportVotes(ctx context.Context, yield func(mitreden.SupportVote) error) error {
	cur, err := s.db.C("votes").Find(ctx, bson.D{{Key: "value", Value: "support"}},
		options.Find().SetProjection(bson.D{{Key: "consultation_id", Value: 1}, {Key: "user_id", Value: 1}}))
	if err != nil {
		return mapErr(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d voteDoc
		if err := cur.Decode(&d); err != nil {
			return mapErr(err)
		}
		if err := yield(mitreden.SupportVote{ConsultationID: d.ConsultationID, UserID: d.UserID}); err != nil {
			return err
		}
	}
	return mapErr(cur.Err())
}

// AllSupportQuotas streams every stored support quota.
func (s *ParticipationStore) AllSupportQuotas(ctx context.Context, yield func(consultationID, userID string, used int) error) error {
	cur, err := s.db.C("support_quota").Find(ctx, bson.D{})
	if err != nil {
		return mapErr(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d quotaDoc
		if err := cur.Decode(&d); err != nil {
			return mapErr(err)
		}
		cid, uid, ok := strings.Cut(d.ID, ":")
		if !ok {
			continue
		}
		if err := yield(cid, uid, d.Used); err != nil {
			return err
		}
	}
	return mapErr(cur.Err())
}

// SetSupportQuota moves a quota from from to to in one conditional upsert:
// when the stored value differs the filter misses and the upsert collides
// with the existing _id, which is reported as ECONFLICT.
func (s *ParticipationStore) SetSupportQuota(ctx context.Context, consultationID, userID string, from, to int) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("support_quota").UpdateOne(ctx,
		bson.D{{Key: "_id", Value: consultationID + ":" + userID}, {Key: "used", Value: from}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used", Value: to}}}}, options.UpdateOne().SetUpsert(true))
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "recount.changed_concurrently", Err: err}
	}
	return err
}
