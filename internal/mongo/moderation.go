package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Moderation keeps three collections: reports (one document per reporter
// and item, its _id made of both, so the unique _id enforces "once"), the
// queue (one document per item waiting, its _id the item's, so counting a
// report is one atomic upsert), and the record (insert only).

func init() {
	registerIndexes(
		index{coll: "reports", keys: bson.D{{Key: "item_type", Value: 1}, {Key: "item_id", Value: 1}}, name: "item"},
		index{coll: "moderation_queue", keys: bson.D{{Key: "priority", Value: 1}, {Key: "reports", Value: -1}, {Key: "since", Value: 1}}, name: "review_order"},
		index{coll: "moderation_queue", keys: bson.D{{Key: "author_id", Value: 1}, {Key: "consultation_id", Value: 1}}, name: "author"},
		index{coll: "moderation_log", keys: bson.D{{Key: "at", Value: -1}}, name: "at"},
		index{coll: "moderation_log", keys: bson.D{{Key: "item_type", Value: 1}, {Key: "item_id", Value: 1}, {Key: "at", Value: -1}}, name: "item"},
		index{coll: "moderation_log", keys: bson.D{{Key: "author_id", Value: 1}, {Key: "at", Value: -1}}, name: "author"},
	)
	Collections = append(Collections, "reports", "moderation_queue", "moderation_log", "moderation_held")
}

// presetID is the ObjectID of a preset id (a released held contribution
// keeps the id it was given), or a new one.
func presetID(id string) (bson.ObjectID, error) {
	if id == "" {
		return bson.NewObjectID(), nil
	}
	return oid(id)
}

type itemModDoc struct {
	Reason     string    `bson:"reason,omitempty"`
	By         string    `bson:"by,omitempty"`
	At         time.Time `bson:"at,omitempty"`
	Auto       bool      `bson:"auto,omitempty"`
	Review     bool      `bson:"review,omitempty"`
	Appealed   bool      `bson:"appealed,omitempty"`
	Decisions  int       `bson:"decisions,omitempty"`
	ReleasedAt time.Time `bson:"released_at,omitempty"`
}

func (d *itemModDoc) domain() mitreden.ItemModeration {
	if d == nil {
		return mitreden.ItemModeration{}
	}
	return mitreden.ItemModeration{Reason: d.Reason, By: d.By, At: zeroUTC(d.At), Auto: d.Auto, Review: d.Review, Appealed: d.Appealed,
		Decisions: d.Decisions, ReleasedAt: zeroUTC(d.ReleasedAt)}
}

func itemModToDoc(m mitreden.ItemModeration) *itemModDoc {
	if m == (mitreden.ItemModeration{}) {
		return nil
	}
	d := modDoc(m)
	return &d
}

func modDoc(m mitreden.ItemModeration) itemModDoc {
	return itemModDoc{Reason: m.Reason, By: m.By, At: m.At, Auto: m.Auto, Review: m.Review, Appealed: m.Appealed, Decisions: m.Decisions, ReleasedAt: m.ReleasedAt}
}

type reportDoc struct {
	ID         string    `bson:"_id"`
	ItemType   string    `bson:"item_type"`
	ItemID     string    `bson:"item_id"`
	ReporterID string    `bson:"reporter_id"`
	Reason     string    `bson:"reason"`
	Note       string    `bson:"note"`
	CreatedAt  time.Time `bson:"created_at"`
}

// CreateReport stores r under its reporter and item.
func (s *ParticipationStore) CreateReport(ctx context.Context, r *mitreden.Report) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("reports").InsertOne(ctx, reportDoc{ID: r.ItemType + ":" + r.ItemID + ":" + r.ReporterID, ItemType: r.ItemType,
		ItemID: r.ItemID, ReporterID: r.ReporterID, Reason: r.Reason, Note: r.Note, CreatedAt: r.CreatedAt})
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.already_reported", Err: err}
	}
	return err
}

