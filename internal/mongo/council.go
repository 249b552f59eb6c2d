package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The council's workspace keeps every record with a natural key under that
// key, so the unique _id decides races without a transaction: a revision
// is rec:number (one save wins per number), an evidence link rec:type:item
// (one per item), a member's vote rec:user (one per member), a published
// version rec:version. The recommendation itself carries its current text
// and revision number; a save inserts the revision first and then moves the
// recommendation on with an update conditional on the base revision.

func init() {
	registerIndexes(
		index{coll: "recommendations", keys: bson.D{{Key: "updated_at", Value: -1}}, name: "updated"},
		index{coll: "recommendations", keys: bson.D{{Key: "status", Value: 1}, {Key: "updated_at", Value: -1}}, name: "status_updated"},
		index{coll: "recommendations", keys: bson.D{{Key: "status", Value: 1}, {Key: "published_at", Value: -1}}, name: "status_published"},
		index{coll: "recommendations", keys: bson.D{{Key: "topics", Value: 1}, {Key: "status", Value: 1}, {Key: "published_at", Value: -1}},
			name: "topics_status_published"},
		index{coll: "rec_revisions", keys: bson.D{{Key: "rec_id", Value: 1}, {Key: "n", Value: -1}}, name: "rec_n"},
		index{coll: "rec_evidence", keys: bson.D{{Key: "rec_id", Value: 1}, {Key: "at", Value: 1}}, name: "rec_at"},
		index{coll: "council_votes", keys: bson.D{{Key: "rec_id", Value: 1}}, name: "rec"},
		index{coll: "council_comments", keys: bson.D{{Key: "rec_id", Value: 1}, {Key: "created_at", Value: 1}}, name: "rec_created"},
		index{coll: "rec_versions", keys: bson.D{{Key: "rec_id", Value: 1}, {Key: "version", Value: -1}}, name: "rec_version"},
		// CouncilMembers counts the holders of a role.
		index{coll: "users", keys: bson.D{{Key: "roles", Value: 1}}, name: "roles"},
	)
	Collections = append(Collections, "recommendations", "rec_revisions", "rec_evidence", "council_votes", "council_comments",
		"rec_versions", "council_settings")
}

// CouncilStore implements mitreden.CouncilStore.
type CouncilStore struct{ db *DB }

// Council returns the council store of d.
func (d *DB) Council() *CouncilStore { return &CouncilStore{db: d} }

var _ mitreden.CouncilStore = (*CouncilStore)(nil)

type councilTallyDoc struct {
	Open     bool      `bson:"open"`
	OpenedAt time.Time `bson:"opened_at"`
	ClosedAt time.Time `bson:"closed_at"`
	Approve  int       `bson:"approve"`
	Reject   int       `bson:"reject"`
	Abstain  int       `bson:"abstain"`
	Members  int       `bson:"members"`
	Adopted  bool      `bson:"adopted"`
}

func (d councilTallyDoc) domain() mitreden.CouncilTally {
	return mitreden.CouncilTally{Open: d.Open, OpenedAt: zeroUTC(d.OpenedAt), ClosedAt: zeroUTC(d.ClosedAt), Approve: d.Approve,
		Reject: d.Reject, Abstain: d.Abstain, Members: d.Members, Adopted: d.Adopted}
}

func councilTallyToDoc(t mitreden.CouncilTally) councilTallyDoc {
	return councilTallyDoc{Open: t.Open, OpenedAt: t.OpenedAt, ClosedAt: t.ClosedAt, Approve: t.Approve, Reject: t.Reject,
		Abstain: t.Abstain, Members: t.Members, Adopted: t.Adopted}
}

type recDoc struct {
	ID          bson.ObjectID   `bson:"_id"`
	Title       string          `bson:"title"`
	Summary     string          `bson:"summary"`
	Body        string          `bson:"body"`
	BodyHTML    string          `bson:"body_html"`
	Topics      []string        `bson:"topics"`
	Lang        string          `bson:"lang"`
	Status      string          `bson:"status"`
	Revision    int             `bson:"revision"`
	Vote        councilTallyDoc `bson:"vote"`
	Published   int             `bson:"published"`
	PublishedAt time.Time       `bson:"published_at"`
	// PublishedRev is the revision the newest version was published from.
	PublishedRev int       `bson:"published_revision"`
	CreatedBy    string    `bson:"created_by"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`
	CommentCount int       `bson:"comment_count"`
}

