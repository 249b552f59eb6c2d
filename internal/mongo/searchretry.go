package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// searchRetryDoc records a search document whose indexing failed; _id is the
// document id, so recording it twice keeps one record with the later time.
type searchRetryDoc struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// AddSearchRetries records docIDs for indexing again.
func (s *ParticipationStore) AddSearchRetries(ctx context.Context, docIDs ...string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	at := now()
	for _, id := range docIDs {
		_, err := s.db.C("search_retries").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: at}}}}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// SearchRetries returns up to limit records.
func (s *ParticipationStore) SearchRetries(ctx context.Context, limit int) ([]mitreden.SearchRetry, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("search_retries").Find(ctx, bson.D{}, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []searchRetryDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]mitreden.SearchRetry, len(docs))
	for i, d := range docs {
		out[i] = mitreden.SearchRetry{DocID: d.ID, At: d.At.UTC()}
	}
	return out, nil
}

// DeleteSearchRetries removes the records that were not recorded again
// since they were read (their time is unchanged).
func (s *ParticipationStore) DeleteSearchRetries(ctx context.Context, rs ...mitreden.SearchRetry) error {
	ctx, done := s.db.write(ctx)
	defer done()
	for _, r := range rs {
		_, err := s.db.C("search_retries").DeleteOne(ctx, bson.D{{Key: "_id", Value: r.DocID}, {Key: "at", Value: r.At}})
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}
