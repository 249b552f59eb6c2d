package mitreden

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Role is a permission set a user holds. A user may hold several.
type Role string

// The roles of the platform. Every registered user is a citizen.
const (
	RoleCitizen   Role = "citizen"
	RoleCouncil   Role = "council"
	RoleModerator Role = "moderator"
	// RoleService is the Bürgerservice: staff at a citizens' office or a
	// hotline who enter letters, calls and visits on behalf of people.
	RoleService Role = "service"
	RoleAdmin   Role = "admin"
)

// Roles lists every role in display order.
var Roles = []Role{RoleCitizen, RoleCouncil, RoleModerator, RoleService, RoleAdmin}

// ParseRole returns the role named s or an EINVALID error.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Invalid(FieldError{Field: "role", Code: "oneof", Message: "validation.role"})
}

// Languages the UI speaks; the first is the default.
var Languages = []string{"de", "en"}

// User is a registered person. Email is private: it is never shown to other users.
type User struct {
	ID           string
	Email        string
	DisplayName  string
	PasswordHash string
	Language     string
	Roles        []Role
	// Blocked is set by moderation, with the reason and until when (zero:
	// for good); see BlockedAt.
	Blocked      bool
	BlockedUntil time.Time
	BlockReason  string
	// Unverified is set while an account that registered itself has not
	// confirmed its address; VerifiedAt is when it did. Accounts made by
	// the CLI, seeding and before verification existed are verified.
	Unverified bool
	VerifiedAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// HasRole reports whether u holds r. Every user is a citizen.
func (u *User) HasRole(r Role) bool {
	if u == nil {
		return false
	}
	return r == RoleCitizen || slices.Contains(u.Roles, r)
}

// NormalizeEmail returns the key under which an email is unique: trimmed and lower-cased.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// NormalizeRoles sorts roles in display order, drops duplicates and always includes citizen.
func NormalizeRoles(in []Role) []Role {
	out := []Role{RoleCitizen}
	for _, r := range Roles[1:] {
		if slices.Contains(in, r) {
			out = append(out, r)
		}
	}
	return out
}

// UserFilter selects users for the admin list.
type UserFilter struct {
	Role    Role
	Page    int
	PerPage int
}

// UserUpdate changes profile fields; nil fields stay as they are.
type UserUpdate struct {
	DisplayName *string
	Language    *string
}

// UserStore persists users.
type UserStore interface {
	// CreateUser inserts u and sets its ID. Returns ECONFLICT when the email
	// is taken or when another account's display name has the same
	// DisplayNameKey (the field error names which).
	CreateUser(ctx context.Context, u *User) error
	// FindUserByID returns ENOTFOUND when there is no such user.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByEmail looks up by NormalizeEmail(email). Returns ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser applies upd and returns the new user. Returns ENOTFOUND, and
	// ECONFLICT when another account's display name has the same
	// DisplayNameKey.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// SetPasswordHash replaces the password hash. Returns ENOTFOUND.
	SetPasswordHash(ctx context.Context, id, hash string) error
	// SetVerified marks the account verified at at, when its address is
	// still email (a later address change needs its own confirmation).
	// Returns ENOTFOUND (also when the address changed).
	SetVerified(ctx context.Context, id, email string, at time.Time) (*User, error)
	// SetEmail moves the account from the address from to a new address,
	// which counts as verified at at, in one write conditional on the
	// account still having from. Returns ENOTFOUND (also when the address
	// is no longer from), and ECONFLICT when another account holds email.
	SetEmail(ctx context.Context, id, from, email string, at time.Time) (*User, error)
	// SetRoles replaces the roles. Returns ENOTFOUND.
	SetRoles(ctx context.Context, id string, roles []Role) (*User, error)
	// SetBlock blocks (b set) or unblocks (b nil) an account. Returns
	// ENOTFOUND.
	SetBlock(ctx context.Context, id string, b *Block) (*User, error)
	// ListUsers returns one page of users, newest first, and the total.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
}

// Session is a server-side login. The token the client holds is never stored:
// ID is the SHA-256 of it, so a leaked database yields no usable sessions.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute limit
	UserAgent  string
	IP         string
}

// SessionStore persists sessions.
type SessionStore interface {
	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns ENOTFOUND when there is no such session.
	FindSession(ctx context.Context, id string) (*Session, error)
	// TouchSession records activity.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession removes one session; a missing one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions removes every session of userID except exceptID.
	DeleteUserSessions(ctx context.Context, userID, exceptID string) error
	// ListUserSessions returns the sessions of a user, newest first.
	ListUserSessions(ctx context.Context, userID string) ([]*Session, error)
}

// Pinger reports whether a backing service answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// MaxPage is the highest page number a list serves.
const MaxPage = 1 << 20

// NormalizePage returns a 1-based page and a page size: 20 by default, at most 100.
func NormalizePage(page, perPage int) (int, int) {
	if page < 1 {
		page = 1
	}
	// Far past any list, and small enough that (page-1)*perPage cannot
	// overflow: a huge page number shows an empty page.
	page = min(page, MaxPage)
	if perPage < 1 {
		perPage = 20
	}
	if perPage > 100 {
		perPage = 100
	}
	return page, perPage
}
