package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// userDoc is the stored form of a user.
type userDoc struct {
	ID           bson.ObjectID `bson:"_id"`
	Email        string        `bson:"email"`
	EmailKey     string        `bson:"email_key"`
	DisplayName  string        `bson:"display_name"`
	PasswordHash string        `bson:"password_hash"`
	Language     string        `bson:"language"`
	Roles        []string      `bson:"roles"`
	Blocked      bool          `bson:"blocked"`
	CreatedAt    time.Time     `bson:"created_at"`
	UpdatedAt    time.Time     `bson:"updated_at"`
}

func (d *userDoc) domain() *mitreden.User {
	u := &mitreden.User{ID: d.ID.Hex(), Email: d.Email, DisplayName: d.DisplayName,
		PasswordHash: d.PasswordHash, Language: d.Language, Blocked: d.Blocked,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
	for _, r := range d.Roles {
		u.Roles = append(u.Roles, mitreden.Role(r))
	}
	u.Roles = mitreden.NormalizeRoles(u.Roles)
	return u
}

func rolesToStrings(rs []mitreden.Role) []string {
	out := make([]string, 0, len(rs))
	for _, r := range mitreden.NormalizeRoles(rs) {
		out = append(out, string(r))
	}
	return out
}

// UserStore implements mitreden.UserStore.
type UserStore struct{ db *DB }

// Users returns the user store of d.
func (d *DB) Users() *UserStore { return &UserStore{db: d} }

var _ mitreden.UserStore = (*UserStore)(nil)

// CreateUser inserts u; the unique index on email_key rejects a taken email.
func (s *UserStore) CreateUser(ctx context.Context, u *mitreden.User) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	id := bson.NewObjectID()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.UpdatedAt = u.CreatedAt
	u.Roles = mitreden.NormalizeRoles(u.Roles)
	doc := userDoc{ID: id, Email: u.Email, EmailKey: mitreden.NormalizeEmail(u.Email), DisplayName: u.DisplayName,
		PasswordHash: u.PasswordHash, Language: u.Language, Roles: rolesToStrings(u.Roles), Blocked: u.Blocked,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if _, err := s.db.C("users").InsertOne(ctx, doc); err != nil {
		err = mapErr(err)
		if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "account.email_taken",
				Fields: []mitreden.FieldError{{Field: "email", Code: "taken", Message: "account.email_taken"}}}
		}
		return err
	}
	u.ID = id.Hex()
	return nil
}

func (s *UserStore) findOne(ctx context.Context, filter bson.D) (*mitreden.User, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d userDoc
	if err := s.db.C("users").FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// FindUserByID returns the user with id.
func (s *UserStore) FindUserByID(ctx context.Context, id string) (*mitreden.User, error) {
	o, err := oid(id)
	if err != nil {
		return nil, err
	}
	return s.findOne(ctx, bson.D{{Key: "_id", Value: o}})
}

// FindUserByEmail returns the user whose normalized email is email's.
func (s *UserStore) FindUserByEmail(ctx context.Context, email string) (*mitreden.User, error) {
	return s.findOne(ctx, bson.D{{Key: "email_key", Value: mitreden.NormalizeEmail(email)}})
}

func (s *UserStore) update(ctx context.Context, id string, set bson.D) (*mitreden.User, error) {
	o, err := oid(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	set = append(set, bson.E{Key: "updated_at", Value: time.Now().UTC().Truncate(time.Millisecond)})
	var d userDoc
	err = s.db.C("users").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$set", Value: set}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// UpdateUser applies the non-nil fields of upd.
func (s *UserStore) UpdateUser(ctx context.Context, id string, upd mitreden.UserUpdate) (*mitreden.User, error) {
	set := bson.D{}
	if upd.DisplayName != nil {
		set = append(set, bson.E{Key: "display_name", Value: *upd.DisplayName})
	}
	if upd.Language != nil {
		set = append(set, bson.E{Key: "language", Value: *upd.Language})
	}
	return s.update(ctx, id, set)
}

// SetPasswordHash replaces the password hash.
func (s *UserStore) SetPasswordHash(ctx context.Context, id, hash string) error {
	_, err := s.update(ctx, id, bson.D{{Key: "password_hash", Value: hash}})
	return err
}

// SetRoles replaces the roles.
func (s *UserStore) SetRoles(ctx context.Context, id string, roles []mitreden.Role) (*mitreden.User, error) {
	return s.update(ctx, id, bson.D{{Key: "roles", Value: rolesToStrings(roles)}})
}

// ListUsers returns one page of users, newest first.
func (s *UserStore) ListUsers(ctx context.Context, f mitreden.UserFilter) ([]*mitreden.User, int, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	filter := bson.D{}
	if f.Role != "" && f.Role != mitreden.RoleCitizen {
		filter = append(filter, bson.E{Key: "roles", Value: string(f.Role)})
	}
	total, err := s.db.C("users").CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	cur, err := s.db.C("users").Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64((page-1)*per)).SetLimit(int64(per)))
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]*mitreden.User, 0, len(docs))
	for i := range docs {
		out = append(out, docs[i].domain())
	}
	return out, int(total), nil
}
