package whippy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

func itoa(n int) string { return strconv.Itoa(n) }

// listConversations serves GET /conversations, most recently active first.
func (m *Mock) listConversations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := page(q, "limit", "offset")
	query := store.Query{Vendor: Vendor, Kind: kindConversation, Limit: limit, Offset: offset, Count: true, OrderBy: "updated_at"}
	add := func(name string, op store.Op, vals []string) {
		if len(vals) > 0 {
			query.Filters = append(query.Filters, store.Filter{Name: name, Op: op, Values: vals})
		}
	}
	// Whippy's clients disagree on the status filter's name; accept all.
	add("status", store.OpIn, values(q, "status", "statuses", "status[]", "statuses[]"))
	add("type", store.OpIn, values(q, "type"))
	add("unread_count", store.OpIn, values(q, "unread_count"))
	add("contact", store.OpIn, values(q, "contacts[][id]"))
	var phones []string
	for _, p := range values(q, "contacts[][phone]") {
		if n, ok := phone.Normalize(p); ok {
			phones = append(phones, n)
		} else {
			phones = append(phones, p)
		}
	}
	add("contact_phone", store.OpIn, phones)
	var emails []string
	for _, e := range values(q, "contacts[][email]") {
		emails = append(emails, strings.ToLower(e))
	}
	add("contact_email", store.OpIn, emails)
	for _, n := range values(q, "contacts[][name]") {
		add("contact_name", store.OpContains, []string{strings.ToLower(n)})
	}
	add("assigned_user", store.OpIn, values(q, "assigned_users[]", "assigned_users"))
	lmBefore, lmAfter, err := timeRange(q, "last_message_date")
	if err != nil {
		return err
	}
	if !lmBefore.IsZero() {
		add("last_message_date", store.OpLess, []string{ts(lmBefore)})
	}
	if !lmAfter.IsZero() {
		add("last_message_date", store.OpGreater, []string{ts(lmAfter)})
	}
	if query.CreatedBefore, query.CreatedAfter, err = timeRange(q, "created_at"); err != nil {
		return err
	}
	if query.UpdatedBefore, query.UpdatedAfter, err = timeRange(q, "updated_at"); err != nil {
		return err
	}
	return m.listInChannels(w, r, query)
}

// getConversation serves GET /conversations/{id} with its messages, newest
// first, paged by messages[limit|offset] and bounded by
// messages[before|after].
func (m *Mock) getConversation(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := page(q, "messages[limit]", "messages[offset]")
	before, after, err := timeRange(q, "messages")
	if err != nil {
		return err
	}
	var conv *store.Resource
	var msgs []store.Resource
	err = m.view(r.Context(), func(tx *store.Tx) error {
		var err error
		conv, err = tx.Get(Vendor, kindConversation, mocks.PathParam(r, "id"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Conversation")
		}
		if err != nil {
			return err
		}
		msgs, _, err = tx.List(store.Query{Vendor: Vendor, Kind: kindMessage, Parent: conv.ID, HasParent: true,
			CreatedBefore: before, CreatedAfter: after, Limit: limit, Offset: offset})
		return err
	})
	if err != nil {
		return err
	}
	// Splice the messages into the stored conversation document.
	doc := bytes.TrimSuffix(bytes.TrimSpace(conv.Doc), []byte("}"))
	var buf bytes.Buffer
	buf.Write(doc)
	buf.WriteString(`,"messages":[`)
	for i, msg := range msgs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(msg.Doc)
	}
	buf.WriteString("]}")
	writeDataRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

// conversationUpdate is the body of PUT /conversations/{id}.
type conversationUpdate struct {
	Status         *string `json:"status"`
	UnreadCount    *int    `json:"unread_count"`
	AssignedUserID *int64  `json:"assigned_user_id"`
	AssignedUsers  []int64 `json:"assigned_users"`
	AssignedTeamID *string `json:"assigned_team_id"`
}

// updateConversation serves PUT /conversations/{id}: status, unread count
// and assignment.
func (m *Mock) updateConversation(w http.ResponseWriter, r *http.Request) error {
	var in conversationUpdate
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	var conv *Conversation
	err := m.update(r.Context(), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindConversation, mocks.PathParam(r, "id"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Conversation")
		}
		if err != nil {
			return err
		}
		if conv, err = decode[Conversation](res); err != nil {
			return err
		}
		var keys []store.Key
		if in.Status != nil {
			conv.Status = *in.Status
			keys = append(keys, store.K("status", conv.Status))
		}
		if in.UnreadCount != nil {
			conv.UnreadCount = *in.UnreadCount
			keys = append(keys, store.K("unread_count", itoa(conv.UnreadCount)))
		}
		assignee := in.AssignedUserID
		field := "assigned_user_id"
		if assignee == nil && len(in.AssignedUsers) > 0 {
			assignee, field = &in.AssignedUsers[0], "assigned_users"
		}
		if assignee != nil {
			if _, err := tx.Get(Vendor, kindUser, fmt.Sprint(*assignee)); errors.Is(err, store.ErrNotFound) {
				return invalid(field, "%s: user %d does not exist", field, *assignee)
			} else if err != nil {
				return err
			}
			conv.AssignedUserID = assignee
			keys = append(keys, store.K("assigned_user", fmt.Sprint(*assignee)))
		} else if hasNull(mocks.Body(r), "assigned_user_id") {
			conv.AssignedUserID = nil
			keys = append(keys, store.K("assigned_user", ""))
		}
		if in.AssignedTeamID != nil {
			conv.AssignedTeamID = in.AssignedTeamID
		} else if hasNull(mocks.Body(r), "assigned_team_id") {
			conv.AssignedTeamID = nil
		}
		conv.UpdatedAt = ts(tx.Now())
		if err := tx.UpdateDoc(&store.Resource{Vendor: Vendor, Kind: kindConversation, ID: conv.ID, Doc: mustJSON(conv)}); err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := tx.SetKeys(Vendor, kindConversation, conv.ID, keys...); err != nil {
				return err
			}
		}
		return m.emit(tx, "conversation.updated", conv)
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, conv)
	return nil
}

// hasNull reports whether the JSON object body sets key to null (however
// it is spaced).
func hasNull(body []byte, key string) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	v, ok := fields[key]
	return ok && string(bytes.TrimSpace(v)) == "null"
}
