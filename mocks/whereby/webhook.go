package whereby

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/vendorsim/vendorsim/internal/jsjson"
	"github.com/vendorsim/vendorsim/store"
)

// envelope is Whereby's webhook body. The fields are in the order of the
// vendor's example, and the body is what JavaScript's JSON.stringify makes
// of it (jsjson): the official verifier signs a re-serialised body.
type envelope struct {
	ID         string `json:"id"`
	APIVersion string `json:"apiVersion"`
	CreatedAt  string `json:"createdAt"`
	Type       string `json:"type"`
	Data       any    `json:"data"`
}

// emit queues eventType about data for every subscribed endpoint, in the
// transaction that changed the state it reports.
func (m *Mock) emit(tx *store.Tx, eventType string, data any) error {
	hooks, err := tx.Subscribers(Vendor, eventType)
	if err != nil || len(hooks) == 0 {
		return err
	}
	id := eventID()
	body, err := eventBody(id, eventType, tx.Now(), data)
	if err != nil {
		return err
	}
	return tx.Enqueue(store.Event{ID: id, Vendor: Vendor, Type: eventType, Body: body}, hooks)
}

// eventBody is the webhook body of an event.
func eventBody(id, eventType string, at time.Time, data any) ([]byte, error) {
	return jsjson.Marshal(envelope{ID: id, APIVersion: "1.0", CreatedAt: millis(at), Type: eventType, Data: data})
}

// eventID is 64 hex characters, as the vendor's event ids are.
func eventID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientEvent is the data of room.client.joined and room.client.left.
type clientEvent struct {
	RoleName             string         `json:"roleName"`
	DisplayName          string         `json:"displayName"`
	MeetingID            string         `json:"meetingId"`
	RoomName             string         `json:"roomName"`
	Subdomain            string         `json:"subdomain"`
	RoomSessionID        *string        `json:"roomSessionId"`
	ParticipantID        string         `json:"participantId"`
	NumClients           int            `json:"numClients"`
	NumClientsByRoleName map[string]int `json:"numClientsByRoleName"`
	Metadata             *string        `json:"metadata"`
	ExternalID           *string        `json:"externalId"`
	IsDialIn             bool           `json:"isDialIn"`
}

// knockEvent is the data of room.client.knocked and knockCancelled.
type knockEvent struct {
	DisplayName   string  `json:"displayName"`
	MeetingID     string  `json:"meetingId"`
	RoomName      string  `json:"roomName"`
	Subdomain     string  `json:"subdomain"`
	RoomSessionID *string `json:"roomSessionId"`
	ParticipantID string  `json:"participantId"`
	Metadata      *string `json:"metadata"`
	ExternalID    *string `json:"externalId"`
}

// roomEvent is the data of room.session.started, room.session.ended and
// assistant.requested.
type roomEvent struct {
	MeetingID     string  `json:"meetingId"`
	RoomName      string  `json:"roomName"`
	RoomSessionID *string `json:"roomSessionId"`
	Subdomain     string  `json:"subdomain"`
}

// transcriptionEvent is the data of the transcription events.
type transcriptionEvent struct {
	RoomName          string `json:"roomName"`
	RoomSessionID     string `json:"roomSessionId"`
	TranscriptionID   string `json:"transcriptionId"`
	Type              string `json:"type"`
	Status            string `json:"status"`
	Filename          string `json:"filename,omitempty"`
	StorageType       string `json:"storageType,omitempty"`
	DurationInSeconds *int   `json:"durationInSeconds,omitempty"`
	RecordingID       string `json:"recordingId,omitempty"`
	Error             string `json:"error,omitempty"`
}

// recordingEvent is the data of recording.finished.
type recordingEvent struct {
	Filename    string `json:"filename"`
	RecordingID string `json:"recordingId"`
	RoomName    string `json:"roomName"`
	Status      string `json:"status"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
