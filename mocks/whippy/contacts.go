package whippy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// contactInput is the body of POST /contacts and one item of an upsert.
type contactInput struct {
	Phone              string            `json:"phone"`
	Email              string            `json:"email"`
	Name               string            `json:"name"`
	FirstName          string            `json:"first_name"`
	LastName           string            `json:"last_name"`
	ExternalID         string            `json:"external_id"`
	OptInTo            []json.RawMessage `json:"opt_in_to"`
	OptInToAllChannels bool              `json:"opt_in_to_all_channels"`
	BirthDate          *BirthDate        `json:"birth_date"`
	Address            *addressInput     `json:"address"`
	DefaultChannelID   string            `json:"default_channel_id"`
	Language           string            `json:"language"`
}

// addressInput accepts both postal_code and post_code (Whippy's own code
// uses both spellings).
type addressInput struct {
	AddressLineOne *string `json:"address_line_one"`
	AddressLineTwo *string `json:"address_line_two"`
	City           *string `json:"city"`
	Country        *string `json:"country"`
	PostalCode     *string `json:"postal_code"`
	PostCode       *string `json:"post_code"`
	State          *string `json:"state"`
}

func (a *addressInput) address() *Address {
	if a == nil {
		return nil
	}
	out := &Address{AddressLineOne: a.AddressLineOne, AddressLineTwo: a.AddressLineTwo, City: a.City, Country: a.Country, PostalCode: a.PostalCode, State: a.State}
	if out.PostalCode == nil {
		out.PostalCode = a.PostCode
	}
	return out
}

// normalizePhone returns number in E.164 or a 422 naming field.
func normalizePhone(field, number string) (string, error) {
	p, ok := phone.Normalize(number)
	if !ok {
		return "", invalid(field, "%s is not a valid phone number (use E.164, e.g. +14155552671)", field)
	}
	return p, nil
}

// createContact returns the contact with in's phone, creating it when none
// exists. created reports whether it did. extraOptIns are channel ids to
// opt the new contact into (a send opts in to its channel).
func (m *Mock) createContact(tx *store.Tx, in *contactInput, extraOptIns []string) (*Contact, bool, error) {
	return m.createContactAt(tx, in, extraOptIns, "phone")
}

func (m *Mock) createContactAt(tx *store.Tx, in *contactInput, extraOptIns []string, field string) (*Contact, bool, error) {
	p, err := normalizePhone(field, in.Phone)
	if err != nil {
		return nil, false, err
	}
	if r, err := tx.Lookup(Vendor, kindContact, "phone", p); err == nil {
		c, err := decode[Contact](r)
		return c, false, err
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	c, err := m.insertNewContact(tx, in, p, extraOptIns, field)
	return c, err == nil, err
}

// insertNewContact creates the contact of in with phone p (E.164), which
// no contact has.
func (m *Mock) insertNewContact(tx *store.Tx, in *contactInput, p string, extraOptIns []string, field string) (*Contact, error) {
	optIns, err := m.optInChannels(tx, in.OptInTo, in.OptInToAllChannels, strings.TrimSuffix(field, "phone")+"opt_in_to")
	if err != nil {
		return nil, err
	}
	c := m.newContact(tx, in)
	c.Phone = &p
	for _, ch := range append(optIns, extraOptIns...) {
		addOptIn(tx, c, ch)
	}
	if err := m.insertContact(tx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// newContact builds a contact from in (without phone and opt-ins).
func (m *Mock) newContact(tx *store.Tx, in *contactInput) *Contact { return contactOf(in, tx.Now()) }

// contactOf builds a new contact from in, created at t (without phone and
// opt-ins): the contact of contact.created.
func contactOf(in *contactInput, t time.Time) *Contact {
	now := ts(t)
	c := &Contact{
		ID:                       newID(),
		Email:                    strPtr(strings.TrimSpace(in.Email)),
		ExternalID:               strPtr(in.ExternalID),
		State:                    "open",
		Address:                  in.Address.address(),
		BirthDate:                in.BirthDate,
		CommunicationPreferences: []CommPref{},
		ContactTags:              []map[string]any{},
		Notes:                    []map[string]any{},
		CreatedAt:                now,
		UpdatedAt:                now,
	}
	setNames(c, in.Name, in.FirstName, in.LastName)
	return c
}

// setNames fills name, first_name and last_name from whichever are given.
func setNames(c *Contact, name, first, last string) {
	name, first, last = strings.TrimSpace(name), strings.TrimSpace(first), strings.TrimSpace(last)
	if name == "" && (first != "" || last != "") {
		name = strings.TrimSpace(first + " " + last)
	}
	if name != "" && first == "" && last == "" {
		first, last, _ = strings.Cut(name, " ")
	}
	if name != "" {
		c.Name = strPtr(name)
	}
	if first != "" {
		c.FirstName = strPtr(first)
	}
	if last != "" {
		c.LastName = strPtr(strings.TrimSpace(last))
	}
}

func addOptIn(tx *store.Tx, c *Contact, channelID string) {
	for _, p := range c.CommunicationPreferences {
		if p.ChannelID == channelID {
			return
		}
	}
	now := tsSeconds(tx.Now())
	c.CommunicationPreferences = append(c.CommunicationPreferences, CommPref{
		ID: newID(), ChannelID: channelID, ContactID: c.ID, OptIn: true,
		OptInDate: &now, CreatedAt: now, UpdatedAt: now,
	})
}

// optInChannels resolves opt_in_to (channel ids, or {id, phone} objects) and
// opt_in_to_all_channels to channel ids.
func (m *Mock) optInChannels(tx *store.Tx, items []json.RawMessage, all bool, field string) ([]string, error) {
	if all {
		chans, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindChannel, Asc: true})
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(chans))
		for i, ch := range chans {
			ids[i] = ch.ID
		}
		return ids, nil
	}
	var ids []string
	for i, raw := range items {
		var ref struct {
			ID    string `json:"id"`
			Phone string `json:"phone"`
		}
		if err := json.Unmarshal(raw, &ref.ID); err != nil {
			if err := json.Unmarshal(raw, &ref); err != nil {
				return nil, invalid(field, "%s.%d must be a channel id or an object with id or phone", field, i)
			}
		}
		ch, err := m.channelByRef(tx, ref.ID, ref.Phone)
		if err != nil {
			return nil, invalid(field, "%s.%d does not name a channel of this organization", field, i)
		}
		ids = append(ids, ch.ID)
	}
	return ids, nil
}

