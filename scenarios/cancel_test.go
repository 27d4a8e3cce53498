package scenarios_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

// A reset's Cancel returns only once a step that was running has also done
// what it does after its commit (a fault or chaos rule added): otherwise
// the reset clears the rules first and the step's rule comes back after it.
func TestCancel_WaitsForRunningStep(t *testing.T) {
	dir := t.TempDir()
	yaml := "name: qa.block\nvendor: test\nsteps:\n  - {action: test.block}\n"
	if err := os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	var after atomic.Bool
	block := func(tx *store.Tx, _ map[string]string) error {
		close(started)
		<-release
		tx.OnCommit(func() {
			time.Sleep(100 * time.Millisecond)
			after.Store(true)
		})
		return nil
	}
	rec := &recorder{}
	actions := withBuiltins(t, map[string]scenarios.Action{"test.block": block}, rec.action)
	lib, err := scenarios.NewLibrary(dir, actions, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureMode(t, false, nil, func(e *scenarios.Engine) { e.Actions, e.Library = actions, lib })
	ctx := context.Background()
	err = f.db.Update(ctx, "a", func(tx *store.Tx) error {
		_, err := f.engine.Start(tx, "qa.block", time.Time{}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.engine.Wake()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the step never ran")
	}
	cancelled := make(chan error, 1)
	go func() {
		done, err := f.engine.Cancel(ctx, "a")
		if err == nil {
			done()
		}
		cancelled <- err
	}()
	close(release)
	if err := <-cancelled; err != nil {
		t.Fatal(err)
	}
	if !after.Load() {
		t.Error("Cancel returned before the running step's after-commit work was done")
	}
}
