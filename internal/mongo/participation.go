package mongo

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func init() {
	registerIndexes(
		index{coll: "consultations", keys: bson.D{{Key: "opens_at", Value: -1}}, name: "opens_at"},
		index{coll: "proposals", keys: bson.D{{Key: "consultation_id", Value: 1}, {Key: "rand", Value: 1}}, name: "consultation_rand"},
		index{coll: "proposals", keys: bson.D{{Key: "consultation_id", Value: 1}, {Key: "tally.support", Value: -1}}, name: "consultation_support"},
		index{coll: "proposals", keys: bson.D{{Key: "consultation_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "consultation_created"},
		index{coll: "comments", keys: bson.D{{Key: "target_type", Value: 1}, {Key: "target_id", Value: 1}, {Key: "created_at", Value: 1}}, name: "target_created"},
		index{coll: "votes", keys: bson.D{{Key: "proposal_id", Value: 1}}, name: "proposal"},
		index{coll: "votes", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
		index{coll: "comment_votes", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user"},
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
	EvaluatedAt      time.Time     `bson:"evaluated_at"`
	ProposalCount    int           `bson:"proposal_count"`
	CommentCount     int           `bson:"comment_count"`
	CreatedBy        string        `bson:"created_by"`
	CreatedAt        time.Time     `bson:"created_at"`
	UpdatedAt        time.Time     `bson:"updated_at"`
}

func (d *consultationDoc) domain() *mitreden.Consultation {
	return &mitreden.Consultation{ID: d.ID.Hex(), Title: d.Title, Summary: d.Summary, Body: d.Body, Topics: d.Topics,
		Region: d.Region, OpensAt: d.OpensAt.UTC(), ClosesAt: d.ClosesAt.UTC(), VotingMode: d.VotingMode,
		MaxSupports: d.MaxSupports, SupportThreshold: d.SupportThreshold, ProposalsEnabled: d.ProposalsEnabled,
		CommentsEnabled: d.CommentsEnabled, PreModeration: d.PreModeration, Results: d.Results,
		EvaluatedAt: zeroUTC(d.EvaluatedAt), ProposalCount: d.ProposalCount, CommentCount: d.CommentCount,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

func zeroUTC(t time.Time) time.Time {
	if t.IsZero() || t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

func consultationToDoc(c *mitreden.Consultation, id bson.ObjectID) consultationDoc {
	return consultationDoc{ID: id, Title: c.Title, Summary: c.Summary, Body: c.Body, Topics: nonNil(c.Topics), Region: c.Region,
		OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, VotingMode: c.VotingMode, MaxSupports: c.MaxSupports,
		SupportThreshold: c.SupportThreshold, ProposalsEnabled: c.ProposalsEnabled, CommentsEnabled: c.CommentsEnabled,
		PreModeration: c.PreModeration, Results: c.Results, EvaluatedAt: c.EvaluatedAt, ProposalCount: c.ProposalCount,
		CommentCount: c.CommentCount, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ParticipationStore implements mitreden.ParticipationStore.
type ParticipationStore struct{ db *DB }

// Participation returns the participation store of d.
func (d *DB) Participation() *ParticipationStore { return &ParticipationStore{db: d} }

var _ mitreden.ParticipationStore = (*ParticipationStore)(nil)

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

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

// UpdateConsultation replaces the editable fields (not the counters).
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
		{Key: "results", Value: c.Results}, {Key: "evaluated_at", Value: c.EvaluatedAt}, {Key: "updated_at", Value: c.UpdatedAt},
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

// IncConsultationCounts adjusts the denormalized counters.
func (s *ParticipationStore) IncConsultationCounts(ctx context.Context, id string, proposals, comments int) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("consultations").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "proposal_count", Value: proposals}, {Key: "comment_count", Value: comments}}}})
	return mapErr(err)
}

// AllConsultations streams every consultation.
func (s *ParticipationStore) AllConsultations(ctx context.Context, yield func(*mitreden.Consultation) error) error {
	return streamAll(ctx, s.db, "consultations", func(d *consultationDoc) error { return yield(d.domain()) })
}

type tallyDoc struct {
	Support int `bson:"support"`
	Yes     int `bson:"yes"`
	No      int `bson:"no"`
	Abstain int `bson:"abstain"`
}

type proposalDoc struct {
	ID              bson.ObjectID `bson:"_id"`
	ConsultationID  string        `bson:"consultation_id"`
	AuthorID        string        `bson:"author_id"`
	AuthorName      string        `bson:"author_name"`
	Title           string        `bson:"title"`
	Body            string        `bson:"body"`
	Topics          []string      `bson:"topics"`
	Status          string        `bson:"status"`
	Tally           tallyDoc      `bson:"tally"`
	CommentCount    int           `bson:"comment_count"`
	For             int           `bson:"for"`
	Against         int           `bson:"against"`
	Neutral         int           `bson:"neutral"`
	Answer          string        `bson:"answer"`
	AnsweredByID    string        `bson:"answered_by_id"`
	AnsweredBy      string        `bson:"answered_by"`
	AnsweredAt      time.Time     `bson:"answered_at"`
	ResponseSeconds int64         `bson:"response_seconds"`
	Rand            int64         `bson:"rand"`
	CreatedAt       time.Time     `bson:"created_at"`
	UpdatedAt       time.Time     `bson:"updated_at"`
}

func (d *proposalDoc) domain() *mitreden.Proposal {
	return &mitreden.Proposal{ID: d.ID.Hex(), ConsultationID: d.ConsultationID, AuthorID: d.AuthorID, AuthorName: d.AuthorName,
		Title: d.Title, Body: d.Body, Topics: d.Topics, Status: d.Status,
		Tally:        mitreden.Tally{Support: d.Tally.Support, Yes: d.Tally.Yes, No: d.Tally.No, Abstain: d.Tally.Abstain},
		CommentCount: d.CommentCount, For: d.For, Against: d.Against, Neutral: d.Neutral, Answer: d.Answer,
		AnsweredByID: d.AnsweredByID, AnsweredBy: d.AnsweredBy, AnsweredAt: zeroUTC(d.AnsweredAt), ResponseSeconds: d.ResponseSeconds,
		Rand: d.Rand, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

// ProposalDoc converts a proposal for bulk inserts (seeding).
func proposalToDoc(p *mitreden.Proposal, id bson.ObjectID) proposalDoc {
	return proposalDoc{ID: id, ConsultationID: p.ConsultationID, AuthorID: p.AuthorID, AuthorName: p.AuthorName, Title: p.Title,
		Body: p.Body, Topics: nonNil(p.Topics), Status: p.Status,
		Tally:        tallyDoc{Support: p.Tally.Support, Yes: p.Tally.Yes, No: p.Tally.No, Abstain: p.Tally.Abstain},
		CommentCount: p.CommentCount, For: p.For, Against: p.Against, Neutral: p.Neutral, Answer: p.Answer,
		AnsweredByID: p.AnsweredByID, AnsweredBy: p.AnsweredBy, AnsweredAt: p.AnsweredAt, ResponseSeconds: p.ResponseSeconds,
		Rand: p.Rand, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// CreateProposal inserts p and sets its ID.
func (s *ParticipationStore) CreateProposal(ctx context.Context, p *mitreden.Proposal) error {
	ctx, done := s.db.write(ctx)
	defer done()
	id := bson.NewObjectID()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now()
	}
	p.UpdatedAt = p.CreatedAt
	if _, err := s.db.C("proposals").InsertOne(ctx, proposalToDoc(p, id)); err != nil {
		if s.db.lists != nil {
			s.db.lists.reset() // the insert may or may not have happened
		}
		return mapErr(err)
	}
	p.ID = id.Hex()
	if s.db.lists != nil {
		s.db.lists.add(p)
	}
	return nil
}

// FindProposal returns the proposal with id.
func (s *ParticipationStore) FindProposal(ctx context.Context, id string) (*mitreden.Proposal, error) {
	d, err := findByOID[proposalDoc](ctx, s.db, "proposals", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// UpdateProposalContent edits only while nobody voted or commented: the
// condition is part of the update, so a support arriving meanwhile wins.
func (s *ParticipationStore) UpdateProposalContent(ctx context.Context, p *mitreden.Proposal) error {
	o, err := oid(p.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	p.UpdatedAt = now()
	res, err := s.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "author_id", Value: p.AuthorID},
		{Key: "status", Value: mitreden.StatusSubmitted},
		{Key: "tally.support", Value: 0}, {Key: "tally.yes", Value: 0}, {Key: "tally.no", Value: 0}, {Key: "tally.abstain", Value: 0},
		{Key: "comment_count", Value: 0}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: p.Title}, {Key: "body", Value: p.Body},
			{Key: "topics", Value: nonNil(p.Topics)}, {Key: "updated_at", Value: p.UpdatedAt}}}})
	s.db.lists.after(err, p.ID, func(e *listEntry) {
		if res.MatchedCount > 0 {
			e.topics = slices.Clone(p.Topics)
		}
	})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.edit_locked"}
	}
	return nil
}

// SetProposalStatus stores status and the official answer.
func (s *ParticipationStore) SetProposalStatus(ctx context.Context, p *mitreden.Proposal) error {
	o, err := oid(p.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	p.UpdatedAt = now()
	_, err = s.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: p.Status}, {Key: "answer", Value: p.Answer}, {Key: "answered_by_id", Value: p.AnsweredByID},
		{Key: "answered_by", Value: p.AnsweredBy}, {Key: "answered_at", Value: p.AnsweredAt},
		{Key: "response_seconds", Value: p.ResponseSeconds}, {Key: "updated_at", Value: p.UpdatedAt}}}})
	s.db.lists.after(err, p.ID, func(e *listEntry) { e.status = p.Status })
	return mapErr(err)
}

