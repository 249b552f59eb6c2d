package mitreden

import (
	"context"
	"time"
)

// TokenPurpose says what a one-time account link does.
type TokenPurpose string

// The purposes of account links.
const (
	TokenVerify      TokenPurpose = "verify"       // confirms the address of a new account
	TokenReset       TokenPurpose = "reset"        // sets a new password
	TokenEmailChange TokenPurpose = "email_change" // moves the account to a new address
)

// ReasonUnverified refuses proposing, commenting and voting until the person
// confirmed their address.
const ReasonUnverified = "account.unverified"

// AccountToken is a one-time link sent by mail. The token in the link is
// never stored: ID is its SHA-256, so a leaked database yields no usable
// links.
type AccountToken struct {
	ID      string
	Purpose TokenPurpose
	UserID  string
	// Email is the address the link was sent to: the address to confirm,
	// or the new address of an address change.
	Email string
	// From is the account's address when an address change link was
	// issued: the change applies only while the account still has it.
	From      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// AccountTokenStore keeps one-time account links. Using a link is one
// conditional single-document write, so of two concurrent uses exactly one
// succeeds.
type AccountTokenStore interface {
	// CreateAccountToken inserts t. Returns ECONFLICT when t.ID exists.
	CreateAccountToken(ctx context.Context, t *AccountToken) error
	// UseAccountToken marks the token id of the purpose used at now and
	// returns it, when it is unused and expires after now. Returns
	// ENOTFOUND for an unknown, used, expired or other-purpose token.
	UseAccountToken(ctx context.Context, id string, purpose TokenPurpose, now time.Time) (*AccountToken, error)
	// FindAccountToken returns the token id, used or not, without using
	// it (to check a form before the link is spent). Returns ENOTFOUND.
	FindAccountToken(ctx context.Context, id string) (*AccountToken, error)
	// UseUserAccountTokens marks every unused link of the purpose of the
	// user used at now (one multi-document write): a newer link, or the
	// change it was for, makes the older ones worthless.
	UseUserAccountTokens(ctx context.Context, userID string, purpose TokenPurpose, now time.Time) error
}
