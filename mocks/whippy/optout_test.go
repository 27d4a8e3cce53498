package whippy_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// TestOptedOutSend: after a contact replies STOP, a send to it on that
// channel is accepted (201, the receipt as sent) but the carrier refuses
// it: stored as failed, message.updated with failed reaches the receiver,
// and no delivery timeline runs. A note and the
// "deliver" setting are not refused. Campaigns count the failure.
func TestOptedOutSend(t *testing.T) {
	const key = "opted-out-key"
	s, c, rc, _ := hookSetup(t, key, []string{"message.created", "message.updated"})
	from := hookChannel(t, c)
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+12065557301", "to": from, "body": "STOP"}), 201)
	hookFlush(t, s, key)
	before := len(rc.got())

	receipt := sms(t, c, from, "+12065557301", "are you still there?")
	if got := field(receipt, "delivery_status"); got != "queued" {
		t.Errorf("receipt delivery_status %q, want queued (accepted, then refused)", got)
	}
	hookAdvance(t, s, key, "1m")
	var got []string
	for _, ev := range rc.events(t)[before:] {
		if ev.Data["id"] != field(receipt, "id") {
			continue
		}
		got = append(got, ev.Event+":"+ev.Data["delivery_status"].(string))
	}
	if want := "message.created:queued message.updated:failed"; strings.Join(got, " ") != want {
		t.Errorf("events of the refused message %v, want %s", got, want)
	}
	msgs := messagesOf(t, c, field(receipt, "conversation_id"), "")
	if st := field(msgs[0], "delivery_status"); st != "failed" || field(msgs[0], "id") != field(receipt, "id") {
		t.Errorf("stored message %v, want it failed", msgs[0])
	}

	// A note is internal: never refused.
	note := post(t, c, "/messaging/note", M{"from": from, "to": "+12065557301", "body": "called them instead"}, http.StatusCreated)
	if st := field(messagesOf(t, c, field(note, "conversation_id"), "")[0], "delivery_status"); st != "delivered" {
		t.Errorf("note status %q, want delivered", st)
	}

	// A campaign counts the refusal as a failed delivery.
	post(t, c, "/campaigns/sms", M{"from": from, "body": "promo", "to": []M{{"phone": "+12065557301"}, {"phone": "+12065557302"}}}, http.StatusAccepted)
	camps, _ := listOf(t, get(t, c, "/campaigns"))
	if camps[0]["failed_deliveries"] != 1.0 || camps[0]["slated_messages"] != 1.0 {
		t.Errorf("campaign counters failed_deliveries=%v slated_messages=%v, want 1 and 1", camps[0]["failed_deliveries"], camps[0]["slated_messages"])
	}

	// START opts back in: sends go through again.
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+12065557301", "to": from, "body": "START"}), 201)
	again := sms(t, c, from, "+12065557301", "welcome back")
	hookAdvance(t, s, key, "1m")
	if st := field(messagesOf(t, c, field(again, "conversation_id"), q("messages[limit]", "1"))[0], "delivery_status"); st != "delivered" {
		t.Errorf("after START the message is %q, want delivered", st)
	}

	// whippy.opted_out_send: deliver ignores the opt-out.
	const key2 = "opted-out-deliver"
	s2, c2, _, _ := hookSetup(t, key2, []string{"message.updated"}, apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).OptedOutSend = "deliver" }))
	from2 := hookChannel(t, c2)
	apptest.Want(t, s2.Sandbox(http.Header{"X-Whippy-Key": {key2}}).Post(t, "/whippy/inbound", M{"from": "+12065557301", "to": from2, "body": "STOP"}), 201)
	r2 := sms(t, c2, from2, "+12065557301", "x")
	hookAdvance(t, s2, key2, "1m")
	if st := field(messagesOf(t, c2, field(r2, "conversation_id"), q("messages[limit]", "1"))[0], "delivery_status"); st != "delivered" {
		t.Errorf("with opted_out_send: deliver the message is %q, want delivered", st)
	}
	if _, err := app.ParseConfig([]byte("whippy:\n  opted_out_send: bounce\n")); err == nil || !strings.Contains(err.Error(), "whippy.opted_out_send") {
		t.Errorf("opted_out_send bounce: error %v, want one naming whippy.opted_out_send", err)
	}
}
