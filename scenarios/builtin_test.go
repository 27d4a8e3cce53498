package scenarios_test

import (
	"testing"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/scenarios"
)

// withBuiltins adds fn for every action the built-in scenarios use and
// actions lacks, so that the engine's tests load the library whatever
// scenarios the vendors ship.
func withBuiltins(tb testing.TB, actions map[string]scenarios.Action, fn scenarios.Action) map[string]scenarios.Action {
	tb.Helper()
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range lib.All() {
		for _, st := range s.Flat() {
			if _, ok := actions[st.Action]; !ok {
				actions[st.Action] = fn
			}
		}
	}
	return actions
}