func (d *recDoc) domain() *mitreden.Recommendation {
	return &mitreden.Recommendation{ID: d.ID.Hex(), Title: d.Title, Summary: d.Summary, Body: d.Body, BodyHTML: d.BodyHTML,
		Topics: d.Topics, Lang: d.Lang, Status: d.Status, Revision: d.Revision, Vote: d.Vote.domain(), Published: d.Published,
		PublishedAt: zeroUTC(d.PublishedAt), PublishedRevision: d.PublishedRev, CreatedBy: d.CreatedBy, CreatedAt: zeroUTC(d.CreatedAt), UpdatedAt: zeroUTC(d.UpdatedAt),
		CommentCount: d.CommentCount}
}

type revisionDoc struct {
	ID           string    `bson:"_id"`
	RecID        string    `bson:"rec_id"`
	N            int       `bson:"n"`
	Title        string    `bson:"title"`
	Summary      string    `bson:"summary"`
	Body         string    `bson:"body"`
	BodyHTML     string    `bson:"body_html"`
	Topics       []string  `bson:"topics"`
	Lang         string    `bson:"lang"`
	AuthorID     string    `bson:"author_id"`
	AuthorName   string    `bson:"author_name"`
	Note         string    `bson:"note"`
	RestoredFrom int       `bson:"restored_from"`
	At           time.Time `bson:"at"`
}

func (d *revisionDoc) domain() *mitreden.Revision {
	return &mitreden.Revision{RecID: d.RecID, N: d.N, Title: d.Title, Summary: d.Summary, Body: d.Body, BodyHTML: d.BodyHTML,
		Topics: d.Topics, Lang: d.Lang, AuthorID: d.AuthorID, AuthorName: d.AuthorName, Note: d.Note, RestoredFrom: d.RestoredFrom,
		At: zeroUTC(d.At)}
}

func revisionToDoc(r *mitreden.Revision) revisionDoc {
	return revisionDoc{ID: revisionID(r.RecID, r.N), RecID: r.RecID, N: r.N, Title: r.Title, Summary: r.Summary, Body: r.Body,
		BodyHTML: r.BodyHTML, Topics: nonNil(r.Topics), Lang: r.Lang, AuthorID: r.AuthorID, AuthorName: r.AuthorName, Note: r.Note,
		RestoredFrom: r.RestoredFrom, At: r.At}
}

// revisionID is the _id of revision n: zero-padded, so the ids of one
// recommendation sort as their numbers do.
func revisionID(recID string, n int) string { return fmt.Sprintf("%s:%08d", recID, n) }

// currentText is the update that makes a revision the recommendation's
// current text.
func currentText(r *revisionDoc) bson.D {
	return bson.D{{Key: "$set", Value: bson.D{
		{Key: "title", Value: r.Title}, {Key: "summary", Value: r.Summary}, {Key: "body", Value: r.Body},
		{Key: "body_html", Value: r.BodyHTML}, {Key: "topics", Value: nonNil(r.Topics)}, {Key: "lang", Value: r.Lang},
		{Key: "revision", Value: r.N}, {Key: "updated_at", Value: r.At},
	}}}
}

func staleErr(cause error) error {
	return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "council.stale", Err: cause}
}

// CreateRecommendation inserts r as a draft at revision 1, and rev as that
// revision: rev gets r's text, so the two cannot differ. The revision goes
// first; should the second insert fail, an unreferenced revision is all
// that is left.
func (s *CouncilStore) CreateRecommendation(ctx context.Context, r *mitreden.Recommendation, rev *mitreden.Revision) error {
	id := bson.NewObjectID()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	r.UpdatedAt, r.Status, r.Revision = r.CreatedAt, mitreden.RecDraft, 1
	rev.RecID, rev.N = id.Hex(), 1
	rev.Title, rev.Summary, rev.Body, rev.BodyHTML = r.Title, r.Summary, r.Body, r.BodyHTML
	rev.Topics, rev.Lang = slices.Clone(r.Topics), r.Lang
	if rev.At.IsZero() {
		rev.At = r.CreatedAt
	}
	ctx, done := s.db.write(ctx)
	defer done()
	if _, err := s.db.C("rec_revisions").InsertOne(ctx, revisionToDoc(rev)); err != nil {
		return mapErr(err)
	}
	doc := recDoc{ID: id, Title: r.Title, Summary: r.Summary, Body: r.Body, BodyHTML: r.BodyHTML, Topics: nonNil(r.Topics),
		Lang: r.Lang, Status: r.Status, Revision: r.Revision, Vote: councilTallyToDoc(r.Vote), Published: r.Published,
		PublishedAt: r.PublishedAt, PublishedRev: r.PublishedRevision, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CommentCount: r.CommentCount}
	if _, err := s.db.C("recommendations").InsertOne(ctx, doc); err != nil {
		return mapErr(err)
	}
	r.ID = id.Hex()
	return nil
}

