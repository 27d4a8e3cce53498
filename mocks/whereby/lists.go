package whereby

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
)

// listPage is Whereby's list body: a page of results and the cursor of the
// next page, null on the last.
type listPage[T any] struct {
	Results []T     `json:"results"`
	Cursor  *string `json:"cursor"`
}

// limitParam reads limit (the spec checked its range), or def.
func limitParam(r *http.Request, def int) int {
	if v := mocks.Params(r).Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 100 {
			return n
		}
	}
	return def
}

// sortParam reads sortBy ("field:asc" or "field:desc"), or def.
func sortParam(r *http.Request, def string) (field string, desc bool) {
	v := mocks.Params(r).Get("sortBy")
	if v == "" {
		v = def
	}
	field, dir, _ := strings.Cut(v, ":")
	return field, dir == "desc"
}

// sortable is a row of a list sorted in memory: the value of its sort
// field, written so that text order is the field's order, and its id,
// which breaks ties.
type sortable[T any] struct {
	key, id string
	row     T
}

// textKey and numberKey write sort values.
func textKey(s string) string    { return s }
func numberKey(f float64) string { return fmt.Sprintf("%024.6f", f) }

// pageOf sorts rows and returns the page after cursor: a cursor is the
// position (sort value and id) of the last row of the page before, so
// pages stay put while rows are added. A cursor that does not decode is a
// 400 naming it.
func pageOf[T any](rows []sortable[T], desc bool, cursor string, limit int) (listPage[T], error) {
	order := func(a, b sortable[T]) int {
		c := cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.id, b.id))
		if desc {
			return -c
		}
		return c
	}
	slices.SortFunc(rows, order)
	start := 0
	if cursor != "" {
		key, id, err := decodeCursor(cursor)
		if err != nil {
			return listPage[T]{}, err
		}
		pos := sortable[T]{key: key, id: id}
		start, _ = slices.BinarySearchFunc(rows, pos, order)
		if start < len(rows) && rows[start].key == key && rows[start].id == id {
			start++
		}
	}
	out := listPage[T]{Results: make([]T, 0, limit)}
	end := min(start+limit, len(rows))
	for _, s := range rows[start:end] {
		out.Results = append(out.Results, s.row)
	}
	if end < len(rows) && end > start {
		c := encodeCursor(rows[end-1].key, rows[end-1].id)
		out.Cursor = &c
	}
	return out, nil
}

func encodeCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

func decodeCursor(c string) (key, id string, err error) {
	b, derr := base64.RawURLEncoding.DecodeString(c)
	key, id, ok := strings.Cut(string(b), "\x00")
	if derr != nil || !ok || id == "" {
		return "", "", errBadCursor()
	}
	return key, id, nil
}

func errBadCursor() error { return invalid("cursor", "cursor is not a cursor of this list") }

// checkFilter refuses a bracketed filter parameter name[key] whose key is
// not one of keys: a filter dropped silently would list everything.
func checkFilter(r *http.Request, name string, keys ...string) error {
	for k := range mocks.Params(r) {
		rest, ok := strings.CutPrefix(k, name+"[")
		if !ok {
			continue
		}
		key, _ := strings.CutSuffix(rest, "]")
		if !slices.Contains(keys, key) {
			return invalid(k, "%s is not a filter: %s takes %s", k, name, "["+strings.Join(keys, "], [")+"]")
		}
	}
	return nil
}
