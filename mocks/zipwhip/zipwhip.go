// Package zipwhip emulates the Zipwhip API (api.zipwhip.com): session
// login, messages with their status progressions, webhooks, contacts and
// conversations.
//
// Calls are RPC-style /<noun>/<verb> paths whose parameters come as a form
// body, a query string or both, by GET or POST; answers are the envelope
// {"success":...,"response":...}. The facts marked inferred in the
// project's vendor notes (failure status, body limits, opt-out keywords)
// come from Config.
package zipwhip

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// Vendor is the vendor's name.
const Vendor = "zipwhip"

// Mock is the Zipwhip emulation. It implements mocks.Vendor.
type Mock struct {
	cfg  *Config
	db   *store.DB
	ws   *mocks.Workspaces
	scen mocks.Scenarios
	log  *slog.Logger
	// optOut and optIn are the configured keywords, upper case.
	optOut, optIn map[string]bool
	// ended are the sessions user/logout ended, for the journal.
	ended endedSessions
}

var _ mocks.Vendor = (*Mock)(nil)

// New returns the Zipwhip mock; it serves once Open gives it its settings
// and services.
func New() *Mock {
	m := &Mock{log: slog.New(slog.DiscardHandler)}
	m.setConfig(DefaultConfig())
	return m
}

func (m *Mock) setConfig(c *Config) {
	m.cfg = c
	m.optOut, m.optIn = map[string]bool{}, map[string]bool{}
	for _, w := range c.OptOutWords {
		m.optOut[strings.ToUpper(strings.TrimSpace(w))] = true
	}
	for _, w := range c.OptInWords {
		m.optIn[strings.ToUpper(strings.TrimSpace(w))] = true
	}
}

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
		return fmt.Errorf("zipwhip: %w", err)
	}
	m.setConfig(cfg)
	if d.Logger != nil {
		m.log = d.Logger.With("vendor", Vendor)
	}
	m.db, m.ws, m.scen = d.DB, d.Workspaces, d.Scenarios
	return nil
}

// API implements mocks.Vendor: served under /zipwhip and on Zipwhip's host
// with its own paths. Parameters come as a form body, a query string or
// both, merged.
func (m *Mock) API(doc *openapi3.T) *mocks.API {
	auth, identify := m.ws.Authenticator(Vendor, m.Credentials())
	return &mocks.API{
		Name:         Vendor,
		Doc:          doc,
		Prefix:       "/zipwhip",
		Hosts:        []string{"api.zipwhip.com"},
		Authenticate: m.authenticate(auth),
		Identify:     m.identify(identify),
		Credentials:  m.Credentials(),
		Secrets:      []string{"password"},
		RedactAnswer: redactLogin,
		Handlers:     m.handlers(),
		WriteError:   m.writeError,
		Wrap:         onceEach,
		Cacheable:    cacheable,
		FormParams:   true,
	}
}

// authenticate is the session check, except for user/login, whose
// workspace is the username's (a new one for a username never seen, unless
// authentication is strict).
func (m *Mock) authenticate(bySession func(*http.Request) (string, error)) func(*http.Request) (string, error) {
	return func(r *http.Request) (string, error) {
		if !isLogin(mocks.OperationID(r.Context())) {
			ws, err := bySession(r)
			if err != nil {
				if bad := unreadableForm(r); bad != nil {
					return "", bad
				}
			}
			if err != nil && mocks.Params(r).Get("session") == "" {
				return "", mocks.FieldFail(mocks.EUNAUTHENTICATED, "session", "session is required")
			}
			if err != nil {
				return "", mocks.FieldFail(mocks.EUNAUTHENTICATED, "session", "session is not a valid session key (log in with user/login)")
			}
			return ws, nil
		}
		username := strings.TrimSpace(mocks.Params(r).Get("username"))
		if username == "" {
			if bad := unreadableForm(r); bad != nil {
				return "", bad
			}
			return "", nil // validation names the missing parameter
		}
		if ws, ok := m.loginWorkspace(username); ok {
			return ws, nil
		}
		ws, err := m.ws.ResolveKind(r.Context(), Vendor, kindLogin, canonicalUsername(username))
		if errors.Is(err, mocks.ErrUnknownCredential) {
			return "", badLogin()
		}
		return ws, err
	}
}

func (m *Mock) identify(bySession func(*http.Request) string) func(*http.Request) string {
	return func(r *http.Request) string {
		if isLogin(mocks.OperationID(r.Context())) {
			ws, _ := m.loginWorkspace(strings.TrimSpace(mocks.Params(r).Get("username")))
			return ws
		}
		if ws := bySession(r); ws != "" {
			return ws
		}
		return m.ended.workspace(param(r, "session"))
	}
}

// unreadableForm reports a body whose parameters cannot be read, when a
// session (or username) was not found, so that the missing parameter is
// not blamed: a body in another encoding (a JSON body would lose every
// parameter), or a form that does not parse. Validation, after
// authentication, says the same of a request whose session was found.
func unreadableForm(r *http.Request) error {
	body := mocks.Body(r)
	if len(body) == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); ct != "" && !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return mocks.Fail(mocks.EUNSUPPORTED, "parameters must be sent as application/x-www-form-urlencoded or in the query string, not as %s", clip(ct))
	}
	if _, err := url.ParseQuery(string(body)); err != nil {
		return mocks.Fail(mocks.EINVALID, "the form body is not properly %%-encoded")
	}
	return nil
}