// ListProposals returns one page of a consultation's proposals.
func (s *ParticipationStore) ListProposals(ctx context.Context, f mitreden.ProposalFilter) ([]*mitreden.Proposal, int, error) {
	if s.db.lists != nil {
		return s.listCached(ctx, f)
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	filter := bson.D{{Key: "consultation_id", Value: f.ConsultationID}}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: f.Status})
	}
	if f.Topic != "" {
		filter = append(filter, bson.E{Key: "topics", Value: f.Topic})
	}
	c := s.db.C("proposals")
	var total int64
	if f.Status == "" && f.Topic == "" && f.Total >= 0 && f.TotalKnown {
		total = int64(f.Total) // the consultation's denormalized counter
	} else {
		n, err := c.CountDocuments(ctx, filter)
		if err != nil {
			return nil, 0, mapErr(err)
		}
		total = n
	}
	find := func(filter bson.D, sort bson.D, skip, limit int) ([]*mitreden.Proposal, error) {
		if limit <= 0 {
			return nil, nil
		}
		cur, err := c.Find(ctx, filter, options.Find().SetSort(sort).SetSkip(int64(skip)).SetLimit(int64(limit)))
		if err != nil {
			return nil, mapErr(err)
		}
		var docs []proposalDoc
		if err := cur.All(ctx, &docs); err != nil {
			return nil, mapErr(err)
		}
		out := make([]*mitreden.Proposal, len(docs))
		for i := range docs {
			out[i] = docs[i].domain()
		}
		return out, nil
	}
	skip := (page - 1) * per
	switch f.Sort {
	case "supported":
		out, err := find(filter, bson.D{{Key: "tally.support", Value: -1}, {Key: "tally.yes", Value: -1}, {Key: "_id", Value: 1}}, skip, per)
		return out, int(total), err
	case "newest":
		out, err := find(filter, bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}, skip, per)
		return out, int(total), err
	case "commented":
		out, err := find(filter, bson.D{{Key: "comment_count", Value: -1}, {Key: "_id", Value: 1}}, skip, per)
		return out, int(total), err
	}
	// Random: the order of the stored random positions, rotated to start at
	// the visitor's seed, so it is stable per visitor and nobody gets a head start.
	upper := append(filter, bson.E{Key: "rand", Value: bson.D{{Key: "$gte", Value: f.Seed}}})
	var nUpper int64
	if skip > 0 {
		n, err := c.CountDocuments(ctx, upper)
		if err != nil {
			return nil, 0, mapErr(err)
		}
		nUpper = n
	} else {
		nUpper = int64(per) + 1 // page 1 reads the upper range first, whatever its size
	}
	sort := bson.D{{Key: "rand", Value: 1}, {Key: "_id", Value: 1}}
	var out []*mitreden.Proposal
	if skip < int(nUpper) {
		part, err := find(upper, sort, skip, per)
		if err != nil {
			return nil, 0, err
		}
		out = part
	}
	if len(out) < per {
		lower := append(filter[:len(filter):len(filter)], bson.E{Key: "rand", Value: bson.D{{Key: "$lt", Value: f.Seed}}})
		lskip := skip - int(nUpper)
		if lskip < 0 {
			lskip = 0
		}
		part, err := find(lower, sort, lskip, per-len(out))
		if err != nil {
			return nil, 0, err
		}
		out = append(out, part...)
	}
	return out, int(total), nil
}

