package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// ProposalStore implements mitreden.ProposalStore on the proposals
// collection. The embedded mode wraps it in a ListingCache.
type ProposalStore struct{ db *DB }

var _ mitreden.ProposalStore = (*ProposalStore)(nil)

func init() {
	registerIndexes(
		index{coll: "proposals", keys: bson.D{{Key: "consultation_id", Value: 1}, {Key: "rand", Value: 1}}, name: "consultation_rand"},
		index{coll: "proposals", keys: bson.D{{Key: "consultation_id", Value: 1}, {Key: "tally.support", Value: -1}}, name: "consultation_support"},
		index{coll: "proposals", keys: bson.D{{Key: "consultation_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "consultation_created"},
	)
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
	Lang            string        `bson:"lang"`
	AnswerLang      string        `bson:"answer_lang"`
	BodyHTML        string        `bson:"body_html"`
	AnswerHTML      string        `bson:"answer_html"`
	HTMLVersion     int           `bson:"html_ver"`
	AnsweredByID    string        `bson:"answered_by_id"`
	AnsweredBy      string        `bson:"answered_by"`
	AnsweredAt      time.Time     `bson:"answered_at"`
	ResponseSeconds int64         `bson:"response_seconds"`
	Rand            int64         `bson:"rand"`
	Hidden          bool          `bson:"hidden,omitempty"`
	Mod             *itemModDoc   `bson:"mod,omitempty"`
	CitedIn         []citationDoc `bson:"cited_in,omitempty"`
	Prov            *provDoc      `bson:"prov,omitempty"`
	CreatedAt       time.Time     `bson:"created_at"`
	UpdatedAt       time.Time     `bson:"updated_at"`
	Counting        countStateDoc `bson:",inline"`
}

func (d *proposalDoc) domain() *mitreden.Proposal {
	return &mitreden.Proposal{ID: d.ID.Hex(), ConsultationID: d.ConsultationID, AuthorID: d.AuthorID, AuthorName: d.AuthorName,
		Title: d.Title, Body: d.Body, Topics: d.Topics, Status: d.Status,
		Tally:        mitreden.Tally{Support: d.Tally.Support, Yes: d.Tally.Yes, No: d.Tally.No, Abstain: d.Tally.Abstain},
		CommentCount: d.CommentCount, For: d.For, Against: d.Against, Neutral: d.Neutral, Answer: d.Answer,
		BodyHTML: d.BodyHTML, AnswerHTML: d.AnswerHTML, HTMLVersion: d.HTMLVersion, AnsweredByID: d.AnsweredByID, AnsweredBy: d.AnsweredBy, AnsweredAt: zeroUTC(d.AnsweredAt), ResponseSeconds: d.ResponseSeconds,
		Rand: d.Rand, Hidden: d.Hidden, Mod: d.Mod.domain(), CitedIn: citationsOf(d.CitedIn), CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		Lang: storedLang(d.Lang, d.Title, d.Body), AnswerLang: storedLang(d.AnswerLang, d.Answer), Prov: d.Prov.domain()}
}

// ProposalDoc converts a proposal for bulk inserts (seeding).
func proposalToDoc(p *mitreden.Proposal, id bson.ObjectID) proposalDoc {
	return proposalDoc{ID: id, ConsultationID: p.ConsultationID, AuthorID: p.AuthorID, AuthorName: p.AuthorName, Title: p.Title,
		Body: p.Body, Topics: nonNil(p.Topics), Status: p.Status,
		Tally:        tallyDoc{Support: p.Tally.Support, Yes: p.Tally.Yes, No: p.Tally.No, Abstain: p.Tally.Abstain},
		CommentCount: p.CommentCount, For: p.For, Against: p.Against, Neutral: p.Neutral, Answer: p.Answer,
		BodyHTML: p.BodyHTML, AnswerHTML: p.AnswerHTML, HTMLVersion: p.HTMLVersion, AnsweredByID: p.AnsweredByID, AnsweredBy: p.AnsweredBy, AnsweredAt: p.AnsweredAt, ResponseSeconds: p.ResponseSeconds,
		Rand: p.Rand, Hidden: p.Hidden, Mod: itemModToDoc(p.Mod), CitedIn: citationDocs(p.CitedIn), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Lang: p.Lang, AnswerLang: p.AnswerLang,
		Prov: provToDoc(p.Prov)}
}

// CreateProposal inserts p and sets its ID.
func (s *ProposalStore) CreateProposal(ctx context.Context, p *mitreden.Proposal) error {
	if err := s.db.startCount(ctx, "consultations", p.ConsultationID); err != nil {
		return err
	}
	id, err := presetID(p.ID)
	if err != nil {
		s.db.abortCount(ctx, "consultations", p.ConsultationID)
		return err
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now()
	}
	p.UpdatedAt = p.CreatedAt
	wctx, done := s.db.write(ctx)
	_, err = s.db.C("proposals").InsertOne(wctx, proposalToDoc(p, id))
	done()
	if err != nil {
		// A lost answer may hide a stored proposal: the mark then goes
		// stale and a recount counts it.
		if mitreden.ErrorCode(mapErr(err)) == mitreden.ECONFLICT {
			s.db.abortCount(ctx, "consultations", p.ConsultationID)
		}
		return mapErr(err)
	}
	p.ID = id.Hex()
	return nil
}

// FindProposal returns the proposal with id.
func (s *ProposalStore) FindProposal(ctx context.Context, id string) (*mitreden.Proposal, error) {
	d, err := findByOID[proposalDoc](ctx, s.db, "proposals", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// UpdateProposalContent edits only while nobody voted or commented: the
// condition is part of the update, so a support arriving meanwhile wins.
// The body's HTML goes with it; html_ver stays, as the answer's HTML is not
// rewritten here (the backfill renders a document of an older version whole).
func (s *ProposalStore) UpdateProposalContent(ctx context.Context, p *mitreden.Proposal) error {
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
			{Key: "body_html", Value: p.BodyHTML}, {Key: "topics", Value: nonNil(p.Topics)}, {Key: "lang", Value: p.Lang},
			{Key: "updated_at", Value: p.UpdatedAt}}}})
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.edit_locked"}
	}
	return nil
}

