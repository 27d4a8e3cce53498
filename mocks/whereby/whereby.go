// Package whereby emulates the Whereby Embedded REST API
// (api.whereby.dev/v1): meetings, recordings, transcriptions, summaries,
// room themes and insights, with signed webhooks from room sessions that
// tests play through the control API (room.go) or scenarios (actions.go).
//
// The behaviour follows the facts gathered in the project's vendor notes
// (VENDORS.md §3); the facts marked there as inferred (how long a room
// waits before a session ends, processing times, the rate limit) are
// settings (config.go).
package whereby

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Vendor is the vendor's name.
const Vendor = "whereby"

// Mock is the Whereby emulation. It implements mocks.Vendor.
type Mock struct {
	cfg     *Config
	db      *store.DB
	ws      *mocks.Workspaces
	scen    mocks.Scenarios
	log     *slog.Logger
	seed    int64
	limiter *rateLimiter
	// subdomains caches each workspace's subdomain (see subdomain).
	subdomains sync.Map
	// sweeps holds each workspace's next sweep of expired meetings (see
	// scheduleSweep).
	sweeps sync.Map
}

var _ mocks.Vendor = (*Mock)(nil)

// New returns the Whereby mock; it serves once Open gives it its settings
// and services.
func New() *Mock { return &Mock{cfg: DefaultConfig(), log: slog.New(slog.DiscardHandler)} }

// Name implements mocks.Vendor.
func (m *Mock) Name() string { return Vendor }

// DecodeSettings implements config.Owner.
func (m *Mock) DecodeSettings(s *config.Section) (any, error) {
	return config.DecodeSettings(s, DefaultConfig(), (*Config).validate)
}

// ValidateSettings implements config.Owner.
func (m *Mock) ValidateSettings(v any) error {
	_, err := config.SettingsAs(v, DefaultConfig, (*Config).validate)
	return err
}

// DecodeWorkspace implements config.Owner.
func (m *Mock) DecodeWorkspace(s *config.Section) (config.VendorWorkspace, error) {
	return config.DecodeWorkspaceAs[WorkspaceConfig](s)
}

// Open implements mocks.Vendor.
func (m *Mock) Open(d mocks.Deps) error {
	cfg, err := config.SettingsAs(d.Settings, DefaultConfig, (*Config).validate)
	if err != nil {
		return fmt.Errorf("whereby: %w", err)
	}
	m.cfg = cfg
	if d.Logger != nil {
		m.log = d.Logger.With("vendor", Vendor)
	}
	m.db, m.ws, m.scen, m.seed = d.DB, d.Workspaces, d.Scenarios, d.Seed
	if m.cfg.RateLimit.PointsPerMinute > 0 {
		m.limiter = newRateLimiter(m.cfg.RateLimit)
	}
	return nil
}

// API implements mocks.Vendor: served under /whereby/v1 and on Whereby's
// host with its /v1 base path.
func (m *Mock) API(doc *openapi3.T) *mocks.API {
	auth, identify := m.ws.Authenticator(Vendor, m.Credentials())
	api := &mocks.API{
		Name:         Vendor,
		Doc:          doc,
		Prefix:       "/whereby/v1",
		Hosts:        []string{"api.whereby.dev"},
		HostPrefix:   "/v1",
		Authenticate: auth,
		Identify:     identify,
		Credentials:  m.Credentials(),
		Handlers:     m.handlers(),
		WriteError:   writeError,
		Cacheable:    cacheable,
		RoutePath:    roomPath,
	}
	if m.limiter != nil {
		api.Wrap = m.limiter.wrap
	}
	return api
}

// roomPath keeps a room name's leading slash inside its path segment: a
// client that sends /rooms//demo-1/theme/logo (the name as it is, as the
// vendor's reference shows it) means /rooms/%2Fdemo-1/theme/logo.
func roomPath(escaped string) string {
	const rooms = "/whereby/v1/rooms//"
	if rest, ok := strings.CutPrefix(escaped, rooms); ok {
		return rooms[:len(rooms)-1] + "%2F" + rest
	}
	return escaped
}

