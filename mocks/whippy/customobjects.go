package whippy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Custom objects are organization-defined record types with typed
// properties; Whippy's own integrations store CRM and ATS data in them.
// Their shapes follow the response fixtures of Whippy's Sync service (the
// vendor notes' W8): an object lists its properties, a property its
// references (links to another object's property), a record its
// properties by key.

const (
	kindCustomObject       = "custom_object"
	kindCustomObjectRecord = "custom_object_record"
)

// CustomObject is an organization-defined kind of record. The fixtures show
// no editable or hidden field in answers, so those inputs are accepted and
// not echoed.
type CustomObject struct {
	ID               string           `json:"id"`
	Key              string           `json:"key"`
	Label            string           `json:"label"`
	Description      *string          `json:"description"`
	Color            *string          `json:"color"`
	Emoji            *string          `json:"emoji"`
	CustomProperties []CustomProperty `json:"custom_properties"`
	CreatedBy        *UserSummary     `json:"created_by"`
	UpdatedBy        *UserSummary     `json:"updated_by"`
	CreatedAt        string           `json:"created_at"`
	UpdatedAt        string           `json:"updated_at"`
}

// UserSummary is the short form of a user nested in other objects.
type UserSummary struct {
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Email string  `json:"email"`
	Phone *string `json:"phone"`
}

// CustomProperty is a typed field of a custom object.
type CustomProperty struct {
	ID             string              `json:"id"`
	CustomObjectID string              `json:"custom_object_id"`
	Key            string              `json:"key"`
	Label          string              `json:"label"`
	Type           string              `json:"type"`
	Required       bool                `json:"required"`
	Default        json.RawMessage     `json:"default"`
	References     []PropertyReference `json:"references"`
	CreatedAt      string              `json:"created_at"`
	UpdatedAt      string              `json:"updated_at"`
}

// PropertyReference links a property to another custom object's property.
type PropertyReference struct {
	ID               string `json:"id"`
	CustomObjectID   string `json:"custom_object_id"`
	CustomPropertyID string `json:"custom_property_id"`
	Type             string `json:"type"`
}

// CustomObjectRecord is one record of a custom object.
type CustomObjectRecord struct {
	ID                     string         `json:"id"`
	CustomObjectID         string         `json:"custom_object_id"`
	Key                    string         `json:"key"`
	Label                  string         `json:"label"`
	ExternalID             *string        `json:"external_id"`
	AssociatedResourceID   *string        `json:"associated_resource_id"`
	AssociatedResourceType *string        `json:"associated_resource_type"`
	Properties             map[string]any `json:"properties"`
	CreatedAt              string         `json:"created_at"`
	UpdatedAt              string         `json:"updated_at"`
}

// CustomPropertyValue is the value a record stores for one property.
type CustomPropertyValue struct {
	ID                   string `json:"id"`
	CustomObjectRecordID string `json:"custom_object_record_id"`
	CustomPropertyID     string `json:"custom_property_id"`
	Value                any    `json:"value"`
	CreatedAt            string `json:"created_at"`
	UpdatedAt            string `json:"updated_at"`
}

// snakeCase is the form of object and property keys.
var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

type referenceInput struct {
	CustomPropertyID string `json:"custom_property_id"`
	CustomObjectID   string `json:"custom_object_id"`
	Type             string `json:"type"`
}

type propertyInput struct {
	Key        *string          `json:"key"`
	Label      *string          `json:"label"`
	Type       *string          `json:"type"`
	Required   *bool            `json:"required"`
	Default    json.RawMessage  `json:"default"`
	References []referenceInput `json:"references"`
}

type objectInput struct {
	Key              string          `json:"key"`
	Label            string          `json:"label"`
	Description      *string         `json:"description"`
	Color            *string         `json:"color"`
	Emoji            *string         `json:"emoji"`
	CustomProperties []propertyInput `json:"custom_properties"`
	Properties       []propertyInput `json:"properties"`
}

