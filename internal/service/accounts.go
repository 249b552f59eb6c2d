package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// AccountsConfig holds the session and throttling policy. Zero fields take defaults.
type AccountsConfig struct {
	SessionIdle        time.Duration // idle timeout, default 30 min
	SessionAbsolute    time.Duration // absolute timeout, default 12 h
	TouchEvery         time.Duration // how often activity is written at most: default 1 min, never above SessionIdle/4
	LoginMaxPerAccount int           // failed logins per account and window, default 5
	LoginMaxPerIP      int           // failed logins per client IP and window, default 20
	LoginWindow        time.Duration // default 15 min
	RegisterMaxPerIP   int           // registrations per client IP and window, default 10
	// NoEmailVerification turns off the rule that self-registered accounts
	// confirm their address before they propose, comment or vote
	// (MITREDEN_VERIFY_EMAIL=false: pilots without mail, load tests).
	NoEmailVerification bool
	// LoginMaxPerDevice is the failed logins per window of a client that
	// presents a valid device token of the account, default 5.
	LoginMaxPerDevice int
	// DeviceTokenAge is how long a device token is valid, default 180 days.
	DeviceTokenAge time.Duration
	// DeviceSecret is the server secret device tokens are signed with (a
	// key is derived from it); empty: a random key per process.
	DeviceSecret []byte
}

