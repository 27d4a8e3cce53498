package whereby

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// createSummary serves POST /summaries: the summary of a ready
// transcription is made at once (state completed).
func (m *Mock) createSummary(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		TranscriptionID string `json:"transcriptionId"`
		Template        string `json:"template"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Template == "" {
		in.Template = "General Narrative"
	}
	var id string
	err := m.update(r.Context(), func(tx *store.Tx) error {
		t, err := transcriptionByID(tx, in.TranscriptionID)
		if err != nil {
			return err
		}
		if t.State != stateReady {
			return invalid("transcriptionId", "transcription %s is %s: only a ready transcription can be summarised", t.TranscriptionID, t.State)
		}
		text, err := summaryOf(tx, t, in.Template)
		if err != nil {
			return err
		}
		now := millis(tx.Now())
		s := summary{
			SummaryID: uuid.NewString(), TranscriptionID: t.TranscriptionID, Summary: summaryText{Summary: text},
			RoomSessionID: t.RoomSessionID, RoomName: t.RoomName, StartDate: t.StartDate, EndDate: t.EndDate,
			State: "completed", CreatedAt: now, ModifiedAt: now, Template: in.Template,
		}
		id = s.SummaryID
		return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindSummary, ID: id, Parent: t.TranscriptionID, Doc: mustJSON(s)})
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]string{"summaryId": id})
	return nil
}

// summaryOf writes a plausible summary of a transcription's session: who
// took part and for how long.
func summaryOf(tx *store.Tx, t *transcription, template string) (string, error) {
	list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindParticipant, Parent: t.RoomSessionID, HasParent: true, Asc: true})
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	var names []string
	for i := range list {
		p, err := decode[participant](&list[i])
		if err != nil {
			return "", err
		}
		if !seen[p.DisplayName] {
			seen[p.DisplayName] = true
			names = append(names, p.DisplayName)
		}
	}
	sort.Strings(names)
	who := "the participants"
	if len(names) > 0 {
		who = strings.Join(names, ", ")
	}
	minutes := (t.DurationInSeconds + 59) / 60
	return fmt.Sprintf("%s summary: in a %d-minute session of %s, %s discussed the agenda, agreed on next steps and closed the call.",
		template, minutes, t.RoomName, who), nil
}

// listSummaries serves GET /summaries.
func (m *Mock) listSummaries(w http.ResponseWriter, r *http.Request) error {
	field, desc := sortParam(r, "createdAt:desc")
	var out listPage[summary]
	err := m.view(r.Context(), func(tx *store.Tx) error {
		list, err := listKind(tx, kindSummary, "")
		if err != nil {
			return err
		}
		rows := make([]sortable[summary], 0, len(list))
		for i := range list {
			s, err := decode[summary](&list[i])
			if err != nil {
				return err
			}
			var key string
			switch field {
			case "roomName":
				key = textKey(s.RoomName)
			case "startDate":
				key = textKey(s.StartDate)
			default:
				key = textKey(s.CreatedAt)
			}
			rows = append(rows, sortable[summary]{key: key, id: s.SummaryID, row: *s})
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

// getSummary serves GET /summaries/{summaryId}.
func (m *Mock) getSummary(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "summaryId")
	var s *summary
	err := m.view(r.Context(), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindSummary, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Summary", id)
		}
		if err != nil {
			return err
		}
		s, err = decode[summary](res)
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, s)
	return nil
}

// deleteSummary serves DELETE /summaries/{summaryId}.
func (m *Mock) deleteSummary(w http.ResponseWriter, r *http.Request) error {
	return m.deleteIDs(w, r, kindSummary, []string{mocks.PathParam(r, "summaryId")})
}
