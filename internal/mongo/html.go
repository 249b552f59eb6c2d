package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Consultations, proposals and comments keep the HTML rendered from their
// Markdown next to the source, with the renderer version that made it
// (html_ver). The start-up backfill looks for documents of another version:
// on MongoDB through these indexes, so that finding none costs an index
// lookup; the embedded engine scans each collection once.
func init() {
	for _, coll := range []string{"consultations", "proposals", "comments"} {
		registerIndexes(index{coll: coll, keys: bson.D{{Key: "html_ver", Value: 1}, {Key: "_id", Value: 1}}, name: "html_ver"})
	}
}

// staleHTML returns the ids of the documents of coll whose html_ver is not
// version (documents of older releases have none). Only ids travel, so the
// answer stays small however many are stale; the embedded engine still
// decodes every document to filter it, which at 100,000 comments takes
// longer than one store call may, hence a deadline of its own.
func staleHTML(ctx context.Context, db *DB, coll string, version int) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cur, err := db.C(coll).Find(ctx, bson.D{{Key: "html_ver", Value: bson.D{{Key: "$ne", Value: version}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, mapErr(err)
	}
	defer cur.Close(ctx)
	ids := []string{}
	for cur.Next(ctx) {
		var d struct {
			ID bson.ObjectID `bson:"_id"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, mapErr(err)
		}
		ids = append(ids, d.ID.Hex())
	}
	return ids, mapErr(cur.Err())
}

// setHTML sets the fields of set on document id of coll if it still holds
// the Markdown sources of sources, so HTML rendered from a text that an
// edit replaced meanwhile is never stored (ECONFLICT).
func setHTML(ctx context.Context, db *DB, coll, id string, sources, set bson.D) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := db.write(ctx)
	defer done()
	res, err := db.C(coll).UpdateOne(ctx, append(bson.D{{Key: "_id", Value: o}}, sources...), bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "error.conflict"}
	}
	return nil
}

// StaleHTMLConsultations returns the ids of consultations whose HTML another
// renderer version made, or none.
func (s *ParticipationStore) StaleHTMLConsultations(ctx context.Context, version int) ([]string, error) {
	return staleHTML(ctx, s.db, "consultations", version)
}

// SetConsultationHTML stores c's HTML while its sources are unchanged.
func (s *ParticipationStore) SetConsultationHTML(ctx context.Context, c *mitreden.Consultation) error {
	return setHTML(ctx, s.db, "consultations", c.ID,
		bson.D{{Key: "body", Value: c.Body}, {Key: "results", Value: c.Results}},
		bson.D{{Key: "body_html", Value: c.BodyHTML}, {Key: "results_html", Value: c.ResultsHTML}, {Key: "html_ver", Value: c.HTMLVersion}})
}

// StaleHTMLProposals returns the ids of proposals whose HTML another
// renderer version made, or none.
func (s *ProposalStore) StaleHTMLProposals(ctx context.Context, version int) ([]string, error) {
	return staleHTML(ctx, s.db, "proposals", version)
}

// SetProposalHTML stores p's HTML while its sources are unchanged.
func (s *ProposalStore) SetProposalHTML(ctx context.Context, p *mitreden.Proposal) error {
	return setHTML(ctx, s.db, "proposals", p.ID,
		bson.D{{Key: "body", Value: p.Body}, {Key: "answer", Value: p.Answer}},
		bson.D{{Key: "body_html", Value: p.BodyHTML}, {Key: "answer_html", Value: p.AnswerHTML}, {Key: "html_ver", Value: p.HTMLVersion}})
}

// StaleHTMLComments returns the ids of comments whose HTML another renderer
// version made, or none.
func (s *ParticipationStore) StaleHTMLComments(ctx context.Context, version int) ([]string, error) {
	return staleHTML(ctx, s.db, "comments", version)
}

// SetCommentHTML stores c's HTML while its body is unchanged.
func (s *ParticipationStore) SetCommentHTML(ctx context.Context, c *mitreden.Comment) error {
	return setHTML(ctx, s.db, "comments", c.ID, bson.D{{Key: "body", Value: c.Body}},
		bson.D{{Key: "body_html", Value: c.BodyHTML}, {Key: "html_ver", Value: c.HTMLVersion}})
}
