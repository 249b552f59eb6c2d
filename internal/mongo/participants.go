package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Participants keep two collections: participants (one document per person
// and consultation, its _id made of both, so the unique _id enforces "counted
// once") and participant_counts (one counter per consultation, its _id the
// consultation's). Both are read by _id only, so neither needs an index
// beyond _id, and the embedded engine answers both from memory.

func init() {
	Collections = append(Collections, "participants", "participant_counts")
}

type participantDoc struct {
	ID             string    `bson:"_id"` // consultation:user
	ConsultationID string    `bson:"consultation_id"`
	UserID         string    `bson:"user_id"`
	AddedAt        time.Time `bson:"added_at,omitempty"`
}

type participantCountDoc struct {
	ID  string `bson:"_id"` // the consultation's id
	N   int    `bson:"n"`
	Ver int64  `bson:"ver"`
}

// participantsBackfilledID is the _id of the marker document in
// participant_counts; no consultation has it (their ids are ObjectIDs).
const participantsBackfilledID = "backfilled"

// participantInsertBatch bounds one InsertMany of InsertParticipants.
const participantInsertBatch = 1000

func participantID(consultationID, userID string) string { return consultationID + ":" + userID }

// AddParticipant looks the record up by _id (from memory in the embedded
// mode, known absences included) and writes only when it is missing: the
// insert, then the counter's upsert, which only the call whose insert
// succeeded makes.
func (s *ParticipationStore) AddParticipant(ctx context.Context, consultationID, userID string) error {
	id := participantID(consultationID, userID)
	rctx, cancel := s.db.ctx(ctx)
	var d participantDoc
	err := s.db.C("participants").findID(rctx, id, &d)
	cancel()
	if err == nil {
		return nil
	} else if !errors.Is(err, mongo.ErrNoDocuments) {
		return mapErr(err)
	}
	// Where writes are serialized, both writes run under one hold of the
	// lock, so a recount's compare-and-set never comes between them.
	wctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("participants").InsertOne(wctx, participantDoc{ID: id, ConsultationID: consultationID, UserID: userID, AddedAt: now()})
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return nil // inserted meanwhile, and counted by whoever did
	} else if err != nil {
		return err
	}
	// An existing counter is raised by a plain update, which the embedded
	// mode writes behind like the other counters; only a consultation's
	// first participant creates it.
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}, {Key: "ver", Value: 1}}}}
	res, err := s.db.C("participant_counts").UpdateOne(wctx, bson.D{{Key: "_id", Value: consultationID}}, inc)
	if err != nil || res.MatchedCount > 0 {
		return mapErr(err)
	}
	_, err = s.db.C("participant_counts").UpdateOne(wctx, bson.D{{Key: "_id", Value: consultationID}}, inc, options.UpdateOne().SetUpsert(true))
	return mapErr(err)
}

