package whippy

import (
	"sync"

	"github.com/vendorsim/vendorsim/store"
)

// channelMemo remembers decoded channel documents by their bytes. Every
// send decodes the channel it is sent from, and a workspace has a handful
// of channels: a document seen before is copied, not decoded again. Equal
// bytes decode to equal channels, so the memo is never stale.
type channelMemo struct {
	mu sync.Mutex
	m  map[string]*Channel
}

// memoSize bounds the memo; when full it starts again.
const memoSize = 256

// channel decodes r, a channel, returning a copy the caller may change.
func (c *channelMemo) channel(r *store.Resource) (*Channel, error) {
	c.mu.Lock()
	ch, ok := c.m[string(r.Doc)]
	c.mu.Unlock()
	if !ok {
		var err error
		if ch, err = decode[Channel](r); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= memoSize {
			c.m = make(map[string]*Channel, memoSize)
		}
		c.m[string(r.Doc)] = ch
		c.mu.Unlock()
	}
	return ch.clone(), nil
}

// clone copies ch deeply enough that changing the copy leaves ch as it was.
func (ch *Channel) clone() *Channel {
	c := *ch
	for _, p := range []**string{&c.Phone, &c.Email, &c.Address, &c.Timezone, &c.AutomaticResponseOpen, &c.AutomaticResponseClosed, &c.Color, &c.Description, &c.Emoji} {
		if *p != nil {
			s := **p
			*p = &s
		}
	}
	if ch.OpeningHours != nil {
		c.OpeningHours = append(make([]OpeningHours, 0, len(ch.OpeningHours)), ch.OpeningHours...)
	}
	return &c
}
