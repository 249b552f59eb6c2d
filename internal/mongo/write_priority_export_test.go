package mongo

import "context"

// Write takes the write lock as a store write does; done releases it.
func (d *DB) Write(ctx context.Context) (done func()) {
	_, done = d.write(ctx)
	return done
}

// WaitingWrites is how many request writes wait for the write lock.
func (d *DB) WaitingWrites() int { return int(d.waiting.Load()) }