// IncProposalCounts adjusts tallies and comment counters atomically.
func (s *ParticipationStore) IncProposalCounts(ctx context.Context, id string, t mitreden.Tally, comments int, alignment string) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	inc := bson.D{}
	for k, v := range map[string]int{"tally.support": t.Support, "tally.yes": t.Yes, "tally.no": t.No, "tally.abstain": t.Abstain, "comment_count": comments} {
		if v != 0 {
			inc = append(inc, bson.E{Key: k, Value: v})
		}
	}
	if alignment != "" && comments != 0 {
		inc = append(inc, bson.E{Key: alignment, Value: comments})
	}
	if len(inc) == 0 {
		return nil
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: inc}})
	s.db.lists.after(err, id, func(e *listEntry) {
		e.support += t.Support
		e.yes += t.Yes
		e.comments += comments
	})
	return mapErr(err)
}

// SetProposalCounts overwrites the counters (recount).
func (s *ParticipationStore) SetProposalCounts(ctx context.Context, id string, t mitreden.Tally, comments, forN, against, neutral int) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "tally", Value: tallyDoc{Support: t.Support, Yes: t.Yes, No: t.No, Abstain: t.Abstain}},
		{Key: "comment_count", Value: comments}, {Key: "for", Value: forN}, {Key: "against", Value: against}, {Key: "neutral", Value: neutral}}}})
	s.db.lists.after(err, id, func(e *listEntry) { e.support, e.yes, e.comments = t.Support, t.Yes, comments })
	return mapErr(err)
}

