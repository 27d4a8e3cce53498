package mocks

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/vendorsim/vendorsim/store"
)

// Code is what went wrong, independently of how a vendor says it. Each
// vendor's error writer maps codes to its HTTP status and body in one
// place (its errors.go).
type Code string

// Error codes.
const (
	EINVALID         Code = "invalid"         // a request field or parameter is wrong
	ENOTFOUND        Code = "not_found"       // the addressed thing (or route) does not exist
	EMETHOD          Code = "method"          // the path exists, the method does not
	EUNAUTHENTICATED Code = "unauthenticated" // no credential, or an unknown one
	EFORBIDDEN       Code = "forbidden"       // a credential that may not do this
	ECONFLICT        Code = "conflict"        // the state forbids it (taken, already done)
	ERATELIMITED     Code = "rate_limited"    // too many requests
	ETOOLARGE        Code = "too_large"       // the request body is over the limit
	EUNSUPPORTED     Code = "unsupported"     // a content type the operation does not take
	EUNAVAILABLE     Code = "unavailable"     // not ready, or timed out
	ECANCELLED       Code = "cancelled"       // the client went away
	EINTERNAL        Code = "internal"        // a defect of vendorsim; details are logged, never sent
)

// Error is a failure as a client should see it: what went wrong (Code),
// a message, the request field it concerns and optional details. Status,
// when set, is the HTTP status a handler chose itself; otherwise the API's
// error writer derives it from Code (see Error.HTTPStatus). Err, the
// cause, is logged for internal errors and never sent.
type Error struct {
	Code    Code
	Status  int
	Message string
	// Field names the offending request field, when there is one.
	Field string
	// Details are extra vendor-specific facts for the body (Whereby's
	// msLeft of a rate limit).
	Details map[string]any
	// Header holds extra response headers (Retry-After, rate-limit counters).
	Header http.Header
	Err    error
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Status != 0 {
		s = fmt.Sprintf("%d %s", e.Status, s)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s %s: %v", s, e.Message, e.Err)
	}
	return s + " " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status a handler chose, else the status of the
// error's code in statuses, else the common one for the code.
func (e *Error) HTTPStatus(statuses map[Code]int) int {
	if e.Status != 0 {
		return e.Status
	}
	if s, ok := statuses[e.Code]; ok {
		return s
	}
	return CommonStatus(e.Code)
}

// CommonStatus is the usual HTTP status of a code.
func CommonStatus(c Code) int {
	switch c {
	case EINVALID:
		return http.StatusUnprocessableEntity
	case ENOTFOUND:
		return http.StatusNotFound
	case EMETHOD:
		return http.StatusMethodNotAllowed
	case EUNAUTHENTICATED:
		return http.StatusUnauthorized
	case EFORBIDDEN:
		return http.StatusForbidden
	case ECONFLICT:
		return http.StatusConflict
	case ERATELIMITED:
		return http.StatusTooManyRequests
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case ECANCELLED:
		return 499
	}
	return http.StatusInternalServerError
}

// codeOf is the code of an HTTP status a handler chose.
func codeOf(status int) Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return EINVALID
	case http.StatusNotFound:
		return ENOTFOUND
	case http.StatusMethodNotAllowed:
		return EMETHOD
	case http.StatusUnauthorized:
		return EUNAUTHENTICATED
	case http.StatusForbidden:
		return EFORBIDDEN
	case http.StatusConflict:
		return ECONFLICT
	case http.StatusTooManyRequests:
		return ERATELIMITED
	case http.StatusRequestEntityTooLarge:
		return ETOOLARGE
	case http.StatusUnsupportedMediaType:
		return EUNSUPPORTED
	case http.StatusServiceUnavailable:
		return EUNAVAILABLE
	case 499:
		return ECANCELLED
	}
	if status >= 500 {
		return EINTERNAL
	}
	return EINVALID
}

// Fail returns an *Error with a code and a formatted message.
func Fail(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldFail returns an *Error about one request field.
func FieldFail(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Errorf returns an *Error with a status the handler chooses and a
// formatted message (the code follows from the status).
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Code: codeOf(status), Status: status, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one request field with a status the
// handler chooses.
func FieldErrorf(status int, field, format string, args ...any) *Error {
	return &Error{Code: codeOf(status), Status: status, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsError classifies any error into an *Error: an *Error as it is (its
// code filled in from its status when missing), a FieldError as EINVALID,
// store.ErrNotFound as ENOTFOUND, store.ErrConflict as ECONFLICT, a
// cancelled request as ECANCELLED and anything else as EINTERNAL, whose
// cause is kept out of the message.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Code == "" {
			e.Code = codeOf(e.Status)
		}
		return e
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return &Error{Code: EINVALID, Message: fe.Message, Field: fe.Field, Err: err}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Code: ENOTFOUND, Message: "Not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Code: ECONFLICT, Message: "Conflict", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Code: ECANCELLED, Message: "request cancelled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: EUNAVAILABLE, Message: "request timed out", Err: err}
	}
	return &Error{Code: EINTERNAL, Message: "Internal server error", Err: err}
}
