// Package whippy emulates the Whippy REST API (api.whippy.co/v1): SMS, email,
// fax and notes, contacts, conversations, campaigns, sequences, channels,
// users, custom events and the developer applications and endpoints that
// register webhooks.
//
// The behaviour follows the facts gathered in the project's vendor notes; the
// facts marked there as inferred (initial delivery status, body limit, rate
// limits, signature format, retry policy) come from config.Whippy.
package whippy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Mock is the Whippy emulation. It implements mocks.Vendor.
type Mock struct {
	db      *store.DB
	ws      *mocks.Workspaces
	cfg     *Config
	log     *slog.Logger
	scen    mocks.Scenarios
	seed    int64
	limiter *rateLimiter
	// channels spares decoding the same channel for every send.
	channels channelMemo
	// runs counts the runs of the cacheable reads' handlers.
	runs handlerRuns
}

var (
	_ mocks.Vendor              = (*Mock)(nil)
	_ config.WorkspaceValidator = (*Mock)(nil)
)

// New returns the Whippy mock; it serves once Open gives it its settings
// and services.
func New() *Mock { return &Mock{cfg: DefaultConfig(), log: slog.New(slog.DiscardHandler)} }

// Name implements mocks.Vendor.
func (m *Mock) Name() string { return Vendor }

// Open implements mocks.Vendor.
func (m *Mock) Open(d mocks.Deps) error {
	cfg, err := config.SettingsAs(d.Settings, DefaultConfig, (*Config).validate)
	if err != nil {
		return fmt.Errorf("whippy: %w", err)
	}
	m.cfg = cfg
	if d.Logger != nil {
		m.log = d.Logger.With("vendor", Vendor)
	}
	m.db, m.ws, m.scen, m.seed = d.DB, d.Workspaces, d.Scenarios, d.Seed
	if m.cfg.RateLimit.Enabled {
		m.limiter = newRateLimiter(m.cfg.RateLimit, m.apiKey)
	}
	return nil
}

// API implements mocks.Vendor: served under /whippy/v1 and on Whippy's
// host with its /v1 base path.
func (m *Mock) API(doc *openapi3.T) *mocks.API {
	auth, identify := m.ws.Authenticator(Vendor, m.Credentials())
	api := &mocks.API{
		Name:         Vendor,
		Doc:          doc,
		Prefix:       "/whippy/v1",
		Hosts:        []string{"api.whippy.co"},
		HostPrefix:   "/v1",
		Authenticate: auth,
		Identify:     identify,
		Credentials:  m.Credentials(),
		Handlers:     m.handlers(),
		WriteError:   writeError,
		Cacheable:    cacheable,
		PathParam:    canonicalID,
	}
	if m.cfg.MethodNotAllowed == http.StatusNotFound {
		// Phoenix's router answers 404 for a method a path lacks.
		api.MethodNotAllowed = mocks.ENOTFOUND
	}
	if m.limiter != nil {
		api.Wrap = m.limiter.wrap
	}
	return api
}

// Credentials implements mocks.Vendor: X-WHIPPY-KEY (header names are
// case-insensitive; Whippy's docs spell it X-Whippy-Key), else, when
// whippy.bearer_auth allows it, an "Authorization: Bearer" token.
func (m *Mock) Credentials() []mocks.CredentialSource {
	src := []mocks.CredentialSource{{Header: "X-Whippy-Key"}}
	if m.cfg.BearerAuth {
		src = append(src, mocks.CredentialSource{Header: "Authorization", Scheme: "Bearer"})
	}
	return src
}

// apiKey returns the key of the request, or "".
func (m *Mock) apiKey(r *http.Request) string {
	for _, src := range m.Credentials() {
		if k := src.Read(r); k != "" {
			return k
		}
	}
	return ""
}

// AutoWorkspace implements mocks.Vendor: the key is the workspace's.
func (m *Mock) AutoWorkspace(_, credential string) config.VendorWorkspace {
	return &WorkspaceConfig{APIKeys: []string{credential}}
}

// Delivery implements mocks.Vendor.
func (m *Mock) Delivery() mocks.DeliveryPolicy {
	return mocks.DeliveryPolicy{
		Retry:  m.cfg.Retry,
		Signer: mocks.NewSigner(m.cfg.Signature),
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Whippy-Webhooks/1.0"}},
	}
}

