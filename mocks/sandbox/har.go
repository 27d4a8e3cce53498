package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), as much of it
// as the journal knows: response headers are not recorded, and bodies are
// the first bytes kept (server.journal.body_limit, response_body_limit).
type harLog struct {
	Log harBody `json:"log"`
}

type harBody struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
}

type harPair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harPair    `json:"cookies"`
	Headers     []harPair    `json:"headers"`
	QueryString []harPair    `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harPair  `json:"cookies"`
	Headers     []harPair  `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// harMediaType is the content type of a HAR answer.
const harMediaType = "application/har+json"

// writeHAR answers entries (newest first) as a HAR 1.2 log, oldest first,
// with URLs on the host the caller reached.
func (s *Sandbox) writeHAR(w http.ResponseWriter, r *http.Request, entries []store.JournalEntry) {
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	out := harLog{Log: harBody{Version: "1.2", Creator: harCreator{Name: "vendorsim", Version: s.d.Version}, Entries: []harEntry{}}}
	for _, e := range slices.Backward(entries) {
		out.Log.Entries = append(out.Log.Entries, harOf(e, base))
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", harMediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func harOf(e store.JournalEntry, base string) harEntry {
	ms := float64(e.Duration.Microseconds()) / 1000
	u := base + e.Path
	if e.Query != "" {
		u += "?" + e.Query
	}
	headers := headerMap(e.RequestHeaders)
	req := harRequest{
		Method: e.Method, URL: u, HTTPVersion: "HTTP/1.1", Cookies: []harPair{}, Headers: pairs(headers),
		QueryString: []harPair{}, HeadersSize: -1, BodySize: len(e.RequestBody),
	}
	if q, err := url.ParseQuery(e.Query); err == nil {
		req.QueryString = pairs(q)
	}
	if len(e.RequestBody) > 0 {
		ct := ""
		if v := headers["Content-Type"]; len(v) > 0 {
			ct = v[0]
		}
		req.PostData = &harPostData{MimeType: ct, Text: string(e.RequestBody)}
	}
	answer := answerHeaders(e)
	mime := guessType(e.ResponseBody)
	if v := answer["Content-Type"]; len(v) > 0 {
		mime = v[0]
	}
	resp := harResponse{
		Status: e.Status, StatusText: http.StatusText(e.Status), HTTPVersion: "HTTP/1.1", Cookies: []harPair{}, Headers: pairs(answer),
		Content:     harContent{Size: len(e.ResponseBody), MimeType: mime, Text: string(e.ResponseBody)},
		HeadersSize: -1, BodySize: -1,
	}
	comment := "workspace " + e.WorkspaceID
	if e.OperationID != "" {
		comment += ", operation " + e.OperationID
	}
	return harEntry{
		StartedDateTime: ts(e.At), Time: ms, Request: req, Response: resp,
		Timings: harTimings{Send: 0, Wait: ms, Receive: 0}, Comment: comment,
	}
}

// pairs lists a header or query set as name/value pairs, sorted by name.
func pairs(m map[string][]string) []harPair {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []harPair{}
	for _, k := range keys {
		for _, v := range m[k] {
			out = append(out, harPair{Name: k, Value: v})
		}
	}
	return out
}

func guessType(body []byte) string {
	t := strings.TrimSpace(string(body[:min(len(body), 16)]))
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return "application/json"
	}
	if len(body) == 0 {
		return ""
	}
	return "text/plain"
}

// wantsHAR reports whether a journal listing asks for HAR, and refuses
// other formats.
func wantsHAR(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return false, nil
	case "har":
		return true, nil
	default:
		return false, mocks.FieldErrorf(http.StatusUnprocessableEntity, "format", "format must be json or har, not %q", f)
	}
}
