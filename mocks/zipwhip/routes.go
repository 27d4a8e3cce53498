package zipwhip

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
)

// handlers lists Zipwhip's surface by operationId. Each call is served by
// POST and by GET (operationId + "Get"), with the same handler.
func (m *Mock) handlers() map[string]mocks.Handler {
	hs := map[string]mocks.Handler{
		"userLogin":  m.login,
		"userLogout": m.logout,
		"userGet":    m.userGet,

		"messageSend":           m.send,
		"messageList":           m.listMessages,
		"messageGet":            m.getMessage,
		"messageRead":           m.readMessages,
		"messageDelete":         m.deleteMessages,
		"messageAttachmentList": m.listAttachments,
		"hostedContentGet":      m.hostedContent,

		"conversationList":   m.listConversations,
		"conversationGet":    m.getConversation,
		"conversationDelete": m.deleteConversation,

		"contactList":   m.listContacts,
		"contactSave":   m.saveContact,
		"contactGet":    m.getContact,
		"contactDelete": m.deleteContact,

		"webhookInstall": m.installWebhook,
		"webhookAdd":     m.installWebhook,
		"webhookUpdate":  m.updateWebhook,
		"webhookList":    m.listWebhooks,
		"webhookDelete":  m.deleteWebhook,
	}
	out := make(map[string]mocks.Handler, 2*len(hs))
	for id, h := range hs {
		out[id], out[id+"Get"] = h, h
	}
	return out
}

// cacheable are the reads whose answers depend only on the request and the
// workspace's data.
var cacheable = func() map[string]bool {
	out := map[string]bool{}
	for _, id := range []string{"messageList", "messageGet", "messageAttachmentList", "hostedContentGet",
		"conversationList", "conversationGet", "contactList", "contactGet", "userGet", "webhookList"} {
		out[id], out[id+"Get"] = true, true
	}
	return out
}()

// onceEach refuses a parameter given more than once (twice in the body, or
// in both the query string and the body): Zipwhip's servlets read one value,
// so which one wins is not something a client should depend on.
func onceEach(_ string, h mocks.Handler) mocks.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var twice []string
		for k, vs := range mocks.Params(r) {
			if len(vs) > 1 {
				twice = append(twice, k)
			}
		}
		if len(twice) > 0 {
			sort.Strings(twice)
			return invalid(twice[0], "parameter %s is given %d times; give it once", twice[0], len(mocks.Params(r)[twice[0]]))
		}
		return h(w, r)
	}
}

// ok writes {"success":true,"response":v}.
func ok(w http.ResponseWriter, v any) error {
	mocks.WriteRaw(w, http.StatusOK, mustJSON(struct {
		Success  bool `json:"success"`
		Response any  `json:"response"`
	}{true, v}))
	return nil
}

// okList writes a list page in the documented order:
// {"total":N,"response":[...],"success":true,"size":N}.
func okList(w http.ResponseWriter, total int, docs [][]byte) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"total":%d,"response":`, total)
	writeArray(&b, docs)
	fmt.Fprintf(&b, `,"success":true,"size":%d}`, len(docs))
	mocks.WriteRaw(w, http.StatusOK, b.Bytes())
	return nil
}

func writeArray(b *bytes.Buffer, docs [][]byte) {
	b.WriteByte('[')
	for i, d := range docs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(d)
	}
	b.WriteByte(']')
}

// param returns a parameter, trimmed.
func param(r *http.Request, name string) string {
	return strings.TrimSpace(mocks.Params(r).Get(name))
}

// intParam reads an integer parameter (validated by the spec) or def.
func intParam(r *http.Request, name string, def int) int {
	v := param(r, name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

// idParam reads a numeric id parameter.
func idParam(r *http.Request, name string) (int64, error) {
	v := param(r, name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid(name, "%s must be a numeric id, not %q", name, clip(v))
	}
	return n, nil
}

// page reads limit (20 when absent or 0) and start.
func page(r *http.Request) (limit, start int) {
	limit = intParam(r, "limit", 20)
	if limit <= 0 {
		limit = 20
	}
	return limit, max(0, intParam(r, "start", 0))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
