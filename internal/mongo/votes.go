package mongo

import (
	"context"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func init() {
	registerIndexes(
		index{coll: "votes", keys: bson.D{{Key: "proposal_id", Value: 1}}, name: "proposal"},
		index{coll: "votes", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
		index{coll: "votes", keys: bson.D{{Key: "consultation_id", Value: 1}}, name: "consultation"},
	)
}

type voteDoc struct {
	ID             string    `bson:"_id"` // proposal:user
	ProposalID     string    `bson:"proposal_id"`
	UserID         string    `bson:"user_id"`
	ConsultationID string    `bson:"consultation_id"`
	Value          string    `bson:"value"`
	CreatedAt      time.Time `bson:"created_at"`
}

func voteID(proposalID, userID string) string { return proposalID + ":" + userID }

// voteLocks make concurrent InsertVote calls for one vote in this process
// take turns; striped, so unrelated votes rarely wait for each other.
var voteLocks [256]sync.Mutex

func voteLock(proposalID, userID string) uint8 {
	h := fnv.New32a()
	h.Write([]byte(proposalID))
	h.Write([]byte{':'})
	h.Write([]byte(userID))
	return uint8(h.Sum32())
}

// InsertVote stores a new vote; the deterministic _id makes a second vote of
// the same user on the same proposal a duplicate key (ECONFLICT).
func (s *ParticipationStore) InsertVote(ctx context.Context, proposalID, userID, consultationID, value string) error {
	// A repeated vote (a double click, a retried request) is refused by a
	// read before it costs the mark and its end; repeats arriving at once in
	// this process take turns, so only the first writes.
	l := &voteLocks[voteLock(proposalID, userID)]
	l.Lock()
	defer l.Unlock()
	switch _, err := s.FindVote(ctx, proposalID, userID); mitreden.ErrorCode(err) {
	case "":
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "error.conflict"}
	case mitreden.ENOTFOUND:
	default:
		return err
	}
	if err := s.db.startCount(ctx, "proposals", proposalID); err != nil {
		return err
	}
	wctx, done := s.db.write(ctx)
	_, err := s.db.C("votes").InsertOne(wctx, voteDoc{ID: voteID(proposalID, userID), ProposalID: proposalID, UserID: userID,
		ConsultationID: consultationID, Value: value, CreatedAt: now()})
	done()
	return s.recordWritten(ctx, mapErr(err), "proposals", proposalID)
}

// recordWritten ends the counter writes started for a record write that
// failed with err, when err says the record did not change (conflict, not
// found); after any other error it may have, so the marks stay and go stale
// for a recount to settle. It returns err.
func (s *ParticipationStore) recordWritten(ctx context.Context, err error, pairs ...string) error {
	switch mitreden.ErrorCode(err) {
	case mitreden.ECONFLICT, mitreden.ENOTFOUND:
		for i := 0; i+1 < len(pairs); i += 2 {
			s.db.abortCount(ctx, pairs[i], pairs[i+1])
		}
	}
	return err
}

// FindVote returns the user's vote value or ENOTFOUND.
func (s *ParticipationStore) FindVote(ctx context.Context, proposalID, userID string) (string, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d voteDoc
	if err := s.db.C("votes").FindOne(ctx, bson.D{{Key: "_id", Value: voteID(proposalID, userID)}}).Decode(&d); err != nil {
		return "", mapErr(err)
	}
	return d.Value, nil
}

// ChangeVote swaps old for value in one conditional update.
func (s *ParticipationStore) ChangeVote(ctx context.Context, proposalID, userID, old, value string) error {
	if err := s.db.startCount(ctx, "proposals", proposalID); err != nil {
		return err
	}
	wctx, done := s.db.write(ctx)
	changed, err := s.db.updateIf(wctx, "votes", voteID(proposalID, userID), bson.D{{Key: "value", Value: old}},
		func(d bson.Raw) bool { v, _ := d.Lookup("value").StringValueOK(); return v == old },
		bson.D{{Key: "$set", Value: bson.D{{Key: "value", Value: value}}}}, false)
	done()
	if err == nil && !changed {
		err = &mitreden.Error{Code: mitreden.ECONFLICT, Message: "vote.changed_concurrently"}
	}
	return s.recordWritten(ctx, mapErr(err), "proposals", proposalID)
}

// DeleteVote removes the vote and returns its value.
func (s *ParticipationStore) DeleteVote(ctx context.Context, proposalID, userID string) (string, error) {
	var d voteDoc
	rctx, cancel := s.db.ctx(ctx)
	err := s.db.C("votes").FindOne(rctx, bson.D{{Key: "_id", Value: voteID(proposalID, userID)}}).Decode(&d)
	cancel()
	if err != nil {
		return "", mapErr(err)
	}
	if d.Value == "support" {
		// The quota moves before the record, as it does when the vote is cast.
		if err := s.touchQuota(ctx, d.ConsultationID, userID); err != nil {
			return "", err
		}
	}
	if err := s.db.startCount(ctx, "proposals", proposalID); err != nil {
		return "", err
	}
	wctx, done := s.db.write(ctx)
	err = s.db.C("votes").FindOneAndDelete(wctx, bson.D{{Key: "_id", Value: voteID(proposalID, userID)}}).Decode(&d)
	done()
	if err := s.recordWritten(ctx, mapErr(err), "proposals", proposalID); err != nil {
		return "", err
	}
	return d.Value, nil
}

// touchQuota records that the user's quota in the consultation is about to
// move, when there is one; a consultation without a limit has none, and a
// read (no write lock) finds that out.
func (s *ParticipationStore) touchQuota(ctx context.Context, consultationID, userID string) error {
	id := bson.D{{Key: "_id", Value: consultationID + ":" + userID}}
	rctx, cancel := s.db.ctx(ctx)
	err := s.db.C("support_quota").FindOne(rctx, id).Err()
	cancel()
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("support_quota").UpdateOne(ctx, id, quotaMoved(0))
	return mapErr(err)
}

// quotaMoved is the update that adds n to a quota and records the move.
func quotaMoved(n int) bson.D {
	return bson.D{{Key: "$inc", Value: bson.D{{Key: "used", Value: n}, {Key: "ver", Value: 1}}},
		{Key: "$max", Value: bson.D{{Key: "changed_at", Value: now()}}}}
}

// ReserveSupport takes one support of the user's quota in one conditional
// upsert: when the quota is used up the filter misses and the upsert collides
// with the existing document, which the driver reports as a duplicate key.
func (s *ParticipationStore) ReserveSupport(ctx context.Context, consultationID, userID string, max int) error {
	ctx, done := s.db.write(ctx)
	defer done()
	taken, err := s.db.updateIf(ctx, "support_quota", consultationID+":"+userID, bson.D{{Key: "used", Value: bson.D{{Key: "$lt", Value: max}}}},
		func(d bson.Raw) bool { n, _ := d.Lookup("used").AsInt64OK(); return n < int64(max) },
		quotaMoved(1), true)
	if err == nil && !taken || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "vote.limit_reached", Args: map[string]any{"limit": max}}
	}
	return err
}

