package mocks

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"vendorsim/store"
)

// Error is a failure with the HTTP status and message a client should see.
// Err, the cause, is logged for server errors and never sent.
type Error struct {
	Status  int
	Message string
	// Field names the offending request field, when there is one.
	Field string
	// Header holds extra response headers (Retry-After, rate-limit counters).
	Header http.Header
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one request field.
func FieldErrorf(status int, field, format string, args ...any) *Error {
	return &Error{Status: status, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsError classifies any error into an *Error: an *Error as it is, a
// FieldError as a 422, store.ErrNotFound as 404, store.ErrConflict as 409,
// a cancelled request as 499 and anything else as a 500 whose cause is
// kept out of the message.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return &Error{Status: http.StatusUnprocessableEntity, Message: fe.Message, Field: fe.Field, Err: err}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Message: "Not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Message: "Conflict", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Message: "request cancelled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Message: "request timed out", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Message: "Internal server error", Err: err}
}
