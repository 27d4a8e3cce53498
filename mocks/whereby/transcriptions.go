package whereby

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Transcription states and types.
const (
	stateInProgress = "in_progress"
	stateReady      = "ready"
	stateFailed     = "failed"

	liveTranscription      = "LIVE_TRANSCRIPTION"
	recordingTranscription = "RECORDING_TRANSCRIPTION"
)

// startTranscription starts transcribing the room's session live:
// transcription.started.
func (m *Mock) startTranscription(tx *store.Tx, mt *meeting, rm *room, fail bool) (string, error) {
	if rm.Transcription != nil {
		return rm.Transcription.ID, nil
	}
	now := millis(tx.Now())
	storage := wherebyHosted
	if mt.LiveTranscription != nil {
		storage = storageOf(mt.LiveTranscription.Destination)
	}
	t := &transcription{
		TranscriptionID: uuid.NewString(), RoomSessionID: rm.SessionID, RoomName: mt.RoomName, CreatedAt: now, StartDate: now, EndDate: now,
		State: stateInProgress, Type: liveTranscription, StorageType: storage, MeetingID: mt.MeetingID, Fail: fail || rm.FailTranscription,
	}
	if err := m.insertTranscription(tx, t); err != nil {
		return "", err
	}
	rm.Transcription = &running{ID: t.TranscriptionID, StartedAt: now, Fail: t.Fail}
	return t.TranscriptionID, nil
}

func (m *Mock) insertTranscription(tx *store.Tx, t *transcription) error {
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindTranscription, ID: t.TranscriptionID, Parent: t.RoomSessionID, Doc: mustJSON(t),
		Keys: []store.Key{store.K("roomName", t.RoomName)}}); err != nil {
		return err
	}
	return m.emit(tx, "transcription.started", startedEvent(t))
}

// startedEvent is the data of transcription.started about t.
func startedEvent(t *transcription) transcriptionEvent {
	return transcriptionEvent{RoomName: t.RoomName, RoomSessionID: t.RoomSessionID, TranscriptionID: t.TranscriptionID, Type: t.Type, Status: stateInProgress}
}