// Credentials implements mocks.Vendor: "Authorization: Bearer <key>".
func (m *Mock) Credentials() []mocks.CredentialSource {
	return []mocks.CredentialSource{{Header: "Authorization", Scheme: "Bearer"}}
}

// AutoWorkspace implements mocks.Vendor: the key is the workspace's.
func (m *Mock) AutoWorkspace(_, credential string) config.VendorWorkspace {
	return &WorkspaceConfig{APIKeys: []string{credential}}
}

// organization is what a workspace's definition says about it.
type organization struct {
	Subdomain string `json:"subdomain"`
}

// Seed implements mocks.Vendor: the workspace's subdomain.
func (m *Mock) Seed(tx *store.Tx, def config.Workspace) error {
	s, _ := def.Section(Vendor).(*WorkspaceConfig)
	org := organization{Subdomain: m.cfg.Subdomain}
	if s != nil && s.Subdomain != "" {
		org.Subdomain = s.Subdomain
	}
	ws := tx.Workspace()
	tx.OnCommit(func() {
		m.subdomains.Delete(ws)
		m.sweeps.Delete(ws) // a reset cancelled the workspace's jobs
	})
	return tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindOrganization, ID: "organization", Doc: mustJSON(org)})
}

// subdomain returns the workspace's subdomain of whereby.com.
func (m *Mock) subdomain(tx *store.Tx) string {
	ws := tx.Workspace()
	if v, ok := m.subdomains.Load(ws); ok {
		return v.(string)
	}
	sub := m.cfg.Subdomain
	if r, err := tx.Get(Vendor, kindOrganization, "organization"); err == nil {
		if org, err := decode[organization](r); err == nil && org.Subdomain != "" {
			sub = org.Subdomain
		}
	}
	m.subdomains.Store(ws, sub)
	return sub
}

// signature is Whereby's documented scheme: Whereby-Signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
var signature = config.Signature{Header: "Whereby-Signature", TimestampKey: "t", SignatureKey: "v1", Encoding: "hex", TimestampUnit: "s"}

// Delivery implements mocks.Vendor.
func (m *Mock) Delivery() mocks.DeliveryPolicy {
	return mocks.DeliveryPolicy{
		Retry:  m.cfg.Retry,
		Signer: mocks.NewSigner(signature),
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Whereby-Webhooks/1.0"}},
	}
}

// EventTypes implements mocks.Vendor: the eleven documented event types.
func (m *Mock) EventTypes() []string { return EventTypes }

// EventTypes are the webhook events Whereby sends (VENDORS.md §3.7).
var EventTypes = []string{
	"room.client.joined", "room.client.left", "room.client.knocked", "room.client.knockCancelled",
	"room.session.started", "room.session.ended",
	"recording.finished", "transcription.started", "transcription.finished", "transcription.failed",
	"assistant.requested",
}

// view runs fn in a read transaction of the request's workspace.
func (m *Mock) view(ctx context.Context, fn func(*store.Tx) error) error {
	return m.db.View(ctx, mocks.Workspace(ctx), fn)
}

// update runs fn in a write transaction of the request's workspace.
func (m *Mock) update(ctx context.Context, fn func(*store.Tx) error) error {
	return m.db.Update(ctx, mocks.Workspace(ctx), fn)
}

// stableNumber derives a number below n from parts.
func stableNumber(n uint64, parts ...string) uint64 {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return binary.BigEndian.Uint64(sum[:8]) % n
}

// millis formats t as the vendor does: UTC with milliseconds.
func millis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// parseMillis reads a time written by millis.
func parseMillis(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// stableUUID derives a UUID (version 4 layout) from parts.
func stableUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	sum[6] = (sum[6] & 0x0f) | 0x40
	sum[8] = (sum[8] & 0x3f) | 0x80
	id, _ := uuid.FromBytes(sum[:16])
	return id.String()
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
