package whippy

import (
	"errors"
	"net/http"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
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

// OrganizationIntegration records an outside system connected to the
// organization (POST /organization/integrations; the request is what
// Whippy's Sync service sends, the answer's shape is inferred).
type OrganizationIntegration struct {
	ID             string  `json:"id"`
	IntegrationID  string  `json:"integration_id"`
	Client         *string `json:"client"`
	Name           *string `json:"name"`
	OrganizationID string  `json:"organization_id"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
}

const kindIntegration = "organization_integration"

// createOrganizationIntegration serves POST /organization/integrations:
// 201 with the registration. Registering the same integration_id again
// updates its client and name (200).
func (m *Mock) createOrganizationIntegration(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		IntegrationID string  `json:"integration_id"`
		Client        *string `json:"client"`
		Name          *string `json:"name"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.IntegrationID) == "" {
		return invalid("integration_id", "integration_id is required")
	}
	var out *OrganizationIntegration
	status := http.StatusCreated
	err := m.update(r.Context(), func(tx *store.Tx) error {
		org, err := organization(tx)
		if err != nil {
			return err
		}
		now := ts(tx.Now())
		if res, err := tx.Lookup(Vendor, kindIntegration, "integration_id", in.IntegrationID); err == nil {
			if out, err = decode[OrganizationIntegration](res); err != nil {
				return err
			}
			if in.Client != nil {
				out.Client = strPtr(*in.Client)
			}
			if in.Name != nil {
				out.Name = strPtr(*in.Name)
			}
			out.UpdatedAt = now
			status = http.StatusOK
			return tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindIntegration, ID: out.ID, Doc: mustJSON(out)})
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out = &OrganizationIntegration{ID: newID(), IntegrationID: in.IntegrationID, OrganizationID: org.ID, CreatedAt: now, UpdatedAt: now}
		if in.Client != nil {
			out.Client = strPtr(*in.Client)
		}
		if in.Name != nil {
			out.Name = strPtr(*in.Name)
		}
		return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindIntegration, ID: out.ID, Doc: mustJSON(out),
			Keys: []store.Key{store.K("integration_id", in.IntegrationID)}})
	})
	if err != nil {
		return err
	}
	writeData(w, status, out)
	return nil
}

// firstUser returns the organization's first user, or store.ErrNotFound.
func firstUser(tx *store.Tx) (*User, error) {
	list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindUser, Limit: 1, Asc: true})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, store.ErrNotFound
	}
	return decode[User](&list[0])
}
