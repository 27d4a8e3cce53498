package zipwhip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Actions implements mocks.Vendor: the scenario steps Zipwhip timelines
// use. The message steps look up their message_id, and zipwhip.inbound its
// line, which a run must name up front (a line may be left out when the
// workspace has one).
func (m *Mock) Actions() map[string]mocks.ActionSpec {
	params := map[string]func(*store.Tx, string) error{"message_id": checkMessage}
	return map[string]mocks.ActionSpec{
		"zipwhip.message.progress": {Run: m.actionProgress, Params: params, Step: checkProgressStep},
		"zipwhip.message.send":     {Run: m.actionSend, Params: params},
		"zipwhip.message.reply":    {Run: m.actionReply, Params: params},
		"zipwhip.inbound": {Run: m.actionInbound, Step: checkInboundStep,
			Params: map[string]func(*store.Tx, string) error{"line": checkLine}},
	}
}

// actionInbound delivers an inbound message from a number (from) to a line
// of the workspace (line, or its only one), as POST /_sandbox/zipwhip/inbound
// does: a receive event, and an opt-out change for a STOP or UNSTOP word.
func (m *Mock) actionInbound(tx *store.Tx, p map[string]string) error {
	from, ok := normalize(p["from"])
	if !ok {
		return fmt.Errorf("zipwhip.inbound: from %q is not a phone number", p["from"])
	}
	if strings.TrimSpace(p["body"]) == "" {
		return errors.New("zipwhip.inbound: body is empty")
	}
	line, err := inboundLine(tx, p["line"])
	if err != nil {
		return fmt.Errorf("zipwhip.inbound: %w", err)
	}
	_, _, err = m.receive(tx, line, from, p["body"])
	return err
}

// checkLine reports a line that is not one of the workspace's (or, when
// none is named, a workspace without exactly one line), wrapping
// store.ErrNotFound.
func checkLine(tx *store.Tx, v string) error {
	_, err := inboundLine(tx, v)
	var me *mocks.Error
	if errors.As(err, &me) {
		return fmt.Errorf("%s: %w", me.Message, store.ErrNotFound)
	}
	return err
}

// checkInboundStep refuses, when a scenario file loads, a from that is not
// a phone number and an empty body.
func checkInboundStep(with map[string]string) error {
	if v, ok := with["from"]; ok && !strings.Contains(v, "{{") {
		if _, ok := normalize(v); !ok {
			return fmt.Errorf("from %q is not a phone number", v)
		}
	}
	if v, ok := with["body"]; ok && strings.TrimSpace(v) == "" {
		return errors.New("body is empty")
	}
	return nil
}

// MagicNumbers implements mocks.Vendor: outbound messages to NXX-555-01xx.
// A suffix tells the same story as on every vendor that has it.
func (m *Mock) MagicNumbers() []mocks.MagicNumber {
	return []mocks.MagicNumber{
		{Suffix: "00", Trigger: "sms", Scenario: "zipwhip.sms.delivered", Description: "Delivered normally (the default timeline, named explicitly): progress 1, 2, 4, and 6 from a toll-free line."},
		{Suffix: "01", Trigger: "sms", Scenario: "zipwhip.sms.failed", Description: "Fails at the carrier: progress 1, 2, 5."},
		{Suffix: "02", Trigger: "sms", Scenario: "zipwhip.sms.unconfirmed", Description: "Delivered without acknowledgment from the carrier: progress 1, 2, 0."},
		{Suffix: "03", Trigger: "sms", Scenario: "zipwhip.sms.reply_stop", Description: "Delivered, then the contact replies STOP: a receive event and optout/change STOP."},
		{Suffix: "04", Trigger: "sms", Scenario: "zipwhip.sms.reply", Description: "Delivered, then the contact replies with a message (receive)."},
		{Suffix: "05", Trigger: "sms", Scenario: "zipwhip.sms.sending_failed", Description: "Rejected before it is sent: progress 1, then -855 (final), never queued."},
		{Suffix: "06", Trigger: "sms", Scenario: "zipwhip.sms.stuck", Description: "Stays queued forever: progress 1, 2 and nothing final."},
		{Suffix: "07", Trigger: "sms", Scenario: "zipwhip.sms.handset_failed", Description: "Reaches the carrier but fails at the handset: progress 1, 2, 4, then 7 from a toll-free line (a 10-digit line gets no handset receipt and ends at 4)."},
		{Suffix: "08", Trigger: "sms", Scenario: "zipwhip.sms.delayed", Description: "Delivered hours late: progress 1, 2, then 4 three hours later (6 after it from a toll-free line)."},
		{Suffix: "09", Trigger: "sms", Scenario: "zipwhip.sms.spam", Description: "Held by spam protection: progress 1, then -801 (a failure that is not final) and nothing more."},
	}
}

