package mongo

import (
	"context"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Assisted participation: participant records, the audit of staff entries,
// the provenance of votes and the answers sent by post. Provenance of
// proposals and comments lives on them (prov), so every read that shows
// them carries it without another lookup.

func init() {
	registerIndexes(
		index{coll: "assisted_records", keys: bson.D{{Key: "created_at", Value: -1}}, name: "created_at"},
		index{coll: "assisted_records", keys: bson.D{{Key: "linked_user_id", Value: 1}, {Key: "merged", Value: 1}}, name: "linked"},
		index{coll: "assisted_audit", keys: bson.D{{Key: "record_id", Value: 1}, {Key: "at", Value: -1}}, name: "record"},
		index{coll: "assisted_audit", keys: bson.D{{Key: "at", Value: -1}}, name: "at"},
		index{coll: "proposals", keys: bson.D{{Key: "prov.record_id", Value: 1}, {Key: "answered_at", Value: 1}}, name: "prov_record"},
	)
	Collections = append(Collections, "assisted_records", "assisted_audit", "assisted_letters")
}

var _ mitreden.AssistedStore = (*ParticipationStore)(nil)

// provDoc is the provenance of a contribution staff entered.
type provDoc struct {
	Channel       string    `bson:"channel"`
	ReceivedAt    time.Time `bson:"received_at"`
	EnteredByID   string    `bson:"entered_by_id"`
	EnteredBy     string    `bson:"entered_by"`
	Reference     string    `bson:"reference,omitempty"`
	RecordID      string    `bson:"record_id"`
	Late          bool      `bson:"late,omitempty"`
	CorrectedAt   time.Time `bson:"corrected_at,omitempty"`
	OriginalTitle string    `bson:"original_title,omitempty"`
	OriginalBody  string    `bson:"original_body,omitempty"`
}

func (d *provDoc) domain() *mitreden.Provenance {
	if d == nil {
		return nil
	}
	return &mitreden.Provenance{Channel: d.Channel, ReceivedAt: zeroUTC(d.ReceivedAt), EnteredByID: d.EnteredByID, EnteredBy: d.EnteredBy,
		Reference: d.Reference, RecordID: d.RecordID, Late: d.Late, CorrectedAt: zeroUTC(d.CorrectedAt),
		OriginalTitle: d.OriginalTitle, OriginalBody: d.OriginalBody}
}

func provToDoc(p *mitreden.Provenance) *provDoc {
	if p == nil {
		return nil
	}
	return &provDoc{Channel: p.Channel, ReceivedAt: p.ReceivedAt, EnteredByID: p.EnteredByID, EnteredBy: p.EnteredBy,
		Reference: p.Reference, RecordID: p.RecordID, Late: p.Late, CorrectedAt: p.CorrectedAt,
		OriginalTitle: p.OriginalTitle, OriginalBody: p.OriginalBody}
}

type recordDoc struct {
	ID           bson.ObjectID `bson:"_id"`
	DisplayName  string        `bson:"display_name"`
	Anonymous    bool          `bson:"anonymous"`
	Locality     string        `bson:"locality"`
	Address      string        `bson:"address"`
	Phone        string        `bson:"phone"`
	Email        string        `bson:"email"`
	LinkedUserID string        `bson:"linked_user_id"`
	LinkedAt     time.Time     `bson:"linked_at"`
	Merged       bool          `bson:"merged"`
	CreatedByID  string        `bson:"created_by_id"`
	CreatedAt    time.Time     `bson:"created_at"`
}

func (d *recordDoc) domain() *mitreden.ParticipantRecord {
	return &mitreden.ParticipantRecord{ID: d.ID.Hex(), DisplayName: d.DisplayName, Anonymous: d.Anonymous, Locality: d.Locality,
		Address: d.Address, Phone: d.Phone, Email: d.Email, LinkedUserID: d.LinkedUserID, LinkedAt: zeroUTC(d.LinkedAt),
		Merged: d.Merged, CreatedByID: d.CreatedByID, CreatedAt: d.CreatedAt.UTC()}
}

// CreateRecord inserts r and sets its ID.
func (s *ParticipationStore) CreateRecord(ctx context.Context, r *mitreden.ParticipantRecord) error {
	id := bson.NewObjectID()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("assisted_records").InsertOne(ctx, recordDoc{ID: id, DisplayName: r.DisplayName, Anonymous: r.Anonymous,
		Locality: r.Locality, Address: r.Address, Phone: r.Phone, Email: r.Email, CreatedByID: r.CreatedByID, CreatedAt: r.CreatedAt})
	if err != nil {
		return mapErr(err)
	}
	r.ID = id.Hex()
	return nil
}

// FindRecord returns the record with id or ENOTFOUND.
func (s *ParticipationStore) FindRecord(ctx context.Context, id string) (*mitreden.ParticipantRecord, error) {
	d, err := findByOID[recordDoc](ctx, s.db, "assisted_records", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// SearchRecords matches q as a literal, case-insensitive substring: the
// query is quoted, so no input is read as a pattern.
func (s *ParticipationStore) SearchRecords(ctx context.Context, q string, limit int) ([]*mitreden.ParticipantRecord, error) {
	filter := bson.D{}
	if q = strings.TrimSpace(q); q != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(q), Options: "i"}
		var or bson.A
		for _, f := range []string{"display_name", "locality", "address", "phone", "email"} {
			or = append(or, bson.D{{Key: f, Value: re}})
		}
		filter = bson.D{{Key: "$or", Value: or}}
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("assisted_records").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []recordDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.ParticipantRecord, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// LinkRecord sets the link in one conditional update: unlinked, or linked
// to the same account.
func (s *ParticipationStore) LinkRecord(ctx context.Context, id, userID string, at time.Time) (*mitreden.ParticipantRecord, error) {
	o, err := oid(id)
	if err != nil {
		return nil, err
	}
	wctx, done := s.db.write(ctx)
	_, err = s.db.C("assisted_records").UpdateOne(wctx, bson.D{{Key: "_id", Value: o}, {Key: "linked_user_id", Value: ""}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "linked_user_id", Value: userID}, {Key: "linked_at", Value: at}, {Key: "merged", Value: false}}}})
	done()
	if err != nil {
		return nil, mapErr(err)
	}
	r, err := s.FindRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.LinkedUserID != userID {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "assisted.linked_elsewhere"}
	}
	return r, nil
}

