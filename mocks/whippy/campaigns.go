package whippy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// recipient is one entry of a campaign's or sequence's "to".
type recipient struct {
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// campaignInput is the body of a campaign send.
type campaignInput struct {
	From        string      `json:"from"`
	To          []recipient `json:"to"`
	Title       string      `json:"title"`
	Body        *string     `json:"body"`
	Attachments []string    `json:"attachments"`
	ScheduleAt  string      `json:"schedule_at"`
}

// CampaignAccepted is the 202 body of a campaign send.
type CampaignAccepted struct {
	Message       string `json:"message"`
	CampaignID    string `json:"campaign_id"`
	ContactsCount int    `json:"contacts_count"`
	InvalidCount  int    `json:"invalid_count"`
}

// validRecipients normalises recipients' phones, dropping the invalid ones
// as Whippy does, and counts them. A number given twice is messaged once
// (its first entry wins) and is not counted as invalid.
func validRecipients(to []recipient) (valid []recipient, invalid int) {
	seen := map[string]bool{}
	for _, rc := range to {
		p, ok := phone.Normalize(rc.Phone)
		if !ok {
			invalid++
			continue
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		rc.Phone = p
		valid = append(valid, rc)
	}
	return valid, invalid
}

// checkRecipients bounds the recipients of one request: at most limit
// entries in to, a 422 naming to otherwise.
func checkRecipients(to []recipient, limit int) error {
	if len(to) > limit {
		return invalid("to", "to has more than %d recipients", limit)
	}
	return nil
}

// sendCampaign serves POST /messaging/sms/campaign and POST /campaigns/sms:
// 202 once the campaign is stored; every valid recipient gets a contact, a
// conversation and a message. Invalid numbers are dropped; none left is a
// 422, and so are more recipients than CampaignMaxRecipients.
func (m *Mock) sendCampaign(w http.ResponseWriter, r *http.Request) error {
	var in campaignInput
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := checkRecipients(in.To, m.cfg.CampaignMaxRecipients); err != nil {
		return err
	}
	if err := m.checkBody(sendSMS, in.Body, in.Attachments); err != nil {
		return err
	}
	valid, dropped := validRecipients(in.To)
	if len(valid) == 0 {
		return invalid("to", "to has no valid phone numbers (%d dropped)", dropped)
	}
	var accepted CampaignAccepted
	// One transaction stores the whole campaign; it runs first in its
	// transaction (store.Bulk), which keeps its time linear in recipients.
	err := m.update(store.Bulk(r.Context()), func(tx *store.Tx) error {
		ch, err := m.fromChannel(tx, sendSMS, in.From)
		if err != nil {
			return err
		}
		scheduleAt, err := optionalTime("schedule_at", in.ScheduleAt)
		if err != nil {
			return err
		}
		now := tx.Now()
		camp := newCampaign(&in, ch, len(valid), scheduleAt, now)
		if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindCampaign, ID: camp.ID, Doc: mustJSON(camp),
			Keys: []store.Key{store.T("title", strings.ToLower(camp.Title)), store.K("status", camp.Status)}}); err != nil {
			return err
		}
		if err := m.emit(tx, "campaign.created", campaignEvent(camp)); err != nil {
			return err
		}
		// Whippy tags every contact of an upload with a tag that carries
		// the upload's time.
		tag, err := uploadTag(tx, now)
		if err != nil {
			return err
		}
		for i, rc := range valid {
			c, err := m.recipientContact(tx, rc, fmt.Sprintf("to.%d.", i))
			if err != nil {
				return err
			}
			if err := m.tagContact(tx, c, tag); err != nil {
				return err
			}
			ccID := newID()
			msg, _, err := m.deliver(tx, &outbound{kind: sendSMS, channel: ch, contact: c, to: *c.Phone, body: in.Body,
				attachments: in.Attachments, scheduleAt: scheduleAt, campaignID: &camp.ID, campaignCID: &ccID})
			if err != nil {
				return err
			}
			cc := CampaignContact{ID: ccID, CampaignID: camp.ID, Contact: c.summary(), MessageID: &msg.ID,
				DeliveryStatus: &msg.DeliveryStatus, CreatedAt: ts(now), UpdatedAt: ts(now)}
			if err := tx.Insert(&store.Resource{Vendor: Vendor, Kind: kindCampaignContact, ID: cc.ID, Parent: camp.ID,
				Doc: mustJSON(cc), CreatedAt: now.Add(microsteps(i)), Keys: []store.Key{store.K("message", msg.ID)}}); err != nil {
				return err
			}
			if msg.DeliveryStatus == "failed" {
				// Refused at once (an opted-out recipient): the campaign
				// counts the failure.
				if err := m.syncCampaignContact(tx, msg); err != nil {
					return err
				}
			}
		}
		accepted = CampaignAccepted{
			Message:    fmt.Sprintf("Campaign accepted: %d contacts will receive it", len(valid)),
			CampaignID: camp.ID, ContactsCount: len(valid), InvalidCount: dropped,
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeData(w, http.StatusAccepted, accepted)
	return nil
}

// newCampaign is the campaign in sends from ch to recipients contacts,
// created at t (scheduled when scheduleAt is later).
func newCampaign(in *campaignInput, ch *Channel, recipients int, scheduleAt, t time.Time) *Campaign {
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = "Campaign " + t.Format("2006-01-02 15:04")
	}
	status := "in_progress"
	if scheduleAt.After(t) {
		status = "scheduled"
	}
	atts := make([]Attachment, 0, len(in.Attachments))
	for _, a := range in.Attachments {
		atts = append(atts, Attachment{URL: a, ContentType: contentType(a)})
	}
	camp := &Campaign{
		ID: newID(), Title: title, Body: in.Body, Status: status, ChannelID: &ch.ID, Attachments: atts,
		SlatedMessages: recipients, ContactsCount: recipients, CreatedAt: ts(t), UpdatedAt: ts(t),
	}
	if !scheduleAt.IsZero() {
		camp.ScheduleAt = tsPtr(scheduleAt)
	}
	return camp
}

// recipientContact returns the contact of a campaign or sequence
// recipient, creating it with the recipient's names.
func (m *Mock) recipientContact(tx *store.Tx, rc recipient, field string) (*Contact, error) {
	c, _, err := m.createContactAt(tx, &contactInput{Phone: rc.Phone, Email: rc.Email, Name: rc.Name, FirstName: rc.FirstName, LastName: rc.LastName}, nil, field+"phone")
	return c, err
}

// uploadTag is the tag Whippy puts on the contacts of one upload, in the
// fixtures' shape (W8): with its organization and the user who made it,
// and timestamps in whole seconds.
func uploadTag(tx *store.Tx, now time.Time) (map[string]any, error) {
	name := "upload-" + now.Format("2006-01-02T15:04:05Z")
	org, err := organization(tx)
	if err != nil {
		return nil, err
	}
	var by *UserSummary
	if u, err := firstUser(tx); err == nil {
		by = &UserSummary{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return map[string]any{
		"id": stableUUID(tx.Workspace(), "tag", name), "name": name, "color": "#00bcd4", "type": "upload", "state": "active",
		"organization_id": org.ID, "created_by": by, "updated_by": by,
		"created_at": tsSeconds(now), "updated_at": tsSeconds(now),
	}, nil
}

// tagContact adds tag to c and saves it (emitting contact.updated).
func (m *Mock) tagContact(tx *store.Tx, c *Contact, tag map[string]any) error {
	for _, t := range c.ContactTags {
		if t["tag_id"] == tag["id"] {
			return nil
		}
	}
	now := tsSeconds(tx.Now())
	c.ContactTags = append(c.ContactTags, map[string]any{
		"id": newID(), "contact_id": c.ID, "tag_id": tag["id"], "tag": tag,
		"created_at": now, "updated_at": now,
	})
	return m.saveContact(tx, c)
}

// campaignEvent is the payload of campaign webhooks: a subset of the
// campaign.
func campaignEvent(c *Campaign) map[string]any {
	return map[string]any{
		"id": c.ID, "title": c.Title, "body": c.Body, "status": c.Status, "attachments": c.Attachments,
		"schedule_at": c.ScheduleAt, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt,
	}
}

// listCampaigns serves GET /campaigns, newest first.
func (m *Mock) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := page(q, "limit", "offset")
	query := store.Query{Vendor: Vendor, Kind: kindCampaign, Limit: limit, Offset: offset, Count: true}
	if t := strings.TrimSpace(q.Get("title")); t != "" {
		query.Filters = append(query.Filters, store.Filter{Name: "title", Op: store.OpContains, Values: []string{strings.ToLower(t)}})
	}
	if st := values(q, "status[]", "status"); len(st) > 0 {
		query.Filters = append(query.Filters, store.Filter{Name: "status", Values: st})
	}
	return m.writeQuery(w, r, query)
}

// writeQuery lists a query's resources as {"data":[...],"total":N}.
func (m *Mock) writeQuery(w http.ResponseWriter, r *http.Request, query store.Query) error {
	return m.list(w, r, func(*store.Tx) (store.Query, bool, error) { return query, true, nil })
}

// list answers {"data":[...],"total":N} with the query build returns inside
// the read transaction; build reports false when nothing can match.
func (m *Mock) list(w http.ResponseWriter, r *http.Request, build func(*store.Tx) (store.Query, bool, error)) error {
	var rs []store.Resource
	var total int
	err := m.view(r.Context(), func(tx *store.Tx) error {
		query, ok, err := build(tx)
		if err != nil || !ok {
			return err
		}
		rs, total, err = tx.List(query)
		return err
	})
	if err != nil {
		return err
	}
	writeList(w, rs, total)
	return nil
}

// listUnder lists resources that belong to the resource {id} of parentKind,
// 404 when that does not exist.
func (m *Mock) listUnder(w http.ResponseWriter, r *http.Request, parentKind, what string, query func(id string, limit, offset int) store.Query) error {
	limit, offset := page(r.URL.Query(), "limit", "offset")
	id := mocks.PathParam(r, "id")
	return m.list(w, r, func(tx *store.Tx) (store.Query, bool, error) {
		if _, err := tx.Get(Vendor, parentKind, id); errors.Is(err, store.ErrNotFound) {
			return store.Query{}, false, notFound(what)
		} else if err != nil {
			return store.Query{}, false, err
		}
		return query(id, limit, offset), true, nil
	})
}

// getByID answers GET /<kind>s/{id} with the stored document.
func (m *Mock) getByID(kind, what string) mocks.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var doc []byte
		err := m.view(r.Context(), func(tx *store.Tx) error {
			res, err := tx.Get(Vendor, kind, mocks.PathParam(r, "id"))
			if errors.Is(err, store.ErrNotFound) {
				return notFound(what)
			}
			if err != nil {
				return err
			}
			doc = res.Doc
			return nil
		})
		if err != nil {
			return err
		}
		writeDataRaw(w, http.StatusOK, doc)
		return nil
	}
}

// listCampaignContacts serves GET /campaigns/{id}/contacts.
func (m *Mock) listCampaignContacts(w http.ResponseWriter, r *http.Request) error {
	return m.listUnder(w, r, kindCampaign, "Campaign", func(id string, limit, offset int) store.Query {
		return store.Query{Vendor: Vendor, Kind: kindCampaignContact, Parent: id, HasParent: true, Limit: limit, Offset: offset, Count: true, Asc: true}
	})
}
