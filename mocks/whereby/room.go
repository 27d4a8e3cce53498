package whereby

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/store"
)

// Internal timelines: one-step scenarios started at a future time.
const (
	sessionCheckScenario  = "whereby.session.check"
	recordingScenario     = "whereby.recording.process"
	transcriptionScenario = "whereby.transcription.process"
)

// roomOf returns a meeting's room state, new when nobody came yet.
func roomOf(tx *store.Tx, mt *meeting) (*room, bool, error) {
	r, err := tx.Get(Vendor, kindRoom, mt.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return &room{MeetingID: mt.MeetingID, RoomName: mt.RoomName, Present: []string{}, Roles: map[string]int{}}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rm, err := decode[room](r)
	if err != nil {
		return nil, false, err
	}
	if rm.Roles == nil {
		rm.Roles = map[string]int{}
	}
	return rm, true, nil
}

func saveRoom(tx *store.Tx, rm *room, stored bool) error {
	res := &store.Resource{Vendor: Vendor, Kind: kindRoom, ID: rm.MeetingID, Doc: mustJSON(rm)}
	if stored {
		return tx.UpdateDoc(res)
	}
	return tx.Insert(res)
}

// joinInput describes someone entering a room.
type joinInput struct {
	DisplayName string  `json:"displayName"`
	RoleName    string  `json:"roleName"`
	ExternalID  *string `json:"externalId"`
	Metadata    *string `json:"metadata"`
	IsDialIn    bool    `json:"isDialIn"`
	// Alias names the participant in a scenario's later steps.
	Alias string `json:"-"`
}

// join brings a participant into the room (id "" for a new one):
// room.client.joined, then room.session.started when it is the second.
func (m *Mock) join(tx *store.Tx, mt *meeting, rm *room, in joinInput, id string) (*participant, error) {
	now := tx.Now()
	if in.RoleName == "" {
		in.RoleName = "visitor"
	}
	if in.DisplayName == "" {
		in.DisplayName = "Guest"
	}
	if id == "" {
		id = uuid.NewString()
	}
	if rm.SessionID == "" {
		s := session{RoomSessionID: uuid.NewString(), MeetingID: mt.MeetingID, RoomName: mt.RoomName, StartedAt: millis(now)}
		if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindSession, ID: s.RoomSessionID, Parent: mt.MeetingID, Doc: mustJSON(s),
			Keys: []store.Key{store.K("roomName", mt.RoomName)}}); err != nil {
			return nil, err
		}
		rm.SessionID, rm.Started, rm.BelowTwoSince = s.RoomSessionID, false, ""
	}
	p := &participant{
		ParticipantID: id, RoomSessionID: rm.SessionID, MeetingID: mt.MeetingID, RoomName: mt.RoomName,
		DisplayName: in.DisplayName, RoleName: in.RoleName, ExternalID: in.ExternalID, Metadata: in.Metadata, IsDialIn: in.IsDialIn,
		DeviceID: stableUUID("device", tx.Workspace(), id), UserID: stableUUID("user", tx.Workspace(), id), JoinedAt: millis(now),
	}
	keys := []store.Key{store.K("meetingId", mt.MeetingID)}
	if p.ExternalID != nil {
		keys = append(keys, store.K("externalId", *p.ExternalID))
	}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindParticipant, ID: id, Parent: rm.SessionID, Doc: mustJSON(p), Keys: keys}); err != nil {
		return nil, err
	}
	rm.Present = append(rm.Present, id)
	rm.Roles[p.RoleName]++
	if in.Alias != "" {
		if rm.Aliases == nil {
			rm.Aliases = map[string]string{}
		}
		rm.Aliases[in.Alias] = id
	}
	if err := m.emit(tx, "room.client.joined", m.clientEvent(mt, rm, p)); err != nil {
		return nil, err
	}
	if len(rm.Present) == 1 {
		if err := m.autoStart(tx, mt, rm, "automatic"); err != nil {
			return nil, err
		}
	}
	if len(rm.Present) >= 2 {
		rm.BelowTwoSince = ""
		if !rm.Started {
			rm.Started = true
			if err := markStarted(tx, rm.SessionID); err != nil {
				return nil, err
			}
			if err := m.emit(tx, "room.session.started", m.roomEvent(mt, rm)); err != nil {
				return nil, err
			}
			if err := m.autoStart(tx, mt, rm, "automatic-2nd-participant"); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// markStarted records that a session had two participants.
func markStarted(tx *store.Tx, id string) error {
	r, err := tx.Get(Vendor, kindSession, id)
	if err != nil {
		return err
	}
	s, err := decode[session](r)
	if err != nil {
		return err
	}
	s.Started = true
	r.Doc = mustJSON(s)
	return tx.UpdateDoc(r)
}

// leave takes participant id out of the room: room.client.left, and the
// session's end is scheduled when fewer than two remain.
func (m *Mock) leave(tx *store.Tx, mt *meeting, rm *room, id string, emit bool) error {
	i := slices.Index(rm.Present, id)
	if i < 0 {
		return notFound("Participant", id)
	}
	r, err := tx.Get(Vendor, kindParticipant, id)
	if err != nil {
		return err
	}
	p, err := decode[participant](r)
	if err != nil {
		return err
	}
	now := millis(tx.Now())
	p.LeftAt = &now
	r.Doc = mustJSON(p)
	if err := tx.UpdateDoc(r); err != nil {
		return err
	}
	rm.Present = slices.Delete(rm.Present, i, i+1)
	if rm.Roles[p.RoleName]--; rm.Roles[p.RoleName] <= 0 {
		delete(rm.Roles, p.RoleName)
	}
	if emit {
		if err := m.emit(tx, "room.client.left", m.clientEvent(mt, rm, p)); err != nil {
			return err
		}
	}
	if rm.SessionID == "" || p.RoomSessionID != rm.SessionID {
		return nil
	}
	switch {
	case !rm.Started && len(rm.Present) == 0:
		// Nobody met: the session ends as it empties.
		return m.endSession(tx, mt, rm, tx.Now(), false)
	case rm.Started && len(rm.Present) < 2 && rm.BelowTwoSince == "":
		rm.BelowTwoSince = now
		if m.scen == nil {
			return nil
		}
		_, err := m.scen.Start(tx, sessionCheckScenario, tx.Now().Add(m.cfg.SessionEndDelay), map[string]string{
			"meeting_id": mt.MeetingID, "session_id": rm.SessionID, "since": now,
		})
		return err
	}
	return nil
}

// checkSession ends a session that has had fewer than two participants
// since since (a scheduled step; a session that filled up again meanwhile
// goes on).
func (m *Mock) checkSession(tx *store.Tx, p map[string]string) error {
	mt, err := meetingByID(tx, p["meeting_id"])
	if err != nil {
		return nil // gone: closed with it
	}
	rm, stored, err := roomOf(tx, mt)
	if err != nil || !stored {
		return err
	}
	if rm.SessionID != p["session_id"] || rm.BelowTwoSince != p["since"] {
		return nil
	}
	if err := m.endSession(tx, mt, rm, parseMillis(rm.BelowTwoSince), true); err != nil {
		return err
	}
	return saveRoom(tx, rm, true)
}

// endSession closes the room's session as of end: room.session.ended
// (when emit and it had started), and its recording and live
// transcription are processed.
func (m *Mock) endSession(tx *store.Tx, mt *meeting, rm *room, end time.Time, emit bool) error {
	r, err := tx.Get(Vendor, kindSession, rm.SessionID)
	if err != nil {
		return err
	}
	s, err := decode[session](r)
	if err != nil {
		return err
	}
	ended := millis(end)
	s.EndedAt = &ended
	r.Doc = mustJSON(s)
	if err := tx.UpdateDoc(r); err != nil {
		return err
	}
	if emit && rm.Started {
		if err := m.emit(tx, "room.session.ended", m.roomEvent(mt, rm)); err != nil {
			return err
		}
	}
	if err := m.stopRecording(tx, mt, rm, end); err != nil {
		return err
	}
	if err := m.stopTranscription(tx, rm, end); err != nil {
		return err
	}
	rm.SessionID, rm.Started, rm.BelowTwoSince = "", false, ""
	return nil
}

// closeRoom sends everyone out of a meeting's room and ends its session,
// with the events when emit is set (a DELETE), silently at expiry.
func (m *Mock) closeRoom(tx *store.Tx, mt *meeting, emit bool) error {
	rm, stored, err := roomOf(tx, mt)
	if err != nil || !stored {
		return err
	}
	for _, id := range slices.Clone(rm.Present) {
		if err := m.leave(tx, mt, rm, id, emit); err != nil {
			return err
		}
	}
	if rm.SessionID != "" {
		end := tx.Now()
		if rm.BelowTwoSince != "" {
			end = parseMillis(rm.BelowTwoSince)
		}
		if err := m.endSession(tx, mt, rm, end, emit); err != nil {
			return err
		}
	}
	knocks, err := tx.ListByKey(Vendor, kindKnock, "meetingId", mt.MeetingID)
	if err != nil {
		return err
	}
	for _, k := range knocks {
		if err := tx.Delete(Vendor, kindKnock, k.ID); err != nil {
			return err
		}
	}
	return tx.Delete(Vendor, kindRoom, mt.MeetingID)
}

// knockAt makes someone knock on a room's door: room.client.knocked.
func (m *Mock) knockAt(tx *store.Tx, mt *meeting, rm *room, in joinInput) (*knock, error) {
	k := &knock{KnockID: uuid.NewString(), MeetingID: mt.MeetingID, DisplayName: in.DisplayName, RoleName: in.RoleName,
		ExternalID: in.ExternalID, Metadata: in.Metadata, KnockedAt: millis(tx.Now())}
	if k.DisplayName == "" {
		k.DisplayName = "Guest"
	}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindKnock, ID: k.KnockID, Parent: mt.MeetingID, Doc: mustJSON(k),
		Keys: []store.Key{store.K("meetingId", mt.MeetingID)}}); err != nil {
		return nil, err
	}
	if in.Alias != "" {
		if rm.Aliases == nil {
			rm.Aliases = map[string]string{}
		}
		rm.Aliases[in.Alias] = k.KnockID
	}
	return k, m.emit(tx, "room.client.knocked", m.knockEvent(mt, rm, k))
}

