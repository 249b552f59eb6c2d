package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// What the platform holds about one person, read by its owner for the
// export and erased or unlinked for an account deletion
// (mitreden.UserDataStore). Each export stream is one find on an index by
// owner; the driver fetches further batches of the same cursor, so a
// section costs one query however much a person wrote.

func init() {
	registerIndexes(
		index{coll: "reports", keys: bson.D{{Key: "reporter_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "reporter_created"},
		index{coll: "proposals", keys: bson.D{{Key: "answered_by_id", Value: 1}}, name: "answered_by"},
		index{coll: "rec_revisions", keys: bson.D{{Key: "author_id", Value: 1}, {Key: "at", Value: -1}}, name: "author_at"},
		index{coll: "council_comments", keys: bson.D{{Key: "author_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "author_created"},
		index{coll: "council_votes", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
		index{coll: "participants", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
		index{coll: "account_tokens", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
		index{coll: "proposals", keys: bson.D{{Key: "prov.entered_by_id", Value: 1}}, name: "prov_entered_by"},
		index{coll: "comments", keys: bson.D{{Key: "prov.entered_by_id", Value: 1}}, name: "prov_entered_by"},
		index{coll: "assisted_audit", keys: bson.D{{Key: "staff_id", Value: 1}}, name: "staff"},
		index{coll: "moderation_log", keys: bson.D{{Key: "actor_id", Value: 1}}, name: "actor"},
	)
	Collections = append(Collections, "erasures")
}

// exportTimeout bounds one export stream: a person with many
// contributions on the embedded engine, which scans, takes longer than
// the per-call timeout.
const exportTimeout = 2 * time.Minute

// UserDataStore implements mitreden.UserDataStore.
type UserDataStore struct{ db *DB }

// UserData returns the personal data store of d.
func (d *DB) UserData() *UserDataStore { return &UserDataStore{db: d} }

var _ mitreden.UserDataStore = (*UserDataStore)(nil)

// eachSorted streams the documents of coll that filter selects in sort
// order, one find and its cursor's batches.
func eachSorted[D any](ctx context.Context, db *DB, coll string, filter, sort bson.D, yield func(*D) error) error {
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	opts := options.Find()
	if sort != nil {
		opts.SetSort(sort)
	}
	cur, err := db.C(coll).Find(ctx, filter, opts)
	if err != nil {
		return mapErr(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return mapErr(err)
		}
		if err := yield(&d); err != nil {
			return err
		}
	}
	return mapErr(cur.Err())
}

var newest = bson.D{{Key: "created_at", Value: -1}}

// EachUserProposal streams by the author_created index.
func (s *UserDataStore) EachUserProposal(ctx context.Context, userID string, yield func(*mitreden.Proposal) error) error {
	return eachSorted(ctx, s.db, "proposals", bson.D{{Key: "author_id", Value: userID}}, newest,
		func(d *proposalDoc) error { return yield(d.domain()) })
}

// EachUserComment streams by the author_deleted_created index (its
// prefix: deleted comments too).
func (s *UserDataStore) EachUserComment(ctx context.Context, userID string, yield func(*mitreden.Comment) error) error {
	return eachSorted(ctx, s.db, "comments", bson.D{{Key: "author_id", Value: userID}}, newest,
		func(d *commentDoc) error { return yield(d.domain()) })
}

// EachUserVote streams by the user_created index.
func (s *UserDataStore) EachUserVote(ctx context.Context, userID string, yield func(mitreden.UserVote) error) error {
	return eachSorted(ctx, s.db, "votes", bson.D{{Key: "user_id", Value: userID}}, newest, func(d *voteDoc) error {
		return yield(mitreden.UserVote{ProposalID: d.ProposalID, ConsultationID: d.ConsultationID, Value: d.Value, CreatedAt: d.CreatedAt.UTC()})
	})
}

// EachUserCommentVote streams by the comment_votes user index.
func (s *UserDataStore) EachUserCommentVote(ctx context.Context, userID string, yield func(mitreden.UserCommentVote) error) error {
	return eachSorted(ctx, s.db, "comment_votes", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *commentVoteDoc) error {
		return yield(mitreden.UserCommentVote{CommentID: d.CommentID, Value: d.Value})
	})
}

// EachUserReport streams by the reporter_created index.
func (s *UserDataStore) EachUserReport(ctx context.Context, userID string, yield func(*mitreden.Report) error) error {
	return eachSorted(ctx, s.db, "reports", bson.D{{Key: "reporter_id", Value: userID}}, newest, func(d *reportDoc) error {
		return yield(&mitreden.Report{ItemType: d.ItemType, ItemID: d.ItemID, ReporterID: d.ReporterID, Reason: d.Reason,
			Note: d.Note, CreatedAt: d.CreatedAt.UTC()})
	})
}

// EachUserRevision streams by the author_at index.
func (s *UserDataStore) EachUserRevision(ctx context.Context, userID string, yield func(*mitreden.Revision) error) error {
	return eachSorted(ctx, s.db, "rec_revisions", bson.D{{Key: "author_id", Value: userID}}, bson.D{{Key: "at", Value: -1}},
		func(d *revisionDoc) error { return yield(d.domain()) })
}

// EachUserCouncilComment streams by the author_created index.
func (s *UserDataStore) EachUserCouncilComment(ctx context.Context, userID string, yield func(*mitreden.CouncilComment) error) error {
	return eachSorted(ctx, s.db, "council_comments", bson.D{{Key: "author_id", Value: userID}}, newest,
		func(d *councilCommentDoc) error { return yield(d.domain()) })
}

// EachUserCouncilVote streams by the council_votes user index.
func (s *UserDataStore) EachUserCouncilVote(ctx context.Context, userID string, yield func(mitreden.CouncilVote) error) error {
	return eachSorted(ctx, s.db, "council_votes", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *councilVoteDoc) error {
		return yield(mitreden.CouncilVote{RecID: d.RecID, UserID: d.UserID, Value: d.Value, At: zeroUTC(d.At)})
	})
}

// EachUserModerationAction streams by the moderation record's author index.
func (s *UserDataStore) EachUserModerationAction(ctx context.Context, userID string, yield func(*mitreden.ModerationAction) error) error {
	return eachSorted(ctx, s.db, "moderation_log", bson.D{{Key: "author_id", Value: userID}}, bson.D{{Key: "at", Value: -1}},
		func(d *actionDoc) error {
			return yield(&mitreden.ModerationAction{ID: d.ID.Hex(), At: d.At.UTC(), ActorID: d.ActorID, ActorName: d.ActorName,
				Action: d.Action, ItemType: d.ItemType, ItemID: d.ItemID, ConsultationID: d.ConsultationID, TargetType: d.TargetType,
				TargetID: d.TargetID, AuthorID: d.AuthorID, Reason: d.Reason, Until: zeroUTC(d.Until)})
		})
}

// EachUserParticipation streams by the participants user index.
func (s *UserDataStore) EachUserParticipation(ctx context.Context, userID string, yield func(mitreden.Participant) error) error {
	return eachSorted(ctx, s.db, "participants", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *participantDoc) error {
		return yield(mitreden.Participant{ConsultationID: d.ConsultationID, UserID: d.UserID, AddedAt: zeroUTC(d.AddedAt)})
	})
}

// erasureDoc is an account deletion in progress; _id is the user id.
type erasureDoc struct {
	ID        string    `bson:"_id"`
	StartedAt time.Time `bson:"started_at"`
	Salt      string    `bson:"salt"`
}

func (d *erasureDoc) domain() *mitreden.Erasure {
	return &mitreden.Erasure{UserID: d.ID, StartedAt: d.StartedAt.UTC(), Salt: d.Salt}
}

// StartErasure inserts the record under the user id; a record there
// already wins (its salt stays).
func (s *UserDataStore) StartErasure(ctx context.Context, e *mitreden.Erasure) (*mitreden.Erasure, error) {
	wctx, done := s.db.write(ctx)
	_, err := s.db.C("erasures").InsertOne(wctx, erasureDoc{ID: e.UserID, StartedAt: e.StartedAt, Salt: e.Salt})
	done()
	if err = mapErr(err); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	rctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d erasureDoc
	if err := s.db.C("erasures").findID(rctx, e.UserID, &d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// PendingErasures lists the records; there are few (each lives for the
// seconds a deletion takes), so the scan is cheap.
func (s *UserDataStore) PendingErasures(ctx context.Context, startedBy time.Time) ([]*mitreden.Erasure, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("erasures").Find(ctx, bson.D{{Key: "started_at", Value: bson.D{{Key: "$lte", Value: startedBy}}}},
		options.Find().SetSort(bson.D{{Key: "started_at", Value: 1}}).SetLimit(100))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []erasureDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.Erasure, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// FinishErasure removes the record.
func (s *UserDataStore) FinishErasure(ctx context.Context, userID string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("erasures").DeleteOne(ctx, bson.D{{Key: "_id", Value: userID}})
	return mapErr(err)
}

// EraseUser deletes the user document by _id (its email key and name key
// go with it), then the sessions and the one-time account links (they
// hold the address, or the new one of an address change).
func (s *UserDataStore) EraseUser(ctx context.Context, userID string) error {
	if o, err := oid(userID); err == nil {
		wctx, done := s.db.write(ctx)
		_, err := s.db.C("users").DeleteOne(wctx, bson.D{{Key: "_id", Value: o}})
		done()
		if err != nil {
			return mapErr(err)
		}
	}
	if err := s.db.Sessions().DeleteUserSessions(ctx, userID, ""); err != nil {
		return err
	}
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("account_tokens").DeleteMany(wctx, bson.D{{Key: "user_id", Value: userID}})
	return mapErr(err)
}

// setMany runs one update of every document of coll that filter selects.
func (s *UserDataStore) setMany(ctx context.Context, coll string, filter, set bson.D) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C(coll).UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: set}})
	return mapErr(err)
}

// idsOf returns the _ids (ObjectIDs) of the documents of coll filter selects.
func (s *UserDataStore) idsOf(ctx context.Context, coll string, filter bson.D) ([]string, error) {
	var ids []string
	err := eachSorted(ctx, s.db, coll, filter, nil, func(d *struct {
		ID bson.ObjectID `bson:"_id"`
	}) error {
		ids = append(ids, d.ID.Hex())
		return nil
	})
	return ids, err
}

// UserItems reads the ids of the person's proposals and comments by the
// author indexes.
func (s *UserDataStore) UserItems(ctx context.Context, userID string) ([]mitreden.AuthoredItem, error) {
	var items []mitreden.AuthoredItem
	for _, c := range []struct{ coll, typ string }{{"proposals", mitreden.SearchTypeProposal}, {"comments", mitreden.SearchTypeComment}} {
		ids, err := s.idsOf(ctx, c.coll, bson.D{{Key: "author_id", Value: userID}})
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			items = append(items, mitreden.AuthoredItem{Type: c.typ, ID: id})
		}
	}
	return items, nil
}

// AnonymizeAuthor rewrites the author of each collection with one update
// by the author index; run again, it finds nothing left to rewrite.
func (s *UserDataStore) AnonymizeAuthor(ctx context.Context, userID string) error {
	gone := bson.D{{Key: "author_id", Value: mitreden.DeletedAuthorID}, {Key: "author_name", Value: ""}}
	steps := []struct {
		coll   string
		filter bson.D
		set    bson.D
	}{
		{"proposals", bson.D{{Key: "author_id", Value: userID}}, gone},
		{"proposals", bson.D{{Key: "answered_by_id", Value: userID}},
			bson.D{{Key: "answered_by_id", Value: mitreden.DeletedAuthorID}, {Key: "answered_by", Value: ""}}},
		{"comments", bson.D{{Key: "author_id", Value: userID}}, gone},
		{"rec_revisions", bson.D{{Key: "author_id", Value: userID}}, gone},
		{"council_comments", bson.D{{Key: "author_id", Value: userID}}, gone},
		{"moderation_queue", bson.D{{Key: "held.proposal.author_id", Value: userID}},
			bson.D{{Key: "held.proposal.author_id", Value: mitreden.DeletedAuthorID}, {Key: "held.proposal.author_name", Value: ""}}},
		{"moderation_queue", bson.D{{Key: "held.comment.author_id", Value: userID}},
			bson.D{{Key: "held.comment.author_id", Value: mitreden.DeletedAuthorID}, {Key: "held.comment.author_name", Value: ""}}},
		{"moderation_queue", bson.D{{Key: "author_id", Value: userID}}, bson.D{{Key: "author_id", Value: mitreden.DeletedAuthorID}}},
		// Evidence a council member linked names them; what staff created
		// keeps no link to the account either.
		{"rec_evidence", bson.D{{Key: "added_by", Value: userID}},
			bson.D{{Key: "added_by", Value: mitreden.DeletedAuthorID}, {Key: "added_by_name", Value: ""}}},
		{"recommendations", bson.D{{Key: "created_by", Value: userID}}, bson.D{{Key: "created_by", Value: mitreden.DeletedAuthorID}}},
		{"consultations", bson.D{{Key: "created_by", Value: userID}}, bson.D{{Key: "created_by", Value: mitreden.DeletedAuthorID}}},
		{"meetings", bson.D{{Key: "created_by", Value: userID}}, bson.D{{Key: "created_by", Value: mitreden.DeletedAuthorID}}},
		// Staff who entered letters, the citizens' service audit and the
		// moderators named in the moderation record and queue.
		{"proposals", bson.D{{Key: "prov.entered_by_id", Value: userID}},
			bson.D{{Key: "prov.entered_by_id", Value: mitreden.DeletedAuthorID}, {Key: "prov.entered_by", Value: ""}}},
		{"comments", bson.D{{Key: "prov.entered_by_id", Value: userID}},
			bson.D{{Key: "prov.entered_by_id", Value: mitreden.DeletedAuthorID}, {Key: "prov.entered_by", Value: ""}}},
		{"assisted_audit", bson.D{{Key: "staff_id", Value: userID}},
			bson.D{{Key: "staff_id", Value: mitreden.DeletedAuthorID}, {Key: "staff", Value: ""}}},
		{"moderation_log", bson.D{{Key: "actor_id", Value: userID}},
			bson.D{{Key: "actor_id", Value: mitreden.DeletedAuthorID}, {Key: "actor_name", Value: ""}}},
		{"moderation_queue", bson.D{{Key: "hidden_by", Value: userID}}, bson.D{{Key: "hidden_by", Value: mitreden.DeletedAuthorID}}},
	}
	for _, st := range steps {
		if err := s.setMany(ctx, st.coll, st.filter, st.set); err != nil {
			return err
		}
	}
	return nil
}

// unlinkedID is the id a record of the person gets instead of one naming
// them: the record's key (proposal, comment, recommendation or reported
// item) and a digest of the deletion's salt and the old id. The same
// deletion always derives the same id, so a step run twice finds its
// record written; without the salt nobody can derive it from a user id.
func unlinkedID(key, salt, oldID string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + oldID))
	return key + ":gone-" + hex.EncodeToString(sum[:16])
}

// UnlinkVotes moves every vote and report of the person to an unlinked
// id: the new record is inserted first (a duplicate is one written
// before a crash) and the old one deleted then, so a crash between leaves
// both for the next run, never neither. A proposal vote is moved inside a
// counter write that ends without a change (startCount, abortCount), so
// a recount meanwhile waits rather than counting the vote twice.
func (s *UserDataStore) UnlinkVotes(ctx context.Context, userID, salt string) error {
	var votes []voteDoc
	if err := eachSorted(ctx, s.db, "votes", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *voteDoc) error {
		votes = append(votes, *d)
		return nil
	}); err != nil {
		return err
	}
	for _, v := range votes {
		if err := s.db.startCount(ctx, "proposals", v.ProposalID); err != nil {
			return err
		}
		moved := v
		moved.ID, moved.UserID = unlinkedID(v.ProposalID, salt, v.ID), ""
		err := s.move(ctx, "votes", v.ID, moved)
		s.db.abortCount(ctx, "proposals", v.ProposalID)
		if err != nil {
			return err
		}
	}
	var cvotes []commentVoteDoc
	if err := eachSorted(ctx, s.db, "comment_votes", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *commentVoteDoc) error {
		cvotes = append(cvotes, *d)
		return nil
	}); err != nil {
		return err
	}
	for _, v := range cvotes {
		moved := v
		moved.ID, moved.UserID = unlinkedID(v.CommentID, salt, v.ID), ""
		if err := s.move(ctx, "comment_votes", v.ID, moved); err != nil {
			return err
		}
	}
	var council []councilVoteDoc
	if err := eachSorted(ctx, s.db, "council_votes", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *councilVoteDoc) error {
		council = append(council, *d)
		return nil
	}); err != nil {
		return err
	}
	for _, v := range council {
		moved := v
		moved.ID, moved.UserID = unlinkedID(v.RecID, salt, v.ID), ""
		if err := s.move(ctx, "council_votes", v.ID, moved); err != nil {
			return err
		}
	}
	var reports []reportDoc
	if err := eachSorted(ctx, s.db, "reports", bson.D{{Key: "reporter_id", Value: userID}}, nil, func(d *reportDoc) error {
		reports = append(reports, *d)
		return nil
	}); err != nil {
		return err
	}
	for _, r := range reports {
		moved := r
		moved.ID, moved.ReporterID = unlinkedID(r.ItemType+":"+r.ItemID, salt, r.ID), ""
		if err := s.move(ctx, "reports", r.ID, moved); err != nil {
			return err
		}
	}
	// The participant counts stay: the records that make them lose the
	// person, as votes do.
	var parts []participantDoc
	if err := eachSorted(ctx, s.db, "participants", bson.D{{Key: "user_id", Value: userID}}, nil, func(d *participantDoc) error {
		parts = append(parts, *d)
		return nil
	}); err != nil {
		return err
	}
	for _, p := range parts {
		moved := p
		moved.ID, moved.UserID = unlinkedID(p.ConsultationID, salt, p.ID), ""
		if err := s.move(ctx, "participants", p.ID, moved); err != nil {
			return err
		}
	}
	return s.dropQuotas(ctx, userID)
}

