package scenarios

import "vendorsim/internal/phone"

// MagicNumber maps a destination number in the fictional NANP range
// NXX-555-0100..0199 to the scenario it plays.
type MagicNumber struct {
	// Suffix is the last two digits ("01" for NXX-555-0101).
	Suffix      string `json:"suffix"`
	Vendor      string `json:"vendor"`
	Trigger     string `json:"trigger"`
	Scenario    string `json:"scenario"`
	Description string `json:"description"`
}

// Magic is the built-in magic-number table.
var Magic = []MagicNumber{
	{"00", "whippy", "sms", "whippy.sms.delivered", "Delivered normally (the default timeline, named explicitly)."},
	{"01", "whippy", "sms", "whippy.sms.failed", "Goes to sending, then fails: delivery_status failed."},
	{"02", "whippy", "sms", "whippy.sms.unconfirmed", "Sent, but the carrier never confirms: delivery_unconfirmed."},
	{"03", "whippy", "sms", "whippy.sms.reply_stop", "Delivered, then the contact replies STOP and is opted out of the channel."},
	{"04", "whippy", "sms", "whippy.sms.reply", "Delivered, then the contact replies with a message."},
	{"05", "whippy", "sms", "whippy.sms.sending_failed", "Rejected before sending: delivery_status sending_failed."},
	{"06", "whippy", "sms", "whippy.sms.stuck", "Stays in sending forever."},
}

// ForNumber returns the scenario a magic number selects for a vendor's
// trigger, or def. It implements mocks.Scenarios.
func (e *Engine) ForNumber(vendor, trigger, number, def string) string {
	suffix, ok := phone.Magic(number)
	if !ok {
		return def
	}
	for _, m := range e.magic() {
		if m.Suffix == suffix && m.Vendor == vendor && m.Trigger == trigger {
			return m.Scenario
		}
	}
	return def
}

func (e *Engine) magic() []MagicNumber {
	if e.Magic != nil {
		return e.Magic
	}
	return Magic
}

// MagicNumbers returns the table in use.
func (e *Engine) MagicNumbers() []MagicNumber { return e.magic() }