type objectUpdate struct {
	Label       *string `json:"label"`
	Description *string `json:"description"`
	Color       *string `json:"color"`
	Emoji       *string `json:"emoji"`
}

type recordInput struct {
	ExternalID             *string        `json:"external_id"`
	AssociatedResourceID   *string        `json:"associated_resource_id"`
	AssociatedResourceType *string        `json:"associated_resource_type"`
	Properties             map[string]any `json:"properties"`
}

// objectKeys are an object's lookups: its key, and every property id (so
// a reference finds the object of the property it names).
func objectKeys(o *CustomObject) []store.Key {
	ks := []store.Key{store.K("key", o.Key)}
	for _, p := range o.CustomProperties {
		ks = append(ks, store.K("property", p.ID))
	}
	return ks
}

func recordKeys(rec *CustomObjectRecord) []store.Key {
	ks := []store.Key{store.K("object", rec.CustomObjectID)}
	if rec.ExternalID != nil && *rec.ExternalID != "" {
		ks = append(ks, store.K("external_id", rec.CustomObjectID+"\x00"+*rec.ExternalID))
	}
	if a := associationKey(rec.CustomObjectID, rec.AssociatedResourceType, rec.AssociatedResourceID); a != "" {
		ks = append(ks, store.K("association", a))
	}
	return ks
}

func associationKey(object string, typ, id *string) string {
	if typ == nil || id == nil || *typ == "" || *id == "" {
		return ""
	}
	return object + "\x00" + *typ + "\x00" + *id
}

func (m *Mock) getCustomObject(tx *store.Tx, id string) (*CustomObject, error) {
	r, err := tx.Get(Vendor, kindCustomObject, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Custom object")
	}
	if err != nil {
		return nil, err
	}
	return decode[CustomObject](r)
}

func saveCustomObject(tx *store.Tx, o *CustomObject) error {
	o.UpdatedAt = tsNaive(tx.Now())
	return tx.Update(&store.Resource{Vendor: Vendor, Kind: kindCustomObject, ID: o.ID, Doc: mustJSON(o), Keys: objectKeys(o)})
}

// newProperty builds a property of object o from in; field prefixes the
// names of the fields an error names (custom_properties.0.).
func (m *Mock) newProperty(tx *store.Tx, o *CustomObject, in propertyInput, field string) (*CustomProperty, error) {
	now := tsNaive(tx.Now())
	p := &CustomProperty{ID: newID(), CustomObjectID: o.ID, References: []PropertyReference{}, Default: json.RawMessage("null"),
		CreatedAt: now, UpdatedAt: now}
	for _, req := range []struct {
		name string
		v    *string
	}{{"key", in.Key}, {"label", in.Label}, {"type", in.Type}} {
		if req.v == nil || strings.TrimSpace(*req.v) == "" {
			return nil, invalid(field+req.name, "%s%s is required", field, req.name)
		}
	}
	if err := m.applyProperty(tx, o, p, in, field); err != nil {
		return nil, err
	}
	return p, nil
}

