package zipwhip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/store"
)

// Resource kinds.
const (
	kindAccount      = "account"
	kindSession      = "session"
	kindMessage      = "message"
	kindConversation = "conversation"
	kindContact      = "contact"
	kindOptOut       = "optout"
	kindAttachment   = "attachment"
)

// Id bases. Zipwhip's message ids are 64-bit integers past 2^53 (a double
// cannot hold them: clients must decode them as int64); contact ids pass
// 2^32; webhook and device ids have nine digits.
const (
	messageIDBase    = 1_300_000_000_000_000_000
	contactIDBase    = 14_000_000_000
	conversationBase = 5_000_000_000
	webhookIDBase    = 600_000_000
	attachmentBase   = 7_000_000_000
)

// Message is Zipwhip's message object, in the field order of the vendor's
// 2020 webhook example; it is also the bare body of every message webhook.
type Message struct {
	Body             string  `json:"body"`
	BodySize         int     `json:"bodySize"`
	Address          string  `json:"address"`
	FinalSource      string  `json:"finalSource"`
	FinalDestination string  `json:"finalDestination"`
	MessageType      string  `json:"messageType"`
	Fingerprint      string  `json:"fingerprint"`
	ID               int64   `json:"id"`
	CC               *string `json:"cc"`
	Visible          bool    `json:"visible"`
	Read             bool    `json:"read"`
	BCC              *string `json:"bcc"`
	ContactID        int64   `json:"contactId"`
	ScheduledDate    *string `json:"scheduledDate"`
	DeviceID         int64   `json:"deviceId"`
	DateDeleted      *string `json:"dateDeleted"`
	MessageTransport int     `json:"messageTransport"`
	DateDelivered    *string `json:"dateDelivered"`
	HasAttachment    bool    `json:"hasAttachment"`
	DateCreated      string  `json:"dateCreated"`
	Deleted          bool    `json:"deleted"`
	DateRead         *string `json:"dateRead"`
	StatusCode       int     `json:"statusCode"`
	MessageStatus    int     `json:"messageStatus"`
}

// Contact is Zipwhip's contact object.
type Contact struct {
	Address           string  `json:"address"`
	Birthday          *string `json:"birthday"`
	Business          *string `json:"business"`
	Carrier           *string `json:"carrier"`
	Channel           *string `json:"channel"`
	City              *string `json:"city"`
	DateCreated       string  `json:"dateCreated"`
	Deleted           bool    `json:"deleted"`
	DeviceID          int64   `json:"deviceId"`
	Email             *string `json:"email"`
	FirstName         *string `json:"firstName"`
	Fwd               *string `json:"fwd"`
	ID                int64   `json:"id"`
	LastName          *string `json:"lastName"`
	LastUpdated       string  `json:"lastUpdated"`
	Latlong           *string `json:"latlong"`
	Loc               *string `json:"loc"`
	MobileNumber      string  `json:"mobileNumber"`
	Notes             *string `json:"notes"`
	PhoneID           int64   `json:"phoneId"`
	PhoneKey          *string `json:"phoneKey"`
	State             *string `json:"state"`
	TargetGroupDevice *int64  `json:"targetGroupDevice"`
	Thread            *string `json:"thread"`
	Version           int     `json:"version"`
	Zipcode           *string `json:"zipcode"`
}

// Conversation is Zipwhip's conversation object: one line with one contact.
type Conversation struct {
	Address                   string  `json:"address"`
	BCC                       *string `json:"bcc"`
	CC                        *string `json:"cc"`
	DateCreated               string  `json:"dateCreated"`
	Deleted                   bool    `json:"deleted"`
	DeviceAddress             string  `json:"deviceAddress"`
	DeviceID                  int64   `json:"deviceId"`
	Fingerprint               string  `json:"fingerprint"`
	ID                        int64   `json:"id"`
	LastContactDeviceID       int64   `json:"lastContactDeviceId"`
	LastContactFirstName      *string `json:"lastContactFirstName"`
	LastContactID             int64   `json:"lastContactId"`
	LastContactLastName       *string `json:"lastContactLastName"`
	LastContactMobileNumber   string  `json:"lastContactMobileNumber"`
	LastMessageBody           string  `json:"lastMessageBody"`
	LastMessageDate           string  `json:"lastMessageDate"`
	LastNonDeletedMessageDate *string `json:"lastNonDeletedMessageDate"`
	LastUpdated               string  `json:"lastUpdated"`
	UnreadCount               int     `json:"unreadCount"`
	Version                   int     `json:"version"`
	New                       bool    `json:"new"`
}

