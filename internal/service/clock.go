// Package service holds the use cases that span store, search and policy:
// accounts and sessions, participation, moderation and the council.
package service

import "time"

// Clock returns the current time; tests inject a fake one.
type Clock func() time.Time

// SystemClock is the real clock in UTC.
func SystemClock() time.Time { return time.Now().UTC() }
