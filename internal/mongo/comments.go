package mongo

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func init() {
	registerIndexes(
		index{coll: "comments", keys: bson.D{{Key: "target_type", Value: 1}, {Key: "target_id", Value: 1}, {Key: "created_at", Value: 1}}, name: "target_created"},
		// A page of a discussion: its top-level comments by date, and the
		// replies by parent.
		index{coll: "comments", keys: bson.D{{Key: "target_type", Value: 1}, {Key: "target_id", Value: 1}, {Key: "parent_id", Value: 1},
			{Key: "created_at", Value: 1}}, name: "target_parent_created"},
		index{coll: "comment_votes", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
	)
}

type commentDoc struct {
	ID             bson.ObjectID `bson:"_id"`
	TargetType     string        `bson:"target_type"`
	TargetID       string        `bson:"target_id"`
	ConsultationID string        `bson:"consultation_id"`
	ParentID       string        `bson:"parent_id"`
	Depth          int           `bson:"depth"`
	AuthorID       string        `bson:"author_id"`
	AuthorName     string        `bson:"author_name"`
	Body           string        `bson:"body"`
	BodyHTML       string        `bson:"body_html"`
	HTMLVersion    int           `bson:"html_ver"`
	Alignment      string        `bson:"alignment"`
	Lang           string        `bson:"lang"`
	Edited         bool          `bson:"edited"`
	Deleted        bool          `bson:"deleted"`
	Hidden         bool          `bson:"hidden"`
	Mod            *itemModDoc   `bson:"mod,omitempty"`
	CitedIn        []citationDoc `bson:"cited_in,omitempty"`
	Prov           *provDoc      `bson:"prov,omitempty"`
	Up             int           `bson:"up"`
	Down           int           `bson:"down"`
	CreatedAt      time.Time     `bson:"created_at"`
	EditedAt       time.Time     `bson:"edited_at"`
}

func (d *commentDoc) domain() *mitreden.Comment {
	return &mitreden.Comment{ID: d.ID.Hex(), TargetType: d.TargetType, TargetID: d.TargetID, ConsultationID: d.ConsultationID,
		ParentID: d.ParentID, Depth: d.Depth, AuthorID: d.AuthorID, AuthorName: d.AuthorName, Body: d.Body,
		BodyHTML: d.BodyHTML, HTMLVersion: d.HTMLVersion, Alignment: d.Alignment,
		Edited: d.Edited, Deleted: d.Deleted, Hidden: d.Hidden, Mod: d.Mod.domain(), CitedIn: citationsOf(d.CitedIn), Up: d.Up, Down: d.Down, CreatedAt: d.CreatedAt.UTC(), EditedAt: zeroUTC(d.EditedAt),
		Lang: storedLang(d.Lang, d.Body), Prov: d.Prov.domain()}
}

func commentToDoc(c *mitreden.Comment, id bson.ObjectID) commentDoc {
	return commentDoc{ID: id, TargetType: c.TargetType, TargetID: c.TargetID, ConsultationID: c.ConsultationID, ParentID: c.ParentID,
		Depth: c.Depth, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Body: c.Body,
		BodyHTML: c.BodyHTML, HTMLVersion: c.HTMLVersion, Alignment: c.Alignment, Edited: c.Edited,
		Deleted: c.Deleted, Hidden: c.Hidden, Mod: itemModToDoc(c.Mod), CitedIn: citationDocs(c.CitedIn), Up: c.Up, Down: c.Down, CreatedAt: c.CreatedAt, EditedAt: c.EditedAt, Lang: c.Lang,
		Prov: provToDoc(c.Prov)}
}

// CreateComment inserts c and sets its ID.
func (s *ParticipationStore) CreateComment(ctx context.Context, c *mitreden.Comment) error {
	defer s.db.threads.writing()()
	counted := countedBy(c)
	if err := s.db.startCounts(ctx, counted...); err != nil {
		return err
	}
	id, err := presetID(c.ID)
	if err != nil {
		return s.recordWritten(ctx, err, flat(counted)...)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	wctx, done := s.db.write(ctx)
	_, err = s.db.C("comments").InsertOne(wctx, commentToDoc(c, id))
	done()
	if err != nil {
		return s.recordWritten(ctx, mapErr(err), flat(counted)...)
	}
	c.ID = id.Hex()
	// The thread document lists the comment ids of a target, so that reading a
	// discussion is a few lookups by _id: the only indexed access the
	// embedded engine has.
	wctx, done = s.db.write(ctx)
	defer done()
	err = s.db.pushThreadID(wctx, threadID(c.TargetType, c.TargetID), c.ID)
	if s.db.threads.outcome(err, threadID(c.TargetType, c.TargetID)) {
		s.db.threads.added(c)
	}
	return err
}

func threadID(targetType, targetID string) string { return targetType + ":" + targetID }

// threadDoc lists comment ids of a thread. The thread's own document (its
// _id the thread id) holds the first ids and counts the further documents,
// each of at most threadChunk ids, with _id thread id + "#" + 1, 2, … (see
// pushThreadID).
type threadDoc struct {
	ID     string   `bson:"_id"`
	IDs    []string `bson:"ids"`
	Chunks int      `bson:"chunks,omitempty"`
}

// threadChunk bounds the ids of one thread document in embedded mode.
// FerretDB applies a $push by decoding, changing and writing back the whole
// document, so one document per thread made each comment cost more the
// longer its thread (28 ms at 1,000 comments against 12 ms at 10).
const threadChunk = 200

func threadChunkID(thread string, n int) string { return thread + "#" + strconv.Itoa(n) }

// threadTail is where the next id of a thread goes: document chunk
// (0 is the thread's own) which holds n ids.
type threadTail struct{ chunk, n int }

// threadTails remembers the tail of each thread written to, so a comment
// write reads nothing first. Kept only where this process is the store's
// only writer; guarded by the write lock.
type threadTails map[string]threadTail

// pushThreadID appends id to the thread's list; the caller holds the write
// lock. On MongoDB a $push into one document, which the server applies in
// place. In embedded mode into the thread's last document, a new one each
// threadChunk ids, so the cost stays the same however long the thread.
func (d *DB) pushThreadID(ctx context.Context, thread, id string) error {
	push := bson.D{{Key: "$push", Value: bson.D{{Key: "ids", Value: id}}}}
	upsert := options.UpdateOne().SetUpsert(true)
	if !d.marksInMemory() {
		_, err := d.C("comment_threads").UpdateOne(ctx, bson.D{{Key: "_id", Value: thread}}, push, upsert)
		return mapErr(err)
	}
	t, ok := d.tails[thread]
	if !ok {
		var err error
		if t, err = d.readThreadTail(ctx, thread); err != nil {
			return err
		}
	}
	delete(d.tails, thread) // known again once the write succeeded
	if t.n >= threadChunk {
		// The thread's document counts the new one first: a crash between
		// leaves an empty chunk, never an id outside the list.
		t = threadTail{chunk: t.chunk + 1}
		if _, err := d.C("comment_threads").UpdateOne(ctx, bson.D{{Key: "_id", Value: thread}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "chunks", Value: t.chunk}}}}, upsert); err != nil {
			return mapErr(err)
		}
	}
	doc := thread
	if t.chunk > 0 {
		doc = threadChunkID(thread, t.chunk)
	}
	var opts []options.Lister[options.UpdateOneOptions]
	if t.n == 0 {
		// A new document; into an existing one the push is deferred with
		// the counters (DeferCounters), which an upsert is not.
		opts = append(opts, upsert)
	}
	if _, err := d.C("comment_threads").UpdateOne(ctx, bson.D{{Key: "_id", Value: doc}}, push, opts...); err != nil {
		return mapErr(err)
	}
	t.n++
	if d.tails == nil {
		d.tails = threadTails{}
	}
	d.tails[thread] = t
	return nil
}

