package store

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// The journal is kept in pages: one row of journal_pages holds a run of
// consecutive entries. A row per request made SQLite's per-row work (three
// B-trees to insert into, and later to delete from) the largest cost of a
// busy server; a row per page makes recording cheap. Within a page, equal
// strings are stored once: a list endpoint served from cache answers the
// same body to every caller, and callers send the same headers.
//
// A page is two blobs. meta holds what filters read, so that counting and
// filtering never load the bodies:
//
//	version byte (1)
//	string table: uvarint n, then n strings (uvarint length, bytes)
//	uvarint m, then m entries: uvarint id, varint at (µs since the epoch),
//	  varint duration (µs), uvarint status, then a uvarint string index
//	  for each of workspace, vendor, operation, method, path, query,
//	  request id and (version 2) the id of the fault rule that answered
//
// Pages of version 1 (before faults were journaled) have no fault index;
// they read as entries without a fault.
//
// bodies holds a string table, then for each entry the string indexes of
// its request headers, request body, response body and (version 3) the
// response headers. Entries are in id order.
//
// Pages of version 1 and 2 (before answer headers were journaled) have
// three indexes an entry in bodies; they read as entries without answer
// headers. The page format lives inside the blobs, so a new field needs
// no schema migration: old pages stay readable as they are.

const journalPageVersion = 3

// Fields of an entry: metaFields in meta, the rest in bodies.
const (
	fWorkspace = iota
	fVendor
	fOperation
	fMethod
	fPath
	fQuery
	fRequestID
	fFault
	fHeaders
	fRequestBody
	fResponseBody
	fResponseHeaders
	journalFields
	metaFields = fHeaders
)

// pageEntry is a whole journal entry as a page holds it.
type pageEntry struct {
	id       int64
	at       int64
	duration int64
	status   int
	f        [journalFields]string
}

func newPageEntry(e JournalEntry) pageEntry {
	return pageEntry{
		id:       e.ID,
		at:       micros(e.At),
		duration: e.Duration.Microseconds(),
		status:   e.Status,
		f: [journalFields]string{
			e.WorkspaceID, e.Vendor, e.OperationID, e.Method, e.Path,
			e.Query, e.RequestID, e.Fault, string(nonNil(e.RequestHeaders, "{}")), string(e.RequestBody), string(e.ResponseBody),
			string(e.ResponseHeaders),
		},
	}
}

// entry returns p as a JournalEntry.
func (p *pageEntry) entry() JournalEntry {
	headers := p.f[fHeaders]
	if headers == "" {
		headers = "{}"
	}
	return JournalEntry{
		ID:             p.id,
		At:             fromMicros(p.at),
		WorkspaceID:    p.f[fWorkspace],
		Vendor:         p.f[fVendor],
		OperationID:    p.f[fOperation],
		Method:         p.f[fMethod],
		Path:           p.f[fPath],
		Query:          p.f[fQuery],
		Status:         p.status,
		Duration:       time.Duration(p.duration) * time.Microsecond,
		RequestID:      p.f[fRequestID],
		Fault:          p.f[fFault],
		RequestHeaders: []byte(headers),
		RequestBody:    []byte(p.f[fRequestBody]),
		ResponseBody:   []byte(p.f[fResponseBody]),
		// Nil when the page predates answer headers (or none were set).
		ResponseHeaders: nilIfEmpty(p.f[fResponseHeaders]),
	}
}

