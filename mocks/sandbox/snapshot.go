package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/scenarios/chaos"
	"github.com/vendorsim/vendorsim/store"
)

// getSnapshot serves GET /workspaces/{id}/snapshot: the workspace's state
// as a versioned, checksummed document.
func (s *Sandbox) getSnapshot(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	// The rules' counters as they are now.
	if err := s.saveRuleCounts(r.Context()); err != nil {
		return err
	}
	snap, err := s.d.DB.ExportSnapshot(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no workspace %q", id)
	}
	if err != nil {
		return err
	}
	b, err := snap.Encode()
	if err != nil {
		return err
	}
	mocks.WriteRaw(w, http.StatusOK, b)
	return nil
}

// snapshotBody returns the snapshot document of a POST /workspaces body,
// and the id to create ("" for the snapshot's); ok is false for an
// ordinary definition.
func snapshotBody(r *http.Request) (doc json.RawMessage, id string, ok bool, err error) {
	body := mocks.Body(r)
	if !bytes.Contains(body, []byte(`"snapshot"`)) {
		return nil, "", false, nil
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil {
		return nil, "", false, nil
	}
	doc, ok = in["snapshot"]
	if !ok {
		return nil, "", false, nil
	}
	for k := range in {
		if k != "snapshot" && k != "id" {
			return nil, "", true, mocks.FieldErrorf(http.StatusUnprocessableEntity, k, "%s: a workspace made from a snapshot takes its definition from it: give only id and snapshot", k)
		}
	}
	if t := bytes.TrimSpace(doc); len(t) == 0 || t[0] != '{' {
		return nil, "", true, mocks.FieldErrorf(http.StatusUnprocessableEntity, "snapshot", "snapshot must be the snapshot document (a path is for the config file only)")
	}
	if raw, has := in["id"]; has {
		json.Unmarshal(raw, &id)
	}
	return doc, id, true, nil
}

// importSnapshot creates workspace id (the snapshot's own by default) from
// a snapshot, or with replace, replaces the state of an existing one. A
// refused snapshot (another format, a newer version, a wrong checksum) or
// a conflict changes nothing.
func (s *Sandbox) importSnapshot(w http.ResponseWriter, r *http.Request, doc json.RawMessage, id string) error {
	snap, err := store.DecodeSnapshot(doc)
	if err != nil {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "snapshot", "%s", err.Error())
	}
	if id == "" {
		id = snap.Workspace.ID
	}
	if err := (config.Workspace{ID: id}).Validate(); err != nil {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "id", "%s", err.Error())
	}
	rules, err := s.snapshotRules(snap.State.Rules)
	if err != nil {
		return err
	}
	replace := r.URL.Query().Get("replace") == "true"
	ctx := r.Context()
	_, err = s.d.DB.GetWorkspace(ctx, id)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if exists && !replace {
		return mocks.Errorf(http.StatusConflict, "workspace %q already exists (POST /workspaces?replace=true replaces its state with the snapshot's)", id)
	}
	for _, c := range snap.Workspace.Credentials {
		if other, ok := s.d.DB.Resolve(c.Vendor, c.Credential); ok && other != id {
			return mocks.Errorf(http.StatusConflict, "the snapshot's %s credential %q belongs to workspace %s", c.Vendor, c.Credential, other)
		}
	}
	if err := s.d.DB.CheckImport(ctx, id, &snap.State); err != nil {
		return mocks.Errorf(http.StatusConflict, "the snapshot cannot be loaded as %s: %s", id, err.Error())
	}
	conflict := func(err error) error {
		if errors.Is(err, store.ErrConflict) {
			return &mocks.Error{Status: http.StatusConflict, Message: "the snapshot cannot be loaded here: " + err.Error(), Err: err}
		}
		return err
	}
	if !exists {
		def := snap.Workspace.Definition
		if len(def) == 0 {
			def = json.RawMessage("{}")
		}
		ws := store.Workspace{ID: id, Name: snap.Workspace.Name, Source: store.SourceAPI, Seed: def, Credentials: snap.Workspace.Credentials}
		if err := s.d.DB.CreateWorkspace(ctx, ws, func(tx *store.Tx) error { return tx.ImportState(&snap.State) }); err != nil {
			return conflict(err)
		}
	} else {
		if s.d.Engine != nil {
			done, err := s.d.Engine.Cancel(ctx, id)
			if err != nil {
				return err
			}
			defer done()
		}
		err := s.d.DB.ResetWorkspace(ctx, id, func(tx *store.Tx) error {
			for _, c := range snap.Workspace.Credentials {
				if _, ok := s.d.DB.Resolve(c.Vendor, c.Credential); !ok {
					if err := tx.AddCredential(c.Vendor, c.Credential); err != nil {
						return err
					}
				}
			}
			return tx.ImportState(&snap.State)
		})
		if err != nil {
			return conflict(err)
		}
	}
	// The workspace's rules are the snapshot's.
	if err := s.clearRules(ctx, id); err != nil {
		return err
	}
	for _, put := range rules {
		if err := put(ctx, id); err != nil {
			return err
		}
	}
	ws, err := s.d.DB.GetWorkspace(ctx, id)
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, s.view(*ws))
	return nil
}

// snapshotRules checks a snapshot's rules and returns, for each, what adds
// it to a workspace with its counters. A rule this server cannot take
// refuses the snapshot before anything changed.
func (s *Sandbox) snapshotRules(in []store.SnapshotRule) ([]func(context.Context, string) error, error) {
	var out []func(context.Context, string) error
	for i, sr := range in {
		field := fmt.Sprintf("snapshot.state.rules[%d]", i)
		switch {
		case sr.Kind == faults.Kind && s.d.Faults != nil:
			rule, err := faults.Parse(sr.Rule)
			if err != nil {
				return nil, mocks.FieldErrorf(http.StatusUnprocessableEntity, field, "%s: %v", field, err)
			}
			out = append(out, func(ctx context.Context, ws string) error {
				rule.Workspace = ws
				rule.Counter().Restore(sr.Matched, sr.Applied)
				return s.d.Faults.Put(ctx, rule)
			})
		case sr.Kind == chaos.Kind && s.d.Chaos != nil:
			rule, err := chaos.Parse(sr.Rule)
			if err != nil {
				return nil, mocks.FieldErrorf(http.StatusUnprocessableEntity, field, "%s: %v", field, err)
			}
			out = append(out, func(ctx context.Context, ws string) error {
				rule.Workspace = ws
				rule.Counter().Restore(sr.Matched, sr.Applied)
				return s.d.Chaos.Put(ctx, rule)
			})
		default:
			return nil, mocks.FieldErrorf(http.StatusUnprocessableEntity, field+".kind", "%s: this server takes no %q rules", field, sr.Kind)
		}
	}
	return out, nil
}
