package whippy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// M is a JSON object in a request body.
type M = map[string]any

// Two phone channels and an email channel of the configured workspaces
// used by the tests below.
const (
	phoneA = "+12065550000"
	phoneB = "+12065550001"
	emailA = "support@acme.example"
)

// newServer starts vendorsim with opts. Scenario timelines and webhook
// deliveries run only when asked (manual mode), so that a message keeps
// its initial status while a test looks at it, however slow the machine.
func newServer(tb testing.TB, opts ...apptest.Option) *apptest.Server {
	tb.Helper()
	manual := apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true })
	return apptest.New(tb, append([]apptest.Option{manual}, opts...)...)
}

// withWorkspace configures a workspace reached with key, with the given
// Whippy channels (none: the default single phone channel).
func withWorkspace(key string, channels ...whippy.ChannelSeed) apptest.Option {
	return apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = append(c.Workspaces, whippy.Workspace("ws-"+key, &whippy.WorkspaceConfig{APIKeys: []string{key}, Channels: channels}))
	})
}

// twoPhonesAndEmail are the channels of a workspace that can send on two
// numbers and by email.
var twoPhonesAndEmail = []whippy.ChannelSeed{
	{Name: "Line A", Type: "phone", Phone: phoneA},
	{Name: "Line B", Type: "phone", Phone: phoneB},
	{Name: "Inbox", Type: "email", Email: emailA},
}

// dataOf returns the "data" object of a single-resource answer.
func dataOf(tb testing.TB, r *apptest.Response) M {
	tb.Helper()
	d, ok := r.Map(tb)["data"].(map[string]any)
	if !ok {
		tb.Fatalf("no data object in %s", r.Body)
	}
	return d
}

// listOf returns the items of a list answer and its total (-1 when the
// answer has none).
func listOf(tb testing.TB, r *apptest.Response) ([]M, int) {
	tb.Helper()
	var body struct {
		Data  []M  `json:"data"`
		Total *int `json:"total"`
	}
	r.JSON(tb, &body)
	if body.Data == nil {
		tb.Fatalf("no data array in %s", r.Body)
	}
	if body.Total == nil {
		return body.Data, -1
	}
	return body.Data, *body.Total
}

// get GETs path and wants 200.
func get(tb testing.TB, c *apptest.Client, path string) *apptest.Response {
	tb.Helper()
	return apptest.Want(tb, c.Get(tb, path), http.StatusOK)
}

// post POSTs body to path and wants status.
func post(tb testing.TB, c *apptest.Client, path string, body any, status int) M {
	tb.Helper()
	return dataOf(tb, apptest.Want(tb, c.Post(tb, path, body), status))
}

// put PUTs body to path and wants 200.
func put(tb testing.TB, c *apptest.Client, path string, body any) M {
	tb.Helper()
	return dataOf(tb, apptest.Want(tb, c.Do(tb, http.MethodPut, path, body), http.StatusOK))
}

// field returns m[key] as a string ("" when absent or not a string).
func field(m M, key string) string {
	s, _ := m[key].(string)
	return s
}

// pluck returns field key of every item, sorted.
func pluck(items []M, key string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, field(it, key))
	}
	sort.Strings(out)
	return out
}

