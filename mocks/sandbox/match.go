package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Matcher tests one part of a recorded request (or of a webhook delivery's
// body): On names the part, Name the query parameter, header or body field
// within it, Op the comparison and Value what it compares with.
type Matcher struct {
	On    string `json:"on"`
	Name  string `json:"name,omitempty"`
	Op    string `json:"op,omitempty"`
	Value string `json:"value,omitempty"`

	re *regexp.Regexp
}

// Matcher comparisons.
const (
	opEquals   = "equals"
	opContains = "contains"
	opRegex    = "regex"
	opAbsent   = "absent"
)

// Parts of a request a matcher reads.
var matcherParts = []string{"method", "path", "operation_id", "vendor", "status", "query", "header", "body", "response"}

// compile checks m (the matcher at field) and readies its regex. parts are
// the parts allowed here.
func (m *Matcher) compile(field string, parts []string) error {
	if !slices.Contains(parts, m.On) {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".on", "%s.on must be one of %s, not %q", field, strings.Join(parts, ", "), m.On)
	}
	if m.Op == "" {
		m.Op = opEquals
	}
	switch m.Op {
	case opEquals, opContains:
	case opRegex:
		re, err := regexp.Compile(m.Value)
		if err != nil {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".value", "%s.value is not a regular expression (RE2 syntax): %v", field, err)
		}
		m.re = re
	case opAbsent:
		if m.On != "query" && m.On != "header" && m.On != "body" {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".op", "%s.op absent applies to query, header and body only", field)
		}
	default:
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".op", "%s.op must be equals, contains, regex or absent, not %q", field, m.Op)
	}
	if (m.On == "query" || m.On == "header") && m.Name == "" {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".name", "%s.name must name the %s %s", field, m.On, map[string]string{"query": "parameter", "header": "header"}[m.On])
	}
	if m.Op == opAbsent && m.On == "body" && m.Name == "" {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".name", "%s.name must name the body field that must be absent", field)
	}
	return nil
}

// compileMatchers checks ms, the list at field.
func compileMatchers(ms []Matcher, field string, parts []string) error {
	for i := range ms {
		if err := ms[i].compile(fmt.Sprintf("%s.%d", field, i), parts); err != nil {
			return err
		}
	}
	return nil
}

// String describes m: `header Content-Type contains "json"`.
func (m *Matcher) String() string {
	what := m.On
	if m.Name != "" {
		what += " " + m.Name
	}
	if m.Op == opAbsent {
		return what + " is absent"
	}
	if m.Op == opRegex {
		return fmt.Sprintf("%s matches /%s/", what, m.Value)
	}
	return fmt.Sprintf("%s %s %q", what, m.Op, m.Value)
}

// values are what a part of a request holds for a matcher: none when it
// is absent, else every value (a repeated header or parameter).
type values struct {
	present bool
	vals    []string
	// why explains an absence that is not simply "absent" (a body that is
	// not JSON).
	why string
}

// test reports whether vs pass m, and why not.
func (m *Matcher) test(vs values) (bool, string) {
	what := m.On
	if m.Name != "" {
		what += " " + m.Name
	}
	if m.Op == opAbsent {
		if !vs.present {
			return true, ""
		}
		return false, fmt.Sprintf("%s is present (%s)", what, show(vs.vals))
	}
	if !vs.present {
		if vs.why != "" {
			return false, what + " is absent: " + vs.why
		}
		return false, what + " is absent"
	}
	for _, v := range vs.vals {
		switch m.Op {
		case opEquals:
			if v == m.Value {
				return true, ""
			}
		case opContains:
			if strings.Contains(v, m.Value) {
				return true, ""
			}
		case opRegex:
			if m.re.MatchString(v) {
				return true, ""
			}
		}
	}
	switch m.Op {
	case opContains:
		return false, fmt.Sprintf("%s is %s, which does not contain %q", what, show(vs.vals), m.Value)
	case opRegex:
		return false, fmt.Sprintf("%s is %s, which does not match /%s/", what, show(vs.vals), m.Value)
	}
	return false, fmt.Sprintf("%s is %s, not %q", what, show(vs.vals), m.Value)
}

