package whippy_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// TestWorkspaces_ConcurrentIsolation has two workspaces, reached with
// distinct keys, create contacts and send messages at the same time, then
// checks that each sees only its own data.
func TestWorkspaces_ConcurrentIsolation(t *testing.T) {
	s := newServer(t)
	keys := []string{"tenant-a", "tenant-b"}
	const workers, perWorker = 4, 5

	var mu sync.Mutex
	created := map[string][]M{} // key → contacts created with POST /contacts
	sent := map[string][]M{}    // key → SMS receipts
	t.Run("Concurrent", func(t *testing.T) {
		for _, key := range keys {
			for w := range workers {
				t.Run(fmt.Sprintf("%s/%d", key, w), func(t *testing.T) {
					t.Parallel()
					c := s.Whippy(key)
					from := defaultPhone(t, c) // the first request of each worker races to create the workspace
					for i := range perWorker {
						// Both workspaces use the same numbers: they must
						// still get distinct contacts.
						n := w*perWorker + i
						contact := post(t, c, "/contacts", M{"phone": fmt.Sprintf("+1312555%04d", 5000+n), "name": fmt.Sprintf("%s contact %d", key, n)}, http.StatusCreated)
						receipt := sms(t, c, from, fmt.Sprintf("+1312555%04d", 6000+n), key+" says hi")
						mu.Lock()
						created[key] = append(created[key], contact)
						sent[key] = append(sent[key], receipt)
						mu.Unlock()
					}
				})
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	const perKey = workers * perWorker

	// The journal of each key holds exactly its own requests.
	wsOf := map[string]string{}
	for _, key := range keys {
		sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
		var journal struct {
			Data []struct {
				WorkspaceID string `json:"workspace_id"`
				Vendor      string `json:"vendor"`
				OperationID string `json:"operation_id"`
			} `json:"data"`
			Total int `json:"total"`
		}
		apptest.Want(t, sb.Get(t, "/requests?limit=1000"), http.StatusOK).JSON(t, &journal)
		wantRequests := workers * (1 + 2*perWorker)
		if journal.Total != wantRequests || len(journal.Data) != wantRequests {
			t.Errorf("%s: journal has %d entries (total %d), want %d", key, len(journal.Data), journal.Total, wantRequests)
		}
		ops := map[string]int{}
		for _, e := range journal.Data {
			if wsOf[key] == "" {
				wsOf[key] = e.WorkspaceID
			}
			if e.WorkspaceID != wsOf[key] || e.Vendor != "whippy" {
				t.Errorf("%s: journal entry of workspace %q vendor %q, want %q whippy", key, e.WorkspaceID, e.Vendor, wsOf[key])
			}
			ops[e.OperationID]++
		}
		if ops["createContact"] != perKey || ops["sendSms"] != perKey || ops["listChannels"] != workers {
			t.Errorf("%s: journal operations %v", key, ops)
		}
		var count struct{ Count int }
		apptest.Want(t, sb.Get(t, "/requests/count"), http.StatusOK).JSON(t, &count)
		if count.Count != wantRequests {
			t.Errorf("%s: /requests/count = %d, want %d", key, count.Count, wantRequests)
		}
	}
	if wsOf[keys[0]] == wsOf[keys[1]] {
		t.Fatalf("both keys map to workspace %q", wsOf[keys[0]])
	}

	for i, key := range keys {
		c, other := s.Whippy(key), s.Whippy(keys[1-i])
		var wantIDs, wantConvs []string
		for _, ct := range created[key] {
			wantIDs = append(wantIDs, field(ct, "id"))
		}
		for _, r := range sent[key] {
			wantIDs = append(wantIDs, field(r, "contact_id"))
			wantConvs = append(wantConvs, field(r, "conversation_id"))
		}
		wantList(t, c, "/contacts?limit=500", "id", wantIDs...)
		wantList(t, c, "/conversations?limit=500", "id", wantConvs...)
		items, _ := listOf(t, get(t, c, "/contacts?limit=500"))
		for _, it := range items {
			if n := field(it, "name"); n != "" && !strings.HasPrefix(n, key+" ") {
				t.Errorf("%s sees contact %q", key, n)
			}
		}
		for _, id := range wantIDs[:3] {
			wantError(t, other.Get(t, "/contacts/"+id), http.StatusNotFound, "Contact not found")
			wantError(t, other.Do(t, http.MethodPut, "/contacts/"+id, M{"name": "hijack"}), http.StatusNotFound, "Contact not found")
			wantError(t, other.Do(t, http.MethodDelete, "/contacts/"+id, nil), http.StatusNotFound, "Contact not found")
			get(t, c, "/contacts/"+id)
		}
		for _, id := range wantConvs[:3] {
			wantError(t, other.Get(t, "/conversations/"+id), http.StatusNotFound, "Conversation not found")
			wantError(t, other.Do(t, http.MethodPut, "/conversations/"+id, M{"status": "closed"}), http.StatusNotFound, "Conversation not found")
		}
		if ch := channelsOf(t, c); len(ch) != 1 || field(ch[0], "id") == field(channelsOf(t, other)[0], "id") {
			t.Errorf("%s: channels %v, want one of its own", key, ch)
		}
	}
}

// TestContacts_ConcurrentCreateSamePhone creates one phone from several
// goroutines at once: exactly one request creates it, the others get it.
func TestContacts_ConcurrentCreateSamePhone(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("same-phone")
	const n = 8
	var mu sync.Mutex
	statuses := map[int]int{}
	ids := map[string]bool{}
	t.Run("Concurrent", func(t *testing.T) {
		for i := range n {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				r := c.Post(t, "/contacts", M{"phone": "+13125559500", "name": fmt.Sprintf("Racer %d", i)})
				d := dataOf(t, r)
				mu.Lock()
				statuses[r.Status]++
				ids[field(d, "id")] = true
				mu.Unlock()
			})
		}
	})
	if statuses[http.StatusCreated] != 1 || statuses[http.StatusOK] != n-1 || len(ids) != 1 {
		t.Errorf("statuses %v and %d distinct ids, want one 201, %d 200s and one id", statuses, len(ids), n-1)
	}
	wantList(t, c, "/contacts", "phone", "+13125559500")
}

func TestAuth(t *testing.T) {
	strict := newServer(t, apptest.WithConfig(func(c *config.Config) {
		c.Server.StrictAuth = true
		c.Workspaces = []config.Workspace{whippy.Workspace("strict", &whippy.WorkspaceConfig{APIKeys: []string{"configured-key"}})}
	}))
	open := newServer(t, withWorkspace("configured-key"))
	noBearer := newServer(t, withWorkspace("configured-key"), apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).BearerAuth = false }))
	const unauthenticated = `{"errors":[{"description":"Not authenticated"}],"status":401}`

	tests := []struct {
		name   string
		s      *apptest.Server
		header http.Header
		want   int
	}{
		{"StrictConfiguredKey", strict, http.Header{"X-WHIPPY-KEY": {"configured-key"}}, 200},
		{"StrictLowerCaseHeader", strict, http.Header{"x-whippy-key": {"configured-key"}}, 200},
		{"StrictBearer", strict, http.Header{"Authorization": {"Bearer configured-key"}}, 200},
		{"StrictUnknownKey", strict, http.Header{"X-WHIPPY-KEY": {"unknown-key"}}, 401},
		{"StrictUnknownBearer", strict, http.Header{"Authorization": {"Bearer unknown-key"}}, 401},
		{"StrictMissingKey", strict, nil, 401},
		{"StrictBlankKey", strict, http.Header{"X-WHIPPY-KEY": {"   "}}, 401},
		{"StrictBasicAuth", strict, http.Header{"Authorization": {"Basic Y29uZmlndXJlZC1rZXk6"}}, 401},
		{"DefaultConfiguredKey", open, http.Header{"X-WHIPPY-KEY": {"configured-key"}}, 200},
		{"DefaultUnknownKey", open, http.Header{"X-WHIPPY-KEY": {"any-new-key"}}, 200},
		{"DefaultMissingKey", open, nil, 401},
		{"DefaultBlankKey", open, http.Header{"X-WHIPPY-KEY": {""}}, 401},
		{"DefaultBearer", open, http.Header{"Authorization": {"Bearer configured-key"}}, 200},
		{"NoBearerAuthBearer", noBearer, http.Header{"Authorization": {"Bearer configured-key"}}, 401},
		{"NoBearerAuthKey", noBearer, http.Header{"X-WHIPPY-KEY": {"configured-key"}}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/whippy/v1/contacts", "/whippy/v1/organization"} {
				r := tt.s.Do(t, apptest.Request{Method: http.MethodGet, Path: path, Header: tt.header})
				if r.Status != tt.want {
					t.Fatalf("GET %s: status %d, want %d; body %s", path, r.Status, tt.want, r.Body)
				}
				if tt.want == 401 && string(r.Body) != unauthenticated {
					t.Errorf("GET %s: body %s, want %s", path, r.Body, unauthenticated)
				}
			}
			// Writes are refused the same way and store nothing.
			r := tt.s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whippy/v1/contacts", Header: tt.header, Body: M{"phone": "+13125559001"}})
			if tt.want == 401 && r.Status != 401 {
				t.Errorf("POST /contacts: status %d, want 401", r.Status)
			}
		})
	}

	// Strict mode creates no workspace for unknown keys.
	var list struct {
		Data []struct{ ID string } `json:"data"`
	}
	apptest.Want(t, strict.Sandbox(nil).Get(t, "/workspaces"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].ID != "strict" {
		t.Errorf("strict server has workspaces %v, want only the configured one", list.Data)
	}
	wantList(t, strict.Whippy("configured-key"), "/contacts", "phone", "+13125559001")

	// Keys of workspaces created through the control API count as
	// configured.
	wantError(t, strict.Whippy("late-key").Get(t, "/contacts"), http.StatusUnauthorized, "Not authenticated")
	apptest.Want(t, strict.Sandbox(nil).Post(t, "/workspaces", M{"id": "late", "whippy": M{"api_keys": []string{"late-key"}}}), http.StatusCreated)
	wantList(t, strict.Whippy("late-key"), "/contacts", "id")
}

