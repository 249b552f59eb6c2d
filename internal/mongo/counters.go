package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// CounterStore implements mitreden.CounterStore with one document per key
// (its _id), holding the key's theoretical arrival time (GCRA): the time at
// which its allowance is whole again. An event moves it on by the rate's
// interval; the allowance is used up while it lies more than the rate's
// burst ahead of now. Every step is a single-document conditional write,
// so instances agree without transactions (FerretDB v1 has none).
//
// Events put the arrival time at most one period ahead of the clock that
// counted them. One more than two periods ahead was counted by a clock that
// has since been set back (or by an instance whose clock is a whole period
// off): the allowance is taken as whole again, as a fixed window would
// have been, rather than refused until this clock catches up.
type CounterStore struct{ db *DB }

// Counters returns the counter store of d.
func (d *DB) Counters() *CounterStore { return &CounterStore{db: d} }

var _ mitreden.CounterStore = (*CounterStore)(nil)

// counterDoc is one key's allowance.
type counterDoc struct {
	ID string `bson:"_id"`
	// TAT is the theoretical arrival time in Unix nanoseconds.
	TAT int64 `bson:"tat"`
	// ExpiresAt is when the allowance is whole again at the latest, from
	// when the document says nothing (PurgeExpired, MongoDB's TTL index).
	ExpiresAt time.Time `bson:"expires_at"`
}

// takeAttempts bounds the rounds of Take: a round fails only when another
// writer changed the document between two of its steps.
const takeAttempts = 5

// Take counts one event of key against r at now when r allows it. A round
// tries, in order: starting the allowance anew when it is whole (or the
// key is new), taking from it while some is left, and reading how far it
// is used up.
func (s *CounterStore) Take(ctx context.Context, key string, r mitreden.Rate, now time.Time) (bool, time.Time, error) {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	n, step, burst := now.UnixNano(), int64(r.Interval()), int64(r.Burst())
	future := n + 2*int64(max(r.Per, r.Interval()))
	c := s.db.C("counters")
	for range takeAttempts {
		// Whole (or new, or counted by a clock set back): the event starts
		// it at now. When the document exists and is not whole, the
		// upsert's insert collides with it.
		whole := bson.A{bson.D{{Key: "tat", Value: bson.D{{Key: "$lt", Value: n}}}}, bson.D{{Key: "tat", Value: bson.D{{Key: "$gt", Value: future}}}}}
		_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "$or", Value: whole}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "tat", Value: n + step}, {Key: "expires_at", Value: time.Unix(0, n+step).UTC()}}}},
			options.UpdateOne().SetUpsert(true))
		if err == nil {
			return true, time.Time{}, nil
		}
		if err = mapErr(err); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
			return false, time.Time{}, err
		}
		// Partly used: one more while it stays within the burst.
		res, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "tat", Value: bson.D{{Key: "$gte", Value: n}, {Key: "$lte", Value: n + burst}}}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "tat", Value: step}}},
				{Key: "$max", Value: bson.D{{Key: "expires_at", Value: time.Unix(0, n+burst+step).UTC()}}}})
		if err != nil {
			return false, time.Time{}, mapErr(err)
		}
		if res.MatchedCount == 1 {
			return true, time.Time{}, nil
		}
		var d counterDoc
		if err := c.findID(ctx, key, &d); err != nil {
			if err = mapErr(err); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
				return false, time.Time{}, err
			}
			continue // purged meanwhile
		}
		if d.TAT > n+burst && d.TAT <= future {
			return false, time.Unix(0, d.TAT-burst).UTC(), nil
		}
		// Changed between the steps: once more.
	}
	return false, time.Time{}, &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable", RetryAfter: 1}
}

// GiveBack moves key's arrival time back by one interval of r. An
// allowance that became whole meanwhile only lies further in the past,
// which Take treats alike.
func (s *CounterStore) GiveBack(ctx context.Context, key string, r mitreden.Rate) error {
	ctx, cancel := s.db.write(ctx)
	defer cancel()
	_, err := s.db.C("counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "tat", Value: -int64(r.Interval())}}}})
	return mapErr(err)
}
