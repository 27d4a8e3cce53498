package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// health serves GET /health: 200 once ready, 503 before.
func (s *Sandbox) health(w http.ResponseWriter, r *http.Request) error {
	if !s.ready.Load() {
		return mocks.Errorf(http.StatusServiceUnavailable, "starting")
	}
	all, err := s.d.DB.Workspaces(r.Context())
	if err != nil {
		return err
	}
	var dropped int64
	if s.d.Journal != nil {
		dropped = s.d.Journal.Dropped()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mocks.WriteJSON(w, http.StatusOK, map[string]any{
		"status": "ok", "version": s.d.Version, "uptime_seconds": time.Since(s.started).Seconds(),
		"workspaces": len(all), "journal_dropped": dropped,
		"go_heap_bytes": ms.HeapAlloc, "go_sys_bytes": ms.Sys,
	})
	return nil
}

// reset serves POST /reset: the selected workspace, or everything.
func (s *Sandbox) reset(w http.ResponseWriter, r *http.Request) error {
	ws := mocks.Workspace(r.Context())
	if s.d.Engine != nil {
		// The workspace's deliveries and steps stop now (in flight ones are
		// cut short, not waited for) and nothing claims them again before
		// the wipe.
		done, err := s.d.Engine.Cancel(r.Context(), ws)
		if err != nil {
			return err
		}
		defer done()
	}
	if ws != "" {
		if err := s.d.Workspaces.Reset(r.Context(), ws); err != nil {
			return err
		}
		if err := s.clearRules(r.Context(), ws); err != nil {
			return err
		}
		mocks.WriteJSON(w, http.StatusOK, map[string]string{"reset": ws})
		return nil
	}
	if err := s.d.Workspaces.ResetAll(r.Context()); err != nil {
		return err
	}
	if err := s.clearRules(r.Context(), ""); err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]string{"reset": "all"})
	return nil
}

// resetWorkspace serves POST /workspaces/{id}/reset.
func (s *Sandbox) resetWorkspace(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	if _, err := s.d.DB.GetWorkspace(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no workspace %q", id)
	} else if err != nil {
		return err
	}
	if s.d.Engine != nil {
		done, err := s.d.Engine.Cancel(r.Context(), id)
		if err != nil {
			return err
		}
		defer done()
	}
	if err := s.d.Workspaces.Reset(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no workspace %q", id)
	} else if err != nil {
		return err
	}
	if err := s.clearRules(r.Context(), id); err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]string{"reset": id})
	return nil
}

// workspaceView is a workspace as the control API shows it.
type workspaceView struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	Source             string             `json:"source"`
	CreatedAt          string             `json:"created_at"`
	ClockOffsetSeconds float64            `json:"clock_offset_seconds"`
	Now                string             `json:"now"`
	Credentials        []store.Credential `json:"credentials"`
}

func (s *Sandbox) view(ws store.Workspace) workspaceView {
	creds := ws.Credentials
	if creds == nil {
		creds = []store.Credential{}
	}
	return workspaceView{
		ID: ws.ID, Name: ws.Name, Source: ws.Source, CreatedAt: ts(ws.CreatedAt),
		ClockOffsetSeconds: ws.ClockOffset.Seconds(), Now: ts(s.d.DB.WorkspaceNow(ws.ID)), Credentials: creds,
	}
}

// listWorkspaces serves GET /workspaces.
func (s *Sandbox) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	all, err := s.d.DB.Workspaces(r.Context())
	if err != nil {
		return err
	}
	out := make([]workspaceView, 0, len(all))
	for _, ws := range all {
		out = append(out, s.view(ws))
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "total": len(out)})
	return nil
}

// getWorkspace serves GET /workspaces/{id}.
func (s *Sandbox) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	ws, err := s.d.DB.GetWorkspace(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no workspace %q", id)
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, s.view(*ws))
	return nil
}

// createWorkspace serves POST /workspaces: the body is one workspace of
// the config file's shape, checked by the same rules; errors name the key
// within the definition.
func (s *Sandbox) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	if doc, id, ok, err := snapshotBody(r); ok || err != nil {
		if err != nil {
			return err
		}
		return s.importSnapshot(w, r, doc, id)
	}
	def, err := config.ParseWorkspace(mocks.Body(r), s.d.Workspaces.Owners()...)
	if err != nil {
		var ke *config.KeyError
		if errors.As(err, &ke) {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, ke.Key, "%s", ke.Error())
		}
		return mocks.Errorf(http.StatusUnprocessableEntity, "%s", err.Error())
	}
	if err := s.taken(r.Context(), def); err != nil {
		return err
	}
	err = s.d.Workspaces.Create(r.Context(), def, store.SourceAPI)
	if errors.Is(err, store.ErrConflict) {
		// Taken since the check, or two of the definition's resources
		// collide when seeded (which Validate should have caught).
		if err := s.taken(r.Context(), def); err != nil {
			return err
		}
		return &mocks.Error{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("workspace %q could not be seeded: two of its resources have the same id", def.ID), Err: err}
	}
	var me *mocks.Error
	if errors.As(err, &me) && me.Status < 500 {
		// A seeder refused the definition; its field is not a key of
		// the definition, so only the message is kept.
		return &mocks.Error{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("workspace %q could not be seeded: %s", def.ID, me.Message), Err: err}
	}
	if err != nil {
		return err
	}
	ws, err := s.d.DB.GetWorkspace(r.Context(), def.ID)
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, s.view(*ws))
	return nil
}

