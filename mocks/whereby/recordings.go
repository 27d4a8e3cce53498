package whereby

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/vendorsim/vendorsim/internal/jsjson"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// listRecordings serves GET /recordings.
func (m *Mock) listRecordings(w http.ResponseWriter, r *http.Request) error {
	field, desc := sortParam(r, "startDate:desc")
	var out listPage[recordingView]
	err := m.view(r.Context(), func(tx *store.Tx) error {
		list, err := listKind(tx, kindRecording, mocks.Params(r).Get("roomName"))
		if err != nil {
			return err
		}
		rows := make([]sortable[recordingView], 0, len(list))
		for i := range list {
			rc, err := decode[recording](&list[i])
			if err != nil {
				return err
			}
			var key string
			switch field {
			case "roomName":
				key = textKey(rc.RoomName)
			case "duration":
				key = numberKey(float64(rc.DurationSeconds))
			case "sizeInMegaBytes":
				key = numberKey(rc.SizeInMegaBytes)
			default:
				key = textKey(rc.StartDate)
			}
			rows = append(rows, sortable[recordingView]{key: key, id: rc.RecordingID, row: rc.view()})
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

// listKind returns every resource of a kind, or those of one room.
func listKind(tx *store.Tx, kind, roomName string) ([]store.Resource, error) {
	if roomName != "" {
		return tx.ListByKey(Vendor, kind, "roomName", roomName)
	}
	list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kind, Asc: true})
	return list, err
}

func recordingByID(tx *store.Tx, id string) (*recording, error) {
	return byID[recording](tx, kindRecording, "Recording", id)
}

// getRecording serves GET /recordings/{recordingId}.
func (m *Mock) getRecording(w http.ResponseWriter, r *http.Request) error {
	var rc *recording
	err := m.view(r.Context(), func(tx *store.Tx) error {
		var err error
		rc, err = recordingByID(tx, mocks.PathParam(r, "recordingId"))
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, rc.view())
	return nil
}

// deleteRecording serves DELETE /recordings/{recordingId} (idempotent).
func (m *Mock) deleteRecording(w http.ResponseWriter, r *http.Request) error {
	return m.deleteIDs(w, r, kindRecording, []string{mocks.PathParam(r, "recordingId")})
}

// bulkDeleteRecordings serves POST /recordings/bulk-delete.
func (m *Mock) bulkDeleteRecordings(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		RecordingIDs []string `json:"recordingIds"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	return m.deleteIDs(w, r, kindRecording, in.RecordingIDs)
}

// deleteIDs deletes resources of a kind, ignoring ids that name nothing,
// and answers 204.
func (m *Mock) deleteIDs(w http.ResponseWriter, r *http.Request, kind string, ids []string) error {
	err := m.update(r.Context(), func(tx *store.Tx) error {
		for _, id := range ids {
			if err := tx.Delete(Vendor, kind, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accessLink is the body of the access-link operations.
type accessLink struct {
	AccessLink string `json:"accessLink"`
	Expires    int64  `json:"expires"`
}

// validFor reads validForSeconds (the spec checked its range).
func validFor(r *http.Request) int {
	if n, err := strconv.Atoi(mocks.Params(r).Get("validForSeconds")); err == nil && n > 0 {
		return n
	}
	return 3600
}

// link makes a time-limited download URL of a stored file.
func link(tx *store.Tx, kind, id, filename string, seconds int) accessLink {
	exp := tx.Now().Add(secondsDuration(seconds))
	sig := stableUUID("link", tx.Workspace(), id, fmt.Sprint(exp.UnixMilli()))
	return accessLink{
		AccessLink: fmt.Sprintf("https://whereby-%s.vendorsim.invalid/%s/%s/%s?X-Amz-Expires=%d&X-Amz-Signature=%s", kind, tx.Workspace(), id, filename, seconds, sig),
		Expires:    exp.UnixMilli(),
	}
}

// writeLink writes an access link as the vendor's Node service does, with
// its "&" as is (encoding/json would write \u0026).
func writeLink(w http.ResponseWriter, l accessLink) error {
	b, err := jsjson.Marshal(l)
	if err != nil {
		return err
	}
	mocks.WriteRaw(w, http.StatusOK, b)
	return nil
}

// getRecordingAccessLink serves GET /recordings/{recordingId}/access-link:
// 403 for a recording in the customer's own bucket.
func (m *Mock) getRecordingAccessLink(w http.ResponseWriter, r *http.Request) error {
	var out accessLink
	err := m.view(r.Context(), func(tx *store.Tx) error {
		rc, err := recordingByID(tx, mocks.PathParam(r, "recordingId"))
		if err != nil {
			return err
		}
		if rc.StorageType == selfHosted {
			return mocks.Fail(mocks.EFORBIDDEN, "Recording %s is stored in your own bucket: it has no access link", rc.RecordingID)
		}
		out = link(tx, "recordings", rc.RecordingID, rc.Filename, validFor(r))
		return nil
	})
	if err != nil {
		return err
	}
	return writeLink(w, out)
}
