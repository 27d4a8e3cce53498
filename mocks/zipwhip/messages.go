package zipwhip

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Scenario names the send handler starts.
const (
	scenarioDelivered = "zipwhip.sms.delivered"
	scenarioOptedOut  = "zipwhip.sms.opted_out"
	scenarioScheduled = "zipwhip.sms.scheduled"
	// messageTransport is the 2020 payloads' value (2015's was 9).
	messageTransport = 5
)

// token is one recipient's part of message/send's answer: root and
// message are strings, contact and device numbers, as Zipwhip types them.
type token struct {
	Contact     int64  `json:"contact"`
	Device      int64  `json:"device"`
	Fingerprint string `json:"fingerprint"`
	Message     string `json:"message"`
}

type sendResult struct {
	Fingerprint *string `json:"fingerprint"`
	Root        string  `json:"root"`
	Tokens      []token `json:"tokens"`
}

// parseContacts reads message/send's contacts: one number or several
// separated by commas, each E.164, 10-digit or with ptn:/. Repeats are
// sent once.
func parseContacts(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, invalid("contacts", "contacts is required: a phone number, or several separated by commas")
	}
	var out []string
	seen := map[string]bool{}
	for i, part := range strings.Split(v, ",") {
		n, ok := normalize(part)
		if !ok {
			if strings.TrimSpace(part) == "" {
				return nil, invalid("contacts", "contacts has an empty entry at position %d", i+1)
			}
			return nil, invalid("contacts", "contacts entry %q is not a phone number (E.164, 10-digit, or ptn:/ followed by either)", clip(strings.TrimSpace(part)))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) > 100 {
		return nil, invalid("contacts", "contacts names %d recipients; at most 100 are accepted", len(out))
	}
	return out, nil
}

// send serves message/send: one MT message per contact, each starting its
// timeline (send, then progress 1, 2, 4; the destination's magic number or
// an opt-out changes it). With scheduledDate in the future, the messages
// wait for the workspace's clock.
func (m *Mock) send(w http.ResponseWriter, r *http.Request) error {
	contacts, err := parseContacts(mocks.Params(r).Get("contacts"))
	if err != nil {
		return err
	}
	body := mocks.Params(r).Get("body")
	if strings.TrimSpace(body) == "" {
		return invalid("body", "body is required")
	}
	if n := utf16Len(body); n > m.cfg.BodyMaxLength {
		return invalid("body", "%d Invalid Parameter Length: body is %d characters long; at most %d are accepted", codeInvalidLength, n, m.cfg.BodyMaxLength)
	}
	var at time.Time
	if v := param(r, "scheduledDate"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 || ms > 253402300799999 {
			return invalid("scheduledDate", "scheduledDate must be a time in epoch milliseconds")
		}
		at = time.UnixMilli(ms).UTC()
	}
	var res sendResult
	err = m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		scheduled := !at.IsZero() && at.After(tx.Now())
		for _, c := range contacts {
			msg, err := m.outbound(tx, s, c, body, at, scheduled)
			if err != nil {
				return err
			}
			res.Tokens = append(res.Tokens, token{Contact: msg.ContactID, Device: s.DeviceID, Fingerprint: msg.Fingerprint, Message: strconv.FormatInt(msg.ID, 10)})
		}
		res.Root = strconv.FormatInt(rootOf(res.Tokens), 10)
		if len(res.Tokens) == 1 {
			res.Fingerprint = &res.Tokens[0].Fingerprint
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, res)
}

// rootOffset sets a send's root apart from every message id: the root is
// its last message's id plus this (still a positive int64 past 2^53).
const rootOffset = 1 << 59

// rootOf is the root of a send's tokens.
func rootOf(tokens []token) int64 {
	last, _ := strconv.ParseInt(tokens[len(tokens)-1].Message, 10, 64)
	return last + rootOffset
}

// nextID is the next message id.
func nextID(tx *store.Tx) (int64, error) {
	n, err := tx.NextSeq("zipwhip.message")
	return messageIDBase + n, err
}

// outbound stores an MT message from the session's line to number and
// starts what follows: now, its send event and timeline; when scheduled, a
// timeline that sends it at at.
func (m *Mock) outbound(tx *store.Tx, s *session, number, body string, at time.Time, scheduled bool) (*Message, error) {
	c, err := m.contactFor(tx, s.Line, number, s.DeviceID)
	if err != nil {
		return nil, err
	}
	msg, err := m.newMessage(tx, s.Line, c, "MT", body, s.DeviceID)
	if err != nil {
		return nil, err
	}
	if !at.IsZero() {
		msg.ScheduledDate = strPtr(date(at))
	}
	if err := m.insertMessage(tx, s.Line, msg, body); err != nil {
		return nil, err
	}
	if _, err := m.touchConversation(tx, s.Line, c, msg, 0); err != nil {
		return nil, err
	}
	if scheduled {
		if m.scen == nil {
			return msg, nil
		}
		_, err := m.scen.Start(tx, scenarioScheduled, at, map[string]string{"message_id": strconv.FormatInt(msg.ID, 10)})
		return msg, err
	}
	return msg, m.dispatch(tx, s.Line, msg)
}

