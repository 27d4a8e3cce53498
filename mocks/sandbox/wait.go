package sandbox

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// DefaultWaitTimeout bounds a wait whose request gives no timeout.
const DefaultWaitTimeout = 30 * time.Second

// waitPoll is how often a wait reads the outbox again: an indexed query
// of a few rows, so waiting costs next to nothing.
const waitPoll = 25 * time.Millisecond

// waitDeliveries serves POST /deliveries/wait: it answers the oldest
// delivery passing the filter (after the id given), as soon as one exists,
// or, when the timeout passes first, timed_out. With the engine in manual
// mode it flushes the workspace before each look, since nothing is sent in
// the background.
func (s *Sandbox) waitDeliveries(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Vendor    string    `json:"vendor"`
		EventType string    `json:"event_type"`
		Endpoint  string    `json:"endpoint"`
		State     string    `json:"state"`
		After     int64     `json:"after"`
		Match     []Matcher `json:"match"`
		Timeout   string    `json:"timeout"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := compileMatchers(in.Match, "match", []string{"body"}); err != nil {
		return err
	}
	timeout := DefaultWaitTimeout
	if in.Timeout != "" {
		d, err := time.ParseDuration(strings.TrimSpace(in.Timeout))
		if err != nil || d < 0 {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, "timeout", "timeout must be a duration that is not negative, such as 500ms or 30s, not %q", in.Timeout)
		}
		timeout = d
	}
	ws := mocks.Workspace(r.Context())
	f := store.DeliveryFilter{WorkspaceID: ws, Vendor: in.Vendor, EventType: in.EventType, State: in.State, Endpoint: in.Endpoint}
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		if s.d.Engine.Manual {
			// Errors here are the deadline's: the look below still runs.
			s.d.Engine.Flush(ctx, ws)
		}
		d, err := s.findDelivery(context.WithoutCancel(ctx), f, in.After, in.Match)
		if err != nil {
			return err
		}
		if d != nil {
			v := deliveryOf(d)
			mocks.WriteJSON(w, http.StatusOK, map[string]any{"timed_out": false, "waited_ms": msSince(start), "delivery": v})
			return nil
		}
		select {
		case <-tick.C:
			continue
		case <-ctx.Done():
		}
		if r.Context().Err() != nil {
			return r.Context().Err() // nobody reads the answer
		}
		mocks.WriteJSON(w, http.StatusOK, map[string]any{"timed_out": true, "waited_ms": msSince(start)})
		return nil
	}
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// findDelivery returns the oldest delivery passing f with an id above
// after and a body passing ms, or nil.
func (s *Sandbox) findDelivery(ctx context.Context, f store.DeliveryFilter, after int64, ms []Matcher) (*store.Delivery, error) {
	// Newest first: read pages until the ids fall to after.
	const page = 200
	var found *store.Delivery
	for f.Offset = 0; ; f.Offset += page {
		f.Limit = page
		ds, total, err := s.d.DB.Deliveries(ctx, f)
		if err != nil {
			return nil, err
		}
		for i := range ds {
			if ds[i].ID <= after {
				return found, nil
			}
			b := newBodyFields(ds[i].Body, false)
			if len(check(ms, func(m *Matcher) values { return b.field(m.Name) })) == 0 {
				found = &ds[i]
			}
		}
		if len(ds) < page || f.Offset+page >= total {
			return found, nil
		}
	}
}
