package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Meetings of the council: one document each in "meetings", the agenda
// inside it, so every save is one single-document write.

func init() {
	registerIndexes(
		index{coll: "meetings", keys: bson.D{{Key: "starts_at", Value: 1}}, name: "starts_at"},
		index{coll: "meetings", keys: bson.D{{Key: "public", Value: 1}, {Key: "starts_at", Value: 1}}, name: "public_starts_at"},
	)
	Collections = append(Collections, "meetings")
}

// MeetingStore implements mitreden.MeetingStore.
type MeetingStore struct{ db *DB }

// Meetings returns the meeting store of d.
func (d *DB) Meetings() *MeetingStore { return &MeetingStore{db: d} }

var _ mitreden.MeetingStore = (*MeetingStore)(nil)

type agendaItemDoc struct {
	Text             string `bson:"text"`
	RecommendationID string `bson:"recommendation_id,omitempty"`
}

type meetingDoc struct {
	ID          bson.ObjectID   `bson:"_id"`
	Title       string          `bson:"title"`
	StartsAt    time.Time       `bson:"starts_at"`
	Place       string          `bson:"place"`
	VideoURL    string          `bson:"video_url"`
	Public      bool            `bson:"public"`
	Agenda      []agendaItemDoc `bson:"agenda"`
	Minutes     string          `bson:"minutes"`
	MinutesHTML string          `bson:"minutes_html"`
	HTMLVersion int             `bson:"html_ver"`
	Lang        string          `bson:"lang"`
	CreatedBy   string          `bson:"created_by"`
	CreatedAt   time.Time       `bson:"created_at"`
	UpdatedAt   time.Time       `bson:"updated_at"`
	Version     int             `bson:"ver"`
}

func (d *meetingDoc) domain() *mitreden.Meeting {
	m := &mitreden.Meeting{ID: d.ID.Hex(), Title: d.Title, StartsAt: d.StartsAt.UTC(), Place: d.Place, VideoURL: d.VideoURL,
		Public: d.Public, Minutes: d.Minutes, MinutesHTML: d.MinutesHTML, HTMLVersion: d.HTMLVersion, CreatedBy: d.CreatedBy,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
		Lang: storedLang(d.Lang, d.Title, d.Minutes)}
	for _, a := range d.Agenda {
		m.Agenda = append(m.Agenda, mitreden.AgendaItem{Text: a.Text, RecommendationID: a.RecommendationID})
	}
	return m
}

func agendaToDocs(items []mitreden.AgendaItem) []agendaItemDoc {
	out := make([]agendaItemDoc, 0, len(items))
	for _, a := range items {
		out = append(out, agendaItemDoc{Text: a.Text, RecommendationID: a.RecommendationID})
	}
	return out
}

// CreateMeeting inserts m with version 1 and sets its ID (and CreatedAt
// when zero).
func (s *MeetingStore) CreateMeeting(ctx context.Context, m *mitreden.Meeting) error {
	ctx, done := s.db.write(ctx)
	defer done()
	id := bson.NewObjectID()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now()
	}
	m.UpdatedAt, m.Version = m.CreatedAt, 1
	_, err := s.db.C("meetings").InsertOne(ctx, meetingDoc{ID: id, Title: m.Title, StartsAt: m.StartsAt, Place: m.Place,
		VideoURL: m.VideoURL, Public: m.Public, Agenda: agendaToDocs(m.Agenda), Minutes: m.Minutes, MinutesHTML: m.MinutesHTML,
		HTMLVersion: m.HTMLVersion, Lang: m.Lang, CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: 1})
	if err != nil {
		return mapErr(err)
	}
	m.ID = id.Hex()
	return nil
}

// FindMeeting returns the meeting with id.
func (s *MeetingStore) FindMeeting(ctx context.Context, id string) (*mitreden.Meeting, error) {
	d, err := findByOID[meetingDoc](ctx, s.db, "meetings", id)
	if err != nil {
		return nil, err
	}
	return d.domain(), nil
}

// UpdateMeeting replaces the editable fields in one update conditional on
// the version m was read at, and sets m.Version to the new one.
func (s *MeetingStore) UpdateMeeting(ctx context.Context, m *mitreden.Meeting) error {
	o, err := oid(m.ID)
	if err != nil {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = now()
	}
	base := m.Version
	updated, err := s.db.updateIf(ctx, "meetings", o, bson.D{{Key: "ver", Value: base}},
		func(d bson.Raw) bool { v, ok := d.Lookup("ver").AsInt64OK(); return ok && v == int64(base) },
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "title", Value: m.Title}, {Key: "starts_at", Value: m.StartsAt}, {Key: "place", Value: m.Place},
			{Key: "video_url", Value: m.VideoURL}, {Key: "public", Value: m.Public}, {Key: "agenda", Value: agendaToDocs(m.Agenda)},
			{Key: "minutes", Value: m.Minutes}, {Key: "minutes_html", Value: m.MinutesHTML}, {Key: "html_ver", Value: m.HTMLVersion},
			{Key: "lang", Value: m.Lang}, {Key: "updated_at", Value: m.UpdatedAt},
		}}, {Key: "$inc", Value: bson.D{{Key: "ver", Value: 1}}}}, false)
	if err != nil {
		return err
	}
	if !updated {
		// Gone, or saved by someone else since it was read.
		if _, err := s.findRaw(ctx, o); err != nil {
			return err
		}
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "meeting.stale"}
	}
	m.Version = base + 1
	return nil
}

func (s *MeetingStore) findRaw(ctx context.Context, o bson.ObjectID) (bson.Raw, error) {
	raw, err := s.db.C("meetings").FindOne(ctx, bson.D{{Key: "_id", Value: o}}).Raw()
	return raw, mapErr(err)
}

// ListMeetings returns a page of the meetings f selects: the coming ones
// soonest first, the past ones newest first.
func (s *MeetingStore) ListMeetings(ctx context.Context, f mitreden.MeetingFilter) ([]*mitreden.Meeting, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	filter := bson.D{}
	if f.PublicOnly {
		filter = append(filter, bson.E{Key: "public", Value: true})
	}
	op, order := "$gte", 1
	if f.Past {
		op, order = "$lt", -1
	}
	filter = append(filter, bson.E{Key: "starts_at", Value: bson.D{{Key: op, Value: f.From}}})
	total, err := s.db.C("meetings").CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	cur, err := s.db.C("meetings").Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "starts_at", Value: order}, {Key: "_id", Value: order}}).SetSkip(int64((page-1)*per)).SetLimit(int64(per)))
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var docs []meetingDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]*mitreden.Meeting, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, int(total), nil
}
