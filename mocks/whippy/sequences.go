package whippy

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// seedSequence creates the default sequence every workspace starts with, so
// that adding contacts to a sequence works without setup.
func seedSequence(tx *store.Tx, ws string) error {
	seq := welcomeSequence(ws, tx.Now())
	return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindSequence, ID: seq.ID, Doc: mustJSON(seq), Keys: []store.Key{store.K("status", seq.Status)}})
}

// welcomeSequence is workspace ws's default sequence with its two steps,
// created at t.
func welcomeSequence(ws string, t time.Time) Sequence {
	now := tsNaive(t) // as Whippy's sequence and step samples have it
	id := stableUUID(ws, "sequence", "welcome")
	seq := Sequence{
		ID: id, Title: "Welcome sequence", Description: strPtr("Greets new contacts and follows up a day later."),
		Type: "sequential", Status: "active", AccessLevel: "organization",
		Settings: map[string]any{
			"on_response": "remove", "on_re_add": "include", "max_contact_sequence_runs": 5,
			"skip_sending_on_weekend":         map[string]any{"enabled": false, "use_contact_timezone": true},
			"only_send_during_business_hours": map[string]any{"enabled": false, "use_contact_timezone": true},
			"support_sms_quiet_hours":         map[string]any{"enabled": false, "use_contact_timezone": true},
		},
		CreatedAt: now, UpdatedAt: now,
	}
	for i, s := range []struct{ title, body, days string }{
		{"Welcome", "Hi! Thanks for reaching out. Reply here any time.", "0"},
		{"Follow up", "Just checking in: is there anything we can help with?", "1"},
	} {
		seq.Steps = append(seq.Steps, Step{
			ID: stableUUID(ws, "sequence", "welcome", "step", fmt.Sprint(i)), Title: s.title, Body: s.body, Status: "active", Position: i,
			Analytics:   map[string]int{"sent_messages": 0, "slated_messages": 0, "failed_deliveries": 0, "responses": 0, "link_clicks": 0, "unsubscribes": 0},
			Attachments: []Attachment{}, SequenceID: id,
			ScheduleOptions: ScheduleOptions{Days: s.days, Hours: "0", Minutes: "0", Timezone: "America/Los_Angeles"},
			CreatedAt:       now, UpdatedAt: now,
		})
	}
	return seq
}

// listSequences serves GET /sequences.
func (m *Mock) listSequences(w http.ResponseWriter, r *http.Request) error {
	limit, offset := page(r.URL.Query(), "limit", "offset")
	return m.writeQuery(w, r, store.Query{Vendor: Vendor, Kind: kindSequence, Limit: limit, Offset: offset, Count: true})
}

// listSequenceRuns serves GET /sequences/runs.
func (m *Mock) listSequenceRuns(w http.ResponseWriter, r *http.Request) error {
	limit, offset := page(r.URL.Query(), "limit", "offset")
	return m.writeQuery(w, r, store.Query{Vendor: Vendor, Kind: kindSequenceRun, Limit: limit, Offset: offset, Count: true})
}

// listSequenceContacts serves GET /sequences/{id}/contacts.
func (m *Mock) listSequenceContacts(w http.ResponseWriter, r *http.Request) error {
	return m.listUnder(w, r, kindSequence, "Sequence", func(id string, limit, offset int) store.Query {
		return store.Query{Vendor: Vendor, Kind: kindStepContact, Limit: limit, Offset: offset, Count: true,
			Filters: []store.Filter{{Name: "sequence", Values: []string{id}}}}
	})
}

// sequenceInput is the body of POST /sequences/{id}/contacts.
type sequenceInput struct {
	To         []recipient `json:"to"`
	From       string      `json:"from"`
	StepID     string      `json:"step_id"`
	ScheduleAt string      `json:"schedule_at"`
}