// sorted returns a sorted copy of s.
func sorted(s ...string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// wantList GETs path and checks that the items' key fields are want (in any
// order) and that total counts them.
func wantList(tb testing.TB, c *apptest.Client, path, key string, want ...string) []M {
	tb.Helper()
	items, total := listOf(tb, get(tb, c, path))
	if got, w := pluck(items, key), sorted(want...); !slices.Equal(got, w) {
		tb.Errorf("GET %s: got %s %q, want %q", path, key, got, w)
	}
	if total != len(want) {
		tb.Errorf("GET %s: got total %d, want %d", path, total, len(want))
	}
	return items
}

// wantError checks that r is Whippy's error envelope
// {"errors":[{"description":...}],"status":N} with status, and that the
// description contains every one of subs (the field it names).
func wantError(tb testing.TB, r *apptest.Response, status int, subs ...string) string {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	var e struct {
		Errors []struct {
			Description string `json:"description"`
		} `json:"errors"`
		Status int `json:"status"`
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		tb.Fatalf("error body %s is not Whippy's shape: %v", r.Body, err)
	}
	if len(e.Errors) != 1 || e.Errors[0].Description == "" {
		tb.Fatalf("error body %s: want one error with a description", r.Body)
	}
	if e.Status != status {
		tb.Errorf("error body says status %d, want %d", e.Status, status)
	}
	desc := e.Errors[0].Description
	for _, s := range subs {
		if !strings.Contains(desc, s) {
			tb.Errorf("description %q does not name %q", desc, s)
		}
	}
	for _, leak := range []string{"json:", "Go value", "unmarshal", "sql", "runtime", "panic", "doesn't match schema", "%!"} {
		if strings.Contains(desc, leak) {
			tb.Errorf("description %q leaks internals (%q)", desc, leak)
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("error Content-Type %q, want application/json", ct)
	}
	return desc
}

// channelsOf returns a workspace's channels.
func channelsOf(tb testing.TB, c *apptest.Client) []M {
	tb.Helper()
	items, _ := listOf(tb, get(tb, c, "/channels"))
	if len(items) == 0 {
		tb.Fatal("workspace has no channels")
	}
	return items
}

// channelByPhone returns the channel with that phone.
func channelByPhone(tb testing.TB, c *apptest.Client, phone string) M {
	tb.Helper()
	for _, ch := range channelsOf(tb, c) {
		if field(ch, "phone") == phone {
			return ch
		}
	}
	tb.Fatalf("no channel has phone %s", phone)
	return nil
}

// defaultPhone returns the phone of an auto-created workspace's channel.
func defaultPhone(tb testing.TB, c *apptest.Client) string {
	tb.Helper()
	p := field(channelsOf(tb, c)[0], "phone")
	if p == "" {
		tb.Fatal("default channel has no phone")
	}
	return p
}

// sms sends an SMS and returns the receipt.
func sms(tb testing.TB, c *apptest.Client, from, to, body string) M {
	tb.Helper()
	return post(tb, c, "/messaging/sms", M{"from": from, "to": to, "body": body}, http.StatusCreated)
}

// messagesOf returns the messages of a conversation as GET
// /conversations/{id} lists them, with query appended.
func messagesOf(tb testing.TB, c *apptest.Client, convID, query string) []M {
	tb.Helper()
	d := dataOf(tb, get(tb, c, "/conversations/"+convID+query))
	raw, ok := d["messages"].([]any)
	if !ok {
		tb.Fatalf("conversation %s has no messages array: %v", convID, d)
	}
	out := make([]M, 0, len(raw))
	for _, m := range raw {
		out = append(out, m.(map[string]any))
	}
	return out
}

func q(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Add(params[i], params[i+1])
	}
	return "?" + v.Encode()
}

func TestContacts_CreateGetUpdateDelete(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("contacts-crud")

	created := post(t, c, "/contacts", M{"phone": "+13125552671", "name": "Ada Lovelace", "email": "ada@example.com"}, http.StatusCreated)
	id := field(created, "id")
	if convs, ok := created["conversations"].([]any); !ok || len(convs) != 0 {
		t.Errorf("created contact conversations = %v, want []", created["conversations"])
	}
	for k, want := range map[string]string{"phone": "+13125552671", "name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "state": "open"} {
		if got := field(created, k); got != want {
			t.Errorf("created %s = %q, want %q", k, got, want)
		}
	}

	stored := dataOf(t, get(t, c, "/contacts/"+id))
	again := apptest.Want(t, c.Post(t, "/contacts", M{"phone": "(312) 555-2671", "name": "Someone Else", "email": "other@example.com"}), http.StatusOK)
	if got := dataOf(t, again); !jsonEqual(got, stored) {
		t.Errorf("POST of an existing phone returned %v, want the stored contact unchanged %v", got, stored)
	}
	if got := dataOf(t, get(t, c, "/contacts/"+id)); !jsonEqual(got, stored) {
		t.Errorf("after POST of an existing phone the contact is %v, want unchanged %v", got, stored)
	}

	updated := put(t, c, "/contacts/"+id, M{"email": "ada@lovelace.example", "name": "Ada King", "external_id": "crm-1"})
	for k, want := range map[string]string{"id": id, "email": "ada@lovelace.example", "name": "Ada King", "first_name": "Ada", "last_name": "King", "external_id": "crm-1", "phone": "+13125552671"} {
		if got := field(updated, k); got != want {
			t.Errorf("updated %s = %q, want %q", k, got, want)
		}
	}
	if field(updated, "updated_at") < field(updated, "created_at") {
		t.Errorf("updated_at %s before created_at %s", field(updated, "updated_at"), field(updated, "created_at"))
	}
	if got := dataOf(t, get(t, c, "/contacts/"+id)); !jsonEqual(got, withConvs(updated)) {
		t.Errorf("GET after PUT = %v, want %v with its conversations", got, updated)
	}

	other := post(t, c, "/contacts", M{"phone": "+13125550999"}, http.StatusCreated)
	wantError(t, c.Do(t, http.MethodPut, "/contacts/"+id, M{"phone": field(other, "phone")}), http.StatusUnprocessableEntity, "phone")

	del := apptest.Want(t, c.Do(t, http.MethodDelete, "/contacts/"+id, nil), http.StatusOK)
	if got := string(del.Body); got != `{"data":{"id":"`+id+`"}}` {
		t.Errorf("DELETE body %s, want {\"data\":{\"id\":%q}}", got, id)
	}
	wantError(t, c.Get(t, "/contacts/"+id), http.StatusNotFound, "Contact not found")
	wantError(t, c.Do(t, http.MethodDelete, "/contacts/"+id, nil), http.StatusNotFound, "Contact not found")
	wantError(t, c.Do(t, http.MethodPut, "/contacts/"+id, M{"name": "x"}), http.StatusNotFound, "Contact not found")
	wantList(t, c, "/contacts", "id", field(other, "id"))

	// The phone is free again.
	reborn := post(t, c, "/contacts", M{"phone": "+13125552671"}, http.StatusCreated)
	if field(reborn, "id") == id {
		t.Errorf("a contact created after the delete reuses id %s", id)
	}
}

// withConvs returns contact with "conversations": [] (a contact without
// conversations, as GET /contacts/{id} answers it).
func withConvs(contact M) M {
	out := M{"conversations": []any{}}
	for k, v := range contact {
		out[k] = v
	}
	return out
}

func TestContacts_Upsert(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("contacts-upsert")
	existing := post(t, c, "/contacts", M{"phone": "+13125551001", "name": "Old Name"}, http.StatusCreated)

	resp := apptest.Want(t, c.Post(t, "/contacts/upsert", M{"contacts": []M{
		{"phone": "(312) 555-1001", "name": "New Name", "email": "new@example.com"},
		{"phone": "+13125551002", "name": "Brand New", "external_id": "ext-2"},
	}}), http.StatusOK)
	items, total := listOf(t, resp)
	if len(items) != 2 || total != 2 {
		t.Fatalf("upsert returned %d items, total %d; want 2, 2", len(items), total)
	}
	if got, want := field(items[0], "id"), field(existing, "id"); got != want {
		t.Errorf("upsert of an existing phone: id %s, want the existing %s", got, want)
	}
	if got := field(items[0], "name"); got != "New Name" {
		t.Errorf("upserted name %q, want %q", got, "New Name")
	}
	if got := field(items[0], "email"); got != "new@example.com" {
		t.Errorf("upserted email %q, want %q", got, "new@example.com")
	}
	if field(items[1], "id") == field(existing, "id") || field(items[1], "phone") != "+13125551002" {
		t.Errorf("upsert of a new phone returned %v, want a new contact", items[1])
	}
	if got := dataOf(t, get(t, c, "/contacts/"+field(existing, "id"))); !jsonEqual(got, withConvs(items[0])) {
		t.Errorf("stored contact %v, want the upsert's answer %v", got, items[0])
	}
	wantList(t, c, "/contacts", "name", "New Name", "Brand New")

	// A bad item fails the whole request, naming it, and stores nothing.
	wantError(t, c.Post(t, "/contacts/upsert", M{"contacts": []M{{"phone": "+13125551003"}, {"phone": "not a phone"}}}),
		http.StatusUnprocessableEntity, "contacts.1.phone")
	wantList(t, c, "/contacts", "name", "New Name", "Brand New")

	// One phone twice in a request: both entries show the contact as the
	// second left it, which is what is stored.
	twice := apptest.Want(t, c.Post(t, "/contacts/upsert", M{"contacts": []M{
		{"phone": "+13125551004", "name": "First"}, {"phone": "(312) 555-1004", "name": "Second"},
	}}), 200).Map(t)["data"].([]any)
	if len(twice) != 2 || twice[0].(map[string]any)["name"] != "Second" || twice[1].(map[string]any)["name"] != "Second" {
		t.Errorf("upsert of one phone twice answered %v; want both entries named Second", twice)
	}
	wantList(t, c, "/contacts?"+q("phone", "+13125551004")[1:], "name", "Second")
}

func TestContacts_ListFilters(t *testing.T) {
	s := newServer(t, withWorkspace("contacts-filters", twoPhonesAndEmail...))
	c := s.Whippy("contacts-filters")
	chA, chB := channelByPhone(t, c, phoneA), channelByPhone(t, c, phoneB)

	ada := post(t, c, "/contacts", M{"phone": "+14155552671", "name": "Ada Lovelace", "email": "ada@example.com"}, http.StatusCreated)
	post(t, c, "/contacts", M{"phone": "+13125551234", "name": "Grace Hopper", "email": "grace@navy.example"}, http.StatusCreated)
	alan := post(t, c, "/contacts", M{"phone": "+13125557788", "name": "Alan Turing", "email": "alan@example.org"}, http.StatusCreated)
	sms(t, c, phoneA, "+14155552671", "hello Ada")
	sms(t, c, phoneB, "+13125551234", "hello Grace")
	sms(t, c, phoneB, "+13125557788", "hello Alan")
	sms(t, c, phoneA, "+13125557788", "hello again Alan")

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"NoFilter", "", []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"}},
		{"NameContains", q("name", "love"), []string{"Ada Lovelace"}},
		{"NameCaseInsensitive", q("name", "TURING"), []string{"Alan Turing"}},
		{"NameShared", q("name", "ace"), []string{"Ada Lovelace", "Grace Hopper"}},
		{"NameNone", q("name", "nobody"), nil},
		{"Email", q("email", "ada@example.com"), []string{"Ada Lovelace"}},
		{"EmailCaseInsensitive", q("email", "GRACE@NAVY.EXAMPLE"), []string{"Grace Hopper"}},
		{"PhoneE164", q("phone", "+14155552671"), []string{"Ada Lovelace"}},
		{"PhoneFormatted", q("phone", "(415) 555-2671"), []string{"Ada Lovelace"}},
		{"PhoneNational", q("phone", "312-555-1234"), []string{"Grace Hopper"}},
		{"PhoneNone", q("phone", "+19995550000"), nil},
		{"ChannelID", q("channels[][id]", field(chA, "id")), []string{"Ada Lovelace", "Alan Turing"}},
		{"ChannelIDs", q("channels[][id]", field(chA, "id"), "channels[][id]", field(chB, "id")), []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"}},
		{"ChannelPhone", q("channels[][phone]", phoneB), []string{"Grace Hopper", "Alan Turing"}},
		{"ChannelPhoneFormatted", q("channels[][phone]", "(206) 555-0000"), []string{"Ada Lovelace", "Alan Turing"}},
		{"ChannelPhoneUnknown", q("channels[][phone]", "+19995550000"), nil},
		{"ChannelUnknownID", q("channels[][id]", uuid.NewString()), nil},
		{"CreatedAfter", q("created_at[after]", field(ada, "created_at")), []string{"Grace Hopper", "Alan Turing"}},
		{"CreatedBefore", q("created_at[before]", field(alan, "created_at")), []string{"Ada Lovelace", "Grace Hopper"}},
		{"CreatedBetween", q("created_at[after]", field(ada, "created_at"), "created_at[before]", field(alan, "created_at")), []string{"Grace Hopper"}},
		{"CreatedAfterDate", q("created_at[after]", "2000-01-01"), []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"}},
		{"CreatedBeforeDate", q("created_at[before]", "2000-01-01"), nil},
		{"Combined", q("name", "a", "channels[][id]", field(chB, "id"), "email", "alan@example.org"), []string{"Alan Turing"}},
		{"EmailIsWhole", q("email", "example.org"), nil},
		{"PhoneDigitsAreNotASearch", q("phone", "7788"), nil},
		{"PhonePlusAlone", q("phone", "+"), nil},
		{"PhoneBlankIsNoFilter", q("phone", " "), []string{"Alan Turing", "Grace Hopper", "Ada Lovelace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantList(t, c, "/contacts"+tt.query, "name", tt.want...)
		})
	}
}

func TestContacts_Paging(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("contacts-paging")
	var batch []M
	for i := range 55 {
		batch = append(batch, M{"phone": fmt.Sprintf("+1312555%04d", 3000+i), "name": fmt.Sprintf("Contact %02d", i)})
	}
	apptest.Want(t, c.Post(t, "/contacts/upsert", M{"contacts": batch}), http.StatusOK)

	all, total := listOf(t, get(t, c, "/contacts?limit=500"))
	if len(all) != 55 || total != 55 {
		t.Fatalf("limit=500: got %d items, total %d; want 55, 55", len(all), total)
	}
	for i := 1; i < len(all); i++ {
		if field(all[i-1], "created_at") < field(all[i], "created_at") {
			t.Fatalf("contacts are not newest first: %s before %s", field(all[i-1], "created_at"), field(all[i], "created_at"))
		}
	}
	if items, total := listOf(t, get(t, c, "/contacts")); len(items) != 50 || total != 55 {
		t.Errorf("default page: got %d items, total %d; want 50, 55", len(items), total)
	}

	tests := []struct {
		name          string
		limit, offset int
		want          int
	}{
		{"FirstPage", 20, 0, 20},
		{"MiddlePage", 20, 20, 20},
		{"LastPage", 20, 40, 15},
		{"PastTheEnd", 20, 55, 0},
		{"FarPastTheEnd", 20, 1000, 0},
		{"One", 1, 54, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, total := listOf(t, get(t, c, fmt.Sprintf("/contacts?limit=%d&offset=%d", tt.limit, tt.offset)))
			if total != 55 {
				t.Errorf("total %d, want 55", total)
			}
			if len(items) != tt.want {
				t.Fatalf("got %d items, want %d", len(items), tt.want)
			}
			for i, it := range items {
				if got, want := field(it, "id"), field(all[tt.offset+i], "id"); got != want {
					t.Errorf("item %d: id %s, want %s", i, got, want)
				}
			}
		})
	}

	for _, bad := range []struct{ query, field string }{
		{"limit=501", "limit"},
		{"limit=0", "limit"},
		{"limit=abc", "limit"},
		{"offset=-1", "offset"},
		{"offset=x", "offset"},
	} {
		t.Run("Bad_"+bad.query, func(t *testing.T) {
			wantError(t, c.Get(t, "/contacts?"+bad.query), http.StatusUnprocessableEntity, bad.field)
		})
	}
}

func TestSendSMS_CreatesContactAndConversation(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("send-sms")
	from := defaultPhone(t, c)
	channel := channelsOf(t, c)[0]

	r1 := post(t, c, "/messaging/sms", M{"from": from, "to": "(206) 555-1234", "body": "first"}, http.StatusCreated)
	if got := field(r1, "delivery_status"); got != "queued" {
		t.Errorf("delivery_status %q, want queued", got)
	}
	contactID, convID := field(r1, "contact_id"), field(r1, "conversation_id")

	contacts := wantList(t, c, "/contacts", "phone", "+12065551234")
	if got := field(contacts[0], "id"); got != contactID {
		t.Errorf("listed contact %s, want the receipt's %s", got, contactID)
	}
	convs := wantList(t, c, "/conversations", "id", convID)
	for k, want := range map[string]string{"contact_id": contactID, "channel_id": field(channel, "id"), "status": "open", "channel_type": "phone"} {
		if got := field(convs[0], k); got != want {
			t.Errorf("conversation %s = %q, want %q", k, got, want)
		}
	}
	if field(convs[0], "last_message_date") == "" {
		t.Error("conversation has no last_message_date")
	}

	msgs := messagesOf(t, c, convID, "")
	if len(msgs) != 1 {
		t.Fatalf("conversation has %d messages, want 1", len(msgs))
	}
	for k, want := range map[string]string{"id": field(r1, "id"), "to": "+12065551234", "from": from, "body": "first", "direction": "OUTBOUND",
		"type": "sms", "delivery_status": "queued", "contact_id": contactID, "conversation_id": convID, "channel_id": field(channel, "id")} {
		if got := field(msgs[0], k); got != want {
			t.Errorf("message %s = %q, want %q", k, got, want)
		}
	}

	// Sending again reuses the contact and the conversation.
	r2 := sms(t, c, from, "+12065551234", "second")
	r3 := post(t, c, "/messaging/sms", M{"from": from, "to": "12065551234", "attachments": []string{"https://files.example/map.png"}}, http.StatusCreated)
	for _, r := range []M{r2, r3} {
		if field(r, "contact_id") != contactID || field(r, "conversation_id") != convID {
			t.Errorf("resend went to contact %s conversation %s, want %s %s", field(r, "contact_id"), field(r, "conversation_id"), contactID, convID)
		}
	}
	wantList(t, c, "/contacts", "id", contactID)
	wantList(t, c, "/conversations", "id", convID)

	msgs = messagesOf(t, c, convID, "")
	if got, want := ids(msgs), []string{field(r3, "id"), field(r2, "id"), field(r1, "id")}; !slices.Equal(got, want) {
		t.Fatalf("messages %v, want newest first %v", got, want)
	}
	if got := field(msgs[0], "type"); got != "mms" {
		t.Errorf("message with attachments has type %q, want mms", got)
	}
	if atts, _ := msgs[0]["attachments"].([]any); len(atts) != 1 || field(atts[0].(map[string]any), "content_type") != "image/png" {
		t.Errorf("attachments %v, want one image/png", msgs[0]["attachments"])
	}

	m1, m2, m3 := msgs[2], msgs[1], msgs[0]
	tests := []struct {
		name  string
		query string
		want  []M
	}{
		{"Limit", q("messages[limit]", "1"), []M{m3}},
		{"LimitOffset", q("messages[limit]", "1", "messages[offset]", "1"), []M{m2}},
		{"Offset", q("messages[offset]", "2"), []M{m1}},
		{"OffsetPastEnd", q("messages[offset]", "3"), nil},
		{"Before", q("messages[before]", field(m2, "created_at")), []M{m1}},
		{"After", q("messages[after]", field(m1, "created_at")), []M{m3, m2}},
		{"Between", q("messages[after]", field(m1, "created_at"), "messages[before]", field(m3, "created_at")), []M{m2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := ids(messagesOf(t, c, convID, tt.query)), ids(tt.want); !slices.Equal(got, want) {
				t.Errorf("messages %v, want %v", got, want)
			}
		})
	}
	wantError(t, c.Get(t, "/conversations/"+convID+q("messages[limit]", "abc")), http.StatusUnprocessableEntity, "messages[limit]")
	wantError(t, c.Get(t, "/conversations/"+convID+q("messages[before]", "yesterday")), http.StatusUnprocessableEntity, "messages[before]")
	wantError(t, c.Get(t, "/conversations/"+uuid.NewString()), http.StatusNotFound, "Conversation not found")
}

// ids returns the ids of items, in order.
func ids(items []M) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, field(it, "id"))
	}
	return out
}

