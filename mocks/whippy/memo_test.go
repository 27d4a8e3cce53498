package whippy

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/vendorsim/vendorsim/store"
)

func TestChannelMemo(t *testing.T) {
	phone, color := "+14155550123", "#123456"
	want := &Channel{ID: "c1", Name: "Main", Phone: &phone, Color: &color, Type: "phone", OpeningHours: []OpeningHours{}, State: "enabled"}
	doc, _ := json.Marshal(want)
	var memo channelMemo
	a, err := memo.channel(&store.Resource{Doc: doc})
	if err != nil {
		t.Fatal(err)
	}
	// Changing one copy leaves the next as stored.
	*a.Phone = "+1999"
	a.OpeningHours = append(a.OpeningHours, OpeningHours{Weekday: "Monday"})
	b, err := memo.channel(&store.Resource{Doc: doc})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("memo gave %+v, want %+v", b, want)
	}
	if out, _ := json.Marshal(b); string(out) != string(doc) {
		t.Fatalf("a memoised channel encodes as %s, want %s", out, doc)
	}
	if _, err := memo.channel(&store.Resource{Doc: []byte("{")}); err == nil {
		t.Fatal("a broken document decoded")
	}
}
