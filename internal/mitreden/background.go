package mitreden

import "context"

type backgroundKey struct{}

// InBackground marks ctx as background work (jobs: notifications, mails,
// digests). Where the store serializes writes, a background write lets
// waiting request writes go first, for a bounded time, so a comment does
// not wait behind the notifications of the comments before it.
func InBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by InBackground.
func IsBackground(ctx context.Context) bool {
	v, _ := ctx.Value(backgroundKey{}).(bool)
	return v
}
