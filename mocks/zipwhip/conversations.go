package zipwhip

import (
	"errors"
	"net/http"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// touchConversation records msg in its conversation (created when new):
// its last message, contact and date; unread grows by unread.
func (m *Mock) touchConversation(tx *store.Tx, line string, c *Contact, msg *Message, unread int) (*Conversation, error) {
	res, err := tx.Get(Vendor, kindConversation, msg.Fingerprint)
	var conv *Conversation
	isNew := errors.Is(err, store.ErrNotFound)
	moved := err == nil && res.Parent != line // deleted, now back
	switch {
	case isNew:
		n, err := tx.NextSeq("zipwhip.conversation")
		if err != nil {
			return nil, err
		}
		conv = &Conversation{Address: c.Address, DateCreated: msg.DateCreated, DeviceAddress: "device:/" + line + "/0",
			DeviceID: msg.DeviceID, Fingerprint: msg.Fingerprint, ID: conversationBase + n, New: true}
	case err != nil:
		return nil, err
	default:
		if conv, err = decode[Conversation](res); err != nil {
			return nil, err
		}
		conv.New = false
	}
	conv.Deleted = false
	conv.LastContactDeviceID, conv.LastContactID = c.DeviceID, c.ID
	conv.LastContactFirstName, conv.LastContactLastName, conv.LastContactMobileNumber = c.FirstName, c.LastName, c.MobileNumber
	conv.LastMessageBody, conv.LastMessageDate = msg.Body, msg.DateCreated
	conv.LastNonDeletedMessageDate = &msg.DateCreated
	conv.LastUpdated = date(tx.Now())
	conv.UnreadCount = max(0, conv.UnreadCount+unread)
	conv.Version++
	doc := &store.Resource{Vendor: Vendor, Kind: kindConversation, ID: conv.Fingerprint, Parent: line, Doc: mustJSON(conv)}
	switch {
	case isNew:
		return conv, tx.Insert(doc)
	case moved:
		return conv, tx.Update(doc)
	}
	return conv, tx.UpdateDoc(doc)
}

// addUnread changes a conversation's unread count.
func (m *Mock) addUnread(tx *store.Tx, fp string, d int) error {
	res, err := tx.Get(Vendor, kindConversation, fp)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	conv, err := decode[Conversation](res)
	if err != nil {
		return err
	}
	conv.UnreadCount = max(0, conv.UnreadCount+d)
	conv.Version++
	res.Doc = mustJSON(conv)
	return tx.UpdateDoc(res)
}

func (m *Mock) listConversations(w http.ResponseWriter, r *http.Request) error {
	limit, start := page(r)
	var docs [][]byte
	var total int
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		list, n, err := tx.List(store.Query{Vendor: Vendor, Kind: kindConversation, Parent: s.Line, HasParent: true,
			OrderBy: "updated_at", Limit: limit, Offset: start, Count: true})
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
	return okList(w, total, docs)
}

// lineConversation returns the line's conversation of fingerprint.
func lineConversation(tx *store.Tx, line, fp string) (*store.Resource, error) {
	res, err := tx.Get(Vendor, kindConversation, fp)
	if errors.Is(err, store.ErrNotFound) || (err == nil && res.Parent != line) {
		return nil, notFound("fingerprint", "fingerprint %s names no conversation of this line", clip(fp))
	}
	return res, err
}

// getConversation serves conversation/get: the conversation and a page of
// its messages, newest first.
func (m *Mock) getConversation(w http.ResponseWriter, r *http.Request) error {
	limit, start := page(r)
	var b []byte
	err := m.view(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		conv, err := lineConversation(tx, s.Line, param(r, "fingerprint"))
		if err != nil {
			return err
		}
		list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindMessage, Parent: s.Line, HasParent: true,
			Filters: []store.Filter{{Name: "fingerprint", Values: []string{conv.ID}}}, Limit: limit, Offset: start})
		if err != nil {
			return err
		}
		docs := make([][]byte, len(list))
		for i := range list {
			docs[i] = list[i].Doc
		}
		b = append(b, `{"success":true,"response":{"conversation":`...)
		b = append(b, conv.Doc...)
		b = append(b, `,"messages":`...)
		b = appendArray(b, docs)
		b = append(b, "}}"...)
		return nil
	})
	if err != nil {
		return err
	}
	mocks.WriteRaw(w, http.StatusOK, b)
	return nil
}

// deleteConversation serves conversation/delete: its messages are deleted
// (each with its delete event) and it leaves the line's list.
func (m *Mock) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	err := m.update(r.Context(), func(tx *store.Tx) error {
		s, err := sessionOf(tx, r)
		if err != nil {
			return err
		}
		res, err := lineConversation(tx, s.Line, param(r, "fingerprint"))
		if err != nil {
			return err
		}
		list, _, err := tx.List(store.Query{Vendor: Vendor, Kind: kindMessage, Parent: s.Line, HasParent: true, Asc: true,
			Filters: []store.Filter{{Name: "fingerprint", Values: []string{res.ID}}}})
		if err != nil {
			return err
		}
		for i := range list {
			msg, err := decode[Message](&list[i])
			if err != nil {
				return err
			}
			if err := m.removeMessage(tx, s.Line, msg); err != nil {
				return err
			}
		}
		// Reread: removing unread messages changed its count.
		if res, err = tx.Get(Vendor, kindConversation, res.ID); err != nil {
			return err
		}
		conv, err := decode[Conversation](res)
		if err != nil {
			return err
		}
		conv.Deleted, conv.UnreadCount, conv.LastNonDeletedMessageDate = true, 0, nil
		conv.Version++
		return tx.Update(&store.Resource{Vendor: Vendor, Kind: kindConversation, ID: res.ID, Parent: deletedParent(s.Line), Doc: mustJSON(conv)})
	})
	if err != nil {
		return err
	}
	return ok(w, true)
}