// ItemReports returns an item's reports, oldest first.
func (s *ParticipationStore) ItemReports(ctx context.Context, itemType, itemID string) ([]*mitreden.Report, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("reports").Find(ctx, bson.D{{Key: "item_type", Value: itemType}, {Key: "item_id", Value: itemID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []reportDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.Report, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.Report{ItemType: d.ItemType, ItemID: d.ItemID, ReporterID: d.ReporterID, Reason: d.Reason, Note: d.Note, CreatedAt: d.CreatedAt.UTC()}
	}
	return out, nil
}

type heldDoc struct {
	Why      string       `bson:"why"`
	Proposal *proposalDoc `bson:"proposal,omitempty"`
	Comment  *commentDoc  `bson:"comment,omitempty"`
	Words    []string     `bson:"words,omitempty"`
}

type queueDoc struct {
	ID             string    `bson:"_id"`
	ItemType       string    `bson:"item_type"`
	ItemID         string    `bson:"item_id"`
	ConsultationID string    `bson:"consultation_id"`
	TargetType     string    `bson:"target_type"`
	TargetID       string    `bson:"target_id"`
	AuthorID       string    `bson:"author_id"`
	Reports        int       `bson:"reports"`
	ReportedAt     time.Time `bson:"reported_at"`
	Since          time.Time `bson:"since"`
	Hidden         bool      `bson:"hidden"`
	Appeal         bool      `bson:"appeal"`
	AppealNote     string    `bson:"appeal_note"`
	HiddenBy       string    `bson:"hidden_by"`
	// Priority orders the review: 0 for appeals and items hidden by
	// reports, 1 for the rest.
	Priority int      `bson:"priority"`
	Held     *heldDoc `bson:"held,omitempty"`
	EditWhy  string   `bson:"edit_why,omitempty"`
	Words    []string `bson:"words,omitempty"`
}

func priority(e *mitreden.QueueEntry) int {
	if e.Appeal || e.Hidden {
		return 0
	}
	return 1
}

func queueToDoc(e *mitreden.QueueEntry) queueDoc {
	d := queueDoc{ID: e.ID, ItemType: e.ItemType, ItemID: e.ItemID, ConsultationID: e.ConsultationID, TargetType: e.TargetType,
		TargetID: e.TargetID, AuthorID: e.AuthorID, Reports: e.Reports, ReportedAt: e.ReportedAt, Since: e.Since, Hidden: e.Hidden,
		Appeal: e.Appeal, AppealNote: e.AppealNote, HiddenBy: e.HiddenBy, Priority: priority(e), EditWhy: e.EditWhy, Words: e.Words}
	if h := e.Held; h != nil {
		d.Held = &heldDoc{Why: h.Why, Words: h.Words}
		if h.Proposal != nil {
			o, _ := presetID(h.Proposal.ID)
			pd := proposalToDoc(h.Proposal, o)
			d.Held.Proposal = &pd
		}
		if h.Comment != nil {
			o, _ := presetID(h.Comment.ID)
			cd := commentToDoc(h.Comment, o)
			d.Held.Comment = &cd
		}
	}
	return d
}

func (d *queueDoc) domain() *mitreden.QueueEntry {
	e := &mitreden.QueueEntry{ID: d.ID, ItemType: d.ItemType, ItemID: d.ItemID, ConsultationID: d.ConsultationID, TargetType: d.TargetType,
		TargetID: d.TargetID, AuthorID: d.AuthorID, Reports: d.Reports, ReportedAt: zeroUTC(d.ReportedAt), Since: d.Since.UTC(),
		Hidden: d.Hidden, Appeal: d.Appeal, AppealNote: d.AppealNote, HiddenBy: d.HiddenBy, EditWhy: d.EditWhy, Words: d.Words}
	if h := d.Held; h != nil {
		e.Held = &mitreden.HeldContribution{Why: h.Why, Words: h.Words}
		if h.Proposal != nil {
			e.Held.Proposal = h.Proposal.domain()
		}
		if h.Comment != nil {
			e.Held.Comment = h.Comment.domain()
		}
	}
	return e
}

// AddQueueReport counts a report on the item's entry in one upsert.
func (s *ParticipationStore) AddQueueReport(ctx context.Context, e *mitreden.QueueEntry, at time.Time) (*mitreden.QueueEntry, error) {
	ctx, done := s.db.write(ctx)
	defer done()
	d := queueToDoc(e)
	var out queueDoc
	err := s.db.C("moderation_queue").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: e.ID}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "reports", Value: 1}}},
		{Key: "$max", Value: bson.D{{Key: "reported_at", Value: at}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "item_type", Value: d.ItemType}, {Key: "item_id", Value: d.ItemID},
			{Key: "consultation_id", Value: d.ConsultationID}, {Key: "target_type", Value: d.TargetType}, {Key: "target_id", Value: d.TargetID},
			{Key: "author_id", Value: d.AuthorID}, {Key: "since", Value: at}, {Key: "hidden", Value: d.Hidden},
			{Key: "appeal", Value: false}, {Key: "appeal_note", Value: ""}, {Key: "hidden_by", Value: d.HiddenBy}, {Key: "priority", Value: d.Priority}}},
	}, options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&out)
	if err != nil {
		return nil, mapErr(err)
	}
	return out.domain(), nil
}

