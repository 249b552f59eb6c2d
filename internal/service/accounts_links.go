package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// EmailChangeMaxPerHour is how many address change mails an account may
// have sent an hour.
const EmailChangeMaxPerHour = 3

// How long the one-time links of account mails stay valid.
const (
	VerifyLinkValid      = 24 * time.Hour
	ResetLinkValid       = time.Hour
	EmailChangeLinkValid = 24 * time.Hour
)

// The mails accounts send (web/mail/<language>/<name>.txt and .html).
const (
	MailAccountVerify      = "account_verify"
	MailAccountTaken       = "account_taken"
	MailPasswordReset      = "password_reset"
	MailPasswordChanged    = "password_changed"
	MailEmailChangeConfirm = "email_change_confirm"
	MailEmailChanged       = "email_changed"
)

// UseMail gives the account service the store of its one-time links, the
// queue its mails go to, and the public base URL their links start with.
// Without it no mail is sent (and logged instead), so nobody can verify.
func (a *Accounts) UseMail(tokens mitreden.AccountTokenStore, mail mitreden.MailSender, baseURL string) {
	a.tokens, a.mail, a.baseURL = tokens, mail, strings.TrimRight(baseURL, "/")
}

// VerificationRequired tells whether new accounts must confirm their
// address before they propose, comment or vote.
func (a *Accounts) VerificationRequired() bool { return !a.cfg.NoEmailVerification }

// link returns the absolute URL of path with the token as its query.
func (a *Accounts) link(path, token string) string {
	return a.baseURL + path + "?" + url.Values{"token": {token}}.Encode()
}

// newLink stores a one-time link of purpose for u (sent to email) and
// returns the token that goes into the mail.
func (a *Accounts) newLink(ctx context.Context, purpose mitreden.TokenPurpose, userID, email string, valid time.Duration) (string, error) {
	return a.newLinkFrom(ctx, purpose, userID, email, "", valid)
}