func (m *Mock) insertContact(tx *store.Tx, c *Contact) error {
	r := &store.Resource{Vendor: Vendor, Kind: kindContact, ID: c.ID, Doc: mustJSON(c), Keys: c.keys(nil)}
	if err := tx.Insert(r); err != nil {
		return err
	}
	return m.emit(tx, "contact.created", c)
}

// saveContact writes a changed contact, brings the contact keys of its
// conversations up to date (the conversation filters match the contact as
// it is now) and emits contact.updated.
func (m *Mock) saveContact(tx *store.Tx, c *Contact) error {
	c.UpdatedAt = ts(tx.Now())
	convs, err := tx.ListByKey(Vendor, kindConversation, "contact", c.ID)
	if err != nil {
		return err
	}
	var channels []string
	for _, r := range convs {
		conv, err := decode[Conversation](&r)
		if err != nil {
			return err
		}
		channels = append(channels, conv.ChannelID)
		if err := tx.SetKeys(Vendor, kindConversation, conv.ID, conversationContactKeys(c)...); err != nil {
			return err
		}
	}
	r := &store.Resource{Vendor: Vendor, Kind: kindContact, ID: c.ID, Doc: mustJSON(c), Keys: c.keys(channels)}
	if err := tx.Update(r); err != nil {
		return err
	}
	return m.emit(tx, "contact.updated", c)
}

// conversationContactKeys are the keys that filter conversations on their
// contact. Every name is present, empty when the contact has no such value
// (no filter matches an empty value), so that SetKeys clears old values.
func conversationContactKeys(c *Contact) []store.Key {
	email := ""
	if c.Email != nil {
		email = strings.ToLower(*c.Email)
	}
	return []store.Key{
		store.K("contact_phone", deref(c.Phone)),
		store.K("contact_email", email),
		store.T("contact_name", strings.ToLower(c.displayName())),
	}
}

func (m *Mock) getContactRecord(tx *store.Tx, id string) (*Contact, error) {
	r, err := tx.Get(Vendor, kindContact, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Contact")
	}
	if err != nil {
		return nil, err
	}
	return decode[Contact](r)
}

// listContacts serves GET /contacts.
func (m *Mock) listContacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := page(q, "limit", "offset")
	query := store.Query{Vendor: Vendor, Kind: kindContact, Limit: limit, Offset: offset, Count: true}
	if v := strings.TrimSpace(q.Get("name")); v != "" {
		query.Filters = append(query.Filters, store.Filter{Name: "name", Op: store.OpContains, Values: []string{strings.ToLower(v)}})
	}
	// email and phone match whole values, as conversations' contacts[]
	// filters do: an email in any case, a phone in any format that reads
	// as the same E.164 number. A blank filter is no filter, as for every
	// list; a phone filter that is not a phone number matches nothing.
	if v := strings.TrimSpace(q.Get("email")); v != "" {
		query.Filters = append(query.Filters, store.Filter{Name: "email", Values: []string{strings.ToLower(v)}})
	}
	if v := strings.TrimSpace(q.Get("phone")); v != "" {
		p, valid := phone.Normalize(v)
		if !valid {
			p = noMatch
		}
		query.Filters = append(query.Filters, store.Filter{Name: "phone", Values: []string{p}})
	}
	var err error
	if query.CreatedBefore, query.CreatedAfter, err = timeRange(q, "created_at"); err != nil {
		return err
	}
	return m.listInChannels(w, r, query)
}

