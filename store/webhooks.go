package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Webhook sources.
const (
	WebhookFromVendor  = "vendor"  // registered through the vendor's own API
	WebhookFromConfig  = "config"  // seeded from the configuration file
	WebhookFromSandbox = "sandbox" // registered through the control API
)

// Webhook is a subscription of a URL to a vendor's events.
type Webhook struct {
	ID     string
	Vendor string
	// Owner groups subscriptions (a Whippy developer application).
	Owner  string
	URL    string
	Method string
	// Events lists the event types delivered; empty means all.
	Events    []string
	Secret    string
	Active    bool
	Source    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Wants reports whether the webhook subscribes to eventType.
func (h *Webhook) Wants(eventType string) bool {
	if !h.Active {
		return false
	}
	if len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if e == eventType || e == "*" {
			return true
		}
	}
	return false
}

// PutWebhook creates or replaces a webhook of the transaction's workspace.
// Replacing it with an inactive one cancels its unfinished deliveries.
func (tx *Tx) PutWebhook(h *Webhook) error {
	if h.Method == "" {
		h.Method = "POST"
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = tx.now
	}
	h.UpdatedAt = tx.now
	events, err := json.Marshal(nonNilStrings(h.Events))
	if err != nil {
		return err
	}
	tx.hooksChanged()
	_, err = tx.exec(`INSERT INTO webhooks (id, workspace_id, vendor, owner, url, method, events, secret, active, source, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, url = excluded.url, method = excluded.method, events = excluded.events,
			secret = excluded.secret, active = excluded.active, updated_at = excluded.updated_at
		WHERE webhooks.workspace_id = excluded.workspace_id`,
		h.ID, tx.ws, h.Vendor, h.Owner, h.URL, h.Method, events, h.Secret, h.Active, h.Source, micros(h.CreatedAt), micros(h.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put webhook: %w", formatError(err))
	}
	if !h.Active {
		return tx.cancelDeliveries(h.ID, "webhook deactivated")
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DeleteWebhook removes a webhook and cancels its unfinished deliveries,
// or returns ErrNotFound.
func (tx *Tx) DeleteWebhook(id string) error {
	tx.hooksChanged()
	res, err := tx.exec(`DELETE FROM webhooks WHERE workspace_id = ? AND id = ?`, tx.ws, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return tx.cancelDeliveries(id, "webhook deleted")
}

const webhookCols = `id, vendor, owner, url, method, events, secret, active, source, created_at, updated_at`

func scanWebhook(sc interface{ Scan(...any) error }) (Webhook, error) {
	var h Webhook
	var events []byte
	var created, updated int64
	if err := sc.Scan(&h.ID, &h.Vendor, &h.Owner, &h.URL, &h.Method, &events, &h.Secret, &h.Active, &h.Source, &created, &updated); err != nil {
		return h, err
	}
	if err := json.Unmarshal(events, &h.Events); err != nil {
		return h, fmt.Errorf("webhook %s events: %w", h.ID, err)
	}
	h.CreatedAt, h.UpdatedAt = fromMicros(created), fromMicros(updated)
	return h, nil
}

// GetWebhook returns one webhook, or ErrNotFound.
func (tx *Tx) GetWebhook(id string) (*Webhook, error) {
	h, err := scanWebhook(tx.queryRow(`SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = ? AND id = ?`, tx.ws, id))
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	return &h, nil
}

// Webhooks lists the workspace's webhooks of one vendor ("" for all),
// oldest first.
func (tx *Tx) Webhooks(vendor string) ([]Webhook, error) {
	rows, err := tx.query(`SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = ? AND (? = '' OR vendor = ?) ORDER BY created_at, id`, tx.ws, vendor, vendor)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
