package store

import (
	"encoding/binary"
	"testing"
)

// encodeV1 encodes a page as vendorsim wrote them before faults were
// journaled (version 1: no fault index in meta).
func encodeV1(entries []pageEntry) (meta, bodies []byte) {
	meta = []byte{1}
	meta, refs := appendTable(meta, entries, 0, fFault)
	meta = binary.AppendUvarint(meta, uint64(len(entries)))
	for i, e := range entries {
		meta = binary.AppendUvarint(meta, uint64(e.id))
		meta = binary.AppendVarint(meta, e.at)
		meta = binary.AppendVarint(meta, e.duration)
		meta = binary.AppendUvarint(meta, uint64(e.status))
		for _, r := range refs[i*fFault : (i+1)*fFault] {
			meta = binary.AppendUvarint(meta, r)
		}
	}
	// Three body fields: no answer headers before version 3.
	bodies, refs = appendTable(nil, entries, metaFields, fResponseHeaders)
	for _, r := range refs {
		bodies = binary.AppendUvarint(bodies, r)
	}
	return meta, bodies
}

// Pages written before the fault field read as entries without a fault;
// pages written now keep it.
func TestJournalPage_FaultFieldAndVersion1(t *testing.T) {
	entries := samplePage()
	meta, bodies := encodeV1(entries)
	got, err := decodePage(meta, bodies)
	if err != nil {
		t.Fatalf("decode version 1: %v", err)
	}
	if len(got) != len(entries) {
		t.Fatalf("got %d entries, want %d", len(got), len(entries))
	}
	for i := range got {
		e, want := got[i].entry(), entries[i].entry()
		if e.Fault != "" || e.Path != want.Path || e.RequestID != want.RequestID || string(e.ResponseBody) != string(want.ResponseBody) {
			t.Errorf("entry %d: got %+v, want %+v without a fault", i, e, want)
		}
	}
	entries[2].f[fFault] = "f1"
	meta, bodies = encodePage(entries)
	got, err = decodePage(meta, bodies)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	for i := range got {
		want := ""
		if i == 2 {
			want = "f1"
		}
		if f := got[i].entry().Fault; f != want {
			t.Errorf("entry %d: fault %q, want %q", i, f, want)
		}
	}
}

// Pages of version 2 (before answer headers were journaled: three body
// fields an entry) read as entries without answer headers; pages written
// now keep them.
func TestJournalPage_Version2WithoutAnswerHeaders(t *testing.T) {
	entries := samplePage()
	meta, bodies := encodePage(entries)
	if meta[0] != 3 {
		t.Fatalf("pages are written as version %d, want 3", meta[0])
	}
	got, err := decodePage(meta, bodies)
	if err != nil {
		t.Fatal(err)
	}
	if h := string(got[1].entry().ResponseHeaders); h != `{"Content-Type":["application/json"]}` {
		t.Errorf("answer headers read back as %q", h)
	}
	// The same page as version 2 wrote it.
	meta[0] = 2
	bodies, refs := appendTable(nil, entries, metaFields, fResponseHeaders)
	for _, r := range refs {
		bodies = binary.AppendUvarint(bodies, r)
	}
	got, err = decodePage(meta, bodies)
	if err != nil {
		t.Fatalf("decode version 2: %v", err)
	}
	for i := range got {
		e, want := got[i].entry(), entries[i].entry()
		if e.ResponseHeaders != nil || string(e.ResponseBody) != string(want.ResponseBody) || string(e.RequestBody) != string(want.RequestBody) || e.Path != want.Path {
			t.Errorf("version 2 entry %d: got %+v, want %+v without answer headers", i, e, want)
		}
	}
	// A version 2 meta with version 3 bodies (four fields) is refused.
	_, v3 := encodePage(entries)
	if _, err := decodePage(meta, v3); err == nil {
		t.Errorf("a version 2 page with four body fields an entry decoded")
	}
}