// AllProposalIDs streams the ids of every proposal.
func (s *ParticipationStore) AllProposalIDs(ctx context.Context, yield func(id, consultationID string) error) error {
	return s.AllProposals(ctx, func(p *mitreden.Proposal) error { return yield(p.ID, p.ConsultationID) })
}

// AllProposals streams every proposal.
func (s *ParticipationStore) AllProposals(ctx context.Context, yield func(*mitreden.Proposal) error) error {
	return streamAll(ctx, s.db, "proposals", func(d *proposalDoc) error { return yield(d.domain()) })
}

// CountSearchable counts consultations, proposals, official answers and
// comments not deleted, without reading them out of the store.
func (s *ParticipationStore) CountSearchable(ctx context.Context) (int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	total := 0
	for _, q := range []struct {
		coll   string
		filter bson.D
	}{
		{"consultations", bson.D{}},
		{"proposals", bson.D{}},
		{"proposals", bson.D{{Key: "answer", Value: bson.D{{Key: "$gt", Value: ""}}}}},
		{"comments", bson.D{{Key: "deleted", Value: false}}},
	} {
		n, err := s.db.C(q.coll).CountDocuments(ctx, q.filter)
		if err != nil {
			return 0, mapErr(err)
		}
		total += int(n)
	}
	return total, nil
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

// InsertVote stores a new vote; the deterministic _id makes a second vote of
// the same user on the same proposal a duplicate key (ECONFLICT).
func (s *ParticipationStore) InsertVote(ctx context.Context, proposalID, userID, consultationID, value string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("votes").InsertOne(ctx, voteDoc{ID: voteID(proposalID, userID), ProposalID: proposalID, UserID: userID,
		ConsultationID: consultationID, Value: value, CreatedAt: now()})
	return mapErr(err)
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
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("votes").UpdateOne(ctx, bson.D{{Key: "_id", Value: voteID(proposalID, userID)}, {Key: "value", Value: old}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "value", Value: value}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "vote.changed_concurrently"}
	}
	return nil
}

