package zipwhip

import (
	"net/http"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
)

// Zipwhip's synchronous failure codes, written at the start of a failure's
// message (the vendor's own error text is not documented).
const (
	codeInvalidLength = -394 // Invalid Parameter Length
)

// writeError writes Zipwhip's failure envelope
// {"success":false,"response":"<message>"}, the message naming the
// parameter. The status is zipwhip.error_status (or the code's entry in
// zipwhip.error_statuses); a path Zipwhip does not have, or a method it
// lacks, keeps 404 or 405, and a defect of vendorsim stays a 500.
func (m *Mock) writeError(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
	status := e.HTTPStatus(m.cfg.statuses())
	if mocks.OperationID(r.Context()) == "" && (e.Code == mocks.ENOTFOUND || e.Code == mocks.EMETHOD) {
		status = mocks.CommonStatus(e.Code)
	}
	msg := e.Message
	if msg == "" {
		msg = string(e.Code)
	}
	if e.Field != "" && !strings.Contains(msg, e.Field) {
		msg = e.Field + ": " + msg
	}
	mocks.WriteJSON(w, status, failure{Success: false, Response: msg})
}

type failure struct {
	Success  bool   `json:"success"`
	Response string `json:"response"`
}

// invalid is a failure about one parameter.
func invalid(field, format string, args ...any) *mocks.Error {
	return mocks.FieldFail(mocks.EINVALID, field, format, args...)
}

// notFound is a failure about a parameter naming nothing.
func notFound(field, format string, args ...any) *mocks.Error {
	return mocks.FieldFail(mocks.ENOTFOUND, field, format, args...)
}
