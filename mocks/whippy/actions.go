package whippy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Actions implements mocks.Vendor: the scenario steps Whippy timelines use.
// Both look up their message_id, which a run must name up front.
func (m *Mock) Actions() map[string]mocks.ActionSpec {
	params := map[string]func(*store.Tx, string) error{"message_id": m.checkMessage}
	return map[string]mocks.ActionSpec{
		"whippy.message.status": {Run: m.actionStatus, Params: params, Step: checkStatusStep},
		"whippy.message.reply":  {Run: m.actionReply, Params: params},
		"whippy.inbound": {Run: m.actionInbound, Step: checkInboundStep,
			Params: map[string]func(*store.Tx, string) error{"channel": m.checkChannel}},
	}
}

// actionInbound delivers an inbound message from a number (from) to a
// channel of the workspace (channel: its phone number or id), as
// POST /_sandbox/whippy/inbound does.
func (m *Mock) actionInbound(tx *store.Tx, p map[string]string) error {
	from, ok := phone.Normalize(p["from"])
	if !ok {
		return fmt.Errorf("whippy.inbound: from %q is not a phone number", p["from"])
	}
	ch, err := m.channelFor(tx, p["channel"])
	if err != nil {
		return err
	}
	_, _, err = m.receive(tx, from, ch.ID, p["body"], nil)
	return err
}

// channelFor finds a channel by id or phone number.
func (m *Mock) channelFor(tx *store.Tx, ref string) (*Channel, error) {
	ch, err := m.channelByRef(tx, ref, "")
	if errors.Is(err, store.ErrNotFound) {
		ch, err = m.channelByRef(tx, "", ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("channel %q (a phone number or id of the workspace's channels) %w", ref, err)
	}
	return ch, err
}

// checkChannel reports a channel that is not the workspace's.
func (m *Mock) checkChannel(tx *store.Tx, ref string) error {
	_, err := m.channelFor(tx, ref)
	return err
}

// checkInboundStep refuses a from that is not a phone number and an empty
// body, when the scenario file is loaded.
func checkInboundStep(with map[string]string) error {
	if v, ok := with["from"]; ok && !strings.Contains(v, "{{") {
		if _, ok := phone.Normalize(v); !ok {
			return fmt.Errorf("from %q is not a phone number", v)
		}
	}
	if v, ok := with["body"]; ok && strings.TrimSpace(v) == "" {
		return errors.New("body is empty")
	}
	return nil
}

// MagicNumbers implements mocks.Vendor: outbound SMS to NXX-555-01xx.
func (m *Mock) MagicNumbers() []mocks.MagicNumber {
	return []mocks.MagicNumber{
		{Suffix: "00", Trigger: "sms", Scenario: "whippy.sms.delivered", Description: "Delivered normally (the default timeline, named explicitly)."},
		{Suffix: "01", Trigger: "sms", Scenario: "whippy.sms.failed", Description: "Goes to sending, then fails: delivery_status failed."},
		{Suffix: "02", Trigger: "sms", Scenario: "whippy.sms.unconfirmed", Description: "Sent, but the carrier never confirms: delivery_unconfirmed."},
		{Suffix: "03", Trigger: "sms", Scenario: "whippy.sms.reply_stop", Description: "Delivered, then the contact replies STOP and is opted out of the channel."},
		{Suffix: "04", Trigger: "sms", Scenario: "whippy.sms.reply", Description: "Delivered, then the contact replies with a message."},
		{Suffix: "05", Trigger: "sms", Scenario: "whippy.sms.sending_failed", Description: "Rejected before sending: delivery_status sending_failed."},
		{Suffix: "06", Trigger: "sms", Scenario: "whippy.sms.stuck", Description: "Stays in sending forever."},
		{Suffix: "07", Trigger: "sms", Scenario: "whippy.sms.receipt_failed", Description: "Sent, then the carrier's delivery receipt reports a failure: delivery_failed."},
		{Suffix: "08", Trigger: "sms", Scenario: "whippy.sms.delivered_late", Description: "Sent, then delivered three hours later (for clock tests)."},
	}
}

// MessageStatuses are the delivery_status values whippy.message.status
// sets: those seen in Whippy's samples and fixtures, and the Telnyx-style
// set they plausibly come from (see VENDORS.md §1.3).
var MessageStatuses = []string{
	"queued", "pending", "sending", "sent", "delivered", "delivery_unconfirmed",
	"failed", "sending_failed", "delivery_failed", "webhook_delivered", "call_completed",
}

// checkStatusStep refuses a scenario step that sets a status Whippy does
// not have, when the scenario file is loaded.
func checkStatusStep(with map[string]string) error {
	v, ok := with["status"]
	if !ok {
		return nil // given by the run's params
	}
	for _, s := range MessageStatuses {
		if v == s {
			return nil
		}
	}
	return fmt.Errorf("status %q is not a Whippy delivery_status (one of %s)", v, strings.Join(MessageStatuses, ", "))
}

// checkMessage reports a message_id that names no message of the
// workspace, wrapping store.ErrNotFound.
func (m *Mock) checkMessage(tx *store.Tx, id string) error {
	_, err := tx.Get(Vendor, kindMessage, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("message %q %w in this workspace", id, err)
	}
	return err
}

// actionStatus sets message_id's delivery_status to status and emits
// message.updated; a campaign recipient follows its message.
func (m *Mock) actionStatus(tx *store.Tx, p map[string]string) error {
	msg, err := m.message(tx, p["message_id"])
	if err != nil {
		return err
	}
	if p["status"] == "" {
		return errors.New("whippy.message.status needs a status")
	}
	msg.setStatus(p["status"], tx.Now())
	if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: msg.ID, Doc: mustJSON(msg)}); err != nil {
		return err
	}
	if msg.CampaignContactID != nil {
		if err := m.syncCampaignContact(tx, msg); err != nil {
			return err
		}
	}
	return m.emit(tx, "message.updated", msg)
}