// newLinkFrom is newLink noting the account's address from as well.
func (a *Accounts) newLinkFrom(ctx context.Context, purpose mitreden.TokenPurpose, userID, email, from string, valid time.Duration) (string, error) {
	if a.tokens == nil {
		return "", &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable", RetryAfter: 60}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := a.now()
	err := a.tokens.CreateAccountToken(ctx, &mitreden.AccountToken{ID: SessionID(token), Purpose: purpose, UserID: userID,
		Email: email, From: from, CreatedAt: now, ExpiresAt: now.Add(valid)})
	if err != nil {
		return "", err
	}
	return token, nil
}

// useLink consumes a one-time link. Returns EINVALID with the message of
// an unknown, used or expired link (which of them is not told).
func (a *Accounts) useLink(ctx context.Context, purpose mitreden.TokenPurpose, token string) (*mitreden.AccountToken, error) {
	bad := mitreden.Invalid(mitreden.FieldError{Field: "token", Code: "invalid", Message: "account.link_invalid"})
	bad.Message = "account.link_invalid"
	if token == "" || len(token) > 100 || a.tokens == nil {
		return nil, bad
	}
	t, err := a.tokens.UseAccountToken(ctx, SessionID(token), purpose, a.now())
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	return t, nil
}

// expireLinks makes every unused link of purpose of the account useless.
func (a *Accounts) expireLinks(ctx context.Context, userID string, purpose mitreden.TokenPurpose) error {
	if a.tokens == nil {
		return nil
	}
	return a.tokens.UseUserAccountTokens(ctx, userID, purpose, a.now())
}

// peekLink returns the unused, unexpired link of purpose with the token
// without using it.
func (a *Accounts) peekLink(ctx context.Context, purpose mitreden.TokenPurpose, token string) (*mitreden.AccountToken, error) {
	bad := mitreden.Invalid(mitreden.FieldError{Field: "token", Code: "invalid", Message: "account.link_invalid"})
	bad.Message = "account.link_invalid"
	if token == "" || len(token) > 100 || a.tokens == nil {
		return nil, bad
	}
	t, err := a.tokens.FindAccountToken(ctx, SessionID(token))
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	if t.Purpose != purpose || t.UserID == "" || !t.UsedAt.IsZero() || !a.now().Before(t.ExpiresAt) {
		return nil, bad
	}
	return t, nil
}

// send queues one mail to u's language.
func (a *Accounts) send(ctx context.Context, to, lang, template string, data map[string]any) error {
	if a.mail == nil {
		a.log.Warn("mail not sent: no mail queue configured", "template", template)
		return nil
	}
	return a.mail.SendMail(ctx, mitreden.OutgoingMail{To: to, Language: lang, Template: template, Data: data})
}

// sendVerification sends u a link that confirms their address.
func (a *Accounts) sendVerification(ctx context.Context, u *mitreden.User) error {
	if a.tokens == nil || a.mail == nil {
		// Without mail (UseMail not called) the account waits until an
		// operator verifies it or turns verification off.
		a.log.Warn("verification link not sent: no mail queue configured", "user_id", u.ID)
		return nil
	}
	token, err := a.newLink(ctx, mitreden.TokenVerify, u.ID, u.Email, VerifyLinkValid)
	if err != nil {
		return err
	}
	return a.send(ctx, u.Email, u.Language, MailAccountVerify, map[string]any{"Name": u.DisplayName,
		"URL": a.link("/account/verify", token), "Hours": int(VerifyLinkValid.Hours())})
}

// ResendVerification sends a logged-in, unverified person a new link,
// at most 3 an hour. A verified person gets none and no error.
// Returns EUNAUTHORIZED, ERATELIMITED.
func (a *Accounts) ResendVerification(ctx context.Context, u *mitreden.User) error {
	if u == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	if !u.Unverified {
		return nil
	}
	now := a.now()
	ok, retry, err := a.counters.Take(ctx, "verify:acct:"+u.ID, mitreden.Rate{Max: 3, Per: time.Hour}, now)
	if err != nil {
		return err
	}
	if !ok {
		return rateLimited("account.rate_limited", now, retry)
	}
	return a.sendVerification(ctx, u)
}

// Verify confirms an address with the token of a verification link. The
// link is good once, for 24 hours, and only while the account still has
// the address it was sent to. Returns EINVALID (unknown, used or expired
// link), EUNAVAILABLE.
func (a *Accounts) Verify(ctx context.Context, token string) (*mitreden.User, error) {
	t, err := a.useLink(ctx, mitreden.TokenVerify, token)
	if err != nil {
		return nil, err
	}
	u, err := a.users.SetVerified(ctx, t.UserID, t.Email, a.now())
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "token", Code: "invalid", Message: "account.link_invalid"})
	} else if err != nil {
		return nil, err
	}
	a.log.Info("address verified", "user_id", u.ID)
	return u, nil
}

// MarkVerified confirms an account's address on an admin's word, for
// people whose verification mail never arrives (a strict spam filter, a
// typo in the mail setup). A verified account is returned as it is. It is
// logged with the admin who did it. Returns EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, EUNAVAILABLE.
func (a *Accounts) MarkVerified(ctx context.Context, actor *mitreden.User, userID string) (*mitreden.User, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	u, err := a.users.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !u.Unverified {
		return u, nil
	}
	// Conditional on the address read: one changed meanwhile is not
	// confirmed by a decision about the old one.
	u, err = a.users.SetVerified(ctx, u.ID, u.Email, a.now())
	if err != nil {
		return nil, err
	}
	a.log.Info("address marked verified by an admin", "user_id", u.ID, "admin_id", actor.ID)
	return u, nil
}

