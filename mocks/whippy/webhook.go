package whippy

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/vendorsim/vendorsim/internal/jsjson"
	"github.com/vendorsim/vendorsim/store"
)

// EventTypes are the webhook events Whippy sends (VENDORS.md §1.4, and the
// spec's WebhookEventType): the control API subscribes to nothing else.
var EventTypes = []string{
	"message.created", "message.updated", "contact.created", "contact.updated",
	"conversation.created", "conversation.updated", "campaign.created", "campaign.updated",
	"sequence.created", "sequence.updated", "sequence_run.created", "sequence_run.updated",
	"step.created", "step.updated", "step_contact.created", "step_contact.updated",
	"message_template.created", "message_template.updated", "message_template.deleted",
	"lead.new", "call.analyzed",
}

// emit queues event eventType about data for every subscribed endpoint, in
// the transaction that changed data.
func (m *Mock) emit(tx *store.Tx, eventType string, data any) error {
	hooks, err := tx.Subscribers(Vendor, eventType)
	if err != nil || len(hooks) == 0 {
		return err
	}
	id := newID()
	body, err := eventBody(eventType, id, data)
	if err != nil {
		return err
	}
	return tx.Enqueue(store.Event{ID: id, Vendor: Vendor, Type: eventType, Body: body}, hooks)
}

// eventBody builds Whippy's envelope {"data":...,"event":...,"request_id":...}.
// Whippy's payloads come out of PostgreSQL jsonb, whose objects list
// shorter keys first and then sort bytewise; the bodies here do the same, so
// byte-for-byte comparisons with recorded samples line up. Bodies are
// JSON.stringify-compatible (see jsjson).
func eventBody(eventType, requestID string, data any) ([]byte, error) {
	raw, err := json.Marshal(map[string]any{"data": data, "event": eventType, "request_id": requestID})
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return jsjson.Marshal(jsonbOrdered(v))
}

// orderedObject marshals its keys in jsonb order.
type orderedObject struct {
	keys []string
	m    map[string]any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(o.m[k])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func jsonbOrdered(v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k, val := range t {
			keys = append(keys, k)
			t[k] = jsonbOrdered(val)
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		return orderedObject{keys: keys, m: t}
	case []any:
		for i := range t {
			t[i] = jsonbOrdered(t[i])
		}
		return t
	}
	return v
}