func TestSendSMS_ExistingContactGetsConversation(t *testing.T) {
	s := newServer(t, withWorkspace("sms-existing", twoPhonesAndEmail...))
	c := s.Whippy("sms-existing")
	contact := post(t, c, "/contacts", M{"phone": "+13125554444", "name": "Known Person"}, http.StatusCreated)

	onA := sms(t, c, phoneA, "+13125554444", "on A")
	onB := sms(t, c, phoneB, "+1 312 555 4444", "on B")
	if field(onA, "contact_id") != field(contact, "id") || field(onB, "contact_id") != field(contact, "id") {
		t.Errorf("sends went to contacts %s and %s, want the existing %s", field(onA, "contact_id"), field(onB, "contact_id"), field(contact, "id"))
	}
	if field(onA, "conversation_id") == field(onB, "conversation_id") {
		t.Error("sends on two channels share a conversation, want one per channel")
	}
	wantList(t, c, "/conversations"+q("contacts[][id]", field(contact, "id")), "id", field(onA, "conversation_id"), field(onB, "conversation_id"))
	wantList(t, c, "/contacts", "id", field(contact, "id"))
	if got := field(dataOf(t, get(t, c, "/contacts/"+field(contact, "id"))), "name"); got != "Known Person" {
		t.Errorf("contact name %q after sends, want unchanged", got)
	}
}

func TestSendEmailFaxNote(t *testing.T) {
	s := newServer(t, withWorkspace("other-kinds", twoPhonesAndEmail...))
	c := s.Whippy("other-kinds")
	inbox := channelsOf(t, c)[2]

	email := post(t, c, "/messaging/email", M{"from": emailA, "to": "Bob Example <Bob@Example.com>", "subject": "Shift", "body": "<p>Hi</p>"}, http.StatusCreated)
	contact := dataOf(t, get(t, c, "/contacts/"+field(email, "contact_id")))
	if got := field(contact, "email"); got != "bob@example.com" {
		t.Errorf("email contact has email %q, want bob@example.com", got)
	}
	conv := dataOf(t, get(t, c, "/conversations/"+field(email, "conversation_id")))
	if field(conv, "channel_type") != "email" || field(conv, "channel_id") != field(inbox, "id") {
		t.Errorf("email conversation %v, want channel_type email on %s", conv, field(inbox, "id"))
	}
	msg := messagesOf(t, c, field(email, "conversation_id"), "")[0]
	for k, want := range map[string]string{"type": "email", "subject": "Shift", "to": "bob@example.com", "from": emailA} {
		if got := field(msg, k); got != want {
			t.Errorf("email message %s = %q, want %q", k, got, want)
		}
	}
	again := post(t, c, "/messaging/email", M{"from": emailA, "to": "bob@example.com", "body": "again"}, http.StatusCreated)
	if field(again, "conversation_id") != field(email, "conversation_id") {
		t.Error("second email opened a new conversation")
	}

	fax := post(t, c, "/messaging/fax", M{"from": phoneA, "to": "+13125556000", "attachments": []string{"https://files.example/w4.pdf"}}, http.StatusCreated)
	if got := field(messagesOf(t, c, field(fax, "conversation_id"), "")[0], "type"); got != "fax" {
		t.Errorf("fax message type %q, want fax", got)
	}
	note := post(t, c, "/messaging/note", M{"from": phoneA, "to": "+13125556000", "body": "called back"}, http.StatusCreated)
	if field(note, "conversation_id") != field(fax, "conversation_id") {
		t.Error("note went to another conversation than the fax to the same number on the same channel")
	}
	if got := field(note, "delivery_status"); got != "delivered" {
		t.Errorf("note delivery_status %q, want delivered", got)
	}
	if got := field(messagesOf(t, c, field(note, "conversation_id"), "")[0], "type"); got != "note" {
		t.Errorf("newest message type %q, want note", got)
	}

	wantList(t, c, "/conversations?type=email", "id", field(email, "conversation_id"))
	wantList(t, c, "/conversations?type=phone", "id", field(fax, "conversation_id"))

	tests := []struct {
		name   string
		path   string
		body   M
		status int
		field  string
	}{
		{"EmailFromPhoneChannel", "/messaging/email", M{"from": phoneA, "to": "x@example.com", "body": "x"}, 422, "from"},
		{"EmailBadAddress", "/messaging/email", M{"from": emailA, "to": "not an address", "body": "x"}, 422, "to"},
		{"EmailNoBody", "/messaging/email", M{"from": emailA, "to": "x@example.com"}, 422, "body"},
		{"FaxNoAttachments", "/messaging/fax", M{"from": phoneA, "to": "+13125556000"}, 422, "attachments"},
		{"FaxEmptyAttachments", "/messaging/fax", M{"from": phoneA, "to": "+13125556000", "attachments": []string{}}, 422, "attachments"},
		{"NoteNoBody", "/messaging/note", M{"from": phoneA, "to": "+13125556000"}, 422, "body"},
		{"NoteFromUnknownChannel", "/messaging/note", M{"from": "+13125559999", "to": "+13125556000", "body": "x"}, 422, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.Post(t, tt.path, tt.body), tt.status, tt.field)
		})
	}
}