// ForgotPassword sends a reset link to the account with the address. It
// answers the same, and does the same store work, for an unknown address:
// nobody learns from it who is registered. Requests are throttled per
// address and per client IP like logins. Returns EINVALID (not an
// address), ERATELIMITED, EUNAVAILABLE.
func (a *Accounts) ForgotPassword(ctx context.Context, email, ip string) error {
	email = strings.TrimSpace(email)
	if fe := checkEmail(email); fe != nil {
		return mitreden.Invalid(*fe)
	}
	limits := []allowance{{"reset:acct:" + shortHash(mitreden.NormalizeEmail(email)), a.cfg.LoginMaxPerAccount}}
	if ip != "" {
		limits = append(limits, allowance{"reset:ip:" + ClientKey(ip), a.cfg.LoginMaxPerIP})
	}
	if _, err := a.takeSlots(ctx, a.now(), limits...); err != nil {
		return err
	}
	u, err := a.users.FindUserByEmail(ctx, email)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		// The same writes as for an account, with a link that opens
		// nothing and a mail rendered, stored and queued but never sent:
		// the answer takes as long either way.
		token, err := a.newLink(ctx, mitreden.TokenReset, "", "", ResetLinkValid)
		if err != nil || a.mail == nil {
			return err
		}
		return a.mail.SendMail(ctx, mitreden.OutgoingMail{To: email, Language: mitreden.Languages[0], Template: MailPasswordReset,
			Discard: true, Data: map[string]any{"Name": "", "URL": a.link("/password/reset", token), "Minutes": int(ResetLinkValid.Minutes())}})
	} else if err != nil {
		return err
	}
	token, err := a.newLink(ctx, mitreden.TokenReset, u.ID, u.Email, ResetLinkValid)
	if err != nil {
		return err
	}
	a.log.Info("password reset requested", "user_id", u.ID)
	return a.send(ctx, u.Email, u.Language, MailPasswordReset, map[string]any{"Name": u.DisplayName,
		"URL": a.link("/password/reset", token), "Minutes": int(ResetLinkValid.Minutes())})
}

// ResetPassword sets a new password with the token of a reset link (good
// once, for an hour), ends every session of the account, tells the owner
// by mail and logs them in (with a new device token): failed logins from
// elsewhere never keep the owner out after a reset. Returns EINVALID (bad
// link, password rules), EUNAVAILABLE.
func (a *Accounts) ResetPassword(ctx context.Context, token, password, ip, userAgent string) (*Login, error) {
	if password == "" {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "password", Code: "required", Message: "validation.required"})
	}
	// The link is looked at first and used only once the password passes
	// the rules (which need the account's address and name), so a refused
	// password leaves it good for a second try.
	bad := mitreden.Invalid(mitreden.FieldError{Field: "token", Code: "invalid", Message: "account.link_invalid"})
	peek, err := a.peekLink(ctx, mitreden.TokenReset, token)
	if err != nil {
		return nil, err
	}
	u, err := a.users.FindUserByID(ctx, peek.UserID)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND || (err == nil && mitreden.NormalizeEmail(u.Email) != mitreden.NormalizeEmail(peek.Email)) {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	if fe := CheckPassword(password, u.Email, u.DisplayName); fe != nil {
		return nil, mitreden.Invalid(*fe)
	}
	if _, err := a.useLink(ctx, mitreden.TokenReset, token); err != nil {
		return nil, err
	}
	// The other reset links of the account are spent with this one.
	if err := a.expireLinks(ctx, u.ID, mitreden.TokenReset); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	if err := a.users.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return nil, err
	}
	if err := a.sessions.DeleteUserSessions(ctx, u.ID, ""); err != nil {
		return nil, err
	}
	if u.Unverified {
		// The link came to the address: it is confirmed as well.
		if v, err := a.users.SetVerified(ctx, u.ID, u.Email, a.now()); err == nil {
			u = v
		}
	}
	a.log.Info("password reset", "user_id", u.ID, "ip", ip)
	if err := a.send(ctx, u.Email, u.Language, MailPasswordChanged, map[string]any{"Name": u.DisplayName,
		"URL": a.baseURL + "/password/forgot"}); err != nil {
		a.log.Warn("password change mail not queued", "user_id", u.ID, "err", err)
	}
	return a.loginAs(ctx, u, ip, userAgent)
}

// loginAs opens a session for u with a new device token.
func (a *Accounts) loginAs(ctx context.Context, u *mitreden.User, ip, userAgent string) (*Login, error) {
	token, s, err := a.newSession(ctx, u.ID, ip, userAgent)
	if err != nil {
		return nil, err
	}
	return &Login{Token: token, Session: s, User: u, Device: a.newDeviceToken(u.ID)}, nil
}

