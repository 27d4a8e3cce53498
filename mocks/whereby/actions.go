package whereby

import (
	"errors"
	"fmt"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Actions implements mocks.Vendor: the steps of Whereby's timelines. The
// room steps name participants by alias (participant: host), so a later
// step can refer to someone an earlier step brought in. The steps of the
// internal timelines (session check, expiry, processing) are actions too,
// started by the vendor itself at a later virtual time.
func (m *Mock) Actions() map[string]mocks.ActionSpec {
	params := map[string]func(*store.Tx, string) error{"meeting_id": checkMeeting}
	inRoom := func(fn func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error) mocks.ActionSpec {
		return mocks.ActionSpec{Params: params, Run: func(tx *store.Tx, p map[string]string) error {
			return m.withRoom(tx, p["meeting_id"], func(mt *meeting, rm *room) error { return fn(tx, mt, rm, p) })
		}}
	}
	return map[string]mocks.ActionSpec{
		"whereby.participant.join": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			_, err := m.join(tx, mt, rm, joinParams(p), "")
			return err
		}),
		"whereby.participant.leave": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			id, err := alias(rm, p)
			if err != nil {
				return err
			}
			return m.leave(tx, mt, rm, id, true)
		}),
		"whereby.knock": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			_, err := m.knockAt(tx, mt, rm, joinParams(p))
			return err
		}),
		"whereby.knock.admit": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			id, err := alias(rm, p)
			if err != nil {
				return err
			}
			_, err = m.answerKnock(tx, mt, rm, id, true)
			return err
		}),
		"whereby.knock.cancel": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			id, err := alias(rm, p)
			if err != nil {
				return err
			}
			_, err = m.answerKnock(tx, mt, rm, id, false)
			return err
		}),
		"whereby.recording.start": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			if rm.SessionID == "" {
				return errors.New("whereby.recording.start: nobody is in the room")
			}
			m.startRecording(tx, rm, p["fail"] == "true")
			return nil
		}),
		"whereby.recording.fail": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			rm.FailRecording = true
			if rm.Recording != nil {
				rm.Recording.Fail = true
			}
			return nil
		}),
		"whereby.transcription.start": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			if rm.SessionID == "" {
				return errors.New("whereby.transcription.start: nobody is in the room")
			}
			_, err := m.startTranscription(tx, mt, rm, p["fail"] == "true")
			return err
		}),
		"whereby.transcription.fail": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			rm.FailTranscription = true
			if rm.Transcription != nil {
				rm.Transcription.Fail = true
				return setTranscriptionFail(tx, rm.Transcription.ID)
			}
			return nil
		}),
		"whereby.assistant.request": inRoom(func(tx *store.Tx, mt *meeting, rm *room, p map[string]string) error {
			return m.emit(tx, "assistant.requested", m.roomEvent(mt, rm))
		}),

		"whereby.meeting.expire":        {Run: m.expireMeeting},
		"whereby.meetings.sweep":        {Run: m.sweep},
		"whereby.session.check":         {Run: m.checkSession},
		"whereby.recording.process":     {Run: m.processRecording},
		"whereby.transcription.process": {Run: m.processTranscription},
	}
}

// MagicNumbers implements mocks.Vendor: Whereby has no phone numbers.
func (m *Mock) MagicNumbers() []mocks.MagicNumber { return nil }

// checkMeeting reports a meeting_id that names no live meeting of the
// workspace, wrapping store.ErrNotFound.
func checkMeeting(tx *store.Tx, id string) error {
	if _, err := meetingByID(tx, id); err != nil {
		var me *mocks.Error
		if errors.As(err, &me) && me.Code == mocks.ENOTFOUND {
			return fmt.Errorf("meeting %q %w in this workspace (or it has expired)", id, store.ErrNotFound)
		}
		return err
	}
	return nil
}

// withRoom runs fn on a live meeting's room and saves the room.
func (m *Mock) withRoom(tx *store.Tx, meetingID string, fn func(*meeting, *room) error) error {
	mt, err := meetingByID(tx, meetingID)
	if err != nil {
		return err
	}
	rm, stored, err := roomOf(tx, mt)
	if err != nil {
		return err
	}
	if err := fn(mt, rm); err != nil {
		return err
	}
	return saveRoom(tx, rm, stored)
}

// joinParams reads a room step's participant from its params.
func joinParams(p map[string]string) joinInput {
	return joinInput{
		Alias: p["participant"], DisplayName: p["display_name"], RoleName: p["role_name"],
		ExternalID: strPtr(p["external_id"]), Metadata: strPtr(p["metadata"]),
	}
}

// alias returns the id of the participant (or knocker) a step names.
func alias(rm *room, p map[string]string) (string, error) {
	name := p["participant"]
	if id, ok := rm.Aliases[name]; ok {
		return id, nil
	}
	if name == "" {
		return "", errors.New("the step names no participant")
	}
	return name, nil // an id
}

func setTranscriptionFail(tx *store.Tx, id string) error {
	r, err := tx.Get(Vendor, kindTranscription, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t, err := decode[transcription](r)
	if err != nil {
		return err
	}
	t.Fail = true
	r.Doc = mustJSON(t)
	return tx.UpdateDoc(r)
}

// expireMeeting removes a meeting an hour past its end date (or at once,
// with now: "true"): its room closes silently (room events stop at
// expiry).
func (m *Mock) expireMeeting(tx *store.Tx, p map[string]string) error {
	r, err := tx.Get(Vendor, kindMeeting, p["meeting_id"])
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted before
	}
	if err != nil {
		return err
	}
	mt, err := decode[meeting](r)
	if err != nil {
		return err
	}
	if !mt.expired(tx.Now()) && p["now"] != "true" {
		return nil
	}
	return m.removeMeeting(tx, mt, false)
}