// dispatch sends a stored MT message: its send event, then the timeline
// its destination selects.
func (m *Mock) dispatch(tx *store.Tx, line string, msg *Message) error {
	if err := m.emitMessage(tx, line, "message.send", msg); err != nil {
		return err
	}
	if m.scen == nil {
		return nil
	}
	name := m.scen.ForNumber(Vendor, "sms", msg.FinalDestination, scenarioDelivered)
	out, err := optedOut(tx, line, msg.FinalDestination)
	if err != nil {
		return err
	}
	if out {
		name = scenarioOptedOut
	}
	_, err = m.scen.Start(tx, name, tx.Now(), map[string]string{"message_id": strconv.FormatInt(msg.ID, 10)})
	return err
}

// newMessage builds a message of a line with contact c; a body longer than
// the body field keeps its start there and sets hasAttachment.
func (m *Mock) newMessage(tx *store.Tx, line string, c *Contact, typ, body string, device int64) (*Message, error) {
	id, err := nextID(tx)
	if err != nil {
		return nil, err
	}
	return m.messageObject(id, tx.Now(), line, c, typ, body, device), nil
}

// messageObject is a new message id of type typ ("MT" from line to c, "MO"
// from c to line), created at now.
func (m *Mock) messageObject(id int64, now time.Time, line string, c *Contact, typ, body string, device int64) *Message {
	contact := c.MobileNumber
	msg := &Message{
		Body: body, BodySize: utf16Len(body), Address: ptn(contact), MessageType: typ,
		Fingerprint: fingerprint(line, contact), ID: id, Visible: true, ContactID: c.ID, DeviceID: device,
		MessageTransport: messageTransport, DateCreated: date(now), StatusCode: 1, MessageStatus: m.cfg.MessageStatus,
	}
	if typ == "MO" {
		msg.FinalSource, msg.FinalDestination, msg.StatusCode = contact, line, 4
	} else {
		msg.FinalSource, msg.FinalDestination = line, contact
	}
	if utf16Len(body) > m.cfg.BodyFieldLength {
		msg.Body, msg.HasAttachment = utf16Prefix(body, m.cfg.BodyFieldLength), true
	}
	return msg
}

// insertMessage stores msg under its line, and a long body's whole text as
// its .txt attachment.
func (m *Mock) insertMessage(tx *store.Tx, line string, msg *Message, body string) error {
	id := strconv.FormatInt(msg.ID, 10)
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: id, Parent: line, Doc: mustJSON(msg),
		Keys: []store.Key{store.K("fingerprint", msg.Fingerprint)}}); err != nil {
		return err
	}
	if !msg.HasAttachment {
		return nil
	}
	n, err := tx.NextSeq("zipwhip.attachment")
	if err != nil {
		return err
	}
	a := attachmentDoc{Attachment: Attachment{ID: attachmentBase + n, MessageID: msg.ID, StorageKey: fmt.Sprintf("%d-%s", msg.ID, fingerprint(id, "text")),
		FileName: "message.txt", MimeType: "text/plain", Size: len(body), DateCreated: msg.DateCreated}, Text: body, Line: line}
	return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindAttachment, ID: a.StorageKey, Parent: id, Doc: mustJSON(a)})
}

// saveMessage writes a changed message back.
func saveMessage(tx *store.Tx, msg *Message) error {
	return tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: strconv.FormatInt(msg.ID, 10), Doc: mustJSON(msg)})
}

// lineMessage returns message id of the session's line, deleted or not.
func lineMessage(tx *store.Tx, line, field, id string) (*Message, *store.Resource, error) {
	res, err := tx.Get(Vendor, kindMessage, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && res.Parent != line && res.Parent != deletedParent(line)) {
		return nil, nil, notFound(field, "%s %s is not a message of this line", field, clip(id))
	}
	if err != nil {
		return nil, nil, err
	}
	msg, err := decode[Message](res)
	return msg, res, err
}

// deletedParent holds a line's deleted messages out of its lists.
func deletedParent(line string) string { return "deleted/" + line }

func (m *Mock) listMessages(w http.ResponseWriter, r *http.Request) error {
	limit, start := page(r)
	var docs [][]byte
	var total int
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		list, n, err := tx.List(store.Query{Vendor: Vendor, Kind: kindMessage, Parent: s.Line, HasParent: true, Limit: limit, Offset: start, Count: true})
		if err != nil {
			return err
		}
		total = n
		for _, res := range list {
			docs = append(docs, res.Doc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return okList(w, total, docs)
}

func (m *Mock) getMessage(w http.ResponseWriter, r *http.Request) error {
	var doc []byte
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		if _, err := idParam(r, "message"); err != nil {
			return err
		}
		_, res, err := lineMessage(tx, s.Line, "message", param(r, "message"))
		if err != nil {
			return err
		}
		doc = res.Doc
		return nil
	})
	if err != nil {
		return err
	}
	return okRaw(w, doc)
}