func TestSendEmail_NeedsEmailChannel(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("no-email-channel")
	wantError(t, c.Post(t, "/messaging/email", M{"from": "support@acme.example", "to": "x@example.com", "body": "x"}), http.StatusUnprocessableEntity, "from")

	// A workspace created through the control API can have one.
	apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": "with-email", "whippy": M{
		"api_keys": []string{"with-email-key"},
		"channels": []M{{"type": "email", "email": "desk@acme.example", "name": "Desk"}},
	}}), http.StatusCreated)
	post(t, s.Whippy("with-email-key"), "/messaging/email", M{"from": "desk@acme.example", "to": "x@example.com", "body": "x"}, http.StatusCreated)
}

func TestConversations_FiltersAndUpdate(t *testing.T) {
	s := newServer(t, withWorkspace("conv-filters", twoPhonesAndEmail...))
	c := s.Whippy("conv-filters")
	chB := channelByPhone(t, c, phoneB)

	x := sms(t, c, phoneA, "+13125551001", "to X on A")
	y := sms(t, c, phoneB, "+13125551002", "to Y on B")
	yA := sms(t, c, phoneA, "+13125551002", "to Y on A")
	e := post(t, c, "/messaging/email", M{"from": emailA, "to": "z@example.com", "body": "to Z by email"}, http.StatusCreated)
	convX, convY, convYA, convE := field(x, "conversation_id"), field(y, "conversation_id"), field(yA, "conversation_id"), field(e, "conversation_id")

	closed := put(t, c, "/conversations/"+convY, M{"status": "closed"})
	if got := field(closed, "status"); got != "closed" {
		t.Errorf("PUT status closed answered status %q", got)
	}
	if got := field(dataOf(t, get(t, c, "/conversations/"+convY)), "status"); got != "closed" {
		t.Errorf("stored status %q, want closed", got)
	}
	put(t, c, "/conversations/"+convE, M{"status": "spam"})
	put(t, c, "/conversations/"+convX, M{"unread_count": 3})

	users, _ := listOf(t, get(t, c, "/users"))
	uid, ok := users[0]["id"].(float64)
	if !ok {
		t.Fatalf("user id %v is not a number", users[0]["id"])
	}
	assigned := put(t, c, "/conversations/"+convYA, M{"assigned_user_id": int(uid)})
	if got, _ := assigned["assigned_user_id"].(float64); got != uid {
		t.Errorf("assigned_user_id %v, want %v", assigned["assigned_user_id"], uid)
	}
	wantError(t, c.Do(t, http.MethodPut, "/conversations/"+convX, M{"assigned_user_id": 999999}), http.StatusUnprocessableEntity, "assigned_user_id")
	wantError(t, c.Do(t, http.MethodPut, "/conversations/"+convX, M{"status": "snoozed"}), http.StatusUnprocessableEntity, "status")
	wantError(t, c.Do(t, http.MethodPut, "/conversations/"+convX, M{"unread_count": -1}), http.StatusUnprocessableEntity, "unread_count")
	wantError(t, c.Do(t, http.MethodPut, "/conversations/"+uuid.NewString(), M{"status": "closed"}), http.StatusNotFound, "Conversation not found")

	list, _ := listOf(t, get(t, c, "/conversations"))
	lmd, created := map[string]string{}, map[string]string{}
	latest := ""
	for _, cv := range list {
		lmd[field(cv, "id")] = field(cv, "last_message_date")
		created[field(cv, "id")] = field(cv, "created_at")
		latest = max(latest, field(cv, "updated_at"))
	}
	uidStr := fmt.Sprint(int(uid))

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"All", "", []string{convX, convY, convYA, convE}},
		{"Status", q("status", "closed"), []string{convY}},
		{"Statuses", q("statuses", "closed"), []string{convY}},
		{"StatusBrackets", q("status[]", "closed"), []string{convY}},
		{"StatusSeveral", q("status[]", "open", "status[]", "spam"), []string{convX, convYA, convE}},
		{"StatusNone", q("status", "automated"), nil},
		{"TypePhone", q("type", "phone"), []string{convX, convY, convYA}},
		{"TypeEmail", q("type", "email"), []string{convE}},
		{"ContactID", q("contacts[][id]", field(x, "contact_id")), []string{convX}},
		{"ContactPhone", q("contacts[][phone]", "(312) 555-1002"), []string{convY, convYA}},
		{"ContactPhones", q("contacts[][phone]", "+13125551001", "contacts[][phone]", "+13125551002"), []string{convX, convY, convYA}},
		{"ContactEmail", q("contacts[][email]", "Z@example.com"), []string{convE}},
		{"ChannelID", q("channels[][id]", field(chB, "id")), []string{convY}},
		{"ChannelPhone", q("channels[][phone]", phoneA), []string{convX, convYA}},
		{"AssignedUser", q("assigned_users[]", uidStr), []string{convYA}},
		{"AssignedNobody", q("assigned_users[]", "424242"), nil},
		{"LastMessageAfter", q("last_message_date[after]", lmd[convX]), []string{convY, convYA, convE}},
		{"LastMessageBefore", q("last_message_date[before]", lmd[convYA]), []string{convX, convY}},
		{"LastMessageBetween", q("last_message_date[after]", lmd[convX], "last_message_date[before]", lmd[convE]), []string{convY, convYA}},
		{"Combined", q("status", "open", "channels[][phone]", phoneA, "contacts[][phone]", "+13125551002"), []string{convYA}},
		{"UnreadCount", q("unread_count", "3"), []string{convX}},
		{"UnreadCountZero", q("unread_count", "0"), []string{convY, convYA, convE}},
		{"UpdatedBeforeFuture", q("updated_at[before]", "2999-01-01T00:00:00Z"), []string{convX, convY, convYA, convE}},
		{"UpdatedAfterLast", q("updated_at[after]", latest), nil},
		{"CreatedAfterFirst", q("created_at[after]", created[convX]), []string{convY, convYA, convE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantList(t, c, "/conversations"+tt.query, "id", tt.want...)
		})
	}
	for _, bad := range []struct{ query, field string }{
		{q("status", "bogus"), "status"},
		{q("type", "fax"), "type"},
		{q("assigned_users[]", "abc"), "assigned_users[]"},
		{q("last_message_date[after]", "soon"), "last_message_date[after]"},
		{q("created_at[before]", "13/13/2013"), "created_at[before]"},
	} {
		t.Run("Bad"+bad.field, func(t *testing.T) {
			wantError(t, c.Get(t, "/conversations"+bad.query), http.StatusUnprocessableEntity, bad.field)
		})
	}

	// null unassigns.
	unassigned := put(t, c, "/conversations/"+convYA, M{"assigned_user_id": nil})
	if unassigned["assigned_user_id"] != nil {
		t.Errorf("assigned_user_id %v after null, want null", unassigned["assigned_user_id"])
	}
	wantList(t, c, "/conversations"+q("assigned_users[]", uidStr), "id")
}