func (c *AccountsConfig) defaults() {
	if c.SessionIdle <= 0 {
		c.SessionIdle = 30 * time.Minute
	}
	if c.SessionAbsolute <= 0 {
		c.SessionAbsolute = 12 * time.Hour
	}
	if c.TouchEvery <= 0 {
		c.TouchEvery = time.Minute
	}
	// An idle timeout of seconds (the settings allow 1 s) must not be
	// outlasted by activity that is not yet written.
	c.TouchEvery = min(c.TouchEvery, c.SessionIdle/4)
	if c.LoginMaxPerAccount <= 0 {
		c.LoginMaxPerAccount = 5
	}
	if c.LoginMaxPerIP <= 0 {
		c.LoginMaxPerIP = 20
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.RegisterMaxPerIP <= 0 {
		c.RegisterMaxPerIP = 10
	}
	if c.LoginMaxPerDevice <= 0 {
		c.LoginMaxPerDevice = 5
	}
	if c.DeviceTokenAge <= 0 {
		c.DeviceTokenAge = 180 * 24 * time.Hour
	}
}

// Accounts is the use case layer for registration, login, sessions, profiles and roles.
type Accounts struct {
	users    mitreden.UserStore
	sessions mitreden.SessionStore
	counters mitreden.CounterStore
	cfg      AccountsConfig
	now      Clock
	log      *slog.Logger
	// tokens, mail and baseURL send the one-time links of account mails
	// (UseMail); deviceKey signs device tokens.
	tokens    mitreden.AccountTokenStore
	mail      mitreden.MailSender
	baseURL   string
	deviceKey []byte
}

// NewAccounts wires the account service.
func NewAccounts(users mitreden.UserStore, sessions mitreden.SessionStore, counters mitreden.CounterStore,
	cfg AccountsConfig, now Clock, log *slog.Logger) *Accounts {
	cfg.defaults()
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	return &Accounts{users: users, sessions: sessions, counters: counters, cfg: cfg, now: now, log: log,
		deviceKey: deriveDeviceKey(cfg.DeviceSecret)}
}

// Config returns the effective policy.
func (a *Accounts) Config() AccountsConfig { return a.cfg }

// RegisterInput is what a person gives to open an account.
type RegisterInput struct {
	Email       string
	Password    string
	DisplayName string
	Language    string
	Roles       []mitreden.Role
}

// Validate checks the domain rules of a registration.
func (in *RegisterInput) Validate() error {
	var fields []mitreden.FieldError
	in.Email = strings.TrimSpace(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if fe := checkEmail(in.Email); fe != nil {
		fields = append(fields, *fe)
	}
	if fe := mitreden.ValidateDisplayName(in.DisplayName); fe != nil {
		fields = append(fields, *fe)
	}
	if in.Password == "" {
		fields = append(fields, mitreden.FieldError{Field: "password", Code: "required", Message: "validation.required"})
	} else if fe := CheckPassword(in.Password, in.Email, in.DisplayName); fe != nil {
		fields = append(fields, *fe)
	}
	if in.Language == "" {
		in.Language = mitreden.Languages[0]
	} else if !slices.Contains(mitreden.Languages, in.Language) {
		fields = append(fields, mitreden.FieldError{Field: "language", Code: "oneof", Message: "validation.language"})
	}
	if len(fields) > 0 {
		return mitreden.Invalid(fields...)
	}
	return nil
}

// checkEmail checks the shape of an address (trimmed by the caller).
func checkEmail(email string) *mitreden.FieldError {
	if email == "" {
		return &mitreden.FieldError{Field: "email", Code: "required", Message: "validation.required"}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return &mitreden.FieldError{Field: "email", Code: "email", Message: "validation.email"}
	}
	return nil
}

// Register opens a citizen account and sends it a verification link (when
// verification is required). For an address that is registered already it
// answers the same and does the same work (hashing the password, trying
// the insert, queueing one mail), but the mail goes to the owner and says
// someone tried to register with it: neither answer, nor status, nor time
// tells whether an address is registered. A display name that looks like
// another account's is refused (ECONFLICT on display_name): names are
// public, and it is checked before the address, so it tells nothing about
// the address either. Registrations per IP (per /64 for IPv6) are
// throttled. Returns EINVALID, ECONFLICT (display name), ERATELIMITED,
// EUNAVAILABLE.
func (a *Accounts) Register(ctx context.Context, in RegisterInput, ip string) error {
	in.Roles = nil
	if ip != "" {
		if err := a.throttle(ctx, "reg:ip:"+ClientKey(ip), a.cfg.RegisterMaxPerIP); err != nil {
			return err
		}
	}
	if err := in.Validate(); err != nil {
		return err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	now := a.now()
	u := &mitreden.User{Email: in.Email, DisplayName: in.DisplayName, PasswordHash: hash, Language: in.Language,
		Unverified: a.VerificationRequired(), CreatedAt: now}
	if !u.Unverified {
		u.VerifiedAt = now
	}
	err = a.users.CreateUser(ctx, u)
	if err == nil {
		a.log.Info("account registered", "user_id", u.ID)
		if u.Unverified {
			return a.sendVerification(ctx, u)
		}
		return nil
	}
	if !emailTaken(err) {
		return err
	}
	owner, err := a.users.FindUserByEmail(ctx, in.Email)
	if err != nil {
		return err
	}
	a.log.Info("registration with a registered address", "user_id", owner.ID)
	if a.mail == nil {
		a.log.Warn("mail not sent: no mail queue configured", "template", MailAccountTaken)
		return nil
	}
	// At most one such mail an hour per account (the queue drops a second
	// mail with the same key), so nobody can flood an owner with them.
	return a.mail.SendMail(ctx, mitreden.OutgoingMail{Key: "account_taken:" + owner.ID + ":" + now.UTC().Format("2006010215"),
		To: owner.Email, Language: owner.Language, Template: MailAccountTaken, Data: map[string]any{"Name": owner.DisplayName,
			"LoginURL": a.baseURL + "/login", "ResetURL": a.baseURL + "/password/forgot"}})
}

// emailTaken tells whether err is the conflict of a registered address.
func emailTaken(err error) bool {
	var de *mitreden.Error
	if !errors.As(err, &de) || de.Code != mitreden.ECONFLICT {
		return false
	}
	for _, f := range de.Fields {
		if f.Field == "email" {
			return true
		}
	}
	return false
}

// CreateUser creates an account with the given roles (used by the CLI and
// seeding). Returns EINVALID, ECONFLICT (email or display name taken).
func (a *Accounts) CreateUser(ctx context.Context, in RegisterInput) (*mitreden.User, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	// Accounts made by an operator count as verified.
	u := &mitreden.User{Email: in.Email, DisplayName: in.DisplayName, PasswordHash: hash, Language: in.Language,
		Roles: in.Roles, CreatedAt: a.now(), VerifiedAt: a.now()}
	if err := a.users.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	a.log.Info("account created", "user_id", u.ID)
	return u, nil
}

// Login is the result of a successful login. Token is shown to the client
// once; Device is the device token the client keeps for later logins.
type Login struct {
	Token   string
	Session *mitreden.Session
	User    *mitreden.User
	Device  string
}

// LoginInput is a login attempt. Device is the device token the client
// got at an earlier login ("" when none).
type LoginInput struct {
	Email     string
	Password  string
	IP        string
	UserAgent string
	Device    string
}

// Login checks credentials and opens a new session. Failures never reveal
// whether the email is registered. An attempt is counted against the
// account's and the client IP's allowance of failures, unless it comes
// with a valid device token of the very account: then against that
// device's own allowance only, so failures from elsewhere never lock out
// a browser the owner logged in with before. Returns EUNAUTHORIZED,
// ERATELIMITED.
func (a *Accounts) Login(ctx context.Context, in LoginInput) (*Login, error) {
	now := a.now()
	// The account is looked up first, so that the allowance can depend on
	// whether the device token names it; the lookup is made for every
	// attempt alike and tells nothing.
	u, err := a.users.FindUserByEmail(ctx, in.Email)
	if err != nil && mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		return nil, err
	}
	var limits []allowance
	if devUser, devID := a.checkDeviceToken(in.Device); u != nil && devUser == u.ID {
		limits = []allowance{{"login:dev:" + devID, a.cfg.LoginMaxPerDevice}}
	} else {
		limits = []allowance{{loginAccountKey(in.Email), a.cfg.LoginMaxPerAccount}}
		if in.IP != "" {
			limits = append(limits, allowance{"login:ip:" + ClientKey(in.IP), a.cfg.LoginMaxPerIP})
		}
	}
	slots, err := a.takeSlots(ctx, now, limits...)
	if err != nil {
		a.log.Warn("login throttled", "ip", in.IP)
		return nil, err
	}
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	// A blocked person logs in and reads; their writes are refused with the
	// reason (see participant).
	ok := VerifyPassword(hash, in.Password) && u != nil
	if !ok {
		// The slots taken stay: they count this failure.
		a.log.Warn("login failed", "ip", in.IP)
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "account.login_failed"}
	}
	a.giveBack(ctx, slots)
	l, err := a.loginAs(ctx, u, in.IP, in.UserAgent)
	if err != nil {
		return nil, err
	}
	a.log.Info("login", "user_id", u.ID, "ip", in.IP)
	return l, nil
}

// takeSlots takes one attempt from the allowance of every key (failed
// password checks of an account, of a client IP) before the password is
// checked, so parallel guesses cannot all pass a check made before any of
// them counted. When an allowance is used up it gives back what it took and
// answers ERATELIMITED until the time every allowance admits the attempt.
func (a *Accounts) takeSlots(ctx context.Context, now time.Time, allowances ...allowance) ([]allowance, error) {
	var taken []allowance
	var until time.Time
	for _, al := range allowances {
		ok, retry, err := a.counters.Take(ctx, al.key, a.rate(al.max), now)
		if err != nil {
			a.giveBack(ctx, taken)
			return nil, err
		}
		if ok {
			taken = append(taken, al)
		} else if retry.After(until) {
			until = retry
		}
	}
	if !until.IsZero() {
		a.giveBack(ctx, taken)
		return nil, rateLimited("account.rate_limited", now, until)
	}
	return taken, nil
}

// allowance is a throttling counter and the attempts it allows per window.
type allowance struct {
	key string
	max int
}

// rate is the allowance of max attempts per LoginWindow.
func (a *Accounts) rate(max int) mitreden.Rate {
	return mitreden.Rate{Max: max, Per: a.cfg.LoginWindow}
}

// giveBack returns slots taken by takeSlots, for an attempt that was not a
// failed guess.
func (a *Accounts) giveBack(ctx context.Context, slots []allowance) {
	for _, al := range slots {
		if err := a.counters.GiveBack(context.WithoutCancel(ctx), al.key, a.rate(al.max)); err != nil {
			a.log.Warn("throttling counter not given back", "err", err)
		}
	}
}

// loginAccountKey is the throttling counter of failed password checks of an
// account.
func loginAccountKey(email string) string {
	return "login:acct:" + shortHash(mitreden.NormalizeEmail(email))
}

// throttle counts an attempt on key and answers ERATELIMITED when the
// allowance of max attempts per window is used up.
func (a *Accounts) throttle(ctx context.Context, key string, max int) error {
	now := a.now()
	ok, retry, err := a.counters.Take(ctx, key, a.rate(max), now)
	if err != nil {
		return err
	}
	if !ok {
		return rateLimited("account.rate_limited", now, retry)
	}
	return nil
}

func (a *Accounts) newSession(ctx context.Context, userID, ip, ua string) (string, *mitreden.Session, error) {
	b := make([]byte, 32) // 256 bits
	if _, err := rand.Read(b); err != nil {
		return "", nil, mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := a.now()
	if len(ua) > 200 {
		// Cut at a rune boundary: BSON strings must stay valid UTF-8.
		ua = strings.ToValidUTF8(ua[:200], "")
	}
	s := &mitreden.Session{ID: SessionID(token), UserID: userID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(a.cfg.SessionAbsolute), IP: ip, UserAgent: ua}
	if err := a.sessions.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// SessionID derives the stored session id from the client's token.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// Authenticate resolves a token to its session and user, enforcing the idle
// and absolute timeouts. Activity is written at most every TouchEvery, so
// the recorded last activity may lag the real one by up to TouchEvery: a
// session ends once it has been idle for SessionIdle counted from the
// recorded activity plus that lag. An active person (no pause as long as
// SessionIdle) is thus never logged out, and a person who left is logged
// out after SessionIdle and at most TouchEvery (≤ SessionIdle/4) more.
// Returns EUNAUTHORIZED for unknown, expired or blocked.
func (a *Accounts) Authenticate(ctx context.Context, token string) (*mitreden.Session, *mitreden.User, error) {
	unauth := &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	if token == "" || len(token) > 100 {
		return nil, nil, unauth
	}
	s, err := a.sessions.FindSession(ctx, SessionID(token))
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil, nil, unauth
	} else if err != nil {
		return nil, nil, err
	}
	now := a.now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= a.cfg.SessionIdle+a.cfg.TouchEvery {
		_ = a.sessions.DeleteSession(ctx, s.ID)
		return nil, nil, unauth
	}
	u, err := a.users.FindUserByID(ctx, s.UserID)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		_ = a.sessions.DeleteSession(ctx, s.ID)
		return nil, nil, unauth
	} else if err != nil {
		return nil, nil, err
	}
	if u.Unverified && !a.VerificationRequired() {
		// Accounts that registered while verification was required may
		// take part once it is turned off.
		u.Unverified = false
	}
	if now.Sub(s.LastSeenAt) >= a.cfg.TouchEvery {
		if err := a.sessions.TouchSession(ctx, s.ID, now); err != nil {
			a.log.Warn("session touch failed", "err", err)
		}
		s.LastSeenAt = now
	}
	return s, u, nil
}

// Logout deletes the session server-side.
func (a *Accounts) Logout(ctx context.Context, sessionID string) error {
	return a.sessions.DeleteSession(ctx, sessionID)
}

// ChangePassword re-checks the current password, sets the new one and ends
// every other session of the user. A wrong current password counts as a
// failed login of the account (both guess the same secret), so a stolen
// session cannot try passwords faster than the login form allows.
// Returns EINVALID, EUNAUTHORIZED, ERATELIMITED.
func (a *Accounts) ChangePassword(ctx context.Context, u *mitreden.User, sessionID, current, next string) error {
	if u == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	fresh, err := a.users.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := a.checkCurrentPassword(ctx, fresh, current); err != nil {
		return err
	}
	if fe := CheckPassword(next, fresh.Email, fresh.DisplayName); fe != nil {
		fe.Field = "new_password"
		return mitreden.Invalid(*fe)
	}
	hash, err := HashPassword(next)
	if err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	if err := a.users.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	// A reset link sent before the change must not undo it.
	if err := a.expireLinks(ctx, u.ID, mitreden.TokenReset); err != nil {
		return err
	}
	a.log.Info("password changed", "user_id", u.ID)
	if err := a.sessions.DeleteUserSessions(ctx, u.ID, sessionID); err != nil {
		return err
	}
	if err := a.send(ctx, fresh.Email, fresh.Language, MailPasswordChanged, map[string]any{"Name": fresh.DisplayName,
		"URL": a.baseURL + "/password/forgot"}); err != nil {
		a.log.Warn("password change mail not queued", "user_id", u.ID, "err", err)
	}
	return nil
}

// UpdateProfile changes the display name and language. Returns EINVALID,
// ECONFLICT (a display name that looks like another account's).
func (a *Accounts) UpdateProfile(ctx context.Context, u *mitreden.User, upd mitreden.UserUpdate) (*mitreden.User, error) {
	if u == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	var fields []mitreden.FieldError
	if upd.DisplayName != nil {
		name := strings.TrimSpace(*upd.DisplayName)
		upd.DisplayName = &name
		if fe := mitreden.ValidateDisplayName(name); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if upd.Language != nil && !slices.Contains(mitreden.Languages, *upd.Language) {
		fields = append(fields, mitreden.FieldError{Field: "language", Code: "oneof", Message: "validation.language"})
	}
	if len(fields) > 0 {
		return nil, mitreden.Invalid(fields...)
	}
	return a.users.UpdateUser(ctx, u.ID, upd)
}

// Now is the time on the clock that stamps sessions, so that a page saying
// how long ago a session was active measures against the same clock.
func (a *Accounts) Now() time.Time { return a.now() }

// SessionEnds is when s ends unless a request comes first, and how long
// that is from now: its idle timeout counted from the recorded activity
// (with the lag Authenticate allows for) or its absolute end, whichever
// comes first. Forms say until when they stay valid from it.
func (a *Accounts) SessionEnds(s *mitreden.Session) (time.Time, time.Duration) {
	end := s.LastSeenAt.Add(a.cfg.SessionIdle + a.cfg.TouchEvery)
	if s.ExpiresAt.Before(end) {
		end = s.ExpiresAt
	}
	return end, end.Sub(a.now())
}

// Sessions lists the sessions of u. Returns EUNAUTHORIZED for a nil user.
func (a *Accounts) Sessions(ctx context.Context, u *mitreden.User) ([]*mitreden.Session, error) {
	if u == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	return a.sessions.ListUserSessions(ctx, u.ID)
}

// RevokeSession ends one of u's own sessions. Another user's session answers
// ENOTFOUND, like a missing one; a nil user EUNAUTHORIZED.
func (a *Accounts) RevokeSession(ctx context.Context, u *mitreden.User, sessionID string) error {
	if u == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	s, err := a.sessions.FindSession(ctx, sessionID)
	if err != nil {
		return err
	}
	if s.UserID != u.ID {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return a.sessions.DeleteSession(ctx, sessionID)
}

// requireAdmin denies a nil actor (EUNAUTHORIZED) and non-admins (EFORBIDDEN).
// The CLI acts as System.
func requireAdmin(actor *mitreden.User) error {
	if actor == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	if !actor.HasRole(mitreden.RoleAdmin) {
		return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "error.forbidden"}
	}
	return nil
}

// System is the actor for operator commands run from the CLI.
var System = &mitreden.User{ID: "system", DisplayName: "System", Roles: []mitreden.Role{mitreden.RoleCitizen, mitreden.RoleAdmin}}

// SetRole grants or revokes role on the user id. Only admins may. The last
// admin role cannot be revoked, so the platform always keeps someone who can
// grant roles; an admin may give up their own role while another admin is
// left (the web form asks them to confirm first).
// Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT (last admin).
func (a *Accounts) SetRole(ctx context.Context, actor *mitreden.User, userID string, role mitreden.Role, grant bool) (*mitreden.User, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	if role == mitreden.RoleCitizen {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "role", Code: "fixed", Message: "validation.role_citizen"})
	}
	if _, err := mitreden.ParseRole(string(role)); err != nil {
		return nil, err
	}
	u, err := a.users.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	revokesAdmin := !grant && role == mitreden.RoleAdmin && u.HasRole(mitreden.RoleAdmin)
	if revokesAdmin {
		if n, err := a.countAdmins(ctx); err != nil {
			return nil, err
		} else if n <= 1 {
			return nil, lastAdmin()
		}
	}
	roles := slices.DeleteFunc(slices.Clone(u.Roles), func(r mitreden.Role) bool { return r == role })
	if grant {
		roles = append(roles, role)
	}
	u, err = a.users.SetRoles(ctx, userID, roles)
	if err != nil {
		return nil, err
	}
	if revokesAdmin {
		// Two admins revoking each other at once both counted two admins
		// before either wrote. The store has no multi-document condition,
		// so the check is repeated after the write, and a revocation that
		// left no admin is undone.
		if n, err := a.countAdmins(ctx); err != nil || n == 0 {
			if _, rerr := a.users.SetRoles(context.WithoutCancel(ctx), userID, append(roles, mitreden.RoleAdmin)); rerr != nil {
				a.log.Error("last admin role not restored", "user_id", userID, "err", rerr)
			}
			if err != nil {
				return nil, err
			}
			return nil, lastAdmin()
		}
	}
	a.log.Info("role changed", "actor", actor.ID, "user_id", userID, "role", role, "grant", grant)
	return u, nil
}

