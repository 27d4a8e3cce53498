package whereby

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Insights are computed from the simulated sessions: participant minutes
// from joins and leaves (an ongoing stay counts up to now), recorder
// minutes from recordings, unique participants by external id (else by
// participant).

type roomInsightView struct {
	RoomName                string   `json:"roomName"`
	CreatedAt               string   `json:"createdAt"`
	EndAt                   *string  `json:"endAt"`
	FirstSessionStartedAt   *string  `json:"firstSessionStartedAt"`
	LastSessionStartedAt    *string  `json:"lastSessionStartedAt"`
	TotalParticipantMinutes int      `json:"totalParticipantMinutes"`
	TotalRecorderMinutes    int      `json:"totalRecorderMinutes"`
	TotalStreamerMinutes    int      `json:"totalStreamerMinutes"`
	TotalUniqueParticipants int      `json:"totalUniqueParticipants"`
	TotalUniqueRecorders    int      `json:"totalUniqueRecorders"`
	TotalUniqueStreamers    int      `json:"totalUniqueStreamers"`
	TotalSessions           int      `json:"totalSessions"`
	Rating                  *float64 `json:"rating"`
	TotalRatings            *float64 `json:"totalRatings"`
}

type sessionInsightView struct {
	RoomSessionID           string   `json:"roomSessionId"`
	RoomName                string   `json:"roomName"`
	StartedAt               string   `json:"startedAt"`
	EndedAt                 *string  `json:"endedAt"`
	CreatedAt               string   `json:"createdAt"`
	EndAt                   *string  `json:"endAt"`
	TotalParticipantMinutes int      `json:"totalParticipantMinutes"`
	TotalRecorderMinutes    int      `json:"totalRecorderMinutes"`
	TotalStreamerMinutes    int      `json:"totalStreamerMinutes"`
	TotalUniqueParticipants int      `json:"totalUniqueParticipants"`
	TotalUniqueRecorders    int      `json:"totalUniqueRecorders"`
	TotalUniqueStreamers    int      `json:"totalUniqueStreamers"`
	Rating                  *float64 `json:"rating"`
	TotalRatings            *float64 `json:"totalRatings"`
}

type participantInsightView struct {
	RoomSessionID string   `json:"roomSessionId"`
	ParticipantID string   `json:"participantId"`
	DeviceID      string   `json:"deviceId"`
	UserID        string   `json:"userId"`
	RoleName      string   `json:"roleName"`
	DisplayName   string   `json:"displayName"`
	JoinedAt      string   `json:"joinedAt"`
	LeftAt        *string  `json:"leftAt"`
	ExternalID    *string  `json:"externalId"`
	Rating        *float64 `json:"rating"`
	Tags          []string `json:"tags"`
	Comment       *string  `json:"comment"`
}

// sessionStats are the figures of one session.
type sessionStats struct {
	s                           *session
	participantMins, recordMins int
	unique, recorders           int
	started                     bool
}

// minutes is the whole minutes between two times, rounded up.
func minutes(from, to time.Time) int {
	if !to.After(from) {
		return 0
	}
	return int(math.Ceil(to.Sub(from).Minutes()))
}

// statsOf computes a session's figures. Sessions that never had two
// participants are not sessions to the vendor (started is false).
func statsOf(tx *store.Tx, s *session) (sessionStats, error) {
	st := sessionStats{s: s}
	now := tx.Now()
	list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindParticipant, Parent: s.RoomSessionID, HasParent: true, Asc: true})
	if err != nil {
		return st, err
	}
	people := map[string]bool{}
	for i := range list {
		p, err := decode[participant](&list[i])
		if err != nil {
			return st, err
		}
		end := now
		if p.LeftAt != nil {
			end = parseMillis(*p.LeftAt)
		}
		switch p.RoleName {
		case "recorder", "streamer":
			continue
		}
		st.participantMins += minutes(parseMillis(p.JoinedAt), end)
		who := p.ParticipantID
		if p.ExternalID != nil {
			who = "x:" + *p.ExternalID
		}
		people[who] = true
	}
	st.unique = len(people)
	st.started = s.Started
	recs, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindRecording, Parent: s.RoomSessionID, HasParent: true})
	if err != nil {
		return st, err
	}
	for i := range recs {
		rc, err := decode[recording](&recs[i])
		if err != nil {
			return st, err
		}
		st.recordMins += (rc.DurationSeconds + 59) / 60
		st.recorders = 1
	}
	return st, nil
}

