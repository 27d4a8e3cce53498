package whippy_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// maxBody is the body limit of the bad-input server: small enough that a
// test can exceed it cheaply, large enough for deeply nested JSON.
const maxBody = 64 << 10

// TestBadInput sends malformed requests and checks that each gets the right
// status in Whippy's error shape, with a description naming the offending
// field, and that none of them changes stored data.
func TestBadInput(t *testing.T) {
	s := newServer(t, apptest.WithConfig(func(c *config.Config) { c.Server.MaxBodyBytes = maxBody }))
	key := "bad-input"
	c := s.Whippy(key)
	from := defaultPhone(t, c)
	contact := post(t, c, "/contacts", M{"phone": "+13125550500", "name": "Stored Contact", "email": "stored@example.com"}, http.StatusCreated)
	id := field(contact, "id")
	receipt := sms(t, c, from, "+13125550500", "stored message")
	conv := field(receipt, "conversation_id")

	snapshot := func(tb testing.TB) []byte {
		tb.Helper()
		var b bytes.Buffer
		for _, p := range []string{"/contacts", "/contacts/" + id, "/conversations", "/conversations/" + conv, "/campaigns", "/sequences/runs"} {
			b.Write(get(tb, c, p).Body)
			b.WriteByte('\n')
		}
		return b.Bytes()
	}
	before := snapshot(t)

	long := strings.Repeat("x", 1001)
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header // replaces the key header when set
		body   any
		status int
		field  string // the description must contain it
		exact  bool   // the description must be field, exactly
		allow  string // the Allow header (none unless set)
	}{
		{name: "MalformedJSON", method: "POST", path: "/contacts", body: `{"phone": "+1312`, status: 422, field: "request body"},
		{name: "MalformedJSONTrailingComma", method: "POST", path: "/messaging/sms", body: `{"to":"+13125550501","from":"` + from + `","body":"x",}`, status: 422, field: "request body"},
		{name: "TrailingGarbage", method: "POST", path: "/contacts", body: `{"phone":"+13125550502"} {"phone":"+13125550503"}`, status: 422, field: "request body"},
		{name: "NotAnObject", method: "POST", path: "/contacts", body: `["+13125550504"]`, status: 422, field: "request body"},
		{name: "NullBody", method: "POST", path: "/messaging/sms", body: `null`, status: 422, field: "request body"},
		{name: "EmptyBody", method: "POST", path: "/contacts", body: ``, status: 422, field: "request body"},
		{name: "DeeplyNested", method: "POST", path: "/contacts", body: `{"phone":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, status: 422, field: "request body"},
		{name: "FormEncoded", method: "POST", path: "/contacts", header: http.Header{"X-Whippy-Key": {key}, "Content-Type": {"application/x-www-form-urlencoded"}}, body: `phone=%2B13125550505`, status: 422, field: "JSON"},
		{name: "WrongTypePhone", method: "POST", path: "/contacts", body: M{"phone": 13125550506}, status: 422, field: "phone"},
		{name: "WrongTypeName", method: "POST", path: "/contacts", body: M{"phone": "+13125550507", "name": 5}, status: 422, field: "name"},
		{name: "WrongTypeOptIn", method: "POST", path: "/contacts", body: M{"phone": "+13125550508", "opt_in_to": "all"}, status: 422, field: "opt_in_to"},
		{name: "OptInUnknownChannel", method: "POST", path: "/contacts", body: M{"phone": "+13125550508", "opt_in_to": []string{uuid.NewString()}}, status: 422, field: "opt_in_to"},
		{name: "WrongTypeBirthDay", method: "POST", path: "/contacts", body: M{"phone": "+13125550509", "birth_date": M{"day": "first"}}, status: 422, field: "birth_date.day"},
		{name: "BirthDayOutOfRange", method: "POST", path: "/contacts", body: M{"phone": "+13125550510", "birth_date": M{"day": 32}}, status: 422, field: "birth_date.day"},
		{name: "HugeNumber", method: "POST", path: "/contacts", body: `{"phone":"+13125550511","birth_date":{"year":1e400}}`, status: 422, field: "birth_date.year"},
		{name: "WrongTypeBool", method: "POST", path: "/contacts", body: M{"phone": "+13125550512", "opt_in_to_all_channels": "yes"}, status: 422, field: "opt_in_to_all_channels"},
		{name: "MissingPhone", method: "POST", path: "/contacts", body: M{"name": "No Phone"}, status: 422, field: "phone"},
		{name: "BadPhone", method: "POST", path: "/contacts", body: M{"phone": "call me maybe"}, status: 422, field: "phone"},
		{name: "ShortPhone", method: "POST", path: "/contacts", body: M{"phone": "+1312"}, status: 422, field: "phone"},
		{name: "InvalidUTF8Phone", method: "POST", path: "/contacts", body: "{\"phone\":\"+1312555\xff0513\"}", status: 422, field: "phone"},
		{name: "SMSMissingTo", method: "POST", path: "/messaging/sms", body: M{"from": from, "body": "x"}, status: 422, field: "to"},
		{name: "SMSMissingFrom", method: "POST", path: "/messaging/sms", body: M{"to": "+13125550514", "body": "x"}, status: 422, field: "from"},
		{name: "SMSBadTo", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "not a number", "body": "x"}, status: 422, field: "to"},
		{name: "SMSFromNotAChannel", method: "POST", path: "/messaging/sms", body: M{"from": "+13125550515", "to": "+13125550516", "body": "x"}, status: 422, field: "from"},
		{name: "SMSBodyTooLong", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550517", "body": long}, status: 422, field: "body must be at most 1000 characters (got 1001)", exact: true},
		{name: "SMSNoBodyNoAttachments", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550518"}, status: 422, field: "body"},
		{name: "SMSWrongTypeBody", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550519", "body": M{"text": "x"}}, status: 422, field: "body"},
		{name: "SMSAttachmentNotURL", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550520", "attachments": []string{"ftp://files.example/a.png"}}, status: 422, field: "attachments"},
		{name: "SMSBadScheduleAt", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550521", "body": "x", "schedule_at": "tomorrow"}, status: 422, field: "schedule_at"},
		{name: "SMSScheduleAtTooLate", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550521", "body": "x", "schedule_at": "9999-12-31T23:59:59Z"}, status: 422, field: "schedule_at"},
		{name: "CampaignScheduleAtTooLate", method: "POST", path: "/campaigns/sms", body: M{"from": from, "to": []M{{"phone": "+13125550522"}}, "body": "x", "schedule_at": "9000-01-01T00:00:00Z"}, status: 422, field: "schedule_at"},
		{name: "SMSBadConversationStatus", method: "POST", path: "/messaging/sms", body: M{"from": from, "to": "+13125550522", "body": "x", "conversation_status": "spam"}, status: 422, field: "conversation_status"},
		{name: "NoteBodyTooLong", method: "POST", path: "/messaging/note", body: M{"from": from, "to": "+13125550500", "body": long}, status: 422, field: "body must be at most 1000 characters (got 1001)", exact: true},
		{name: "CampaignBodyTooLong", method: "POST", path: "/messaging/sms/campaign", body: M{"from": from, "body": long, "to": []M{{"phone": "+13125550523"}}}, status: 422, field: "body must be at most 1000 characters (got 1001)", exact: true},
		{name: "CampaignToNotArray", method: "POST", path: "/campaigns/sms", body: M{"from": from, "body": "x", "to": "+13125550524"}, status: 422, field: "to"},
		{name: "UpsertContactsNotArray", method: "POST", path: "/contacts/upsert", body: M{"contacts": M{"phone": "+13125550525"}}, status: 422, field: "contacts"},
		{name: "UpsertContactsEmpty", method: "POST", path: "/contacts/upsert", body: M{"contacts": []M{}}, status: 422, field: "contacts"},
		{name: "UpsertItemMissingPhone", method: "POST", path: "/contacts/upsert", body: M{"contacts": []M{{"phone": "+13125550526"}, {"name": "x"}}}, status: 422, field: "contacts.1.phone"},
		{name: "UpdateWrongType", method: "PUT", path: "/contacts/" + id, body: M{"email": 5}, status: 422, field: "email"},
		{name: "UpdateBadPhone", method: "PUT", path: "/contacts/" + id, body: M{"phone": "12"}, status: 422, field: "phone"},
		{name: "UpdateMalformed", method: "PUT", path: "/contacts/" + id, body: `{"name":`, status: 422, field: "request body"},
		{name: "UpdateConversationBadStatus", method: "PUT", path: "/conversations/" + conv, body: M{"status": "archived"}, status: 422, field: "status"},
		{name: "UpdateConversationUnknownUser", method: "PUT", path: "/conversations/" + conv, body: M{"assigned_user_id": 424242}, status: 422, field: "assigned_user_id"},
		{name: "UnreadCountOutOfRange", method: "PUT", path: "/conversations/" + conv, body: `{"unread_count":1e20}`, status: 422, field: "unread_count"},
		{name: "BirthYearOutOfRange", method: "POST", path: "/contacts", body: `{"phone":"+13125550530","birth_date":{"year":99999999999999999999}}`, status: 422, field: "birth_date.year"},
		{name: "UpdateConversationUserNotInteger", method: "PUT", path: "/conversations/" + conv, body: M{"assigned_user_id": "1"}, status: 422, field: "assigned_user_id"},
		{name: "OversizeBody", method: "POST", path: "/contacts", body: `{"phone":"+13125550527","name":"` + strings.Repeat("y", maxBody) + `"}`, status: 413, field: "request body"},
		{name: "OversizeSMS", method: "POST", path: "/messaging/sms", body: `{"to":"+13125550528","from":"` + from + `","body":"` + strings.Repeat("z", 2*maxBody) + `"}`, status: 413, field: "request body"},
		{name: "UnknownContact", method: "GET", path: "/contacts/" + uuid.NewString(), status: 404, field: "Contact not found"},
		{name: "NonUUIDContact", method: "GET", path: "/contacts/not-a-uuid", status: 404, field: "Contact not found"},
		{name: "UpdateUnknownContact", method: "PUT", path: "/contacts/" + uuid.NewString(), body: M{"name": "x"}, status: 404, field: "Contact not found"},
		{name: "DeleteUnknownContact", method: "DELETE", path: "/contacts/" + uuid.NewString(), status: 404, field: "Contact not found"},
		{name: "UnknownConversation", method: "GET", path: "/conversations/" + uuid.NewString(), status: 404, field: "Conversation not found"},
		// Phoenix's router matches path and method together: 404 by default
		// (whippy.method_not_allowed; TestWrongMethod covers 405).
		{name: "WrongMethod", method: "DELETE", path: "/messaging/sms", status: 404, field: "Not found"},
		{name: "WrongMethodOnResource", method: "PATCH", path: "/contacts/" + id, body: M{"name": "x"}, status: 404, field: "Not found"},
		{name: "WrongMethodOnList", method: "PUT", path: "/contacts", body: M{}, status: 404, field: "Not found"},
		{name: "MissingKey", method: "GET", path: "/contacts", header: http.Header{}, status: 401, field: "Not authenticated"},
		{name: "MissingKeyOnWrite", method: "POST", path: "/contacts", header: http.Header{}, body: M{"phone": "+13125550529"}, status: 401, field: "Not authenticated"},
		{name: "UnknownPath", method: "GET", path: "/nothing", status: 404, field: "Not found"},
		{name: "UnknownNestedPath", method: "GET", path: "/contacts/" + id + "/nothing", status: 404, field: "Not found"},
		{name: "LimitNotInteger", method: "GET", path: "/contacts?limit=abc", status: 422, field: "limit"},
		{name: "LimitTooLarge", method: "GET", path: "/contacts?limit=501", status: 422, field: "limit"},
		{name: "OffsetNegative", method: "GET", path: "/conversations?offset=-5", status: 422, field: "offset"},
		{name: "OffsetFraction", method: "GET", path: "/contacts?offset=1.5", status: 422, field: "offset"},
		{name: "CreatedAfterNotADate", method: "GET", path: "/contacts?" + q("created_at[after]", "notadate")[1:], status: 422, field: "created_at[after]"},
		{name: "CreatedBeforeNotADate", method: "GET", path: "/contacts?" + q("created_at[before]", "2024-13-45")[1:], status: 422, field: "created_at[before]"},
		{name: "UpdatedAfterNotADate", method: "GET", path: "/conversations?" + q("updated_at[after]", "never")[1:], status: 422, field: "updated_at[after]"},
		{name: "MessagesLimitZero", method: "GET", path: "/conversations/" + conv + "?" + q("messages[limit]", "0")[1:], status: 422, field: "messages[limit]"},
		{name: "UsersBadState", method: "GET", path: "/users?state=gone", status: 422, field: "state"},
		{name: "EndpointsBadAppID", method: "GET", path: "/developers/endpoints?developer_application_id=nope", status: 422, field: "developer_application_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if after := snapshot(t); !bytes.Equal(after, before) {
					t.Errorf("stored data changed: %s", firstDiff(before, after))
					before = after // report each change once
				}
			}()
			header := tt.header
			if header == nil {
				header = http.Header{"X-Whippy-Key": {key}}
			}
			r := s.Do(t, apptest.Request{Method: tt.method, Path: "/whippy/v1" + tt.path, Header: header, Body: tt.body})
			if desc := wantError(t, r, tt.status, tt.field); tt.exact && desc != tt.field {
				t.Errorf("description %q, want exactly %q", desc, tt.field)
			}
			if got := r.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

// TestBodyLimits checks the edges of the 1000-character body limit:
// characters, not bytes or code points, are counted, as Elixir's
// String.length counts them (grapheme clusters).
func TestBodyLimits(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("body-limits")
	from := defaultPhone(t, c)
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"ASCII1000", strings.Repeat("a", 1000), 201},
		{"ASCII1001", strings.Repeat("a", 1001), 422},
		{"TwoByte1000", strings.Repeat("é", 1000), 201},
		{"Emoji1000", strings.Repeat("🚚", 1000), 201},
		{"Emoji1001", strings.Repeat("🚚", 1001), 422},
		// A family emoji is seven code points and one character.
		{"Family1000", strings.Repeat(family, 1000), 201},
		{"Family1001", strings.Repeat(family, 1001), 422},
		// e and a combining acute accent: two code points, one character.
		{"Combining1000", strings.Repeat("e\u0301", 1000), 201},
		{"Combining1001", strings.Repeat("e\u0301", 1001), 422},
		{"Flags1000", strings.Repeat("🇺🇸", 1000), 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Post(t, "/messaging/sms", M{"from": from, "to": "+13125550600", "body": tt.body})
			if tt.status == 422 {
				want := "body must be at most 1000 characters (got 1001)"
				if desc := wantError(t, r, 422, want); desc != want {
					t.Errorf("description %q, want %q", desc, want)
				}
				return
			}
			receipt := dataOf(t, apptest.Want(t, r, tt.status))
			if got := field(messagesOf(t, c, field(receipt, "conversation_id"), q("messages[limit]", "1"))[0], "body"); got != tt.body {
				t.Errorf("stored body differs from the sent one (%d vs %d bytes)", len(got), len(tt.body))
			}
		})
	}
}

// family is one grapheme cluster of seven code points (man, woman, girl,
// boy joined by zero-width joiners).
const family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"

// TestBodyLimits_ConfigIsTheOnlySource: whippy.body_max_length sets the
// limit alone (the spec states none), and the error names the field and
// the configured limit.
func TestBodyLimits_ConfigIsTheOnlySource(t *testing.T) {
	s := newServer(t, apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).BodyMaxLength = 1600 }))
	c := s.Whippy("body-limit-1600")
	from := defaultPhone(t, c)
	for _, path := range []string{"/messaging/sms", "/messaging/note"} {
		apptest.Want(t, c.Post(t, path, M{"from": from, "to": "+13125550601", "body": strings.Repeat("a", 1200)}), http.StatusCreated)
		apptest.Want(t, c.Post(t, path, M{"from": from, "to": "+13125550601", "body": strings.Repeat("a", 1600)}), http.StatusCreated)
		want := "body must be at most 1600 characters (got 1601)"
		if desc := wantError(t, c.Post(t, path, M{"from": from, "to": "+13125550601", "body": strings.Repeat("a", 1601)}), 422, want); desc != want {
			t.Errorf("%s: description %q, want %q", path, desc, want)
		}
	}
	apptest.Want(t, c.Post(t, "/campaigns/sms", M{"from": from, "body": strings.Repeat("a", 1200), "to": []M{{"phone": "+13125550602"}}}), http.StatusAccepted)

	small := newServer(t, apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).BodyMaxLength = 10 }))
	sc := small.Whippy("body-limit-10")
	want := "body must be at most 10 characters (got 11)"
	if desc := wantError(t, sc.Post(t, "/messaging/sms", M{"from": defaultPhone(t, sc), "to": "+13125550603", "body": strings.Repeat("a", 11)}), 422, want); desc != want {
		t.Errorf("description %q, want %q", desc, want)
	}
}

// TestLoneSurrogate: a \ud800-\udfff escape without its pair is a 422 naming
// the field that holds it, not a U+FFFD stored in its place; a proper pair
// is the character it encodes.
func TestLoneSurrogate(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("lone-surrogate")
	from := defaultPhone(t, c)
	tests := []struct {
		name, path, body, field string
	}{
		{"HighAlone", "/messaging/sms", `{"from":"` + from + `","to":"+13125550610","body":"hi \ud800 there"}`, "body"},
		{"LowAlone", "/messaging/sms", `{"from":"` + from + `","to":"+13125550610","body":"\udc00"}`, "body"},
		{"HighAtEnd", "/messaging/sms", `{"from":"` + from + `","to":"+13125550610","body":"x\uD83D"}`, "body"},
		{"TwoHighs", "/messaging/sms", `{"from":"` + from + `","to":"+13125550610","body":"\ud83d\ud83d"}`, "body"},
		{"ContactName", "/contacts", `{"phone":"+13125550611","name":"Ada \ud800"}`, "name"},
		{"Nested", "/campaigns/sms", `{"from":"` + from + `","body":"x","to":[{"phone":"+13125550612"},{"phone":"+13125550613","name":"\udfff"}]}`, "to.1.name"},
		{"Key", "/contacts", `{"phone":"+13125550614","\ud800":"x"}`, "\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desc := wantError(t, c.Post(t, tt.path, tt.body), 422, "surrogate")
			if tt.field != "\ufffd" && !strings.HasPrefix(desc, tt.field+" ") {
				t.Errorf("description %q does not start with the field %q", desc, tt.field)
			}
		})
	}
	wantList(t, c, "/contacts", "phone")

	// A pair, and an escaped backslash before a u, are fine.
	receipt := dataOf(t, apptest.Want(t, c.Post(t, "/messaging/sms", `{"from":"`+from+`","to":"+13125550615","body":"\ud83d\ude9a \\ud800"}`), 201))
	if got := field(messagesOf(t, c, field(receipt, "conversation_id"), "")[0], "body"); got != "🚚 \\ud800" {
		t.Errorf("body %q, want %q", got, "🚚 \\ud800")
	}
}

// firstDiff describes the first line that differs between two snapshots.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(al), len(bl)) {
		if !bytes.Equal(al[i], bl[i]) {
			return fmt.Sprintf("line %d was\n%s\nis now\n%s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, now %d", len(al), len(bl))
}

// TestWholeNumbersWithFraction checks that numbers written as 2.0 or 2e0,
// which JSON Schema (and so the spec) counts as integers, are taken as the
// integers they are.
func TestWholeNumbersWithFraction(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("whole-numbers")
	contact := post(t, c, "/contacts", M{"phone": "+13125550610"}, http.StatusCreated)
	r := sms(t, c, defaultPhone(t, c), "+13125550611", "x")
	users, _ := listOf(t, get(t, c, "/users"))
	uid := users[0]["id"].(float64)
	conv := "/conversations/" + field(r, "conversation_id")
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		check  func(t *testing.T, d M)
	}{
		{"AssignedUser", "PUT", conv, fmt.Sprintf(`{"assigned_user_id":%d.0}`, int(uid)), func(t *testing.T, d M) {
			if d["assigned_user_id"] != uid {
				t.Errorf("assigned_user_id %v, want %v", d["assigned_user_id"], uid)
			}
		}},
		{"UnreadCountExponent", "PUT", conv, `{"unread_count":2e0}`, func(t *testing.T, d M) {
			if d["unread_count"] != 2.0 {
				t.Errorf("unread_count %v, want 2", d["unread_count"])
			}
		}},
		{"BirthDate", "PUT", "/contacts/" + field(contact, "id"), `{"birth_date":{"day":1.0,"month":12.00,"year":1.99e3}}`, func(t *testing.T, d M) {
			if !jsonEqual(d["birth_date"], M{"day": 1, "month": 12, "year": 1990}) {
				t.Errorf("birth_date %v, want 1/12/1990", d["birth_date"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, dataOf(t, apptest.Want(t, c.Do(t, tt.method, tt.path, tt.body), http.StatusOK)))
		})
	}
	items, total := listOf(t, apptest.Want(t, c.Post(t, "/contacts/"+field(contact, "id")+"/sequences", `{"limit":1.0,"offset":0.0}`), http.StatusOK))
	if len(items) != 0 || total != 0 {
		t.Errorf("contact sequences %v (total %d), want none", items, total)
	}
}