// lastAdmin refuses to revoke the only admin role left.
func lastAdmin() error {
	return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "account.last_admin"}
}

// countAdmins returns how many accounts hold the admin role.
func (a *Accounts) countAdmins(ctx context.Context) (int, error) {
	_, n, err := a.users.ListUsers(ctx, mitreden.UserFilter{Role: mitreden.RoleAdmin, PerPage: 1})
	return n, err
}

// ListUsers returns a page of users for admins. Returns EUNAUTHORIZED, EFORBIDDEN.
func (a *Accounts) ListUsers(ctx context.Context, actor *mitreden.User, f mitreden.UserFilter) ([]*mitreden.User, int, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, 0, err
	}
	return a.users.ListUsers(ctx, f)
}

// FindUserByEmail looks a user up (CLI). Returns ENOTFOUND.
func (a *Accounts) FindUserByEmail(ctx context.Context, email string) (*mitreden.User, error) {
	return a.users.FindUserByEmail(ctx, email)
}

// User returns a user by id. Returns ENOTFOUND.
func (a *Accounts) User(ctx context.Context, id string) (*mitreden.User, error) {
	return a.users.FindUserByID(ctx, id)
}

// ClientKey is the key under which per-IP throttles count a client: an IPv4
// address as it is (an IPv4-mapped IPv6 address counts as its IPv4
// address), an IPv6 address by its /64 prefix, the smallest block a site
// is given, so one client cannot dodge a limit by rotating through the
// 2^64 addresses it holds. Anything else is used unchanged.
func ClientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
