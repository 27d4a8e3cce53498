package whippy

import (
	"fmt"
	"time"
)

// exampleAt is when the example events happen.
var exampleAt = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// MessageTemplate is the data of the message_template.* events, with the
// fields VENDORS.md §1.4 lists. The mock has no templates API and never
// emits these events: vendorsim invoke alone sends them.
type MessageTemplate struct {
	ID             string       `json:"id"`
	Title          string       `json:"title"`
	Message        string       `json:"message"`
	Attachments    []Attachment `json:"attachments"`
	ChannelIDs     []string     `json:"channel_ids"`
	AccessLevel    string       `json:"access_level"`
	CreatedByID    int64        `json:"created_by_id"`
	UpdatedByID    int64        `json:"updated_by_id"`
	OrganizationID string       `json:"organization_id"`
	CreatedAt      string       `json:"created_at"`
	UpdatedAt      string       `json:"updated_at"`
}

// ExampleEvent implements mocks.EventExamples: an event of eventType in
// Whippy's envelope, its data built as the mock emits it, by the same
// model types and functions, about a made-up organization whose channel
// +14155552000 texts the contact Dana Reyes (+14155552671), hears from a
// new lead (+14155553300), runs a campaign and adds Dana to its welcome
// sequence. The event types the mock never emits (sequence.*, step.*,
// sequence_run.updated, step_contact.updated, message_template.*,
// call.analyzed) are built from the model types where there is one, the
// rest from the vendor notes.
func (m *Mock) ExampleEvent(eventType string) ([]byte, error) {
	data, err := m.exampleData(eventType)
	if err != nil {
		return nil, err
	}
	return eventBody(eventType, newID(), data)
}

// exampleID is a fixed UUID for an example resource.
func exampleID(name string) string { return stableUUID("whippy-example", name) }

func (m *Mock) exampleData(eventType string) (any, error) {
	at := exampleAt
	later := at.Add(5 * time.Second)
	ch := &Channel{ID: exampleID("channel"), Name: "Main Office", Phone: strPtr("+14155552000"), Type: "phone"}
	userID := int64(1)

	// Dana, created through POST /contacts, is sent a text.
	dana := contactOf(&contactInput{Name: "Dana Reyes", Email: "dana.reyes@example.com"}, at.Add(-time.Hour))
	dana.ID, dana.Phone = exampleID("contact"), strPtr("+14155552671")
	conv := newConversation(dana, ch, "", at)
	conv.ID = exampleID("conversation")
	text := "Hi Dana, your order has shipped."
	msg := outboundMessage(&outbound{kind: sendSMS, channel: ch, contact: dana, to: *dana.Phone, body: &text}, conv, m.cfg.InitialStatus, at)
	msg.ID = exampleID("message")

	switch eventType {
	case "message.created":
		return msg, nil
	case "message.updated":
		msg.setStatus("delivered", later)
		return msg, nil
	case "contact.created":
		return dana, nil
	case "contact.updated":
		// Dana answers STOP: opted out of the channel.
		setPreference(dana, ch.ID, false, later)
		dana.UpdatedAt = ts(later)
		return dana, nil
	case "conversation.created":
		return conv, nil
	case "conversation.updated":
		conv.touch(at, at, 0)
		return conv, nil
	case "lead.new":
		// A number the organization has never heard from writes in.
		lead := contactOf(&contactInput{}, at)
		lead.ID, lead.Phone = exampleID("lead"), strPtr("+14155553300")
		lconv := newConversation(lead, ch, "", at)
		lconv.ID = exampleID("lead-conversation")
		in := inboundMessage(lead, ch, lconv, "Hi, do you deliver on weekends?", nil, at)
		in.ID = exampleID("lead-message")
		lconv.touch(at, at, 1)
		return leadEvent(lead, lconv, in), nil
	case "campaign.created", "campaign.updated":
		body := "Spring sale: 20% off everything this week. Reply STOP to opt out."
		camp := newCampaign(&campaignInput{Title: "Spring sale", Body: &body}, ch, 2, time.Time{}, at)
		camp.ID = exampleID("campaign")
		if eventType == "campaign.updated" {
			// Both recipients' messages delivered: the campaign completes.
			camp.count("delivered", later)
			camp.count("delivered", later)
		}
		return campaignEvent(camp), nil
	}

	seq := welcomeSequence("whippy-example", at.Add(-24*time.Hour))
	step := &seq.Steps[0]
	scID := exampleID("step-contact")
	stepMsg := outboundMessage(&outbound{kind: sendSMS, channel: ch, contact: dana, to: *dana.Phone, body: &step.Body,
		sequenceID: &seq.ID, stepID: &step.ID, stepCID: &scID}, conv, m.cfg.InitialStatus, at)
	stepMsg.ID = exampleID("step-message")
	sc := newStepContact(scID, dana, &seq, step, ch, &userID, stepMsg, time.Time{}, at)
	run := newSequenceRun(sc, at)
	run.ID = exampleID("sequence-run")

	switch eventType {
	case "sequence.created":
		return seq, nil
	case "sequence.updated":
		seq.Status, seq.UpdatedAt = "archived", tsNaive(later)
		return seq, nil
	case "step.created":
		return step, nil
	case "step.updated":
		step.Body, step.UpdatedAt = "Hi! Thanks for reaching out. Reply here any time, we answer within the hour.", tsNaive(later)
		return step, nil
	case "sequence_run.created":
		return run, nil
	case "sequence_run.updated":
		// The last step has run: Dana is through the sequence.
		run.Status, run.LastStepID, run.UpdatedAt = "finished", &seq.Steps[len(seq.Steps)-1].ID, tsNaive(later)
		return run, nil
	case "step_contact.created":
		return sc, nil
	case "step_contact.updated":
		// The step has run and its message is delivered.
		stepMsg.setStatus("delivered", later)
		sc.RunCreatedAt, sc.RunUpdatedAt, sc.UpdatedAt = strPtr(tsSeconds(at)), strPtr(tsSeconds(later)), tsSeconds(later)
		sc.ContactMessages[0]["delivery_status"] = stepMsg.DeliveryStatus
		return sc, nil
	case "message_template.created", "message_template.updated", "message_template.deleted":
		tpl := MessageTemplate{
			ID: exampleID("message-template"), Title: "Order shipped", Message: "Hi {{first_name}}, your order has shipped.",
			Attachments: []Attachment{}, ChannelIDs: []string{ch.ID}, AccessLevel: "organization",
			CreatedByID: userID, UpdatedByID: userID, OrganizationID: exampleID("organization"),
			CreatedAt: ts(at.Add(-time.Hour)), UpdatedAt: ts(at.Add(-time.Hour)),
		}
		if eventType != "message_template.created" {
			tpl.UpdatedAt = ts(at)
		}
		return tpl, nil
	case "call.analyzed":
		// A call with Dana, once analysed: a message of type call whose
		// attachments are the recording, its transcript and the analysis
		// (the payload's shape is inferred).
		call := inboundMessage(dana, ch, conv, "", []string{
			"https://files.whippy.example/calls/7d1f/recording.mp3",
			"https://files.whippy.example/calls/7d1f/transcript.json",
			"https://files.whippy.example/calls/7d1f/analysis.json",
		}, at)
		call.ID, call.Type, call.DeliveryStatus = exampleID("call"), "call", "call_completed"
		call.UpdatedAt = ts(later)
		return call, nil
	}
	return nil, fmt.Errorf("whippy has no event type %q", eventType)
}
