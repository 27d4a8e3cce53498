package whippy

import (
	"errors"
	"fmt"
	"strings"

	"vendorsim/mocks"
	"vendorsim/store"
)

// Actions are the scenario steps Whippy timelines use.
func (m *Mock) Actions() map[string]mocks.Action {
	return map[string]mocks.Action{
		"whippy.message.status": m.actionStatus,
		"whippy.message.reply":  m.actionReply,
	}
}

// ParamChecks are, by action and param, the checks of the values that
// Actions look up, so that a run naming a message the workspace does not
// have is refused when it is asked for rather than failing at its first
// step (scenarios.Engine.AddParamCheck).
func (m *Mock) ParamChecks() map[string]map[string]func(tx *store.Tx, value string) error {
	out := map[string]map[string]func(*store.Tx, string) error{}
	for name := range m.Actions() {
		out[name] = map[string]func(*store.Tx, string) error{"message_id": m.checkMessage}
	}
	return out
}

// MessageStatuses are the delivery_status values whippy.message.status
// sets: those seen in Whippy's samples and fixtures, and the Telnyx-style
// set they plausibly come from (see VENDORS.md §1.3).
var MessageStatuses = []string{
	"queued", "pending", "sending", "sent", "delivered", "delivery_unconfirmed",
	"failed", "sending_failed", "delivery_failed", "webhook_delivered", "call_completed",
}

// StepChecks are, by action, the checks of the values scenario steps set
// (scenarios.Engine.AddStepCheck): a scenario file whose step sets a
// status Whippy does not have is refused when it is loaded.
func (m *Mock) StepChecks() map[string]func(with map[string]string) error {
	return map[string]func(map[string]string) error{"whippy.message.status": checkStatusStep}
}

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
	msg.DeliveryStatus = p["status"]
	msg.UpdatedAt = ts(tx.Now())
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
	switch msg.DeliveryStatus {
	case "delivered", "delivery_unconfirmed", "sent":
		if msg.DeliveryStatus != "sent" {
			camp.SentMessages++
			camp.SlatedMessages = max(0, camp.SlatedMessages-1)
		}
	case "failed", "sending_failed", "delivery_failed":
		camp.FailedDeliveries++
		camp.SlatedMessages = max(0, camp.SlatedMessages-1)
	default:
		return nil
	}
	status := camp.Status
	if camp.SlatedMessages == 0 && camp.Status == "in_progress" {
		camp.Status = "completed"
	}
	camp.UpdatedAt = ts(tx.Now())
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
