package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// ParticipationStore implements the participation stores of every
// aggregate (mitreden.ParticipationStore); each aggregate's methods live in
// the file named after it: consultations.go, proposals.go, votes.go,
// comments.go, searchretry.go.
type ParticipationStore struct {
	db *DB
	// ProposalStore is the proposal store of the DB: the ListingCache
	// around it when listings are cached, so every proposal write through
	// this store keeps the cache right.
	mitreden.ProposalStore
}

// Participation returns the participation store of d.
func (d *DB) Participation() *ParticipationStore {
	return &ParticipationStore{db: d, ProposalStore: d.Proposals()}
}

// Proposals returns the proposal store of d: the listing cache around it
// when d caches listings (CacheListings).
func (d *DB) Proposals() mitreden.ProposalStore {
	if d.lists != nil {
		return d.lists
	}
	return &ProposalStore{db: d}
}

var (
	_ mitreden.ParticipationStore = (*ParticipationStore)(nil)
	_ mitreden.CounterRepairStore = (*ParticipationStore)(nil)
)

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func zeroUTC(t time.Time) time.Time {
	if t.IsZero() || t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
	if err := db.C(coll).findID(ctx, o, &d); err != nil {
		return nil, mapErr(err)
	}
	return &d, nil
}

// streamAll decodes every document of coll in turn and hands it to yield.
func streamAll[D any](ctx context.Context, db *DB, coll string, yield func(*D) error) error {
	return streamFind(ctx, db, coll, bson.D{}, nil, yield)
}

// streamFind decodes the documents of coll that filter selects, with the
// given fields only when proj is not nil, and hands each to yield. Like
// every full scan it runs under the caller's context only: a recount over a
// large store takes longer than the per-call timeout.
func streamFind[D any](ctx context.Context, db *DB, coll string, filter, proj bson.D, yield func(*D) error) error {
	opts := options.Find()
	if proj != nil {
		opts.SetProjection(proj)
	}
	cur, err := db.C(coll).Find(ctx, filter, opts)
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

// findEach decodes the documents of coll with the given string _ids, leaving
// out those missing: one query with $in on MongoDB; one lookup by _id each in
// the serialized (embedded) mode, where $in scans the collection and lookups
// by _id are cheap, and answered from memory with CacheDocuments.
func findEach[D any](ctx context.Context, db *DB, coll string, ids []string) ([]D, error) {
	ctx, cancel := db.ctx(ctx)
	defer cancel()
	if db.serial != nil {
		out := make([]D, 0, len(ids))
		for _, id := range ids {
			var d D
			if err := db.C(coll).findID(ctx, id, &d); err == nil {
				out = append(out, d)
			} else if err != mongo.ErrNoDocuments {
				return nil, mapErr(err)
			}
		}
		return out, nil
	}
	cur, err := db.C(coll).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []D
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	return docs, nil
}

// storedLang is the language of a stored text: as stored, or for data of
// releases that stored none, detected from its texts at every read (the
// first 4 KiB of each, some microseconds) and German when undecidable,
// German being the first interface language.
func storedLang(lang string, texts ...string) string {
	if lang != "" {
		return lang
	}
	return mitreden.ContentLang("", mitreden.LangGerman, texts...)
}
