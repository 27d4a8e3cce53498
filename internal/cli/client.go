// Package cli is vendorsim's command line client: the subcommands that
// drive a running server through its control API (run, requests,
// deliveries, clock, faults, reset, snapshot) and invoke, which sends one
// signed webhook to any URL. cmd/vendorsim hands it the subcommands.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the control API of a running vendorsim.
type Client struct {
	// URL is the server's base URL (http://localhost:8080).
	URL string
	// Token is sent as X-Sandbox-Token when set.
	Token string
	// Header selects the workspace (X-Sandbox-Workspace, or a vendor
	// credential as the vendor carries it in a header).
	Header http.Header
	// Query selects it by a credential a vendor carries as a parameter (a
	// Zipwhip session): added to every call's query string.
	Query url.Values
	HTTP  *http.Client
}

// APIError is an answer of the control API that is not a success.
type APIError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Field != "" && !strings.Contains(msg, e.Field) {
		msg = e.Field + ": " + msg
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

// Typed is a request body sent as is with its own content type.
type Typed struct {
	ContentType string
	Body        []byte
}

// Do calls method path (under /_sandbox) with body (JSON-encoded unless
// it is []byte or Typed), and decodes a success into out (a *[]byte gets the raw
// body). An error answer is an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case Typed:
		rd, ct = bytes.NewReader(b.Body), b.ContentType
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	target := strings.TrimRight(c.URL, "/") + "/_sandbox" + path
	if len(c.Query) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		target += sep + c.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if c.Token != "" {
		req.Header.Set("X-Sandbox-Token", c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach vendorsim at %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode}
		var body struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.Unmarshal(raw, &body) == nil {
			e.Code, e.Message, e.Field = body.Error.Code, body.Error.Message, body.Error.Field
		}
		return e
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = raw
		return nil
	default:
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
		}
		return nil
	}
}
