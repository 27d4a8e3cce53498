package whippy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// bulkBody is the JSON body of a campaign or sequence request from "from"
// to the n numbers +1312 first.. first+n-1 (below the magic range
// 555-0100..0199 while first+n < 5,550,100).
func bulkBody(tb testing.TB, from string, first, n int) []byte {
	tb.Helper()
	body, err := json.Marshal(M{"from": from, "body": "load test", "to": recipients(first, n)})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// BenchmarkCampaign is POST /whippy/v1/messaging/sms/campaign to 1,000 new
// numbers (each iteration its own), in a workspace of 1,000 contacts that
// keeps the contacts and conversations of earlier iterations. A campaign
// takes time linear in its recipients when ns/recipient stays the same for
// other sizes (CAMPAIGN_SIZES=500,1000,2000,4000).
func BenchmarkCampaign(b *testing.B) {
	benchBulk(b, "/messaging/sms/campaign")
}

// BenchmarkSequenceContacts is POST /whippy/v1/sequences/{id}/contacts,
// like BenchmarkCampaign.
func BenchmarkSequenceContacts(b *testing.B) {
	benchBulk(b, "")
}

// benchBulk sends bulk requests of each size in campaignSizes to path, or
// to the contacts of the workspace's sequence when path is "".
func benchBulk(b *testing.B, path string) {
	s, from := benchServer(b)
	c := s.Whippy("bench-key")
	if path == "" {
		seqs, _ := listOf(b, apptest.Want(b, c.Get(b, "/sequences"), http.StatusOK))
		path = "/sequences/" + field(seqs[0], "id") + "/contacts"
	}
	next := 0 // the first number not sent to yet
	for _, n := range campaignSizes(b) {
		b.Run(fmt.Sprintf("recipients=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				body := bulkBody(b, from, next, n)
				next += n
				b.StartTimer()
				apptest.Want(b, c.Post(b, path, body), http.StatusAccepted)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/recipient")
		})
	}
}

// campaignSizes are the request sizes the bulk benchmarks measure: 1,000,
// or the comma-separated CAMPAIGN_SIZES (e.g. 500,1000,2000,4000).
func campaignSizes(b *testing.B) []int {
	b.Helper()
	v := os.Getenv("CAMPAIGN_SIZES")
	if v == "" {
		return []int{1000}
	}
	var sizes []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("CAMPAIGN_SIZES: %q is not a positive number", f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}