// Attachment is a message's attachment (a long body's text).
type Attachment struct {
	ID          int64  `json:"id"`
	MessageID   int64  `json:"messageId"`
	StorageKey  string `json:"storageKey"`
	FileName    string `json:"fileName"`
	MimeType    string `json:"mimeType"`
	Size        int    `json:"size"`
	DateCreated string `json:"dateCreated"`
	Deleted     bool   `json:"deleted"`
}

// attachmentDoc is how an attachment is stored.
type attachmentDoc struct {
	Attachment
	Text string `json:"content"`
	Line string `json:"line"`
}

// account is a line's stored login.
type account struct {
	Username  string `json:"username"`
	Password  string `json:"password,omitempty"`
	Line      string `json:"line"`
	UserID    int64  `json:"userId"`
	DeviceID  int64  `json:"deviceId"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Created   string `json:"dateCreated"`
}

// session is a session key's stored account.
type session struct {
	Key      string `json:"key"`
	Username string `json:"username"`
	Line     string `json:"line"`
	DeviceID int64  `json:"deviceId"`
	UserID   int64  `json:"userId"`
}

// optOut records that a contact texted STOP to a line.
type optOut struct {
	Line    string `json:"line"`
	Contact string `json:"contact"`
	Date    string `json:"date"`
}

// Webhook is a subscription as Zipwhip lists it.
type Webhook struct {
	WebhookID int64  `json:"webhookId"`
	Type      string `json:"type"`
	Event     string `json:"event"`
	URL       string `json:"url"`
	Method    string `json:"method"`
}

// OptOutEvent is the optout/change payload, field for field as the
// vendor's example: messageId is a string here, eventDate has +00:00.
type OptOutEvent struct {
	MessageBody string `json:"messageBody"`
	Line        string `json:"line"`
	Contact     string `json:"contact"`
	MessageID   string `json:"messageId"`
	Type        string `json:"type"`
	EventDate   string `json:"eventDate"`
}

// date writes a time as the 2020 payloads do: UTC with Z, whole seconds.
func date(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// offsetDate writes a time with an explicit +00:00, as optout events do.
func offsetDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") + "+00:00" }

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mustJSON encodes v as Zipwhip's Jackson does: compact, without HTML
// escapes.
func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("zipwhip: encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func decode[T any](r *store.Resource) (*T, error) {
	var v T
	if err := json.Unmarshal(r.Doc, &v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
	}
	return &v, nil
}

// hash32 is a stable 32-bit digest of parts.
func hash32(parts ...string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(strings.Join(parts, "\x00")))
	return h.Sum32()
}

// fingerprint is the conversation's fingerprint of a line and a contact.
func fingerprint(line, contact string) string {
	return strconv.FormatUint(uint64(hash32("conversation", line, contact)), 10)
}

// deviceID and userID derive an account's ids from its line.
func deviceID(line string) int64 { return 100_000_000 + int64(hash32("device", line)%900_000_000) }
func userID(line string) int64   { return 10_000_000 + int64(hash32("user", line)%90_000_000) }

// ptn writes a number as a Zipwhip address.
func ptn(e164 string) string { return "ptn:/" + e164 }

// tollFree are the NANP toll-free area codes: messages from such a line
// get handset receipts (statusCode 6 or 7) after the carrier's 4.
var tollFree = map[string]bool{"800": true, "833": true, "844": true, "855": true, "866": true, "877": true, "888": true}

// isTollFree reports whether an E.164 line is a NANP toll-free number.
func isTollFree(line string) bool {
	return len(line) == 12 && strings.HasPrefix(line, "+1") && tollFree[line[2:5]]
}

// derivedLine is the line of an account whose username is no phone number:
// a Seattle 555 number outside the magic range 555-0100..0199.
func derivedLine(username string) string {
	return fmt.Sprintf("+1206555%04d", 2000+hash32("line", username)%8000)
}

// utf16Len counts s as Java's String.length does.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// utf16Prefix returns the longest prefix of s of at most n UTF-16 units
// that does not split a character.
func utf16Prefix(s string, n int) string {
	used := 0
	for i, r := range s {
		l := utf16.RuneLen(r)
		if used+l > n {
			return s[:i]
		}
		used += l
	}
	return s
}

var sessionPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9]{1,18}$`)

// validSession reports whether s has the shape of a session key.
func validSession(s string) bool { return sessionPattern.MatchString(s) }

// normalize reads a contact number in any documented form (E.164,
// 10-digit, with ptn:/) as E.164.
func normalize(s string) (string, bool) { return phone.Normalize(s) }