// taken answers 409 when def's id or one of its credentials is in use.
func (s *Sandbox) taken(ctx context.Context, def config.Workspace) error {
	if _, err := s.d.DB.GetWorkspace(ctx, def.ID); err == nil {
		return mocks.Errorf(http.StatusConflict, "workspace %q already exists", def.ID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, c := range mocks.Credentials(def) {
		if other, ok := s.d.DB.Resolve(c.Vendor, c.Credential); ok {
			return mocks.Errorf(http.StatusConflict, "%s credential %q already belongs to workspace %s", c.Vendor, c.Credential, other)
		}
	}
	return nil
}

// journalFilter reads the journal filters of a request.
func journalFilter(r *http.Request) (store.JournalFilter, error) {
	q := r.URL.Query()
	f := store.JournalFilter{
		WorkspaceID: mocks.Workspace(r.Context()),
		Vendor:      q.Get("vendor"),
		OperationID: q.Get("operation_id"),
		Method:      q.Get("method"),
		Path:        q.Get("path"),
		RequestID:   q.Get("request_id"),
	}
	f.Status, _ = strconv.Atoi(q.Get("status"))
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return f, mocks.FieldErrorf(http.StatusUnprocessableEntity, "since", "since must be an RFC 3339 time")
		}
		f.Since = t
	}
	return f, nil
}

// journalEntry is a journal entry as the control API shows it.
type journalEntry struct {
	ID             int64               `json:"id"`
	At             string              `json:"at"`
	WorkspaceID    string              `json:"workspace_id"`
	Vendor         string              `json:"vendor"`
	OperationID    string              `json:"operation_id"`
	Method         string              `json:"method"`
	Path           string              `json:"path"`
	Query          string              `json:"query"`
	Status         int                 `json:"status"`
	DurationMS     float64             `json:"duration_ms"`
	RequestID      string              `json:"request_id"`
	RequestHeaders map[string][]string `json:"request_headers"`
	RequestBody    string              `json:"request_body"`
	ResponseBody   string              `json:"response_body"`
	// ResponseHeaders are the answer's headers; absent for entries
	// journaled before answer headers were kept.
	ResponseHeaders map[string][]string `json:"response_headers,omitempty"`
	// Fault is the id of the fault rule that acted on the request.
	Fault string `json:"fault,omitempty"`
}

// listRequests serves GET /requests. It flushes the journal first, so a
// test sees the requests it has just made.
func (s *Sandbox) listRequests(w http.ResponseWriter, r *http.Request) error {
	f, err := journalFilter(r)
	if err != nil {
		return err
	}
	if err := s.flushJournal(r); err != nil {
		return err
	}
	har, err := wantsHAR(r)
	if err != nil {
		return err
	}
	entries, total, err := s.d.DB.Journal(r.Context(), f)
	if err != nil {
		return err
	}
	if har {
		s.writeHAR(w, r, entries)
		return nil
	}
	out := make([]journalEntry, 0, len(entries))
	for _, e := range entries {
		je := journalEntry{
			ID: e.ID, At: ts(e.At), WorkspaceID: e.WorkspaceID, Vendor: e.Vendor, OperationID: e.OperationID,
			Method: e.Method, Path: e.Path, Query: e.Query, Status: e.Status,
			DurationMS: float64(e.Duration.Microseconds()) / 1000, RequestID: e.RequestID,
			RequestBody: string(e.RequestBody), ResponseBody: string(e.ResponseBody), Fault: e.Fault,
		}
		je.RequestHeaders = headerMap(e.RequestHeaders)
		je.ResponseHeaders = answerHeaders(e)
		out = append(out, je)
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "total": total})
	return nil
}

// countRequests serves GET /requests/count.
func (s *Sandbox) countRequests(w http.ResponseWriter, r *http.Request) error {
	f, err := journalFilter(r)
	if err != nil {
		return err
	}
	if err := s.flushJournal(r); err != nil {
		return err
	}
	f.Limit = 1
	_, total, err := s.d.DB.Journal(r.Context(), f)
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]int{"count": total})
	return nil
}

// deleteRequests serves DELETE /requests.
func (s *Sandbox) deleteRequests(w http.ResponseWriter, r *http.Request) error {
	if err := s.flushJournal(r); err != nil {
		return err
	}
	n, err := s.d.DB.DeleteJournal(r.Context(), store.JournalFilter{WorkspaceID: mocks.Workspace(r.Context())})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]int{"deleted": n})
	return nil
}

func (s *Sandbox) flushJournal(r *http.Request) error {
	if s.d.Journal == nil {
		return nil
	}
	if err := s.d.Journal.Flush(r.Context()); err != nil {
		return fmt.Errorf("flush journal: %w", err)
	}
	return nil
}
