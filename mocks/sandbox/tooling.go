package sandbox

import "github.com/vendorsim/vendorsim/mocks"

// toolingHandlers are the test-tooling operations: verification, waiting,
// snapshots (issue 15). Those that need the engine are left out without
// one.
func (s *Sandbox) toolingHandlers() map[string]mocks.Handler {
	h := s.verifyHandlers()
	h["getSnapshot"] = s.getSnapshot
	if s.d.Engine != nil {
		h["waitDeliveries"] = s.waitDeliveries
	}
	return h
}
