package store

import (
	"reflect"
	"testing"
	"time"
)

func samplePage() []pageEntry {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var out []pageEntry
	for i := range 5 {
		e := JournalEntry{
			ID: int64(10 + i), At: at.Add(time.Duration(i) * time.Second), WorkspaceID: "ws", Vendor: "whippy",
			OperationID: "listContacts", Method: "GET", Path: "/whippy/v1/contacts", Query: "limit=10", Status: 200 + i,
			Duration: time.Duration(i) * time.Millisecond, RequestID: string(rune('a' + i)),
			RequestHeaders: []byte(`{"Accept":["*/*"]}`), ResponseBody: []byte(`{"data":[]}`),
		}
		if i%2 == 1 {
			e.RequestBody = []byte(`{"phone":"+1"}`)
		}
		out = append(out, newPageEntry(e))
	}
	return out
}

func TestPageRoundTrip(t *testing.T) {
	in := samplePage()
	data := encodePage(in)
	out, err := decodePage(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
	// Equal strings are stored once: five entries cost little more than one.
	one := encodePage(in[:1])
	if len(data) > 2*len(one) {
		t.Errorf("five entries take %d bytes, one takes %d: strings are not shared", len(data), len(one))
	}
	e := out[1].entry()
	if e.ID != 11 || e.Status != 201 || string(e.RequestBody) != `{"phone":"+1"}` || e.Duration != time.Millisecond || !e.At.Equal(time.Date(2026, 11, 23, 12, 0, 1, 0, time.UTC)) {
		t.Errorf("entry() = %+v", e)
	}
}

func FuzzDecodePage(f *testing.F) {
	f.Add(encodePage(samplePage()))
	f.Add([]byte{journalPageVersion})
	f.Add([]byte{journalPageVersion, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodePage(data)
		if err != nil {
			return
		}
		// Whatever decodes encodes to something that decodes the same.
		again, err := decodePage(encodePage(entries))
		if err != nil || !reflect.DeepEqual(again, entries) && len(entries) > 0 {
			t.Fatalf("re-encoding changed the page: %v", err)
		}
	})
}
