package whereby

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// createMeetingInput is the body of POST /meetings.
type createMeetingInput struct {
	EndDate           string                 `json:"endDate"`
	StartDate         string                 `json:"startDate"`
	IsLocked          bool                   `json:"isLocked"`
	RoomMode          string                 `json:"roomMode"`
	RoomNamePrefix    string                 `json:"roomNamePrefix"`
	RoomNamePattern   string                 `json:"roomNamePattern"`
	TemplateType      string                 `json:"templateType"`
	Recording         *recordingSettings     `json:"recording"`
	LiveTranscription *transcriptionSettings `json:"liveTranscription"`
	Streaming         json.RawMessage        `json:"streaming"`
	Fields            []string               `json:"fields"`
}

// sweepScenario removes the meetings that have expired.
const sweepScenario = "whereby.meetings.sweep"

// scheduleSweep makes sure a sweep runs by at, when a meeting expires. One
// sweep serves every meeting that expires by its time (it schedules the
// next), so most creates schedule nothing: the workspace's next sweep is
// remembered (after a restart or a reset, the first create schedules one
// again; an extra sweep does no harm).
func (m *Mock) scheduleSweep(tx *store.Tx, at time.Time) error {
	if m.scen == nil {
		return nil
	}
	ws := tx.Workspace()
	if v, ok := m.sweeps.Load(ws); ok && !v.(time.Time).After(at) {
		return nil
	}
	if _, err := m.scen.Start(tx, sweepScenario, at, nil); err != nil {
		return err
	}
	tx.OnCommit(func() { m.sweeps.Store(ws, at) })
	return nil
}

// sweep removes the meetings that have expired and schedules the next
// sweep, at the earliest expiry of those left.
func (m *Mock) sweep(tx *store.Tx, _ map[string]string) error {
	ws := tx.Workspace()
	tx.OnCommit(func() { m.sweeps.Delete(ws) })
	list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindMeeting, Asc: true})
	if err != nil {
		return err
	}
	var next time.Time
	for i := range list {
		mt, err := decode[meeting](&list[i])
		if err != nil {
			return err
		}
		if mt.expired(tx.Now()) {
			if err := m.removeMeeting(tx, mt, false); err != nil {
				return err
			}
			continue
		}
		if at := parseMillis(mt.ExpiresAt); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if next.IsZero() {
		return nil
	}
	if _, err := m.scen.Start(tx, sweepScenario, next, nil); err != nil {
		return err
	}
	tx.OnCommit(func() { m.sweeps.Store(ws, next) })
	return nil
}

// createMeeting serves POST /meetings.
func (m *Mock) createMeeting(w http.ResponseWriter, r *http.Request) error {
	var in createMeetingInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	end, err := time.Parse(time.RFC3339Nano, in.EndDate)
	if err != nil {
		return invalid("endDate", "endDate must be a date-time such as 2099-02-18T14:23:00.000Z")
	}
	var mt *meeting
	err = m.update(r.Context(), func(tx *store.Tx) error {
		now := tx.Now()
		if !end.After(now) {
			return invalid("endDate", "endDate must be in the future (it is %s, now is %s)", millis(end), millis(now))
		}
		mt, err = m.insertMeeting(tx, &in, end)
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, mt.view(in.Fields))
	return nil
}

// insertMeeting stores a new meeting ending at end, and schedules its
// expiry.
func (m *Mock) insertMeeting(tx *store.Tx, in *createMeetingInput, end time.Time) (*meeting, error) {
	now := tx.Now()
	seq, err := tx.NextSeq("whereby.meeting")
	if err != nil {
		return nil, err
	}
	id := fmt.Sprint(10_000_000 + stableNumber(80_000_000, tx.Workspace()) + uint64(seq))
	name := "/" + roomNamePrefix(in.RoomNamePrefix)
	if in.RoomNamePattern == "human-short" {
		name += humanShort()
	} else {
		name += uuid.NewString()
	}
	sub := m.subdomain(tx)
	roomURL := "https://" + sub + ".whereby.com" + name
	mt := &meeting{
		MeetingID: id, RoomName: name, RoomURL: roomURL, StartDate: millis(now), EndDate: millis(end),
		HostRoomURL:   roomURL + "?roomKey=" + roomKey(tx.Workspace(), id, "host"),
		ViewerRoomURL: roomURL + "?roomKey=" + roomKey(tx.Workspace(), id, "viewer"),
		ExpiresAt:     millis(end.Add(m.cfg.ExpiryGrace)), Subdomain: sub,
		IsLocked: in.IsLocked, RoomMode: in.RoomMode, TemplateType: in.TemplateType,
		Recording: in.Recording, LiveTranscription: in.LiveTranscription, Streaming: in.Streaming,
	}
	if mt.RoomMode == "" {
		mt.RoomMode = "normal"
	}
	if mt.TemplateType == "viewerMode" {
		// A viewer-mode room is a locked group room.
		mt.IsLocked, mt.RoomMode = true, "group"
	}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindMeeting, ID: id, Doc: mustJSON(mt), Keys: []store.Key{store.T("roomName", name)}}); err != nil {
		return nil, err
	}
	if err := m.scheduleSweep(tx, end.Add(m.cfg.ExpiryGrace)); err != nil {
		return nil, err
	}
	return mt, nil
}