// EventTypes implements mocks.Vendor.
func (m *Mock) EventTypes() []string { return EventTypes }

// Simulators implements mocks.Vendor.
func (m *Mock) Simulators() map[string]mocks.Handler {
	return map[string]mocks.Handler{"simulateWhippyInbound": m.SimulateInbound}
}

// stableUUID derives a UUID (version 4 layout) from parts, so that seeded
// resources keep their ids across resets.
func stableUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	sum[6] = (sum[6] & 0x0f) | 0x40
	sum[8] = (sum[8] & 0x3f) | 0x80
	id, _ := uuid.FromBytes(sum[:16])
	return id.String()
}

func newID() string { return uuid.NewString() }

// canonicalID writes a UUID path parameter in lower case, as Whippy's ids
// are stored: PostgreSQL's uuid type reads any case, so an id in upper case
// names the same resource. Other values are left as sent.
func canonicalID(_, v string) string {
	if len(v) != 36 || strings.ToLower(v) == v {
		return v
	}
	if id, err := uuid.Parse(v); err == nil {
		return id.String()
	}
	return v
}

// seedFaker returns a faker seeded from the server's seed and the workspace
// id, so seed data is the same every time a workspace is created or reset.
func seedFaker(seed int64, ws string) *gofakeit.Faker {
	sum := sha256.Sum256(fmt.Appendf(nil, "whippy-seed\x00%d\x00%s", seed, ws))
	var s uint64
	for _, b := range sum[:8] {
		s = s<<8 | uint64(b)
	}
	if s == 0 {
		s = 1
	}
	return gofakeit.New(s)
}

// Seed implements mocks.Vendor: the workspace's Whippy organization,
// channels, users and contacts. An empty section gets defaults: one phone
// channel, one admin user, an organization named after a fake company, and
// one sequence.
func (m *Mock) Seed(tx *store.Tx, def config.Workspace) error {
	ws := tx.Workspace()
	f := seedFaker(m.seed, ws)
	s, _ := def.Section(Vendor).(*WorkspaceConfig)
	if s == nil {
		s = &WorkspaceConfig{}
	}
	org := Organization{ID: stableUUID(ws, "organization"), Name: f.Company()}
	if s.Organization != nil {
		if s.Organization.ID != "" {
			org.ID = s.Organization.ID
		}
		if s.Organization.Name != "" {
			org.Name = s.Organization.Name
		}
	}
	if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindOrganization, ID: org.ID, Doc: mustJSON(org)}); err != nil {
		return err
	}
	chans := s.Channels
	if len(chans) == 0 {
		chans = []ChannelSeed{{Name: f.City() + " Office", Type: "phone", Phone: defaultChannelPhone(ws)}}
	}
	var userChans []UserChannel
	for i, c := range chans {
		ch := seedChannel(ws, i, c, f)
		if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindChannel, ID: ch.ID, Doc: mustJSON(ch),
			CreatedAt: tx.Now().Add(microsteps(i)), Keys: channelKeys(ch)}); err != nil {
			return fmt.Errorf("seed channel %d: %w", i, err)
		}
		userChans = append(userChans, UserChannel{ID: ch.ID, Name: ch.Name, Phone: ch.Phone, Address: ch.Address, State: "enabled", Type: ch.Type})
	}
	users := s.Users
	if len(users) == 0 {
		users = []UserSeed{{Name: f.Name(), Role: "admin"}}
	}
	for i, u := range users {
		user := User{ID: u.ID, Name: u.Name, Email: u.Email, Phone: strPtr(u.Phone), Role: u.Role, State: "enabled", Channels: userChans}
		if user.ID == 0 {
			id, err := tx.NextSeq("whippy.user")
			if err != nil {
				return err
			}
			user.ID = id
		}
		if user.Name == "" {
			user.Name = f.Name()
		}
		if user.Email == "" {
			user.Email = strings.ToLower(strings.ReplaceAll(user.Name, " ", ".")) + "@example.com"
		}
		if user.Role == "" {
			user.Role = "user"
		}
		if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindUser, ID: fmt.Sprint(user.ID), Doc: mustJSON(user),
			CreatedAt: tx.Now().Add(microsteps(i)), Keys: userKeys(&user)}); err != nil {
			return fmt.Errorf("seed user %d: %w", i, err)
		}
	}
	for i, c := range s.Contacts {
		in := contactInput{Phone: c.Phone, Name: c.Name, Email: c.Email}
		if _, _, err := m.createContact(tx, &in, nil); err != nil {
			return fmt.Errorf("seed contact %d: %w", i, err)
		}
	}
	if err := seedSequence(tx, ws); err != nil {
		return err
	}
	for i, a := range s.Applications {
		key := a.APIKey
		if key == "" && len(s.APIKeys) > 0 {
			key = s.APIKeys[0]
		}
		app, err := m.insertApplication(tx, key, applicationInput{Name: a.Name})
		if err != nil {
			return fmt.Errorf("seed application %d: %w", i, err)
		}
		for j, e := range a.Endpoints {
			if _, err := m.insertEndpoint(tx, app, endpointInput{URL: e.URL, EventTypes: e.EventTypes}); err != nil {
				return fmt.Errorf("seed application %d endpoint %d: %w", i, j, err)
			}
		}
	}
	return nil
}

