package whippy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// writeData writes {"data": v}.
func writeData(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	writeDataRaw(w, status, b)
}

// writeDataRaw writes {"data": <doc>} around an encoded document.
func writeDataRaw(w http.ResponseWriter, status int, doc []byte) {
	var buf bytes.Buffer
	buf.Grow(len(doc) + 10)
	buf.WriteString(`{"data":`)
	buf.Write(doc)
	buf.WriteByte('}')
	mocks.WriteRaw(w, status, buf.Bytes())
}

// writeList writes {"data":[docs...],"total":N} by splicing stored
// documents, without decoding them.
func writeList(w http.ResponseWriter, rs []store.Resource, total int) {
	mocks.WriteRaw(w, http.StatusOK, listBody(rs, fmt.Sprintf(`,"total":%d}`, total)))
}

func listBody(rs []store.Resource, tail string) []byte {
	n := len(tail) + 12
	for _, r := range rs {
		n += len(r.Doc) + 1
	}
	var buf bytes.Buffer
	buf.Grow(n)
	buf.WriteString(`{"data":[`)
	for i, r := range rs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r.Doc)
	}
	buf.WriteByte(']')
	buf.WriteString(tail)
	return buf.Bytes()
}

// writeDocs writes {"data":[...],"total":N} for already-built values.
func writeDocs[T any](w http.ResponseWriter, status int, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	mocks.WriteJSON(w, status, map[string]any{"data": items, "total": total})
}

// page reads limit (default 50, at most 500) and offset from q. The spec
// has already checked their types and ranges.
func page(q url.Values, limitName, offsetName string) (limit, offset int) {
	limit = 50
	if v, err := strconv.Atoi(q.Get(limitName)); err == nil && v > 0 {
		limit = min(v, 500)
	}
	if v, err := strconv.Atoi(q.Get(offsetName)); err == nil && v > 0 {
		offset = v
	}
	return limit, offset
}

// parseTime reads the timestamps Whippy clients send in filters: RFC 3339
// (with or without fraction), a naive date-time (taken as UTC) or a date.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, invalid(field, "%s must be an ISO 8601 date-time", field)
}

// optionalTime parses s like parseTime; empty gives the zero time.
func optionalTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(field, s)
	if err == nil && !t.Before(latestSchedule) {
		// Timelines and clock advances add to it: keep every derived time
		// a four-digit year.
		return time.Time{}, invalid(field, "%s must be before %s", field, latestSchedule.Format("2006-01-02"))
	}
	return t, err
}

// latestSchedule bounds schedule_at.
var latestSchedule = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// timeRange reads name[before] and name[after].
func timeRange(q url.Values, name string) (before, after time.Time, err error) {
	if v := q.Get(name + "[before]"); v != "" {
		if before, err = parseTime(name+"[before]", v); err != nil {
			return
		}
	}
	if v := q.Get(name + "[after]"); v != "" {
		after, err = parseTime(name+"[after]", v)
	}
	return
}

// invalid is a 422 naming a field.
func invalid(field, format string, args ...any) *mocks.Error {
	return mocks.FieldErrorf(http.StatusUnprocessableEntity, field, format, args...)
}

// notFound is Whippy's 404 for a missing resource.
func notFound(what string) *mocks.Error {
	return mocks.Errorf(http.StatusNotFound, "%s not found", what)
}

// values returns every value of the query keys given, split on commas.
func values(q url.Values, keys ...string) []string {
	var out []string
	for _, k := range keys {
		for _, v := range q[k] {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
	}
	return out
}