func nilIfEmpty(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// appendTable appends the string table of fields lo..hi-1 of entries and
// returns the index of each entry's field in it (len(entries)*(hi-lo)).
func appendTable(b []byte, entries []pageEntry, lo, hi int) ([]byte, []uint64) {
	index := make(map[string]uint64, len(entries))
	var strs []string
	refs := make([]uint64, 0, len(entries)*(hi-lo))
	for i := range entries {
		for _, s := range entries[i].f[lo:hi] {
			n, ok := index[s]
			if !ok {
				n = uint64(len(strs))
				index[s] = n
				strs = append(strs, s)
			}
			refs = append(refs, n)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(strs)))
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b, refs
}

// encodePage encodes entries (in id order) as a page's two blobs.
func encodePage(entries []pageEntry) (meta, bodies []byte) {
	meta = append(make([]byte, 0, 64+len(entries)*48), journalPageVersion)
	meta, refs := appendTable(meta, entries, 0, metaFields)
	meta = binary.AppendUvarint(meta, uint64(len(entries)))
	for i, e := range entries {
		meta = binary.AppendUvarint(meta, uint64(e.id))
		meta = binary.AppendVarint(meta, e.at)
		meta = binary.AppendVarint(meta, e.duration)
		meta = binary.AppendUvarint(meta, uint64(e.status))
		for _, r := range refs[i*metaFields : (i+1)*metaFields] {
			meta = binary.AppendUvarint(meta, r)
		}
	}
	bodies, refs = appendTable(nil, entries, metaFields, journalFields)
	for _, r := range refs {
		bodies = binary.AppendUvarint(bodies, r)
	}
	return meta, bodies
}

var errBadPage = errors.New("journal page is corrupt")

// pageReader reads an encoded page.
type pageReader struct {
	b   []byte
	err error
}

func (r *pageReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadPage
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *pageReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errBadPage
		return 0
	}
	r.b = r.b[n:]
	return v
}

// table reads a string table. The strings point into r's data.
func (r *pageReader) table() [][]byte {
	n := r.uvarint()
	// Every string takes at least a byte: a count beyond what is left is
	// corrupt (and must not size an allocation).
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadPage
		return nil
	}
	strs := make([][]byte, n)
	for i := range strs {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.b)) {
			r.err = errBadPage
			return nil
		}
		strs[i], r.b = r.b[:l:l], r.b[l:]
	}
	return strs
}

// ref reads a string index into a table of n strings.
func (r *pageReader) ref(n int) uint32 {
	k := r.uvarint()
	if r.err == nil && k >= uint64(n) {
		r.err = errBadPage
	}
	return uint32(k)
}

// metaEntry is an entry as meta has it: its strings are indexes into the
// page's table.
type metaEntry struct {
	id       int64
	at       int64
	duration int64
	status   int
	f        [metaFields]uint32
}

// pageMeta is a decoded meta blob. Its strings point into the blob.
type pageMeta struct {
	strs    [][]byte
	entries []metaEntry
	// bodyFields is how many fields an entry has in the page's bodies
	// blob: 3 before version 3 (no answer headers), else 4.
	bodyFields int
}

func (m *pageMeta) field(e *metaEntry, k int) []byte { return m.strs[e.f[k]] }

