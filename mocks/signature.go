package mocks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/config"
)

// HMACSigner writes a "<t>=<timestamp>,<v1>=<HMAC-SHA256(secret, timestamp + "." + body)>"
// signature header, the scheme Whereby documents and Whippy's own code
// suggests; header name, key names, timestamp unit and digest encoding come
// from config.Signature.
type HMACSigner struct {
	config.Signature
}

// NewSigner returns a signer for c.
func NewSigner(c config.Signature) *HMACSigner { return &HMACSigner{Signature: c} }

// Sign sets the signature header for body, signed with secret at now. It
// does nothing when signing is disabled or there is no secret.
func (s *HMACSigner) Sign(h http.Header, body []byte, secret string, now time.Time) error {
	if s.Disabled || secret == "" {
		return nil
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	if s.TimestampUnit == "ms" {
		ts = strconv.FormatInt(now.UnixMilli(), 10)
	}
	sig, err := s.digest(secret, ts, body)
	if err != nil {
		return err
	}
	h.Set(s.Header, s.TimestampKey+"="+ts+","+s.SignatureKey+"="+sig)
	return nil
}

func (s *HMACSigner) digest(secret, ts string, body []byte) (string, error) {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	sum := mac.Sum(nil)
	switch s.Encoding {
	case "hex":
		return hex.EncodeToString(sum), nil
	case "base64":
		return base64.StdEncoding.EncodeToString(sum), nil
	case "base64-unpadded":
		return base64.RawStdEncoding.EncodeToString(sum), nil
	case "base64url-unpadded":
		return base64.RawURLEncoding.EncodeToString(sum), nil
	}
	return "", fmt.Errorf("unknown signature encoding %q", s.Encoding)
}

// Verify checks a signature header made by Sign, rejecting timestamps
// further than tolerance from now. It is for documentation and examples;
// tests check signatures with their own code.
func (s *HMACSigner) Verify(h http.Header, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	v := h.Get(s.Header)
	if v == "" {
		return errors.New("no signature header")
	}
	var ts, sig string
	for _, part := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(part, "=")
		switch k {
		case s.TimestampKey:
			ts = val
		case s.SignatureKey:
			sig = val
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad signature timestamp")
	}
	t := time.Unix(n, 0)
	if s.TimestampUnit == "ms" {
		t = time.UnixMilli(n)
	}
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return errors.New("signature timestamp outside tolerance")
	}
	want, err := s.digest(secret, ts, body)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errors.New("signature mismatch")
	}
	return nil
}
