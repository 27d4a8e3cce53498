package whereby

import (
	"net/http"

	"github.com/vendorsim/vendorsim/mocks"
)

// statuses are Whereby's HTTP statuses of the error codes that differ from
// the common ones: every request defect is a 400, a content type the
// operation does not take included (the theme uploads).
var statuses = map[mocks.Code]int{
	mocks.EINVALID:     http.StatusBadRequest,
	mocks.EUNSUPPORTED: http.StatusBadRequest,
}

// writeError writes Whereby's error body, {"error":"..."}, with the
// details of the error (a rate limit's msLeft) as "data".
func writeError(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
	status := e.HTTPStatus(statuses)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	body := errorBody{Error: msg}
	if len(e.Details) > 0 {
		body.Data = e.Details
	}
	mocks.WriteJSON(w, status, body)
}

type errorBody struct {
	Error string         `json:"error"`
	Data  map[string]any `json:"data,omitempty"`
}

// invalid is a 400 about one field.
func invalid(field, format string, args ...any) *mocks.Error {
	return mocks.FieldFail(mocks.EINVALID, field, format, args...)
}

// notFound is a 404 naming what was looked for.
func notFound(what, id string) *mocks.Error {
	return mocks.Fail(mocks.ENOTFOUND, "%s %s not found", what, id)
}