func TestCampaigns(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("campaigns")
	from := defaultPhone(t, c)
	known := post(t, c, "/contacts", M{"phone": "+13125552001", "name": "Known Recipient"}, http.StatusCreated)

	acc := post(t, c, "/messaging/sms/campaign", M{"from": from, "title": "Spring Promo", "body": "Hello {{first_name}}", "to": []M{
		{"phone": "+13125552001"},
		{"phone": "(312) 555-2002", "name": "New Recipient"},
		{"phone": "not-a-number"},
		{"phone": "123"},
	}}, http.StatusAccepted)
	campID := field(acc, "campaign_id")
	if acc["contacts_count"] != 2.0 || acc["invalid_count"] != 2.0 {
		t.Errorf("contacts_count %v invalid_count %v, want 2 and 2", acc["contacts_count"], acc["invalid_count"])
	}
	if field(acc, "message") == "" {
		t.Error("no message in the campaign answer")
	}

	camp := dataOf(t, get(t, c, "/campaigns/"+campID))
	if field(camp, "title") != "Spring Promo" || camp["contacts_count"] != 2.0 || field(camp, "status") != "in_progress" {
		t.Errorf("campaign %v, want title Spring Promo, 2 contacts, in_progress", camp)
	}
	ccs := wantList(t, c, "/campaigns/"+campID+"/contacts", "campaign_id", campID, campID)
	phones := []string{}
	for _, cc := range ccs {
		phones = append(phones, field(cc["contact"].(map[string]any), "phone"))
	}
	if got, want := sorted(phones...), sorted("+13125552001", "+13125552002"); !slices.Equal(got, want) {
		t.Errorf("campaign contacts' phones %v, want %v", got, want)
	}

	wantList(t, c, "/contacts", "phone", "+13125552001", "+13125552002")
	if got := field(dataOf(t, get(t, c, "/contacts/"+field(known, "id"))), "name"); got != "Known Recipient" {
		t.Errorf("existing recipient renamed to %q", got)
	}
	for _, cc := range ccs {
		contact := cc["contact"].(map[string]any)
		convs := wantList(t, c, "/conversations"+q("contacts[][id]", field(contact, "id")), "contact_id", field(contact, "id"))
		msg := messagesOf(t, c, field(convs[0], "id"), "")[0]
		if field(msg, "campaign_id") != campID || field(msg, "campaign_contact_id") != field(cc, "id") || field(msg, "id") != field(cc, "message_id") {
			t.Errorf("message %v, want campaign_id %s, campaign_contact_id %s, id %s", msg, campID, field(cc, "id"), field(cc, "message_id"))
		}
		full := dataOf(t, get(t, c, "/contacts/"+field(contact, "id")))
		if tags, _ := full["contact_tags"].([]any); len(tags) != 1 {
			t.Errorf("campaign contact has tags %v, want one upload tag", full["contact_tags"])
		}
	}

	alias := post(t, c, "/campaigns/sms", M{"from": from, "title": "Autumn", "body": "b", "to": []M{{"phone": "+13125552003"}}}, http.StatusAccepted)
	scheduled := post(t, c, "/campaigns/sms", M{"from": from, "title": "Later", "body": "b", "schedule_at": "2999-01-01T00:00:00Z", "to": []M{{"phone": "+13125552004"}}}, http.StatusAccepted)

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"All", "", []string{campID, field(alias, "campaign_id"), field(scheduled, "campaign_id")}},
		{"Title", q("title", "spring"), []string{campID}},
		{"StatusInProgress", q("status[]", "in_progress"), []string{campID, field(alias, "campaign_id")}},
		{"StatusScheduled", q("status[]", "scheduled"), []string{field(scheduled, "campaign_id")}},
		{"StatusSeveral", q("status[]", "scheduled", "status[]", "in_progress"), []string{campID, field(alias, "campaign_id"), field(scheduled, "campaign_id")}},
		{"StatusNone", q("status[]", "completed"), nil},
		{"Paged", q("limit", "1", "title", "autumn"), []string{field(alias, "campaign_id")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantList(t, c, "/campaigns"+tt.query, "id", tt.want...)
		})
	}

	for _, path := range []string{"/messaging/sms/campaign", "/campaigns/sms"} {
		t.Run("NoValidNumber"+path, func(t *testing.T) {
			wantError(t, c.Post(t, path, M{"from": from, "body": "b", "to": []M{{"phone": "abc"}, {"name": "no phone"}}}), http.StatusUnprocessableEntity, "to")
			wantError(t, c.Post(t, path, M{"from": from, "body": "b", "to": []M{}}), http.StatusUnprocessableEntity, "to")
			wantError(t, c.Post(t, path, M{"from": "+19995550000", "body": "b", "to": []M{{"phone": "+13125552005"}}}), http.StatusUnprocessableEntity, "from")
		})
	}
	wantList(t, c, "/campaigns", "id", campID, field(alias, "campaign_id"), field(scheduled, "campaign_id"))
	wantError(t, c.Get(t, "/campaigns/"+uuid.NewString()), http.StatusNotFound, "Campaign not found")
	wantError(t, c.Get(t, "/campaigns/"+uuid.NewString()+"/contacts"), http.StatusNotFound, "Campaign not found")
}

func TestSequences(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("sequences")
	from := defaultPhone(t, c)

	seqs, total := listOf(t, get(t, c, "/sequences"))
	if len(seqs) != 1 || total != 1 {
		t.Fatalf("got %d sequences (total %d), want the seeded one", len(seqs), total)
	}
	seqID := field(seqs[0], "id")
	seq := dataOf(t, get(t, c, "/sequences/"+seqID))
	if !jsonEqual(seq, seqs[0]) {
		t.Errorf("GET /sequences/{id} = %v, want the listed %v", seq, seqs[0])
	}
	steps, _ := seq["steps"].([]any)
	if len(steps) < 2 {
		t.Fatalf("sequence has %d steps, want at least 2", len(steps))
	}
	first, second := steps[0].(map[string]any), steps[1].(map[string]any)

	acc := post(t, c, "/sequences/"+seqID+"/contacts", M{"from": from, "to": []M{{"phone": "+13125553001", "name": "Seq One"}, {"phone": "junk"}}}, http.StatusAccepted)
	if field(acc, "message") == "" {
		t.Error("no message in the 202 answer")
	}
	scs := wantList(t, c, "/sequences/"+seqID+"/contacts", "step_id", field(first, "id"))
	contactID := field(scs[0]["contact"].(map[string]any), "id")
	if got := field(scs[0]["contact"].(map[string]any), "phone"); got != "+13125553001" {
		t.Errorf("step contact phone %q, want +13125553001", got)
	}
	runs := wantList(t, c, "/sequences/runs", "sequence_id", seqID)
	if got := field(runs[0]["contact"].(map[string]any), "id"); got != contactID {
		t.Errorf("run contact %s, want %s", got, contactID)
	}
	convs := wantList(t, c, "/conversations"+q("contacts[][id]", contactID), "contact_id", contactID)
	msg := messagesOf(t, c, field(convs[0], "id"), "")[0]
	if field(msg, "sequence_id") != seqID || field(msg, "step_id") != field(first, "id") || field(msg, "body") != field(first, "body") {
		t.Errorf("sequence message %v, want sequence %s step %s with the step's body", msg, seqID, field(first, "id"))
	}

	cs := apptest.Want(t, c.Post(t, "/contacts/"+contactID+"/sequences", M{}), http.StatusOK)
	items, total := listOf(t, cs)
	if len(items) != 1 || total != 1 {
		t.Fatalf("contact sequences: %d items, total %d; want 1, 1", len(items), total)
	}
	if got := field(items[0]["sequence"].(map[string]any), "id"); got != seqID {
		t.Errorf("contact's sequence %s, want %s", got, seqID)
	}
	if cur, _ := items[0]["current_step"].(map[string]any); field(cur, "id") != field(first, "id") {
		t.Errorf("current_step %v, want %s", items[0]["current_step"], field(first, "id"))
	}
	if next, _ := items[0]["next_step"].(map[string]any); field(next, "id") != field(second, "id") {
		t.Errorf("next_step %v, want %s", items[0]["next_step"], field(second, "id"))
	}
	if items[0]["last_completed_step"] != nil {
		t.Errorf("last_completed_step %v, want null", items[0]["last_completed_step"])
	}

	tests := []struct {
		name             string
		body             any
		wantLen, wantTot int
	}{
		{"NoBody", nil, 1, 1},
		{"BySequence", M{"sequence_id": seqID}, 1, 1},
		{"OtherSequence", M{"sequence_id": uuid.NewString()}, 0, 0},
		{"ContactStatusActive", M{"contact_status": "active"}, 1, 1},
		{"ContactStatusFinished", M{"contact_status": "finished"}, 0, 0},
		{"SequenceStatusArchived", M{"sequence_status": "archived"}, 0, 0},
		{"OffsetPastEnd", M{"offset": 1}, 0, 1},
	}
	for _, tt := range tests {
		t.Run("ContactSequences"+tt.name, func(t *testing.T) {
			items, total := listOf(t, apptest.Want(t, c.Post(t, "/contacts/"+contactID+"/sequences", tt.body), http.StatusOK))
			if len(items) != tt.wantLen || total != tt.wantTot {
				t.Errorf("%d items, total %d; want %d, %d", len(items), total, tt.wantLen, tt.wantTot)
			}
		})
	}
	wantError(t, c.Post(t, "/contacts/"+contactID+"/sequences", M{"limit": 501}), http.StatusUnprocessableEntity, "limit")
	wantError(t, c.Post(t, "/contacts/"+contactID+"/sequences", M{"contact_status": "gone"}), http.StatusUnprocessableEntity, "contact_status")

	// Starting at the second step.
	post(t, c, "/sequences/"+seqID+"/contacts", M{"from": from, "step_id": field(second, "id"), "to": []M{{"phone": "+13125553002"}}}, http.StatusAccepted)
	wantList(t, c, "/sequences/"+seqID+"/contacts", "step_id", field(first, "id"), field(second, "id"))
	if items, total := listOf(t, get(t, c, "/sequences/runs"+q("limit", "1"))); len(items) != 1 || total != 2 {
		t.Errorf("runs with limit=1: %d items, total %d; want 1, 2", len(items), total)
	}

	wantError(t, c.Post(t, "/sequences/"+uuid.NewString()+"/contacts", M{"from": from, "to": []M{{"phone": "+13125553003"}}}), http.StatusNotFound, "Sequence not found")
	wantError(t, c.Post(t, "/sequences/"+seqID+"/contacts", M{"from": from, "step_id": uuid.NewString(), "to": []M{{"phone": "+13125553003"}}}), http.StatusUnprocessableEntity, "step_id")
	wantError(t, c.Post(t, "/sequences/"+seqID+"/contacts", M{"from": from, "to": []M{{"phone": "nope"}}}), http.StatusUnprocessableEntity, "to")
	wantError(t, c.Get(t, "/sequences/"+uuid.NewString()), http.StatusNotFound, "Sequence not found")
	wantError(t, c.Get(t, "/sequences/"+uuid.NewString()+"/contacts"), http.StatusNotFound, "Sequence not found")
	wantError(t, c.Post(t, "/contacts/"+uuid.NewString()+"/sequences", M{}), http.StatusNotFound, "Contact not found")
	wantList(t, c, "/sequences/runs", "sequence_id", seqID, seqID)
}

