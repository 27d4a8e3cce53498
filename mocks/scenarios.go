package mocks

import (
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// Scenarios starts timelines of scheduled steps. The scenario engine
// implements it; vendor packages call it inside their store transaction, so
// that a state change and the timeline it starts commit together.
type Scenarios interface {
	// Start schedules the named scenario to begin at at (in the workspace's
	// virtual time) with params passed to every step, and returns the run's
	// id.
	Start(tx *store.Tx, name string, at time.Time, params map[string]string) (string, error)
	// ForNumber returns the scenario that a magic number selects for a
	// vendor's trigger (for example "sms" for an outbound SMS), or def when
	// the number is not magic.
	ForNumber(vendor, trigger, number, def string) string
}

// Action is one kind of scenario step, supplied by a vendor package: it
// changes state and emits events inside its workspace's transaction.
type Action func(tx *store.Tx, params map[string]string) error
