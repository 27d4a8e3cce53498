package zipwhip

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// contactKey scopes a contact's number to its line.
func contactKey(line, number string) string { return line + "|" + number }

// contactFor returns the line's contact of number, created when new.
func (m *Mock) contactFor(tx *store.Tx, line, number string, device int64) (*Contact, error) {
	res, err := tx.Lookup(Vendor, kindContact, "address", contactKey(line, number))
	if err == nil {
		return decode[Contact](res)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	n, err := tx.NextSeq("zipwhip.contact")
	if err != nil {
		return nil, err
	}
	now := date(tx.Now())
	c := &Contact{Address: ptn(number), DateCreated: now, LastUpdated: now, DeviceID: device, ID: contactIDBase + n,
		MobileNumber: number, PhoneID: contactIDBase + n, Version: 1}
	err = tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindContact, ID: strconv.FormatInt(c.ID, 10), Parent: line, Doc: mustJSON(c),
		Keys: []store.Key{store.K("address", contactKey(line, number))}})
	return c, err
}

// lineContact returns contact id of the line.
func lineContact(tx *store.Tx, line, id string) (*Contact, error) {
	res, err := tx.Get(Vendor, kindContact, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && res.Parent != line) {
		return nil, notFound("contact", "contact %s is not a contact of this line", clip(id))
	}
	if err != nil {
		return nil, err
	}
	return decode[Contact](res)
}

// listContacts serves contact/list: pages from 1 (0 reads as 1).
func (m *Mock) listContacts(w http.ResponseWriter, r *http.Request) error {
	pageNo := max(1, intParam(r, "page", 1))
	size := intParam(r, "pageSize", 20)
	if size <= 0 {
		size = 20
	}
	var docs [][]byte
	var total int
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		list, n, err := tx.List(store.Query{Vendor: Vendor, Kind: kindContact, Parent: s.Line, HasParent: true, Asc: true,
			Limit: size, Offset: (pageNo - 1) * size, Count: true})
		if err != nil {
			return err
		}
		total = n
		for _, res := range list {
			docs = append(docs, res.Doc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	pages := (total + size - 1) / size
	b := append([]byte(nil), `{"total":`+strconv.Itoa(total)+`,"response":`...)
	b = appendArray(b, docs)
	b = append(b, `,"page":`+strconv.Itoa(pageNo)+`,"pages":`+strconv.Itoa(pages)+`,"success":true}`...)
	mocks.WriteRaw(w, http.StatusOK, b)
	return nil
}

func appendArray(b []byte, docs [][]byte) []byte {
	b = append(b, '[')
	for i, d := range docs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	return append(b, ']')
}

// saveContact serves contact/save: the line's contact of address, created
// or updated with the fields given.
func (m *Mock) saveContact(w http.ResponseWriter, r *http.Request) error {
	number, valid := normalize(param(r, "address"))
	if !valid {
		return invalid("address", "address %q is not a phone number (E.164, 10-digit, or ptn:/ followed by either)", clip(param(r, "address")))
	}
	p := mocks.Params(r)
	var c *Contact
	err := m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		if c, err = m.contactFor(tx, s.Line, number, s.DeviceID); err != nil {
			return err
		}
		set := func(name string, f **string) {
			if _, given := p[name]; given {
				*f = strPtr(p.Get(name))
			}
		}
		set("firstName", &c.FirstName)
		set("lastName", &c.LastName)
		set("email", &c.Email)
		set("notes", &c.Notes)
		set("city", &c.City)
		set("state", &c.State)
		set("loc", &c.Loc)
		c.LastUpdated = date(tx.Now())
		c.Version++
		return tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindContact, ID: strconv.FormatInt(c.ID, 10), Doc: mustJSON(c)})
	})
	if err != nil {
		return err
	}
	return ok(w, c)
}

func (m *Mock) getContact(w http.ResponseWriter, r *http.Request) error {
	if _, err := idParam(r, "contact"); err != nil {
		return err
	}
	var c *Contact
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		c, err = lineContact(tx, s.Line, param(r, "contact"))
		return err
	})
	if err != nil {
		return err
	}
	return ok(w, c)
}

// deleteContact serves contact/delete (its messages stay).
func (m *Mock) deleteContact(w http.ResponseWriter, r *http.Request) error {
	if _, err := idParam(r, "contact"); err != nil {
		return err
	}
	err := m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		if _, err := lineContact(tx, s.Line, param(r, "contact")); err != nil {
			return err
		}
		return tx.Delete(Vendor, kindContact, param(r, "contact"))
	})
	if err != nil {
		return err
	}
	return ok(w, false)
}

// optedOut reports whether number texted STOP to line (and not UNSTOP
// since).
func optedOut(tx *store.Tx, line, number string) (bool, error) {
	_, err := tx.Get(Vendor, kindOptOut, contactKey(line, number))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
