package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// PurgeExpired deletes sessions, throttling counters, one-time account
// links, finished background jobs and stored mails whose expires_at has
// passed. MongoDB's TTL indexes do this on their own; FerretDB v1 does not
// support TTL indexes, so the server calls this periodically.
func (d *DB) PurgeExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, coll := range []string{"sessions", "counters", "account_tokens", "jobs", "jobs_done", "mails"} {
		wctx, done := d.write(ctx)
		res, err := d.C(coll).DeleteMany(wctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: now}}}})
		done()
		if err != nil {
			return total, mapErr(err)
		}
		total += res.DeletedCount
	}
	return total, nil
}
