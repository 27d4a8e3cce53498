package specs_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/specs"
)

// TestWherebyOperations compares the operations of specs/whereby.yaml with
// the official reference's (method and path), listed in testdata so that the
// test needs nothing outside the repository.
func TestWherebyOperations(t *testing.T) {
	raw, err := os.ReadFile("testdata/whereby-official-operations.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			want[line] = true
		}
	}
	if len(want) != 27 {
		t.Fatalf("the official list has %d operations; want 27", len(want))
	}
	doc, err := specs.Load(context.Background(), "whereby")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			got[method+" "+path] = true
		}
	}
	var missing, extra []string
	for op := range want {
		if !got[op] {
			missing = append(missing, op)
		}
	}
	for op := range got {
		if !want[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("operations differ from the official list:\nmissing %v\nextra %v", missing, extra)
	}
	if doc.Servers[0].URL != "https://api.whereby.dev/v1" {
		t.Errorf("server %s; want the vendor's base URL", doc.Servers[0].URL)
	}
}
