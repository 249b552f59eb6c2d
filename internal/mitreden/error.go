// Package mitreden holds the domain of the participation platform: its types,
// their validation rules, the interfaces of stores and services, and the
// error codes every layer speaks. It imports no driver and no web framework.
package mitreden

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps each to one status.
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	ERATELIMITED  = "rate_limited"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"
)

// Error is the one error type the domain returns. Message is safe to show to
// a user (it is a message key or an English sentence the HTTP layer translates);
// Fields carries per-field problems of an invalid input.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Args fill placeholders of the translated message (for example a limit).
	Args map[string]any
	// RetryAfter, when positive, tells the client how many seconds to wait.
	RetryAfter int
	// Err is the underlying cause; it is logged, never shown.
	Err error
}

// FieldError names one invalid input field with a machine code and a message key.
type FieldError struct {
	Field   string
	Code    string
	Message string
	Args    map[string]any
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("mitreden error: code=%s message=%s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("mitreden error: code=%s message=%s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error with the given code and message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an internal (or other-coded) error that keeps cause for the log.
func Wrap(code string, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Invalid returns an EINVALID error carrying field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: "error.invalid", Fields: fields}
}

// ErrorCode returns the code of err, EINTERNAL for foreign errors and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "error.internal"
}
