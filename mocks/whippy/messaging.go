package whippy

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// sendInput is the body of the messaging endpoints.
type sendInput struct {
	To                 string            `json:"to"`
	From               string            `json:"from"`
	Body               *string           `json:"body"`
	Subject            *string           `json:"subject"`
	Attachments        []string          `json:"attachments"`
	ScheduleAt         string            `json:"schedule_at"`
	OptInToAllChannels bool              `json:"opt_in_to_all_channels"`
	OptInTo            []json.RawMessage `json:"opt_in_to"`
	ConversationStatus string            `json:"conversation_status"`
	CC                 json.RawMessage   `json:"cc"`
	BCC                json.RawMessage   `json:"bcc"`
}

// emailAddresses reads cc or bcc: a list of addresses, or one string that
// may hold several separated by commas (both forms are sent by Whippy's
// clients; the vendor's own rule is unknown).
func emailAddresses(field string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if strings.TrimSpace(one) == "" {
			return nil, nil
		}
		addrs, err := mail.ParseAddressList(one)
		if err != nil {
			return nil, invalid(field, "%s is not a valid email address or list of addresses", field)
		}
		for _, a := range addrs {
			list = append(list, a.Address)
		}
		return list, nil
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid(field, "%s must be an email address or a list of them", field)
	}
	for i, s := range list {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, invalid(field, "%s.%d is not a valid email address", field, i)
		}
		list[i] = a.Address
	}
	return list, nil
}

// messageKind is what an endpoint sends.
type messageKind string

const (
	sendSMS   messageKind = "sms"
	sendEmail messageKind = "email"
	sendFax   messageKind = "fax"
	sendNote  messageKind = "note"
)

// outbound describes one message to create.
type outbound struct {
	kind        messageKind
	channel     *Channel
	contact     *Contact
	to          string
	body        *string
	subject     *string
	attachments []string
	scheduleAt  time.Time
	convStatus  string
	campaignID  *string
	campaignCID *string
	sequenceID  *string
	stepID      *string
	stepCID     *string
	// accepted is set by deliver to the status the message was accepted
	// with: what the receipt says, even when the carrier then refuses it.
	accepted string
}

// MessageReceipt is what a send returns.
type MessageReceipt struct {
	ID             string `json:"id"`
	ContactID      string `json:"contact_id"`
	ConversationID string `json:"conversation_id"`
	DeliveryStatus string `json:"delivery_status"`
}

func (m *Mock) sendSMSHandler(w http.ResponseWriter, r *http.Request) error {
	return m.send(w, r, sendSMS)
}

func (m *Mock) sendEmailHandler(w http.ResponseWriter, r *http.Request) error {
	return m.send(w, r, sendEmail)
}

func (m *Mock) sendFaxHandler(w http.ResponseWriter, r *http.Request) error {
	return m.send(w, r, sendFax)
}

func (m *Mock) sendNoteHandler(w http.ResponseWriter, r *http.Request) error {
	return m.send(w, r, sendNote)
}

