package whippy

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// receive stores an INBOUND message from number to a channel: the contact
// and conversation are created when needed, the conversation's unread count
// grows, and message.created (plus lead.new for a new contact) is emitted.
// STOP and START keywords opt the contact out of, or back into, the channel.
func (m *Mock) receive(tx *store.Tx, from, channelID, body string, attachments []string) (*Message, bool, error) {
	chr, err := tx.Get(Vendor, kindChannel, channelID)
	if err != nil {
		return nil, false, err
	}
	ch, err := m.channels.channel(chr)
	if err != nil {
		return nil, false, err
	}
	c, isNew, err := m.createContactAt(tx, &contactInput{Phone: from}, nil, "from")
	if err != nil {
		return nil, false, err
	}
	conv, _, err := m.conversationFor(tx, c, ch, "")
	if err != nil {
		return nil, false, err
	}
	if conv.Status == "closed" {
		// An answer reopens a closed conversation.
		conv.Status = "open"
		if err := tx.SetKeys(Vendor, kindConversation, conv.ID, store.K("status", "open")); err != nil {
			return nil, false, err
		}
	}
	now := tx.Now()
	msg := inboundMessage(c, ch, conv, body, attachments, now)
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: msg.ID, Parent: conv.ID, Doc: mustJSON(msg)}); err != nil {
		return nil, false, err
	}
	if err := m.emit(tx, "message.created", msg); err != nil {
		return nil, false, err
	}
	if err := m.touchConversation(tx, conv, now, 1); err != nil {
		return nil, false, err
	}
	if isNew {
		if err := m.emit(tx, "lead.new", leadEvent(c, conv, msg)); err != nil {
			return nil, false, err
		}
	}
	switch kw := keyword(body); {
	case optOutWords[kw]:
		err = m.setOptIn(tx, c, ch.ID, false)
	case optInWords[kw]:
		err = m.setOptIn(tx, c, ch.ID, true)
	}
	return msg, isNew, err
}

// inboundMessage is the message contact c sends to channel ch in conv at
// t: the data of its message.created.
func inboundMessage(c *Contact, ch *Channel, conv *Conversation, body string, attachments []string, t time.Time) *Message {
	to := ""
	if ch.Phone != nil {
		to = *ch.Phone
	}
	atts := make([]Attachment, 0, len(attachments))
	for _, a := range attachments {
		atts = append(atts, Attachment{URL: a, ContentType: contentType(a)})
	}
	msgType := "sms"
	if len(atts) > 0 {
		msgType = "mms"
	}
	var b *string
	if body != "" {
		b = &body
	}
	return &Message{
		ID: newID(), To: to, From: *c.Phone, Body: b, Direction: "INBOUND", DeliveryStatus: "webhook_delivered", Type: msgType,
		ChannelID: ch.ID, ContactID: &c.ID, ConversationID: conv.ID, Attachments: atts, CreatedAt: ts(t), UpdatedAt: ts(t),
	}
}

// leadEvent is the payload of lead.new: the new contact, its conversation
// and the message it wrote.
func leadEvent(c *Contact, conv *Conversation, msg *Message) map[string]any {
	return map[string]any{"contact": c, "conversation": conv, "inbound_message": msg}
}

// setOptIn records a contact's opt-in or opt-out on a channel.
func (m *Mock) setOptIn(tx *store.Tx, c *Contact, channelID string, in bool) error {
	setPreference(c, channelID, in, tx.Now())
	return m.saveContact(tx, c)
}

// setPreference sets c's opt-in on channelID at t (which saveContact then
// stores as the contact's update).
func setPreference(c *Contact, channelID string, in bool, t time.Time) {
	now := tsSeconds(t)
	found := false
	for i := range c.CommunicationPreferences {
		p := &c.CommunicationPreferences[i]
		if p.ChannelID != channelID {
			continue
		}
		found = true
		p.OptIn, p.UpdatedAt = in, now
		if in {
			p.OptInDate = &now
		} else {
			p.OptOutDate = &now
		}
	}
	if !found {
		p := CommPref{ID: newID(), ChannelID: channelID, ContactID: c.ID, OptIn: in, CreatedAt: now, UpdatedAt: now}
		if in {
			p.OptInDate = &now
		} else {
			p.OptOutDate = &now
		}
		c.CommunicationPreferences = append(c.CommunicationPreferences, p)
	}
}

// inboundInput is the body of POST /_sandbox/whippy/inbound.
type inboundInput struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	Body        string   `json:"body"`
	Attachments []string `json:"attachments"`
}

// SimulateInbound serves POST /_sandbox/whippy/inbound: a message from a
// phone to one of the workspace's channels (by phone or id).
func (m *Mock) SimulateInbound(w http.ResponseWriter, r *http.Request) error {
	var in inboundInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Body) == "" && len(in.Attachments) == 0 {
		return invalid("body", "body is required unless attachments are given")
	}
	from, ok := phone.Normalize(in.From)
	if !ok {
		return invalid("from", "from is not a valid phone number")
	}
	var msg *Message
	var isNew bool
	err := m.update(r.Context(), func(tx *store.Tx) error {
		// to is a channel id or a channel phone number.
		ch, err := m.channelByRef(tx, in.To, "")
		if errors.Is(err, store.ErrNotFound) {
			ch, err = m.channelByRef(tx, "", in.To)
		}
		if errors.Is(err, store.ErrNotFound) {
			return invalid("to", "to must be the phone number or id of one of the workspace's channels")
		}
		if err != nil {
			return err
		}
		msg, isNew, err = m.receive(tx, from, ch.ID, in.Body, in.Attachments)
		return err
	})
	if err != nil {
		return err
	}
	// optout says what the body did to the contact's opt-in, as Zipwhip's
	// simulator answers: STOP (opted out of the channel), UNSTOP (back in).
	var optout any
	switch kw := keyword(in.Body); {
	case optOutWords[kw]:
		optout = "STOP"
	case optInWords[kw]:
		optout = "UNSTOP"
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]any{"data": msg, "new_contact": isNew, "optout": optout})
	return nil
}