// listInChannels lists query's resources, restricted to the channels named
// by channels[][id] and channels[][phone] (key "channel").
func (m *Mock) listInChannels(w http.ResponseWriter, r *http.Request, query store.Query) error {
	q := r.URL.Query()
	return m.list(w, r, func(tx *store.Tx) (store.Query, bool, error) {
		ids, none, err := m.channelFilter(tx, values(q, "channels[][id]"), values(q, "channels[][phone]"))
		if err != nil || none {
			return query, false, err
		}
		if len(ids) > 0 {
			query.Filters = append(query.Filters, store.Filter{Name: "channel", Values: ids})
		}
		return query, true, nil
	})
}

// channelFilter turns channels[][id] and channels[][phone] into channel
// ids. none reports that phones were given but none is a channel, so
// nothing can match.
func (m *Mock) channelFilter(tx *store.Tx, ids, phones []string) (out []string, none bool, err error) {
	out = append(out, ids...)
	for _, p := range phones {
		n, ok := phone.Normalize(p)
		if !ok {
			continue
		}
		if r, err := tx.Lookup(Vendor, kindChannel, "phone", n); err == nil {
			out = append(out, r.ID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, false, err
		}
	}
	return out, len(phones) > 0 && len(out) == len(ids) && len(ids) == 0, nil
}

// noMatch is a filter value no stored phone has.
const noMatch = "\x01"

// createContactHandler serves POST /contacts: 201 with the new contact, or
// 200 with the existing contact of that phone, unchanged.
func (m *Mock) createContactHandler(w http.ResponseWriter, r *http.Request) error {
	var in contactInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var doc []byte
	var created bool
	err := m.update(r.Context(), func(tx *store.Tx) error {
		c, isNew, err := m.createContact(tx, &in, nil)
		if err != nil {
			return err
		}
		created = isNew
		doc, err = withConversations(tx, mustJSON(c), c.ID)
		return err
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeDataRaw(w, status, doc)
	return nil
}

// getContact serves GET /contacts/{id}: the contact with its
// conversations, as POST /contacts answers it (the create fixture, W8,
// has them; [] when there are none).
func (m *Mock) getContact(w http.ResponseWriter, r *http.Request) error {
	var doc []byte
	err := m.view(r.Context(), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindContact, mocks.PathParam(r, "id"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Contact")
		}
		if err != nil {
			return err
		}
		doc, err = withConversations(tx, res.Doc, res.ID)
		return err
	})
	if err != nil {
		return err
	}
	writeDataRaw(w, http.StatusOK, doc)
	return nil
}

// withConversations splices the contact's conversations (oldest first)
// into its encoded document doc as "conversations".
func withConversations(tx *store.Tx, doc []byte, id string) ([]byte, error) {
	convs, err := tx.ListByKey(Vendor, kindConversation, "contact", id)
	if err != nil {
		return nil, err
	}
	doc = bytes.TrimSuffix(bytes.TrimSpace(doc), []byte("}"))
	n := len(doc) + 20
	for _, cv := range convs {
		n += len(cv.Doc) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, doc...)
	out = append(out, `,"conversations":[`...)
	for i, cv := range convs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, cv.Doc...)
	}
	return append(out, "]}"...), nil
}

// contactUpdate is the body of PUT /contacts/{id}; absent fields stay.
type contactUpdate struct {
	Phone      *string       `json:"phone"`
	Email      *string       `json:"email"`
	Name       *string       `json:"name"`
	FirstName  *string       `json:"first_name"`
	LastName   *string       `json:"last_name"`
	ExternalID *string       `json:"external_id"`
	Address    *addressInput `json:"address"`
	BirthDate  *BirthDate    `json:"birth_date"`
	Language   *string       `json:"language"`
}