// answerKnock lets a knocker in (admit) or has them give up
// (room.client.knockCancelled).
func (m *Mock) answerKnock(tx *store.Tx, mt *meeting, rm *room, id string, admit bool) (*participant, error) {
	r, err := tx.Get(Vendor, kindKnock, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Knock", id)
	}
	if err != nil {
		return nil, err
	}
	k, err := decode[knock](r)
	if err != nil {
		return nil, err
	}
	if k.MeetingID != mt.MeetingID {
		return nil, notFound("Knock", id)
	}
	if err := tx.Delete(Vendor, kindKnock, id); err != nil {
		return nil, err
	}
	if !admit {
		return nil, m.emit(tx, "room.client.knockCancelled", m.knockEvent(mt, rm, k))
	}
	// The knocker comes in with the same participant id.
	alias := ""
	for a, v := range rm.Aliases {
		if v == id {
			alias = a
		}
	}
	return m.join(tx, mt, rm, joinInput{DisplayName: k.DisplayName, RoleName: k.RoleName, ExternalID: k.ExternalID, Metadata: k.Metadata, Alias: alias}, id)
}

func (m *Mock) clientEvent(mt *meeting, rm *room, p *participant) clientEvent {
	return clientEvent{
		RoleName: p.RoleName, DisplayName: p.DisplayName, MeetingID: mt.MeetingID, RoomName: mt.RoomName, Subdomain: mt.Subdomain,
		RoomSessionID: strPtr(p.RoomSessionID), ParticipantID: p.ParticipantID,
		NumClients: len(rm.Present), NumClientsByRoleName: maps.Clone(rm.Roles),
		Metadata: p.Metadata, ExternalID: p.ExternalID, IsDialIn: p.IsDialIn,
	}
}

