package mocks

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

func (s *Server) bodyLimit() int {
	if s.opts.Journal == nil {
		return 0
	}
	return s.opts.Journal.responseLimit
}

func (s *Server) finish(rec *recorder, r *http.Request, ri *requestInfo) {
	d := time.Since(ri.start)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if ri.noAnswer {
		status = 0
	}
	api := ""
	if ri.api != nil {
		api = ri.api.Name
	}
	method := r.Method
	if ri.head {
		method = http.MethodHead
	}
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("request", "api", api, "method", method, "path", r.URL.Path, "operation", ri.op,
			"status", status, "duration", d, "workspace", ri.workspace, "request_id", ri.requestID)
	}
	if s.opts.Journal == nil || ri.api == nil || (ri.api.NoJournal && !ri.api.Journaled[ri.op]) {
		return
	}
	answer := rec.body
	if ri.api.RedactAnswer != nil && len(answer) > 0 {
		answer = ri.api.RedactAnswer(ri.op, answer)
	}
	s.opts.Journal.Record(store.JournalEntry{
		At:             ri.start,
		WorkspaceID:    ri.workspace,
		Vendor:         api,
		OperationID:    ri.op,
		Method:         method,
		Path:           r.URL.Path,
		Query:          redactQuery(r.URL.RawQuery, ri.api.secretParams),
		Status:         status,
		Duration:       d,
		RequestID:      ri.requestID,
		Fault:          ri.fault,
		RequestHeaders: ri.api.requestHeaders(r.Header),
		RequestBody:    clip(ri.api.redactedBody(r, ri.body), s.opts.Journal.bodyLimit),
		ResponseBody:   answer,
		// Without X-Request-Id, which is RequestID (the views put it back).
		ResponseHeaders: ri.api.responseHeaders(rec.Header()),
	})
}

// recorder captures the status and the first bytes of a response.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	limit       int
	body        []byte // the first limit bytes of the answer
}

func (rec *recorder) WriteHeader(code int) {
	if rec.wroteHeader {
		return
	}
	rec.wroteHeader = true
	rec.status = code
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if !rec.wroteHeader {
		rec.WriteHeader(http.StatusOK)
	}
	rec.keep(b, false)
	return rec.ResponseWriter.Write(b)
}

// keep records the start of b. An answer that is never changed once
// written (frozen) and not much larger than the limit is kept by
// reference rather than copied.
func (rec *recorder) keep(b []byte, frozen bool) {
	room := rec.limit - len(rec.body)
	if room <= 0 || len(b) == 0 {
		return
	}
	n := min(room, len(b))
	if frozen && len(rec.body) == 0 && len(b) <= 4*rec.limit {
		rec.body = b[:n:n] // a later append copies
		return
	}
	rec.body = append(rec.body, b[:n]...)
}

// keepShared records the start of b, which is never changed and is held
// elsewhere anyway (the read cache's answers): by reference, whatever its
// size.
func (rec *recorder) keepShared(b []byte) {
	if len(rec.body) > 0 {
		rec.keep(b, false)
		return
	}
	n := min(rec.limit, len(b))
	rec.body = b[:n:n]
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
