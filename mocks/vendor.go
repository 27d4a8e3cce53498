package mocks

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/store"
)

// Vendor is one emulated vendor, as the shared parts see it: the pipeline,
// the control API, the engine and the config loader know a vendor only
// through this interface, and the composition root (internal/app) holds the
// list of them. Adding a vendor is one package implementing it, its spec,
// its scenario files and one line of that list.
//
// The methods of config.Owner decode the vendor's configuration sections;
// they and Scenarios work before Open. Every other method is called after
// Open.
type Vendor interface {
	config.Owner

	// Open readies the vendor with its settings (what DecodeSettings
	// returned) and the shared services.
	Open(deps Deps) error
	// API describes the vendor's API, built from doc (its embedded spec,
	// specs.Load(Name())), which it may adjust first (a configured limit
	// replaces the spec's). doc is nil when specs holds no document of that
	// name: the API then brings its own Doc. Nil means the vendor serves no
	// API yet.
	API(doc *openapi3.T) *API
	// Credentials are where requests carry the vendor's credential, in the
	// order they are tried.
	Credentials() []CredentialSource
	// AutoWorkspace is the vendor's section of the workspace created on the
	// first use of an unknown credential of a kind ("" for the API
	// credential; see Workspaces.ResolveKind).
	AutoWorkspace(kind, credential string) config.VendorWorkspace
	// Seed writes the vendor's part of a workspace, from its section of the
	// definition (ws.Section(Name()), which may be nil: the defaults).
	Seed(tx *store.Tx, ws config.Workspace) error
	// Actions are the scenario steps the vendor's timelines use, by name.
	Actions() map[string]ActionSpec
	// MagicNumbers are the destination numbers that select a scenario.
	MagicNumbers() []MagicNumber
	// Scenarios are the vendor's built-in scenario files: the *.yaml files
	// at the root (by convention one, <vendor>.yaml), embedded by the
	// vendor's package. Nil means none.
	Scenarios() fs.FS
	// Delivery is how the vendor signs and retries its webhooks.
	Delivery() DeliveryPolicy
	// EventTypes lists the webhook event types the vendor emits.
	EventTypes() []string
	// Simulators are control-API operations that play the vendor's other
	// side (an inbound message, a room participant), by operationId. They
	// run with the selected workspace.
	Simulators() map[string]Handler
	// SimulatorSpec is the OpenAPI of Simulators: YAML with their paths
	// (under the control API's prefix) and, optionally, components, merged
	// into specs/sandbox.yaml at start (specs.Fragment; its $refs may name
	// that document's components). A path or component that is already
	// defined stops the start. Nil means none.
	SimulatorSpec() []byte
}

// Deps are the shared services a vendor uses.
type Deps struct {
	DB         *store.DB
	Workspaces *Workspaces
	// Scenarios starts timelines; nil leaves state as it is.
	Scenarios Scenarios
	Logger    *slog.Logger
	// Seed varies seeded fake data (the same seed, the same data).
	Seed int64
	// Settings is what the vendor's DecodeSettings returned.
	Settings any
}

// CredentialSource is one place a request carries a vendor credential.
type CredentialSource struct {
	// Header names the header that holds the credential.
	Header string
	// Scheme, with Header, is the authentication scheme before the
	// credential ("Bearer" in "Authorization: Bearer <key>"); it matches
	// in any case (RFC 9110 §11.1).
	Scheme string
	// Param names a query or form body parameter that holds it.
	Param string
	// Existing marks a credential that only a vendor call hands out (a
	// session from a login): an unknown one never creates a workspace.
	Existing bool
}

// Read returns the credential r carries at this place, or "".
func (c CredentialSource) Read(r *http.Request) string {
	if c.Param != "" {
		return strings.TrimSpace(Params(r).Get(c.Param))
	}
	v := r.Header.Get(c.Header)
	if c.Scheme != "" {
		scheme, rest, ok := strings.Cut(strings.TrimLeft(v, " "), " ")
		if !ok || !strings.EqualFold(scheme, c.Scheme) {
			return ""
		}
		v = rest
	}
	return strings.TrimSpace(v)
}

// Shared reports whether two places are the same, so that a credential
// found there may be either vendor's.
func (c CredentialSource) Shared(o CredentialSource) bool {
	return strings.EqualFold(c.Header, o.Header) && strings.EqualFold(c.Scheme, o.Scheme) && c.Param == o.Param
}

// ActionSpec is one kind of scenario step.
type ActionSpec struct {
	// Run changes state and emits events in the workspace's transaction.
	Run Action
	// Params check, by param name, the values a run's steps will get for
	// the params this action looks up, so that a run asked for with a value
	// that refers to nothing is refused up front. A check returns an error
	// wrapping store.ErrNotFound for such a value.
	Params map[string]func(tx *store.Tx, value string) error
	// Step, when set, checks the values a scenario file's step of this
	// action sets ("with"), when the file is loaded.
	Step func(with map[string]string) error
}

// MagicNumber maps a destination number in the fictional NANP range
// NXX-555-0100..0199 to the scenario it plays.
type MagicNumber struct {
	// Suffix is the last two digits ("01" for NXX-555-0101).
	Suffix string
	// Trigger is what the number is the destination of ("sms").
	Trigger     string
	Scenario    string
	Description string
}

// Signer signs one webhook delivery attempt, at send time, with the
// endpoint's secret.
type Signer interface {
	Sign(h http.Header, body []byte, secret string, now time.Time) error
}

// DeliveryPolicy is how a vendor delivers webhooks.
type DeliveryPolicy struct {
	Retry config.RetryPolicy
	// Signer signs attempts; nil sends them unsigned.
	Signer Signer
	// Header is added to every attempt (Content-Type, User-Agent).
	Header http.Header
}

// EventExamples is implemented by a vendor that can build an example body
// of each of its event types, as it would deliver it (vendorsim invoke
// sends one to any URL).
type EventExamples interface {
	ExampleEvent(eventType string) ([]byte, error)
}

// ScenarioFiles returns the scenario files a vendor package embeds under
// scenarios/ (//go:embed scenarios/*.yaml), at the root of the file system
// as Vendor.Scenarios hands them.
func ScenarioFiles(embedded fs.FS) fs.FS {
	sub, err := fs.Sub(embedded, "scenarios")
	if err != nil {
		return nil // not reached: fs.Sub fails only for an invalid name
	}
	return sub
}
