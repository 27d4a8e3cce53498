package mocks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/store"
)

// ErrUnknownCredential means a credential maps to no workspace and strict
// authentication forbids creating one.
var ErrUnknownCredential = errors.New("unknown credential")

// Workspaces resolves vendor credentials to workspaces, creating isolated
// workspaces on first use unless Strict, and seeds and resets them with
// every vendor's part.
type Workspaces struct {
	DB *store.DB
	// Strict accepts only credentials that are configured.
	Strict bool
	// Vendors seed their part of every workspace created or reset, in
	// order, and decode their sections of stored definitions.
	Vendors []Vendor
	// Config lists the configured workspaces, recreated by ResetAll.
	Config []config.Workspace

	mu sync.Mutex // serialises creation
}

// AutoID is the id of the workspace created on first use of a credential.
// It is stable, so a test that reuses its key finds its workspace again
// after a reset of everything.
func AutoID(vendor, credential string) string {
	sum := sha256.Sum256([]byte(vendor + "\x00" + credential))
	return "auto-" + hex.EncodeToString(sum[:6])
}

// CredentialKey is how the store keys a vendor's credential of a kind ("" is
// the vendor's API credential).
func CredentialKey(vendor, kind string) string {
	if kind == "" {
		return vendor
	}
	return vendor + "-" + kind
}

// Identify returns the workspace a credential of vendor names without
// creating it: the one it maps to, else, when auto is set and
// authentication is not strict, the id the workspace would be created
// with (AutoID); else "".
func (w *Workspaces) Identify(vendor, credential string, auto bool) string {
	if ws, ok := w.DB.Resolve(vendor, credential); ok {
		return ws
	}
	if auto && !w.Strict && credential != "" {
		return AutoID(vendor, credential)
	}
	return ""
}

func (w *Workspaces) vendor(name string) Vendor {
	for _, v := range w.Vendors {
		if v.Name() == name {
			return v
		}
	}
	return nil
}

// Resolve returns the workspace of a vendor's API credential. An unknown
// credential gets a new, seeded workspace of its own, or
// ErrUnknownCredential when Strict.
func (w *Workspaces) Resolve(ctx context.Context, vendor, credential string) (string, error) {
	return w.ResolveKind(ctx, vendor, "", credential)
}

// ResolveKind is Resolve for a vendor's credential of a kind (a login):
// the vendor's AutoWorkspace makes the section of a new workspace.
func (w *Workspaces) ResolveKind(ctx context.Context, vendor, kind, credential string) (string, error) {
	key := CredentialKey(vendor, kind)
	if ws, ok := w.DB.Resolve(key, credential); ok {
		return ws, nil
	}
	if w.Strict || credential == "" {
		return "", ErrUnknownCredential
	}
	v := w.vendor(vendor)
	if v == nil {
		return "", fmt.Errorf("resolve credential: no vendor %q", vendor)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ws, ok := w.DB.Resolve(key, credential); ok {
		return ws, nil
	}
	def := config.Workspace{ID: AutoID(key, credential), Vendors: map[string]config.VendorWorkspace{vendor: v.AutoWorkspace(kind, credential)}}
	creds := Credentials(def)
	if len(creds) == 0 {
		creds = []store.Credential{{Vendor: key, Credential: credential}}
	}
	if err := w.create(ctx, def, store.SourceAuto, creds); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// The id exists (its credential was dropped): map the credential
			// to it.
			err = w.DB.Update(ctx, def.ID, func(tx *store.Tx) error { return tx.AddCredential(key, credential) })
		}
		if err != nil {
			return "", err
		}
	}
	return def.ID, nil
}

// Credentials lists the credentials a workspace definition configures.
func Credentials(ws config.Workspace) []store.Credential {
	var out []store.Credential
	for _, c := range ws.Credentials() {
		out = append(out, store.Credential{Vendor: CredentialKey(c.Vendor, c.Kind), Credential: c.Value})
	}
	return out
}

// Create creates a workspace from a definition (source store.SourceAPI or
// store.SourceConfig). It returns store.ErrConflict when the id or a
// credential is taken.
func (w *Workspaces) Create(ctx context.Context, def config.Workspace, source string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.create(ctx, def, source, Credentials(def))
}

func (w *Workspaces) create(ctx context.Context, def config.Workspace, source string, creds []store.Credential) error {
	seed, err := json.Marshal(def)
	if err != nil {
		return fmt.Errorf("encode workspace %s: %w", def.ID, err)
	}
	if creds, err = withSnapshotCredentials(def, creds); err != nil {
		return err
	}
	ws := store.Workspace{ID: def.ID, Name: def.Name, Source: source, Seed: seed, Credentials: creds}
	return w.DB.CreateWorkspace(ctx, ws, w.seed(def))
}

