package store

import (
	"fmt"
	"time"
)

// Event is something a vendor emits: one body, delivered to every
// subscribed webhook.
type Event struct {
	ID        string
	Vendor    string
	Type      string
	Body      []byte
	CreatedAt time.Time
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting for its due time
	DeliverySending   = "sending"   // claimed by a dispatcher
	DeliveryDelivered = "delivered" // answered with success
	DeliveryDead      = "dead"      // retries exhausted or a final failure
)

// Subscribers returns the active webhooks of vendor that want eventType.
// The subscriptions are read once per transaction.
func (tx *Tx) Subscribers(vendor, eventType string) ([]Webhook, error) {
	if tx.hooks == nil {
		tx.hooks = map[string][]Webhook{}
	}
	all, ok := tx.hooks[vendor]
	if !ok {
		var err error
		if all, err = tx.Webhooks(vendor); err != nil {
			return nil, err
		}
		tx.hooks[vendor] = all
	}
	var out []Webhook
	for _, h := range all {
		if h.Wants(eventType) {
			out = append(out, h)
		}
	}
	return out, nil
}

// Enqueue stores ev and one pending delivery per webhook, due now. It does
// nothing without webhooks.
func (tx *Tx) Enqueue(ev Event, hooks []Webhook) error {
	if len(hooks) == 0 {
		return nil
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = tx.now
	}
	if _, err := tx.exec(`INSERT INTO events (id, workspace_id, vendor, type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.ID, tx.ws, ev.Vendor, ev.Type, ev.Body, micros(ev.CreatedAt)); err != nil {
		return fmt.Errorf("enqueue %s: %w", ev.Type, formatError(err))
	}
	for _, h := range hooks {
		if _, err := tx.exec(`INSERT INTO deliveries (event_id, workspace_id, vendor, event_type, webhook_id, url, method, secret, state, due_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ev.ID, tx.ws, ev.Vendor, ev.Type, h.ID, h.URL, h.Method, h.Secret, DeliveryPending, micros(ev.CreatedAt), micros(tx.now), micros(tx.now)); err != nil {
			return fmt.Errorf("enqueue %s: %w", ev.Type, err)
		}
	}
	if tx.db.OnEnqueue != nil {
		tx.OnCommit(tx.db.OnEnqueue)
	}
	return nil
}
