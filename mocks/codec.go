package mocks

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strconv"
	"strings"
)

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	WriteRaw(w, status, b)
}

// WriteRaw writes an already-encoded JSON body with status. The body must
// not be changed afterwards: the journal may keep it by reference.
func WriteRaw(w http.ResponseWriter, status int, body []byte) {
	writeBody(w, status, "application/json; charset=utf-8", body)
}

// writeBody writes a whole answer. A known Content-Length spares the
// chunked encoding, and with it a second write to the connection for
// answers of a few kilobytes.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if rec, ok := w.(*recorder); ok {
		// Bodies given here are not changed afterwards.
		rec.keep(body, true)
		rec.ResponseWriter.Write(body)
		return
	}
	w.Write(body)
}

// DecodeJSON decodes the request body into v. The body has already passed
// validation, so a failure here means the spec is looser than the handler;
// it is reported as a validation error naming the field when there is one.
//
// JSON Schema counts 2.0 and 2e0 as integers, so a body the spec accepts
// may hold them where the handler has an int: they are decoded as the
// integers they are.
func DecodeJSON(r *http.Request, v any) error {
	body := Body(r)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
		if b, ok := integralNumbers(body); ok && json.Unmarshal(b, v) == nil {
			return nil
		}
	}
	if err == nil {
		return nil
	}
	e := &Error{Code: EINVALID, Message: "request body does not match the expected shape", Err: err}
	if errors.As(err, &te) && te.Field != "" {
		e.Field, e.Message = te.Field, te.Field+" has the wrong type"
		if strings.HasPrefix(te.Value, "number") {
			e.Message = te.Field + " is out of range"
		}
	}
	return e
}

// integralNumbers rewrites the numbers of a JSON document that are whole
// but written with a fraction or an exponent (2.0, 2e0) as integers. It
// reports false when the document has none.
func integralNumbers(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x)
			}
		case json.Number:
			if !strings.ContainsAny(string(v), ".eE") {
				return v
			}
			f, _, err := big.ParseFloat(string(v), 10, 256, big.ToNearestEven)
			if err != nil || !f.IsInt() {
				return v
			}
			i, acc := f.Int64()
			if acc != big.Exact {
				return v
			}
			changed = true
			return json.Number(strconv.FormatInt(i, 10))
		}
		return v
	}
	doc = walk(doc)
	if !changed {
		return nil, false
	}
	b, err := json.Marshal(doc)
	return b, err == nil
}