// send serves the messaging endpoints: it creates the contact and the
// conversation when needed, stores an OUTBOUND message and starts its
// delivery timeline.
func (m *Mock) send(w http.ResponseWriter, r *http.Request, kind messageKind) error {
	var in sendInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := m.checkBody(kind, in.Body, in.Attachments); err != nil {
		return err
	}
	if kind == sendEmail {
		for _, f := range []struct {
			name string
			raw  json.RawMessage
		}{{"cc", in.CC}, {"bcc", in.BCC}} {
			if _, err := emailAddresses(f.name, f.raw); err != nil {
				return err
			}
		}
	}
	var receipt MessageReceipt
	err := m.update(r.Context(), func(tx *store.Tx) error {
		out := outbound{kind: kind, body: in.Body, subject: in.Subject, attachments: in.Attachments, convStatus: in.ConversationStatus}
		var err error
		if out.channel, err = m.fromChannel(tx, kind, in.From); err != nil {
			return err
		}
		if out.scheduleAt, err = optionalTime("schedule_at", in.ScheduleAt); err != nil {
			return err
		}
		ci := contactInput{OptInTo: in.OptInTo, OptInToAllChannels: in.OptInToAllChannels}
		if kind == sendEmail {
			addr, err := mail.ParseAddress(in.To)
			if err != nil {
				return invalid("to", "to is not a valid email address")
			}
			out.to = strings.ToLower(addr.Address)
			ci.Email = out.to
			if out.contact, err = m.contactByEmail(tx, &ci); err != nil {
				return err
			}
		} else {
			if out.to, err = normalizePhone("to", in.To); err != nil {
				return err
			}
			ci.Phone = out.to
			if out.contact, _, err = m.createContactAt(tx, &ci, nil, "to"); err != nil {
				return err
			}
		}
		msg, conv, err := m.deliver(tx, &out)
		if err != nil {
			return err
		}
		receipt = MessageReceipt{ID: msg.ID, ContactID: out.contact.ID, ConversationID: conv.ID, DeliveryStatus: out.accepted}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusCreated, receipt)
	return nil
}

// checkBody enforces the body rules: at most BodyMaxLength characters for
// SMS, notes and campaigns, and a body or attachments for SMS and email.
// The configuration is the only source of the limit (the spec states
// none), and characters are grapheme clusters, as Elixir's String.length
// counts them.
func (m *Mock) checkBody(kind messageKind, body *string, attachments []string) error {
	n := 0
	if body != nil {
		n = graphemes(*body)
	}
	if kind != sendEmail && n > m.cfg.BodyMaxLength {
		return invalid("body", "body must be at most %d characters (got %d)", m.cfg.BodyMaxLength, n)
	}
	if (kind == sendSMS || kind == sendEmail) && n == 0 && len(attachments) == 0 {
		return invalid("body", "body is required unless attachments are given")
	}
	for i, a := range attachments {
		if !strings.HasPrefix(a, "http://") && !strings.HasPrefix(a, "https://") {
			return invalid("attachments", "attachments.%d must be an http(s) URL", i)
		}
	}
	return nil
}

// fromChannel finds the channel a message is sent from: by phone for SMS,
// fax and notes, by address for email.
func (m *Mock) fromChannel(tx *store.Tx, kind messageKind, from string) (*Channel, error) {
	if kind == sendEmail {
		r, err := tx.Lookup(Vendor, kindChannel, "email", strings.ToLower(strings.TrimSpace(from)))
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid("from", "from must be the address of one of your email channels")
		}
		if err != nil {
			return nil, err
		}
		return m.channels.channel(r)
	}
	p, ok := phone.Normalize(from)
	if !ok {
		return nil, invalid("from", "from is not a valid phone number")
	}
	r, err := tx.Lookup(Vendor, kindChannel, "phone", p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid("from", "from must be the phone number of one of your channels (%s is not)", p)
	}
	if err != nil {
		return nil, err
	}
	return m.channels.channel(r)
}

// channelByRef finds a channel by id or phone.
func (m *Mock) channelByRef(tx *store.Tx, id, number string) (*Channel, error) {
	var r *store.Resource
	var err error
	switch {
	case id != "":
		r, err = tx.Get(Vendor, kindChannel, id)
	case number != "":
		p, ok := phone.Normalize(number)
		if !ok {
			return nil, store.ErrNotFound
		}
		r, err = tx.Lookup(Vendor, kindChannel, "phone", p)
	default:
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return m.channels.channel(r)
}

// contactByEmail returns the contact with in.Email, creating it.
func (m *Mock) contactByEmail(tx *store.Tx, in *contactInput) (*Contact, error) {
	if r, err := tx.Lookup(Vendor, kindContact, "email", in.Email); err == nil {
		return decode[Contact](r)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	optIns, err := m.optInChannels(tx, in.OptInTo, in.OptInToAllChannels, "opt_in_to")
	if err != nil {
		return nil, err
	}
	c := m.newContact(tx, in)
	for _, ch := range optIns {
		addOptIn(tx, c, ch)
	}
	return c, m.insertContact(tx, c)
}

// deliver stores an outbound message in the contact's conversation on the
// channel (creating it), and starts the message's delivery timeline.
func (m *Mock) deliver(tx *store.Tx, out *outbound) (*Message, *Conversation, error) {
	conv, _, err := m.conversationFor(tx, out.contact, out.channel, out.convStatus)
	if err != nil {
		return nil, nil, err
	}
	now := tx.Now()
	status := m.cfg.InitialStatus
	if out.kind == sendNote {
		status = "delivered"
	} else if !out.scheduleAt.IsZero() && out.scheduleAt.After(now) {
		status = "scheduled"
	}
	msg := outboundMessage(out, conv, status, now)
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: msg.ID, Parent: conv.ID, Doc: mustJSON(msg)}); err != nil {
		return nil, nil, err
	}
	if err := m.emit(tx, "message.created", msg); err != nil {
		return nil, nil, err
	}
	if err := m.touchConversation(tx, conv, now, 0); err != nil {
		return nil, nil, err
	}
	out.accepted = msg.DeliveryStatus
	refused, err := m.refuseOptedOut(tx, out, msg)
	if err != nil {
		return nil, nil, err
	}
	if !refused && out.kind != sendNote && m.scen != nil {
		start := now
		if status == "scheduled" {
			start = out.scheduleAt
		}
		name := m.scen.ForNumber(Vendor, string(out.kind), out.to, "whippy."+string(out.kind)+".delivered")
		if _, err := m.scen.Start(tx, name, start, map[string]string{"message_id": msg.ID, "conversation_id": conv.ID}); err != nil {
			return nil, nil, err
		}
	}
	return msg, conv, nil
}

