package zipwhip

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// webhookEvents are the events of each webhook type.
var webhookEvents = map[string][]string{
	"message": {"receive", "send", "progress", "read", "delete"},
	"optout":  {"change"},
}

// hookID is the store's id of a workspace's webhook number (webhook ids
// are global in the store, Zipwhip's numbers per workspace here).
func hookID(ws string, n int64) string { return "zw_" + ws + "_" + strconv.FormatInt(n, 10) }

// hookNumber reads a webhook number back from the store's id.
func hookNumber(ws, id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "zw_"+ws+"_")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

func webhookOf(ws string, h *store.Webhook) Webhook {
	n, _ := hookNumber(ws, h.ID)
	typ, event, _ := strings.Cut(firstEvent(h.Events), ".")
	return Webhook{WebhookID: n, Type: typ, Event: event, URL: h.URL, Method: h.Method}
}

func firstEvent(events []string) string {
	if len(events) == 0 {
		return ""
	}
	return events[0]
}

// checkURL refuses a URL a delivery could not be sent to.
func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url", "url %q is not an http or https URL", clip(v))
	}
	return nil
}

// checkMethod reads a webhook method: POST (the default), PUT or GET, in
// any case.
func checkMethod(v string) (string, error) {
	switch m := strings.ToUpper(strings.TrimSpace(v)); m {
	case "":
		return "POST", nil
	case "POST", "PUT", "GET":
		return m, nil
	}
	return "", invalid("method", "method %q is not one of POST, PUT, GET", clip(v))
}

// installWebhook serves webhook/install and its older name webhook/add:
// one subscription of the session's line, answered as an array.
func (m *Mock) installWebhook(w http.ResponseWriter, r *http.Request) error {
	typ := strings.ToLower(param(r, "type"))
	events, known := webhookEvents[typ]
	if !known {
		return invalid("type", "type %q is not one of message, optout", clip(param(r, "type")))
	}
	event := strings.ToLower(param(r, "event"))
	if !contains(events, event) {
		return invalid("event", "event %q is not an event of type %s (one of %s)", clip(param(r, "event")), typ, strings.Join(events, ", "))
	}
	u := param(r, "url")
	if err := checkURL(u); err != nil {
		return err
	}
	method, err := checkMethod(mocks.Params(r).Get("method"))
	if err != nil {
		return err
	}
	ws := mocks.Workspace(r.Context())
	var out Webhook
	err = m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		n, err := tx.NextSeq("zipwhip.webhook")
		if err != nil {
			return err
		}
		h := &store.Webhook{ID: hookID(ws, webhookIDBase+n), Vendor: Vendor, Owner: s.Line, URL: u, Method: method,
			Events: []string{typ + "." + event}, Active: true, Source: store.WebhookFromVendor}
		if err := tx.PutWebhook(h); err != nil {
			return err
		}
		out = webhookOf(ws, h)
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, []Webhook{out})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// lineWebhook returns the line's webhook named by the webhookId parameter.
func lineWebhook(tx *store.Tx, r *http.Request, line string) (*store.Webhook, error) {
	n, err := idParam(r, "webhookId")
	if err != nil {
		return nil, err
	}
	h, err := tx.GetWebhook(hookID(tx.Workspace(), n))
	if err == store.ErrNotFound || (err == nil && (h.Owner != line || h.Vendor != Vendor)) {
		return nil, notFound("webhookId", "webhookId %d names no webhook of this line", n)
	}
	return h, err
}

// updateWebhook serves webhook/update: a new url or method.
func (m *Mock) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	p := mocks.Params(r)
	u := param(r, "url")
	if _, given := p["url"]; given {
		if err := checkURL(u); err != nil {
			return err
		}
	}
	var method string
	if _, given := p["method"]; given {
		var err error
		if method, err = checkMethod(p.Get("method")); err != nil {
			return err
		}
	}
	ws := mocks.Workspace(r.Context())
	var out Webhook
	err := m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		h, err := lineWebhook(tx, r, s.Line)
		if err != nil {
			return err
		}
		if u != "" {
			h.URL = u
		}
		if method != "" {
			h.Method = method
		}
		if err := tx.PutWebhook(h); err != nil {
			return err
		}
		out = webhookOf(ws, h)
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, []Webhook{out})
}

// listWebhooks serves webhook/list: the line's webhooks, oldest first.
func (m *Mock) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	ws := mocks.Workspace(r.Context())
	out := []Webhook{}
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		hooks, err := tx.Webhooks(Vendor)
		if err != nil {
			return err
		}
		for i := range hooks {
			if _, ours := hookNumber(ws, hooks[i].ID); ours && hooks[i].Owner == s.Line {
				out = append(out, webhookOf(ws, &hooks[i]))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

// deleteWebhook serves webhook/delete: its pending deliveries are
// cancelled; the answer is an empty array.
func (m *Mock) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	err := m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		h, err := lineWebhook(tx, r, s.Line)
		if err != nil {
			return err
		}
		return tx.DeleteWebhook(h.ID)
	})
	if err != nil {
		return err
	}
	return ok(w, []Webhook{})
}

// emitMessage queues a message event with the bare message object as its
// body.
func (m *Mock) emitMessage(tx *store.Tx, line, eventType string, msg *Message) error {
	return m.emit(tx, line, eventType, msg)
}

// emit queues eventType for the line's subscribed webhooks (and those the
// configuration or the control API registered, which get every line's), in
// the transaction that caused it. The body is the payload itself, with no
// envelope: Zipwhip's receivers tell events apart by their URL.
func (m *Mock) emit(tx *store.Tx, line, eventType string, payload any) error {
	hooks, err := tx.Subscribers(Vendor, eventType)
	if err != nil || len(hooks) == 0 {
		return err
	}
	mine := hooks[:0:0]
	for _, h := range hooks {
		if h.Owner == "" || h.Owner == line {
			mine = append(mine, h)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return tx.Enqueue(store.Event{ID: uuid.NewString(), Vendor: Vendor, Type: eventType, Body: mustJSON(payload)}, mine)
}