func TestChannelsUsersOrganization(t *testing.T) {
	s := newServer(t, apptest.WithConfig(func(cfg *config.Config) {
		cfg.Workspaces = append(cfg.Workspaces, whippy.Workspace("acme", &whippy.WorkspaceConfig{
			APIKeys:      []string{"acme-key"},
			Organization: &whippy.OrganizationSeed{Name: "Acme Staffing"},
			Channels:     twoPhonesAndEmail,
			Users: []whippy.UserSeed{
				{Name: "Dana Admin", Email: "dana@acme.example", Role: "admin"},
				{Name: "Sam Agent", Email: "sam@acme.example", Role: "user"},
			},
		}))
	}))
	c := s.Whippy("acme-key")

	org := dataOf(t, get(t, c, "/organization"))
	if got := field(org, "name"); got != "Acme Staffing" {
		t.Errorf("organization name %q, want Acme Staffing", got)
	}
	body := get(t, c, "/channels").Map(t)
	if _, ok := body["total"]; ok {
		t.Errorf("GET /channels has a total: %v", body)
	}
	if got := body["organization_id"]; got != field(org, "id") {
		t.Errorf("organization_id %v, want %s", got, field(org, "id"))
	}
	chans := channelsOf(t, c)
	if got := pluck(chans, "name"); !slices.Equal(got, sorted("Line A", "Line B", "Inbox")) {
		t.Errorf("channel names %v", got)
	}
	for _, ch := range chans {
		if got := dataOf(t, get(t, c, "/channels/"+field(ch, "id"))); !jsonEqual(got, ch) {
			t.Errorf("GET /channels/{id} = %v, want the listed %v", got, ch)
		}
	}
	wantError(t, c.Get(t, "/channels/"+uuid.NewString()), http.StatusNotFound, "Channel not found")

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"All", "", []string{"Dana Admin", "Sam Agent"}},
		{"Name", q("name", "dana"), []string{"Dana Admin"}},
		{"Email", q("email", "sam@"), []string{"Sam Agent"}},
		{"RoleAdmin", q("role", "admin"), []string{"Dana Admin"}},
		{"RoleUser", q("role", "user"), []string{"Sam Agent"}},
		{"StateEnabled", q("state", "enabled"), []string{"Dana Admin", "Sam Agent"}},
		{"StateDisabled", q("state", "disabled"), nil},
	}
	for _, tt := range tests {
		t.Run("Users"+tt.name, func(t *testing.T) {
			wantList(t, c, "/users"+tt.query, "name", tt.want...)
		})
	}
	if items, total := listOf(t, get(t, c, "/users?limit=1&offset=1")); len(items) != 1 || total != 2 || field(items[0], "name") != "Sam Agent" {
		t.Errorf("users page 2 of 1: %v total %d, want Sam Agent, total 2", items, total)
	}
	wantError(t, c.Get(t, "/users?role=owner"), http.StatusUnprocessableEntity, "role")
	users, _ := listOf(t, get(t, c, "/users"))
	for _, u := range users {
		if chs, _ := u["channels"].([]any); len(chs) != 3 {
			t.Errorf("user %s has %d channels, want 3", field(u, "name"), len(chs))
		}
	}
}

func TestCustomEvents(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("custom-events")
	contact := post(t, c, "/contacts", M{"phone": "+13125554001"}, http.StatusCreated)

	ev := post(t, c, "/custom_events", M{
		"event": "job.assigned", "external_id": "job-1", "payload": M{"site": "Elk Grove", "hours": 8},
		"timestamp": "2024-03-20T16:10:00Z", "associated_resources": []M{{"resource": "contact", "id": field(contact, "id")}},
	}, http.StatusCreated)
	for k, want := range map[string]string{"event": "job.assigned", "external_id": "job-1", "timestamp": "2024-03-20T16:10:00.000000Z"} {
		if got := field(ev, k); got != want {
			t.Errorf("event %s = %q, want %q", k, got, want)
		}
	}
	if !jsonEqual(ev["payload"], M{"site": "Elk Grove", "hours": 8}) {
		t.Errorf("payload %v not echoed", ev["payload"])
	}
	if res, _ := ev["associated_resources"].([]any); len(res) != 1 {
		t.Errorf("associated_resources %v, want one", ev["associated_resources"])
	}
	minimal := post(t, c, "/custom_events", M{"event": "job-done"}, http.StatusCreated)
	if minimal["timestamp"] != nil || field(minimal, "id") == field(ev, "id") {
		t.Errorf("minimal event %v, want a new id and a null timestamp", minimal)
	}

	bulk := post(t, c, "/custom_events/bulk", M{"events": []M{{"event": "a"}, {"event": "b", "payload": M{"x": 1}}}}, http.StatusAccepted)
	if bulk["count"] != 2.0 || field(bulk, "message") == "" {
		t.Errorf("bulk answer %v, want count 2 and a message", bulk)
	}

	tests := []struct {
		name  string
		path  string
		body  any
		field string
	}{
		{"NoEvent", "/custom_events", M{"payload": M{}}, "event"},
		{"EmptyEvent", "/custom_events", M{"event": ""}, "event"},
		{"BlankEvent", "/custom_events", M{"event": "   "}, "event"},
		{"BadTimestamp", "/custom_events", M{"event": "x", "timestamp": "yesterday"}, "timestamp"},
		{"PayloadNotObject", "/custom_events", M{"event": "x", "payload": []int{1}}, "payload"},
		{"BulkEmpty", "/custom_events/bulk", M{"events": []M{}}, "events"},
		{"BulkMissing", "/custom_events/bulk", M{}, "events"},
		{"BulkItemNoEvent", "/custom_events/bulk", M{"events": []M{{"event": "a"}, {"payload": M{}}}}, "events.1.event"},
		{"BulkItemBlankEvent", "/custom_events/bulk", M{"events": []M{{"event": "a"}, {"event": " "}}}, "events.1.event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.Post(t, tt.path, tt.body), http.StatusUnprocessableEntity, tt.field)
		})
	}
}