// stopTranscription ends the session's live transcription at end and
// schedules its processing.
func (m *Mock) stopTranscription(tx *store.Tx, rm *room, end time.Time) error {
	run := rm.Transcription
	if run == nil {
		return nil
	}
	rm.Transcription = nil
	r, err := tx.Get(Vendor, kindTranscription, run.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	t, err := decode[transcription](r)
	if err != nil {
		return err
	}
	t.EndDate = millis(end)
	t.DurationInSeconds = max(0, int(end.Sub(parseMillis(t.StartDate)).Seconds()))
	r.Doc = mustJSON(t)
	if err := tx.UpdateDoc(r); err != nil {
		return err
	}
	return m.scheduleTranscription(tx, t.TranscriptionID)
}

func (m *Mock) scheduleTranscription(tx *store.Tx, id string) error {
	if m.scen == nil {
		return nil
	}
	_, err := m.scen.Start(tx, transcriptionScenario, tx.Now().Add(m.cfg.TranscriptionDelay), map[string]string{"transcription_id": id})
	return err
}

// processTranscription finishes a transcription: ready and
// transcription.finished, or failed and transcription.failed.
func (m *Mock) processTranscription(tx *store.Tx, p map[string]string) error {
	r, err := tx.Get(Vendor, kindTranscription, p["transcription_id"])
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	t, err := decode[transcription](r)
	if err != nil || t.State != stateInProgress {
		return err
	}
	event, ev := finishTranscription(t, t.Fail || p["fail"] == "true")
	r.Doc = mustJSON(t)
	if err := tx.UpdateDoc(r); err != nil {
		return err
	}
	return m.emit(tx, event, ev)
}

// finishTranscription ends t, ready or failed, and returns the event that
// says so and its data.
func finishTranscription(t *transcription, fail bool) (string, transcriptionEvent) {
	ev := transcriptionEvent{RoomName: t.RoomName, RoomSessionID: t.RoomSessionID, TranscriptionID: t.TranscriptionID, Type: t.Type}
	if fail {
		t.State, t.Error = stateFailed, "The transcription could not be completed"
		ev.Status, ev.Error = stateFailed, t.Error
		return "transcription.failed", ev
	}
	t.State = stateReady
	t.Filename = fileStem(t.RoomName, parseMillis(t.StartDate)) + ".md"
	ev.Status, ev.Filename, ev.StorageType = stateReady, t.Filename, t.StorageType
	d := t.DurationInSeconds
	ev.DurationInSeconds = &d
	if t.Type == recordingTranscription {
		ev.RecordingID = t.RecordingID
	}
	return "transcription.finished", ev
}

// createTranscription serves POST /transcriptions: a recording is
// transcribed (transcription.started, then finished after the
// transcription delay).
func (m *Mock) createTranscription(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		RecordingID string `json:"recordingId"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var id string
	err := m.update(r.Context(), func(tx *store.Tx) error {
		rc, err := recordingByID(tx, in.RecordingID)
		if err != nil {
			return err
		}
		t := &transcription{
			TranscriptionID: uuid.NewString(), RoomSessionID: rc.RoomSessionID, RoomName: rc.RoomName, CreatedAt: millis(tx.Now()),
			StartDate: rc.StartDate, EndDate: rc.EndDate, State: stateInProgress, DurationInSeconds: rc.DurationSeconds,
			Type: recordingTranscription, StorageType: rc.StorageType, RecordingID: rc.RecordingID, MeetingID: rc.MeetingID,
		}
		if err := m.insertTranscription(tx, t); err != nil {
			return err
		}
		id = t.TranscriptionID
		return m.scheduleTranscription(tx, id)
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]string{"transcriptionId": id})
	return nil
}

// listTranscriptions serves GET /transcriptions.
func (m *Mock) listTranscriptions(w http.ResponseWriter, r *http.Request) error {
	field, desc := sortParam(r, "createdAt:desc")
	var out listPage[transcriptionView]
	err := m.view(r.Context(), func(tx *store.Tx) error {
		list, err := listKind(tx, kindTranscription, mocks.Params(r).Get("roomName"))
		if err != nil {
			return err
		}
		rows := make([]sortable[transcriptionView], 0, len(list))
		for i := range list {
			t, err := decode[transcription](&list[i])
			if err != nil {
				return err
			}
			var key string
			switch field {
			case "roomName":
				key = textKey(t.RoomName)
			case "startDate":
				key = textKey(t.StartDate)
			case "durationInSeconds":
				key = numberKey(float64(t.DurationInSeconds))
			default:
				key = textKey(t.CreatedAt)
			}
			rows = append(rows, sortable[transcriptionView]{key: key, id: t.TranscriptionID, row: t.view()})
		}
		out, err = pageOf(rows, desc, mocks.Params(r).Get("cursor"), limitParam(r, 50))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}

func transcriptionByID(tx *store.Tx, id string) (*transcription, error) {
	return byID[transcription](tx, kindTranscription, "Transcription", id)
}

// getTranscription serves GET /transcriptions/{transcriptionId}.
func (m *Mock) getTranscription(w http.ResponseWriter, r *http.Request) error {
	var t *transcription
	err := m.view(r.Context(), func(tx *store.Tx) error {
		var err error
		t, err = transcriptionByID(tx, mocks.PathParam(r, "transcriptionId"))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, t.view())
	return nil
}

// deleteTranscription serves DELETE /transcriptions/{transcriptionId}.
func (m *Mock) deleteTranscription(w http.ResponseWriter, r *http.Request) error {
	return m.deleteIDs(w, r, kindTranscription, []string{mocks.PathParam(r, "transcriptionId")})
}

// bulkDeleteTranscriptions serves POST /transcriptions/bulk-delete.
func (m *Mock) bulkDeleteTranscriptions(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		TranscriptionIDs []string `json:"transcriptionIds"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	return m.deleteIDs(w, r, kindTranscription, in.TranscriptionIDs)
}

// getTranscriptionAccessLink serves GET
// /transcriptions/{transcriptionId}/access-link: 403 for a transcription in
// the customer's own bucket, 400 for one that is not ready.
func (m *Mock) getTranscriptionAccessLink(w http.ResponseWriter, r *http.Request) error {
	var out accessLink
	err := m.view(r.Context(), func(tx *store.Tx) error {
		t, err := transcriptionByID(tx, mocks.PathParam(r, "transcriptionId"))
		if err != nil {
			return err
		}
		if t.StorageType == selfHosted {
			return mocks.Fail(mocks.EFORBIDDEN, "Transcription %s is stored in your own bucket: it has no access link", t.TranscriptionID)
		}
		if t.State != stateReady {
			return invalid("transcriptionId", "transcription %s is %s: it has no file yet", t.TranscriptionID, t.State)
		}
		out = link(tx, "transcriptions", t.TranscriptionID, t.Filename, validFor(r))
		return nil
	})
	if err != nil {
		return err
	}
	return writeLink(w, out)
}