// SetRecordMerged marks the record merged.
func (s *ParticipationStore) SetRecordMerged(ctx context.Context, id string) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("assisted_records").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{{Key: "merged", Value: true}}}})
	return mapErr(err)
}

// UnmergedRecords finds linked records not marked merged.
func (s *ParticipationStore) UnmergedRecords(ctx context.Context) ([]*mitreden.ParticipantRecord, error) {
	var out []*mitreden.ParticipantRecord
	err := streamFind(ctx, s.db, "assisted_records", bson.D{{Key: "linked_user_id", Value: bson.D{{Key: "$gt", Value: ""}}}, {Key: "merged", Value: false}}, nil,
		func(d *recordDoc) error { out = append(out, d.domain()); return nil })
	return out, err
}

// RecordsLinkedTo reads through the linked index's prefix.
func (s *ParticipationStore) RecordsLinkedTo(ctx context.Context, userID string) ([]*mitreden.ParticipantRecord, error) {
	var out []*mitreden.ParticipantRecord
	err := streamFind(ctx, s.db, "assisted_records", bson.D{{Key: "linked_user_id", Value: userID}}, nil,
		func(d *recordDoc) error { out = append(out, d.domain()); return nil })
	return out, err
}

// UnlinkRecord clears the link in one conditional update by _id.
func (s *ParticipationStore) UnlinkRecord(ctx context.Context, id, userID string) (bool, error) {
	o, err := oid(id)
	if err != nil {
		return false, err
	}
	wctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("assisted_records").UpdateOne(wctx, bson.D{{Key: "_id", Value: o}, {Key: "linked_user_id", Value: userID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "linked_user_id", Value: ""}, {Key: "linked_at", Value: time.Time{}}, {Key: "merged", Value: false}}}})
	if err != nil {
		return false, mapErr(err)
	}
	return res.ModifiedCount > 0, nil
}