// addSequenceContacts serves POST /sequences/{id}/contacts: 202; each valid
// recipient gets a contact, a run and a step contact, and is sent the
// step's message. More recipients than SequenceMaxContacts are a 422.
func (m *Mock) addSequenceContacts(w http.ResponseWriter, r *http.Request) error {
	var in sequenceInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := checkRecipients(in.To, m.cfg.SequenceMaxContacts); err != nil {
		return err
	}
	valid, dropped := validRecipients(in.To)
	if len(valid) == 0 {
		return invalid("to", "to has no valid phone numbers (%d dropped)", dropped)
	}
	id := mocks.PathParam(r, "id")
	// Like a campaign, one bulk transaction (see sendCampaign).
	err := m.update(store.Bulk(r.Context()), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindSequence, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Sequence")
		}
		if err != nil {
			return err
		}
		seq, err := decode[Sequence](res)
		if err != nil {
			return err
		}
		if len(seq.Steps) == 0 {
			return invalid("step_id", "the sequence has no steps")
		}
		step := seq.Steps[0]
		if in.StepID != "" {
			found := false
			for _, s := range seq.Steps {
				if s.ID == in.StepID {
					step, found = s, true
				}
			}
			if !found {
				return invalid("step_id", "step_id is not a step of this sequence")
			}
		}
		ch, err := m.fromChannel(tx, sendSMS, in.From)
		if err != nil {
			return err
		}
		scheduleAt, err := optionalTime("schedule_at", in.ScheduleAt)
		if err != nil {
			return err
		}
		now := tx.Now()
		// The key's organization adds the contacts: its first user.
		var addedBy *int64
		if u, err := firstUser(tx); err == nil {
			addedBy = &u.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for i, rc := range valid {
			c, err := m.recipientContact(tx, rc, fmt.Sprintf("to.%d.", i))
			if err != nil {
				return err
			}
			scID := newID()
			body := step.Body
			msg, _, err := m.deliver(tx, &outbound{kind: sendSMS, channel: ch, contact: c, to: *c.Phone, body: &body,
				scheduleAt: scheduleAt, sequenceID: &seq.ID, stepID: &step.ID, stepCID: &scID})
			if err != nil {
				return err
			}
			sc := newStepContact(scID, c, seq, &step, ch, addedBy, msg, scheduleAt, now)
			run := newSequenceRun(sc, now)
			runID := run.ID
			keys := []store.Key{store.K("sequence", seq.ID), store.K("contact", c.ID)}
			if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindSequenceRun, ID: runID, Doc: mustJSON(run), CreatedAt: now.Add(microsteps(i)), Keys: keys}); err != nil {
				return err
			}
			if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindStepContact, ID: scID, Parent: runID, Doc: mustJSON(sc), CreatedAt: now.Add(microsteps(i)), Keys: keys}); err != nil {
				return err
			}
			if err := m.emit(tx, "sequence_run.created", run); err != nil {
				return err
			}
			if err := m.emit(tx, "step_contact.created", sc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusAccepted, map[string]string{"message": fmt.Sprintf("%d contacts are being added to the sequence", len(valid))})
	return nil
}

// newStepContact is contact c at step of seq, added at t by addedBy (a
// user id) and sent msg from ch at scheduleAt (zero: at once): the data
// of step_contact.created. As the step_contact.created sample (W9) has
// it: scheduled_at is when the step sends, in whole seconds; the run
// timestamps are null until the step runs; its own timestamps are whole
// seconds in UTC.
func newStepContact(id string, c *Contact, seq *Sequence, step *Step, ch *Channel, addedBy *int64, msg *Message, scheduleAt, t time.Time) *StepContact {
	contactMsg := map[string]any{"id": msg.ID, "delivery_status": msg.DeliveryStatus, "contact_id": c.ID,
		"conversation_id": msg.ConversationID, "body": msg.Body, "attachments": msg.Attachments}
	when := t
	if !scheduleAt.IsZero() {
		when = scheduleAt
	}
	return &StepContact{ID: id, Status: "active", Contact: c.summary(), StepID: step.ID, ChannelID: ch.ID, SequenceID: seq.ID,
		AddedByID: addedBy, ScheduledAt: tsPtr(when.Truncate(time.Second)),
		ContactMessages: []map[string]any{contactMsg}, CreatedAt: tsSeconds(t), UpdatedAt: tsSeconds(t)}
}

