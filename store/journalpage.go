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
// A page is encoded as
//
//	version byte (1)
//	uvarint n, then n strings: uvarint length, bytes
//	uvarint m, then m entries:
//	  uvarint id, varint at (µs since the epoch), varint duration (µs),
//	  uvarint status, then one uvarint string index per string field
//	  (workspace, vendor, operation, method, path, query, request id,
//	  request headers, request body, response body)
//
// Entries are in id order.

const journalPageVersion = 1

// journalFields is how many string fields an entry has.
const journalFields = 10

// pageEntry is a journal entry as a page holds it.
type pageEntry struct {
	id       int64
	at       int64
	duration int64
	status   int
	f        [journalFields]string
}

const (
	fWorkspace = iota
	fVendor
	fOperation
	fMethod
	fPath
	fQuery
	fRequestID
	fHeaders
	fRequestBody
	fResponseBody
)

func newPageEntry(e JournalEntry) pageEntry {
	return pageEntry{
		id:       e.ID,
		at:       micros(e.At),
		duration: e.Duration.Microseconds(),
		status:   e.Status,
		f: [journalFields]string{
			e.WorkspaceID, e.Vendor, e.OperationID, e.Method, e.Path,
			e.Query, e.RequestID, string(nonNil(e.RequestHeaders, "{}")), string(e.RequestBody), string(e.ResponseBody),
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
		RequestHeaders: []byte(headers),
		RequestBody:    []byte(p.f[fRequestBody]),
		ResponseBody:   []byte(p.f[fResponseBody]),
	}
}

// encodePage encodes entries (in id order) as one page.
func encodePage(entries []pageEntry) []byte {
	index := make(map[string]uint64, len(entries)*2)
	var strs []string
	refs := make([]uint64, 0, len(entries)*journalFields)
	size := 0
	for i := range entries {
		for _, s := range entries[i].f {
			n, ok := index[s]
			if !ok {
				n = uint64(len(strs))
				index[s] = n
				strs = append(strs, s)
				size += len(s) + binary.MaxVarintLen32
			}
			refs = append(refs, n)
		}
	}
	b := make([]byte, 0, 1+binary.MaxVarintLen64*2+size+len(entries)*(4*binary.MaxVarintLen64+journalFields*3))
	b = append(b, journalPageVersion)
	b = binary.AppendUvarint(b, uint64(len(strs)))
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for i, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.id))
		b = binary.AppendVarint(b, e.at)
		b = binary.AppendVarint(b, e.duration)
		b = binary.AppendUvarint(b, uint64(e.status))
		for _, r := range refs[i*journalFields : (i+1)*journalFields] {
			b = binary.AppendUvarint(b, r)
		}
	}
	return b
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

// decodePage decodes a page. Each distinct string is copied out of data
// once, so data may be reused afterwards.
func decodePage(data []byte) ([]pageEntry, error) {
	if len(data) == 0 || data[0] != journalPageVersion {
		return nil, errBadPage
	}
	r := pageReader{b: data[1:]}
	n := r.uvarint()
	// Every string takes at least a byte: a count beyond what is left is
	// corrupt (and must not size an allocation).
	if n > uint64(len(r.b)) {
		return nil, errBadPage
	}
	strs := make([]string, n)
	for i := range strs {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.b)) {
			return nil, errBadPage
		}
		strs[i], r.b = string(r.b[:l]), r.b[l:]
	}
	m := r.uvarint()
	// An entry takes at least a byte per number and per string index.
	if r.err != nil || m > uint64(len(r.b)/(4+journalFields)) {
		return nil, errBadPage
	}
	entries := make([]pageEntry, m)
	for i := range entries {
		e := &entries[i]
		e.id = int64(r.uvarint())
		e.at = r.varint()
		e.duration = r.varint()
		e.status = int(min(r.uvarint(), 999))
		for j := range e.f {
			k := r.uvarint()
			if k >= uint64(len(strs)) {
				return nil, errBadPage
			}
			e.f[j] = strs[k]
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	if len(r.b) != 0 {
		return nil, errBadPage
	}
	return entries, nil
}

// match reports whether e passes f (ignoring Limit and Offset).
func (f JournalFilter) match(e *pageEntry) bool {
	switch {
	case f.WorkspaceID != "" && e.f[fWorkspace] != f.WorkspaceID,
		f.Vendor != "" && e.f[fVendor] != f.Vendor,
		f.OperationID != "" && e.f[fOperation] != f.OperationID,
		f.Method != "" && !strings.EqualFold(e.f[fMethod], f.Method),
		f.Status != 0 && e.status != f.Status,
		!f.Since.IsZero() && e.at < micros(f.Since):
		return false
	}
	if p, ok := strings.CutSuffix(f.Path, "*"); ok {
		return strings.HasPrefix(e.f[fPath], p)
	}
	return f.Path == "" || e.f[fPath] == f.Path
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
