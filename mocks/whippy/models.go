package whippy

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// Resource kinds in the store.
const (
	kindOrganization    = "organization"
	kindChannel         = "channel"
	kindUser            = "user"
	kindContact         = "contact"
	kindConversation    = "conversation"
	kindMessage         = "message"
	kindCampaign        = "campaign"
	kindCampaignContact = "campaign_contact"
	kindSequence        = "sequence"
	kindSequenceRun     = "sequence_run"
	kindStepContact     = "step_contact"
	kindCustomEvent     = "custom_event"
	kindApplication     = "application"
	kindEndpoint        = "endpoint"
)

// Vendor is the vendor name used in the store, journal and outbox.
const Vendor = "whippy"

// timeLayout is how Whippy writes timestamps: UTC with microseconds and Z
// (Elixir's DateTime), e.g. 2024-03-20T15:14:38.278896Z.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// tsSeconds is the second-resolution form used by communication
// preferences, tags and step contacts (as the fixtures and samples of
// those objects have them).
func tsSeconds(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// tsNaive is the zoneless second-resolution form (Ecto's naive_datetime)
// of the objects whose fixtures and samples have it: sequences, their
// steps and runs, custom objects, their properties and records.
func tsNaive(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

func tsPtr(t time.Time) *string {
	s := ts(t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Contact is Whippy's contact, with the fields of the vendor's contact
// fixtures and webhook samples (the vendor notes' W8, W9). language and
// default_channel_id are only ever sent (in an upsert, W8), never seen in
// an answer, so they are accepted and not echoed.
type Contact struct {
	ID                       string           `json:"id"`
	Name                     *string          `json:"name"`
	FirstName                *string          `json:"first_name"`
	LastName                 *string          `json:"last_name"`
	Email                    *string          `json:"email"`
	Phone                    *string          `json:"phone"`
	ExternalID               *string          `json:"external_id"`
	State                    string           `json:"state"`
	Blocked                  bool             `json:"blocked"`
	Address                  *Address         `json:"address"`
	BirthDate                *BirthDate       `json:"birth_date"`
	CommunicationPreferences []CommPref       `json:"communication_preferences"`
	ContactTags              []map[string]any `json:"contact_tags"`
	Notes                    []map[string]any `json:"notes"`
	CreatedAt                string           `json:"created_at"`
	UpdatedAt                string           `json:"updated_at"`
}

// Address is a contact's postal address.
type Address struct {
	AddressLineOne *string `json:"address_line_one"`
	AddressLineTwo *string `json:"address_line_two"`
	City           *string `json:"city"`
	Country        *string `json:"country"`
	PostalCode     *string `json:"postal_code"`
	State          *string `json:"state"`
}

// BirthDate is a contact's date of birth.
type BirthDate struct {
	Day   *int `json:"day"`
	Month *int `json:"month"`
	Year  *int `json:"year"`
}

// CommPref is a contact's opt-in state on one channel.
type CommPref struct {
	ID               string  `json:"id"`
	ChannelID        string  `json:"channel_id"`
	ContactID        string  `json:"contact_id"`
	OptIn            bool    `json:"opt_in"`
	OptInDate        *string `json:"opt_in_date"`
	OptOutDate       *string `json:"opt_out_date"`
	LastCampaignDate *string `json:"last_campaign_date"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

// Conversation is Whippy's conversation: one contact on one channel.
type Conversation struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	ChannelID       string  `json:"channel_id"`
	ChannelType     string  `json:"channel_type"`
	ContactID       string  `json:"contact_id"`
	AssignedTeamID  *string `json:"assigned_team_id"`
	AssignedUserID  *int64  `json:"assigned_user_id"`
	Language        *string `json:"language"`
	ContactLanguage *string `json:"contact_language"`
	UnreadCount     int     `json:"unread_count"`
	LastMessageDate *string `json:"last_message_date"`
	// LastMessageTimestamp is in Whippy's conversation model (W8), though
	// no fixture or sample shows it.
	LastMessageTimestamp *string `json:"last_message_timestamp"`
	CreatedAt            string  `json:"created_at"`
	UpdatedAt            string  `json:"updated_at"`
}

// Message is one message of a conversation.
type Message struct {
	ID             string  `json:"id"`
	To             string  `json:"to"`
	From           string  `json:"from"`
	Body           *string `json:"body"`
	Direction      string  `json:"direction"`
	DeliveryStatus string  `json:"delivery_status"`
	// Type (sms, mms, email, note, ...) is read by Whippy's Sync
	// controller and parser (W8), though its fixtures leave it out.
	Type      string  `json:"type"`
	ChannelID string  `json:"channel_id"`
	ContactID *string `json:"contact_id"`
	// ConversationID and CampaignContactID are in the message.created and
	// message.updated samples (W9) and the docs' example (W1).
	ConversationID      string       `json:"conversation_id"`
	UserID              *int64       `json:"user_id"`
	Attachments         []Attachment `json:"attachments"`
	CampaignID          *string      `json:"campaign_id"`
	CampaignContactID   *string      `json:"campaign_contact_id"`
	SequenceID          *string      `json:"sequence_id"`
	StepID              *string      `json:"step_id"`
	StepContactID       *string      `json:"step_contact_id"`
	Language            *string      `json:"language"`
	TranslatedBody      *string      `json:"translated_body"`
	TranslationLanguage *string      `json:"translation_language"`
	Subject             *string      `json:"subject,omitempty"`
	CreatedAt           string       `json:"created_at"`
	UpdatedAt           string       `json:"updated_at"`
}

// Attachment is a message attachment as Whippy returns it.
type Attachment struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

// Channel is an organization's phone number or email address.
type Channel struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Phone *string `json:"phone"`
	// Email is an email channel's address. No source shows an email
	// channel, so it is inferred, and left out of phone channels, whose
	// fixtures (W8) have no such field.
	Email *string `json:"email,omitempty"`
	// Type and State are in the channels nested in the users fixture (W8).
	Type                      string         `json:"type"`
	Address                   *string        `json:"address"`
	Timezone                  *string        `json:"timezone"`
	OpeningHours              []OpeningHours `json:"opening_hours"`
	AutomaticResponseOpen     *string        `json:"automatic_response_open"`
	AutomaticResponseClosed   *string        `json:"automatic_response_closed"`
	SendAutomaticResponseWhen string         `json:"send_automatic_response_when"`
	IsHostedSMS               bool           `json:"is_hosted_sms"`
	SupportAIAgent            bool           `json:"support_ai_agent"`
	Color                     *string        `json:"color"`
	Description               *string        `json:"description"`
	Emoji                     *string        `json:"emoji"`
	State                     string         `json:"state"`
}

// OpeningHours is one weekday's opening hours of a channel.
type OpeningHours struct {
	Weekday  string `json:"weekday"`
	OpensAt  string `json:"opens_at"`
	ClosesAt string `json:"closes_at"`
	State    string `json:"state"`
}

// User is a member of the organization.
type User struct {
	ID         int64         `json:"id"`
	Name       string        `json:"name"`
	Email      string        `json:"email"`
	Phone      *string       `json:"phone"`
	Role       string        `json:"role"`
	State      string        `json:"state"`
	Attachment *string       `json:"attachment"`
	Channels   []UserChannel `json:"channels"`
}

// UserChannel is a channel as listed under a user.
type UserChannel struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Phone   *string `json:"phone"`
	Address *string `json:"address"`
	State   string  `json:"state"`
	Type    string  `json:"type"`
}

// Organization is the account a key belongs to.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Campaign is a bulk send.
type Campaign struct {
	ID               string       `json:"id"`
	Title            string       `json:"title"`
	Body             *string      `json:"body"`
	Status           string       `json:"status"`
	ChannelID        *string      `json:"channel_id"`
	Attachments      []Attachment `json:"attachments"`
	ScheduleAt       *string      `json:"schedule_at"`
	SentMessages     int          `json:"sent_messages"`
	SlatedMessages   int          `json:"slated_messages"`
	FailedDeliveries int          `json:"failed_deliveries"`
	Responses        int          `json:"responses"`
	LinkClicks       int          `json:"link_clicks"`
	Unsubscribes     int          `json:"unsubscribes"`
	ContactsCount    int          `json:"contacts_count"`
	CreatedAt        string       `json:"created_at"`
	UpdatedAt        string       `json:"updated_at"`
}

// CampaignContact is one recipient of a campaign.
type CampaignContact struct {
	ID             string         `json:"id"`
	CampaignID     string         `json:"campaign_id"`
	Contact        ContactSummary `json:"contact"`
	MessageID      *string        `json:"message_id"`
	DeliveryStatus *string        `json:"delivery_status"`
	CreatedAt      string         `json:"created_at"`
	UpdatedAt      string         `json:"updated_at"`
}

// ContactSummary is the short contact form nested in other objects.
type ContactSummary struct {
	ID    string  `json:"id"`
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// Sequence is an automated series of steps.
type Sequence struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Description *string        `json:"description"`
	Type        string         `json:"type"`
	Status      string         `json:"status"`
	AccessLevel string         `json:"access_level"`
	Industry    *string        `json:"industry"`
	Settings    map[string]any `json:"settings"`
	Steps       []Step         `json:"steps"`
	CreatedAt   string         `json:"created_at"`
	UpdatedAt   string         `json:"updated_at"`
}

// Step is one step of a sequence.
type Step struct {
	ID              string          `json:"id"`
	Title           string          `json:"title"`
	Body            string          `json:"body"`
	Status          string          `json:"status"`
	Position        int             `json:"position"`
	Analytics       map[string]int  `json:"analytics"`
	Attachments     []Attachment    `json:"attachments"`
	SequenceID      string          `json:"sequence_id"`
	ScheduleOptions ScheduleOptions `json:"schedule_options"`
	CreatedAt       string          `json:"created_at"`
	UpdatedAt       string          `json:"updated_at"`
}

// ScheduleOptions is a step's delay; Whippy sends the numbers as strings.
type ScheduleOptions struct {
	Days     string `json:"days"`
	Hours    string `json:"hours"`
	Minutes  string `json:"minutes"`
	Timezone string `json:"timezone"`
}

// SequenceRun is one contact's run through a sequence.
type SequenceRun struct {
	ID           string           `json:"id"`
	Status       string           `json:"status"`
	Contact      ContactSummary   `json:"contact"`
	ChannelID    string           `json:"channel_id"`
	SequenceID   string           `json:"sequence_id"`
	LastStepID   *string          `json:"last_step_id"`
	AddedByID    *int64           `json:"added_by_id"`
	StepContacts []map[string]any `json:"step_contacts"`
	CreatedAt    string           `json:"created_at"`
	UpdatedAt    string           `json:"updated_at"`
}

// StepContact is a contact at one step of a sequence.
type StepContact struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	Contact      ContactSummary `json:"contact"`
	StepID       string         `json:"step_id"`
	ChannelID    string         `json:"channel_id"`
	SequenceID   string         `json:"sequence_id"`
	AddedByID    *int64         `json:"added_by_id"`
	ClickedLink  bool           `json:"clicked_link"`
	Unsubscribed bool           `json:"unsubscribed"`
	ScheduledAt  *string        `json:"scheduled_at"`
	// RunCreatedAt and RunUpdatedAt are null until the step runs (the
	// step_contact.created sample, W9, keeps them null).
	RunCreatedAt    *string          `json:"run_created_at"`
	RunUpdatedAt    *string          `json:"run_updated_at"`
	ContactMessages []map[string]any `json:"contact_messages"`
	CreatedAt       string           `json:"created_at"`
	UpdatedAt       string           `json:"updated_at"`
}

// CustomEvent is an event a client reported.
type CustomEvent struct {
	ID                  string           `json:"id"`
	Event               string           `json:"event"`
	ExternalID          *string          `json:"external_id"`
	Payload             map[string]any   `json:"payload"`
	Timestamp           *string          `json:"timestamp"`
	AssociatedResources []map[string]any `json:"associated_resources"`
	CreatedAt           string           `json:"created_at"`
}

// Application is a developer application: the owner of webhook endpoints,
// tied to the API key that created it (the signing key).
type Application struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Active      bool    `json:"active"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

// Endpoint is a webhook endpoint of a developer application.
type Endpoint struct {
	ID                     string         `json:"id"`
	DeveloperApplicationID string         `json:"developer_application_id"`
	URL                    string         `json:"url"`
	EventTypes             []string       `json:"event_types"`
	Active                 bool           `json:"active"`
	Target                 map[string]any `json:"target"`
	CreatedAt              string         `json:"created_at"`
	UpdatedAt              string         `json:"updated_at"`
}

func (c *Contact) summary() ContactSummary {
	return ContactSummary{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone}
}

// keys are the contact's lookup and filter values.
func (c *Contact) keys(channels []string) []store.Key {
	var ks []store.Key
	if c.Phone != nil {
		ks = append(ks, store.K("phone", *c.Phone))
	}
	if c.Email != nil && *c.Email != "" {
		ks = append(ks, store.K("email", strings.ToLower(*c.Email)))
	}
	if name := c.displayName(); name != "" {
		ks = append(ks, store.T("name", strings.ToLower(name)))
	}
	if c.ExternalID != nil && *c.ExternalID != "" {
		ks = append(ks, store.K("external_id", *c.ExternalID))
	}
	seen := map[string]bool{}
	for _, p := range c.CommunicationPreferences {
		channels = append(channels, p.ChannelID)
	}
	for _, ch := range channels {
		if ch != "" && !seen[ch] {
			seen[ch] = true
			ks = append(ks, store.K("channel", ch))
		}
	}
	return ks
}

func (c *Contact) displayName() string {
	if c.Name != nil && *c.Name != "" {
		return *c.Name
	}
	var parts []string
	if c.FirstName != nil && *c.FirstName != "" {
		parts = append(parts, *c.FirstName)
	}
	if c.LastName != nil && *c.LastName != "" {
		parts = append(parts, *c.LastName)
	}
	return strings.Join(parts, " ")
}

// decode unmarshals a stored document into v.
func decode[T any](r *store.Resource) (*T, error) {
	var v T
	if err := json.Unmarshal(r.Doc, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Every document type here marshals; a failure is a programming
		// error worth a loud stop in tests.
		panic(err)
	}
	return b
}
