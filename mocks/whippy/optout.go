package whippy

import "github.com/vendorsim/vendorsim/store"

// optedOut reports whether contact c has opted out of channelID (a STOP on
// that channel, or an opt-out through the control API).
func optedOut(c *Contact, channelID string) bool {
	for _, p := range c.CommunicationPreferences {
		if p.ChannelID == channelID {
			return !p.OptIn
		}
	}
	return false
}

// refuseOptedOut handles a message to a contact opted out of its channel,
// per whippy.opted_out_send: with "fail" (the default) the carrier refuses
// it, so it is stored as failed and message.updated says so, and no
// delivery timeline starts; it reports whether it refused. The send
// itself is accepted, as Whippy accepts a message before its carrier
// answers (inferred: no source says what Whippy does here).
func (m *Mock) refuseOptedOut(tx *store.Tx, out *outbound, msg *Message) (bool, error) {
	if out.kind == sendNote || m.cfg.OptedOutSend != "fail" || !optedOut(out.contact, out.channel.ID) {
		return false, nil
	}
	msg.DeliveryStatus = "failed"
	msg.UpdatedAt = ts(tx.Now())
	if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindMessage, ID: msg.ID, Doc: mustJSON(msg)}); err != nil {
		return false, err
	}
	return true, m.emit(tx, "message.updated", msg)
}
