package vendorsimtest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/vendorsimtest"
)

const config = `
workspaces:
  - id: shop
    whippy:
      api_keys: [shop-key]
      channels: [{name: Main, type: phone, phone: "+12065550100"}]
`

func TestWelcomeSMS(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Manual(), vendorsimtest.Config(config))
	ws := vendorsimtest.WhippyKey("shop-key")
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	sb.AddWebhook(t, ws, "whippy", hook.URL, "", "message.updated")

	// The code under test: your app, given sb.WhippyURL() and its key.
	req, _ := http.NewRequest("POST", sb.WhippyURL()+"/messaging/sms",
		strings.NewReader(`{"from":"+12065550100","to":"+12065550171","body":"Welcome!"}`))
	req.Header.Set("X-Whippy-Key", "shop-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=sendSms", "body.to=+12065550171")
	sb.Advance(t, ws, time.Minute) // the message's timeline: sending, sent, delivered
	d := sb.WaitDelivery(t, ws, vendorsimtest.DeliveryFilter{EventType: "message.updated"}, func(d vendorsimtest.Delivery) bool {
		return strings.Contains(d.Body, `"delivery_status":"delivered"`)
	})
	if d.State != "delivered" || d.LastStatus != http.StatusOK {
		t.Errorf("the webhook: %s, answered %d", d.State, d.LastStatus)
	}
}
