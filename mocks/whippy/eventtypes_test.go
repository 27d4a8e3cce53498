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

// TestConfig_SeededEndpointEventTypes: an endpoint seeded from the
// configuration follows the rule of POST /developers/endpoints. With
// whippy.unknown_event_types: refuse (the default) an unknown event type
// stops the configuration from loading, naming its key and value; with
// accept (wherever the whippy: section is in the file) it loads and the
// seeded endpoint keeps the type.
func TestConfig_SeededEndpointEventTypes(t *testing.T) {
	const workspaces = `workspaces:
  - id: seeded-events
    whippy:
      api_keys: [seeded-events-key]
      applications:
        - name: Events
          endpoints:
            - url: https://hooks.example/a
              event_types: [message.created]
            - url: https://hooks.example/b
              event_types: [message.created, contact.exploded]
`
	for _, yaml := range []string{workspaces, workspaces + "whippy:\n  unknown_event_types: refuse\n"} {
		_, err := app.ParseConfig([]byte(yaml))
		if err == nil || !strings.Contains(err.Error(), `workspaces[0].whippy.applications[0].endpoints[1].event_types[1]: "contact.exploded" is not a Whippy event type`) {
			t.Errorf("unknown seeded event type: error %v, want one naming workspaces[0].whippy.applications[0].endpoints[1].event_types[1] and the value", err)
		}
	}
	for _, yaml := range []string{workspaces + "whippy:\n  unknown_event_types: accept\n", "whippy:\n  unknown_event_types: accept\n" + workspaces} {
		cfg, err := app.ParseConfig([]byte(yaml))
		if err != nil {
			t.Fatalf("unknown_event_types accept: %v", err)
		}
		s := newServer(t, apptest.WithConfig(func(c *config.Config) {
			c.Workspaces = cfg.Workspaces
			c.Vendors[whippy.Vendor] = cfg.Vendors[whippy.Vendor]
		}))
		eps := wantList(t, s.Whippy("seeded-events-key"), "/developers/endpoints", "url", "https://hooks.example/a", "https://hooks.example/b")
		for _, ep := range eps {
			if ep["url"] == "https://hooks.example/b" && !jsonEqual(ep["event_types"], []string{"message.created", "contact.exploded"}) {
				t.Errorf("seeded endpoint event_types %v, want message.created, contact.exploded", ep["event_types"])
			}
		}
	}
	if _, err := app.ParseConfig([]byte(strings.Replace(workspaces, ", contact.exploded", ", contact.created", 1))); err != nil {
		t.Errorf("known seeded event types: %v", err)
	}
}