// heldCountDoc counts an author's held contributions, so that the pages
// an author reads look their held items up (a query the embedded engine
// answers by scanning the queue) only when there are any: a lookup by _id
// otherwise, which the embedded mode answers from memory. It may count
// high after a crash (it is raised before the entry is written and lowered
// after it is removed), which costs one needless query, never a hidden
// item.
type heldCountDoc struct {
	ID string `bson:"_id"`
	N  int    `bson:"n"`
}

func (s *ParticipationStore) incHeld(ctx context.Context, authorID string, n int) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("moderation_held").UpdateOne(ctx, bson.D{{Key: "_id", Value: authorID}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: n}}}}, options.UpdateOne().SetUpsert(true))
	return mapErr(err)
}

// PutQueueEntry inserts or replaces an entry.
func (s *ParticipationStore) PutQueueEntry(ctx context.Context, e *mitreden.QueueEntry) error {
	if e.Held != nil {
		if old, err := s.FindQueueEntry(ctx, e.ID); mitreden.ErrorCode(err) == mitreden.ENOTFOUND || (err == nil && old.Held == nil) {
			if err := s.incHeld(ctx, e.AuthorID, 1); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("moderation_queue").ReplaceOne(ctx, bson.D{{Key: "_id", Value: e.ID}}, queueToDoc(e), options.Replace().SetUpsert(true))
	return mapErr(err)
}

// FindQueueEntry returns an entry by id.
func (s *ParticipationStore) FindQueueEntry(ctx context.Context, id string) (*mitreden.QueueEntry, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d queueDoc
	if err := s.db.C("moderation_queue").findID(ctx, id, &d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// DeleteQueueEntry removes an entry.
func (s *ParticipationStore) DeleteQueueEntry(ctx context.Context, id string) error {
	old, err := s.FindQueueEntry(ctx, id)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	wctx, done := s.db.write(ctx)
	res, err := s.db.C("moderation_queue").DeleteOne(wctx, bson.D{{Key: "_id", Value: id}})
	done()
	if err != nil {
		return mapErr(err)
	}
	if old.Held != nil && res.DeletedCount > 0 {
		return s.incHeld(ctx, old.AuthorID, -1)
	}
	return nil
}

func (s *ParticipationStore) findQueue(ctx context.Context, filter bson.D, sort bson.D, skip, limit int64) ([]*mitreden.QueueEntry, error) {
	opt := options.Find().SetSort(sort)
	if limit > 0 {
		opt.SetSkip(skip).SetLimit(limit)
	}
	cur, err := s.db.C("moderation_queue").Find(ctx, filter, opt)
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []queueDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.QueueEntry, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// ListQueue returns a page of the queue in review order.
func (s *ParticipationStore) ListQueue(ctx context.Context, page, perPage int) ([]*mitreden.QueueEntry, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(page, perPage)
	n, err := s.db.C("moderation_queue").CountDocuments(ctx, bson.D{})
	if err != nil {
		return nil, 0, mapErr(err)
	}
	list, err := s.findQueue(ctx, bson.D{}, bson.D{{Key: "priority", Value: 1}, {Key: "reports", Value: -1}, {Key: "since", Value: 1}, {Key: "_id", Value: 1}},
		int64((page-1)*per), int64(per))
	return list, int(n), err
}

// HeldOf returns an author's held contributions.
func (s *ParticipationStore) HeldOf(ctx context.Context, authorID, consultationID string) ([]*mitreden.QueueEntry, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var n heldCountDoc
	if err := s.db.C("moderation_held").findID(ctx, authorID, &n); err == mongo.ErrNoDocuments || (err == nil && n.N <= 0) {
		return nil, nil
	} else if err != nil {
		return nil, mapErr(err)
	}
	filter := bson.D{{Key: "author_id", Value: authorID}}
	if consultationID != "" {
		filter = append(filter, bson.E{Key: "consultation_id", Value: consultationID})
	}
	filter = append(filter, bson.E{Key: "held", Value: bson.D{{Key: "$exists", Value: true}}})
	return s.findQueue(ctx, filter, bson.D{{Key: "since", Value: 1}, {Key: "_id", Value: 1}}, 0, 0)
}

type actionDoc struct {
	ID             bson.ObjectID `bson:"_id"`
	At             time.Time     `bson:"at"`
	ActorID        string        `bson:"actor_id"`
	ActorName      string        `bson:"actor_name"`
	Action         string        `bson:"action"`
	ItemType       string        `bson:"item_type"`
	ItemID         string        `bson:"item_id"`
	ConsultationID string        `bson:"consultation_id"`
	TargetType     string        `bson:"target_type"`
	TargetID       string        `bson:"target_id"`
	AuthorID       string        `bson:"author_id"`
	Reason         string        `bson:"reason"`
	Until          time.Time     `bson:"until,omitempty"`
}

// AppendModerationAction inserts a record entry.
func (s *ParticipationStore) AppendModerationAction(ctx context.Context, a *mitreden.ModerationAction) error {
	ctx, done := s.db.write(ctx)
	defer done()
	id := bson.NewObjectID()
	_, err := s.db.C("moderation_log").InsertOne(ctx, actionDoc{ID: id, At: a.At, ActorID: a.ActorID, ActorName: a.ActorName, Action: a.Action,
		ItemType: a.ItemType, ItemID: a.ItemID, ConsultationID: a.ConsultationID, TargetType: a.TargetType, TargetID: a.TargetID,
		AuthorID: a.AuthorID, Reason: a.Reason, Until: a.Until})
	if err != nil {
		return mapErr(err)
	}
	a.ID = id.Hex()
	return nil
}

// ListModerationActions returns a page of the record, newest first.
func (s *ParticipationStore) ListModerationActions(ctx context.Context, f mitreden.ModerationLogFilter) ([]*mitreden.ModerationAction, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	filter := bson.D{}
	if f.Action != "" {
		filter = append(filter, bson.E{Key: "action", Value: f.Action})
	}
	if f.ItemType != "" {
		filter = append(filter, bson.E{Key: "item_type", Value: f.ItemType}, bson.E{Key: "item_id", Value: f.ItemID})
	}
	if f.AuthorID != "" {
		filter = append(filter, bson.E{Key: "author_id", Value: f.AuthorID})
	}
	at := bson.D{}
	if !f.From.IsZero() {
		at = append(at, bson.E{Key: "$gte", Value: f.From})
	}
	if !f.To.IsZero() {
		at = append(at, bson.E{Key: "$lt", Value: f.To})
	}
	if len(at) > 0 {
		filter = append(filter, bson.E{Key: "at", Value: at})
	}
	n, err := s.db.C("moderation_log").CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	cur, err := s.db.C("moderation_log").Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64((page-1)*per)).SetLimit(int64(per)))
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var docs []actionDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]*mitreden.ModerationAction, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.ModerationAction{ID: d.ID.Hex(), At: d.At.UTC(), ActorID: d.ActorID, ActorName: d.ActorName, Action: d.Action,
			ItemType: d.ItemType, ItemID: d.ItemID, ConsultationID: d.ConsultationID, TargetType: d.TargetType, TargetID: d.TargetID,
			AuthorID: d.AuthorID, Reason: d.Reason, Until: zeroUTC(d.Until)}
	}
	return out, int(n), nil
}

// SetItemModeration stores an item's hidden flag and moderation fields.
func (s *ParticipationStore) SetItemModeration(ctx context.Context, itemType, id string, hidden bool, m mitreden.ItemModeration) error {
	coll := map[string]string{mitreden.ItemProposal: "proposals", mitreden.ItemComment: "comments"}[itemType]
	o, err := oid(id)
	if err != nil || coll == "" {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found", Err: err}
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: o}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "hidden", Value: hidden}, {Key: "mod", Value: modDoc(m)}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return nil
}

// NewItemID returns a new ObjectID as hex.
func (s *ParticipationStore) NewItemID() string { return bson.NewObjectID().Hex() }

// CountModerators counts accounts with the moderator or admin role.
func (s *ParticipationStore) CountModerators(ctx context.Context) (int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	n, err := s.db.C("users").CountDocuments(ctx, bson.D{{Key: "roles", Value: bson.D{{Key: "$in", Value: bson.A{"moderator", "admin"}}}}})
	return int(n), mapErr(err)
}
