package whereby

import (
	"fmt"
	"time"
)

// exampleAt is when the example events happen.
var exampleAt = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// ExampleEvent implements mocks.EventExamples: an event of eventType as the
// room simulation emits it, built by the same functions, about a made-up
// meeting on the configured subdomain in which a host and a guest meet.
func (m *Mock) ExampleEvent(eventType string) ([]byte, error) {
	data, err := m.exampleData(eventType)
	if err != nil {
		return nil, err
	}
	return eventBody(eventID(), eventType, exampleAt, data)
}

func (m *Mock) exampleData(eventType string) (any, error) {
	const session = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
	mt := &meeting{MeetingID: "10482913", RoomName: "/demo-5f0c3e2a-8c1d-4b7e-9a6f-2d3c4b5a6e7f", Subdomain: m.cfg.Subdomain}
	host := &participant{ParticipantID: "5f0c3e2a-8c1d-4b7e-9a6f-2d3c4b5a6e7f", RoomSessionID: session, MeetingID: mt.MeetingID, RoomName: mt.RoomName,
		DisplayName: "Hannah Host", RoleName: "host", ExternalID: strPtr("user-42")}
	guest := &participant{ParticipantID: "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d", RoomSessionID: session, MeetingID: mt.MeetingID, RoomName: mt.RoomName,
		DisplayName: "Gary Guest", RoleName: "visitor"}
	// The room once both are in.
	both := &room{MeetingID: mt.MeetingID, RoomName: mt.RoomName, Present: []string{host.ParticipantID, guest.ParticipantID},
		Roles: map[string]int{"host": 1, "visitor": 1}, SessionID: session, Started: true}
	start := exampleAt.Add(-30 * time.Minute)
	live := &transcription{TranscriptionID: "3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9", RoomSessionID: session, RoomName: mt.RoomName,
		StartDate: millis(start), EndDate: millis(exampleAt), DurationInSeconds: 1800, Type: liveTranscription, StorageType: wherebyHosted, MeetingID: mt.MeetingID}
	switch eventType {
	case "room.client.joined":
		return m.clientEvent(mt, both, guest), nil
	case "room.client.left":
		// The guest has left; the host is still in.
		left := &room{MeetingID: mt.MeetingID, RoomName: mt.RoomName, Present: []string{host.ParticipantID}, Roles: map[string]int{"host": 1}, SessionID: session, Started: true}
		return m.clientEvent(mt, left, guest), nil
	case "room.client.knocked", "room.client.knockCancelled":
		k := &knock{KnockID: guest.ParticipantID, MeetingID: mt.MeetingID, DisplayName: guest.DisplayName, RoleName: guest.RoleName}
		alone := &room{MeetingID: mt.MeetingID, RoomName: mt.RoomName, Present: []string{host.ParticipantID}, Roles: map[string]int{"host": 1}, SessionID: session}
		return m.knockEvent(mt, alone, k), nil
	case "room.session.started", "room.session.ended", "assistant.requested":
		return m.roomEvent(mt, both), nil
	case "recording.finished":
		return finishedEvent(&recording{RecordingID: "6e5d4c3b-2a1f-4e9d-8c7b-6a5f4e3d2c1b", RoomSessionID: session,
			Filename: fileStem(mt.RoomName, start) + ".mp4", RoomName: mt.RoomName, MeetingID: mt.MeetingID}), nil
	case "transcription.started":
		return startedEvent(live), nil
	case "transcription.finished", "transcription.failed":
		_, ev := finishTranscription(live, eventType == "transcription.failed")
		return ev, nil
	}
	return nil, fmt.Errorf("whereby has no event type %q", eventType)
}
