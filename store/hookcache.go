package store

import (
	"sync"
	"sync/atomic"
)

// hookCache keeps each workspace's webhooks between transactions: every
// write that may emit an event asks for its subscribers, and webhooks
// rarely change. An entry is good while its workspace's webhook generation
// is unchanged. A change moves the generation twice: when it is written
// (later updates of the same batch see it) and once committed or rolled
// back (what was cached meanwhile, by a reader from the old rows or by the
// update itself from rows it then rolled back, is not believed).
type hookCache struct {
	gens    sync.Map // workspace id -> *atomic.Uint64
	epoch   atomic.Uint64
	entries sync.Map // workspace id -> *hookEntry
	// changes counts changes in every workspace (see WebhookChanges).
	changes atomic.Uint64
}

type hookEntry struct {
	gen uint64
	mu  sync.Mutex
	// byVendor holds what Webhooks(vendor) returned; callers share it and
	// must not change it.
	byVendor map[string][]Webhook
}

func (c *hookCache) gen(ws string) uint64 {
	g := c.epoch.Load() << 40
	if n, ok := c.gens.Load(ws); ok {
		g += n.(*atomic.Uint64).Load()
	}
	return g
}

func (c *hookCache) bump(ws string) {
	n, ok := c.gens.Load(ws)
	if !ok {
		n, _ = c.gens.LoadOrStore(ws, new(atomic.Uint64))
	}
	n.(*atomic.Uint64).Add(1)
	c.changes.Add(1)
}

// hooksChanged records that the transaction changed its workspace's
// webhooks. The writer moves the generation again once the change is
// committed or rolled back (hooksSettled).
func (tx *Tx) hooksChanged() {
	tx.hooks = nil
	tx.hooksDirty = true
	tx.db.hooks.bump(tx.ws)
}

// hooksSettled is called when the fate of tx's changes is known.
func (tx *Tx) hooksSettled() {
	if tx.hooksDirty {
		tx.db.hooks.bump(tx.ws)
	}
}

// cachedWebhooks is Webhooks(vendor) through the cache.
func (tx *Tx) cachedWebhooks(vendor string) ([]Webhook, error) {
	c := &tx.db.hooks
	gen := c.gen(tx.ws)
	if v, ok := c.entries.Load(tx.ws); ok {
		e := v.(*hookEntry)
		if e.gen == gen {
			e.mu.Lock()
			hs, ok := e.byVendor[vendor]
			e.mu.Unlock()
			if ok {
				return hs, nil
			}
		}
	}
	hs, err := tx.Webhooks(vendor)
	if err != nil {
		return nil, err
	}
	v, _ := c.entries.Load(tx.ws)
	e, _ := v.(*hookEntry)
	if e == nil || e.gen != gen {
		e = &hookEntry{gen: gen, byVendor: map[string][]Webhook{}}
		c.entries.Store(tx.ws, e)
	}
	e.mu.Lock()
	e.byVendor[vendor] = hs
	e.mu.Unlock()
	return hs, nil
}
