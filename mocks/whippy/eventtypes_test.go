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

// TestEndpoints_UnknownEventTypes: POST and PUT /developers/endpoints
// refuse an event type Whippy does not send with a 422 in Whippy's shape
// naming event_types and the value, and store nothing; known types and
// whippy.unknown_event_types: accept still go through.
func TestEndpoints_UnknownEventTypes(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("event-types")
	appID := field(post(t, c, "/developers/applications", M{"name": "Events"}, http.StatusCreated), "id")

	wantError(t, c.Post(t, "/developers/endpoints", M{"developer_application_id": appID, "url": "https://hooks.example/a",
		"event_types": []string{"message.created", "contact.exploded"}}), http.StatusUnprocessableEntity, "event_types", `"contact.exploded"`)
	wantList(t, c, "/developers/endpoints", "id")

	ep := post(t, c, "/developers/endpoints", M{"developer_application_id": appID, "url": "https://hooks.example/a",
		"event_types": whippy.EventTypes}, http.StatusCreated)
	epID := field(ep, "id")
	wantError(t, c.Do(t, http.MethodPut, "/developers/endpoints/"+epID, M{"event_types": []string{"message.exploded"}}),
		http.StatusUnprocessableEntity, "event_types", `"message.exploded"`)
	if got := dataOf(t, get(t, c, "/developers/endpoints/"+epID)); !jsonEqual(got, ep) {
		t.Errorf("endpoint changed by a refused update: %v, want %v", got, ep)
	}

	lax := newServer(t, apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).UnknownEventTypes = "accept" }))
	lc := lax.Whippy("event-types")
	laxApp := field(post(t, lc, "/developers/applications", M{"name": "Events"}, http.StatusCreated), "id")
	post(t, lc, "/developers/endpoints", M{"developer_application_id": laxApp, "url": "https://hooks.example/a",
		"event_types": []string{"contact.exploded"}}, http.StatusCreated)

	if _, err := app.ParseConfig([]byte("whippy:\n  unknown_event_types: ignore\n")); err == nil || !strings.Contains(err.Error(), "whippy.unknown_event_types") {
		t.Errorf("unknown_event_types ignore: error %v, want one naming whippy.unknown_event_types", err)
	}
}
