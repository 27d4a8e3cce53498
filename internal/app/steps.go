package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/scenarios/chaos"
	"github.com/vendorsim/vendorsim/store"
)

// addEngineSteps gives the engine the actions of the scenario steps that
// name no vendor: an endpoint down or up, a fault or a chaos rule applied
// or lifted. Each acts on the step's workspace once its transaction
// commits, and the rules it adds are marked with their source.
func (a *App) addEngineSteps() {
	e := a.Engine
	e.Actions[scenarios.ActionEndpointDown] = func(tx *store.Tx, p map[string]string) error {
		r := &chaos.Rule{ID: downID(p), Workspace: tx.Workspace(), Vendor: p["vendor"], Endpoint: p["endpoint"], Effect: chaos.EffectDown, Source: "scenario"}
		tx.OnCommit(func() { err := a.Chaos.Put(ruleCtx(tx), r); a.ruleChanged(tx, r.ID, err) })
		return nil
	}
	e.Actions[scenarios.ActionEndpointUp] = func(tx *store.Tx, p map[string]string) error {
		ws, id := tx.Workspace(), downID(p)
		tx.OnCommit(func() { _, err := a.Chaos.Delete(ruleCtx(tx), ws, id); a.ruleChanged(tx, id, err) })
		return nil
	}
	e.Actions[scenarios.ActionFaultApply] = func(tx *store.Tx, p map[string]string) error {
		r, err := faults.Parse([]byte(p["rule"]))
		if err != nil {
			return fmt.Errorf("fault: %w", err)
		}
		r.Workspace, r.Source = tx.Workspace(), "scenario"
		tx.OnCommit(func() { err := a.Faults.Put(ruleCtx(tx), r); a.ruleChanged(tx, r.ID, err) })
		return nil
	}
	e.Actions[scenarios.ActionFaultLift] = func(tx *store.Tx, p map[string]string) error {
		ws, id := tx.Workspace(), p["id"]
		tx.OnCommit(func() { _, err := a.Faults.Delete(ruleCtx(tx), ws, id); a.ruleChanged(tx, id, err) })
		return nil
	}
	e.Actions[scenarios.ActionChaosApply] = func(tx *store.Tx, p map[string]string) error {
		r, err := chaos.Parse([]byte(p["rule"]))
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		r.Workspace, r.Source = tx.Workspace(), "scenario"
		tx.OnCommit(func() { err := a.Chaos.Put(ruleCtx(tx), r); a.ruleChanged(tx, r.ID, err) })
		return nil
	}
	e.Actions[scenarios.ActionChaosLift] = func(tx *store.Tx, p map[string]string) error {
		ws, id := tx.Workspace(), p["id"]
		tx.OnCommit(func() { _, err := a.Chaos.Delete(ruleCtx(tx), ws, id); a.ruleChanged(tx, id, err) })
		return nil
	}
	e.AddStepCheck(scenarios.ActionFaultApply, func(with map[string]string) error {
		_, err := faults.Parse([]byte(with["rule"]))
		return ruleErr("fault", err)
	})
	e.AddStepCheck(scenarios.ActionChaosApply, func(with map[string]string) error {
		_, err := chaos.Parse([]byte(with["rule"]))
		return ruleErr("chaos", err)
	})
}

// ruleCtx is the context of a step's rule change, made once the step's
// transaction committed: the step happened, so its rule is saved even if
// the run's context ends meanwhile.
func ruleCtx(tx *store.Tx) context.Context { return context.WithoutCancel(tx.Context()) }

// ruleChanged logs a rule change of a step that the store refused: the
// step has committed, so the rule is as it was.
func (a *App) ruleChanged(tx *store.Tx, id string, err error) {
	if err != nil {
		a.log.Warn("scenario step: rule not changed", "workspace", tx.Workspace(), "rule", id, "err", err)
	}
}

// downID is the id of the chaos rule an endpoint step adds.
func downID(p map[string]string) string {
	id := "endpoint-down"
	if p["vendor"] != "" {
		id += ":" + p["vendor"]
	}
	if p["endpoint"] != "" {
		id += ":" + p["endpoint"]
	}
	return id
}

func ruleErr(kind string, err error) error {
	if err == nil {
		return nil
	}
	var fe *chance.FieldError
	if errors.As(err, &fe) && fe.Field != "" {
		return fmt.Errorf("%s.%s: %s", kind, fe.Field, fe.Message)
	}
	return fmt.Errorf("%s: %w", kind, err)
}

// mergeMagic builds the engine's magic-number table from the vendors'
// MagicNumbers and the numbers the scenario library declares: one
// definition, two places to read it. A number both declare must play the
// same scenario, and a declared scenario must be the vendor's.
func mergeMagic(vendor []scenarios.MagicNumber, lib []scenarios.MagicNumber) ([]scenarios.MagicNumber, error) {
	out := slices.Clone(vendor)
	for _, m := range lib {
		i := slices.IndexFunc(out, func(v scenarios.MagicNumber) bool {
			return v.Vendor == m.Vendor && v.Trigger == m.Trigger && v.Suffix == m.Suffix
		})
		if i < 0 {
			out = append(out, m)
			continue
		}
		if out[i].Scenario != m.Scenario {
			return nil, fmt.Errorf("magic number %s-555-01%s (%s %s): the vendor plays %s, the scenario files %s", "NXX", m.Suffix, m.Vendor, m.Trigger, out[i].Scenario, m.Scenario)
		}
	}
	return out, nil
}