// LinkedRecords streams the linked records through the linked index.
func (s *ParticipationStore) LinkedRecords(ctx context.Context, yield func(*mitreden.ParticipantRecord) error) error {
	return streamFind(ctx, s.db, "assisted_records", bson.D{{Key: "linked_user_id", Value: bson.D{{Key: "$gt", Value: ""}}}}, nil,
		func(d *recordDoc) error { return yield(d.domain()) })
}

// VotesOf reads the votes of voter through the user index.
func (s *ParticipationStore) VotesOf(ctx context.Context, voter string) ([]mitreden.AssistedVote, error) {
	var out []mitreden.AssistedVote
	err := streamFind(ctx, s.db, "votes", bson.D{{Key: "user_id", Value: voter}}, nil, func(d *voteDoc) error {
		out = append(out, mitreden.AssistedVote{ProposalID: d.ProposalID, ConsultationID: d.ConsultationID, Value: d.Value})
		return nil
	})
	return out, err
}

// voteProvDoc is the provenance part of a vote record.
type voteProvDoc struct {
	Value      string    `bson:"value"`
	Channel    string    `bson:"channel"`
	ReceivedAt time.Time `bson:"received_at"`
}

// SetVoteProvenance sets channel and date on the vote record by _id.
func (s *ParticipationStore) SetVoteProvenance(ctx context.Context, proposalID, voter, channel string, receivedAt time.Time) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("votes").UpdateOne(ctx, bson.D{{Key: "_id", Value: voteID(proposalID, voter)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "channel", Value: channel}, {Key: "received_at", Value: receivedAt}}}})
	return mapErr(err)
}

// VoteChannel reads the provenance of a vote by _id.
func (s *ParticipationStore) VoteChannel(ctx context.Context, proposalID, voter string) (string, time.Time, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d voteProvDoc
	if err := s.db.C("votes").FindOne(ctx, bson.D{{Key: "_id", Value: voteID(proposalID, voter)}}).Decode(&d); err != nil {
		return "", time.Time{}, mapErr(err)
	}
	if d.Channel == "" {
		return mitreden.ChannelOnline, time.Time{}, nil
	}
	return d.Channel, zeroUTC(d.ReceivedAt), nil
}

type auditDoc struct {
	ID         bson.ObjectID `bson:"_id"`
	At         time.Time     `bson:"at"`
	StaffID    string        `bson:"staff_id"`
	Staff      string        `bson:"staff"`
	Action     string        `bson:"action"`
	RecordID   string        `bson:"record_id"`
	ItemType   string        `bson:"item_type,omitempty"`
	ItemID     string        `bson:"item_id,omitempty"`
	Value      string        `bson:"value,omitempty"`
	Channel    string        `bson:"channel,omitempty"`
	ReceivedAt time.Time     `bson:"received_at,omitempty"`
	Reference  string        `bson:"reference,omitempty"`
}