// statusCodes are the statusCode values Zipwhip documents for progress.
var statusCodes = map[int]string{
	0: "delivered, no confirmation", 1: "in process", 2: "queued", 3: "queued", 4: "delivered to carrier",
	5: "failed at carrier", 6: "delivered to handset", 7: "failed at handset",
	-801: "spam protection", -855: "internal error", -1234: "recipient sent STOP",
}

// delivered are the codes of a delivery (they set dateDelivered).
var delivered = map[int]bool{0: true, 4: true, 6: true}

// checkProgressStep refuses, when a scenario file loads, a step that sets
// a status Zipwhip does not have.
func checkProgressStep(with map[string]string) error {
	if v, ok := with["status"]; ok {
		n, err := strconv.Atoi(v)
		if _, known := statusCodes[n]; err != nil || !known {
			return fmt.Errorf("status %q is not a Zipwhip statusCode (0-7, -801, -855, -1234)", v)
		}
	}
	if v := with["only"]; v != "" && v != "tollfree" {
		return fmt.Errorf("only %q is not tollfree", v)
	}
	return nil
}

// checkMessage reports a message_id that names no message of the
// workspace, wrapping store.ErrNotFound.
func checkMessage(tx *store.Tx, id string) error {
	_, err := tx.Get(Vendor, kindMessage, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("message %q %w in this workspace", id, err)
	}
	return err
}

// message returns a stored message and its line.
func message(tx *store.Tx, id string) (*Message, string, error) {
	res, err := tx.Get(Vendor, kindMessage, id)
	if err != nil {
		return nil, "", fmt.Errorf("message %s: %w", id, err)
	}
	msg, err := decode[Message](res)
	return msg, strings.TrimPrefix(res.Parent, "deleted/"), err
}

// actionProgress sets message_id's statusCode to status and emits its
// progress event. With only: tollfree, a message from a line that is not
// toll-free is left alone (handset receipts are toll-free only).
func (m *Mock) actionProgress(tx *store.Tx, p map[string]string) error {
	msg, line, err := message(tx, p["message_id"])
	if err != nil {
		return err
	}
	if p["only"] == "tollfree" && !isTollFree(line) {
		return nil
	}
	code, err := strconv.Atoi(p["status"])
	if err != nil {
		return fmt.Errorf("zipwhip.message.progress needs a numeric status, not %q", p["status"])
	}
	setProgress(msg, code, tx.Now())
	if err := saveMessage(tx, msg); err != nil {
		return err
	}
	return m.emitMessage(tx, line, "message.progress", msg)
}

// setProgress gives msg the status code, and a delivery date when the
// code is a delivery.
func setProgress(msg *Message, code int, now time.Time) {
	msg.StatusCode = code
	if delivered[code] && msg.DateDelivered == nil {
		msg.DateDelivered = strPtr(date(now))
	}
}

// actionSend sends a scheduled message when its time comes.
func (m *Mock) actionSend(tx *store.Tx, p map[string]string) error {
	msg, line, err := message(tx, p["message_id"])
	if err != nil {
		return err
	}
	if msg.Deleted {
		return nil // deleted before its time: never sent
	}
	return m.dispatch(tx, line, msg)
}

// actionReply makes the recipient of message_id answer with body.
func (m *Mock) actionReply(tx *store.Tx, p map[string]string) error {
	msg, line, err := message(tx, p["message_id"])
	if err != nil {
		return err
	}
	_, _, err = m.receive(tx, line, msg.FinalDestination, p["body"])
	return err
}