// FindRecommendation returns the recommendation with its current text.
func (s *CouncilStore) FindRecommendation(ctx context.Context, id string) (*mitreden.Recommendation, error) {
	d, err := findByOID[recDoc](ctx, s.db, "recommendations", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// ListRecommendations returns a page of the workspace, newest change first,
// and how many there are; status "" lists every status.
func (s *CouncilStore) ListRecommendations(ctx context.Context, status string, page, perPage int) ([]*mitreden.Recommendation, int, error) {
	filter := bson.D{}
	if status != "" {
		filter = append(filter, bson.E{Key: "status", Value: status})
	}
	return s.listRecs(ctx, filter, "updated_at", page, perPage)
}

// ListPublished returns a page of published recommendations, newest
// publication first, and how many match.
func (s *CouncilStore) ListPublished(ctx context.Context, f mitreden.RecommendationFilter) ([]*mitreden.Recommendation, int, error) {
	filter := bson.D{{Key: "status", Value: mitreden.RecPublished}}
	if f.Topic != "" {
		filter = append(filter, bson.E{Key: "topics", Value: f.Topic})
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		span := bson.D{}
		if !f.From.IsZero() {
			span = append(span, bson.E{Key: "$gte", Value: f.From})
		}
		if !f.To.IsZero() {
			span = append(span, bson.E{Key: "$lt", Value: f.To})
		}
		filter = append(filter, bson.E{Key: "published_at", Value: span})
	}
	return s.listRecs(ctx, filter, "published_at", f.Page, f.PerPage)
}

func (s *CouncilStore) listRecs(ctx context.Context, filter bson.D, by string, page, perPage int) ([]*mitreden.Recommendation, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(page, perPage)
	total, err := s.db.C("recommendations").CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	docs, err := councilFind[recDoc](ctx, s.db, "recommendations", filter, options.Find().
		SetSort(bson.D{{Key: by, Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64((page-1)*per)).SetLimit(int64(per)))
	if err != nil {
		return nil, 0, err
	}
	out := make([]*mitreden.Recommendation, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, int(total), nil
}

// councilFind decodes the documents of coll that filter selects.
func councilFind[D any](ctx context.Context, db *DB, coll string, filter bson.D, opts *options.FindOptionsBuilder) ([]D, error) {
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

// SaveRevision stores rev (rev.RecID set) as revision base+1, then moves the
// recommendation from base to it. The revision's unique _id lets one save
// per number win; the update is conditional on the base, so the
// recommendation never goes back. A save whose revision was inserted but
// whose update never ran (a crash between) leaves the recommendation behind
// its newest revision: the next save on that base collides, rolls the
// recommendation forward to the newest revision and answers stale, so the
// member sees the text that won.
func (s *CouncilStore) SaveRevision(ctx context.Context, base int, rev *mitreden.Revision) error {
	o, err := oid(rev.RecID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	var cur recDoc
	if err := s.db.C("recommendations").findID(ctx, o, &cur); err != nil {
		return mapErr(err)
	}
	if cur.Revision != base {
		return staleErr(nil)
	}
	rev.N = base + 1
	if rev.At.IsZero() {
		rev.At = now()
	}
	doc := revisionToDoc(rev)
	if _, err := s.db.C("rec_revisions").InsertOne(ctx, doc); err != nil {
		if err = mapErr(err); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
			return err
		}
		if ferr := s.rollForward(ctx, o, base); ferr != nil {
			s.db.Logger.Warn("recommendation behind its newest revision; the next save retries", "rec", rev.RecID, "err", ferr)
		}
		return staleErr(err)
	}
	moved, err := s.db.updateIf(ctx, "recommendations", o, bson.D{{Key: "revision", Value: base}},
		func(d bson.Raw) bool { n, _ := d.Lookup("revision").AsInt64OK(); return n == int64(base) }, currentText(&doc), false)
	if err != nil || moved {
		return err
	}
	// Another save's roll-forward got there first (it found this revision).
	return s.rollForward(ctx, o, base)
}

// rollForward makes the newest revision after from the recommendation's
// text when the recommendation is still behind it. Revisions are found by
// their _ids from from+1 on, a lookup each. The caller holds the write lock.
func (s *CouncilStore) rollForward(ctx context.Context, o bson.ObjectID, from int) error {
	var last *revisionDoc
	for n := from + 1; ; n++ {
		var d revisionDoc
		err := s.db.C("rec_revisions").findID(ctx, revisionID(o.Hex(), n), &d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		} else if err != nil {
			return mapErr(err)
		}
		last = &d
	}
	if last == nil {
		return nil
	}
	_, err := s.db.updateIf(ctx, "recommendations", o, bson.D{{Key: "revision", Value: bson.D{{Key: "$lt", Value: last.N}}}},
		func(d bson.Raw) bool { n, _ := d.Lookup("revision").AsInt64OK(); return n < int64(last.N) }, currentText(last), false)
	return err
}

// Revisions lists a recommendation's revisions, newest first.
func (s *CouncilStore) Revisions(ctx context.Context, recID string) ([]*mitreden.Revision, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	docs, err := councilFind[revisionDoc](ctx, s.db, "rec_revisions", bson.D{{Key: "rec_id", Value: recID}},
		options.Find().SetSort(bson.D{{Key: "n", Value: -1}}))
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.Revision, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// FindRevision returns revision n of a recommendation by its _id.
func (s *CouncilStore) FindRevision(ctx context.Context, recID string, n int) (*mitreden.Revision, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d revisionDoc
	if err := s.db.C("rec_revisions").findID(ctx, revisionID(recID, n), &d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// SetRecommendationStatus moves r from status from to r.Status with its
// vote and publication (r.Published, r.PublishedAt, r.PublishedRevision)
// as of r.UpdatedAt (now when zero): a conditional update, so of two moves
// from the same status one wins and the other gets ECONFLICT
// ("council.status_changed"); ENOTFOUND when there is no such
// recommendation.
func (s *CouncilStore) SetRecommendationStatus(ctx context.Context, r *mitreden.Recommendation, from string) error {
	o, err := oid(r.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now()
	}
	moved, err := s.db.updateIf(ctx, "recommendations", o, bson.D{{Key: "status", Value: from}},
		func(d bson.Raw) bool { st, _ := d.Lookup("status").StringValueOK(); return st == from },
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: r.Status}, {Key: "vote", Value: councilTallyToDoc(r.Vote)}, {Key: "published", Value: r.Published},
			{Key: "published_at", Value: r.PublishedAt}, {Key: "published_revision", Value: r.PublishedRevision},
			{Key: "updated_at", Value: r.UpdatedAt},
		}}}, false)
	if err != nil {
		return err
	}
	if !moved {
		var d recDoc
		if err := s.db.C("recommendations").findID(ctx, o, &d); err != nil {
			return mapErr(err)
		}
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "council.status_changed"}
	}
	return nil
}

type evidenceDoc struct {
	ID          string    `bson:"_id"`
	RecID       string    `bson:"rec_id"`
	Type        string    `bson:"type"`
	ItemID      string    `bson:"item_id"`
	Note        string    `bson:"note"`
	AddedBy     string    `bson:"added_by"`
	AddedByName string    `bson:"added_by_name"`
	At          time.Time `bson:"at"`
}

func evidenceID(recID, itemType, itemID string) string { return recID + ":" + itemType + ":" + itemID }

// PutEvidence stores e under its recommendation and item, replacing the
// link there was (its note, author and time too).
func (s *CouncilStore) PutEvidence(ctx context.Context, e *mitreden.Evidence) error {
	if e.At.IsZero() {
		e.At = now()
	}
	id := evidenceID(e.RecID, e.Type, e.ItemID)
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("rec_evidence").ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, evidenceDoc{ID: id, RecID: e.RecID, Type: e.Type,
		ItemID: e.ItemID, Note: e.Note, AddedBy: e.AddedBy, AddedByName: e.AddedByName, At: e.At}, options.Replace().SetUpsert(true))
	return mapErr(err)
}

// DeleteEvidence removes a link; a missing one is no error.
func (s *CouncilStore) DeleteEvidence(ctx context.Context, recID, itemType, itemID string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("rec_evidence").DeleteOne(ctx, bson.D{{Key: "_id", Value: evidenceID(recID, itemType, itemID)}})
	return mapErr(err)
}

// EvidenceOf lists a recommendation's links, oldest first.
func (s *CouncilStore) EvidenceOf(ctx context.Context, recID string) ([]*mitreden.Evidence, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	docs, err := councilFind[evidenceDoc](ctx, s.db, "rec_evidence", bson.D{{Key: "rec_id", Value: recID}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.Evidence, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.Evidence{RecID: d.RecID, Type: d.Type, ItemID: d.ItemID, Note: d.Note, AddedBy: d.AddedBy,
			AddedByName: d.AddedByName, At: zeroUTC(d.At)}
	}
	return out, nil
}

type councilVoteDoc struct {
	ID     string    `bson:"_id"`
	RecID  string    `bson:"rec_id"`
	UserID string    `bson:"user_id"`
	Value  string    `bson:"value"`
	At     time.Time `bson:"at"`
}

// PutCouncilVote stores a member's vote under recommendation and member, so
// a second vote replaces the first.
func (s *CouncilStore) PutCouncilVote(ctx context.Context, v *mitreden.CouncilVote) error {
	if v.At.IsZero() {
		v.At = now()
	}
	id := v.RecID + ":" + v.UserID
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("council_votes").ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}},
		councilVoteDoc{ID: id, RecID: v.RecID, UserID: v.UserID, Value: v.Value, At: v.At}, options.Replace().SetUpsert(true))
	return mapErr(err)
}

// CouncilVotes lists the votes on a recommendation, oldest first.
func (s *CouncilStore) CouncilVotes(ctx context.Context, recID string) ([]*mitreden.CouncilVote, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	docs, err := councilFind[councilVoteDoc](ctx, s.db, "council_votes", bson.D{{Key: "rec_id", Value: recID}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.CouncilVote, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.CouncilVote{RecID: d.RecID, UserID: d.UserID, Value: d.Value, At: zeroUTC(d.At)}
	}
	return out, nil
}

type councilCommentDoc struct {
	ID         bson.ObjectID `bson:"_id"`
	RecID      string        `bson:"rec_id"`
	ParentID   string        `bson:"parent_id"`
	Depth      int           `bson:"depth"`
	AuthorID   string        `bson:"author_id"`
	AuthorName string        `bson:"author_name"`
	Body       string        `bson:"body"`
	BodyHTML   string        `bson:"body_html"`
	Lang       string        `bson:"lang"`
	CreatedAt  time.Time     `bson:"created_at"`
}

func (d *councilCommentDoc) domain() *mitreden.CouncilComment {
	return &mitreden.CouncilComment{ID: d.ID.Hex(), RecID: d.RecID, ParentID: d.ParentID, Depth: d.Depth, AuthorID: d.AuthorID,
		AuthorName: d.AuthorName, Body: d.Body, BodyHTML: d.BodyHTML, Lang: d.Lang, CreatedAt: zeroUTC(d.CreatedAt)}
}

// AddCouncilComment inserts c, sets c.ID and counts it on the
// recommendation (CommentCount). Should the count fail after the insert,
// the comment stands and the count is one short.
func (s *CouncilStore) AddCouncilComment(ctx context.Context, c *mitreden.CouncilComment) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	id := bson.NewObjectID()
	ctx, done := s.db.write(ctx)
	defer done()
	if _, err := s.db.C("council_comments").InsertOne(ctx, councilCommentDoc{ID: id, RecID: c.RecID, ParentID: c.ParentID,
		Depth: c.Depth, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Body: c.Body, BodyHTML: c.BodyHTML, Lang: c.Lang,
		CreatedAt: c.CreatedAt}); err != nil {
		return mapErr(err)
	}
	c.ID = id.Hex()
	if o, err := bson.ObjectIDFromHex(c.RecID); err == nil {
		if _, err := s.db.C("recommendations").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "comment_count", Value: 1}}}}); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// CouncilComments lists a recommendation's internal comments, oldest first.