// readThreadTail finds the last document of a thread and its size.
func (d *DB) readThreadTail(ctx context.Context, thread string) (threadTail, error) {
	var head threadDoc
	err := d.C("comment_threads").FindOne(ctx, bson.D{{Key: "_id", Value: thread}}).Decode(&head)
	if err == mongo.ErrNoDocuments {
		return threadTail{}, nil
	} else if err != nil {
		return threadTail{}, mapErr(err)
	}
	if head.Chunks == 0 {
		return threadTail{n: len(head.IDs)}, nil
	}
	var last threadDoc
	err = d.C("comment_threads").FindOne(ctx, bson.D{{Key: "_id", Value: threadChunkID(thread, head.Chunks)}}).Decode(&last)
	if err != nil && err != mongo.ErrNoDocuments {
		return threadTail{}, mapErr(err)
	}
	return threadTail{chunk: head.Chunks, n: len(last.IDs)}, nil
}

// readThreadIDs returns the comment ids of a thread in the order written,
// from all its documents; found is false when the thread has none.
func readThreadIDs(ctx context.Context, db *DB, thread string) (ids []string, found bool, err error) {
	var head threadDoc
	err = db.C("comment_threads").FindOne(ctx, bson.D{{Key: "_id", Value: thread}}).Decode(&head)
	if err == mongo.ErrNoDocuments {
		return nil, false, nil
	} else if err != nil {
		return nil, false, mapErr(err)
	}
	ids = head.IDs
	for i := 1; i <= head.Chunks; i++ {
		var c threadDoc
		err := db.C("comment_threads").FindOne(ctx, bson.D{{Key: "_id", Value: threadChunkID(thread, i)}}).Decode(&c)
		if err != nil && err != mongo.ErrNoDocuments {
			return nil, false, mapErr(err)
		}
		ids = append(ids, c.IDs...)
	}
	return ids, true, nil
}

