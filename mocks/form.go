package mocks

import (
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// formView checks the parameters of an API whose parameters come as a form
// body or a query string (API.FormParams) before they are validated as
// one form: a body in another encoding is refused (a JSON body would
// otherwise lose every parameter), and so is a body that does not parse.
func formView(r *http.Request, ri *requestInfo, o *op) error {
	if len(ri.body) == 0 {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !isForm(ct) {
		return &Error{Code: EUNSUPPORTED, Message: fmt.Sprintf("parameters must be sent as application/x-www-form-urlencoded or in the query string, not as %s", ct)}
	}
	vals, err := url.ParseQuery(string(ri.body))
	if err != nil {
		return &Error{Code: EINVALID, Message: "the form body is not properly %-encoded"}
	}
	for k, vs := range vals {
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return &Error{Code: EINVALID, Field: k, Message: fmt.Sprintf("parameter %s is not valid UTF-8", clipString(k, 64))}
			}
		}
	}
	// A form body given without its Content-Type is read as one.
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		ri.params = nil
	}
	return nil
}
