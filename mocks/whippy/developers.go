package whippy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// kindApplicationKey holds the API key an application was created with: the
// key its webhooks are signed with. It is never listed.
const kindApplicationKey = "application_key"

type applicationInput struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Active      *bool   `json:"active"`
}

type endpointInput struct {
	DeveloperApplicationID string         `json:"developer_application_id"`
	URL                    string         `json:"url"`
	EventTypes             []string       `json:"event_types"`
	Active                 *bool          `json:"active"`
	Target                 map[string]any `json:"target"`
}

func (m *Mock) insertApplication(tx *store.Tx, apiKey string, in applicationInput) (*Application, error) {
	now := ts(tx.Now())
	app := &Application{ID: newID(), Name: in.Name, Description: in.Description, Active: in.Active == nil || *in.Active, CreatedAt: now, UpdatedAt: now}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindApplication, ID: app.ID, Doc: mustJSON(app)}); err != nil {
		return nil, err
	}
	key := mustJSON(map[string]string{"api_key": apiKey})
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindApplicationKey, ID: app.ID, Doc: key}); err != nil {
		return nil, err
	}
	return app, nil
}

func applicationKey(tx *store.Tx, appID string) (string, error) {
	r, err := tx.Get(Vendor, kindApplicationKey, appID)
	if err != nil {
		return "", err
	}
	var k struct {
		APIKey string `json:"api_key"`
	}
	err = json.Unmarshal(r.Doc, &k)
	return k.APIKey, err
}

func (m *Mock) getApplication(tx *store.Tx, id, field string) (*Application, error) {
	r, err := tx.Get(Vendor, kindApplication, id)
	if errors.Is(err, store.ErrNotFound) {
		if field != "" {
			return nil, invalid(field, "%s does not name a developer application", field)
		}
		return nil, notFound("Developer application")
	}
	if err != nil {
		return nil, err
	}
	return decode[Application](r)
}

func checkURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "%s must be an http or https URL", field)
	}
	return nil
}

// checkEventTypes refuses an endpoint's event_types when they name no event
// or, per whippy.unknown_event_types, an event Whippy does not send.
func (m *Mock) checkEventTypes(types []string) error {
	if len(types) == 0 {
		return invalid("event_types", "event_types must name at least one event")
	}
	if m.cfg.UnknownEventTypes == "accept" {
		return nil
	}
	if i := unknownEventType(types); i >= 0 {
		return invalid("event_types", "event_types: %s", unknownEventMessage(types[i]))
	}
	return nil
}

// unknownEventType returns the index of the first of types that is not a
// Whippy event type, or -1: the rule of whippy.unknown_event_types: refuse,
// for endpoints created through the API and seeded from the configuration.
func unknownEventType(types []string) int {
	for i, t := range types {
		if !slices.Contains(EventTypes, t) {
			return i
		}
	}
	return -1
}

func unknownEventMessage(t string) string {
	return fmt.Sprintf("%q is not a Whippy event type (known: %s)", t, strings.Join(EventTypes, ", "))
}

// insertEndpoint stores an endpoint and its delivery subscription.
func (m *Mock) insertEndpoint(tx *store.Tx, app *Application, in endpointInput) (*Endpoint, error) {
	if err := checkURL("url", in.URL); err != nil {
		return nil, err
	}
	if err := m.checkEventTypes(in.EventTypes); err != nil {
		return nil, err
	}
	now := ts(tx.Now())
	ep := &Endpoint{ID: newID(), DeveloperApplicationID: app.ID, URL: in.URL, EventTypes: in.EventTypes,
		Active: in.Active == nil || *in.Active, Target: in.Target, CreatedAt: now, UpdatedAt: now}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindEndpoint, ID: ep.ID, Parent: app.ID, Doc: mustJSON(ep)}); err != nil {
		return nil, err
	}
	return ep, m.syncWebhook(tx, app, ep)
}

// syncWebhook mirrors an endpoint into the outbox's subscriptions: it
// receives events only while both it and its application are active, and
// is signed with the application's API key.
func (m *Mock) syncWebhook(tx *store.Tx, app *Application, ep *Endpoint) error {
	key, err := applicationKey(tx, app.ID)
	if err != nil {
		return err
	}
	return tx.PutWebhook(&store.Webhook{ID: ep.ID, Vendor: Vendor, Owner: app.ID, URL: ep.URL, Events: ep.EventTypes,
		Secret: key, Active: ep.Active && app.Active, Source: store.WebhookFromVendor})
}

