package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// sessionDoc is the stored form of a session; _id is the token's hash.
type sessionDoc struct {
	ID         string    `bson:"_id"`
	UserID     string    `bson:"user_id"`
	CreatedAt  time.Time `bson:"created_at"`
	LastSeenAt time.Time `bson:"last_seen_at"`
	ExpiresAt  time.Time `bson:"expires_at"`
	UserAgent  string    `bson:"user_agent"`
	IP         string    `bson:"ip"`
}

func (d *sessionDoc) domain() *mitreden.Session {
	return &mitreden.Session{ID: d.ID, UserID: d.UserID, CreatedAt: d.CreatedAt.UTC(),
		LastSeenAt: d.LastSeenAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(), UserAgent: d.UserAgent, IP: d.IP}
}

// SessionStore implements mitreden.SessionStore.
type SessionStore struct{ db *DB }

// Sessions returns the session store of d.
func (d *DB) Sessions() *SessionStore { return &SessionStore{db: d} }

var _ mitreden.SessionStore = (*SessionStore)(nil)

// CreateSession inserts s.
func (s *SessionStore) CreateSession(ctx context.Context, ss *mitreden.Session) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	_, err := s.db.C("sessions").InsertOne(ctx, sessionDoc{ID: ss.ID, UserID: ss.UserID, CreatedAt: ss.CreatedAt,
		LastSeenAt: ss.LastSeenAt, ExpiresAt: ss.ExpiresAt, UserAgent: ss.UserAgent, IP: ss.IP})
	return mapErr(err)
}

// FindSession looks a session up by its _id (an indexed lookup on every engine).
func (s *SessionStore) FindSession(ctx context.Context, id string) (*mitreden.Session, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d sessionDoc
	if err := s.db.C("sessions").findID(ctx, id, &d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// TouchSession records activity.
func (s *SessionStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	_, err := s.db.C("sessions").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen_at", Value: at}}}})
	return mapErr(err)
}

// DeleteSession removes one session.
func (s *SessionStore) DeleteSession(ctx context.Context, id string) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	_, err := s.db.C("sessions").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return mapErr(err)
}

// DeleteUserSessions removes all sessions of a user but exceptID.
func (s *SessionStore) DeleteUserSessions(ctx context.Context, userID, exceptID string) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	filter := bson.D{{Key: "user_id", Value: userID}}
	if exceptID != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: exceptID}}})
	}
	_, err := s.db.C("sessions").DeleteMany(ctx, filter)
	return mapErr(err)
}

// ListUserSessions returns the sessions of a user, newest first.
func (s *SessionStore) ListUserSessions(ctx context.Context, userID string) ([]*mitreden.Session, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("sessions").Find(ctx, bson.D{{Key: "user_id", Value: userID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(100))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []sessionDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.Session, 0, len(docs))
	for i := range docs {
		out = append(out, docs[i].domain())
	}
	return out, nil
}
