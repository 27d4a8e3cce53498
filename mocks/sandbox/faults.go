package sandbox

import (
	"errors"
	"net/http"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/scenarios/chaos"
)

func (s *Sandbox) faultHandlers() map[string]mocks.Handler {
	return map[string]mocks.Handler{
		"listFaults":  s.listFaults,
		"addFault":    s.addFault,
		"clearFaults": s.clearFaults,
		"deleteFault": s.deleteFault,
	}
}

// listFaults serves GET /faults: the rules the selected workspace sees
// (its own and those of every workspace), or all.
func (s *Sandbox) listFaults(w http.ResponseWriter, r *http.Request) error {
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": s.d.Faults.List(mocks.Workspace(r.Context()))})
	return nil
}

// addFault serves POST /faults. The rule applies to the selected
// workspace, or to every workspace when none is selected.
func (s *Sandbox) addFault(w http.ResponseWriter, r *http.Request) error {
	rule, err := faults.Parse(mocks.Body(r))
	if err != nil {
		return ruleError(err)
	}
	if err := s.ruleWorkspace(r, &rule.Workspace); err != nil {
		return err
	}
	if rule.Vendor != "" && s.vendor(rule.Vendor) == nil {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "vendor", "vendor must be one of %v", s.vendors())
	}
	rule.Source = "api"
	added, err := s.d.Faults.Add(rule)
	if errors.Is(err, faults.ErrExists) {
		return mocks.FieldErrorf(http.StatusConflict, "id", "a fault rule %q exists", rule.ID)
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, faults.View{Rule: added})
	return nil
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

// clearFaults serves DELETE /faults: the selected workspace's rules, or
// every rule.
func (s *Sandbox) clearFaults(w http.ResponseWriter, r *http.Request) error {
	n := s.d.Faults.Clear(mocks.Workspace(r.Context()))
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"deleted": n})
	return nil
}

// deleteFault serves DELETE /faults/{id}.
func (s *Sandbox) deleteFault(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	if !s.d.Faults.Delete(mocks.Workspace(r.Context()), id) {
		return mocks.Errorf(http.StatusNotFound, "no fault rule %q in this workspace", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Sandbox) chaosHandlers() map[string]mocks.Handler {
	return map[string]mocks.Handler{
		"listChaos":   s.listChaos,
		"addChaos":    s.addChaos,
		"clearChaos":  s.clearChaos,
		"deleteChaos": s.deleteChaos,
	}
}

// listChaos serves GET /chaos.
func (s *Sandbox) listChaos(w http.ResponseWriter, r *http.Request) error {
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": s.d.Chaos.List(mocks.Workspace(r.Context()))})
	return nil
}

// addChaos serves POST /chaos: a rule for the selected workspace's
// deliveries, or every workspace's.
func (s *Sandbox) addChaos(w http.ResponseWriter, r *http.Request) error {
	rule, err := chaos.Parse(mocks.Body(r))
	if err != nil {
		return ruleError(err)
	}
	if err := s.ruleWorkspace(r, &rule.Workspace); err != nil {
		return err
	}
	if rule.Vendor != "" && s.vendor(rule.Vendor) == nil {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "vendor", "vendor must be one of %v", s.vendors())
	}
	rule.Source = "api"
	added, err := s.d.Chaos.Add(rule)
	if errors.Is(err, chaos.ErrExists) {
		return mocks.FieldErrorf(http.StatusConflict, "id", "a chaos rule %q exists", rule.ID)
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, chaos.View{Rule: added})
	return nil
}

// clearChaos serves DELETE /chaos.
func (s *Sandbox) clearChaos(w http.ResponseWriter, r *http.Request) error {
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"deleted": s.d.Chaos.Clear(mocks.Workspace(r.Context()))})
	return nil
}

// deleteChaos serves DELETE /chaos/{id}.
func (s *Sandbox) deleteChaos(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	if !s.d.Chaos.Delete(mocks.Workspace(r.Context()), id) {
		return mocks.Errorf(http.StatusNotFound, "no chaos rule %q in this workspace", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
