package whippy_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// recipients returns n recipients with the numbers +1 312 <first>..
// <first+n-1> (seven digits).
func recipients(first, n int) []M {
	to := make([]M, n)
	for i := range to {
		to[i] = M{"phone": fmt.Sprintf("+1312%07d", first+i)}
	}
	return to
}

// deliveriesOf returns the total of the workspace's webhook deliveries.
func deliveriesOf(tb testing.TB, s *apptest.Server, key string) int {
	tb.Helper()
	log := apptest.Want(tb, s.Sandbox(http.Header{"X-Whippy-Key": {key}}).Get(tb, "/deliveries"), http.StatusOK).Map(tb)
	return int(log["total"].(float64))
}

// TestCampaigns_OverTheLimit: a campaign with more recipients than
// whippy.campaign_max_recipients is a 422 naming "to" and stores nothing
// (no campaign, contact, conversation or webhook delivery); one at the
// limit is sent.
func TestCampaigns_OverTheLimit(t *testing.T) {
	const key, limit = "campaign-limit", 3
	events := []string{"campaign.created", "contact.created", "contact.updated", "conversation.created", "conversation.updated", "message.created"}
	s, c, _, _ := hookSetup(t, key, events, apptest.WithConfig(func(cfg *config.Config) { whippy.Settings(cfg).CampaignMaxRecipients = limit }))
	from := defaultPhone(t, c)
	before := deliveriesOf(t, s, key)

	for i, path := range []string{"/messaging/sms/campaign", "/campaigns/sms"} {
		t.Run(path, func(t *testing.T) {
			to := recipients(7000+10*i, limit+1)
			desc := wantError(t, c.Post(t, path, M{"from": from, "body": "b", "to": to}), http.StatusUnprocessableEntity, "to", fmt.Sprint(limit))
			if want := fmt.Sprintf("to has more than %d recipients", limit); desc != want {
				t.Errorf("description %q, want %q", desc, want)
			}
			// Invalid and repeated numbers count: the limit is on what the
			// request carries.
			to = append(recipients(7000+10*i, limit-1), M{"phone": "bogus"}, to[0])
			wantError(t, c.Post(t, path, M{"from": from, "body": "b", "to": to}), http.StatusUnprocessableEntity, "to")
		})
	}
	wantList(t, c, "/campaigns", "id")
	wantList(t, c, "/contacts", "id")
	wantList(t, c, "/conversations", "id")
	if got := deliveriesOf(t, s, key); got != before {
		t.Errorf("%d webhook deliveries after rejected campaigns, want %d", got, before)
	}

	acc := post(t, c, "/messaging/sms/campaign", M{"from": from, "body": "b", "to": recipients(7100, limit)}, http.StatusAccepted)
	if acc["contacts_count"] != float64(limit) {
		t.Errorf("contacts_count %v at the limit, want %d", acc["contacts_count"], limit)
	}
	wantList(t, c, "/campaigns", "id", field(acc, "campaign_id"))
	if got := deliveriesOf(t, s, key); got == before {
		t.Error("no webhook delivery for the campaign at the limit")
	}
}

// TestCampaigns_DefaultLimit: the default configuration bounds campaigns
// too.
func TestCampaigns_DefaultLimit(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("campaign-default-limit")
	limit := whippy.DefaultConfig().CampaignMaxRecipients
	wantError(t, c.Post(t, "/messaging/sms/campaign", M{"from": defaultPhone(t, c), "body": "b", "to": recipients(0, limit+1)}),
		http.StatusUnprocessableEntity, "to", fmt.Sprintf("more than %d recipients", limit))
	wantList(t, c, "/campaigns", "id")
	wantList(t, c, "/contacts", "id")
}

// TestSequences_OverTheLimit: more recipients than
// whippy.sequence_max_contacts is a 422 naming "to" that adds no one.
func TestSequences_OverTheLimit(t *testing.T) {
	const limit = 2
	s := newServer(t, apptest.WithConfig(func(cfg *config.Config) { whippy.Settings(cfg).SequenceMaxContacts = limit }))
	c := s.Whippy("sequence-limit")
	from := defaultPhone(t, c)
	seqs, _ := listOf(t, get(t, c, "/sequences"))
	path := "/sequences/" + field(seqs[0], "id") + "/contacts"

	wantError(t, c.Post(t, path, M{"from": from, "to": recipients(7200, limit+1)}), http.StatusUnprocessableEntity, "to", fmt.Sprintf("more than %d recipients", limit))
	wantList(t, c, path, "id")
	wantList(t, c, "/sequences/runs", "id")
	wantList(t, c, "/contacts", "id")

	post(t, c, path, M{"from": from, "to": recipients(7200, limit)}, http.StatusAccepted)
	if runs, _ := listOf(t, get(t, c, "/sequences/runs")); len(runs) != limit {
		t.Errorf("%d sequence runs at the limit, want %d", len(runs), limit)
	}
}