// FindComment returns the comment with id.
func (s *ParticipationStore) FindComment(ctx context.Context, id string) (*mitreden.Comment, error) {
	d, err := findByOID[commentDoc](ctx, s.db, "comments", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// UpdateCommentBody edits a comment of c.AuthorID that is not deleted.
func (s *ParticipationStore) UpdateCommentBody(ctx context.Context, c *mitreden.Comment) error {
	o, err := oid(c.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "author_id", Value: c.AuthorID}, {Key: "deleted", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: c.Body}, {Key: "body_html", Value: c.BodyHTML},
			{Key: "html_ver", Value: c.HTMLVersion}, {Key: "lang", Value: c.Lang}, {Key: "edited", Value: true}, {Key: "edited_at", Value: c.EditedAt}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.not_editable"}
	}
	return nil
}

// MarkCommentDeleted clears the body and keeps the placeholder.
func (s *ParticipationStore) MarkCommentDeleted(ctx context.Context, id, authorID string) error {
	defer s.db.threads.writing()()
	notEditable := &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.not_editable"}
	d, err := findByOID[commentDoc](ctx, s.db, "comments", id)
	if _, oidErr := bson.ObjectIDFromHex(id); err != nil && oidErr == nil && mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return notEditable
	} else if err != nil {
		return err
	}
	if d.AuthorID != authorID || d.Deleted {
		return notEditable
	}
	counted := countedBy(d.domain())
	if err := s.db.startCounts(ctx, counted...); err != nil {
		return err
	}
	wctx, done := s.db.write(ctx)
	res, err := s.db.C("comments").UpdateOne(wctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "author_id", Value: authorID}, {Key: "deleted", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: ""}, {Key: "body_html", Value: ""}, {Key: "deleted", Value: true}, {Key: "alignment", Value: ""}}}})
	done()
	if err != nil {
		s.db.threads.outcome(mapErr(err), threadID(d.TargetType, d.TargetID))
		return mapErr(err) // it may have happened: the marks go stale
	}
	if res.MatchedCount == 0 {
		return s.recordWritten(ctx, notEditable, flat(counted)...)
	}
	s.db.threads.change(id, func(e *threadEntry) { e.deleted = true })
	return nil
}

func flat(pairs [][2]string) []string {
	out := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		out = append(out, p[0], p[1])
	}
	return out
}

// countedBy names the counter documents (collection, id) whose counters
// count comment c: its consultation's and, on a proposal, the proposal's.
func countedBy(c *mitreden.Comment) [][2]string {
	var out [][2]string
	if c.ConsultationID != "" { // a recommendation's comments count nowhere
		out = append(out, [2]string{"consultations", c.ConsultationID})
	}
	if c.TargetType == "proposal" {
		out = append(out, [2]string{"proposals", c.TargetID})
	}
	return out
}

