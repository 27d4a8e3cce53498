package scenarios

import "github.com/vendorsim/vendorsim/internal/phone"

// MagicNumber maps a destination number in the fictional NANP range
// NXX-555-0100..0199 to the scenario it plays. Vendors supply the table.
type MagicNumber struct {
	// Suffix is the last two digits ("01" for NXX-555-0101).
	Suffix      string `json:"suffix"`
	Vendor      string `json:"vendor"`
	Trigger     string `json:"trigger"`
	Scenario    string `json:"scenario"`
	Description string `json:"description"`
}

// ForNumber returns the scenario a magic number selects for a vendor's
// trigger, or def. It implements mocks.Scenarios.
func (e *Engine) ForNumber(vendor, trigger, number, def string) string {
	suffix, ok := phone.Magic(number)
	if !ok {
		return def
	}
	for _, m := range e.Magic {
		if m.Suffix == suffix && m.Vendor == vendor && m.Trigger == trigger {
			return m.Scenario
		}
	}
	return def
}

// MagicNumbers returns the table in use.
func (e *Engine) MagicNumbers() []MagicNumber { return e.Magic }