// setStatus sets the message's delivery_status at t: the data of
// message.updated.
func (msg *Message) setStatus(status string, t time.Time) {
	msg.DeliveryStatus = status
	msg.UpdatedAt = ts(t)
}

func (m *Mock) message(tx *store.Tx, id string) (*Message, error) {
	r, err := tx.Get(Vendor, kindMessage, id)
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	return decode[Message](r)
}

// syncCampaignContact copies a campaign message's status to its recipient
// row and the campaign's counters.
func (m *Mock) syncCampaignContact(tx *store.Tx, msg *Message) error {
	r, err := tx.Get(Vendor, kindCampaignContact, *msg.CampaignContactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	cc, err := decode[CampaignContact](r)
	if err != nil {
		return err
	}
	cc.DeliveryStatus = &msg.DeliveryStatus
	cc.UpdatedAt = ts(tx.Now())
	if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindCampaignContact, ID: cc.ID, Doc: mustJSON(cc)}); err != nil {
		return err
	}
	cr, err := tx.Get(Vendor, kindCampaign, cc.CampaignID)
	if err != nil {
		return err
	}
	camp, err := decode[Campaign](cr)
	if err != nil {
		return err
	}
	status := camp.Status
	if !camp.count(msg.DeliveryStatus, tx.Now()) {
		return nil
	}
	if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindCampaign, ID: camp.ID, Doc: mustJSON(camp)}); err != nil {
		return err
	}
	if status != camp.Status {
		if err := tx.SetKeys(Vendor, kindCampaign, camp.ID, store.K("status", camp.Status)); err != nil {
			return err
		}
		return m.emit(tx, "campaign.updated", campaignEvent(camp))
	}
	return nil
}

// count counts a recipient's message reaching delivery_status status at t
// in the campaign's counters, completing the campaign once none is slated
// (the data of campaign.updated); it reports false for a status that
// counts nothing, and then changes nothing.
func (camp *Campaign) count(status string, t time.Time) bool {
	switch status {
	case "delivered", "delivery_unconfirmed", "sent":
		if status != "sent" {
			camp.SentMessages++
			camp.SlatedMessages = max(0, camp.SlatedMessages-1)
		}
	case "failed", "sending_failed", "delivery_failed":
		camp.FailedDeliveries++
		camp.SlatedMessages = max(0, camp.SlatedMessages-1)
	default:
		return false
	}
	if camp.SlatedMessages == 0 && camp.Status == "in_progress" {
		camp.Status = "completed"
	}
	camp.UpdatedAt = ts(t)
	return true
}

// actionReply makes the recipient of message_id answer with body.
func (m *Mock) actionReply(tx *store.Tx, p map[string]string) error {
	msg, err := m.message(tx, p["message_id"])
	if err != nil {
		return err
	}
	_, _, err = m.receive(tx, msg.To, msg.ChannelID, p["body"], nil)
	return err
}

// optOutWords and optInWords are the carrier keywords a reply is checked
// for.
var (
	optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true}
	optInWords  = map[string]bool{"START": true, "UNSTOP": true, "YES": true}
)

func keyword(body string) string {
	return strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!"))
}