// sessionsOf returns the started sessions of a room, oldest first.
func sessionsOf(tx *store.Tx, roomName string) ([]sessionStats, error) {
	list, err := tx.ListByKey(Vendor, kindSession, "roomName", roomName)
	if err != nil {
		return nil, err
	}
	var out []sessionStats
	for i := range list {
		s, err := decode[session](&list[i])
		if err != nil {
			return nil, err
		}
		st, err := statsOf(tx, s)
		if err != nil {
			return nil, err
		}
		if st.started {
			out = append(out, st)
		}
	}
	return out, nil
}

// roomsOf returns the rooms of the workspace's meetings, those that are
// gone included, that match filters.
func roomsOf(tx *store.Tx, filters []store.Filter) ([]*roomInsight, error) {
	var out []*roomInsight
	seen := map[string]bool{}
	gone, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindRoomInsight, Asc: true, Filters: filters})
	if err != nil {
		return nil, err
	}
	for i := range gone {
		ri, err := decode[roomInsight](&gone[i])
		if err != nil {
			return nil, err
		}
		seen[ri.RoomName] = true
		out = append(out, ri)
	}
	live, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindMeeting, Asc: true, Filters: filters})
	if err != nil {
		return nil, err
	}
	for i := range live {
		mt, err := decode[meeting](&live[i])
		if err != nil {
			return nil, err
		}
		if !seen[mt.RoomName] {
			out = append(out, &roomInsight{RoomName: mt.RoomName, MeetingID: mt.MeetingID, CreatedAt: mt.StartDate, EndAt: mt.EndDate})
		}
	}
	return out, nil
}