// applyProperty sets the fields in gives on p, a property of o.
func (m *Mock) applyProperty(tx *store.Tx, o *CustomObject, p *CustomProperty, in propertyInput, field string) error {
	if in.Key != nil {
		key := strings.TrimSpace(*in.Key)
		if !snakeCase.MatchString(key) {
			return invalid(field+"key", "%skey must be snake_case (lower-case letters, digits and _, starting with a letter)", field)
		}
		for _, other := range o.CustomProperties {
			if other.Key == key && other.ID != p.ID {
				return invalid(field+"key", "%skey %s is already a property of this custom object", field, key)
			}
		}
		p.Key = key
	}
	if in.Label != nil {
		if strings.TrimSpace(*in.Label) == "" {
			return invalid(field+"label", "%slabel must not be blank", field)
		}
		p.Label = *in.Label
	}
	if in.Type != nil {
		if strings.TrimSpace(*in.Type) == "" {
			return invalid(field+"type", "%stype must not be blank", field)
		}
		p.Type = *in.Type
	}
	if in.Required != nil {
		p.Required = *in.Required
	}
	if len(in.Default) > 0 {
		p.Default = in.Default
	}
	if in.References != nil {
		refs := make([]PropertyReference, 0, len(in.References))
		for i, ref := range in.References {
			f := fmt.Sprintf("%sreferences.%d.custom_property_id", field, i)
			target, err := tx.Lookup(Vendor, kindCustomObject, "property", ref.CustomPropertyID)
			if errors.Is(err, store.ErrNotFound) {
				return invalid(f, "%s does not name a property of a custom object", f)
			}
			if err != nil {
				return err
			}
			objID := ref.CustomObjectID
			if objID == "" {
				objID = target.ID
			} else if objID != target.ID {
				f := fmt.Sprintf("%sreferences.%d.custom_object_id", field, i)
				return invalid(f, "%s is not the custom object of the referenced property", f)
			}
			typ := ref.Type
			if typ == "" {
				typ = "one_to_many"
			}
			refs = append(refs, PropertyReference{ID: stableUUID(p.ID, "reference", ref.CustomPropertyID), CustomObjectID: objID,
				CustomPropertyID: ref.CustomPropertyID, Type: typ})
		}
		p.References = refs
	}
	p.UpdatedAt = tsNaive(tx.Now())
	return nil
}

// listCustomObjects serves GET /custom_objects, oldest first.
func (m *Mock) listCustomObjects(w http.ResponseWriter, r *http.Request) error {
	limit, offset := page(r.URL.Query(), "limit", "offset")
	return m.writeQuery(w, r, store.Query{Vendor: Vendor, Kind: kindCustomObject, Limit: limit, Offset: offset, Count: true, Asc: true})
}

// createCustomObject serves POST /custom_objects: 201 with the object and
// the properties created with it. Its key must be snake_case and unique.
func (m *Mock) createCustomObject(w http.ResponseWriter, r *http.Request) error {
	var in objectInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(in.Key)
	if !snakeCase.MatchString(key) {
		return invalid("key", "key must be snake_case (lower-case letters, digits and _, starting with a letter)")
	}
	if strings.TrimSpace(in.Label) == "" {
		return invalid("label", "label must not be blank")
	}
	props, field := in.CustomProperties, "custom_properties"
	if len(props) == 0 {
		props, field = in.Properties, "properties"
	}
	var o *CustomObject
	err := m.update(r.Context(), func(tx *store.Tx) error {
		if _, err := tx.Lookup(Vendor, kindCustomObject, "key", key); err == nil {
			return invalid("key", "key %s has already been taken by another custom object", key)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := tsNaive(tx.Now())
		o = &CustomObject{ID: newID(), Key: key, Label: in.Label, Description: in.Description, Color: in.Color, Emoji: in.Emoji,
			CustomProperties: []CustomProperty{}, CreatedAt: now, UpdatedAt: now}
		for i, pin := range props {
			p, err := m.newProperty(tx, o, pin, fmt.Sprintf("%s.%d.", field, i))
			if err != nil {
				return err
			}
			o.CustomProperties = append(o.CustomProperties, *p)
		}
		return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindCustomObject, ID: o.ID, Doc: mustJSON(o), Keys: objectKeys(o)})
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusCreated, o)
	return nil
}

