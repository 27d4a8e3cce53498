package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/mocks"
)

// invoke sends one webhook of a vendor's event type, signed and with the
// headers the vendor's delivery policy gives, to any URL: a developer
// tests a webhook handler without driving the whole flow.
func invoke(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	fs := e.flags()
	vendor := fs.String("vendor", "", "the vendor whose webhook to send")
	event := fs.String("event", "", "the event type (e.g. message.created)")
	to := fs.String("to", "", "the URL to send it to")
	secret := fs.String("secret", "", "the signing secret (without it the webhook goes unsigned)")
	body := fs.String("body", "", "the body, inline or @FILE (default the vendor's example of the event)")
	method := fs.String("method", http.MethodPost, "the HTTP method")
	configPath := fs.String("config", "", "a vendorsim config file whose vendor settings (signature format) to use")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the receiver")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
		return err
	}
	cfg := app.DefaultConfig()
	if *configPath != "" {
		if cfg, err = app.LoadConfig(*configPath); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	var names []string
	var v mocks.Vendor
	for _, c := range app.Vendors() {
		names = append(names, c.Name())
		if c.Name() == *vendor {
			v = c
		}
	}
	if v == nil {
		return fmt.Errorf("%s: --vendor must be one of %s", e.name, strings.Join(names, ", "))
	}
	if !strings.HasPrefix(*to, "http://") && !strings.HasPrefix(*to, "https://") {
		return fmt.Errorf("%s: --to must be an http(s) URL", e.name)
	}
	if err := v.Open(mocks.Deps{Settings: cfg.Vendors[v.Name()]}); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	if !slices.Contains(v.EventTypes(), *event) {
		return fmt.Errorf("%s: --event must be one of %s's event types: %s", e.name, v.Name(), strings.Join(v.EventTypes(), ", "))
	}
	var payload []byte
	if *body != "" {
		if payload, err = readBody(*body); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	} else {
		ex, ok := v.(mocks.EventExamples)
		if !ok {
			return fmt.Errorf("%s: %s has no example payloads yet: give --body", e.name, v.Name())
		}
		if payload, err = ex.ExampleEvent(*event); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return send(e, v.Name(), v.Delivery(), *method, *to, *secret, payload, *timeout)
}

func send(e *env, vendor string, pol mocks.DeliveryPolicy, method, to, secret string, payload []byte, timeout time.Duration) error {
	req, err := http.NewRequestWithContext(e.ctx, strings.ToUpper(method), to, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	for k, vs := range pol.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for _, kv := range e.headers {
		k, val, ok := strings.Cut(kv, ":")
		if !ok {
			return fmt.Errorf("%s: --header %q is not NAME: VALUE", e.name, kv)
		}
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(val))
	}
	switch {
	case secret == "":
		fmt.Fprintf(e.stderr, "vendorsim %s: sending unsigned (no --secret)\n", e.name)
	case pol.Signer == nil:
		fmt.Fprintf(e.stderr, "vendorsim %s: sending unsigned (%s does not sign)\n", e.name, vendor)
	default:
		before := req.Header.Clone()
		if err := pol.Signer.Sign(req.Header, payload, secret, time.Now()); err != nil {
			return fmt.Errorf("%s: sign: %w", e.name, err)
		}
		if reflect.DeepEqual(before, req.Header) {
			// A signer that is switched off (Zipwhip's, by default).
			fmt.Fprintf(e.stderr, "vendorsim %s: sending unsigned (%s does not sign with these settings)\n", e.name, vendor)
		}
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return fmt.Errorf("%s: cannot reach the receiver at %s: %w", e.name, to, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	took := time.Since(start)
	if e.json {
		hs := map[string][]string{}
		for k, vs := range req.Header {
			hs[k] = vs
		}
		out := map[string]any{"url": to, "method": req.Method, "request_headers": hs, "body": string(payload), "status": resp.StatusCode,
			"response_body": string(answer), "latency_ms": float64(took.Microseconds()) / 1000}
		b, _ := jsonMarshal(out)
		e.printJSON(b)
	} else {
		fmt.Fprintf(e.stdout, "%s %s -> %s (%s)\n", req.Method, to, resp.Status, took.Round(time.Millisecond))
		for _, k := range sortedKeys(req.Header) {
			fmt.Fprintf(e.stdout, "  %s: %s\n", k, strings.Join(req.Header[k], ", "))
		}
		fmt.Fprintf(e.stdout, "  body: %s\n", payload)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: the receiver answered %s: %s", e.name, resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}