// TestCampaigns_TagKeepsContactFilters: tagging the recipients of a
// campaign leaves the contact and conversation filters as they were: an
// existing contact, with a conversation on another channel, is still found
// by its phone, name and channels, and so are its conversations; every
// recipient gets one contact.updated with its tag.
func TestCampaigns_TagKeepsContactFilters(t *testing.T) {
	const key = "campaign-tags"
	s, c, rc, _ := hookSetup(t, key, []string{"contact.created", "contact.updated"},
		withWorkspace(key, whippy.ChannelSeed{Name: "Line A", Type: "phone", Phone: phoneA}, whippy.ChannelSeed{Name: "Line B", Type: "phone", Phone: phoneB}))
	chA, chB := field(channelByPhone(t, c, phoneA), "id"), field(channelByPhone(t, c, phoneB), "id")
	old := post(t, c, "/messaging/sms", M{"from": phoneB, "to": "+13125557300", "body": "earlier"}, http.StatusCreated)
	apptest.Want(t, c.Do(t, http.MethodPut, "/contacts/"+field(old, "contact_id"), M{"name": "Grace Hopper"}), http.StatusOK)
	hookFlush(t, s, key)
	sent := len(rc.events(t))

	post(t, c, "/messaging/sms/campaign", M{"from": phoneA, "body": "b", "to": []M{{"phone": "+13125557300"}, {"phone": "+13125557301", "name": "Alan Turing"}}}, http.StatusAccepted)

	oldID := field(old, "contact_id")
	wantList(t, c, "/contacts"+q("phone", "+13125557300"), "id", oldID)
	wantList(t, c, "/contacts"+q("name", "grace"), "id", oldID)
	wantList(t, c, "/contacts"+q("channels[][id]", chB), "id", oldID)
	newID := field(wantList(t, c, "/contacts"+q("name", "alan"), "name", "Alan Turing")[0], "id")
	wantList(t, c, "/contacts"+q("channels[][id]", chA), "id", oldID, newID)
	wantList(t, c, "/conversations"+q("contacts[][name]", "grace hopper"), "channel_id", chA, chB)
	wantList(t, c, "/conversations"+q("contacts[][phone]", "+13125557301"), "contact_id", newID)

	hookFlush(t, s, key)
	updated := map[string]int{}
	var created []string
	for _, ev := range rc.events(t)[sent:] {
		switch ev.Event {
		case "contact.created":
			created = append(created, field(ev.Data, "id"))
		case "contact.updated":
			tags, _ := ev.Data["contact_tags"].([]any)
			if len(tags) != 1 {
				t.Errorf("contact.updated of %s has tags %v, want the upload tag", field(ev.Data, "id"), ev.Data["contact_tags"])
			}
			updated[field(ev.Data, "id")]++
		}
	}
	if len(created) != 1 || created[0] != newID {
		t.Errorf("contact.created for %v, want only the new recipient %s", created, newID)
	}
	if updated[oldID] != 1 || updated[newID] != 1 || len(updated) != 2 {
		t.Errorf("contact.updated counts %v, want one for %s and one for %s", updated, oldID, newID)
	}
}

// TestSequences_DefaultLimit: the default bound of sequence contacts is the
// configurable check's (the spec does not cap the list, so a higher
// whippy.sequence_max_contacts takes effect).
func TestSequences_DefaultLimit(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("sequence-default-limit")
	seqs, _ := listOf(t, get(t, c, "/sequences"))
	limit := whippy.DefaultConfig().SequenceMaxContacts
	wantError(t, c.Post(t, "/sequences/"+field(seqs[0], "id")+"/contacts", M{"from": defaultPhone(t, c), "to": recipients(0, limit+1)}),
		http.StatusUnprocessableEntity, "to", fmt.Sprintf("more than %d recipients", limit))
	wantList(t, c, "/contacts", "id")
}