// okRaw writes {"success":true,"response":<doc>}.
func okRaw(w http.ResponseWriter, doc []byte) error {
	b := make([]byte, 0, len(doc)+32)
	b = append(b, `{"success":true,"response":`...)
	b = append(append(b, doc...), '}')
	mocks.WriteRaw(w, http.StatusOK, b)
	return nil
}

// messageIDs reads message, or messages (ids separated by commas), of
// message/read and message/delete.
func messageIDs(r *http.Request) (string, []string, error) {
	field, v := "message", param(r, "message")
	if v == "" {
		field, v = "messages", param(r, "messages")
	}
	if v == "" {
		return "", nil, invalid("message", "message is required (or messages, ids separated by commas)")
	}
	var ids []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if n, err := strconv.ParseInt(p, 10, 64); err != nil || n <= 0 {
			return "", nil, invalid(field, "%s must hold numeric message ids, not %q", field, clip(p))
		}
		ids = append(ids, p)
	}
	if len(ids) > 1000 {
		return "", nil, invalid(field, "%s names %d messages; at most 1000 are accepted", field, len(ids))
	}
	return field, ids, nil
}

// readMessages serves message/read: each message is marked read (once),
// its conversation's unread count drops, and a read event goes out.
func (m *Mock) readMessages(w http.ResponseWriter, r *http.Request) error {
	return m.eachMessage(w, r, func(tx *store.Tx, line string, msg *Message) error {
		if msg.Read {
			return nil
		}
		markRead(msg, tx.Now())
		if err := saveMessage(tx, msg); err != nil {
			return err
		}
		if msg.MessageType == "MO" && !msg.Deleted {
			if err := m.addUnread(tx, msg.Fingerprint, -1); err != nil {
				return err
			}
		}
		return m.emitMessage(tx, line, "message.read", msg)
	})
}

// deleteMessages serves message/delete: each message is marked deleted,
// leaves its line's lists, and a delete event goes out.
func (m *Mock) deleteMessages(w http.ResponseWriter, r *http.Request) error {
	return m.eachMessage(w, r, m.removeMessage)
}

// eachMessage runs fn, in one update, on each message the request names
// (messageIDs) on its session's line, and answers success: all of them
// or, when one names no message of the line, none.
func (m *Mock) eachMessage(w http.ResponseWriter, r *http.Request, fn func(tx *store.Tx, line string, msg *Message) error) error {
	field, ids, err := messageIDs(r)
	if err != nil {
		return err
	}
	err = m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		for _, id := range ids {
			msg, _, err := lineMessage(tx, s.Line, field, id)
			if err != nil {
				return err
			}
			if err := fn(tx, s.Line, msg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, false)
}

// markRead marks msg read at now.
func markRead(msg *Message, now time.Time) { msg.Read, msg.DateRead = true, strPtr(date(now)) }

// markDeleted marks msg deleted at now.
func markDeleted(msg *Message, now time.Time) {
	msg.Deleted, msg.Visible, msg.DateDeleted = true, false, strPtr(date(now))
}

// removeMessage marks msg deleted and emits its delete event.
func (m *Mock) removeMessage(tx *store.Tx, line string, msg *Message) error {
	if msg.Deleted {
		return nil
	}
	markDeleted(msg, tx.Now())
	err := tx.Update(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: strconv.FormatInt(msg.ID, 10), Parent: deletedParent(line),
		Doc: mustJSON(msg), Keys: []store.Key{store.K("fingerprint", msg.Fingerprint)}})
	if err != nil {
		return err
	}
	if msg.MessageType == "MO" && !msg.Read {
		if err := m.addUnread(tx, msg.Fingerprint, -1); err != nil {
			return err
		}
	}
	return m.emitMessage(tx, line, "message.delete", msg)
}

// listAttachments serves messageAttachment/list.
func (m *Mock) listAttachments(w http.ResponseWriter, r *http.Request) error {
	var out []Attachment
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		if _, err := idParam(r, "messageId"); err != nil {
			return err
		}
		msg, _, err := lineMessage(tx, s.Line, "messageId", param(r, "messageId"))
		if err != nil {
			return err
		}
		list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindAttachment, Parent: strconv.FormatInt(msg.ID, 10), HasParent: true, Asc: true})
		if err != nil {
			return err
		}
		out = []Attachment{}
		for i := range list {
			a, err := decode[attachmentDoc](&list[i])
			if err != nil {
				return err
			}
			out = append(out, a.Attachment)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

// hostedContent serves hostedContent/get: the stored file itself.
func (m *Mock) hostedContent(w http.ResponseWriter, r *http.Request) error {
	var a *attachmentDoc
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		res, err := tx.Get(Vendor, kindAttachment, param(r, "storageKey"))
		if err == nil {
			a, err = decode[attachmentDoc](res)
		}
		if errors.Is(err, store.ErrNotFound) || (err == nil && a.Line != s.Line) {
			return notFound("storageKey", "storageKey %s names no content of this line", clip(param(r, "storageKey")))
		}
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", a.MimeType+";charset=UTF-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", a.FileName))
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Text)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write([]byte(a.Text))
	return err
}
