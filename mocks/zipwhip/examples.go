package zipwhip

import (
	"fmt"
	"time"
)

// exampleAt is when the example events happen.
var exampleAt = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// ExampleEvent implements mocks.EventExamples: the payload of eventType as
// the mock emits it (the bare message object, or the opt-out change),
// built by the same functions, about a made-up conversation between the
// line +12065550100 and the contact +12065550123.
func (m *Mock) ExampleEvent(eventType string) ([]byte, error) {
	const line, number = "+12065550100", "+12065550123"
	device := deviceID(line)
	c := &Contact{ID: contactIDBase + 1, MobileNumber: number}
	sent := m.messageObject(messageIDBase+1, exampleAt.Add(-time.Minute), line, c, "MT", "Your appointment is tomorrow at 10:00.", device)
	reply := m.messageObject(messageIDBase+2, exampleAt, line, c, "MO", "Thanks, see you then!", device)
	switch eventType {
	case "message.send":
		return mustJSON(sent), nil
	case "message.progress":
		setProgress(sent, 4, exampleAt)
		return mustJSON(sent), nil
	case "message.receive":
		return mustJSON(reply), nil
	case "message.read":
		markRead(reply, exampleAt.Add(time.Minute))
		return mustJSON(reply), nil
	case "message.delete":
		markDeleted(reply, exampleAt.Add(time.Minute))
		return mustJSON(reply), nil
	case "optout.change":
		stop := m.messageObject(messageIDBase+3, exampleAt, line, c, "MO", "STOP", device)
		return mustJSON(optOutEvent(stop, line, number, stop.Body, "STOP", exampleAt)), nil
	}
	return nil, fmt.Errorf("zipwhip has no event type %q", eventType)
}