// roomNamePrefix is the prefix as the vendor applies it: lower case,
// without white space, joined to the generated part by a hyphen.
func roomNamePrefix(p string) string {
	p = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, p)
	if p != "" && !strings.HasSuffix(p, "-") {
		p += "-"
	}
	return p
}

// humanShort is six characters that cannot be mistaken for one another.
func humanShort() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	id := uuid.New()
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[int(id[i])%len(alphabet)]
	}
	return string(b)
}

// roomKey is a meeting's key for a role, as in its host and viewer URLs.
func roomKey(ws, meetingID, role string) string {
	sum := sha256.Sum256([]byte("room-key\x00" + ws + "\x00" + meetingID + "\x00" + role))
	return hex.EncodeToString(sum[:12])
}

// fieldsParam reads fields (comma-separated).
func fieldsParam(r *http.Request) []string {
	var out []string
	for _, v := range mocks.Params(r)["fields"] {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}

// expired reports whether a meeting's room is gone.
func (mt *meeting) expired(now time.Time) bool { return !now.Before(parseMillis(mt.ExpiresAt)) }

// meetingByID returns a meeting that has not expired, or a 404.
func meetingByID(tx *store.Tx, id string) (*meeting, error) {
	mt, err := byID[meeting](tx, kindMeeting, "Meeting", id)
	if err != nil {
		return nil, err
	}
	if mt.expired(tx.Now()) {
		return nil, notFound("Meeting", id)
	}
	return mt, nil
}

// listMeetings serves GET /meetings: oldest first, on the store's cursor
// pages, which stay put while meetings are added.
func (m *Mock) listMeetings(w http.ResponseWriter, r *http.Request) error {
	if err := checkFilter(r, "roomName", "startsWith"); err != nil {
		return err
	}
	p := mocks.Params(r)
	q := store.Query{Vendor: Vendor, Kind: kindMeeting, Asc: true, Limit: limitParam(r, 50), After: p.Get("cursor")}
	if prefix := p.Get("roomName[startsWith]"); prefix != "" {
		q.Filters = []store.Filter{{Name: "roomName", Op: store.OpPrefix, Values: []string{prefix}}}
	}
	fields := fieldsParam(r)
	out := listPage[meetingView]{Results: []meetingView{}}
	err := m.view(r.Context(), func(tx *store.Tx) error {
		page, err := tx.ListPage(q)
		if errors.Is(err, store.ErrInvalidCursor) {
			return errBadCursor()
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		for i := range page.Resources {
			mt, err := decode[meeting](&page.Resources[i])
			if err != nil {
				return err
			}
			if !mt.expired(now) {
				out.Results = append(out.Results, mt.view(fields))
			}
		}
		if page.Next != "" {
			out.Cursor = &page.Next
		}
		return nil
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}

// getMeeting serves GET /meetings/{meetingId}.
func (m *Mock) getMeeting(w http.ResponseWriter, r *http.Request) error {
	var mt *meeting
	err := m.view(r.Context(), func(tx *store.Tx) error {
		var err error
		mt, err = meetingByID(tx, mocks.PathParam(r, "meetingId"))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, mt.view(fieldsParam(r)))
	return nil
}

// deleteMeeting serves DELETE /meetings/{meetingId}: participants are sent
// out (room.client.left, and room.session.ended for a session under way).
// A meeting that is already gone answers the same.
func (m *Mock) deleteMeeting(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "meetingId")
	err := m.update(r.Context(), func(tx *store.Tx) error {
		mt, err := meetingByID(tx, id)
		var me *mocks.Error
		if errors.As(err, &me) && me.Code == mocks.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		return m.removeMeeting(tx, mt, true)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeMeeting closes a meeting's room (with its events when emit is
// set) and deletes it; its room stays in insights.
func (m *Mock) removeMeeting(tx *store.Tx, mt *meeting, emit bool) error {
	if err := m.closeRoom(tx, mt, emit); err != nil {
		return err
	}
	ins := roomInsight{RoomName: mt.RoomName, MeetingID: mt.MeetingID, CreatedAt: mt.StartDate, EndAt: mt.EndDate}
	err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindRoomInsight, ID: mt.RoomName, Doc: mustJSON(ins), Keys: []store.Key{store.K("roomName", mt.RoomName)}})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	if err := tx.Delete(Vendor, kindMeeting, mt.MeetingID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