// ReleaseSupport gives one support back.
func (s *ParticipationStore) ReleaseSupport(ctx context.Context, consultationID, userID string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.updateIf(ctx, "support_quota", consultationID+":"+userID, bson.D{{Key: "used", Value: bson.D{{Key: "$gt", Value: 0}}}},
		func(d bson.Raw) bool { n, _ := d.Lookup("used").AsInt64OK(); return n > 0 },
		quotaMoved(-1), false)
	return err
}

// UserVotes returns the user's votes on the given proposals.
func (s *ParticipationStore) UserVotes(ctx context.Context, userID string, proposalIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if userID == "" || len(proposalIDs) == 0 {
		return out, nil
	}
	ids := make([]string, len(proposalIDs))
	for i, p := range proposalIDs {
		ids[i] = voteID(p, userID)
	}
	docs, err := findEach[voteDoc](ctx, s.db, "votes", ids)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.ProposalID] = d.Value
	}
	return out, nil
}

// HasVotes looks for one vote record of the consultation.
func (s *ParticipationStore) HasVotes(ctx context.Context, consultationID string) (bool, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	err := s.db.C("votes").FindOne(ctx, bson.D{{Key: "consultation_id", Value: consultationID}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	switch err = mapErr(err); mitreden.ErrorCode(err) {
	case "":
		return true, nil
	case mitreden.ENOTFOUND:
		return false, nil
	}
	return false, err
}

// CountVotes recounts a proposal's tally from the vote records.
func (s *ParticipationStore) CountVotes(ctx context.Context, proposalID string) (mitreden.Tally, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var t mitreden.Tally
	cur, err := s.db.C("votes").Find(ctx, bson.D{{Key: "proposal_id", Value: proposalID}}, options.Find().SetProjection(bson.D{{Key: "value", Value: 1}}))
	if err != nil {
		return t, mapErr(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d voteDoc
		if err := cur.Decode(&d); err != nil {
			return t, mapErr(err)
		}
		switch d.Value {
		case "support":
			t.Support++
		case "yes":
			t.Yes++
		case "no":
			t.No++
		case "abstain":
			t.Abstain++
		}
	}
	return t, mapErr(cur.Err())
}

// quotaDoc is the per-user, per-consultation support quota that
// ReserveSupport increments conditionally; its _id is "consultation:user".
type quotaDoc struct {
	ID        string    `bson:"_id"`
	Used      int       `bson:"used"`
	Version   int64     `bson:"ver"`
	ChangedAt time.Time `bson:"changed_at"`
}

// AllSupportVotes streams every support vote.
func (s *ParticipationStore) AllSupportVotes(ctx context.Context, yield func(mitreden.SupportVote) error) error {
	return streamFind(ctx, s.db, "votes", bson.D{{Key: "value", Value: "support"}},
		bson.D{{Key: "consultation_id", Value: 1}, {Key: "user_id", Value: 1}}, func(d *voteDoc) error {
			return yield(mitreden.SupportVote{ConsultationID: d.ConsultationID, UserID: d.UserID})
		})
}

// AllSupportQuotas streams every stored support quota.
func (s *ParticipationStore) AllSupportQuotas(ctx context.Context, yield func(mitreden.SupportQuota) error) error {
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
		if err := yield(mitreden.SupportQuota{ConsultationID: cid, UserID: uid, Used: d.Used, Version: d.Version,
			ChangedAt: zeroUTC(d.ChangedAt)}); err != nil {
			return err
		}
	}
	return mapErr(cur.Err())
}

// SetSupportQuota moves a quota from from to used in one conditional
// upsert: when the stored quota moved (its used supports or its version
// differ) the filter misses and the upsert collides with the existing _id,
// which is reported as ECONFLICT.
func (s *ParticipationStore) SetSupportQuota(ctx context.Context, from mitreden.SupportQuota, used int) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("support_quota").UpdateOne(ctx,
		bson.D{{Key: "_id", Value: from.ConsultationID + ":" + from.UserID}, {Key: "used", Value: from.Used}, eqOrMissing("ver", from.Version)},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used", Value: used}}}, {Key: "$inc", Value: bson.D{{Key: "ver", Value: 1}}}},
		options.UpdateOne().SetUpsert(true))
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "recount.changed_concurrently", Err: err}
	}
	return err
}
