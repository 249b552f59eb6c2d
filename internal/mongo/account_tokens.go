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
		// MongoDB removes links an hour after they ran out; FerretDB keeps
		// them (used or expired links are refused all the same).
		index{coll: "account_tokens", keys: bson.D{{Key: "expires_at", Value: 1}}, ttl: ptr(int32(3600)), name: "expires_at_ttl"},
		index{coll: "account_tokens", keys: bson.D{{Key: "user_id", Value: 1}, {Key: "purpose", Value: 1}, {Key: "used", Value: 1}}, name: "user_purpose_used"},
	)
	Collections = append(Collections, "account_tokens")
}

// accountTokenDoc is the stored form of a one-time account link; _id is the
// SHA-256 of the token.
type accountTokenDoc struct {
	ID        string    `bson:"_id"`
	Purpose   string    `bson:"purpose"`
	UserID    string    `bson:"user_id"`
	Email     string    `bson:"email"`
	From      string    `bson:"from,omitempty"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
	Used      bool      `bson:"used"`
	UsedAt    time.Time `bson:"used_at,omitempty"`
}

func (d *accountTokenDoc) domain() *mitreden.AccountToken {
	return &mitreden.AccountToken{ID: d.ID, Purpose: mitreden.TokenPurpose(d.Purpose), UserID: d.UserID, Email: d.Email, From: d.From,
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(), UsedAt: zeroUTC(d.UsedAt)}
}

// AccountTokenStore implements mitreden.AccountTokenStore.
type AccountTokenStore struct{ db *DB }

// AccountTokens returns the account link store of d.
func (d *DB) AccountTokens() *AccountTokenStore { return &AccountTokenStore{db: d} }

var _ mitreden.AccountTokenStore = (*AccountTokenStore)(nil)

// CreateAccountToken inserts t.
func (s *AccountTokenStore) CreateAccountToken(ctx context.Context, t *mitreden.AccountToken) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	_, err := s.db.C("account_tokens").InsertOne(ctx, accountTokenDoc{ID: t.ID, Purpose: string(t.Purpose), UserID: t.UserID,
		Email: t.Email, From: t.From, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt})
	return mapErr(err)
}

// FindAccountToken looks a link up by its _id.
func (s *AccountTokenStore) FindAccountToken(ctx context.Context, id string) (*mitreden.AccountToken, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d accountTokenDoc
	if err := s.db.C("account_tokens").findID(ctx, id, &d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// UseAccountToken marks the link used in one conditional write on its _id,
// so of two concurrent uses exactly one finds it unused.
func (s *AccountTokenStore) UseAccountToken(ctx context.Context, id string, purpose mitreden.TokenPurpose, now time.Time) (*mitreden.AccountToken, error) {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	var d accountTokenDoc
	err := s.db.C("account_tokens").FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "purpose", Value: string(purpose)}, {Key: "used", Value: false},
			{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used", Value: true}, {Key: "used_at", Value: now}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// UseUserAccountTokens marks the user's unused links of the purpose used.
func (s *AccountTokenStore) UseUserAccountTokens(ctx context.Context, userID string, purpose mitreden.TokenPurpose, now time.Time) error {
	if userID == "" {
		return nil
	}
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	_, err := s.db.C("account_tokens").UpdateMany(ctx,
		bson.D{{Key: "user_id", Value: userID}, {Key: "purpose", Value: string(purpose)}, {Key: "used", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used", Value: true}, {Key: "used_at", Value: now}}}})
	return mapErr(err)
}
