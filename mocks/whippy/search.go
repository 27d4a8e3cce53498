package whippy

import (
	"net/http"
	"strings"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// searchContacts serves POST /contacts/search. The operation is known only
// from third-party descriptions of the API (the vendor notes mark it
// inferred), though a client from Whippy's own organization calls it: the
// body's fields filter as GET /contacts's query parameters do (name a
// case-insensitive substring, email a whole address, phone any format of
// the same number), plus external_id, and the answer is a contact list.
func (m *Mock) searchContacts(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Phone      string `json:"phone"`
		Email      string `json:"email"`
		Name       string `json:"name"`
		ExternalID string `json:"external_id"`
		Limit      int    `json:"limit"`
		Offset     int    `json:"offset"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	limit := 50
	if in.Limit > 0 {
		limit = min(in.Limit, 500)
	}
	query := store.Query{Vendor: Vendor, Kind: kindContact, Limit: limit, Offset: max(in.Offset, 0), Count: true}
	if v := strings.TrimSpace(in.Name); v != "" {
		query.Filters = append(query.Filters, store.Filter{Name: "name", Op: store.OpContains, Values: []string{strings.ToLower(v)}})
	}
	if v := strings.TrimSpace(in.Email); v != "" {
		query.Filters = append(query.Filters, store.Filter{Name: "email", Values: []string{strings.ToLower(v)}})
	}
	if v := strings.TrimSpace(in.Phone); v != "" {
		p, ok := phone.Normalize(v)
		if !ok {
			p = noMatch
		}
		query.Filters = append(query.Filters, store.Filter{Name: "phone", Values: []string{p}})
	}
	if v := strings.TrimSpace(in.ExternalID); v != "" {
		query.Filters = append(query.Filters, store.Filter{Name: "external_id", Values: []string{v}})
	}
	return m.writeQuery(w, r, query)
}
