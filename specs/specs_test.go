package specs_test

import (
	"context"
	"testing"

	"github.com/vendorsim/vendorsim/specs"
)

// TestLoadEmbedded checks that every embedded document loads and validates.
func TestLoadEmbedded(t *testing.T) {
	names := specs.Names()
	if len(names) == 0 {
		t.Fatal("no embedded specs")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			doc, err := specs.Load(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]string{}
			for path, item := range doc.Paths.Map() {
				for method, op := range item.Operations() {
					if op.OperationID == "" {
						t.Errorf("%s %s: no operationId", method, path)
						continue
					}
					if prev, dup := seen[op.OperationID]; dup {
						t.Errorf("operationId %s used by %s and %s %s", op.OperationID, prev, method, path)
					}
					seen[op.OperationID] = method + " " + path
				}
			}
		})
	}
}

func TestLoadUnknown(t *testing.T) {
	if _, err := specs.Load(context.Background(), "nope"); err == nil {
		t.Fatal("Load(nope) = nil error, want error")
	}
}
