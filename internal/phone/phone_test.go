package phone_test

import (
	"testing"

	"github.com/vendorsim/vendorsim/internal/phone"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"+14155552671", "+14155552671", true},
		{"4155552671", "+14155552671", true},
		{"14155552671", "+14155552671", true},
		{"(415) 555-2671", "+14155552671", true},
		{"+1 415.555.2671", "+14155552671", true},
		{"ptn:/+12063996756", "+12063996756", true},
		{"ptn:/2063996756", "+12063996756", true},
		{"+359884988384", "+359884988384", true},
		{"+447911123456", "+447911123456", true},
		{"", "", false},
		{"abc", "", false},
		{"+1415555267", "", false},
		{"0155552671", "", false},
		{"+0123456789", "", false},
		{"12345", "", false},
		{"+1234567890123456", "", false},
		{"415-555-2671x12", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := phone.Normalize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMagic(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"+12065550101", "01", true},
		{"+14155550199", "99", true},
		{"+14155550200", "", false},
		{"+14155552671", "", false},
		{"+442065550101", "", false},
	}
	for _, tt := range tests {
		got, ok := phone.Magic(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Magic(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+14155552671", "(415) 555-2671", "ptn:/2063996756", "+", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := phone.Normalize(s)
		if !ok {
			return
		}
		again, ok2 := phone.Normalize(got)
		if !ok2 || again != got {
			t.Fatalf("Normalize(%q) = %q, not a fixed point (%q, %v)", s, got, again, ok2)
		}
	})
}
