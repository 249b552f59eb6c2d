package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// What one person contributed (mitreden.ContributionStore), for the page
// "Meine Beiträge": each list one indexed find on MongoDB, newest first. The
// embedded engine scans the collection for them; that page is opened now and
// then by one person, so it is left so (the README says it).

func init() {
	registerIndexes(
		index{coll: "proposals", keys: bson.D{{Key: "author_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "author_created"},
		index{coll: "comments", keys: bson.D{{Key: "author_id", Value: 1}, {Key: "deleted", Value: 1}, {Key: "created_at", Value: -1}},
			name: "author_deleted_created"},
		index{coll: "votes", keys: bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "user_created"},
	)
}

var _ mitreden.ContributionStore = (*ParticipationStore)(nil)

// newestFirst finds up to limit documents of coll matching filter, newest
// first, and decodes them.
func newestFirst[D any](ctx context.Context, db *DB, coll string, filter bson.D, limit int) ([]D, error) {
	ctx, cancel := db.ctx(ctx)
	defer cancel()
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := db.C(coll).Find(ctx, filter, opts)
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []D
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	return docs, nil
}

// UserProposals finds the user's proposals by the author_created index.
func (s *ParticipationStore) UserProposals(ctx context.Context, userID string, limit int) ([]*mitreden.Proposal, error) {
	docs, err := newestFirst[proposalDoc](ctx, s.db, "proposals", bson.D{{Key: "author_id", Value: userID}}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.Proposal, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// UserComments finds the user's comments not deleted by the
// author_deleted_created index.
func (s *ParticipationStore) UserComments(ctx context.Context, userID string, limit int) ([]*mitreden.Comment, error) {
	docs, err := newestFirst[commentDoc](ctx, s.db, "comments",
		bson.D{{Key: "author_id", Value: userID}, {Key: "deleted", Value: false}}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.Comment, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// UserVoteList finds the user's votes by the user_created index.
func (s *ParticipationStore) UserVoteList(ctx context.Context, userID string, limit int) ([]mitreden.UserVote, error) {
	docs, err := newestFirst[voteDoc](ctx, s.db, "votes", bson.D{{Key: "user_id", Value: userID}}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]mitreden.UserVote, len(docs))
	for i, d := range docs {
		out[i] = mitreden.UserVote{ProposalID: d.ProposalID, ConsultationID: d.ConsultationID, Value: d.Value, CreatedAt: d.CreatedAt.UTC()}
	}
	return out, nil
}

// ProposalsByID reads the proposals with one $in on MongoDB; in serialized
// (embedded) mode, where $in scans the collection, one lookup by _id each.
func (s *ParticipationStore) ProposalsByID(ctx context.Context, ids []string) (map[string]*mitreden.Proposal, error) {
	out := make(map[string]*mitreden.Proposal, len(ids))
	oids := make([]bson.ObjectID, 0, len(ids))
	for _, id := range ids {
		if o, err := oid(id); err == nil {
			oids = append(oids, o)
		}
	}
	if len(oids) == 0 {
		return out, nil
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	if s.db.serial != nil {
		for _, o := range oids {
			var d proposalDoc
			err := s.db.C("proposals").FindOne(ctx, bson.D{{Key: "_id", Value: o}}).Decode(&d)
			switch {
			case err == nil:
				out[d.ID.Hex()] = d.domain()
			case err != mongo.ErrNoDocuments:
				return nil, mapErr(err)
			}
		}
		return out, nil
	}
	cur, err := s.db.C("proposals").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: oids}}}})
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []proposalDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	for i := range docs {
		out[docs[i].ID.Hex()] = docs[i].domain()
	}
	return out, nil
}

// SupportsUsed reads the user's quota in the consultation by its _id
// ("consultation:user"), so a consultation page pays one lookup by _id for
// it, which the embedded engine answers from its _id index (or the document
// cache), not by a scan.
func (s *ParticipationStore) SupportsUsed(ctx context.Context, consultationID, userID string) (int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d quotaDoc
	err := s.db.C("support_quota").FindOne(ctx, bson.D{{Key: "_id", Value: consultationID + ":" + userID}}).Decode(&d)
	switch err = mapErr(err); mitreden.ErrorCode(err) {
	case "":
		return max(0, d.Used), nil
	case mitreden.ENOTFOUND:
		return 0, nil
	}
	return 0, err
}