// show quotes values for a reason, each clipped.
func show(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		if r := []rune(v); len(r) > 80 {
			v = string(r[:80]) + "…"
		}
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// one is a single present value.
func one(v string) values { return values{present: true, vals: []string{v}} }

// recorded is a journal entry readied for matching: its headers, query
// and body decoded once.
type recorded struct {
	e       store.JournalEntry
	headers http.Header
	query   url.Values
	body    *bodyFields
	// response is the answer's body, decoded when a matcher asks.
	response *bodyFields
}

func newRecorded(e store.JournalEntry) *recorded { return &recorded{e: e} }

// decode decodes the request's headers, query and body, once, when a
// matcher first asks for one of them: most matchers of a scan (vendor,
// method, path) need none.
func (rec *recorded) decode() {
	if rec.headers != nil {
		return
	}
	rec.headers = http.Header{}
	var h map[string][]string
	if json.Unmarshal(rec.e.RequestHeaders, &h) == nil {
		for k, vs := range h {
			rec.headers[http.CanonicalHeaderKey(k)] = vs
		}
	}
	rec.query, _ = url.ParseQuery(rec.e.Query)
	rec.body = newBodyFields(rec.e.RequestBody, isFormType(rec.headers.Get("Content-Type")))
}

func isFormType(ct string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded")
}

// part returns what e holds for m.
func (rec *recorded) part(m *Matcher) values {
	switch m.On {
	case "method":
		return one(rec.e.Method)
	case "path":
		return one(rec.e.Path)
	case "operation_id":
		return one(rec.e.OperationID)
	case "vendor":
		return one(rec.e.Vendor)
	case "status":
		return one(strconv.Itoa(rec.e.Status))
	case "query":
		rec.decode()
		vs, ok := rec.query[m.Name]
		return values{present: ok, vals: vs}
	case "header":
		rec.decode()
		vs, ok := rec.headers[http.CanonicalHeaderKey(m.Name)]
		return values{present: ok, vals: vs}
	case "body":
		rec.decode()
		return rec.body.field(m.Name)
	case "response":
		if rec.response == nil {
			rec.response = newBodyFields(rec.e.ResponseBody, false)
		}
		return rec.response.field(m.Name)
	}
	return values{}
}

// bodyFields reads the fields of a JSON or form body.
type bodyFields struct {
	raw     []byte
	form    url.Values
	json    any
	jsonErr error
	decoded bool // json and jsonErr are set
}

func newBodyFields(raw []byte, form bool) *bodyFields {
	b := &bodyFields{raw: raw}
	if form {
		b.form, _ = url.ParseQuery(string(raw))
		return b
	}
	return b
}

// decodeJSON decodes a JSON body, once, when a field of it is asked for.
func (b *bodyFields) decodeJSON() {
	if b.decoded {
		return
	}
	b.decoded = true
	if len(bytes.TrimSpace(b.raw)) == 0 {
		b.jsonErr = fmt.Errorf("the body is empty")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b.raw))
	dec.UseNumber()
	if err := dec.Decode(&b.json); err != nil {
		b.jsonErr = fmt.Errorf("the body is not JSON (or was cut at the journal's body_limit)")
	}
}

// field returns a body field: the whole body for "", a form field by
// name, or a JSON value by dotted path ("data.0.to"); a JSON value that
// is not a string is compared as its compact JSON text.
func (b *bodyFields) field(name string) values {
	if name == "" {
		return values{present: len(b.raw) > 0, vals: []string{string(b.raw)}, why: "the body is empty"}
	}
	if b.form != nil {
		vs, ok := b.form[name]
		return values{present: ok, vals: vs}
	}
	b.decodeJSON()
	if b.jsonErr != nil {
		return values{why: b.jsonErr.Error()}
	}
	v := b.json
	for _, seg := range strings.Split(name, ".") {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[seg]
			if !ok {
				return values{}
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return values{}
			}
			v = c[i]
		default:
			return values{}
		}
	}
	if s, ok := v.(string); ok {
		return one(s)
	}
	text, _ := json.Marshal(v)
	return one(string(text))
}

// failure is one matcher a request failed, and why.
type failure struct {
	Matcher     int    `json:"matcher"`
	Description string `json:"description"`
	Reason      string `json:"reason"`
}

// check tests rec against every matcher and returns the failures.
func check(ms []Matcher, part func(*Matcher) values) []failure {
	var out []failure
	for i := range ms {
		if ok, why := ms[i].test(part(&ms[i])); !ok {
			out = append(out, failure{Matcher: i, Description: ms[i].String(), Reason: why})
		}
	}
	return out
}