// AppendAudit inserts e; the audit is never updated.
func (s *ParticipationStore) AppendAudit(ctx context.Context, e *mitreden.AuditEntry) error {
	id := bson.NewObjectID()
	if e.At.IsZero() {
		e.At = now()
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("assisted_audit").InsertOne(ctx, auditDoc{ID: id, At: e.At, StaffID: e.StaffID, Staff: e.Staff, Action: e.Action,
		RecordID: e.RecordID, ItemType: e.ItemType, ItemID: e.ItemID, Value: e.Value, Channel: e.Channel, ReceivedAt: e.ReceivedAt, Reference: e.Reference})
	if err != nil {
		return mapErr(err)
	}
	e.ID = id.Hex()
	return nil
}

// ListAudit returns the newest entries of a record, or of all.
func (s *ParticipationStore) ListAudit(ctx context.Context, recordID string, limit int) ([]*mitreden.AuditEntry, error) {
	filter := bson.D{}
	if recordID != "" {
		filter = bson.D{{Key: "record_id", Value: recordID}}
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("assisted_audit").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []auditDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.AuditEntry, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.AuditEntry{ID: d.ID.Hex(), At: d.At.UTC(), StaffID: d.StaffID, Staff: d.Staff, Action: d.Action, RecordID: d.RecordID,
			ItemType: d.ItemType, ItemID: d.ItemID, Value: d.Value, Channel: d.Channel, ReceivedAt: zeroUTC(d.ReceivedAt), Reference: d.Reference}
	}
	return out, nil
}

// AnsweredRecordProposals reads the answered proposals with a record,
// through the prov_record index on MongoDB.
func (s *ParticipationStore) AnsweredRecordProposals(ctx context.Context) ([]*mitreden.Proposal, error) {
	var out []*mitreden.Proposal
	err := streamFind(ctx, s.db, "proposals", bson.D{{Key: "prov.record_id", Value: bson.D{{Key: "$gt", Value: ""}}},
		{Key: "answered_at", Value: bson.D{{Key: "$gt", Value: time.Unix(86400, 0)}}}}, nil,
		func(d *proposalDoc) error { out = append(out, d.domain()); return nil })
	return out, err
}

type letterDoc struct {
	ID     string    `bson:"_id"`
	SentAt time.Time `bson:"sent_at"`
}

// LettersSent looks the keys up by _id.
func (s *ParticipationStore) LettersSent(ctx context.Context, keys []string) (map[string]time.Time, error) {
	docs, err := findEach[letterDoc](ctx, s.db, "assisted_letters", keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(docs))
	for _, d := range docs {
		out[d.ID] = d.SentAt.UTC()
	}
	return out, nil
}

// MarkLetterSent inserts the mark; a second one is a duplicate key, which
// keeps the first.
func (s *ParticipationStore) MarkLetterSent(ctx context.Context, key string, at time.Time) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("assisted_letters").InsertOne(ctx, letterDoc{ID: key, SentAt: at})
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return nil
	}
	return err
}

// CorrectProposal replaces the text conditionally on the body read.
func (s *ParticipationStore) CorrectProposal(ctx context.Context, p *mitreden.Proposal, oldBody string) error {
	o, err := oid(p.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	p.UpdatedAt = now()
	res, err := s.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "body", Value: oldBody}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: p.Title}, {Key: "body", Value: p.Body}, {Key: "body_html", Value: p.BodyHTML},
			{Key: "lang", Value: p.Lang}, {Key: "prov", Value: provToDoc(p.Prov)}, {Key: "updated_at", Value: p.UpdatedAt}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "assisted.changed"}
	}
	return nil
}

// CorrectComment replaces the text conditionally on the body read.
func (s *ParticipationStore) CorrectComment(ctx context.Context, c *mitreden.Comment, oldBody string) error {
	o, err := oid(c.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "body", Value: oldBody}, {Key: "deleted", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: c.Body}, {Key: "body_html", Value: c.BodyHTML},
			{Key: "lang", Value: c.Lang}, {Key: "prov", Value: provToDoc(c.Prov)}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "assisted.changed"}
	}
	return nil
}

// channelDoc reads only what a count by channel needs.
type channelDoc struct {
	Prov    *provDoc `bson:"prov"`
	Channel string   `bson:"channel"`
}

// ChannelStats counts by channel with three filtered scans that fetch only
// the channel (indexed by consultation on MongoDB).
func (s *ParticipationStore) ChannelStats(ctx context.Context, consultationID string) (*mitreden.ChannelStats, error) {
	st := &mitreden.ChannelStats{Proposals: map[string]int{}, Comments: map[string]int{}, Votes: map[string]int{}}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	for _, q := range []struct {
		coll   string
		filter bson.D
		proj   bson.D
		into   map[string]int
	}{
		{"proposals", bson.D{{Key: "consultation_id", Value: consultationID}}, bson.D{{Key: "prov.channel", Value: 1}}, st.Proposals},
		{"comments", bson.D{{Key: "consultation_id", Value: consultationID}, {Key: "deleted", Value: false}}, bson.D{{Key: "prov.channel", Value: 1}}, st.Comments},
		{"votes", bson.D{{Key: "consultation_id", Value: consultationID}}, bson.D{{Key: "channel", Value: 1}}, st.Votes},
	} {
		err := streamFind(ctx, s.db, q.coll, q.filter, q.proj, func(d *channelDoc) error {
			ch := d.Channel
			if d.Prov != nil {
				ch = d.Prov.Channel
			}
			if ch == "" {
				ch = mitreden.ChannelOnline
			}
			q.into[ch]++
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}