func TestDevelopers(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("developers")

	app := post(t, c, "/developers/applications", M{"name": "ATS sync", "description": "sync"}, http.StatusCreated)
	appID := field(app, "id")
	if app["active"] != true {
		t.Errorf("new application active = %v, want true", app["active"])
	}
	wantList(t, c, "/developers/applications", "id", appID)
	if got := dataOf(t, get(t, c, "/developers/applications/"+appID)); !jsonEqual(got, app) {
		t.Errorf("GET application %v, want %v", got, app)
	}
	upd := put(t, c, "/developers/applications/"+appID, M{"name": "ATS sync v2", "active": false})
	if field(upd, "name") != "ATS sync v2" || upd["active"] != false || field(upd, "description") != "sync" {
		t.Errorf("updated application %v", upd)
	}
	put(t, c, "/developers/applications/"+appID, M{"active": true})
	other := post(t, c, "/developers/applications", M{"name": "Other"}, http.StatusCreated)

	ep := post(t, c, "/developers/endpoints", M{"developer_application_id": appID, "url": "https://hooks.example/whippy", "event_types": []string{"message.created"}}, http.StatusCreated)
	epID := field(ep, "id")
	if field(ep, "developer_application_id") != appID || ep["active"] != true || field(ep, "url") != "https://hooks.example/whippy" {
		t.Errorf("new endpoint %v", ep)
	}
	ep2 := post(t, c, "/developers/endpoints", M{"developer_application_id": field(other, "id"), "url": "http://hooks.example/2", "event_types": []string{"contact.created"}, "active": false}, http.StatusCreated)
	wantList(t, c, "/developers/endpoints", "id", epID, field(ep2, "id"))
	wantList(t, c, "/developers/endpoints"+q("developer_application_id", appID), "id", epID)
	if got := dataOf(t, get(t, c, "/developers/endpoints/"+epID)); !jsonEqual(got, ep) {
		t.Errorf("GET endpoint %v, want %v", got, ep)
	}
	upEp := put(t, c, "/developers/endpoints/"+epID, M{"event_types": []string{"message.created", "message.updated"}, "active": false})
	if types, _ := upEp["event_types"].([]any); len(types) != 2 || upEp["active"] != false || field(upEp, "url") != "https://hooks.example/whippy" {
		t.Errorf("updated endpoint %v", upEp)
	}

	bad := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"EndpointBadURL", http.MethodPost, "/developers/endpoints", M{"developer_application_id": appID, "url": "ftp://x.example", "event_types": []string{"a"}}, 422, "url"},
		{"EndpointNoEvents", http.MethodPost, "/developers/endpoints", M{"developer_application_id": appID, "url": "https://x.example", "event_types": []string{}}, 422, "event_types"},
		{"EndpointUnknownApp", http.MethodPost, "/developers/endpoints", M{"developer_application_id": uuid.NewString(), "url": "https://x.example", "event_types": []string{"a"}}, 422, "developer_application_id"},
		{"EndpointAppNotUUID", http.MethodPost, "/developers/endpoints", M{"developer_application_id": "app-1", "url": "https://x.example", "event_types": []string{"a"}}, 422, "developer_application_id"},
		{"ApplicationNoName", http.MethodPost, "/developers/applications", M{"description": "x"}, 422, "name"},
		{"UpdateEndpointBadURL", http.MethodPut, "/developers/endpoints/" + epID, M{"url": "not a url"}, 422, "url"},
		{"UpdateEndpointNoEvents", http.MethodPut, "/developers/endpoints/" + epID, M{"event_types": []string{}}, 422, "event_types"},
		{"GetUnknownApp", http.MethodGet, "/developers/applications/" + uuid.NewString(), nil, 404, "Developer application not found"},
		{"UpdateUnknownApp", http.MethodPut, "/developers/applications/" + uuid.NewString(), M{"name": "x"}, 404, "Developer application not found"},
		{"UpdateUnknownEndpoint", http.MethodPut, "/developers/endpoints/" + uuid.NewString(), M{"active": true}, 404, "Endpoint not found"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.Do(t, tt.method, tt.path, tt.body), tt.status, tt.field)
		})
	}
	if got := dataOf(t, get(t, c, "/developers/endpoints/"+epID)); !jsonEqual(got, upEp) {
		t.Errorf("endpoint changed by failed updates: %v, want %v", got, upEp)
	}

	for _, tt := range []struct{ name, path, id string }{
		{"DeveloperEndpoints", "/developers/endpoints/", epID},
		{"Webhooks", "/webhooks/", field(ep2, "id")},
	} {
		t.Run("Delete"+tt.name, func(t *testing.T) {
			del := apptest.Want(t, c.Do(t, http.MethodDelete, tt.path+tt.id, nil), http.StatusOK)
			if got := field(dataOf(t, del), "id"); got != tt.id {
				t.Errorf("deleted id %s, want %s", got, tt.id)
			}
			wantError(t, c.Get(t, "/developers/endpoints/"+tt.id), http.StatusNotFound, "Endpoint not found")
			wantError(t, c.Do(t, http.MethodDelete, tt.path+tt.id, nil), http.StatusNotFound, "Endpoint not found")
		})
	}
	wantList(t, c, "/developers/endpoints", "id")
}

func TestFallbackOperations(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("fallback")
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		wantID string
	}{
		{"ListAutomationTemplates", http.MethodGet, "/automations/templates", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Do(t, tt.method, tt.path, tt.body)
			if r.Status < 200 || r.Status > 299 || (tt.status != 0 && r.Status != tt.status) {
				t.Fatalf("status %d, want %d; body %s", r.Status, tt.status, r.Body)
			}
			d := r.Map(t)["data"]
			if d == nil {
				t.Fatalf("no data in %s", r.Body)
			}
			if tt.wantID != "" {
				if got := field(d.(map[string]any), "id"); got != tt.wantID {
					t.Errorf("data.id %s, want the path's %s", got, tt.wantID)
				}
			}
		})
	}
	// Bad bodies are still validated.
	wantError(t, c.Post(t, "/custom_objects", M{"key": "k", "label": 7}), http.StatusUnprocessableEntity, "label")
}

func TestHostRouting(t *testing.T) {
	s := newServer(t)
	key := "host-routing"
	contact := post(t, s.Whippy(key), "/contacts", M{"phone": "+13125557001", "name": "Via Prefix"}, http.StatusCreated)

	tests := []struct {
		name     string
		method   string
		host     string
		path     string
		body     string
		status   int
		validate string // the local path the answer is validated as
	}{
		{"List", http.MethodGet, "api.whippy.co", "/v1/contacts", "", 200, "/whippy/v1/contacts"},
		{"HostWithPort", http.MethodGet, "api.whippy.co:443", "/v1/contacts/" + field(contact, "id"), "", 200, "/whippy/v1/contacts/" + field(contact, "id")},
		{"UpperCaseHost", http.MethodGet, "API.WHIPPY.CO", "/v1/organization", "", 200, "/whippy/v1/organization"},
		{"Create", http.MethodPost, "api.whippy.co", "/v1/contacts", `{"phone":"+13125557002","name":"Via Host"}`, 201, "/whippy/v1/contacts"},
		{"OutsideBasePath", http.MethodGet, "api.whippy.co", "/contacts", "", 404, "/whippy/v1/__outside_base_path__/contacts"},
		{"UnknownPath", http.MethodGet, "api.whippy.co", "/v1/nothing", "", 404, "/whippy/v1/nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			req.Header.Set("X-WHIPPY-KEY", key)
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp := do(t, s, req)
			if resp.Status != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.Status, tt.status, resp.Body)
			}
			vr, _ := http.NewRequest(tt.method, s.URL+tt.validate, strings.NewReader(tt.body))
			vr.Header = req.Header.Clone()
			if err := s.Validate(vr, resp); err != nil {
				t.Errorf("answer does not match the spec: %v", err)
			}
			if tt.status == 404 {
				wantError(t, resp, 404, "Not found")
			}
		})
	}
	// Both ways reach the same workspace.
	wantList(t, s.Whippy(key), "/contacts", "name", "Via Prefix", "Via Host")
}

