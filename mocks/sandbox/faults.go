package sandbox

import (
	"context"
	"errors"
	"net/http"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/scenarios/chaos"
)

// ruleSet is a list of rules the control API manages: request faults or
// webhook chaos.
type ruleSet[R, V any] interface {
	List(ws string) []V
	Add(ctx context.Context, r R) (R, error)
	Clear(ctx context.Context, ws string) (int, error)
	Delete(ctx context.Context, ws, id string) (bool, error)
}

// ruleKind is how the control API reads and shows one kind of rule.
type ruleKind[R, V any] struct {
	what  string // "fault", "chaos"
	parse func([]byte) (R, error)
	// fields gives the rule's workspace and source to set, its vendor and
	// its id.
	fields func(R) (ws, source *string, vendor, id string)
	view   func(R) V
	set    ruleSet[R, V]
}

// handlers serves GET, POST and DELETE on the rules, and DELETE of one.
func (k ruleKind[R, V]) handlers(s *Sandbox, list, add, clear, del string) map[string]mocks.Handler {
	return map[string]mocks.Handler{
		// The rules the selected workspace sees (its own and those of
		// every workspace), or all.
		list: func(w http.ResponseWriter, r *http.Request) error {
			mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": k.set.List(mocks.Workspace(r.Context()))})
			return nil
		},
		// A rule for the selected workspace, or for every workspace when
		// none is selected.
		add: func(w http.ResponseWriter, r *http.Request) error {
			rule, err := k.parse(mocks.Body(r))
			if err != nil {
				return ruleError(err)
			}
			ws, source, vendor, _ := k.fields(rule)
			if err := s.ruleWorkspace(r, ws); err != nil {
				return err
			}
			if vendor != "" && s.vendor(vendor) == nil {
				return mocks.FieldErrorf(http.StatusUnprocessableEntity, "vendor", "vendor must be one of %v", s.vendors())
			}
			*source = "api"
			added, err := k.set.Add(r.Context(), rule)
			if errors.Is(err, chance.ErrExists) {
				_, _, _, id := k.fields(rule)
				return mocks.FieldErrorf(http.StatusConflict, "id", "a %s rule %q exists", k.what, id)
			}
			if err != nil {
				return err
			}
			mocks.WriteJSON(w, http.StatusCreated, k.view(added))
			return nil
		},
		// The selected workspace's rules, or every rule.
		clear: func(w http.ResponseWriter, r *http.Request) error {
			n, err := k.set.Clear(r.Context(), mocks.Workspace(r.Context()))
			if err != nil {
				return err
			}
			mocks.WriteJSON(w, http.StatusOK, map[string]any{"deleted": n})
			return nil
		},
		del: func(w http.ResponseWriter, r *http.Request) error {
			id := mocks.PathParam(r, "id")
			ok, err := k.set.Delete(r.Context(), mocks.Workspace(r.Context()), id)
			if err != nil {
				return err
			}
			if !ok {
				return mocks.Errorf(http.StatusNotFound, "no %s rule %q in this workspace", k.what, id)
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		},
	}
}

// faultHandlers serve /faults.
func (s *Sandbox) faultHandlers() map[string]mocks.Handler {
	return ruleKind[*faults.Rule, faults.View]{
		what:  "fault",
		parse: faults.Parse,
		fields: func(r *faults.Rule) (*string, *string, string, string) {
			return &r.Workspace, &r.Source, r.Vendor, r.ID
		},
		view: func(r *faults.Rule) faults.View { return faults.View{Rule: r} },
		set:  s.d.Faults,
	}.handlers(s, "listFaults", "addFault", "clearFaults", "deleteFault")
}

// chaosHandlers serve /chaos.
func (s *Sandbox) chaosHandlers() map[string]mocks.Handler {
	return ruleKind[*chaos.Rule, chaos.View]{
		what:  "chaos",
		parse: chaos.Parse,
		fields: func(r *chaos.Rule) (*string, *string, string, string) {
			return &r.Workspace, &r.Source, r.Vendor, r.ID
		},
		view: func(r *chaos.Rule) chaos.View { return chaos.View{Rule: r} },
		set:  s.d.Chaos,
	}.handlers(s, "listChaos", "addChaos", "clearChaos", "deleteChaos")
}

// ruleWorkspace sets a rule's workspace to the selected one; a rule may
// name a workspace itself only when the call selects none (or the same).
func (s *Sandbox) ruleWorkspace(r *http.Request, ws *string) error {
	sel := mocks.Workspace(r.Context())
	switch {
	case *ws != "" && sel != "" && *ws != sel:
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "workspace", "workspace %q is not the selected workspace %q", *ws, sel)
	case sel != "":
		*ws = sel
	case *ws != "":
		if _, err := s.d.DB.GetWorkspace(r.Context(), *ws); err != nil {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, "workspace", "no workspace %q", *ws)
		}
	}
	return nil
}

// ruleError turns a rule's *FieldError into a 422 naming the field.
func ruleError(err error) error {
	var fe *chance.FieldError
	if errors.As(err, &fe) {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, fe.Field, "%s", fe.Message)
	}
	return err
}

// clearRules removes workspace ws's fault and chaos rules, or for "" every
// rule, those of every workspace included: a reset of everything leaves
// the server as it started on an empty database.
func (s *Sandbox) clearRules(ctx context.Context, ws string) error {
	if s.d.Faults != nil {
		if _, err := s.d.Faults.Clear(ctx, ws); err != nil {
			return err
		}
	}
	if s.d.Chaos != nil {
		if _, err := s.d.Chaos.Clear(ctx, ws); err != nil {
			return err
		}
	}
	return nil
}

// saveRuleCounts saves the rules' counters now (they are saved now and
// then, see internal/app).
func (s *Sandbox) saveRuleCounts(ctx context.Context) error {
	if s.d.Faults != nil {
		if err := s.d.Faults.Flush(ctx); err != nil {
			return err
		}
	}
	if s.d.Chaos != nil {
		if err := s.d.Chaos.Flush(ctx); err != nil {
			return err
		}
	}
	return nil
}