// ParticipantCounts reads the counters by _id (findEach).
func (s *ParticipationStore) ParticipantCounts(ctx context.Context, consultationIDs []string) (map[string]int, error) {
	out := make(map[string]int, len(consultationIDs))
	if len(consultationIDs) == 0 {
		return out, nil
	}
	docs, err := findEach[participantCountDoc](ctx, s.db, "participant_counts", consultationIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range consultationIDs {
		out[id] = 0
	}
	for _, d := range docs {
		out[d.ID] = d.N
	}
	return out, nil
}

// AllParticipants streams every participant record.
func (s *ParticipationStore) AllParticipants(ctx context.Context, yield func(mitreden.Participant) error) error {
	return streamAll(ctx, s.db, "participants", func(d *participantDoc) error {
		return yield(mitreden.Participant{ConsultationID: d.ConsultationID, UserID: d.UserID, AddedAt: zeroUTC(d.AddedAt)})
	})
}

// AllVoters streams the consultation and user of every vote, without the
// rest of the vote.
func (s *ParticipationStore) AllVoters(ctx context.Context, yield func(mitreden.Participant) error) error {
	return streamFind(ctx, s.db, "votes", bson.D{}, bson.D{{Key: "consultation_id", Value: 1}, {Key: "user_id", Value: 1}},
		func(d *voteDoc) error {
			return yield(mitreden.Participant{ConsultationID: d.ConsultationID, UserID: d.UserID})
		})
}

// AllParticipantCounts streams every counter, the marker aside.
func (s *ParticipationStore) AllParticipantCounts(ctx context.Context, yield func(mitreden.ParticipantCount) error) error {
	return streamAll(ctx, s.db, "participant_counts", func(d *participantCountDoc) error {
		if d.ID == participantsBackfilledID {
			return nil
		}
		return yield(mitreden.ParticipantCount{ConsultationID: d.ID, N: d.N, Version: d.Ver})
	})
}

// InsertParticipants inserts in unordered batches: a record that exists
// fails alone, as a duplicate key, and is not counted.
func (s *ParticipationStore) InsertParticipants(ctx context.Context, ps []mitreden.Participant) (map[string]int, error) {
	inserted := map[string]int{}
	for start := 0; start < len(ps); start += participantInsertBatch {
		batch := ps[start:min(start+participantInsertBatch, len(ps))]
		docs := make([]any, len(batch))
		for i, p := range batch {
			docs[i] = participantDoc{ID: participantID(p.ConsultationID, p.UserID), ConsultationID: p.ConsultationID, UserID: p.UserID}
		}
		failed, err := s.insertUnordered(ctx, "participants", docs)
		if err != nil {
			return inserted, err
		}
		for i, p := range batch {
			if !failed[i] {
				inserted[p.ConsultationID]++
			}
		}
	}
	return inserted, nil
}

// insertUnordered inserts docs into coll, going on past documents whose _id
// exists, and returns the indexes of those; any other error is returned.
func (s *ParticipationStore) insertUnordered(ctx context.Context, coll string, docs []any) (map[int]bool, error) {
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C(coll).InsertMany(wctx, docs, options.InsertMany().SetOrdered(false))
	failed := map[int]bool{}
	if err == nil {
		return failed, nil
	}
	var bw mongo.BulkWriteException
	if !errors.As(err, &bw) || bw.WriteConcernError != nil || len(bw.WriteErrors) == 0 {
		return nil, mapErr(err)
	}
	for _, we := range bw.WriteErrors {
		if !mongo.IsDuplicateKeyError(mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}) {
			return nil, mapErr(err)
		}
		failed[we.Index] = true
	}
	return failed, nil
}

// SetParticipantCount sets the counter in one conditional upsert on its
// version (updateIf): a counter created meanwhile collides with the upsert.
func (s *ParticipationStore) SetParticipantCount(ctx context.Context, from mitreden.ParticipantCount, n int) error {
	ctx, done := s.db.write(ctx)
	defer done()
	set, err := s.db.updateIf(ctx, "participant_counts", from.ConsultationID, bson.D{eqOrMissing("ver", from.Version)},
		func(d bson.Raw) bool { v, _ := d.Lookup("ver").AsInt64OK(); return v == from.Version },
		bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: n}}}, {Key: "$inc", Value: bson.D{{Key: "ver", Value: 1}}}}, true)
	if err == nil && !set || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "error.conflict"}
	}
	return err
}

// ParticipantsBackfilled looks the marker up by _id.
func (s *ParticipationStore) ParticipantsBackfilled(ctx context.Context) (bool, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d struct {
		At time.Time `bson:"at"`
	}
	switch err := s.db.C("participant_counts").findID(ctx, participantsBackfilledID, &d); {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	default:
		return false, mapErr(err)
	}
}

// MarkParticipantsBackfilled writes the marker with the time.
func (s *ParticipationStore) MarkParticipantsBackfilled(ctx context.Context) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("participant_counts").UpdateOne(ctx, bson.D{{Key: "_id", Value: participantsBackfilledID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: now()}}}}, options.UpdateOne().SetUpsert(true))
	return mapErr(err)
}

// RemoveParticipant deletes the record by _id and lowers the counter only
// when the delete removed it, both under one hold of the write lock.
func (s *ParticipationStore) RemoveParticipant(ctx context.Context, consultationID, userID string) error {
	wctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("participants").DeleteOne(wctx, bson.D{{Key: "_id", Value: participantID(consultationID, userID)}})
	if err != nil || res.DeletedCount == 0 {
		return mapErr(err)
	}
	_, err = s.db.C("participant_counts").UpdateOne(wctx, bson.D{{Key: "_id", Value: consultationID}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: -1}, {Key: "ver", Value: 1}}}})
	return mapErr(err)
}

// ParticipationsOf reads the person's records through the participants
// user index (declared with the user data).
func (s *ParticipationStore) ParticipationsOf(ctx context.Context, userID string) ([]string, error) {
	var out []string
	err := streamFind(ctx, s.db, "participants", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *participantDoc) error {
		out = append(out, d.ConsultationID)
		return nil
	})
	return out, err
}

// DeleteParticipants deletes the records by _id in one DeleteMany.
func (s *ParticipationStore) DeleteParticipants(ctx context.Context, ps []mitreden.Participant) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = participantID(p.ConsultationID, p.UserID)
	}
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("participants").DeleteMany(wctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	return mapErr(err)
}