// ListComments returns every comment of a target, oldest first, by reading
// the target's thread document and each comment by _id.
func (s *ParticipationStore) ListComments(ctx context.Context, targetType, targetID string) ([]*mitreden.Comment, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var t threadDoc
	var found bool
	var err error
	if t.IDs, found, err = readThreadIDs(ctx, s.db, threadID(targetType, targetID)); err != nil {
		return nil, err
	} else if !found {
		return []*mitreden.Comment{}, nil
	}
	if len(t.IDs) > 2000 {
		t.IDs = t.IDs[:2000]
	}
	out := make([]*mitreden.Comment, 0, len(t.IDs))
	for _, id := range t.IDs {
		o, err := bson.ObjectIDFromHex(id)
		if err != nil {
			continue
		}
		var d commentDoc
		if err := s.db.C("comments").findID(ctx, o, &d); err != nil {
			if err == mongo.ErrNoDocuments {
				continue
			}
			return nil, mapErr(err)
		}
		out = append(out, d.domain())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// ListThread returns a page of a discussion: in embedded mode from the
// thread's shape in memory (CacheThreads) and one lookup by _id per comment
// shown; else with indexed queries, a fixed number whatever the thread's
// length: two counts, the page of top-level comments (two queries for
// "best", which sorts by a difference of counters), and one query per
// level of replies (at most mitreden.CommentMaxDepth).
func (s *ParticipationStore) ListThread(ctx context.Context, q mitreden.ThreadQuery) (*mitreden.ThreadPage, error) {
	if s.db.threads != nil {
		return s.listThreadCached(ctx, q)
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	target := bson.D{{Key: "target_type", Value: q.TargetType}, {Key: "target_id", Value: q.TargetID}}
	topF := append(slices.Clone(target), bson.E{Key: "parent_id", Value: ""})
	p := &mitreden.ThreadPage{}
	n, err := s.db.C("comments").CountDocuments(ctx, topF)
	if err != nil {
		return nil, mapErr(err)
	}
	p.TopTotal = int(n)
	if n, err = s.db.C("comments").CountDocuments(ctx, append(slices.Clone(target), bson.E{Key: "deleted", Value: false})); err != nil {
		return nil, mapErr(err)
	}
	p.Visible = int(n)
	page, per := mitreden.NormalizePage(q.Page, q.PerPage)
	skip := int64((page - 1) * per)
	var top []commentDoc
	if q.Order == mitreden.OrderBest {
		top, err = s.bestTop(ctx, topF, skip, per)
	} else {
		dir := 1
		if q.Order == mitreden.OrderNewest {
			dir = -1
		}
		opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: dir}, {Key: "_id", Value: dir}}).SetSkip(skip).SetLimit(int64(per))
		top, err = findDocs(ctx, s.db.C("comments"), topF, opts)
	}
	if err != nil {
		return nil, err
	}
	parents := make([]string, 0, len(top))
	for _, d := range top {
		p.Top = append(p.Top, d.domain())
		parents = append(parents, d.ID.Hex())
	}
	for depth := 1; depth <= mitreden.CommentMaxDepth && len(parents) > 0; depth++ {
		f := append(slices.Clone(target), bson.E{Key: "parent_id", Value: bson.D{{Key: "$in", Value: parents}}})
		docs, err := findDocs(ctx, s.db.C("comments"), f, options.Find().SetBatchSize(10000))
		if err != nil {
			return nil, err
		}
		parents = parents[:0]
		for _, d := range docs {
			p.Replies = append(p.Replies, d.domain())
			parents = append(parents, d.ID.Hex())
		}
	}
	slices.SortFunc(p.Replies, func(a, b *mitreden.Comment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return p, nil
}

// bestTop reads the votes of every top-level comment (without texts),
// orders them by score and reads the page's comments with one $in.
func (s *ParticipationStore) bestTop(ctx context.Context, topF bson.D, skip int64, per int) ([]commentDoc, error) {
	proj := bson.D{{Key: "up", Value: 1}, {Key: "down", Value: 1}, {Key: "created_at", Value: 1}}
	all, err := findDocs(ctx, s.db.C("comments"), topF, options.Find().SetProjection(proj).SetBatchSize(10000))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b commentDoc) int {
		return cmp.Or(cmp.Compare(b.Up-b.Down, a.Up-a.Down), a.CreatedAt.Compare(b.CreatedAt), bytes.Compare(a.ID[:], b.ID[:]))
	})
	all = all[min(int(skip), len(all)):min(int(skip)+per, len(all))]
	if len(all) == 0 {
		return nil, nil
	}
	ids := make([]bson.ObjectID, len(all))
	rank := make(map[bson.ObjectID]int, len(all))
	for i, d := range all {
		ids[i], rank[d.ID] = d.ID, i
	}
	docs, err := findDocs(ctx, s.db.C("comments"), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, options.Find())
	if err != nil {
		return nil, err
	}
	slices.SortFunc(docs, func(a, b commentDoc) int { return cmp.Compare(rank[a.ID], rank[b.ID]) })
	return docs, nil
}