// SetProposalStatus stores status and the official answer with its HTML;
// html_ver stays, as in UpdateProposalContent.
func (s *ProposalStore) SetProposalStatus(ctx context.Context, p *mitreden.Proposal) error {
	o, err := oid(p.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	p.UpdatedAt = now()
	_, err = s.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: p.Status}, {Key: "answer", Value: p.Answer}, {Key: "answer_html", Value: p.AnswerHTML},
		{Key: "answer_lang", Value: p.AnswerLang}, {Key: "answered_by_id", Value: p.AnsweredByID},
		{Key: "answered_by", Value: p.AnsweredBy}, {Key: "answered_at", Value: p.AnsweredAt},
		{Key: "response_seconds", Value: p.ResponseSeconds}, {Key: "updated_at", Value: p.UpdatedAt}}}})
	return mapErr(err)
}

// ListProposals returns one page of a consultation's proposals.
func (s *ProposalStore) ListProposals(ctx context.Context, f mitreden.ProposalFilter) ([]*mitreden.Proposal, int, error) {
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
func (s *ProposalStore) IncProposalCounts(ctx context.Context, id string, t mitreden.Tally, comments int, alignment string) error {
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
	// Ends the counter write VoteStore or CommentStore started.
	return s.db.endCount(ctx, "proposals", o, inc)
}

// ProposalCounts reads the counters of proposal id with their state.
func (s *ProposalStore) ProposalCounts(ctx context.Context, id string) (mitreden.ProposalCounts, error) {
	d, err := findByOID[proposalDoc](ctx, s.db, "proposals", id)
	if err != nil {
		return mitreden.ProposalCounts{}, err
	}
	return mitreden.ProposalCounts{ID: id, Tally: mitreden.Tally{Support: d.Tally.Support, Yes: d.Tally.Yes, No: d.Tally.No, Abstain: d.Tally.Abstain},
		Comments: d.CommentCount, For: d.For, Against: d.Against, Neutral: d.Neutral, State: s.db.countState("proposals", id, d.Counting)}, nil
}

// SetProposalCounts overwrites the counters (recount) in one update whose
// filter holds every value from has, so it fails when anything moved.
func (s *ProposalStore) SetProposalCounts(ctx context.Context, from, to mitreden.ProposalCounts) error {
	o, err := oid(from.ID)
	if err != nil {
		return err
	}
	return s.db.casCounts("proposals", from.ID, from.State, func(stored mitreden.CountState) error {
		ctx, done := s.db.write(ctx)
		defer done()
		filter := append(bson.D{{Key: "_id", Value: o},
			{Key: "tally.support", Value: from.Tally.Support}, {Key: "tally.yes", Value: from.Tally.Yes},
			{Key: "tally.no", Value: from.Tally.No}, {Key: "tally.abstain", Value: from.Tally.Abstain},
			{Key: "comment_count", Value: from.Comments}, {Key: "for", Value: from.For},
			{Key: "against", Value: from.Against}, {Key: "neutral", Value: from.Neutral}}, stateFilter(stored)...)
		res, err := s.db.C("proposals").UpdateOne(ctx, filter, bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "tally", Value: tallyDoc{Support: to.Tally.Support, Yes: to.Tally.Yes, No: to.Tally.No, Abstain: to.Tally.Abstain}},
				{Key: "comment_count", Value: to.Comments}, {Key: "for", Value: to.For}, {Key: "against", Value: to.Against},
				{Key: "neutral", Value: to.Neutral}, {Key: "count_pending", Value: 0}}},
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

// AllProposals streams every proposal.
func (s *ProposalStore) AllProposals(ctx context.Context, yield func(*mitreden.Proposal) error) error {
	return streamAll(ctx, s.db, "proposals", func(d *proposalDoc) error { return yield(d.domain()) })
}
