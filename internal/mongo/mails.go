package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Rendered mails live in the "mails" collection under their ID (derived
// from the mail's key where it has one, so queuing twice inserts once).
// The outbox lists them newest first through the created_at index. A mail
// is kept for mailRetention (where the engine has TTL indexes): long enough
// for its key to keep a second queuing a no-op and for the outbox to show
// it, not for good, since it holds a person's address.

// mailRetention is how long a mail stays in the store.
const mailRetention = 90 * 24 * time.Hour

func init() {
	registerIndexes(
		index{coll: "mails", keys: bson.D{{Key: "created_at", Value: -1}, {Key: "seq", Value: -1}}, name: "created_at"},
		index{coll: "mails", keys: bson.D{{Key: "to", Value: 1}}, name: "to"},
		index{coll: "mails", keys: bson.D{{Key: "expires_at", Value: 1}}, ttl: ptr(int32(0)), name: "expires_at_ttl"},
	)
	Collections = append(Collections, "mails")
}

// MailStore implements mitreden.MailStore.
type MailStore struct{ db *DB }

// Mails returns the mail store of d.
func (d *DB) Mails() *MailStore { return &MailStore{db: d} }

var _ mitreden.MailStore = (*MailStore)(nil)

type mailDoc struct {
	ID          string    `bson:"_id"`
	To          string    `bson:"to"`
	Subject     string    `bson:"subject"`
	Text        string    `bson:"text,omitempty"`
	HTML        string    `bson:"html,omitempty"`
	Unsubscribe string    `bson:"unsubscribe,omitempty"`
	CreatedAt   time.Time `bson:"created_at"`
	SentAt      time.Time `bson:"sent_at,omitempty"`
	OneTime     bool      `bson:"one_time,omitempty"`
	// Seq orders mails created within one millisecond (or under a test's
	// frozen clock) as they were inserted: ObjectIDs grow within a process.
	Seq       bson.ObjectID `bson:"seq"`
	ExpiresAt time.Time     `bson:"expires_at"`
}

func (d *mailDoc) domain() mitreden.Mail {
	return mitreden.Mail{ID: d.ID, To: d.To, Subject: d.Subject, Text: d.Text, HTML: d.HTML, Unsubscribe: d.Unsubscribe,
		CreatedAt: zeroUTC(d.CreatedAt), SentAt: zeroUTC(d.SentAt), OneTime: d.OneTime}
}

// InsertMail stores m.
func (s *MailStore) InsertMail(ctx context.Context, m *mitreden.Mail) error {
	if m.ID == "" {
		return mitreden.Errorf(mitreden.EINTERNAL, "a mail needs an ID")
	}
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("mails").InsertOne(ctx, mailDoc{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Unsubscribe: m.Unsubscribe, CreatedAt: m.CreatedAt.UTC(), SentAt: m.SentAt.UTC(), OneTime: m.OneTime, Seq: bson.NewObjectID(), ExpiresAt: m.CreatedAt.UTC().Add(mailRetention)})
	return mapErr(err)
}

// FindMail returns mail id.
func (s *MailStore) FindMail(ctx context.Context, id string) (*mitreden.Mail, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var doc mailDoc
	if err := s.db.C("mails").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		return nil, mapErr(err)
	}
	m := doc.domain()
	return &m, nil
}

// MarkMailSent records the delivery of mail id.
func (s *MailStore) MarkMailSent(ctx context.Context, id string, sentAt time.Time, dropBody bool) error {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "sent_at", Value: sentAt.UTC()}}}}
	if dropBody {
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "text", Value: ""}, {Key: "html", Value: ""}}})
	}
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("mails").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
	if err != nil {
		return mapErr(err)
	}
	if res.MatchedCount == 0 {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return nil
}

// DropMailBody unsets the text and HTML of mail id by _id; a mail gone
// already is no error.
func (s *MailStore) DropMailBody(ctx context.Context, id string) error {
	ctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("mails").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "text", Value: ""}, {Key: "html", Value: ""}}}})
	return mapErr(err)
}

// ListMails returns a page of mails newest first (one sorted query) and the
// number of all mails (the collection's count, no scan on MongoDB).
func (s *MailStore) ListMails(ctx context.Context, offset, limit int) ([]mitreden.Mail, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("mails").Find(ctx, bson.D{}, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "seq", Value: -1}}).SetSkip(int64(offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var docs []mailDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, mapErr(err)
	}
	total, err := s.db.C("mails").EstimatedDocumentCount(ctx)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]mitreden.Mail, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, int(total), nil
}

// DeleteMailsTo deletes the mails to the address to.
func (s *MailStore) DeleteMailsTo(ctx context.Context, to string) (int, error) {
	ctx, done := s.db.write(ctx)
	defer done()
	res, err := s.db.C("mails").DeleteMany(ctx, bson.D{{Key: "to", Value: to}})
	if err != nil {
		return 0, mapErr(err)
	}
	return int(res.DeletedCount), nil
}