// apply changes c; field prefixes error field names (for upserts).
func (u *contactUpdate) apply(tx *store.Tx, c *Contact, field string) error {
	if u.Phone != nil {
		p, err := normalizePhone(field+"phone", *u.Phone)
		if err != nil {
			return err
		}
		if c.Phone == nil || p != *c.Phone {
			if other, err := tx.Lookup(Vendor, kindContact, "phone", p); err == nil && other.ID != c.ID {
				return invalid(field+"phone", "%sphone has already been taken by another contact", field)
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			c.Phone = &p
		}
	}
	if u.Email != nil {
		c.Email = strPtr(strings.TrimSpace(*u.Email))
	}
	if u.ExternalID != nil {
		c.ExternalID = strPtr(*u.ExternalID)
	}
	if u.Address != nil {
		c.Address = u.Address.address()
	}
	if u.BirthDate != nil {
		c.BirthDate = u.BirthDate
	}
	if u.Name != nil || u.FirstName != nil || u.LastName != nil {
		// Given fields replace the stored ones and "" clears one. A name
		// alone brings its parts along; otherwise a part not given stays,
		// and without a name the name is rebuilt from the parts.
		name, first, last := deref(u.Name), deref(u.FirstName), deref(u.LastName)
		if u.Name == nil || u.FirstName != nil || u.LastName != nil {
			if u.FirstName == nil {
				first = deref(c.FirstName)
			}
			if u.LastName == nil {
				last = deref(c.LastName)
			}
		}
		c.Name, c.FirstName, c.LastName = nil, nil, nil
		setNames(c, name, first, last)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// updateContact serves PUT /contacts/{id}.
func (m *Mock) updateContact(w http.ResponseWriter, r *http.Request) error {
	var in contactUpdate
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var c *Contact
	err := m.update(r.Context(), func(tx *store.Tx) (err error) {
		if c, err = m.getContactRecord(tx, mocks.PathParam(r, "id")); err != nil {
			return err
		}
		if err := in.apply(tx, c, ""); err != nil {
			return err
		}
		return m.saveContact(tx, c)
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, c)
	return nil
}

// deleteContact serves DELETE /contacts/{id}: the contact goes, with its
// conversations and their messages.
func (m *Mock) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	err := m.update(r.Context(), func(tx *store.Tx) error {
		if err := tx.Delete(Vendor, kindContact, id); errors.Is(err, store.ErrNotFound) {
			return notFound("Contact")
		} else if err != nil {
			return err
		}
		convs, err := tx.ListByKey(Vendor, kindConversation, "contact", id)
		if err != nil {
			return err
		}
		for _, cv := range convs {
			msgs, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindMessage, Parent: cv.ID, HasParent: true})
			if err != nil {
				return err
			}
			for _, msg := range msgs {
				if err := tx.Delete(Vendor, kindMessage, msg.ID); err != nil {
					return err
				}
			}
			if err := tx.Delete(Vendor, kindConversation, cv.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, map[string]string{"id": id})
	return nil
}

// upsertInput is the body of POST /contacts/upsert.
type upsertInput struct {
	Contacts           []json.RawMessage `json:"contacts"`
	OptInToAllChannels bool              `json:"opt_in_to_all_channels"`
	OptInTo            []json.RawMessage `json:"opt_in_to"`
}

// upsertContacts serves POST /contacts/upsert: each contact is matched by
// phone (then external_id) and updated, or created.
func (m *Mock) upsertContacts(w http.ResponseWriter, r *http.Request) error {
	var in upsertInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var out []*Contact
	ctx := r.Context()
	if len(in.Contacts) > 1 {
		// Like a campaign, one bulk transaction (see sendCampaign).
		ctx = store.Bulk(ctx)
	}
	err := m.update(ctx, func(tx *store.Tx) error {
		for i, raw := range in.Contacts {
			field := fmt.Sprintf("contacts.%d.", i)
			var ci contactInput
			var cu contactUpdate
			if json.Unmarshal(raw, &ci) != nil || json.Unmarshal(raw, &cu) != nil {
				return invalid(field, "contacts.%d must be a contact object", i)
			}
			p, err := normalizePhone(field+"phone", ci.Phone)
			if err != nil {
				return err
			}
			existing, err := tx.Lookup(Vendor, kindContact, "phone", p)
			if errors.Is(err, store.ErrNotFound) && ci.ExternalID != "" {
				existing, err = tx.Lookup(Vendor, kindContact, "external_id", ci.ExternalID)
			}
			switch {
			case err == nil:
				c, err := decode[Contact](existing)
				if err != nil {
					return err
				}
				if err := cu.apply(tx, c, field); err != nil {
					return err
				}
				if err := m.saveContact(tx, c); err != nil {
					return err
				}
				out = append(out, c)
			case errors.Is(err, store.ErrNotFound):
				ci.OptInTo = append(ci.OptInTo, in.OptInTo...)
				ci.OptInToAllChannels = ci.OptInToAllChannels || in.OptInToAllChannels
				// Found by neither phone nor external id: new (p is
				// the normalised phone).
				c, err := m.insertNewContact(tx, &ci, p, nil, field+"phone")
				if err != nil {
					return err
				}
				out = append(out, c)
			default:
				return err
			}
		}
		// A phone given twice is one contact: every entry shows it as the
		// last one left it.
		last := make(map[string]*Contact, len(out))
		for _, c := range out {
			last[c.ID] = c
		}
		for i, c := range out {
			out[i] = last[c.ID]
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeDocs(w, http.StatusOK, out, len(out))
	return nil
}
