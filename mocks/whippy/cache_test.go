package whippy_test

import (
	"net/http"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// TestReadCache_SeesEveryWrite reads, writes through each kind of writer
// (the API, a scenario step, a reset) and reads again: a cached answer must
// never outlive the data it was read from.
func TestReadCache_SeesEveryWrite(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "cache-key"
	c := s.Whippy(key)
	total := func() float64 { return apptest.Want(t, c.Get(t, "/contacts?limit=5"), 200).Map(t)["total"].(float64) }
	if n := total(); n != 0 || total() != 0 {
		t.Fatalf("fresh workspace lists %v contacts", n)
	}
	created := apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065558001", "name": "Before"}), 201).Map(t)
	id := created["data"].(map[string]any)["id"].(string)
	if n := total(); n != 1 {
		t.Fatalf("after a create the list says %v contacts; want 1", n)
	}
	name := func() any {
		return apptest.Want(t, c.Get(t, "/contacts/"+id), 200).Map(t)["data"].(map[string]any)["name"]
	}
	// The second read is served from the cache: the handler does not run
	// again.
	runs := func() int64 { return s.App.Vendor("whippy").(*whippy.Mock).HandlerRuns("getContact") }
	first, n := name(), runs()
	if again := name(); first != "Before" || again != "Before" {
		t.Fatalf("contact name is %v, then %v; want Before", first, again)
	}
	if got := runs(); got != n {
		t.Fatalf("the handler ran %d times for a repeated read; want it served from the cache", got-n)
	}
	apptest.Want(t, c.Do(t, http.MethodPut, "/contacts/"+id, map[string]any{"name": "After"}), 200)
	if got := name(); got != "After" {
		t.Fatalf("after an update GET says %v; want After", got)
	}
	if got := runs(); got != n+1 {
		t.Fatalf("after a write the handler ran %d times; want once (the write invalidates the cache)", got-n)
	}
	if name(); runs() != n+1 {
		t.Fatal("the read after the write's fresh read was not served from the cache")
	}
	// A scenario step (run by the engine, not a request) changes a message.
	ch := hookChannel(t, c)
	sent := apptest.Want(t, c.Post(t, "/messaging/sms", map[string]any{"to": "+12065558001", "from": ch, "body": "x"}), 201).Map(t)
	conv := "/conversations/" + sent["data"].(map[string]any)["conversation_id"].(string)
	status := func() any {
		return apptest.Want(t, c.Get(t, conv), 200).Map(t)["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)["delivery_status"]
	}
	if got := status(); got != "queued" {
		t.Fatalf("status %v; want queued", got)
	}
	hookAdvance(t, s, key, "1m")
	if got := status(); got != "delivered" {
		t.Fatalf("after the timeline GET says %v; want delivered", got)
	}
	// A reset of the workspace, and a reset of everything.
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	apptest.Want(t, sb.Post(t, "/reset", nil), 200)
	if n := total(); n != 0 {
		t.Fatalf("after a reset the list says %v contacts; want 0", n)
	}
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065558002"}), 201)
	if n := total(); n != 1 {
		t.Fatalf("list says %v contacts; want 1", n)
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), 200)
	if n := total(); n != 0 {
		t.Fatalf("after a reset of everything the list says %v contacts; want 0", n)
	}
}