// newSequenceRun is the run of step contact sc through its sequence,
// created with it at t: the data of sequence_run.created, whose timestamps are
// whole seconds without a zone.
func newSequenceRun(sc *StepContact, t time.Time) *SequenceRun {
	return &SequenceRun{ID: newID(), Status: "active", Contact: sc.Contact, ChannelID: sc.ChannelID, SequenceID: sc.SequenceID, LastStepID: &sc.StepID,
		StepContacts: []map[string]any{{"id": sc.ID, "status": sc.Status, "step_id": sc.StepID, "clicked_link": sc.ClickedLink,
			"unsubscribed": sc.Unsubscribed, "contact_messages": sc.ContactMessages}},
		CreatedAt: tsNaive(t), UpdatedAt: tsNaive(t)}
}

// ContactSequence is one sequence a contact is in.
type ContactSequence struct {
	Sequence          map[string]string `json:"sequence"`
	ContactStatus     string            `json:"contact_status"`
	LastCompletedStep *map[string]any   `json:"last_completed_step"`
	CurrentStep       *map[string]any   `json:"current_step"`
	NextStep          *map[string]any   `json:"next_step"`
}

// listContactSequences serves POST /contacts/{id}/sequences.
func (m *Mock) listContactSequences(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Limit          int    `json:"limit"`
		Offset         int    `json:"offset"`
		SequenceID     string `json:"sequence_id"`
		ContactStatus  string `json:"contact_status"`
		SequenceStatus string `json:"sequence_status"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Limit <= 0 {
		in.Limit = 50
	}
	id := mocks.PathParam(r, "id")
	var out []ContactSequence
	var total int
	err := m.view(r.Context(), func(tx *store.Tx) error {
		if _, err := m.getContactRecord(tx, id); err != nil {
			return err
		}
		filters := []store.Filter{{Name: "contact", Values: []string{id}}}
		if in.SequenceID != "" {
			filters = append(filters, store.Filter{Name: "sequence", Values: []string{in.SequenceID}})
		}
		runs, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindSequenceRun, Filters: filters})
		if err != nil {
			return err
		}
		for _, rr := range runs {
			run, err := decode[SequenceRun](&rr)
			if err != nil {
				return err
			}
			sres, err := tx.Get(Vendor, kindSequence, run.SequenceID)
			if err != nil {
				continue
			}
			seq, err := decode[Sequence](sres)
			if err != nil {
				return err
			}
			if (in.ContactStatus != "" && in.ContactStatus != run.Status) || (in.SequenceStatus != "" && in.SequenceStatus != seq.Status) {
				continue
			}
			cs := ContactSequence{Sequence: map[string]string{"id": seq.ID, "title": seq.Title, "status": seq.Status}, ContactStatus: run.Status}
			for i, s := range seq.Steps {
				if run.LastStepID != nil && s.ID == *run.LastStepID {
					cs.CurrentStep = &map[string]any{"id": s.ID, "title": s.Title}
					if i > 0 {
						cs.LastCompletedStep = &map[string]any{"id": seq.Steps[i-1].ID, "title": seq.Steps[i-1].Title}
					}
					if i+1 < len(seq.Steps) {
						cs.NextStep = &map[string]any{"id": seq.Steps[i+1].ID, "title": seq.Steps[i+1].Title}
					}
				}
			}
			out = append(out, cs)
		}
		total = len(out)
		return nil
	})
	if err != nil {
		return err
	}
	if in.Offset >= len(out) {
		out = nil
	} else {
		out = out[in.Offset:min(len(out), in.Offset+in.Limit)]
	}
	writeDocs(w, http.StatusOK, out, total)
	return nil
}