func findDocs(ctx context.Context, c coll, filter bson.D, opts *options.FindOptionsBuilder) ([]commentDoc, error) {
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []commentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	return docs, nil
}

// TopLevelRank counts the top-level comments of c's target before c, oldest
// first: from the cached shape in embedded mode, else with one indexed count.
func (s *ParticipationStore) TopLevelRank(ctx context.Context, c *mitreden.Comment) (int, error) {
	if c.ParentID != "" {
		return 0, &mitreden.Error{Code: mitreden.EINVALID, Message: "error.bad_request"}
	}
	if s.db.threads != nil {
		return s.topLevelRankCached(ctx, c)
	}
	o, err := oid(c.ID)
	if err != nil {
		return 0, err
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	at := c.CreatedAt.UTC()
	n, err := s.db.C("comments").CountDocuments(ctx, bson.D{{Key: "target_type", Value: c.TargetType}, {Key: "target_id", Value: c.TargetID},
		{Key: "parent_id", Value: ""}, {Key: "$or", Value: bson.A{
			bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: at}}}},
			bson.D{{Key: "created_at", Value: at}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: o}}}},
		}}})
	return int(n), mapErr(err)
}

// CountComments recounts a proposal's comments from the records.
func (s *ParticipationStore) CountComments(ctx context.Context, proposalID string) (total, forN, against, neutral int, err error) {
	list, err := s.ListComments(ctx, "proposal", proposalID)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	for _, c := range list {
		if c.Deleted {
			continue
		}
		total++
		switch c.Alignment {
		case "for":
			forN++
		case "against":
			against++
		case "neutral":
			neutral++
		}
	}
	return total, forN, against, neutral, nil
}

// AllComments streams every comment.
func (s *ParticipationStore) AllComments(ctx context.Context, yield func(*mitreden.Comment) error) error {
	return streamAll(ctx, s.db, "comments", func(d *commentDoc) error { return yield(d.domain()) })
}

type commentVoteDoc struct {
	ID        string `bson:"_id"`
	CommentID string `bson:"comment_id"`
	UserID    string `bson:"user_id"`
	Value     int    `bson:"value"`
}

// PutCommentVote stores value (+1/-1, 0 deletes) and returns the previous one.
func (s *ParticipationStore) PutCommentVote(ctx context.Context, commentID, userID string, value int) (int, error) {
	ctx, done := s.db.write(ctx)
	defer done()
	id := commentID + ":" + userID
	var old commentVoteDoc
	var err error
	if value == 0 {
		err = s.db.C("comment_votes").FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&old)
	} else {
		err = s.db.C("comment_votes").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "value", Value: value}, {Key: "comment_id", Value: commentID}, {Key: "user_id", Value: userID}}}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&old)
	}
	if err != nil && err != mongo.ErrNoDocuments {
		return 0, mapErr(err)
	}
	return old.Value, nil
}

// IncCommentVotes adjusts a comment's up/down counters.
func (s *ParticipationStore) IncCommentVotes(ctx context.Context, id string, up, down int) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	defer s.db.threads.writing()()
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "up", Value: up}, {Key: "down", Value: down}}}})
	if err = mapErr(err); s.db.threads.outcome(err, s.db.threads.threadOf(id)) {
		s.db.threads.change(id, func(e *threadEntry) { e.up += up; e.down += down })
	}
	return err
}

// UserCommentVotes returns the user's votes on the given comments.
func (s *ParticipationStore) UserCommentVotes(ctx context.Context, userID string, commentIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if userID == "" || len(commentIDs) == 0 {
		return out, nil
	}
	ids := make([]string, len(commentIDs))
	for i, c := range commentIDs {
		ids[i] = c + ":" + userID
	}
	docs, err := findEach[commentVoteDoc](ctx, s.db, "comment_votes", ids)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[strings.TrimSuffix(d.ID, ":"+userID)] = d.Value
	}
	return out, nil
}