// outboundMessage is the message out sends in conv at t, with
// delivery_status status: the data of its message.created.
func outboundMessage(out *outbound, conv *Conversation, status string, t time.Time) *Message {
	msgType := string(out.kind)
	if out.kind == sendSMS && len(out.attachments) > 0 {
		msgType = "mms"
	}
	from := ""
	if out.channel.Phone != nil {
		from = *out.channel.Phone
	} else if out.channel.Email != nil {
		from = *out.channel.Email
	}
	atts := make([]Attachment, 0, len(out.attachments))
	for _, a := range out.attachments {
		atts = append(atts, Attachment{URL: a, ContentType: contentType(a)})
	}
	return &Message{
		ID: newID(), To: out.to, From: from, Body: out.body, Direction: "OUTBOUND", DeliveryStatus: status,
		Type: msgType, ChannelID: out.channel.ID, ContactID: &out.contact.ID, ConversationID: conv.ID,
		Attachments: atts, CampaignID: out.campaignID, CampaignContactID: out.campaignCID,
		SequenceID: out.sequenceID, StepID: out.stepID, StepContactID: out.stepCID,
		Subject: out.subject, CreatedAt: ts(t), UpdatedAt: ts(t),
	}
}

// contentType guesses an attachment's type from its URL.
func contentType(u string) string {
	lower := strings.ToLower(u)
	if i := strings.IndexAny(lower, "?#"); i >= 0 {
		lower = lower[:i]
	}
	for ext, ct := range map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
		".pdf": "application/pdf", ".mp4": "video/mp4", ".wav": "audio/x-wav", ".mp3": "audio/mpeg", ".json": "application/json"} {
		if strings.HasSuffix(lower, ext) {
			return ct
		}
	}
	return "application/octet-stream"
}

// conversationFor returns the contact's conversation on the channel,
// creating it. status, when set, becomes the conversation's status.
func (m *Mock) conversationFor(tx *store.Tx, c *Contact, ch *Channel, status string) (*Conversation, bool, error) {
	r, err := tx.Lookup(Vendor, kindConversation, "contact_channel", c.ID+":"+ch.ID)
	if err == nil {
		conv, err := decode[Conversation](r)
		if err != nil {
			return nil, false, err
		}
		if status != "" && conv.Status != status {
			conv.Status = status
			if err := tx.SetKeys(Vendor, kindConversation, conv.ID, store.K("status", status)); err != nil {
				return nil, false, err
			}
		}
		return conv, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	conv := newConversation(c, ch, status, tx.Now())
	keys := append([]store.Key{
		store.K("contact_channel", c.ID+":"+ch.ID), store.K("contact", c.ID), store.K("channel", ch.ID),
		store.K("status", conv.Status), store.K("type", conv.ChannelType), store.K("unread_count", "0"),
	}, conversationContactKeys(c)...)
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindConversation, ID: conv.ID, Doc: mustJSON(conv), Keys: keys}); err != nil {
		return nil, false, err
	}
	if err := tx.AddKeys(Vendor, kindContact, c.ID, store.K("channel", ch.ID)); err != nil {
		return nil, false, err
	}
	if err := m.emit(tx, "conversation.created", conv); err != nil {
		return nil, false, err
	}
	return conv, true, nil
}

// newConversation is contact c's new conversation on channel ch, created
// at t with status (open when ""): the data of conversation.created.
func newConversation(c *Contact, ch *Channel, status string, t time.Time) *Conversation {
	if status == "" {
		status = "open"
	}
	now := ts(t)
	chType := ch.Type
	if chType == "whatsapp" {
		chType = "phone"
	}
	return &Conversation{
		ID: newID(), Status: status, ChannelID: ch.ID, ChannelType: chType, ContactID: c.ID,
		Language: strPtr("en"), ContactLanguage: strPtr("en"), CreatedAt: now, UpdatedAt: now,
	}
}

// touch records a new message at t in the conversation, updated at now,
// adding unread to its unread count: the data of conversation.updated.
func (conv *Conversation) touch(t, now time.Time, unread int) {
	conv.LastMessageDate = tsPtr(t)
	conv.LastMessageTimestamp = conv.LastMessageDate
	conv.UpdatedAt = ts(now)
	conv.UnreadCount += unread
}

// touchConversation records a new message at t in the conversation, adding
// unread to its unread count, and emits conversation.updated.
func (m *Mock) touchConversation(tx *store.Tx, conv *Conversation, t time.Time, unread int) error {
	conv.touch(t, tx.Now(), unread)
	if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindConversation, ID: conv.ID, Doc: mustJSON(conv)}); err != nil {
		return err
	}
	keys := []store.Key{store.K("last_message_date", *conv.LastMessageDate)}
	if unread != 0 {
		keys = append(keys, store.K("unread_count", itoa(conv.UnreadCount)))
	}
	if err := tx.SetKeys(Vendor, kindConversation, conv.ID, keys...); err != nil {
		return err
	}
	return m.emit(tx, "conversation.updated", conv)
}
