package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func init() {
	registerIndexes(
		index{coll: "consultations", keys: bson.D{{Key: "opens_at", Value: -1}}, name: "opens_at"},
	)
}

type consultationDoc struct {
	ID               bson.ObjectID `bson:"_id"`
	Title            string        `bson:"title"`
	Summary          string        `bson:"summary"`
	Body             string        `bson:"body"`
	Topics           []string      `bson:"topics"`
	Region           string        `bson:"region"`
	OpensAt          time.Time     `bson:"opens_at"`
	ClosesAt         time.Time     `bson:"closes_at"`
	VotingMode       string        `bson:"voting_mode"`
	MaxSupports      int           `bson:"max_supports"`
	SupportThreshold int           `bson:"support_threshold"`
	ProposalsEnabled bool          `bson:"proposals_enabled"`
	CommentsEnabled  bool          `bson:"comments_enabled"`
	PreModeration    bool          `bson:"pre_moderation"`
	Results          string        `bson:"results"`
	Lang             string        `bson:"lang"`
	BodyHTML         string        `bson:"body_html"`
	ResultsHTML      string        `bson:"results_html"`
	HTMLVersion      int           `bson:"html_ver"`
	EvaluatedAt      time.Time     `bson:"evaluated_at"`
	ProposalCount    int           `bson:"proposal_count"`
	CommentCount     int           `bson:"comment_count"`
	CitedIn          []citationDoc `bson:"cited_in,omitempty"`
	CreatedBy        string        `bson:"created_by"`
	CreatedAt        time.Time     `bson:"created_at"`
	UpdatedAt        time.Time     `bson:"updated_at"`
	Counting         countStateDoc `bson:",inline"`
}

func (d *consultationDoc) domain() *mitreden.Consultation {
	return &mitreden.Consultation{ID: d.ID.Hex(), Title: d.Title, Summary: d.Summary, Body: d.Body, Topics: d.Topics,
		Region: d.Region, OpensAt: d.OpensAt.UTC(), ClosesAt: d.ClosesAt.UTC(), VotingMode: d.VotingMode,
		MaxSupports: d.MaxSupports, SupportThreshold: d.SupportThreshold, ProposalsEnabled: d.ProposalsEnabled,
		CommentsEnabled: d.CommentsEnabled, PreModeration: d.PreModeration, Results: d.Results,
		BodyHTML: d.BodyHTML, ResultsHTML: d.ResultsHTML, HTMLVersion: d.HTMLVersion, EvaluatedAt: zeroUTC(d.EvaluatedAt), ProposalCount: d.ProposalCount, CommentCount: d.CommentCount,
		CitedIn: citationsOf(d.CitedIn), CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		Lang: storedLang(d.Lang, d.Title, d.Summary, d.Body)}
}

func consultationToDoc(c *mitreden.Consultation, id bson.ObjectID) consultationDoc {
	return consultationDoc{ID: id, Title: c.Title, Summary: c.Summary, Body: c.Body, Topics: nonNil(c.Topics), Region: c.Region,
		OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, VotingMode: c.VotingMode, MaxSupports: c.MaxSupports,
		SupportThreshold: c.SupportThreshold, ProposalsEnabled: c.ProposalsEnabled, CommentsEnabled: c.CommentsEnabled,
		PreModeration: c.PreModeration, Results: c.Results, BodyHTML: c.BodyHTML, ResultsHTML: c.ResultsHTML,
		HTMLVersion: c.HTMLVersion, EvaluatedAt: c.EvaluatedAt, ProposalCount: c.ProposalCount,
		CommentCount: c.CommentCount, CitedIn: citationDocs(c.CitedIn), CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Lang: c.Lang}
}

// CreateConsultation inserts c and sets its ID.
func (s *ParticipationStore) CreateConsultation(ctx context.Context, c *mitreden.Consultation) error {
	ctx, done := s.db.write(ctx)
	defer done()
	id := bson.NewObjectID()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	c.UpdatedAt = c.CreatedAt
	if _, err := s.db.C("consultations").InsertOne(ctx, consultationToDoc(c, id)); err != nil {
		return mapErr(err)
	}
	c.ID = id.Hex()
	return nil
}