// decodeMeta decodes a meta blob without copying its strings: the result
// is good while data is.
func decodeMeta(data []byte) (*pageMeta, error) {
	if len(data) == 0 || data[0] < 1 || data[0] > journalPageVersion {
		return nil, errBadPage
	}
	// Version 1 has no fault index: its entries point at an empty string
	// added to the table.
	fields := metaFields
	if data[0] == 1 {
		fields = fFault
	}
	r := pageReader{b: data[1:]}
	m := &pageMeta{strs: r.table(), bodyFields: journalFields - metaFields}
	if data[0] < 3 {
		m.bodyFields = fResponseHeaders - metaFields
	}
	n := r.uvarint()
	// An entry takes at least a byte per number and per string index.
	if r.err != nil || n > uint64(len(r.b)/(4+fields)) {
		return nil, errBadPage
	}
	strs := len(m.strs)
	if fields < metaFields {
		m.strs = append(m.strs, []byte{})
	}
	m.entries = make([]metaEntry, n)
	for i := range m.entries {
		e := &m.entries[i]
		e.id = int64(r.uvarint())
		e.at = r.varint()
		e.duration = r.varint()
		e.status = int(min(r.uvarint(), 999))
		for k := range e.f {
			if k >= fields {
				e.f[k] = uint32(strs)
				continue
			}
			e.f[k] = r.ref(strs)
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	if len(r.b) != 0 {
		return nil, errBadPage
	}
	return m, nil
}

// decodeBodies decodes a bodies blob of n entries of fields body fields
// each (pageMeta.bodyFields): each entry's body fields, pointing into
// data; the fields a page of an older version lacks are empty.
func decodeBodies(data []byte, n, fields int) ([][journalFields - metaFields][]byte, error) {
	r := pageReader{b: data}
	strs := r.table()
	if r.err != nil || fields < 1 || fields > journalFields-metaFields || n > len(r.b)/fields {
		return nil, errBadPage
	}
	out := make([][journalFields - metaFields][]byte, n)
	for i := range out {
		for k := range out[i][:fields] {
			ref := r.ref(len(strs))
			if r.err != nil {
				return nil, r.err
			}
			out[i][k] = strs[ref]
		}
	}
	if len(r.b) != 0 {
		return nil, errBadPage
	}
	return out, nil
}

// decodePage decodes a whole page, copying its strings out.
func decodePage(meta, bodies []byte) ([]pageEntry, error) {
	m, err := decodeMeta(meta)
	if err != nil {
		return nil, err
	}
	bs, err := decodeBodies(bodies, len(m.entries), m.bodyFields)
	if err != nil {
		return nil, err
	}
	out := make([]pageEntry, len(m.entries))
	for i := range m.entries {
		out[i] = m.pageEntry(i, &bs[i])
	}
	return out, nil
}

// pageEntry copies entry i, with its bodies, out of the page.
func (m *pageMeta) pageEntry(i int, bodies *[journalFields - metaFields][]byte) pageEntry {
	e := &m.entries[i]
	p := pageEntry{id: e.id, at: e.at, duration: e.duration, status: e.status}
	for k := range metaFields {
		p.f[k] = string(m.field(e, k))
	}
	for k, b := range bodies {
		p.f[metaFields+k] = string(b)
	}
	return p
}

// match reports whether entry e of page m passes f (ignoring Limit and
// Offset). Comparisons read the page in place.
func (f JournalFilter) match(m *pageMeta, e *metaEntry) bool {
	switch {
	case f.WorkspaceID != "" && string(m.field(e, fWorkspace)) != f.WorkspaceID,
		f.Vendor != "" && string(m.field(e, fVendor)) != f.Vendor,
		f.OperationID != "" && string(m.field(e, fOperation)) != f.OperationID,
		f.Method != "" && !equalFold(m.field(e, fMethod), f.Method),
		f.RequestID != "" && string(m.field(e, fRequestID)) != f.RequestID,
		f.Status != 0 && e.status != f.Status,
		f.Before > 0 && e.id >= f.Before,
		!f.Since.IsZero() && e.at < micros(f.Since):
		return false
	}
	path := m.field(e, fPath)
	if p, ok := strings.CutSuffix(f.Path, "*"); ok {
		return len(path) >= len(p) && string(path[:len(p)]) == p
	}
	return f.Path == "" || string(path) == f.Path
}

// equalFold is strings.EqualFold for ASCII, without copying b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// pageWhere narrows the pages that may hold entries passing f.
func (f JournalFilter) pageWhere() (string, []any) {
	var conds []string
	var args []any
	if f.WorkspaceID != "" {
		conds = append(conds, "instr(workspaces, ?) > 0")
		args = append(args, pageWorkspaceKey(f.WorkspaceID))
	}
	if !f.Since.IsZero() {
		conds = append(conds, "newest_at >= ?")
		args = append(args, micros(f.Since))
	}
	if f.Before > 0 {
		conds = append(conds, "first_entry < ?")
		args = append(args, f.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// pageWorkspaceKey is how a workspace id appears in a page's workspaces
// column: every id there is wrapped in newlines, so a page holding ws
// always contains this key (another id may rarely contain it too; entries
// are filtered one by one anyway).
func pageWorkspaceKey(ws string) string { return "\n" + ws + "\n" }

// pageRow is what journal_pages stores besides the data.
type pageRow struct {
	firstEntry, lastEntry int64
	oldestAt, newestAt    int64
	workspaces            string
}

func rowOf(entries []pageEntry) pageRow {
	r := pageRow{firstEntry: entries[0].id, lastEntry: entries[len(entries)-1].id, oldestAt: entries[0].at, newestAt: entries[0].at}
	seen := map[string]bool{}
	var ws strings.Builder
	ws.WriteByte('\n')
	for i := range entries {
		e := &entries[i]
		r.oldestAt, r.newestAt = min(r.oldestAt, e.at), max(r.newestAt, e.at)
		if w := e.f[fWorkspace]; !seen[w] {
			seen[w] = true
			ws.WriteString(w)
			ws.WriteByte('\n')
		}
	}
	r.workspaces = ws.String()
	return r
}