func (s *CouncilStore) CouncilComments(ctx context.Context, recID string) ([]*mitreden.CouncilComment, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	docs, err := councilFind[councilCommentDoc](ctx, s.db, "council_comments", bson.D{{Key: "rec_id", Value: recID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.CouncilComment, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// FindCouncilComment returns an internal comment by id.
func (s *CouncilStore) FindCouncilComment(ctx context.Context, id string) (*mitreden.CouncilComment, error) {
	d, err := findByOID[councilCommentDoc](ctx, s.db, "council_comments", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

type publishedVersionDoc struct {
	ID       string    `bson:"_id"`
	RecID    string    `bson:"rec_id"`
	Version  int       `bson:"version"`
	Revision int       `bson:"revision"`
	Title    string    `bson:"title"`
	Summary  string    `bson:"summary"`
	Body     string    `bson:"body"`
	BodyHTML string    `bson:"body_html"`
	Topics   []string  `bson:"topics"`
	Lang     string    `bson:"lang"`
	Note     string    `bson:"note"`
	At       time.Time `bson:"at"`
}

// PutPublishedVersion inserts v under its recommendation and number: a
// version exists once (ECONFLICT).
func (s *CouncilStore) PutPublishedVersion(ctx context.Context, v *mitreden.PublishedVersion) error {
	if v.At.IsZero() {
		v.At = now()
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("rec_versions").InsertOne(ctx, publishedVersionDoc{ID: fmt.Sprintf("%s:%06d", v.RecID, v.Version), RecID: v.RecID,
		Version: v.Version, Revision: v.Revision, Title: v.Title, Summary: v.Summary, Body: v.Body, BodyHTML: v.BodyHTML,
		Topics: nonNil(v.Topics), Lang: v.Lang, Note: v.Note, At: v.At})
	return mapErr(err)
}

// PublishedVersions lists a recommendation's published versions, newest
// first.
func (s *CouncilStore) PublishedVersions(ctx context.Context, recID string) ([]*mitreden.PublishedVersion, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	docs, err := councilFind[publishedVersionDoc](ctx, s.db, "rec_versions", bson.D{{Key: "rec_id", Value: recID}},
		options.Find().SetSort(bson.D{{Key: "version", Value: -1}}))
	if err != nil {
		return nil, err
	}
	out := make([]*mitreden.PublishedVersion, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.PublishedVersion{RecID: d.RecID, Version: d.Version, Revision: d.Revision, Title: d.Title,
			Summary: d.Summary, Body: d.Body, BodyHTML: d.BodyHTML, Topics: d.Topics, Lang: d.Lang, Note: d.Note, At: zeroUTC(d.At)}
	}
	return out, nil
}

// citationDoc is one entry of an item's cited_in list. Every entry has all
// three fields in this order, so a list compares equal in a filter.
type citationDoc struct {
	RecID string `bson:"rec_id"`
	Title string `bson:"title"`
	Lang  string `bson:"lang"`
}

func citationsOf(docs []citationDoc) []mitreden.Citation {
	if len(docs) == 0 {
		return nil
	}
	out := make([]mitreden.Citation, len(docs))
	for i, d := range docs {
		out[i] = mitreden.Citation{RecID: d.RecID, Title: d.Title, Lang: d.Lang}
	}
	return out
}

func citationDocs(cs []mitreden.Citation) []citationDoc {
	if len(cs) == 0 {
		return nil
	}
	out := make([]citationDoc, len(cs))
	for i, c := range cs {
		out[i] = citationDoc{RecID: c.RecID, Title: c.Title, Lang: c.Lang}
	}
	return out
}

// citedColls are the collections of the items a recommendation may cite.
var citedColls = map[string]string{"proposal": "proposals", "comment": "comments", "consultation": "consultations"}

func citedColl(itemType string) (string, error) {
	if c, ok := citedColls[itemType]; ok {
		return c, nil
	}
	return "", mitreden.Invalid(mitreden.FieldError{Field: "type", Code: "oneof", Message: "validation.oneof"})
}

type citedInDoc struct {
	CitedIn []citationDoc `bson:"cited_in"`
}

// citationRetries bounds the rounds AddCitation takes when the list keeps
// changing under it (only on MongoDB, where writes run concurrently).
const citationRetries = 10

// AddCitation records c on the item, replacing the entry of the same
// recommendation (a correction may change its title). The whole list is
// read and written back with $set, conditional on the list read: the
// document cache applies a $set by _id to the cached item, and of two
// concurrent additions on MongoDB the second sees the first's list and
// tries again. A missing item is no error; an unknown type is EINVALID.
func (s *CouncilStore) AddCitation(ctx context.Context, itemType, itemID string, c mitreden.Citation) error {
	coll, err := citedColl(itemType)
	if err != nil {
		return err
	}
	o, err := bson.ObjectIDFromHex(itemID)
	if err != nil {
		return nil
	}
	entry := citationDoc{RecID: c.RecID, Title: c.Title, Lang: c.Lang}
	ctx, done := s.db.write(ctx)
	defer done()
	for range citationRetries {
		var item citedInDoc
		if err := s.db.C(coll).findID(ctx, o, &item); errors.Is(err, mongo.ErrNoDocuments) {
			return nil
		} else if err != nil {
			return mapErr(err)
		}
		prev := item.CitedIn
		next := slices.Clone(prev)
		if i := slices.IndexFunc(next, func(d citationDoc) bool { return d.RecID == c.RecID }); i >= 0 {
			next[i] = entry
		} else {
			next = append(next, entry)
		}
		if slices.Equal(next, prev) {
			return nil
		}
		cond := bson.E{Key: "cited_in", Value: prev}
		if len(prev) == 0 {
			// Missing (older documents, omitempty) or empty.
			cond.Value = bson.D{{Key: "$in", Value: bson.A{nil, bson.A{}}}}
		}
		set, err := s.db.updateIf(ctx, coll, o, bson.D{cond}, func(d bson.Raw) bool {
			var cur citedInDoc
			return bson.Unmarshal(d, &cur) == nil && slices.Equal(cur.CitedIn, prev)
		}, bson.D{{Key: "$set", Value: bson.D{{Key: "cited_in", Value: next}}}}, false)
		if err != nil || set {
			return err
		}
	}
	return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable", RetryAfter: 1,
		Err: fmt.Errorf("cited_in of %s %s kept changing", itemType, itemID)}
}

// Citations returns the citations kept on an item: ENOTFOUND when there is
// no such item, EINVALID for an unknown type.
func (s *CouncilStore) Citations(ctx context.Context, itemType, itemID string) ([]mitreden.Citation, error) {
	coll, err := citedColl(itemType)
	if err != nil {
		return nil, err
	}
	o, err := oid(itemID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var item citedInDoc
	if err := s.db.C(coll).findID(ctx, o, &item); err != nil {
		return nil, mapErr(err)
	}
	return citationsOf(item.CitedIn), nil
}

// CouncilMembers counts the accounts holding the council role.
func (s *CouncilStore) CouncilMembers(ctx context.Context) (int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	n, err := s.db.C("users").CountDocuments(ctx, bson.D{{Key: "roles", Value: string(mitreden.RoleCouncil)}})
	if err != nil {
		return 0, mapErr(err)
	}
	return int(n), nil
}

// councilSettingsID is the _id of the one settings document.
const councilSettingsID = "council"

type councilSettingsDoc struct {
	ID      string `bson:"_id"`
	ChairID string `bson:"chair_id"`
}

// CouncilChair returns the chair's user id ("" when none).
func (s *CouncilStore) CouncilChair(ctx context.Context) (string, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d councilSettingsDoc
	if err := s.db.C("council_settings").findID(ctx, councilSettingsID, &d); errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	} else if err != nil {
		return "", mapErr(err)
	}
	return d.ChairID, nil
}

// SetCouncilChair marks a member as chair ("" clears).
func (s *CouncilStore) SetCouncilChair(ctx context.Context, userID string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("council_settings").UpdateOne(ctx, bson.D{{Key: "_id", Value: councilSettingsID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "chair_id", Value: userID}}}}, options.UpdateOne().SetUpsert(true))
	return mapErr(err)
}
