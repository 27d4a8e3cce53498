package whereby

import (
	"net/http"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Simulators implements mocks.Vendor: the control API plays the people in
// a meeting's room (POST /_sandbox/whereby/meetings/{meetingId}/...).
func (m *Mock) Simulators() map[string]mocks.Handler {
	return map[string]mocks.Handler{
		"simulateWherebyJoin":          m.simulateJoin,
		"simulateWherebyLeave":         m.simulateLeave,
		"simulateWherebyKnock":         m.simulateKnock,
		"simulateWherebyKnockAdmit":    m.simulateAnswer(true),
		"simulateWherebyKnockCancel":   m.simulateAnswer(false),
		"simulateWherebyRecording":     m.simulateRecording,
		"simulateWherebyTranscription": m.simulateTranscription,
		"simulateWherebyAssistant":     m.simulateAssistant,
		"getWherebyRoom":               m.getRoom,
	}
}

// roomView is a room as the control API shows it.
type roomView struct {
	MeetingID            string            `json:"meetingId"`
	RoomName             string            `json:"roomName"`
	RoomSessionID        *string           `json:"roomSessionId"`
	SessionStarted       bool              `json:"sessionStarted"`
	NumClients           int               `json:"numClients"`
	NumClientsByRoleName map[string]int    `json:"numClientsByRoleName"`
	Participants         []participant     `json:"participants"`
	Knocks               []knock           `json:"knocks"`
	RecordingID          *string           `json:"recordingId"`
	TranscriptionID      *string           `json:"transcriptionId"`
	Aliases              map[string]string `json:"aliases,omitempty"`
}

// viewRoom describes a meeting's room.
func viewRoom(tx *store.Tx, mt *meeting, rm *room) (*roomView, error) {
	v := &roomView{MeetingID: mt.MeetingID, RoomName: mt.RoomName, RoomSessionID: strPtr(rm.SessionID), SessionStarted: rm.Started,
		NumClients: len(rm.Present), NumClientsByRoleName: rm.Roles, Participants: []participant{}, Knocks: []knock{}, Aliases: rm.Aliases}
	if rm.Recording != nil {
		v.RecordingID = &rm.Recording.ID
	}
	if rm.Transcription != nil {
		v.TranscriptionID = &rm.Transcription.ID
	}
	for _, id := range rm.Present {
		r, err := tx.Get(Vendor, kindParticipant, id)
		if err != nil {
			return nil, err
		}
		p, err := decode[participant](r)
		if err != nil {
			return nil, err
		}
		v.Participants = append(v.Participants, *p)
	}
	ks, err := tx.ListByKey(Vendor, kindKnock, "meetingId", mt.MeetingID)
	if err != nil {
		return nil, err
	}
	for i := range ks {
		k, err := decode[knock](&ks[i])
		if err != nil {
			return nil, err
		}
		v.Knocks = append(v.Knocks, *k)
	}
	return v, nil
}

// inRoom runs fn on the room of the request's meeting.
func (m *Mock) inRoom(r *http.Request, fn func(tx *store.Tx, mt *meeting, rm *room) error) error {
	return m.update(r.Context(), func(tx *store.Tx) error {
		return m.withRoom(tx, mocks.PathParam(r, "meetingId"), func(mt *meeting, rm *room) error { return fn(tx, mt, rm) })
	})
}

// simulateJoin serves POST /_sandbox/whereby/meetings/{meetingId}/participants.
func (m *Mock) simulateJoin(w http.ResponseWriter, r *http.Request) error {
	var in joinInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var p *participant
	var n int
	err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
		var err error
		p, err = m.join(tx, mt, rm, in, "")
		n = len(rm.Present)
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]any{"participantId": p.ParticipantID, "roomSessionId": p.RoomSessionID, "numClients": n})
	return nil
}

// simulateLeave serves DELETE
// /_sandbox/whereby/meetings/{meetingId}/participants/{participantId}.
func (m *Mock) simulateLeave(w http.ResponseWriter, r *http.Request) error {
	err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
		return m.leave(tx, mt, rm, mocks.PathParam(r, "participantId"), true)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// simulateKnock serves POST /_sandbox/whereby/meetings/{meetingId}/knocks.
func (m *Mock) simulateKnock(w http.ResponseWriter, r *http.Request) error {
	var in joinInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var k *knock
	err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
		var err error
		k, err = m.knockAt(tx, mt, rm, in)
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]any{"participantId": k.KnockID})
	return nil
}

// simulateAnswer serves POST .../knocks/{participantId}/admit (the knocker
// joins) and .../cancel (the knocker gives up).
func (m *Mock) simulateAnswer(admit bool) mocks.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p *participant
		var n int
		err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
			var err error
			p, err = m.answerKnock(tx, mt, rm, mocks.PathParam(r, "participantId"), admit)
			n = len(rm.Present)
			return err
		})
		if err != nil {
			return err
		}
		if !admit {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		mocks.WriteJSON(w, http.StatusCreated, map[string]any{"participantId": p.ParticipantID, "roomSessionId": p.RoomSessionID, "numClients": n})
		return nil
	}
}

// startInput is the body of the recording and transcription simulators.
type startInput struct {
	// Fail makes it fail instead of finishing.
	Fail bool `json:"fail"`
}

// simulateRecording serves POST .../recording: a host starts a cloud
// recording of the session under way.
func (m *Mock) simulateRecording(w http.ResponseWriter, r *http.Request) error {
	var in startInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var id string
	err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
		if rm.SessionID == "" {
			return mocks.Fail(mocks.ECONFLICT, "nobody is in the room of meeting %s: there is nothing to record", mt.MeetingID)
		}
		id = m.startRecording(tx, rm, in.Fail)
		return nil
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]any{"recordingId": id})
	return nil
}

// simulateTranscription serves POST .../transcription: a host starts the
// live transcription of the session under way.
func (m *Mock) simulateTranscription(w http.ResponseWriter, r *http.Request) error {
	var in startInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var id string
	err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
		if rm.SessionID == "" {
			return mocks.Fail(mocks.ECONFLICT, "nobody is in the room of meeting %s: there is nothing to transcribe", mt.MeetingID)
		}
		var err error
		id, err = m.startTranscription(tx, mt, rm, in.Fail)
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]any{"transcriptionId": id})
	return nil
}

// simulateAssistant serves POST .../assistant: someone in the room asks
// for an AI assistant (assistant.requested).
func (m *Mock) simulateAssistant(w http.ResponseWriter, r *http.Request) error {
	err := m.inRoom(r, func(tx *store.Tx, mt *meeting, rm *room) error {
		return m.emit(tx, "assistant.requested", m.roomEvent(mt, rm))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getRoom serves GET /_sandbox/whereby/meetings/{meetingId}/room.
func (m *Mock) getRoom(w http.ResponseWriter, r *http.Request) error {
	var v *roomView
	err := m.view(r.Context(), func(tx *store.Tx) error {
		mt, err := meetingByID(tx, mocks.PathParam(r, "meetingId"))
		if err != nil {
			return err
		}
		rm, _, err := roomOf(tx, mt)
		if err != nil {
			return err
		}
		v, err = viewRoom(tx, mt, rm)
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, v)
	return nil
}