// move inserts doc (a duplicate: inserted before) and deletes the record oldID.
func (s *UserDataStore) move(ctx context.Context, coll, oldID string, doc any) error {
	wctx, done := s.db.write(ctx)
	_, err := s.db.C(coll).InsertOne(wctx, doc)
	done()
	if err = mapErr(err); err != nil && mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		return err
	}
	wctx, done = s.db.write(ctx)
	defer done()
	_, err = s.db.C(coll).DeleteOne(wctx, bson.D{{Key: "_id", Value: oldID}})
	return mapErr(err)
}

// dropQuotas removes the person's support quotas (their _id ends in the
// user id; the votes that used them stay counted) and the counter of
// their held contributions. The quotas are found by the consultations of
// the person's votes before they were moved, which UnlinkVotes no longer
// knows after a crash; so they are found by their _id suffix, a scan of a
// small collection, once per deletion.
func (s *UserDataStore) dropQuotas(ctx context.Context, userID string) error {
	var ids []string
	if err := eachSorted(ctx, s.db, "support_quota", bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: ":" + regexQuote(userID) + "$"}}}}, nil,
		func(d *quotaDoc) error {
			ids = append(ids, d.ID)
			return nil
		}); err != nil {
		return err
	}
	for _, id := range ids {
		wctx, done := s.db.write(ctx)
		_, err := s.db.C("support_quota").DeleteOne(wctx, bson.D{{Key: "_id", Value: id}})
		done()
		if err != nil {
			return mapErr(err)
		}
	}
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("moderation_held").DeleteOne(wctx, bson.D{{Key: "_id", Value: userID}})
	return mapErr(err)
}

// regexQuote escapes s for a regular expression; user ids are hex, so
// this is belt and braces.
func regexQuote(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			out = append(out, c)
			continue
		}
		out = append(out, '\\', c)
	}
	return string(out)
}
