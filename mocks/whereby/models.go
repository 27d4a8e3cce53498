package whereby

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vendorsim/vendorsim/store"
)

// Resource kinds in the store.
const (
	kindOrganization  = "organization"
	kindMeeting       = "meeting"
	kindRoom          = "room" // a meeting's live room state, by meetingId
	kindRoomInsight   = "room_insight"
	kindSession       = "session"
	kindParticipant   = "participant"
	kindKnock         = "knock"
	kindRecording     = "recording"
	kindTranscription = "transcription"
	kindSummary       = "summary"
	kindTheme         = "theme"
)

// meeting is a stored meeting: what the API shows and the settings it was
// created with.
type meeting struct {
	MeetingID     string `json:"meetingId"`
	RoomName      string `json:"roomName"`
	RoomURL       string `json:"roomUrl"`
	StartDate     string `json:"startDate"`
	EndDate       string `json:"endDate"`
	HostRoomURL   string `json:"hostRoomUrl"`
	ViewerRoomURL string `json:"viewerRoomUrl"`
	ExpiresAt     string `json:"expiresAt"`
	Subdomain     string `json:"subdomain"`

	IsLocked          bool                   `json:"isLocked"`
	RoomMode          string                 `json:"roomMode"`
	TemplateType      string                 `json:"templateType,omitempty"`
	Recording         *recordingSettings     `json:"recording,omitempty"`
	LiveTranscription *transcriptionSettings `json:"liveTranscription,omitempty"`
	Streaming         json.RawMessage        `json:"streaming,omitempty"`
}

// meetingView is a meeting as the API answers it.
type meetingView struct {
	MeetingID     string `json:"meetingId"`
	RoomName      string `json:"roomName"`
	RoomURL       string `json:"roomUrl"`
	StartDate     string `json:"startDate"`
	EndDate       string `json:"endDate"`
	HostRoomURL   string `json:"hostRoomUrl,omitempty"`
	ViewerRoomURL string `json:"viewerRoomUrl,omitempty"`
}

// view returns the meeting with the extra URLs fields asks for; a
// viewer-mode meeting always shows both.
func (mt *meeting) view(fields []string) meetingView {
	v := meetingView{MeetingID: mt.MeetingID, RoomName: mt.RoomName, RoomURL: mt.RoomURL, StartDate: mt.StartDate, EndDate: mt.EndDate}
	all := mt.TemplateType == "viewerMode"
	for _, f := range fields {
		switch f {
		case "hostRoomUrl":
			v.HostRoomURL = mt.HostRoomURL
		case "viewerRoomUrl":
			v.ViewerRoomURL = mt.ViewerRoomURL
		}
	}
	if all {
		v.HostRoomURL, v.ViewerRoomURL = mt.HostRoomURL, mt.ViewerRoomURL
	}
	return v
}

type destination struct {
	Provider           string `json:"provider"`
	AuthenticationType string `json:"authenticationType,omitempty"`
	Bucket             string `json:"bucket,omitempty"`
	AccessKeyID        string `json:"accessKeyId,omitempty"`
	AccessKeySecret    string `json:"accessKeySecret,omitempty"`
	FileFormat         string `json:"fileFormat,omitempty"`
	Region             string `json:"region,omitempty"`
	OIDCRoleArn        string `json:"oidcRoleArn,omitempty"`
}

type recordingSettings struct {
	Type         string       `json:"type"`
	Destination  *destination `json:"destination,omitempty"`
	StartTrigger string       `json:"startTrigger"`
}

type transcriptionSettings struct {
	Destination  *destination `json:"destination,omitempty"`
	StartTrigger string       `json:"startTrigger"`
	Language     string       `json:"language,omitempty"`
	LiveCaptions bool         `json:"liveCaptions,omitempty"`
}

// Storage types of recordings and transcriptions.
const (
	wherebyHosted = "WHEREBY_HOSTED"
	selfHosted    = "SELF_HOSTED"
)

func storageOf(d *destination) string {
	if d != nil && d.Provider == "s3" {
		return selfHosted
	}
	return wherebyHosted
}

// room is a meeting's live state: who is in, who knocks, the current
// session and what it is recording.
type room struct {
	MeetingID string `json:"meetingId"`
	RoomName  string `json:"roomName"`
	// Present are the participants in the room, in the order they came.
	Present []string `json:"present"`
	// Roles counts the present participants by role.
	Roles map[string]int `json:"roles"`
	// SessionID is the current session ("" between sessions).
	SessionID string `json:"sessionId,omitempty"`
	// Started is set once the session had two participants.
	Started bool `json:"started,omitempty"`
	// BelowTwoSince is when a started session fell below two participants.
	BelowTwoSince string `json:"belowTwoSince,omitempty"`
	// Aliases map a scenario's names for participants to their ids.
	Aliases map[string]string `json:"aliases,omitempty"`
	// Recording and Transcription are running in the current session.
	Recording     *running `json:"recording,omitempty"`
	Transcription *running `json:"transcription,omitempty"`
	// FailRecording and FailTranscription make the next ones fail.
	FailRecording     bool `json:"failRecording,omitempty"`
	FailTranscription bool `json:"failTranscription,omitempty"`
}

// running is a recording or live transcription under way.
type running struct {
	ID        string `json:"id"`
	StartedAt string `json:"startedAt"`
	Fail      bool   `json:"fail,omitempty"`
}

// session is a room session: from the first participant in until the room
// held fewer than two for the session end delay.
type session struct {
	RoomSessionID string  `json:"roomSessionId"`
	MeetingID     string  `json:"meetingId"`
	RoomName      string  `json:"roomName"`
	StartedAt     string  `json:"startedAt"`
	EndedAt       *string `json:"endedAt"`
	// Started is set once two participants were in.
	Started bool `json:"started,omitempty"`
}

