package whippy

import (
	"fmt"
	"slices"
)

// ExampleEvent implements mocks.EventExamples: an event of eventType in
// Whippy's envelope, about a made-up resource.
func (m *Mock) ExampleEvent(eventType string) ([]byte, error) {
	if !slices.Contains(EventTypes, eventType) {
		return nil, fmt.Errorf("whippy has no event type %q", eventType)
	}
	data := map[string]any{
		"id":         newID(),
		"created_at": "2026-01-05T10:00:00Z",
		"updated_at": "2026-01-05T10:00:00Z",
	}
	return eventBody(eventType, newID(), data)
}
