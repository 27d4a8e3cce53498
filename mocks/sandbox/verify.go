package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// verifyHandlers are the journal's verification operations.
func (s *Sandbox) verifyHandlers() map[string]mocks.Handler {
	return map[string]mocks.Handler{
		"expectRequests": s.expectRequests,
		"searchRequests": s.searchRequests,
	}
}

// viewEntry is e as the control API shows it.
func viewEntry(e store.JournalEntry) journalEntry {
	return journalEntry{
		ID: e.ID, At: ts(e.At), WorkspaceID: e.WorkspaceID, Vendor: e.Vendor, OperationID: e.OperationID,
		Method: e.Method, Path: e.Path, Query: e.Query, Status: e.Status,
		DurationMS: float64(e.Duration.Microseconds()) / 1000, RequestID: e.RequestID,
		RequestHeaders: headerMap(e.RequestHeaders), RequestBody: string(e.RequestBody), ResponseBody: string(e.ResponseBody),
		ResponseHeaders: answerHeaders(e), Fault: e.Fault,
	}
}

// journalScanPage is how many entries a scan reads at a time.
const journalScanPage = 500

// scanJournal calls fn with every journal entry of f's workspace (all
// workspaces for ""), newest first, until fn returns false. Entries
// recorded during the scan are not seen.
func (s *Sandbox) scanJournal(ctx context.Context, f store.JournalFilter, fn func(store.JournalEntry) bool) error {
	f.Limit = journalScanPage
	// Each call reads below the oldest entry seen (entries are handed out
	// newest first), so every page is read once.
	for {
		entries, _, err := s.d.DB.Journal(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !fn(e) {
				return nil
			}
		}
		if len(entries) < journalScanPage {
			return nil
		}
		f.Before = entries[len(entries)-1].ID
	}
}

