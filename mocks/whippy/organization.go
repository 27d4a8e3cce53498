package whippy

import (
	"net/http"
	"strings"

	"vendorsim/mocks"
	"vendorsim/store"
)

// listChannels serves GET /channels: {"data":[...],"organization_id":...}
// (Whippy sends no total here).
func (m *Mock) listChannels(w http.ResponseWriter, r *http.Request) error {
	var rs []store.Resource
	var org *Organization
	err := m.view(r.Context(), func(tx *store.Tx) (err error) {
		if org, err = organization(tx); err != nil {
			return err
		}
		rs, _, err = tx.List(store.Query{Vendor: Vendor, Kind: kindChannel, Asc: true})
		return err
	})
	if err != nil {
		return err
	}
	mocks.WriteRaw(w, http.StatusOK, listBody(rs, `,"organization_id":"`+org.ID+`"}`))
	return nil
}

// listUsers serves GET /users with name, email, role and state filters.
func (m *Mock) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := page(q, "limit", "offset")
	query := store.Query{Vendor: Vendor, Kind: kindUser, Limit: limit, Offset: offset, Count: true, Asc: true}
	for _, f := range []struct {
		param string
		op    store.Op
	}{{"name", store.OpContains}, {"email", store.OpContains}, {"role", store.OpIn}, {"state", store.OpIn}} {
		if v := strings.TrimSpace(q.Get(f.param)); v != "" {
			query.Filters = append(query.Filters, store.Filter{Name: f.param, Op: f.op, Values: []string{strings.ToLower(v)}})
		}
	}
	return m.writeQuery(w, r, query)
}

// getOrganization serves GET /organization.
func (m *Mock) getOrganization(w http.ResponseWriter, r *http.Request) error {
	var org *Organization
	err := m.view(r.Context(), func(tx *store.Tx) (err error) {
		org, err = organization(tx)
		return err
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, org)
	return nil
}
