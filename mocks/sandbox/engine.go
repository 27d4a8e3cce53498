package sandbox

import (
	"encoding/json"

	"vendorsim/mocks"
)

// Engine is the scenario engine and webhook dispatcher, as the control API
// uses it.
type Engine interface {
	// Pause holds deliveries and steps of workspace ws ("" for all) until
	// the returned func is called.
	Pause(ws string) (resume func())
}

func (s *Sandbox) engineHandlers() map[string]mocks.Handler {
	return map[string]mocks.Handler{}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
