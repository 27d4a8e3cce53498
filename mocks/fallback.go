package mocks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// fallback answers an operation from its spec: the success response's
// example, or fake data shaped by its schema.
func (s *Server) fallback(o *op) (Handler, error) {
	status, mt := successResponse(o.route.Operation)
	if status == 0 {
		return func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}, nil
	}
	var body []byte
	if mt != nil {
		v := s.opts.Faker.Body(o.api.Name+"/"+o.id, mt)
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode fallback body: %w", err)
		}
		body = b
	}
	hasID := strings.Contains(o.route.Path, "{id}")
	return func(w http.ResponseWriter, r *http.Request) error {
		out := body
		if hasID && out != nil {
			out = withID(out, PathParam(r, "id"))
		}
		if out == nil {
			w.WriteHeader(status)
			return nil
		}
		writeBody(w, status, "application/json", out)
		return nil
	}, nil
}

// withID sets "id" of the body, or of its "data" object, to id, so that a
// generated answer for GET /things/{id} names the thing asked for.
func withID(body []byte, id string) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	target := m
	if d, ok := m["data"].(map[string]any); ok {
		target = d
	}
	if _, ok := target["id"].(string); !ok {
		return body
	}
	target["id"] = id
	b, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return b
}

// successResponse returns the lowest 2xx status of an operation and its JSON
// media type (nil when it has no body). Status 0 means none is declared.
func successResponse(op *openapi3.Operation) (int, *openapi3.MediaType) {
	best := 0
	var mt *openapi3.MediaType
	for code, ref := range op.Responses.Map() {
		var n int
		if _, err := fmt.Sscanf(code, "%d", &n); err != nil || n < 200 || n > 299 {
			continue
		}
		if best != 0 && n > best {
			continue
		}
		best = n
		mt = nil
		if ref.Value != nil {
			mt = ref.Value.Content.Get("application/json")
		}
	}
	return best, mt
}