// defaultChannelPhone derives a workspace's default channel number: a San
// Francisco 555 number outside the magic range 555-0100..0199.
func defaultChannelPhone(ws string) string {
	sum := sha256.Sum256([]byte("channel\x00" + ws))
	n := 2000 + (int(sum[0])<<8|int(sum[1]))%8000
	return fmt.Sprintf("+1415555%04d", n)
}

func seedChannel(ws string, i int, c ChannelSeed, f *gofakeit.Faker) Channel {
	ch := Channel{
		ID:                        c.ID,
		Name:                      c.Name,
		Type:                      c.Type,
		Timezone:                  strPtr(c.Timezone),
		Address:                   strPtr(c.Address),
		SendAutomaticResponseWhen: "never",
		State:                     "enabled",
		OpeningHours:              []OpeningHours{},
	}
	if ch.ID == "" {
		ch.ID = stableUUID(ws, "channel", fmt.Sprint(i))
	}
	if ch.Type == "" {
		ch.Type = "phone"
	}
	if ch.Type == "email" {
		ch.Email = strPtr(c.Email)
	} else {
		ch.Phone = strPtr(c.Phone)
	}
	if ch.Name == "" {
		ch.Name = f.City() + " Office"
	}
	if ch.Timezone == nil {
		ch.Timezone = strPtr("America/Los_Angeles")
	}
	if ch.Address == nil {
		ch.Address = strPtr(f.Street() + ", " + f.City())
	}
	for _, d := range []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"} {
		ch.OpeningHours = append(ch.OpeningHours, OpeningHours{Weekday: d, OpensAt: "09:00", ClosesAt: "17:00", State: "open"})
	}
	return ch
}

func channelKeys(ch Channel) []store.Key {
	ks := []store.Key{store.K("type", ch.Type)}
	if ch.Phone != nil {
		ks = append(ks, store.K("phone", *ch.Phone))
	}
	if ch.Email != nil {
		ks = append(ks, store.K("email", strings.ToLower(*ch.Email)))
	}
	return ks
}

func userKeys(u *User) []store.Key {
	return []store.Key{
		store.T("name", strings.ToLower(u.Name)),
		store.T("email", strings.ToLower(u.Email)),
		store.K("role", u.Role),
		store.K("state", u.State),
	}
}

// microsteps spaces seeded rows by a microsecond each so that they list in
// seed order.
func microsteps(i int) time.Duration { return time.Duration(i) * time.Microsecond }

// organization returns the workspace's organization.
func organization(tx *store.Tx) (*Organization, error) {
	list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindOrganization, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, store.ErrNotFound
	}
	return decode[Organization](&list[0])
}

// view runs fn in a read transaction of the request's workspace.
func (m *Mock) view(ctx context.Context, fn func(*store.Tx) error) error {
	return m.db.View(ctx, mocks.Workspace(ctx), fn)
}

// update runs fn in a write transaction of the request's workspace.
func (m *Mock) update(ctx context.Context, fn func(*store.Tx) error) error {
	return m.db.Update(ctx, mocks.Workspace(ctx), fn)
}
