package mitreden

// Permission tells whether a viewer may do one thing with one item and, when
// not, why. The refusal is the very error the write answers, so a page that
// hides a button and the write that refuses it can never disagree.
type Permission struct {
	// Denied is nil when the action is allowed.
	Denied *Error
}

// Allow is the permission that admits.
func Allow() Permission { return Permission{} }

// Deny refuses with code and a message key (and its placeholders).
func Deny(code, message string, args map[string]any) Permission {
	return Permission{Denied: &Error{Code: code, Message: message, Args: args}}
}

// DenyErr refuses with an existing domain error (nil admits).
func DenyErr(err *Error) Permission { return Permission{Denied: err} }

// Allowed reports whether the action is admitted.
func (p Permission) Allowed() bool { return p.Denied == nil }

// Err returns the refusal as an error, nil when allowed.
func (p Permission) Err() error {
	if p.Denied == nil {
		return nil
	}
	return p.Denied
}

// Reason is the message key of the refusal, "" when allowed.
func (p Permission) Reason() string {
	if p.Denied == nil {
		return ""
	}
	return p.Denied.Message
}

// Permission refusal reasons that are not tied to an item's state.
const (
	ReasonBlocked      = "participation.blocked"
	ReasonBlockedUntil = "participation.blocked_until"
	ReasonRole         = "error.forbidden"
)