// participant is one stay of someone in a room session.
type participant struct {
	ParticipantID string  `json:"participantId"`
	RoomSessionID string  `json:"roomSessionId"`
	MeetingID     string  `json:"meetingId"`
	RoomName      string  `json:"roomName"`
	DisplayName   string  `json:"displayName"`
	RoleName      string  `json:"roleName"`
	ExternalID    *string `json:"externalId"`
	Metadata      *string `json:"metadata"`
	IsDialIn      bool    `json:"isDialIn"`
	DeviceID      string  `json:"deviceId"`
	UserID        string  `json:"userId"`
	JoinedAt      string  `json:"joinedAt"`
	LeftAt        *string `json:"leftAt"`
}

// knock is someone waiting at a locked room's door.
type knock struct {
	KnockID     string  `json:"knockId"`
	MeetingID   string  `json:"meetingId"`
	DisplayName string  `json:"displayName"`
	RoleName    string  `json:"roleName"`
	ExternalID  *string `json:"externalId"`
	Metadata    *string `json:"metadata"`
	KnockedAt   string  `json:"knockedAt"`
}

// roomInsight outlives its meeting: insights cover deleted rooms too.
type roomInsight struct {
	RoomName  string `json:"roomName"`
	MeetingID string `json:"meetingId"`
	CreatedAt string `json:"createdAt"`
	EndAt     string `json:"endAt"`
}

type recording struct {
	RecordingID     string  `json:"recordingId"`
	RoomSessionID   string  `json:"roomSessionId"`
	Filename        string  `json:"filename"`
	StartDate       string  `json:"startDate"`
	EndDate         string  `json:"endDate"`
	SizeInMegaBytes float64 `json:"sizeInMegaBytes"`
	// Stored, not shown.
	RoomName        string `json:"roomName"`
	MeetingID       string `json:"meetingId"`
	StorageType     string `json:"storageType"`
	DurationSeconds int    `json:"durationSeconds"`
}

// recordingView is a recording as the API shows it.
type recordingView struct {
	RecordingID     string  `json:"recordingId"`
	RoomSessionID   string  `json:"roomSessionId"`
	Filename        string  `json:"filename"`
	StartDate       string  `json:"startDate"`
	EndDate         string  `json:"endDate"`
	SizeInMegaBytes float64 `json:"sizeInMegaBytes"`
}

func (rc *recording) view() recordingView {
	return recordingView{RecordingID: rc.RecordingID, RoomSessionID: rc.RoomSessionID, Filename: rc.Filename,
		StartDate: rc.StartDate, EndDate: rc.EndDate, SizeInMegaBytes: rc.SizeInMegaBytes}
}

type transcription struct {
	TranscriptionID   string `json:"transcriptionId"`
	RoomSessionID     string `json:"roomSessionId"`
	RoomName          string `json:"roomName"`
	CreatedAt         string `json:"createdAt"`
	StartDate         string `json:"startDate"`
	EndDate           string `json:"endDate"`
	State             string `json:"state"`
	DurationInSeconds int    `json:"durationInSeconds"`
	Type              string `json:"type"`
	Filename          string `json:"filename,omitempty"`
	StorageType       string `json:"storageType"`
	// Stored, not shown.
	RecordingID string `json:"recordingId,omitempty"`
	MeetingID   string `json:"meetingId,omitempty"`
	Error       string `json:"error,omitempty"`
	Fail        bool   `json:"fail,omitempty"`
}

// transcriptionView is a transcription as the API shows it.
type transcriptionView struct {
	TranscriptionID   string `json:"transcriptionId"`
	RoomSessionID     string `json:"roomSessionId"`
	RoomName          string `json:"roomName"`
	CreatedAt         string `json:"createdAt"`
	StartDate         string `json:"startDate"`
	EndDate           string `json:"endDate"`
	State             string `json:"state"`
	DurationInSeconds int    `json:"durationInSeconds"`
	Type              string `json:"type"`
	Filename          string `json:"filename,omitempty"`
	StorageType       string `json:"storageType"`
}

func (t *transcription) view() transcriptionView {
	return transcriptionView{
		TranscriptionID: t.TranscriptionID, RoomSessionID: t.RoomSessionID, RoomName: t.RoomName, CreatedAt: t.CreatedAt,
		StartDate: t.StartDate, EndDate: t.EndDate, State: t.State, DurationInSeconds: t.DurationInSeconds, Type: t.Type,
		Filename: t.Filename, StorageType: t.StorageType,
	}
}

type summaryText struct {
	Summary string `json:"summary"`
}

type summary struct {
	SummaryID       string      `json:"summaryId"`
	TranscriptionID string      `json:"transcriptionId"`
	Summary         summaryText `json:"summary"`
	RoomSessionID   string      `json:"roomSessionId"`
	RoomName        string      `json:"roomName"`
	StartDate       string      `json:"startDate"`
	EndDate         string      `json:"endDate"`
	State           string      `json:"state"`
	CreatedAt       string      `json:"createdAt"`
	ModifiedAt      string      `json:"modifiedAt"`
	Template        string      `json:"template"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("whereby: encode %T: %v", v, err))
	}
	return b
}

// byID returns the resource of a kind with that id, decoded, or a 404
// naming it as what.
func byID[T any](tx *store.Tx, kind, what, id string) (*T, error) {
	r, err := tx.Get(Vendor, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(what, id)
	}
	if err != nil {
		return nil, err
	}
	return decode[T](r)
}

func decode[T any](r *store.Resource) (*T, error) {
	var v T
	if err := json.Unmarshal(r.Doc, &v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
	}
	return &v, nil
}