// createApplication serves POST /developers/applications. The application is
// tied to the API key of the request, which signs its webhooks.
func (m *Mock) createApplication(w http.ResponseWriter, r *http.Request) error {
	var in applicationInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var app *Application
	err := m.update(r.Context(), func(tx *store.Tx) (err error) {
		app, err = m.insertApplication(tx, m.apiKey(r), in)
		return err
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusCreated, app)
	return nil
}

// listApplications serves GET /developers/applications.
func (m *Mock) listApplications(w http.ResponseWriter, r *http.Request) error {
	limit, offset := page(r.URL.Query(), "limit", "offset")
	return m.writeQuery(w, r, store.Query{Vendor: Vendor, Kind: kindApplication, Limit: limit, Offset: offset, Count: true, Asc: true})
}

// updateApplication serves PUT /developers/applications/{id}; deactivating
// an application stops deliveries to all its endpoints.
func (m *Mock) updateApplication(w http.ResponseWriter, r *http.Request) error {
	var in applicationInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var app *Application
	err := m.update(r.Context(), func(tx *store.Tx) (err error) {
		if app, err = m.getApplication(tx, mocks.PathParam(r, "id"), ""); err != nil {
			return err
		}
		if in.Name != "" {
			app.Name = in.Name
		}
		if in.Description != nil {
			app.Description = in.Description
		}
		if in.Active != nil {
			app.Active = *in.Active
		}
		app.UpdatedAt = ts(tx.Now())
		if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindApplication, ID: app.ID, Doc: mustJSON(app)}); err != nil {
			return err
		}
		eps, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindEndpoint, Parent: app.ID, HasParent: true})
		if err != nil {
			return err
		}
		for _, er := range eps {
			ep, err := decode[Endpoint](&er)
			if err != nil {
				return err
			}
			if err := m.syncWebhook(tx, app, ep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, app)
	return nil
}

// createEndpoint serves POST /developers/endpoints.
func (m *Mock) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in endpointInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var ep *Endpoint
	err := m.update(r.Context(), func(tx *store.Tx) error {
		app, err := m.getApplication(tx, in.DeveloperApplicationID, "developer_application_id")
		if err != nil {
			return err
		}
		ep, err = m.insertEndpoint(tx, app, in)
		return err
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusCreated, ep)
	return nil
}

// listEndpoints serves GET /developers/endpoints, optionally of one
// application.
func (m *Mock) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := page(q, "limit", "offset")
	query := store.Query{Vendor: Vendor, Kind: kindEndpoint, Limit: limit, Offset: offset, Count: true, Asc: true}
	if app := q.Get("developer_application_id"); app != "" {
		query.Parent, query.HasParent = app, true
	}
	return m.writeQuery(w, r, query)
}

// updateEndpoint serves PUT /developers/endpoints/{id}.
func (m *Mock) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in endpointInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var ep *Endpoint
	err := m.update(r.Context(), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindEndpoint, mocks.PathParam(r, "id"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Endpoint")
		}
		if err != nil {
			return err
		}
		if ep, err = decode[Endpoint](res); err != nil {
			return err
		}
		if in.URL != "" {
			if err := checkURL("url", in.URL); err != nil {
				return err
			}
			ep.URL = in.URL
		}
		if in.EventTypes != nil {
			if err := m.checkEventTypes(in.EventTypes); err != nil {
				return err
			}
			ep.EventTypes = in.EventTypes
		}
		if in.Active != nil {
			ep.Active = *in.Active
		}
		if in.Target != nil {
			ep.Target = in.Target
		}
		ep.UpdatedAt = ts(tx.Now())
		if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindEndpoint, ID: ep.ID, Doc: mustJSON(ep)}); err != nil {
			return err
		}
		app, err := m.getApplication(tx, ep.DeveloperApplicationID, "")
		if err != nil {
			return err
		}
		return m.syncWebhook(tx, app, ep)
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, ep)
	return nil
}

// deleteEndpoint serves DELETE /developers/endpoints/{id} and its alias
// DELETE /webhooks/{id}.
func (m *Mock) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	err := m.update(r.Context(), func(tx *store.Tx) error {
		if err := tx.Delete(Vendor, kindEndpoint, id); errors.Is(err, store.ErrNotFound) {
			return notFound("Endpoint")
		} else if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, map[string]string{"id": id})
	return nil
}