func TestRateLimit(t *testing.T) {
	s := newServer(t, apptest.WithConfig(func(c *config.Config) {
		whippy.Settings(c).RateLimit.Enabled = true
		whippy.Settings(c).RateLimit.StandardPerSecond = 3
		whippy.Settings(c).RateLimit.SlowWritesPerMinute = 1
	}))

	// The limiter reads a clock the test moves: no request depends on
	// how fast the machine is.
	var mu sync.Mutex
	now := time.Date(2024, 3, 20, 15, 0, 0, 0, time.UTC)
	s.App.Vendor("whippy").(*whippy.Mock).SetRateLimitClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	const key = "limited"
	c := s.Whippy(key)
	var statuses []int
	var limited *apptest.Response
	for range 4 {
		r := c.Get(t, "/contacts")
		statuses = append(statuses, r.Status)
		limited = r
	}
	if want := []int{200, 200, 200, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	wantError(t, limited, http.StatusTooManyRequests, "Too many requests")
	if h := limited.Header.Get("X-RateLimit-Remaining-Interval-Milliseconds"); h != "1000" {
		t.Errorf("X-RateLimit-Remaining-Interval-Milliseconds = %q, want 1000 (no time has passed)", h)
	}
	advance(400 * time.Millisecond)
	r := c.Get(t, "/contacts")
	wantError(t, r, http.StatusTooManyRequests, "Too many requests")
	if h := r.Header.Get("X-RateLimit-Remaining-Interval-Milliseconds"); h != "600" {
		t.Errorf("400 ms later the header says %q, want 600", h)
	}
	// The window ends at one second: a new budget.
	advance(600 * time.Millisecond)
	statuses = statuses[:0]
	for range 4 {
		statuses = append(statuses, c.Get(t, "/contacts").Status)
	}
	if want := []int{200, 200, 200, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses in the next window %v, want %v", statuses, want)
	}

	// Other keys and the organization budget are separate.
	get(t, s.Whippy("not-limited"), "/contacts")
	get(t, s.Whippy(key), "/organization")

	// Campaign sends have their own, per-minute budget.
	cc := s.Whippy("campaigner")
	from := defaultPhone(t, cc)
	body := M{"from": from, "body": "promo", "to": []M{{"phone": "+13125559101"}}}
	post(t, cc, "/messaging/sms/campaign", body, http.StatusAccepted)
	advance(59 * time.Second)
	r = cc.Post(t, "/campaigns/sms", body)
	wantError(t, r, http.StatusTooManyRequests, "Too many requests")
	if h := r.Header.Get("X-RateLimit-Remaining-Interval-Milliseconds"); h != "1000" {
		t.Errorf("campaign 429 header %q, want 1000 (a second left of the minute)", h)
	}
	if _, total := listOf(t, get(t, cc, "/campaigns")); total != 1 {
		t.Errorf("%d campaigns stored, want only the accepted one", total)
	}
}
