package whippy

import (
	"net/http"

	"github.com/vendorsim/vendorsim/mocks"
)

// statuses are Whippy's HTTP statuses of the error codes that differ from
// the common ones: Phoenix's changeset errors are 422.
var statuses = map[mocks.Code]int{
	mocks.EINVALID: http.StatusUnprocessableEntity,
}

// writeError writes Whippy's error envelope:
// {"errors":[{"description":"..."}],"status":N}.
func writeError(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
	status := e.HTTPStatus(statuses)
	msg := e.Message
	if status == http.StatusNotFound && msg == "" {
		msg = "Not found"
	}
	mocks.WriteJSON(w, status, map[string]any{
		"errors": []map[string]string{{"description": msg}},
		"status": status,
	})
}
