package vendorsimtest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/vendorsimtest"
)

// TestSignupSendsWelcomeSMS is the test docs/testing.md shows, as a user
// writes it: the code under test is a tiny "app" that creates a contact
// and texts it through the Whippy API; the test checks what the app sent
// and the webhook the app received, without sleeping.
func TestSignupSendsWelcomeSMS(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Manual())
	key := sb.NewKey()
	ws := vendorsimtest.WhippyKey(key)

	// The app's webhook endpoint, verifying Whippy's signature.
	received := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !validSignature(r.Header.Get("X-Whippy-Signature"), body, key) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		received <- body
	}))
	defer hook.Close()
	sb.AddWebhook(t, ws, "whippy", hook.URL, "", "message.updated")

	// The code under test.
	signup(t, sb.WhippyURL(), key, "+12065550171")

	sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=createContact", "body.phone=+12065550171")
	sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=sendSms", "body.to=+12065550171", "body.body*=Welcome")
	sb.Expect(t, ws, vendorsimtest.Exactly(0), "status~=^5")

	// The message's timeline runs when the clock moves: a minute later
	// it is delivered, and the app has heard about it.
	sb.Advance(t, ws, time.Minute)
	d := sb.WaitDelivery(t, ws, vendorsimtest.DeliveryFilter{EventType: "message.updated", State: "delivered"}, func(d vendorsimtest.Delivery) bool {
		var ev struct {
			Data struct {
				DeliveryStatus string `json:"delivery_status"`
			} `json:"data"`
		}
		return d.Decode(&ev) == nil && ev.Data.DeliveryStatus == "delivered"
	})
	if d.LastStatus != http.StatusOK {
		t.Errorf("the app answered %d", d.LastStatus)
	}
	select {
	case body := <-received:
		if !strings.Contains(string(body), `"event":"message.updated"`) {
			t.Errorf("the app received %s", body)
		}
	default:
		t.Error("the app's endpoint received nothing")
	}
}

// signup is the app under test: it creates a contact and texts it.
func signup(t *testing.T, base, key, phone string) {
	t.Helper()
	call := func(method, path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("X-WHIPPY-KEY", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	call("POST", "/contacts", map[string]any{"phone": phone, "name": "New user"})
	channels := call("GET", "/channels", nil)["data"].([]any)
	from := channels[0].(map[string]any)["phone"]
	call("POST", "/messaging/sms", map[string]any{"from": from, "to": phone, "body": "Welcome aboard!"})
}

// validSignature checks "t=<unix>,v1=<base64 HMAC-SHA256(key, t.body)>".
func validSignature(header string, body []byte, key string) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		if k == "t" {
			ts = v
		} else if k == "v1" {
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + "." + string(body)))
	return ts != "" && hmac.Equal([]byte(sig), []byte(base64.RawStdEncoding.EncodeToString(mac.Sum(nil))))
}

// Example shows a whole test; the function is compiled, not run.
func Example() {
	test := func(t *testing.T) {
		sb := vendorsimtest.Start(t, vendorsimtest.Manual())
		key := sb.NewKey()
		ws := vendorsimtest.WhippyKey(key)
		// Point the app under test at sb.WhippyURL() with key, exercise it, then:
		sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=sendSms", "body.to=+12065550123")
		sb.Advance(t, ws, time.Minute)
		sb.WaitDelivery(t, ws, vendorsimtest.DeliveryFilter{EventType: "message.updated", State: "delivered"}, nil)
	}
	_ = test
}