func (m *Mock) knockEvent(mt *meeting, rm *room, k *knock) knockEvent {
	return knockEvent{DisplayName: k.DisplayName, MeetingID: mt.MeetingID, RoomName: mt.RoomName, Subdomain: mt.Subdomain,
		RoomSessionID: strPtr(rm.SessionID), ParticipantID: k.KnockID, Metadata: k.Metadata, ExternalID: k.ExternalID}
}

func (m *Mock) roomEvent(mt *meeting, rm *room) roomEvent {
	return roomEvent{MeetingID: mt.MeetingID, RoomName: mt.RoomName, RoomSessionID: strPtr(rm.SessionID), Subdomain: mt.Subdomain}
}

// autoStart starts the recording and live transcription whose trigger is
// trigger.
func (m *Mock) autoStart(tx *store.Tx, mt *meeting, rm *room, trigger string) error {
	if rec := mt.Recording; rec != nil && rec.Type == "cloud" && rec.StartTrigger == trigger && rm.Recording == nil {
		m.startRecording(tx, rm, false)
	}
	if lt := mt.LiveTranscription; lt != nil && lt.StartTrigger == trigger && rm.Transcription == nil {
		if _, err := m.startTranscription(tx, mt, rm, false); err != nil {
			return err
		}
	}
	return nil
}