// DeleteVote removes the vote and returns its value.
func (s *ParticipationStore) DeleteVote(ctx context.Context, proposalID, userID string) (string, error) {
	ctx, done := s.db.write(ctx)
	defer done()
	var d voteDoc
	if err := s.db.C("votes").FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: voteID(proposalID, userID)}}).Decode(&d); err != nil {
		return "", mapErr(err)
	}
	return d.Value, nil
}

// ReserveSupport takes one support of the user's quota in one conditional
// upsert: when the quota is used up the filter misses and the upsert collides
// with the existing document, which the driver reports as a duplicate key.
func (s *ParticipationStore) ReserveSupport(ctx context.Context, consultationID, userID string, max int) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("support_quota").UpdateOne(ctx,
		bson.D{{Key: "_id", Value: consultationID + ":" + userID}, {Key: "used", Value: bson.D{{Key: "$lt", Value: max}}}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "used", Value: 1}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		err = mapErr(err)
		if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "vote.limit_reached", Args: map[string]any{"limit": max}}
		}
		return err
	}
	return nil
}

// ReleaseSupport gives one support back.
func (s *ParticipationStore) ReleaseSupport(ctx context.Context, consultationID, userID string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("support_quota").UpdateOne(ctx,
		bson.D{{Key: "_id", Value: consultationID + ":" + userID}, {Key: "used", Value: bson.D{{Key: "$gt", Value: 0}}}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "used", Value: -1}}}})
	return mapErr(err)
}

// UserVotes returns the user's votes on the given proposals by _id lookups.
func (s *ParticipationStore) UserVotes(ctx context.Context, userID string, proposalIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if userID == "" || len(proposalIDs) == 0 {
		return out, nil
	}
	ids := make([]string, len(proposalIDs))
	for i, p := range proposalIDs {
		ids[i] = voteID(p, userID)
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("votes").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []voteDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	for _, d := range docs {
		out[d.ProposalID] = d.Value
	}
	return out, nil
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
	Alignment      string        `bson:"alignment"`
	Edited         bool          `bson:"edited"`
	Deleted        bool          `bson:"deleted"`
	Hidden         bool          `bson:"hidden"`
	Up             int           `bson:"up"`
	Down           int           `bson:"down"`
	CreatedAt      time.Time     `bson:"created_at"`
	EditedAt       time.Time     `bson:"edited_at"`
}

func (d *commentDoc) domain() *mitreden.Comment {
	return &mitreden.Comment{ID: d.ID.Hex(), TargetType: d.TargetType, TargetID: d.TargetID, ConsultationID: d.ConsultationID,
		ParentID: d.ParentID, Depth: d.Depth, AuthorID: d.AuthorID, AuthorName: d.AuthorName, Body: d.Body, Alignment: d.Alignment,
		Edited: d.Edited, Deleted: d.Deleted, Hidden: d.Hidden, Up: d.Up, Down: d.Down, CreatedAt: d.CreatedAt.UTC(), EditedAt: zeroUTC(d.EditedAt)}
}

func commentToDoc(c *mitreden.Comment, id bson.ObjectID) commentDoc {
	return commentDoc{ID: id, TargetType: c.TargetType, TargetID: c.TargetID, ConsultationID: c.ConsultationID, ParentID: c.ParentID,
		Depth: c.Depth, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Body: c.Body, Alignment: c.Alignment, Edited: c.Edited,
		Deleted: c.Deleted, Hidden: c.Hidden, Up: c.Up, Down: c.Down, CreatedAt: c.CreatedAt, EditedAt: c.EditedAt}
}

// CreateComment inserts c and sets its ID.
func (s *ParticipationStore) CreateComment(ctx context.Context, c *mitreden.Comment) error {
	ctx, done := s.db.write(ctx)
	defer done()
	id := bson.NewObjectID()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	if _, err := s.db.C("comments").InsertOne(ctx, commentToDoc(c, id)); err != nil {
		return mapErr(err)
	}
	c.ID = id.Hex()
	// The thread document lists the comment ids of a target, so that reading a
	// discussion is a few lookups by _id: the only indexed access the
	// embedded engine has.
	_, err := s.db.C("comment_threads").UpdateOne(ctx, bson.D{{Key: "_id", Value: threadID(c.TargetType, c.TargetID)}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "ids", Value: c.ID}}}}, options.UpdateOne().SetUpsert(true))
	return mapErr(err)
}

