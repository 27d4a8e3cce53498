package zipwhip

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// insertSession stores a session key of an account and maps it to the
// workspace, so that it authenticates once the transaction commits.
func insertSession(tx *store.Tx, key string, a *account) error {
	if err := storeSession(tx, key, a); err != nil {
		return err
	}
	return tx.AddCredential(mocks.CredentialKey(Vendor, ""), key)
}

// storeSession stores a session key's account (a configured key is the
// workspace's credential already).
func storeSession(tx *store.Tx, key string, a *account) error {
	s := session{Key: key, Username: a.Username, Line: a.Line, DeviceID: a.DeviceID, UserID: a.UserID}
	return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindSession, ID: key, Doc: mustJSON(s)})
}

// accountByUsername finds a workspace's account by a username in any form.
func accountByUsername(tx *store.Tx, username string) (*account, error) {
	for _, f := range usernameForms(username) {
		r, err := tx.Lookup(Vendor, kindAccount, "username", f)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return decode[account](r)
	}
	return nil, store.ErrNotFound
}

// sessionOf returns the account the request's session key belongs to.
func sessionOf(tx *store.Tx, r *http.Request) (*session, error) {
	key := param(r, "session")
	res, err := tx.Get(Vendor, kindSession, key)
	if errors.Is(err, store.ErrNotFound) {
		// The key still maps to the workspace (a reset keeps credentials)
		// but its record is gone: the key's device id names the account.
		return sessionByDevice(tx, key)
	}
	if err != nil {
		return nil, err
	}
	return decode[session](res)
}

func sessionByDevice(tx *store.Tx, key string) (*session, error) {
	_, device, _ := strings.Cut(key, ":")
	res, err := tx.Lookup(Vendor, kindAccount, "device", device)
	if errors.Is(err, store.ErrNotFound) {
		return nil, mocks.FieldFail(mocks.EUNAUTHENTICATED, "session", "session is not a valid session key (log in with user/login)")
	}
	if err != nil {
		return nil, err
	}
	a, err := decode[account](res)
	if err != nil {
		return nil, err
	}
	return &session{Key: key, Username: a.Username, Line: a.Line, DeviceID: a.DeviceID, UserID: a.UserID}, nil
}

// login serves user/login: a new session key <uuid>:<deviceId> for the
// account. Session keys do not expire.
func (m *Mock) login(w http.ResponseWriter, r *http.Request) error {
	if mocks.Workspace(r.Context()) == "" {
		return badLogin()
	}
	username, password := param(r, "username"), mocks.Params(r).Get("password")
	var key string
	err := m.update(r.Context(), func(tx *store.Tx) error {
		a, err := accountByUsername(tx, username)
		if errors.Is(err, store.ErrNotFound) {
			return badLogin()
		}
		if err != nil {
			return err
		}
		if a.Password != "" && a.Password != password {
			return badLogin()
		}
		key = fmt.Sprintf("%s:%d", uuid.NewString(), a.DeviceID)
		return insertSession(tx, key, a)
	})
	if err != nil {
		return err
	}
	return ok(w, key)
}

// logout serves user/logout: the session key stops working.
func (m *Mock) logout(w http.ResponseWriter, r *http.Request) error {
	key := param(r, "session")
	err := m.update(r.Context(), func(tx *store.Tx) error {
		if err := tx.Delete(Vendor, kindSession, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.RemoveCredential(mocks.CredentialKey(Vendor, ""), key)
	})
	if err != nil {
		return err
	}
	m.ended.add(strings.TrimSpace(key), mocks.Workspace(r.Context()))
	return ok(w, nil)
}

// user is user/get's user object.
type user struct {
	ID           int64   `json:"id"`
	DeviceID     int64   `json:"deviceId"`
	FirstName    *string `json:"firstName"`
	LastName     *string `json:"lastName"`
	MobileNumber string  `json:"mobileNumber"`
	PhoneKey     string  `json:"phoneKey"`
	Email        *string `json:"email"`
	Carrier      string  `json:"carrier"`
	DateCreated  string  `json:"dateCreated"`
	LastUpdated  string  `json:"lastUpdated"`
}

// userGet serves user/get: the session's user, its settings and groups.
func (m *Mock) userGet(w http.ResponseWriter, r *http.Request) error {
	var out map[string]any
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		res, err := tx.Get(Vendor, kindAccount, s.Line)
		if err != nil {
			return err
		}
		a, err := decode[account](res)
		if err != nil {
			return err
		}
		u := user{ID: a.UserID, DeviceID: a.DeviceID, FirstName: strPtr(a.FirstName), LastName: strPtr(a.LastName),
			MobileNumber: a.Line, PhoneKey: a.Line, Carrier: "Zipwhip", DateCreated: a.Created, LastUpdated: a.Created}
		out = map[string]any{
			"user":     u,
			"settings": map[string]any{"signature": nil, "tollFree": isTollFree(a.Line)},
			"groups":   []any{},
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}