// FindConsultation returns the consultation with id.
func (s *ParticipationStore) FindConsultation(ctx context.Context, id string) (*mitreden.Consultation, error) {
	d, err := findByOID[consultationDoc](ctx, s.db, "consultations", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// UpdateConsultation replaces the editable fields and their HTML (not the
// counters).
func (s *ParticipationStore) UpdateConsultation(ctx context.Context, c *mitreden.Consultation) error {
	o, err := oid(c.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	c.UpdatedAt = now()
	res, err := s.db.C("consultations").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "title", Value: c.Title}, {Key: "summary", Value: c.Summary}, {Key: "body", Value: c.Body},
		{Key: "topics", Value: nonNil(c.Topics)}, {Key: "region", Value: c.Region}, {Key: "opens_at", Value: c.OpensAt},
		{Key: "closes_at", Value: c.ClosesAt}, {Key: "voting_mode", Value: c.VotingMode}, {Key: "max_supports", Value: c.MaxSupports},
		{Key: "support_threshold", Value: c.SupportThreshold}, {Key: "proposals_enabled", Value: c.ProposalsEnabled},
		{Key: "comments_enabled", Value: c.CommentsEnabled}, {Key: "pre_moderation", Value: c.PreModeration},
		{Key: "results", Value: c.Results}, {Key: "lang", Value: c.Lang}, {Key: "body_html", Value: c.BodyHTML}, {Key: "results_html", Value: c.ResultsHTML},
		{Key: "html_ver", Value: c.HTMLVersion}, {Key: "evaluated_at", Value: c.EvaluatedAt}, {Key: "updated_at", Value: c.UpdatedAt},
	}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return nil
}

// ListConsultations returns a page of consultations, newest opening first.
func (s *ParticipationStore) ListConsultations(ctx context.Context, f mitreden.ConsultationFilter) ([]*mitreden.Consultation, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	filter := bson.D{}
	zero := time.Time{}
	switch f.Phase {
	case mitreden.PhaseUpcoming:
		filter = append(filter, bson.E{Key: "opens_at", Value: bson.D{{Key: "$gt", Value: f.Now}}}, bson.E{Key: "evaluated_at", Value: zero})
	case mitreden.PhaseOpen:
		filter = append(filter, bson.E{Key: "opens_at", Value: bson.D{{Key: "$lte", Value: f.Now}}},
			bson.E{Key: "closes_at", Value: bson.D{{Key: "$gt", Value: f.Now}}}, bson.E{Key: "evaluated_at", Value: zero})
	case mitreden.PhaseClosed:
		filter = append(filter, bson.E{Key: "closes_at", Value: bson.D{{Key: "$lte", Value: f.Now}}}, bson.E{Key: "evaluated_at", Value: zero})
	case mitreden.PhaseEvaluated:
		filter = append(filter, bson.E{Key: "evaluated_at", Value: bson.D{{Key: "$gt", Value: zero}}})
	}
	if f.Topic != "" {
		filter = append(filter, bson.E{Key: "topics", Value: f.Topic})
	}
	if f.Region != "" {
		filter = append(filter, bson.E{Key: "region", Value: f.Region})
	}
	total, err := s.db.C("consultations").CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	cur, err := s.db.C("consultations").Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "opens_at", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64((page-1)*per)).SetLimit(int64(per)))
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var docs []consultationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]*mitreden.Consultation, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, int(total), nil
}

// IncConsultationCounts adjusts the denormalized counters and ends the
// counter write that the record's store method started.
func (s *ParticipationStore) IncConsultationCounts(ctx context.Context, id string, proposals, comments int) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	return s.db.endCount(ctx, "consultations", o, bson.D{{Key: "proposal_count", Value: proposals}, {Key: "comment_count", Value: comments}})
}

// AllConsultations streams every consultation.
func (s *ParticipationStore) AllConsultations(ctx context.Context, yield func(*mitreden.Consultation) error) error {
	return streamAll(ctx, s.db, "consultations", func(d *consultationDoc) error { return yield(d.domain()) })
}

// AllConsultationCounts streams every consultation's counters with their
// state.
func (s *ParticipationStore) AllConsultationCounts(ctx context.Context, yield func(mitreden.ConsultationCounts) error) error {
	return streamAll(ctx, s.db, "consultations", func(d *consultationDoc) error {
		return yield(mitreden.ConsultationCounts{ID: d.ID.Hex(), Proposals: d.ProposalCount, Comments: d.CommentCount, State: s.db.countState("consultations", d.ID.Hex(), d.Counting)})
	})
}

// SetConsultationCounts overwrites the denormalized counters of a
// consultation in one update whose filter holds the counters and state it
// was read with, so a proposal or comment counted or started meanwhile is
// not lost: the update then fails (ECONFLICT).
func (s *ParticipationStore) SetConsultationCounts(ctx context.Context, from mitreden.ConsultationCounts, proposals, comments int) error {
	o, err := oid(from.ID)
	if err != nil {
		return err
	}
	return s.db.casCounts("consultations", from.ID, from.State, func(stored mitreden.CountState) error {
		ctx, done := s.db.write(ctx)
		defer done()
		filter := append(bson.D{{Key: "_id", Value: o}, {Key: "proposal_count", Value: from.Proposals},
			{Key: "comment_count", Value: from.Comments}}, stateFilter(stored)...)
		res, err := s.db.C("consultations").UpdateOne(ctx, filter, bson.D{
			{Key: "$set", Value: bson.D{{Key: "proposal_count", Value: proposals}, {Key: "comment_count", Value: comments},
				{Key: "count_pending", Value: 0}}},
			{Key: "$inc", Value: bson.D{{Key: "count_ver", Value: 1}}}})
		if err != nil {
			return mapErr(err)
		}
		if res.MatchedCount == 0 {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "recount.changed_concurrently"}
		}
		return nil
	})
}