func threadID(targetType, targetID string) string { return targetType + ":" + targetID }

type threadDoc struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

// FindComment returns the comment with id.
func (s *ParticipationStore) FindComment(ctx context.Context, id string) (*mitreden.Comment, error) {
	d, err := findByOID[commentDoc](ctx, s.db, "comments", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// UpdateCommentBody edits a comment of authorID that is not deleted.
func (s *ParticipationStore) UpdateCommentBody(ctx context.Context, id, authorID, body string, at time.Time) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "author_id", Value: authorID}, {Key: "deleted", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: body}, {Key: "edited", Value: true}, {Key: "edited_at", Value: at}}}})
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
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}, {Key: "author_id", Value: authorID}, {Key: "deleted", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: ""}, {Key: "deleted", Value: true}, {Key: "alignment", Value: ""}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.not_editable"}
	}
	return nil
}

// SetCommentHidden hides or shows a comment.
func (s *ParticipationStore) SetCommentHidden(ctx context.Context, id string, hidden bool) error {
	o, err := oid(id)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{{Key: "hidden", Value: hidden}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return nil
}

// ListComments returns every comment of a target, oldest first, by reading
// the target's thread document and each comment by _id.
func (s *ParticipationStore) ListComments(ctx context.Context, targetType, targetID string) ([]*mitreden.Comment, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var t threadDoc
	err := s.db.C("comment_threads").FindOne(ctx, bson.D{{Key: "_id", Value: threadID(targetType, targetID)}}).Decode(&t)
	if err == mongo.ErrNoDocuments {
		return []*mitreden.Comment{}, nil
	} else if err != nil {
		return nil, mapErr(err)
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
		if err := s.db.C("comments").FindOne(ctx, bson.D{{Key: "_id", Value: o}}).Decode(&d); err != nil {
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
	ctx, done := s.db.write(ctx)
	defer done()
	_, err = s.db.C("comments").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "up", Value: up}, {Key: "down", Value: down}}}})
	return mapErr(err)
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
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("comment_votes").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []commentVoteDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	for _, d := range docs {
		out[strings.TrimSuffix(d.ID, ":"+userID)] = d.Value
	}
	return out, nil
}

// findByOID decodes the document of coll whose ObjectID is id; an id that is
// not an ObjectID, like a missing document, is ENOTFOUND.
func findByOID[D any](ctx context.Context, db *DB, coll, id string) (*D, error) {
	o, err := oid(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := db.ctx(ctx)
	defer cancel()
	var d D
	if err := db.C(coll).FindOne(ctx, bson.D{{Key: "_id", Value: o}}).Decode(&d); err != nil {
		return nil, mapErr(err)
	}
	return &d, nil
}

// streamAll decodes every document of coll in turn and hands it to yield.
func streamAll[D any](ctx context.Context, db *DB, coll string, yield func(*D) error) error {
	cur, err := db.C(coll).Find(ctx, bson.D{})
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
