package store

import (
	"context"
	"fmt"
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
			ResponseHeaders: []byte(`{"Content-Type":["application/json"]}`),
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
	meta, bodies := encodePage(in)
	out, err := decodePage(meta, bodies)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
	// Equal strings are stored once: five entries cost little more than one.
	oneMeta, oneBodies := encodePage(in[:1])
	if len(bodies) > 2*len(oneBodies) || len(meta) > 3*len(oneMeta) {
		t.Errorf("five entries take %d+%d bytes, one takes %d+%d: strings are not shared", len(meta), len(bodies), len(oneMeta), len(oneBodies))
	}
	e := out[1].entry()
	if e.ID != 11 || e.Status != 201 || string(e.RequestBody) != `{"phone":"+1"}` || e.Duration != time.Millisecond || !e.At.Equal(time.Date(2026, 11, 23, 12, 0, 1, 0, time.UTC)) {
		t.Errorf("entry() = %+v", e)
	}
}

func FuzzDecodePage(f *testing.F) {
	meta, bodies := encodePage(samplePage())
	f.Add(meta, bodies)
	f.Add([]byte{journalPageVersion}, []byte{})
	f.Add([]byte{journalPageVersion, 0, 1, 0, 0, 0, 0}, []byte{0})
	f.Fuzz(func(t *testing.T, meta, bodies []byte) {
		// Meta alone is read when counting: it must not panic either.
		decodeMeta(meta)
		entries, err := decodePage(meta, bodies)
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

// TestSmallAppendsShareAPage: a quiet server writes an entry or two at a
// time; they fill pages rather than take one each.
func TestSmallAppendsShareAPage(t *testing.T) {
	ctx := context.Background()
	db := New(":memory:")
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 300 {
		e := JournalEntry{At: time.Now(), WorkspaceID: "ws", Vendor: "whippy", Method: "GET", Path: fmt.Sprintf("/p/%d", i), Status: 200}
		if err := db.AppendJournal(ctx, []JournalEntry{e}); err != nil {
			t.Fatal(err)
		}
	}
	var pages int
	if err := db.View(ctx, "", func(tx *Tx) error {
		return tx.queryRow(`SELECT COUNT(*) FROM journal_pages`).Scan(&pages)
	}); err != nil {
		t.Fatal(err)
	}
	if pages != 2 {
		t.Errorf("300 entries written one by one take %d pages, want 2 (of at most %d)", pages, pageEntries)
	}
	got, total, err := db.Journal(ctx, JournalFilter{Limit: 1000})
	if err != nil || total != 300 {
		t.Fatalf("Journal: %d entries, %v", total, err)
	}
	for i, e := range got {
		if want := int64(300 - i); e.ID != want || e.Path != fmt.Sprintf("/p/%d", want-1) {
			t.Fatalf("entry %d is %d %s, want id %d", i, e.ID, e.Path, want)
		}
	}
}

// Before keeps the entries below an id, across pages: a scan reads on
// from the oldest entry it has seen.
func TestJournal_Before(t *testing.T) {
	ctx := context.Background()
	db := New(":memory:")
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	batch := make([]JournalEntry, 600)
	for i := range batch {
		batch[i] = JournalEntry{At: time.Now(), WorkspaceID: "ws", Vendor: "whippy", Method: "GET", Path: fmt.Sprintf("/p/%d", i), Status: 200}
	}
	if err := db.AppendJournal(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	f := JournalFilter{Limit: 250}
	for {
		got, _, err := db.Journal(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if len(got) < f.Limit {
			break
		}
		f.Before = got[len(got)-1].ID
	}
	if len(ids) != 600 || ids[0] != 600 || ids[599] != 1 {
		t.Fatalf("a scan by Before read %d entries (%v … %v), want 600 … 1", len(ids), ids[:1], ids[len(ids)-1:])
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]-1 {
			t.Fatalf("entry %d after %d", ids[i], ids[i-1])
		}
	}
	if got, total, _ := db.Journal(ctx, JournalFilter{Before: 11}); total != 10 || len(got) != 10 || got[0].ID != 10 {
		t.Errorf("Before 11: %d of %d, first %v", len(got), total, got)
	}
}