// startRecording starts recording the current session (its Recording
// appears once the session ends and the recording is processed).
func (m *Mock) startRecording(tx *store.Tx, rm *room, fail bool) string {
	if rm.Recording != nil {
		return rm.Recording.ID
	}
	rm.Recording = &running{ID: uuid.NewString(), StartedAt: millis(tx.Now()), Fail: fail || rm.FailRecording}
	return rm.Recording.ID
}

// stopRecording stops the session's recording at end and schedules its
// processing.
func (m *Mock) stopRecording(tx *store.Tx, mt *meeting, rm *room, end time.Time) error {
	rec := rm.Recording
	if rec == nil {
		return nil
	}
	rm.Recording = nil
	if m.scen == nil {
		return nil
	}
	format := "mp4"
	storage := wherebyHosted
	if mt.Recording != nil && mt.Recording.Destination != nil {
		if mt.Recording.Destination.FileFormat != "" {
			format = mt.Recording.Destination.FileFormat
		}
		storage = storageOf(mt.Recording.Destination)
	}
	_, err := m.scen.Start(tx, recordingScenario, tx.Now().Add(m.cfg.RecordingDelay), map[string]string{
		"meeting_id": mt.MeetingID, "recording_id": rec.ID, "session_id": rm.SessionID, "room_name": mt.RoomName,
		"started": rec.StartedAt, "ended": millis(end), "format": format, "storage": storage, "fail": strconv.FormatBool(rec.Fail),
	})
	return err
}

// processRecording makes a stopped recording's Recording and sends
// recording.finished; a failing one leaves nothing (the vendor has no
// event for it).
func (m *Mock) processRecording(tx *store.Tx, p map[string]string) error {
	if p["fail"] == "true" {
		return nil
	}
	start, end := parseMillis(p["started"]), parseMillis(p["ended"])
	secs := max(0, int(end.Sub(start).Seconds()))
	rc := &recording{
		RecordingID: p["recording_id"], RoomSessionID: p["session_id"],
		Filename:  fileStem(p["room_name"], start) + "." + p["format"],
		StartDate: millis(start), EndDate: millis(end),
		// About 4 MB a minute of 720p video.
		SizeInMegaBytes: float64(secs*4*10/60) / 10,
		RoomName:        p["room_name"], MeetingID: p["meeting_id"], StorageType: p["storage"], DurationSeconds: secs,
	}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindRecording, ID: rc.RecordingID, Parent: rc.RoomSessionID, Doc: mustJSON(rc),
		Keys: []store.Key{store.K("roomName", rc.RoomName)}}); err != nil {
		return err
	}
	return m.emit(tx, "recording.finished", finishedEvent(rc))
}

// fileStem names a room's file of a session started at start.
// finishedEvent is the data of recording.finished about rc.
func finishedEvent(rc *recording) recordingEvent {
	return recordingEvent{Filename: rc.Filename, RecordingID: rc.RecordingID, RoomName: rc.RoomName, Status: "completed"}
}

func fileStem(roomName string, start time.Time) string {
	name := roomName
	if len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	return name + "-" + millis(start)
}
