package mocks

import (
	"crypto/sha256"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

var validationOptions = &openapi3filter.Options{
	MultiError:          false,
	SkipSettingDefaults: true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
	},
}

// validate checks the request against the operation's spec: path, query
// and header parameters and the body, JSON or form (an API with
// FormParams has its query string and form body validated together as the
// body). A failure is EINVALID naming the field.
func validate(c *call) error {
	r, ri, o := c.r, c.ri, c.op
	// A read that passed validation passes again while it is the same
	// request: same operation, path, query, content type and body as sent
	// (reads with header parameters are validated every time). Only the
	// headers the checks below set are set again.
	var key validKey
	if o.memoable {
		key = validKey{op: o, path: r.URL.EscapedPath(), query: r.URL.RawQuery, contentType: r.Header.Get("Content-Type"), body: ri.bodySum()}
		if c.srv.valid.has(key) {
			if o.api.FormParams {
				formContentType(r, ri, o)
			} else {
				o.jsonContentType(r, ri.body)
			}
			return nil
		}
	}
	body := ri.body
	if o.api.FormParams {
		if err := formView(r, ri, o); err != nil {
			return err
		}
		restore := r.URL.RawQuery
		defer func() { r.URL.RawQuery = restore }()
		body = []byte(Params(r).Encode())
		r.URL.RawQuery = ""
		formContentType(r, ri, o)
	} else {
		o.jsonContentType(r, body)
	}
	// openapi3filter decodes only the first JSON value of a body, so
	// `{"a":1} {"a":2}` would pass validation and reach the handler.
	if o.hasBody && len(body) > 0 && isJSON(r.Header.Get("Content-Type")) {
		if msg, field := checkJSON(body); msg != "" {
			return &Error{Code: EINVALID, Message: msg, Field: field}
		}
	}
	setBody(r, ri, body)
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathVars(r),
		Route:      o.route,
		Options:    validationOptions,
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
		fe := DescribeRequestError(err)
		return &Error{Code: EINVALID, Message: fe.Message, Field: fe.Field, Err: err}
	}
	if o.memoable {
		c.srv.valid.add(key)
	}
	return nil
}

// formContentType gives the request of an API with FormParams the content
// type its parameters are validated (and read) as: a form body sent
// without one is read as a form (formView), and the merged parameters are
// a form.
func formContentType(r *http.Request, ri *requestInfo, o *op) {
	if len(ri.body) > 0 && r.Header.Get("Content-Type") == "" {
		setHeader(r.Header, "Content-Type", formType)
		ri.params = nil
	}
	if len(Params(r)) > 0 || o.hasBody {
		setHeader(r.Header, "Content-Type", formType)
	}
}

// jsonContentType gives a body sent without a content type the
// operation's (clients that omit the header still mean JSON; curl -d sends
// form encoding explicitly, so this is only the bare case).
func (o *op) jsonContentType(r *http.Request, body []byte) {
	if o.hasBody && len(body) > 0 && r.Header.Get("Content-Type") == "" {
		if ct := o.defaultContentType(); ct != "" {
			r.Header.Set("Content-Type", ct)
		}
	}
}

const formType = "application/x-www-form-urlencoded"

// setHeader sets h's header k (canonical) to the one value v, without
// allocating when that is already so.
func setHeader(h http.Header, k, v string) {
	if vs := h[k]; len(vs) == 1 && vs[0] == v {
		return
	}
	h.Set(k, v)
}

// validKey names a request for the validation memo.
type validKey struct {
	op                       *op
	path, query, contentType string
	body                     [sha256.Size]byte
}

// validMemo remembers requests that passed validation. It is bounded: when
// full it starts over.
type validMemo struct {
	mu  sync.RWMutex
	m   map[validKey]struct{}
	max int
}

func (v *validMemo) has(k validKey) bool {
	v.mu.RLock()
	_, ok := v.m[k]
	v.mu.RUnlock()
	return ok
}

func (v *validMemo) add(k validKey) {
	v.mu.Lock()
	if v.m == nil || len(v.m) >= v.max {
		v.m = make(map[validKey]struct{}, v.max)
	}
	v.m[k] = struct{}{}
	v.mu.Unlock()
}

func (o *op) defaultContentType() string {
	rb := o.route.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return ""
	}
	if rb.Value.Content.Get("application/json") != nil {
		return "application/json"
	}
	for ct := range rb.Value.Content {
		return ct
	}
	return ""
}
