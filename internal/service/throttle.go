package service

import (
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// rateLimited is the ERATELIMITED error with message key msg until the time
// until, when the next attempt passes: RetryAfter in whole seconds rounded
// up, and "until" rounded up to the minute, as pages name times, so that
// both name a time from which it passes.
func rateLimited(msg string, now, until time.Time) *mitreden.Error {
	secs := max(int((until.Sub(now)+time.Second-1)/time.Second), 1)
	return &mitreden.Error{Code: mitreden.ERATELIMITED, Message: msg, RetryAfter: secs,
		Args: map[string]any{"until": ceilMinute(until), "minutes": (secs + 59) / 60, "seconds": secs}}
}

// ceilMinute rounds t up to a whole minute, as pages name times: the
// minute named is never before t.
func ceilMinute(t time.Time) time.Time {
	m := t.Truncate(time.Minute)
	if m.Before(t) {
		m = m.Add(time.Minute)
	}
	return m
}