// ChangeEmail starts moving u to a new address: after the current password
// is checked (and counted like a login), the new address gets a
// confirmation link; the address changes only when it is followed. A new
// address another account holds gets the same link and answer, so the
// form tells nothing; following it then fails with a clear message.
// Returns EINVALID, EUNAUTHORIZED, ERATELIMITED, EUNAVAILABLE.
func (a *Accounts) ChangeEmail(ctx context.Context, u *mitreden.User, current, newEmail string) error {
	if u == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	newEmail = strings.TrimSpace(newEmail)
	fresh, err := a.users.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	if fe := checkEmail(newEmail); fe != nil {
		fe.Field = "new_email"
		return mitreden.Invalid(*fe)
	}
	if mitreden.NormalizeEmail(newEmail) == mitreden.NormalizeEmail(fresh.Email) {
		return mitreden.Invalid(mitreden.FieldError{Field: "new_email", Code: "same", Message: "account.email_same"})
	}
	if err := a.checkCurrentPassword(ctx, fresh, current); err != nil {
		return err
	}
	now := a.now()
	ok, retry, err := a.counters.Take(ctx, "email_change:acct:"+fresh.ID, mitreden.Rate{Max: EmailChangeMaxPerHour, Per: time.Hour}, now)
	if err != nil {
		return err
	}
	if !ok {
		a.log.Warn("address change throttled", "user_id", fresh.ID)
		return rateLimited("account.rate_limited", now, retry)
	}
	// Only the newest link counts: one sent to a mistyped address must
	// not move the account there later.
	if err := a.expireLinks(ctx, fresh.ID, mitreden.TokenEmailChange); err != nil {
		return err
	}
	token, err := a.newLinkFrom(ctx, mitreden.TokenEmailChange, fresh.ID, newEmail, fresh.Email, EmailChangeLinkValid)
	if err != nil {
		return err
	}
	a.log.Info("address change requested", "user_id", fresh.ID)
	return a.send(ctx, newEmail, fresh.Language, MailEmailChangeConfirm, map[string]any{"Name": fresh.DisplayName,
		"URL": a.link("/account/email/confirm", token), "Hours": int(EmailChangeLinkValid.Hours())})
}

// ConfirmEmail moves the account to the address the link was sent to and
// tells the old address. The link works only while the account still has
// the address it was issued from, and is used up only once the move
// succeeded: one refused because the address was taken meanwhile stays
// good. Returns EINVALID (unknown, used, expired or outdated link),
// ECONFLICT (the address belongs to another account by now), EUNAVAILABLE.
func (a *Accounts) ConfirmEmail(ctx context.Context, token string) (*mitreden.User, error) {
	bad := mitreden.Invalid(mitreden.FieldError{Field: "token", Code: "invalid", Message: "account.link_invalid"})
	t, err := a.peekLink(ctx, mitreden.TokenEmailChange, token)
	if err != nil {
		return nil, err
	}
	old, err := a.users.FindUserByID(ctx, t.UserID)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND || (err == nil && (t.From == "" || mitreden.NormalizeEmail(old.Email) != mitreden.NormalizeEmail(t.From))) {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	// Conditional on the address the link was issued from: of two
	// concurrent confirmations only one finds it, and a replay finds the
	// new address.
	u, err := a.users.SetEmail(ctx, t.UserID, t.From, t.Email, a.now())
	if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "account.email_change_taken", Err: err}
	} else if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	if _, err := a.useLink(ctx, mitreden.TokenEmailChange, token); err != nil {
		// The move happened; the link cannot repeat it (the address is no
		// longer the one it came from).
		a.log.Warn("address change link not marked used", "user_id", u.ID, "err", err)
	}
	a.log.Info("address changed", "user_id", u.ID)
	if err := a.send(ctx, old.Email, u.Language, MailEmailChanged, map[string]any{"Name": u.DisplayName,
		"URL": a.baseURL + "/password/forgot"}); err != nil {
		a.log.Warn("address change mail not queued", "user_id", u.ID, "err", err)
	}
	return u, nil
}

// checkCurrentPassword re-checks u's password before a change of password
// or address. A wrong one counts as a failed login of the account (both
// guess the same secret), so a stolen session cannot try passwords faster
// than the login form allows. Returns EINVALID (field current_password),
// ERATELIMITED.
func (a *Accounts) checkCurrentPassword(ctx context.Context, u *mitreden.User, current string) error {
	slots, err := a.takeSlots(ctx, a.now(), allowance{loginAccountKey(u.Email), a.cfg.LoginMaxPerAccount})
	if err != nil {
		a.log.Warn("password check throttled", "user_id", u.ID)
		return err
	}
	if !VerifyPassword(u.PasswordHash, current) {
		return mitreden.Invalid(mitreden.FieldError{Field: "current_password", Code: "wrong", Message: "validation.current_password"})
	}
	a.giveBack(ctx, slots)
	return nil
}
