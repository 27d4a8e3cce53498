package mocks

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// requestInfo travels in the request context: what the stages learnt.
type requestInfo struct {
	srv       *Server
	api       *API
	op        string
	workspace string
	requestID string
	body      []byte
	start     time.Time
	// vars are the path parameters of the matched route.
	vars map[string]string
	// params are the merged query and form parameters, read once (Params).
	params url.Values
	// head is set for a HEAD request, served as a GET without a body.
	head bool
	// fault is the id of the fault rule that acted (MarkFault); noAnswer
	// is set when it sent no answer at all.
	fault    string
	noAnswer bool
	// wrap, set by a Fault, wraps the writer of the later stages.
	wrap func(http.ResponseWriter) http.ResponseWriter
	// reader reads body for the stages that need an io.Reader (setBody).
	reader *bodyReader
	// sum is the body's SHA-256 once summed is set (bodySum).
	sum    [32]byte
	summed bool
	// idHeader is the value of the answer's X-Request-Id.
	idHeader [1]string
	// rec records the answer; call is the operation's (op.ServeHTTP).
	rec  recorder
	call call
}

type ctxKey struct{}

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(ctxKey{}).(*requestInfo)
	if ri == nil {
		return &requestInfo{}
	}
	return ri
}

// Workspace returns the workspace that authenticated the request, or "".
func Workspace(ctx context.Context) string { return info(ctx).workspace }

// OperationID returns the operationId the request was routed to.
func OperationID(ctx context.Context) string { return info(ctx).op }

// APIName returns the name of the API that serves the request, or "".
func APIName(ctx context.Context) string {
	if api := info(ctx).api; api != nil {
		return api.Name
	}
	return ""
}

// RequestID returns the request's id (echoed in X-Request-Id).
func RequestID(ctx context.Context) string { return info(ctx).requestID }

// Body returns the raw request body, already read and size-checked. Any
// stage may read it; it is never consumed.
func Body(r *http.Request) []byte { return info(r.Context()).body }

// Params returns the request's query parameters merged with those of its
// form body (application/x-www-form-urlencoded), query first, as vendors
// that take parameters either way (Zipwhip) read them. Any stage may call
// it; the body is not consumed.
func Params(r *http.Request) url.Values {
	ri, _ := r.Context().Value(ctxKey{}).(*requestInfo)
	if ri != nil && ri.params != nil {
		return ri.params
	}
	form := ri != nil && len(ri.body) > 0 && isForm(r.Header.Get("Content-Type"))
	var p url.Values
	if r.URL.RawQuery == "" && form {
		// Only the body: its parameters as they are (none when it does not
		// parse, as below).
		var err error
		if p, err = url.ParseQuery(string(ri.body)); err != nil {
			p = nil
		}
	} else {
		p, _ = url.ParseQuery(r.URL.RawQuery)
		if form {
			if fp, err := url.ParseQuery(string(ri.body)); err == nil {
				for k, vs := range fp {
					p[k] = append(p[k], vs...)
				}
			}
		}
	}
	if p == nil {
		p = url.Values{}
	}
	if ri != nil {
		ri.params = p
	}
	return p
}

// PathParam returns the path parameter name of the matched route.
func PathParam(r *http.Request, name string) string {
	v := pathVars(r)[name]
	if strings.Contains(v, "%") {
		// Routes use encoded paths so that "%2F" stays inside one segment.
		if u, err := url.PathUnescape(v); err == nil {
			return u
		}
	}
	return v
}

// pathVars returns the path parameters of r's route.
func pathVars(r *http.Request) map[string]string {
	if ri, _ := r.Context().Value(ctxKey{}).(*requestInfo); ri != nil && ri.vars != nil {
		return ri.vars
	}
	return mux.Vars(r)
}

// isForm reports whether a Content-Type is a URL-encoded form.
func isForm(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
}