// Owners returns the vendors as the config loader takes them.
func (w *Workspaces) Owners() []config.Owner {
	out := make([]config.Owner, len(w.Vendors))
	for i, v := range w.Vendors {
		out[i] = v
	}
	return out
}

// withSnapshotCredentials adds, for a workspace made from a snapshot,
// the snapshot's credentials to creds.
func withSnapshotCredentials(def config.Workspace, creds []store.Credential) ([]store.Credential, error) {
	if def.Snapshot == "" {
		return creds, nil
	}
	snap, err := LoadSnapshot(def.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", def.ID, err)
	}
	for _, c := range snap.Workspace.Credentials {
		if !slices.Contains(creds, c) {
			creds = append(creds, c)
		}
	}
	return creds, nil
}

// LoadSnapshot reads and checks a snapshot file (store.DecodeSnapshot).
func LoadSnapshot(path string) (*store.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	snap, err := store.DecodeSnapshot(b)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return snap, nil
}

func (w *Workspaces) seed(def config.Workspace) func(*store.Tx) error {
	return func(tx *store.Tx) error {
		if def.Snapshot != "" {
			// The state is the snapshot's, read again at every reset.
			snap, err := LoadSnapshot(def.Snapshot)
			if err != nil {
				return fmt.Errorf("workspace %s: %w", def.ID, err)
			}
			return tx.ImportState(&snap.State)
		}
		for _, v := range w.Vendors {
			if err := v.Seed(tx, def); err != nil {
				return fmt.Errorf("seed workspace %s: %s: %w", def.ID, v.Name(), err)
			}
		}
		for i, h := range def.Webhooks {
			secret := h.Secret
			if sec := def.Section(h.Vendor); secret == "" && sec != nil {
				secret = sec.WebhookSecret()
			}
			err := tx.PutWebhook(&store.Webhook{
				ID: fmt.Sprintf("cfg_%s_%d", def.ID, i), Vendor: h.Vendor, URL: h.URL, Method: strings.ToUpper(h.Method),
				Events: h.Events, Secret: secret, Active: true, Source: store.WebhookFromConfig,
			})
			if err != nil {
				return fmt.Errorf("seed workspace %s webhook %d: %w", def.ID, i, err)
			}
		}
		return nil
	}
}

// EnsureConfigured creates the configured workspaces that do not exist yet.
// Existing ones keep their data; credentials added to the configuration
// since are mapped.
func (w *Workspaces) EnsureConfigured(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, def := range w.Config {
		_, err := w.DB.GetWorkspace(ctx, def.ID)
		if errors.Is(err, store.ErrNotFound) {
			if err := w.create(ctx, def, store.SourceConfig, Credentials(def)); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		for _, c := range Credentials(def) {
			if ws, ok := w.DB.Resolve(c.Vendor, c.Credential); ok {
				if ws != def.ID {
					return fmt.Errorf("workspace %s: %s credential is already used by workspace %s", def.ID, c.Vendor, ws)
				}
				continue
			}
			if err := w.DB.Update(ctx, def.ID, func(tx *store.Tx) error { return tx.AddCredential(c.Vendor, c.Credential) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// Definition returns the stored definition of workspace id, or
// store.ErrNotFound.
func (w *Workspaces) Definition(ctx context.Context, id string) (config.Workspace, error) {
	ws, err := w.DB.GetWorkspace(ctx, id)
	if err != nil {
		return config.Workspace{}, err
	}
	def, err := config.ParseWorkspace(ws.Seed, w.Owners()...)
	if err != nil {
		return config.Workspace{}, fmt.Errorf("decode seed of workspace %s: %w", id, err)
	}
	def.ID = id
	return def, nil
}

// Reset empties workspace id and replays its seed. It returns
// store.ErrNotFound for an unknown workspace.
func (w *Workspaces) Reset(ctx context.Context, id string) error {
	def, err := w.Definition(ctx, id)
	if err != nil {
		return err
	}
	return w.DB.ResetWorkspace(ctx, id, w.seed(def))
}

// ResetAll deletes every workspace and recreates the configured ones, in
// one transaction (see store.DB.ReplaceAll): a request with a configured
// credential lands before the wipe or in the recreated workspace.
func (w *Workspaces) ResetAll(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	all := make([]store.Workspace, 0, len(w.Config))
	seeds := make([]func(*store.Tx) error, 0, len(w.Config))
	for _, def := range w.Config {
		seed, err := json.Marshal(def)
		if err != nil {
			return fmt.Errorf("encode workspace %s: %w", def.ID, err)
		}
		creds, err := withSnapshotCredentials(def, Credentials(def))
		if err != nil {
			return err
		}
		all = append(all, store.Workspace{ID: def.ID, Name: def.Name, Source: store.SourceConfig, Seed: seed, Credentials: creds})
		seeds = append(seeds, w.seed(def))
	}
	return w.DB.ReplaceAll(ctx, all, seeds)
}