// listRoomInsights serves GET /insights/rooms.
func (m *Mock) listRoomInsights(w http.ResponseWriter, r *http.Request) error {
	if err := checkFilter(r, "roomName", "exact", "startsWith", "contains"); err != nil {
		return err
	}
	if err := checkFilter(r, "createdAt", "from", "to"); err != nil {
		return err
	}
	p := mocks.Params(r)
	field, desc := sortParam(r, "createdAt:desc")
	exact, prefix, contains := p.Get("roomName[exact]"), p.Get("roomName[startsWith]"), p.Get("roomName[contains]")
	from, to := p.Get("createdAt[from]"), p.Get("createdAt[to]")
	var out listPage[roomInsightView]
	err := m.view(r.Context(), func(tx *store.Tx) error {
		var filters []store.Filter
		switch {
		case exact != "":
			filters = append(filters, store.Filter{Name: "roomName", Op: store.OpIn, Values: []string{exact}})
		case prefix != "":
			filters = append(filters, store.Filter{Name: "roomName", Op: store.OpPrefix, Values: []string{prefix}})
		}
		rooms, err := roomsOf(tx, filters)
		if err != nil {
			return err
		}
		var rows []sortable[roomInsightView]
		for _, ri := range rooms {
			if contains != "" && !strings.Contains(ri.RoomName, contains) {
				continue
			}
			created := parseMillis(ri.CreatedAt)
			if from != "" && created.Before(parseTime(from)) || to != "" && created.After(parseTime(to)) {
				continue
			}
			sessions, err := sessionsOf(tx, ri.RoomName)
			if err != nil {
				return err
			}
			v := roomInsightView{RoomName: ri.RoomName, CreatedAt: ri.CreatedAt, EndAt: strPtr(ri.EndAt), TotalSessions: len(sessions)}
			people := 0
			for _, st := range sessions {
				v.TotalParticipantMinutes += st.participantMins
				v.TotalRecorderMinutes += st.recordMins
				v.TotalUniqueRecorders = max(v.TotalUniqueRecorders, st.recorders)
				people += st.unique
			}
			v.TotalUniqueParticipants = people
			if len(sessions) > 0 {
				v.FirstSessionStartedAt = strPtr(sessions[0].s.StartedAt)
				v.LastSessionStartedAt = strPtr(sessions[len(sessions)-1].s.StartedAt)
			}
			var key string
			switch field {
			case "roomName":
				key = textKey(v.RoomName)
			case "totalSessions":
				key = numberKey(float64(v.TotalSessions))
			case "totalParticipantMinutes":
				key = numberKey(float64(v.TotalParticipantMinutes))
			case "totalUniqueParticipants":
				key = numberKey(float64(v.TotalUniqueParticipants))
			default:
				key = textKey(v.CreatedAt)
			}
			rows = append(rows, sortable[roomInsightView]{key: key, id: v.RoomName, row: v})
		}
		out, err = pageOf(rows, desc, p.Get("cursor"), limitParam(r, 10))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// listRoomSessionInsights serves GET /insights/room-sessions.
func (m *Mock) listRoomSessionInsights(w http.ResponseWriter, r *http.Request) error {
	p := mocks.Params(r)
	field, desc := sortParam(r, "startedAt:desc")
	var out listPage[sessionInsightView]
	err := m.view(r.Context(), func(tx *store.Tx) error {
		sessions, err := sessionsOf(tx, p.Get("roomName"))
		if err != nil {
			return err
		}
		var rows []sortable[sessionInsightView]
		for _, st := range sessions {
			if id := p.Get("roomSessionId"); id != "" && st.s.RoomSessionID != id {
				continue
			}
			v := sessionInsightView{
				RoomSessionID: st.s.RoomSessionID, RoomName: st.s.RoomName, StartedAt: st.s.StartedAt, EndedAt: st.s.EndedAt,
				CreatedAt: st.s.StartedAt, EndAt: st.s.EndedAt, TotalParticipantMinutes: st.participantMins,
				TotalRecorderMinutes: st.recordMins, TotalUniqueParticipants: st.unique, TotalUniqueRecorders: st.recorders,
			}
			var key string
			switch field {
			case "endedAt":
				if v.EndedAt != nil {
					key = textKey(*v.EndedAt)
				}
			case "totalParticipantMinutes":
				key = numberKey(float64(v.TotalParticipantMinutes))
			case "totalUniqueParticipants":
				key = numberKey(float64(v.TotalUniqueParticipants))
			default:
				key = textKey(v.StartedAt)
			}
			rows = append(rows, sortable[sessionInsightView]{key: key, id: v.RoomSessionID, row: v})
		}
		out, err = pageOf(rows, desc, p.Get("cursor"), limitParam(r, 10))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (p *participant) insight() participantInsightView {
	return participantInsightView{
		RoomSessionID: p.RoomSessionID, ParticipantID: p.ParticipantID, DeviceID: p.DeviceID, UserID: p.UserID,
		RoleName: p.RoleName, DisplayName: p.DisplayName, JoinedAt: p.JoinedAt, LeftAt: p.LeftAt, ExternalID: p.ExternalID,
	}
}

// listParticipantInsights serves GET /insights/participants: of a session,
// or by external id.
func (m *Mock) listParticipantInsights(w http.ResponseWriter, r *http.Request) error {
	p := mocks.Params(r)
	sessionID, externalID := p.Get("roomSessionId"), p.Get("externalId")
	if sessionID == "" && externalID == "" {
		return invalid("roomSessionId", "roomSessionId is required (or externalId)")
	}
	field, desc := sortParam(r, "joinedAt:asc")
	var out listPage[participantInsightView]
	err := m.view(r.Context(), func(tx *store.Tx) error {
		var list []store.Resource
		var err error
		if sessionID != "" {
			list, _, err = tx.List(store.Query{Vendor: Vendor, Kind: kindParticipant, Parent: sessionID, HasParent: true, Asc: true})
		} else {
			list, err = tx.ListByKey(Vendor, kindParticipant, "externalId", externalID)
		}
		if err != nil {
			return err
		}
		var rows []sortable[participantInsightView]
		for i := range list {
			pt, err := decode[participant](&list[i])
			if err != nil {
				return err
			}
			if externalID != "" && (pt.ExternalID == nil || *pt.ExternalID != externalID) {
				continue
			}
			key := textKey(pt.JoinedAt)
			if field == "leftAt" && pt.LeftAt != nil {
				key = textKey(*pt.LeftAt)
			} else if field == "leftAt" {
				key = "~" // still in: after every time
			}
			rows = append(rows, sortable[participantInsightView]{key: key, id: pt.ParticipantID, row: pt.insight()})
		}
		out, err = pageOf(rows, desc, p.Get("cursor"), limitParam(r, 10))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}

type participantDetail struct {
	DisplayName  string               `json:"displayName"`
	UserRole     string               `json:"userRole"`
	UserAgent    string               `json:"userAgent"`
	TimeStamp    string               `json:"timeStamp"`
	SampleRateMs int                  `json:"sampleRateMs"`
	Samples      map[string][]float64 `json:"samples"`
	Events       []detailEvent        `json:"events"`
}

type detailEvent struct {
	Type      string `json:"type"`
	TimeStamp string `json:"timeStamp"`
}

// getParticipantInsights serves GET /insights/participant: one entry for
// the participant's device, with network samples every 10 s of the stay
// (derived from its id, so the same every time).
func (m *Mock) getParticipantInsights(w http.ResponseWriter, r *http.Request) error {
	p := mocks.Params(r)
	sessionID, id := p.Get("roomSessionId"), p.Get("participantId")
	out := []participantDetail{}
	err := m.view(r.Context(), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindParticipant, id)
		if err != nil {
			return nil // none: an empty list
		}
		pt, err := decode[participant](res)
		if err != nil || pt.RoomSessionID != sessionID {
			return err
		}
		joined, left := parseMillis(pt.JoinedAt), tx.Now()
		if pt.LeftAt != nil {
			left = parseMillis(*pt.LeftAt)
		}
		const rate = 10 * time.Second
		n := min(360, int(left.Sub(joined)/rate)+1)
		samples := map[string][]float64{"packetLossSend": {}, "packetLossRecv": {}, "bitrateSend": {}, "bitrateRecv": {}}
		for i := range n {
			v := func(name string, lo, span uint64) float64 {
				return float64(lo + stableNumber(span, id, name, strconv.Itoa(i)))
			}
			samples["packetLossSend"] = append(samples["packetLossSend"], v("pls", 0, 3)/100)
			samples["packetLossRecv"] = append(samples["packetLossRecv"], v("plr", 0, 3)/100)
			samples["bitrateSend"] = append(samples["bitrateSend"], v("bs", 400000, 800000))
			samples["bitrateRecv"] = append(samples["bitrateRecv"], v("br", 400000, 800000))
		}
		events := []detailEvent{{Type: "joined", TimeStamp: pt.JoinedAt}}
		if pt.LeftAt != nil {
			events = append(events, detailEvent{Type: "left", TimeStamp: *pt.LeftAt})
		}
		out = append(out, participantDetail{
			DisplayName: pt.DisplayName, UserRole: pt.RoleName, TimeStamp: pt.JoinedAt, SampleRateMs: int(rate.Milliseconds()),
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
			Samples:   samples, Events: events,
		})
		return nil
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}