// searchRequests serves POST /requests/search: the entries passing every
// matcher, newest first, and how many pass in all.
func (s *Sandbox) searchRequests(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Match  []Matcher `json:"match"`
		Limit  int       `json:"limit"`
		Offset int       `json:"offset"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := compileMatchers(in.Match, "match", matcherParts); err != nil {
		return err
	}
	if in.Limit <= 0 {
		in.Limit = 100
	}
	if err := s.flushJournal(r); err != nil {
		return err
	}
	out := []journalEntry{}
	total := 0
	err := s.scanJournal(r.Context(), prefilter(mocks.Workspace(r.Context()), in.Match), func(e store.JournalEntry) bool {
		rec := newRecorded(e)
		if len(check(in.Match, rec.part)) == 0 {
			if total >= in.Offset && len(out) < in.Limit {
				out = append(out, viewEntry(e))
			}
			total++
		}
		return true
	})
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "total": total})
	return nil
}

// prefilter returns the journal filter of workspace ws that the equals
// matchers on what the journal filters by (vendor, operation_id, method,
// status) imply, so that the scan reads the bodies of those entries only.
// It is a superset: every matcher is still checked.
func prefilter(ws string, ms []Matcher) store.JournalFilter {
	f := store.JournalFilter{WorkspaceID: ws}
	for _, m := range ms {
		if m.Op != opEquals {
			continue
		}
		switch m.On {
		case "vendor":
			f.Vendor = m.Value
		case "operation_id":
			f.OperationID = m.Value
		case "method":
			f.Method = m.Value
		case "status":
			f.Status, _ = strconv.Atoi(m.Value)
		}
	}
	return f
}

// miss is a request that failed some matchers.
type miss struct {
	Request journalEntry `json:"request"`
	Failed  []failure    `json:"failed"`
}

// maxShown bounds the matches and misses an expect answer lists.
const maxShown = 100

// expectRequests serves POST /requests/expect: how many requests pass the
// matchers, against an expected count; when the count is wrong, the
// requests that came nearest (fewest matchers failed, then newest), each
// with the matchers it failed and why.
func (s *Sandbox) expectRequests(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Match   []Matcher `json:"match"`
		Count   *int      `json:"count"`
		AtLeast *int      `json:"at_least"`
		AtMost  *int      `json:"at_most"`
		Misses  *int      `json:"misses"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := compileMatchers(in.Match, "match", matcherParts); err != nil {
		return err
	}
	lo, hi := 1, -1 // at least once by default; hi < 0: no bound
	switch {
	case in.Count != nil && (in.AtLeast != nil || in.AtMost != nil):
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "count", "count is exact: give either count, or at_least and/or at_most")
	case in.Count != nil:
		lo, hi = *in.Count, *in.Count
	case in.AtLeast != nil || in.AtMost != nil:
		lo = 0
		if in.AtLeast != nil {
			lo = *in.AtLeast
		}
		if in.AtMost != nil {
			hi = *in.AtMost
		}
		if hi >= 0 && hi < lo {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, "at_most", "at_most (%d) is below at_least (%d)", hi, lo)
		}
	}
	nMisses := 5
	if in.Misses != nil {
		nMisses = min(*in.Misses, maxShown)
	}
	if err := s.flushJournal(r); err != nil {
		return err
	}
	type near struct {
		e      store.JournalEntry
		failed []failure
	}
	var matches []store.JournalEntry
	var misses []near
	count := 0
	err := s.scanJournal(r.Context(), store.JournalFilter{WorkspaceID: mocks.Workspace(r.Context())}, func(e store.JournalEntry) bool {
		rec := newRecorded(e)
		failed := check(in.Match, rec.part)
		if len(failed) == 0 {
			count++
			if len(matches) < maxShown {
				matches = append(matches, e)
			}
			return true
		}
		// Keep the nearest nMisses (a stable sort later keeps newest first
		// among equals).
		misses = append(misses, near{e, failed})
		if len(misses) > 4*nMisses+64 {
			sort.SliceStable(misses, func(i, j int) bool { return len(misses[i].failed) < len(misses[j].failed) })
			misses = misses[:nMisses]
		}
		return true
	})
	if err != nil {
		return err
	}
	ok := count >= lo && (hi < 0 || count <= hi)
	expected := expectation(lo, hi)
	out := map[string]any{"ok": ok, "count": count, "expected": expected, "matches": []journalEntry{}, "misses": []miss{}}
	descs := make([]string, len(in.Match))
	for i := range in.Match {
		descs[i] = in.Match[i].String()
	}
	what := "requests"
	if len(descs) > 0 {
		what = "requests where " + strings.Join(descs, " and ")
	}
	if ok {
		out["message"] = fmt.Sprintf("%d %s, as expected (%s)", count, what, expected)
		mocks.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	msg := fmt.Sprintf("expected %s %s, found %d", expected, what, count)
	ms := []journalEntry{}
	for _, e := range matches {
		ms = append(ms, viewEntry(e))
	}
	out["matches"] = ms
	sort.SliceStable(misses, func(i, j int) bool { return len(misses[i].failed) < len(misses[j].failed) })
	misses = misses[:min(len(misses), nMisses)]
	mv := []miss{}
	var lines []string
	for _, m := range misses {
		mv = append(mv, miss{Request: viewEntry(m.e), Failed: m.failed})
		reasons := make([]string, len(m.failed))
		for i, f := range m.failed {
			reasons[i] = f.Reason
		}
		lines = append(lines, fmt.Sprintf("  #%d %s %s (%d): %s", m.e.ID, m.e.Method, m.e.Path, m.e.Status, strings.Join(reasons, "; ")))
	}
	out["misses"] = mv
	if hi >= 0 && count > hi {
		// Too many: what matched is what to look at.
		lines = lines[:0]
		for _, e := range matches[:min(len(matches), max(nMisses, 1))] {
			lines = append(lines, fmt.Sprintf("  #%d %s %s (%d)", e.ID, e.Method, e.Path, e.Status))
		}
		msg += "; matching requests (newest first):\n" + strings.Join(lines, "\n")
	} else if len(lines) > 0 {
		msg += "; nearest misses:\n" + strings.Join(lines, "\n")
	} else if count == 0 {
		msg += "; the journal has no other requests here"
	}
	out["message"] = msg
	mocks.WriteJSON(w, http.StatusOK, out)
	return nil
}

// expectation describes the bounds lo..hi (hi < 0: none).
func expectation(lo, hi int) string {
	switch {
	case hi < 0:
		return fmt.Sprintf("at least %d", lo)
	case lo == hi:
		return fmt.Sprintf("exactly %d", lo)
	case lo == 0:
		return fmt.Sprintf("at most %d", hi)
	}
	return fmt.Sprintf("between %d and %d", lo, hi)
}