func isLogin(op string) bool { return op == "userLogin" || op == "userLoginGet" }

// redactLogin is the journal's answer of a login: the session key it hands
// out redacted as the session parameter is. An answer cut short by the
// journal's limit, which cannot be read, is left out.
func redactLogin(op string, body []byte) []byte {
	if !isLogin(op) {
		return body
	}
	var a struct {
		Success  bool `json:"success"`
		Response any  `json:"response"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil
	}
	if key, ok := a.Response.(string); ok && a.Success {
		a.Response = mocks.Redact(key)
	}
	return mustJSON(a)
}

func badLogin() *mocks.Error {
	return mocks.FieldFail(mocks.EUNAUTHENTICATED, "username", "username or password is invalid")
}

// usernameForms are the ways a phone-number username may be written.
func usernameForms(username string) []string {
	forms := []string{username}
	if n, ok := normalize(username); ok {
		national := strings.TrimPrefix(n, "+1")
		for _, f := range []string{n, national, "1" + national} {
			if f != username {
				forms = append(forms, f)
			}
		}
	}
	return forms
}

// canonicalUsername is the form a new workspace is keyed by: E.164 for a
// phone number.
func canonicalUsername(username string) string {
	if n, ok := normalize(username); ok {
		return n
	}
	return username
}

// loginWorkspace finds the workspace of a username, in any of its forms.
func (m *Mock) loginWorkspace(username string) (string, bool) {
	if username == "" {
		return "", false
	}
	key := mocks.CredentialKey(Vendor, kindLogin)
	for _, f := range usernameForms(username) {
		if ws, ok := m.db.Resolve(key, f); ok {
			return ws, true
		}
	}
	return "", false
}

// Credentials implements mocks.Vendor: the session parameter a login
// handed out, in the query string or the form body.
func (m *Mock) Credentials() []mocks.CredentialSource {
	return []mocks.CredentialSource{{Param: "session", Existing: true}}
}

// AutoWorkspace implements mocks.Vendor: an unknown username logs in to a
// workspace of its own, with the username's line.
func (m *Mock) AutoWorkspace(kind, credential string) config.VendorWorkspace {
	if kind != kindLogin {
		return &WorkspaceConfig{}
	}
	a := Account{Username: credential}
	if a.lineOrUsername() == "" {
		a.Line = derivedLine(credential)
	}
	return &WorkspaceConfig{Accounts: []Account{a}}
}

// Seed implements mocks.Vendor: an account per configured line, and the
// configured sessions.
func (m *Mock) Seed(tx *store.Tx, def config.Workspace) error {
	s, _ := def.Section(Vendor).(*WorkspaceConfig)
	if s == nil {
		return nil
	}
	for i, a := range s.Accounts {
		line := a.lineOrUsername()
		if line == "" {
			line = derivedLine(a.Username)
		}
		acct := account{Username: a.Username, Password: a.Password, Line: line, UserID: userID(line), DeviceID: deviceID(line),
			FirstName: a.FirstName, LastName: a.LastName, Created: date(tx.Now())}
		keys := []store.Key{store.K("line", line), store.K("device", strconv.FormatInt(acct.DeviceID, 10))}
		for _, f := range usernameForms(a.Username) {
			keys = append(keys, store.K("username", f))
		}
		if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindAccount, ID: line, Doc: mustJSON(acct), Keys: keys}); err != nil {
			return fmt.Errorf("seed account %d: %w", i, err)
		}
		if a.Session != "" {
			if err := storeSession(tx, a.Session, &acct); err != nil {
				return fmt.Errorf("seed account %d session: %w", i, err)
			}
		}
	}
	return nil
}

// Delivery implements mocks.Vendor: unsigned by default, as Zipwhip
// delivers, from a Java HTTP client.
func (m *Mock) Delivery() mocks.DeliveryPolicy {
	return mocks.DeliveryPolicy{
		Retry:  m.cfg.Retry,
		Signer: mocks.NewSigner(m.cfg.Signature),
		Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}, "User-Agent": {"Apache-HttpClient/4.5.7 (Java/1.8.0_201)"}},
	}
}

// EventTypes implements mocks.Vendor: webhook types and their events, as
// "<type>.<event>".
func (m *Mock) EventTypes() []string { return EventTypes }

// EventTypes are the webhook events Zipwhip sends.
var EventTypes = []string{"message.receive", "message.send", "message.progress", "message.read", "message.delete", "optout.change"}

// Simulators implements mocks.Vendor.
func (m *Mock) Simulators() map[string]mocks.Handler {
	return map[string]mocks.Handler{"simulateZipwhipInbound": m.SimulateInbound}
}

// view runs fn in a read transaction of the request's workspace.
func (m *Mock) view(ctx context.Context, fn func(*store.Tx) error) error {
	return m.db.View(ctx, mocks.Workspace(ctx), fn)
}

// update runs fn in a write transaction of the request's workspace.
func (m *Mock) update(ctx context.Context, fn func(*store.Tx) error) error {
	return m.db.Update(ctx, mocks.Workspace(ctx), fn)
}
