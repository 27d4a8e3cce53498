package zipwhip

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// receive stores an MO message from number to line, creating its contact
// and conversation, and emits receive. A body that is an opt-out keyword
// (STOP and its synonyms) opts the sender out of the line, one that is an
// opt-in keyword (UNSTOP, START) back in, each with its optout/change
// event; it returns "STOP", "UNSTOP" or "".
func (m *Mock) receive(tx *store.Tx, line, number, body string) (*Message, string, error) {
	res, err := tx.Get(Vendor, kindAccount, line)
	if err != nil {
		return nil, "", err
	}
	a, err := decode[account](res)
	if err != nil {
		return nil, "", err
	}
	c, err := m.contactFor(tx, line, number, a.DeviceID)
	if err != nil {
		return nil, "", err
	}
	msg, err := m.newMessage(tx, line, c, "MO", body, a.DeviceID)
	if err != nil {
		return nil, "", err
	}
	if err := m.insertMessage(tx, line, msg, body); err != nil {
		return nil, "", err
	}
	if _, err := m.touchConversation(tx, line, c, msg, 1); err != nil {
		return nil, "", err
	}
	if err := m.emitMessage(tx, line, "message.receive", msg); err != nil {
		return nil, "", err
	}
	kw := strings.ToUpper(strings.TrimSpace(body))
	change := ""
	switch {
	case m.optOut[kw]:
		change = "STOP"
		out, err := optedOut(tx, line, number)
		if err != nil {
			return nil, "", err
		}
		rec := &store.Resource{Vendor: Vendor, Kind: kindOptOut, ID: contactKey(line, number), Doc: mustJSON(optOut{Line: line, Contact: number, Date: date(tx.Now())})}
		if out {
			err = tx.UpdateDoc(rec)
		} else {
			err = tx.Insert(rec)
		}
		if err != nil {
			return nil, "", err
		}
	case m.optIn[kw]:
		change = "UNSTOP"
		if err := tx.Delete(Vendor, kindOptOut, contactKey(line, number)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
	default:
		return msg, "", nil
	}
	return msg, change, m.emit(tx, line, "optout.change", optOutEvent(msg, line, number, body, change, tx.Now()))
}

// optOutEvent is the optout.change payload of the inbound message msg
// whose body changed the sender's opt-out (change STOP or UNSTOP).
func optOutEvent(msg *Message, line, number, body, change string, now time.Time) OptOutEvent {
	return OptOutEvent{MessageBody: body, Line: line, Contact: number, MessageID: strconv.FormatInt(msg.ID, 10), Type: change, EventDate: offsetDate(now)}
}

// inboundInput is the body of POST /_sandbox/zipwhip/inbound.
type inboundInput struct {
	Line string `json:"line"`
	From string `json:"from"`
	Body string `json:"body"`
}

// SimulateInbound serves POST /_sandbox/zipwhip/inbound: a text from a
// phone to one of the workspace's lines (line may be left out when the
// workspace has one).
func (m *Mock) SimulateInbound(w http.ResponseWriter, r *http.Request) error {
	var in inboundInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	from, valid := normalize(in.From)
	if !valid {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "from", "from %q is not a phone number", clip(in.From))
	}
	if strings.TrimSpace(in.Body) == "" {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "body", "body is required")
	}
	var msg *Message
	var change string
	err := m.update(r.Context(), func(tx *store.Tx) error {
		line, err := inboundLine(tx, in.Line)
		if err != nil {
			return err
		}
		msg, change, err = m.receive(tx, line, from, in.Body)
		return err
	})
	if err != nil {
		return err
	}
	var optout *string
	if change != "" {
		optout = &change
	}
	// The message id stays a JSON number past 2^53.
	mocks.WriteRaw(w, http.StatusCreated, mustJSON(struct {
		Message json.RawMessage `json:"message"`
		OptOut  *string         `json:"optout"`
	}{mustJSON(msg), optout}))
	return nil
}

// inboundLine resolves the simulator's line: one of the workspace's, or
// its only one when none is named.
func inboundLine(tx *store.Tx, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindAccount, Limit: 2})
		if err != nil {
			return "", err
		}
		if len(list) != 1 {
			return "", mocks.FieldErrorf(http.StatusUnprocessableEntity, "line", "line is required: this workspace has %d Zipwhip lines", len(list))
		}
		return list[0].ID, nil
	}
	line, valid := normalize(v)
	if valid {
		if _, err := tx.Get(Vendor, kindAccount, line); err == nil {
			return line, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	return "", mocks.FieldErrorf(http.StatusUnprocessableEntity, "line", "line %q is not a Zipwhip line of this workspace", clip(v))
}