// updateCustomObject serves PUT /custom_objects/{id}; the key stays.
func (m *Mock) updateCustomObject(w http.ResponseWriter, r *http.Request) error {
	var in objectUpdate
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var o *CustomObject
	err := m.update(r.Context(), func(tx *store.Tx) (err error) {
		if o, err = m.getCustomObject(tx, mocks.PathParam(r, "id")); err != nil {
			return err
		}
		if in.Label != nil {
			if strings.TrimSpace(*in.Label) == "" {
				return invalid("label", "label must not be blank")
			}
			o.Label = *in.Label
		}
		body := mocks.Body(r)
		for _, f := range []struct {
			name string
			in   *string
			out  **string
		}{{"description", in.Description, &o.Description}, {"color", in.Color, &o.Color}, {"emoji", in.Emoji, &o.Emoji}} {
			if f.in != nil {
				*f.out = f.in
			} else if hasNull(body, f.name) {
				*f.out = nil
			}
		}
		return saveCustomObject(tx, o)
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, o)
	return nil
}

// createCustomProperty serves POST /custom_objects/{id}/properties.
func (m *Mock) createCustomProperty(w http.ResponseWriter, r *http.Request) error {
	var in propertyInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var p *CustomProperty
	err := m.update(r.Context(), func(tx *store.Tx) error {
		o, err := m.getCustomObject(tx, mocks.PathParam(r, "id"))
		if err != nil {
			return err
		}
		if p, err = m.newProperty(tx, o, in, ""); err != nil {
			return err
		}
		o.CustomProperties = append(o.CustomProperties, *p)
		return saveCustomObject(tx, o)
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusCreated, p)
	return nil
}

// updateCustomProperty serves PUT /custom_objects/{id}/properties/{property_id}.
func (m *Mock) updateCustomProperty(w http.ResponseWriter, r *http.Request) error {
	var in propertyInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var p CustomProperty
	err := m.update(r.Context(), func(tx *store.Tx) error {
		o, err := m.getCustomObject(tx, mocks.PathParam(r, "id"))
		if err != nil {
			return err
		}
		pid := mocks.PathParam(r, "property_id")
		i := -1
		for j := range o.CustomProperties {
			if o.CustomProperties[j].ID == pid {
				i = j
			}
		}
		if i < 0 {
			return notFound("Custom property")
		}
		p = o.CustomProperties[i]
		if err := m.applyProperty(tx, o, &p, in, ""); err != nil {
			return err
		}
		o.CustomProperties[i] = p
		return saveCustomObject(tx, o)
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, p)
	return nil
}

// applyRecord sets rec's external id and association from in and merges
// in's properties into rec's.
func applyRecord(rec *CustomObjectRecord, in *recordInput) {
	if in.ExternalID != nil {
		rec.ExternalID = strPtr(*in.ExternalID)
	}
	if in.AssociatedResourceID != nil {
		rec.AssociatedResourceID = strPtr(*in.AssociatedResourceID)
	}
	if in.AssociatedResourceType != nil {
		rec.AssociatedResourceType = strPtr(*in.AssociatedResourceType)
	}
	if rec.Properties == nil {
		rec.Properties = map[string]any{}
	}
	for k, v := range in.Properties {
		rec.Properties[k] = v
	}
}

func checkRecordInput(in *recordInput) error {
	if (in.AssociatedResourceID == nil) != (in.AssociatedResourceType == nil) {
		if in.AssociatedResourceID == nil {
			return invalid("associated_resource_id", "associated_resource_id is required with associated_resource_type")
		}
		return invalid("associated_resource_type", "associated_resource_type is required with associated_resource_id")
	}
	return nil
}

// upsertCustomObjectRecord serves POST /custom_objects/{id}/records: the
// record with the same external_id (else the same associated resource) is
// updated, its properties merged (200); otherwise one is created (201).
func (m *Mock) upsertCustomObjectRecord(w http.ResponseWriter, r *http.Request) error {
	var in recordInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := checkRecordInput(&in); err != nil {
		return err
	}
	var rec *CustomObjectRecord
	status := http.StatusOK
	err := m.update(r.Context(), func(tx *store.Tx) error {
		o, err := m.getCustomObject(tx, mocks.PathParam(r, "id"))
		if err != nil {
			return err
		}
		var existing *store.Resource
		if in.ExternalID != nil && *in.ExternalID != "" {
			existing, err = tx.Lookup(Vendor, kindCustomObjectRecord, "external_id", o.ID+"\x00"+*in.ExternalID)
		} else if a := associationKey(o.ID, in.AssociatedResourceType, in.AssociatedResourceID); a != "" {
			existing, err = tx.Lookup(Vendor, kindCustomObjectRecord, "association", a)
		} else {
			err = store.ErrNotFound
		}
		switch {
		case err == nil:
			if rec, err = decode[CustomObjectRecord](existing); err != nil {
				return err
			}
			return m.saveRecord(tx, o, rec, &in)
		case errors.Is(err, store.ErrNotFound):
			now := tsNaive(tx.Now())
			rec = &CustomObjectRecord{ID: newID(), CustomObjectID: o.ID, Key: o.Key, Label: o.Label, Properties: map[string]any{},
				CreatedAt: now, UpdatedAt: now}
			applyRecord(rec, &in)
			status = http.StatusCreated
			return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindCustomObjectRecord, ID: rec.ID, Parent: o.ID, Doc: mustJSON(rec), Keys: recordKeys(rec)})
		default:
			return err
		}
	})
	if err != nil {
		return err
	}
	writeData(w, status, rec)
	return nil
}

// saveRecord applies in to rec, a record of o, and stores it.
func (m *Mock) saveRecord(tx *store.Tx, o *CustomObject, rec *CustomObjectRecord, in *recordInput) error {
	applyRecord(rec, in)
	if rec.ExternalID != nil {
		if other, err := tx.Lookup(Vendor, kindCustomObjectRecord, "external_id", o.ID+"\x00"+*rec.ExternalID); err == nil && other.ID != rec.ID {
			return invalid("external_id", "external_id %s is already a record of this custom object", *rec.ExternalID)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	// The object's key and label as they are now.
	rec.Key, rec.Label = o.Key, o.Label
	rec.UpdatedAt = tsNaive(tx.Now())
	return tx.Update(&store.Resource{Vendor: Vendor, Kind: kindCustomObjectRecord, ID: rec.ID, Parent: o.ID, Doc: mustJSON(rec), Keys: recordKeys(rec)})
}

// updateCustomObjectRecord serves PUT /custom_objects/{id}/records/{record_id}:
// the record with the value stored for each property of the object.
func (m *Mock) updateCustomObjectRecord(w http.ResponseWriter, r *http.Request) error {
	var in recordInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := checkRecordInput(&in); err != nil {
		return err
	}
	var rec *CustomObjectRecord
	var values []CustomPropertyValue
	err := m.update(r.Context(), func(tx *store.Tx) error {
		o, err := m.getCustomObject(tx, mocks.PathParam(r, "id"))
		if err != nil {
			return err
		}
		res, err := tx.Get(Vendor, kindCustomObjectRecord, mocks.PathParam(r, "record_id"))
		if errors.Is(err, store.ErrNotFound) || (err == nil && res.Parent != o.ID) {
			return notFound("Custom object record")
		}
		if err != nil {
			return err
		}
		if rec, err = decode[CustomObjectRecord](res); err != nil {
			return err
		}
		if err := m.saveRecord(tx, o, rec, &in); err != nil {
			return err
		}
		values = propertyValues(o, rec)
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, struct {
		*CustomObjectRecord
		CustomPropertyValues []CustomPropertyValue `json:"custom_property_values"`
	}{rec, values})
	return nil
}

// propertyValues lists the values rec stores for the properties of o, in
// the order of o's properties.
func propertyValues(o *CustomObject, rec *CustomObjectRecord) []CustomPropertyValue {
	out := []CustomPropertyValue{}
	for _, p := range o.CustomProperties {
		v, ok := rec.Properties[p.Key]
		if !ok {
			continue
		}
		out = append(out, CustomPropertyValue{ID: stableUUID(rec.ID, "value", p.ID), CustomObjectRecordID: rec.ID, CustomPropertyID: p.ID,
			Value: v, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt})
	}
	return out
}
