package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FlushAppliedButFailed writes the pending increments of document id of
// coll as a flush does and then leaves them pending, as when the engine
// applied the write but the call failed (a timeout after the write): the
// next flush must not apply them again.
func (d *DB) FlushAppliedButFailed(ctx context.Context, coll, id string) error {
	ctx, done := d.write(ctx)
	defer done()
	k := docKey{coll, id}
	d.docs.mu.Lock()
	p := d.docs.pending[k]
	for p != nil && p.prev != nil {
		p = p.prev
	}
	if p == nil {
		d.docs.mu.Unlock()
		return nil
	}
	if p.token != "" {
		d.docs.mu.Unlock()
		return nil // attempted before: the next flush's read decides
	}
	p.token = newFlushToken()
	d.docs.mu.Unlock()
	update := append(p.update(), bson.E{Key: "$set", Value: bson.D{{Key: flushMark, Value: p.token}}})
	_, err := d.db.Collection(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: p.id}}, update)
	return err
}