// do sends a raw request and reads the answer.
func do(tb testing.TB, s *apptest.Server, req *http.Request) *apptest.Response {
	tb.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	// Communication preferences and contact tags carry second-resolution
	// times, as in Whippy's own fixtures ("2022-10-01T19:39:23Z").
	secondsRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	e164RE    = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)
	// Sequences, their steps and runs carry zoneless second-resolution
	// times, as in Whippy's samples of them ("2023-11-02T14:03:45").
	naiveRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`)
	// ownTimes is the layout of the listed objects' own created_at and
	// updated_at, by the answer they are in, where it is not timestampRE.
	ownTimes = []struct{ where, layout *regexp.Regexp }{
		{regexp.MustCompile(`^/sequences(/runs)?$`), naiveRE},
		{regexp.MustCompile(`^/sequences/[^/]+/contacts$`), secondsRE}, // step contacts
	}
	ownTimePath = regexp.MustCompile(`^\.data(\[\d+\])?(\.steps\[\d+\])?\.(created_at|updated_at)$`)
)

// checkFormats walks a decoded answer and reports every id, timestamp and
// phone number that is not in Whippy's format.
func checkFormats(tb testing.TB, where string, v any) (checked int) {
	tb.Helper()
	var walk func(path string, key string, v any, inPrefs bool)
	walk = func(path, key string, v any, inPrefs bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(path+"."+k, k, x, inPrefs || k == "communication_preferences" || k == "contact_tags")
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), key, x, inPrefs)
			}
		case string:
			userID := key == "user_id" || key == "assigned_user_id" || key == "added_by_id"
			switch {
			case userID:
				tb.Errorf("%s%s = %q: user ids are integers", where, path, v)
			case key == "id" || (strings.HasSuffix(key, "_id") && key != "external_id"):
				checked++
				if !uuidRE.MatchString(v) {
					tb.Errorf("%s%s = %q is not a UUID", where, path, v)
				}
			case key == "opens_at" || key == "closes_at": // local HH:MM
			case strings.HasSuffix(key, "_at") || strings.HasSuffix(key, "_date") || key == "timestamp" || key == "last_message_timestamp":
				checked++
				re := timestampRE
				if inPrefs {
					re = secondsRE
				}
				for _, o := range ownTimes {
					if o.where.MatchString(where) && ownTimePath.MatchString(path) {
						re = o.layout
					}
				}
				if !re.MatchString(v) {
					tb.Errorf("%s%s = %q is not a Whippy timestamp", where, path, v)
				}
			case key == "phone" || (key == "to" || key == "from") && !strings.Contains(v, "@"):
				checked++
				if !e164RE.MatchString(v) {
					tb.Errorf("%s%s = %q is not E.164", where, path, v)
				}
			}
		case float64:
			if key == "id" || key == "user_id" || key == "assigned_user_id" || key == "added_by_id" {
				checked++
				if v != float64(int64(v)) || v <= 0 {
					tb.Errorf("%s%s = %v is not a positive integer id", where, path, v)
				}
			}
		}
	}
	walk("", "", v, false)
	return checked
}

func TestFieldFormats(t *testing.T) {
	s := newServer(t, withWorkspace("formats", twoPhonesAndEmail...))
	c := s.Whippy("formats")
	contact := post(t, c, "/contacts", M{"phone": "312.555.8001", "name": "Format Check", "email": "f@example.com",
		"opt_in_to": []any{channelByPhone(t, c, phoneA)["id"]}, "address": M{"city": "Chicago", "post_code": "60622"}, "birth_date": M{"day": 1, "month": 2}}, http.StatusCreated)
	r := sms(t, c, phoneA, "+13125558001", "hi")
	post(t, c, "/messaging/email", M{"from": emailA, "to": "f@example.com", "body": "hi"}, http.StatusCreated)
	users, _ := listOf(t, get(t, c, "/users"))
	put(t, c, "/conversations/"+field(r, "conversation_id"), M{"assigned_user_id": users[0]["id"]})
	camp := post(t, c, "/messaging/sms/campaign", M{"from": phoneB, "body": "promo", "schedule_at": "2999-01-01T10:00:00+02:00", "to": []M{{"phone": "3125558002"}}}, http.StatusAccepted)
	seqs, _ := listOf(t, get(t, c, "/sequences"))
	post(t, c, "/sequences/"+field(seqs[0], "id")+"/contacts", M{"from": phoneA, "to": []M{{"phone": "+13125558003"}}}, http.StatusAccepted)
	post(t, c, "/custom_events", M{"event": "x", "timestamp": "2024-01-02T03:04:05.123456789+01:00"}, http.StatusCreated)
	app := post(t, c, "/developers/applications", M{"name": "a"}, http.StatusCreated)
	post(t, c, "/developers/endpoints", M{"developer_application_id": field(app, "id"), "url": "https://x.example", "event_types": []string{"message.created"}}, http.StatusCreated)

	if got := field(contact, "phone"); got != "+13125558001" {
		t.Errorf("phone stored as %q, want E.164 +13125558001", got)
	}
	paths := []string{
		"/contacts", "/contacts/" + field(contact, "id"), "/conversations", "/conversations/" + field(r, "conversation_id"),
		"/campaigns", "/campaigns/" + field(camp, "campaign_id"), "/campaigns/" + field(camp, "campaign_id") + "/contacts",
		"/sequences", "/sequences/runs", "/sequences/" + field(seqs[0], "id") + "/contacts", "/channels", "/users", "/organization",
		"/developers/applications", "/developers/endpoints",
	}
	total := 0
	for _, p := range paths {
		var v any
		get(t, c, p).JSON(t, &v)
		total += checkFormats(t, p, v)
	}
	var v any
	apptest.Want(t, c.Post(t, "/contacts/"+field(contact, "id")+"/sequences", nil), 200).JSON(t, &v)
	total += checkFormats(t, "contact sequences", v)
	if total < 100 {
		t.Errorf("checked only %d values, want a realistic sample", total)
	}
}

// jsonEqual compares two values as JSON.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func TestContacts_UpdateNames(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("contact-names")
	tests := []struct {
		name                          string
		update                        M
		wantName, wantFirst, wantLast any // nil means JSON null
	}{
		{"Name", M{"name": "Grace Hopper"}, "Grace Hopper", "Grace", "Hopper"},
		{"FirstOnly", M{"first_name": "Augusta"}, "Augusta Lovelace", "Augusta", "Lovelace"},
		{"LastOnly", M{"last_name": "King"}, "Ada King", "Ada", "King"},
		{"ClearName", M{"name": ""}, nil, nil, nil},
		{"ClearLast", M{"last_name": ""}, "Ada", "Ada", nil},
		{"ClearAll", M{"name": "", "first_name": "", "last_name": ""}, nil, nil, nil},
		{"NameAndFirst", M{"name": "Countess Lovelace", "first_name": "Countess"}, "Countess Lovelace", "Countess", "Lovelace"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contact := post(t, c, "/contacts", M{"phone": fmt.Sprintf("+1312555%04d", 7100+i), "name": "Ada Lovelace"}, http.StatusCreated)
			got := put(t, c, "/contacts/"+field(contact, "id"), tt.update)
			if got["name"] != tt.wantName || got["first_name"] != tt.wantFirst || got["last_name"] != tt.wantLast {
				t.Errorf("name, first, last = %v, %v, %v; want %v, %v, %v", got["name"], got["first_name"], got["last_name"], tt.wantName, tt.wantFirst, tt.wantLast)
			}
			// The name filter follows the stored name.
			items, _ := listOf(t, get(t, c, "/contacts"+q("name", "lovelace")))
			found := false
			for _, it := range items {
				found = found || field(it, "id") == field(contact, "id")
			}
			if wantFound := strings.Contains(strings.ToLower(fmt.Sprint(tt.wantName)), "lovelace"); found != wantFound {
				t.Errorf("name=lovelace finds the contact: %v, want %v", found, wantFound)
			}
		})
	}
}

// TestConversations_FollowContactChanges checks that the conversation
// filters on the contact match the contact as it is now, not as it was
// when the conversation started.
func TestConversations_FollowContactChanges(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("follow-contact")
	r := sms(t, c, defaultPhone(t, c), "+13125557200", "hi")
	conv := field(r, "conversation_id")
	put(t, c, "/contacts/"+field(r, "contact_id"), M{"phone": "+13125557201", "name": "Renamed Person", "email": "Renamed@Example.com"})

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"NewPhone", q("contacts[][phone]", "+13125557201"), []string{conv}},
		{"OldPhone", q("contacts[][phone]", "+13125557200"), nil},
		{"NewName", q("contacts[][name]", "renamed"), []string{conv}},
		{"NewEmail", q("contacts[][email]", "renamed@example.com"), []string{conv}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantList(t, c, "/conversations"+tt.query, "id", tt.want...)
		})
	}
	put(t, c, "/contacts/"+field(r, "contact_id"), M{"email": ""})
	wantList(t, c, "/conversations"+q("contacts[][email]", "renamed@example.com"), "id")
}

func TestUpdateConversation_NullUnassigns(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("null-unassigns")
	r := sms(t, c, defaultPhone(t, c), "+13125557300", "hi")
	path := "/conversations/" + field(r, "conversation_id")
	users, _ := listOf(t, get(t, c, "/users"))
	tests := []struct {
		name string
		body string
	}{
		{"Compact", `{"assigned_user_id":null}`},
		{"Spaces", `{ "assigned_user_id" : null }`},
		{"Newline", "{\"assigned_user_id\":\n\tnull}"},
		{"Tab", "{\"assigned_user_id\":\tnull,\"status\":\"open\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put(t, c, path, M{"assigned_user_id": users[0]["id"]})
			got := put(t, c, path, tt.body)
			if got["assigned_user_id"] != nil {
				t.Errorf("assigned_user_id %v after %s, want null", got["assigned_user_id"], tt.body)
			}
		})
	}
}

func TestCampaigns_RepeatedNumbersAreNotInvalid(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("campaign-repeats")
	acc := post(t, c, "/messaging/sms/campaign", M{"from": defaultPhone(t, c), "body": "b", "to": []M{
		{"phone": "+13125557400"}, {"phone": "(312) 555-7400"}, {"phone": "+13125557401"}, {"phone": "bogus"},
	}}, http.StatusAccepted)
	if acc["contacts_count"] != 2.0 || acc["invalid_count"] != 1.0 {
		t.Errorf("contacts_count %v invalid_count %v, want 2 and 1 (a repeated number is not invalid)", acc["contacts_count"], acc["invalid_count"])
	}
	wantList(t, c, "/campaigns/"+field(acc, "campaign_id")+"/contacts", "campaign_id", field(acc, "campaign_id"), field(acc, "campaign_id"))
}

// TestSeed_VariesSeededData: --seed changes the fake data of a fresh
// workspace (organization, channel), and the same seed and key give the
// same data again, in another server.
func TestSeed_VariesSeededData(t *testing.T) {
	seeded := func(seed int64) (org, channel string) {
		s := newServer(t, apptest.WithConfig(func(cfg *config.Config) { cfg.Server.Seed = seed }))
		c := s.Whippy("seed-key")
		org = field(dataOf(t, get(t, c, "/organization")), "name")
		ch := channelsOf(t, c)[0]
		return org, field(ch, "name") + " " + field(ch, "phone")
	}
	org1, ch1 := seeded(1)
	again1, againCh1 := seeded(1)
	org7, ch7 := seeded(7)
	if org1 != again1 || ch1 != againCh1 {
		t.Errorf("seed 1 gave %q/%q, then %q/%q", org1, ch1, again1, againCh1)
	}
	if org1 == org7 && ch1 == ch7 {
		t.Errorf("seeds 1 and 7 gave the same organization %q and channel %q", org1, ch1)
	}
}
