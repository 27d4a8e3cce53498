package whippy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// customEventInput is one reported event.
type customEventInput struct {
	Event               string           `json:"event"`
	ExternalID          string           `json:"external_id"`
	Payload             map[string]any   `json:"payload"`
	Timestamp           string           `json:"timestamp"`
	AssociatedResources []map[string]any `json:"associated_resources"`
}

func (m *Mock) storeCustomEvent(tx *store.Tx, in customEventInput, field string, i int) (*CustomEvent, error) {
	if strings.TrimSpace(in.Event) == "" {
		return nil, invalid(field+"event", "%sevent must not be empty", field)
	}
	ev := &CustomEvent{ID: newID(), Event: in.Event, ExternalID: strPtr(in.ExternalID), Payload: in.Payload,
		AssociatedResources: in.AssociatedResources, CreatedAt: ts(tx.Now())}
	if ev.AssociatedResources == nil {
		ev.AssociatedResources = []map[string]any{}
	}
	if in.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Timestamp)
		if err != nil {
			return nil, invalid(field+"timestamp", "%stimestamp must be an ISO 8601 date-time", field)
		}
		ev.Timestamp = tsPtr(t)
	}
	err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindCustomEvent, ID: ev.ID, Doc: mustJSON(ev),
		CreatedAt: tx.Now().Add(microsteps(i)), Keys: []store.Key{store.K("event", ev.Event)}})
	return ev, err
}

// createCustomEvent serves POST /custom_events: 201 with the stored event.
func (m *Mock) createCustomEvent(w http.ResponseWriter, r *http.Request) error {
	var in customEventInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var ev *CustomEvent
	err := m.update(r.Context(), func(tx *store.Tx) (err error) {
		ev, err = m.storeCustomEvent(tx, in, "", 0)
		return err
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusCreated, ev)
	return nil
}

// createCustomEventsBulk serves POST /custom_events/bulk: 202 once every
// event is stored.
func (m *Mock) createCustomEventsBulk(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	err := m.update(r.Context(), func(tx *store.Tx) error {
		for i, raw := range in.Events {
			var ev customEventInput
			field := fmt.Sprintf("events.%d.", i)
			if err := json.Unmarshal(raw, &ev); err != nil {
				return invalid(field, "events.%d must be an event object", i)
			}
			if _, err := m.storeCustomEvent(tx, ev, field, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusAccepted, map[string]any{"message": fmt.Sprintf("%d events queued", len(in.Events)), "count": len(in.Events)})
	return nil
}
