package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// linkedDelivery is a delivery as GET /deliveries answers it, with
// request_id told apart from absent (nil).
type linkedDelivery struct {
	ID        int64   `json:"id"`
	EventType string  `json:"event_type"`
	ReplayOf  int64   `json:"replay_of"`
	RequestID *string `json:"request_id"`
}

func (d linkedDelivery) requestID() string {
	if d.RequestID == nil {
		return "<absent>"
	}
	return *d.RequestID
}

func linkedDeliveries(tb testing.TB, sb *apptest.Client, subject string) []linkedDelivery {
	tb.Helper()
	var body struct{ Data []linkedDelivery }
	apptest.Want(tb, sb.Get(tb, "/deliveries?subject="+subject), http.StatusOK).JSON(tb, &body)
	return body.Data
}

// A delivery of an event a vendor request emitted names that request: its
// request_id is the X-Request-Id the journal keeps for the request (the
// client's, or the one the server made), and GET /requests?request_id=
// answers exactly that entry. An event from a scenario step or a
// simulator names none; a replay keeps the request of what it replays.
func TestDeliveries_NameTheRequestThatEmittedThem(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "request-link-key"
	wh, sb := s.Whippy(key), s.Sandbox(whippyKey(key))
	recv := newHook(t, nil, nil)
	apptest.Want(t, sb.Post(t, "/webhooks", M{"vendor": "whippy", "url": recv.URL, "events": []string{"message.created", "message.updated"}}), http.StatusCreated)
	ch := field(listOf(t, wh.Get(t, "/channels"))[0], "phone")
	send := func(h http.Header, to string) (msg, requestID string) {
		t.Helper()
		h.Set("X-Whippy-Key", key)
		r := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whippy/v1/messaging/sms", Header: h,
			Body: M{"to": to, "from": ch, "body": "linked"}}), http.StatusCreated)
		return r.Map(t)["data"].(map[string]any)["id"].(string), r.Header.Get("X-Request-Id")
	}
	// The client's id, and one the server makes.
	msgA, ridA := send(http.Header{"X-Request-Id": {"tlink-send-a"}}, "+12065558401")
	msgB, ridB := send(http.Header{}, "+12065558402")
	if ridA != "tlink-send-a" || ridB == "" || ridB == ridA {
		t.Fatalf("the sends answered X-Request-Id %q and %q, want the client's and a new one", ridA, ridB)
	}
	apptest.Want(t, wh.Get(t, "/channels"), http.StatusOK)
	// The default timeline of each SMS (a scenario) emits message.updated.
	advance(t, s, key, "1h")

	for _, c := range []struct{ msg, rid string }{{msgA, ridA}, {msgB, ridB}} {
		ds := linkedDeliveries(t, sb, c.msg)
		var created, updated int
		for _, d := range ds {
			switch d.EventType {
			case "message.created":
				created++
				if d.requestID() != c.rid {
					t.Errorf("message %s: the delivery of message.created (sent by the request) has request_id %s, want %s", c.msg, d.requestID(), c.rid)
				}
			case "message.updated":
				updated++
				if d.RequestID != nil {
					t.Errorf("message %s: the delivery of message.updated (a scenario step) has request_id %q, want none", c.msg, *d.RequestID)
				}
			}
		}
		if created != 1 || updated == 0 {
			t.Fatalf("message %s has deliveries %+v, want one message.created and the scenario's message.updated", c.msg, ds)
		}

		entries, total := journal(t, sb, "?request_id="+c.rid)
		if total != 1 || len(entries) != 1 || entries[0].OperationID != "sendSms" || !json.Valid([]byte(entries[0].ResponseBody)) {
			t.Fatalf("GET /requests?request_id=%s: %d entries (total %d) %+v, want the send alone", c.rid, len(entries), total, entries)
		}
		var answer struct{ Data struct{ ID string } }
		json.Unmarshal([]byte(entries[0].ResponseBody), &answer)
		if answer.Data.ID != c.msg {
			t.Errorf("the entry of request %s answered message %q, want %s", c.rid, answer.Data.ID, c.msg)
		}
		if n := count(t, sb, "?request_id="+c.rid); n != 1 {
			t.Errorf("count of request_id %s: %d, want 1", c.rid, n)
		}
	}
	if _, total := journal(t, sb, "?request_id=no-such-request"); total != 0 {
		t.Errorf("an unknown request_id matched %d entries", total)
	}
	if _, total := journal(t, sb, "?request_id="+ridA+"&operation_id=listChannels"); total != 0 {
		t.Errorf("request_id and operation_id of another request matched %d entries", total)
	}

	// A replay names the request of the delivery it replays.
	var first linkedDelivery
	for _, d := range linkedDeliveries(t, sb, msgA) {
		if d.EventType == "message.created" {
			first = d
		}
	}
	var replay linkedDelivery
	apptest.Want(t, sb.Post(t, "/deliveries/"+fmt.Sprint(first.ID)+"/replay", nil), http.StatusAccepted).JSON(t, &replay)
	if replay.ReplayOf != first.ID || replay.requestID() != ridA {
		t.Errorf("the replay of delivery %d is %+v, want replay_of %d and request_id %s", first.ID, replay, first.ID, ridA)
	}

	// A text from the simulator: its event names no request.
	in := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/_sandbox/whippy/inbound",
		Header: http.Header{"X-Whippy-Key": {key}, "X-Request-Id": {"tlink-inbound"}}, Body: M{"from": "+12065558403", "to": ch, "body": "hello"}}), http.StatusCreated).Map(t)
	inbound := in["data"].(map[string]any)["id"].(string)
	ds := linkedDeliveries(t, sb, inbound)
	if len(ds) != 1 || ds[0].EventType != "message.created" || ds[0].RequestID != nil {
		t.Errorf("the inbound text's deliveries are %+v, want one message.created naming no request", ds)
	}
	// The simulator's call is journaled (vendor sandbox), and found by its id.
	if entries, total := journal(t, sb, "?request_id=tlink-inbound"); total != 1 || entries[0].Vendor != "sandbox" {
		t.Errorf("GET /requests?request_id=tlink-inbound: %+v (total %d), want the simulator's call", entries, total)
	}
}
