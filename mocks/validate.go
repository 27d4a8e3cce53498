package mocks

import (
	"bytes"
	"crypto/sha256"
	"io"
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
	body := ri.body
	if o.api.FormParams {
		if err := formView(r, ri, o); err != nil {
			return err
		}
		restore := r.URL.RawQuery
		defer func() { r.URL.RawQuery = restore }()
		body = []byte(Params(r).Encode())
		r.URL.RawQuery = ""
		if len(body) > 0 || o.hasBody {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else if o.hasBody && len(body) > 0 && r.Header.Get("Content-Type") == "" {
		// Clients that omit the header still mean JSON (curl -d sends
		// form encoding explicitly, so this is only the bare case).
		if ct := o.defaultContentType(); ct != "" {
			r.Header.Set("Content-Type", ct)
		}
	}
	// openapi3filter decodes only the first JSON value of a body, so
	// `{"a":1} {"a":2}` would pass validation and reach the handler.
	if o.hasBody && len(body) > 0 && isJSON(r.Header.Get("Content-Type")) {
		if msg, field := checkJSON(body); msg != "" {
			return &Error{Code: EINVALID, Message: msg, Field: field}
		}
	}
	// A read that passed validation passes again while it is the same
	// request: same operation, path, query, content type and body (reads
	// with header parameters are validated every time).
	memo := ""
	if o.memoable {
		memo = validationKey(r, o, body)
		if c.srv.valid.has(memo) {
			return nil
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
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
	if memo != "" {
		c.srv.valid.add(memo)
	}
	return nil
}

// validationKey names a request for the validation memo.
func validationKey(r *http.Request, o *op, body []byte) string {
	sum := sha256.Sum256(body)
	return o.api.Name + "\x00" + o.id + "\x00" + r.URL.EscapedPath() + "?" + r.URL.RawQuery + "\x00" + r.Header.Get("Content-Type") + "\x00" + string(sum[:])
}

// validMemo remembers requests that passed validation. It is bounded: when
// full it starts over.
type validMemo struct {
	mu  sync.RWMutex
	m   map[string]struct{}
	max int
}

func (v *validMemo) has(k string) bool {
	v.mu.RLock()
	_, ok := v.m[k]
	v.mu.RUnlock()
	return ok
}

func (v *validMemo) add(k string) {
	v.mu.Lock()
	if v.m == nil || len(v.m) >= v.max {
		v.m = make(map[string]struct{}, v.max)
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
