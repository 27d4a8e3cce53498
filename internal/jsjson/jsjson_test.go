package jsjson_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vendorsim/vendorsim/internal/jsjson"
)

var update = flag.Bool("update", false, "regenerate testdata/*.golden.json by running node")

// nodeScript prints JSON.stringify(JSON.parse(stdin)).
const nodeScript = `process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8"))))`

// htmlMarshaler writes its JSON with escapes JavaScript would not use.
type htmlMarshaler struct{}

func (htmlMarshaler) MarshalJSON() ([]byte, error) {
	return []byte(`"\u003cb\u003e \/ \u0041"`), nil
}

type inner struct {
	Z string `json:"z"`
	A int    `json:"a"`
}

type Embedded struct {
	Kind string `json:"kind"`
}

type record struct {
	Embedded
	ID       json.Number       `json:"id"`
	Name     string            `json:"name"`
	Skipped  string            `json:"-"`
	Omitted  string            `json:"omitted,omitempty"`
	NilSlice []int             `json:"nil_slice"`
	Empty    []int             `json:"empty_slice"`
	NilMap   map[string]int    `json:"nil_map"`
	EmptyMap map[string]string `json:"empty_map"`
	Ptr      *int              `json:"ptr"`
	Inner    inner             `json:"inner"`
	Inners   []inner           `json:"inners"`
	Any      any               `json:"any"`
}

func controls() string {
	var b strings.Builder
	for r := rune(0); r < 0x20; r++ {
		b.WriteRune(r)
	}
	b.WriteRune(0x7f)
	return b.String()
}

// goldenCases are the values whose encodings were checked against node.
var goldenCases = []struct {
	name  string
	value any
}{
	{name: "html", value: `<script>alert('x' & "y")</script> </script>`},
	{name: "line_separators", value: "a\u2028b\u2029c\u2028"},
	{name: "escaped_backslashes", value: `\u2028 \\u2029 \\\u2028 \` + "\u2028"},
	{name: "quotes_and_backslashes", value: `"'\"\\`},
	{name: "controls", value: controls()},
	{name: "unicode", value: "é ñ ü 日本語 ☃ 😀 👍🏽 \ufffd \ufeff"},
	{name: "invalid_utf8", value: "a\xffb\xc3("},
	{name: "empty_string", value: ""},
	{name: "floats", value: []float64{
		0.1, 0.2 + 0.1, 1e21, 1e20, 1e-7, 1e-6, 123456789012345680000, math.Copysign(0, -1), 0,
		1.5e300, -1.25e-8, 5e-324, math.MaxFloat64, 100, -42.5, 1 / 3.0, 2.5e-5, 9007199254740993,
	}},
	{name: "float32", value: []float32{0.1, 1e21, 3.4028235e38, 1e-7}},
	{name: "json_numbers", value: []json.Number{
		"1234567890123456789", "9007199254740993", "1.0", "1E5", "-0", "1e400", "-1e400", "0.10", "1e-400", "12345678901234567890123",
	}},
	{name: "integers", value: []any{
		int64(math.MaxInt64), int64(math.MinInt64), int64(9007199254740993), int64(9007199254740991),
		uint64(math.MaxUint64), 42, -7, int32(math.MinInt32), 999999999999999, 1000000000000000,
	}},
	{name: "literals", value: []any{nil, true, false, "", []any{}, map[string]any{}}},
	{name: "nested", value: map[string]any{
		"b":      []any{1, "x", nil, true, map[string]any{"z": 1, "a": []string{}}},
		"a":      map[string]any{"deep": []any{[]any{[]any{"<&>"}}}},
		"é":      "key with accent",
		"<":      "key with html",
		"\u2028": "key that is a line separator",
	}},
	{name: "struct", value: record{
		Embedded: Embedded{Kind: "message"},
		ID:       "1234567890123456789",
		Name:     "Zoë & <co>",
		Skipped:  "never",
		Empty:    []int{},
		EmptyMap: map[string]string{},
		Inner:    inner{Z: "z", A: 1},
		Inners:   []inner{{Z: "\u2029", A: -0}, {}},
		Any:      htmlMarshaler{},
	}},
	{name: "raw_message", value: json.RawMessage(`{ "x" : "\u0041\/\ud83d\ude00\ud800\udc00x\udfff" , "y" : [ 1.0, -0, 1e2, -0.0, 1E-7 ], "z": "\u2028\"\\u2028" }`)},
	{name: "marshaler", value: htmlMarshaler{}},
}

// runNode returns what node prints for JSON.stringify(JSON.parse(input)).
func runNode(t *testing.T, input []byte) []byte {
	t.Helper()
	cmd := exec.Command("node", "-e", nodeScript)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	return out
}

// TestMarshalGolden compares Marshal with the output of node, recorded in
// testdata: NAME.in.json holds what encoding/json writes for the value, and
// NAME.golden.json what JSON.stringify(JSON.parse(·)) gives for it. Run with
// -update (and node installed) to record them again.
func TestMarshalGolden(t *testing.T) {
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			in, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			inPath := filepath.Join("testdata", tt.name+".in.json")
			goldenPath := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(inPath, in, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenPath, runNode(t, in), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			recorded, err := os.ReadFile(inPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(recorded, in) {
				t.Fatalf("encoding/json output: got %s, want %s as recorded in %s (run go test -update)", in, recorded, inPath)
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatal(err)
			}
			got, err := jsjson.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %s, want %s", got, want)
			}
			// The output is a fixed point: re-encoding it changes nothing,
			// as JSON.stringify(JSON.parse(·)) changes nothing in JavaScript.
			again, err := jsjson.Marshal(json.RawMessage(got))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, got) {
				t.Errorf("re-encoded: got %s, want %s", again, got)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{name: "html raw", in: "<a&b>", want: `"<a&b>"`},
		{name: "line separator raw", in: "\u2028", want: "\"\u2028\""},
		{name: "literal escape text kept", in: `\u2028`, want: `"\\u2028"`},
		{name: "no trailing newline", in: 1, want: `1`},
		{name: "negative zero", in: math.Copysign(0, -1), want: `0`},
		{name: "exponent", in: 1e-7, want: `1e-7`},
		{name: "large", in: 1e21, want: `1e+21`},
		{name: "unsafe integer", in: int64(9007199254740993), want: `9007199254740992`},
		{name: "map keys sorted", in: map[string]int{"b": 1, "a": 2}, want: `{"a":2,"b":1}`},
		{name: "nil slice", in: []int(nil), want: `null`},
		{name: "empty slice", in: []int{}, want: `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsjson.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{name: "NaN", in: math.NaN()},
		{name: "infinity", in: math.Inf(1)},
		{name: "channel", in: make(chan int)},
		{name: "invalid raw message", in: json.RawMessage(`{"a":`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := jsjson.Marshal(tt.in); err == nil {
				t.Errorf("got %s and nil error, want an error", got)
			}
		})
	}
}

// lineSeparatorEscape reports whether the JSON text b escapes U+2028 or U+2029.
func lineSeparatorEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if rest := string(b[i+1:]); strings.HasPrefix(rest, "u2028") || strings.HasPrefix(rest, "u2029") {
			return true
		}
		i++ // skip the escaped character, which may be a backslash
	}
	return false
}

// validUTF8 replaces each invalid byte of s with U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func FuzzMarshal(f *testing.F) {
	for _, s := range []string{"", "<>&", "\u2028\u2029", `\u2028`, `\\u2028`, "\\\u2028", controls(), "😀", "a\xffb", "\xed\xa0\x80", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := jsjson.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out) {
			t.Fatalf("output %q is not valid JSON", out)
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if want := validUTF8(s); got != want {
			t.Errorf("round trip: got %q, want %q", got, want)
		}
		if lineSeparatorEscape(out) {
			t.Errorf("output %q escapes a line separator", out)
		}
		if bytes.Contains(out, []byte(`\u003c`)) || bytes.Contains(out, []byte(`\u0026`)) {
			t.Errorf("output %q escapes HTML", out)
		}
		if !utf8.Valid(out) {
			t.Errorf("output %q is not valid UTF-8", out)
		}
	})
}

// FuzzCanonical checks that re-encoding any valid JSON keeps its meaning and
// is a fixed point.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.50,-0,1e400]}`, `"\ud800\udc00\ud800"`, `"\/\u0041\u2028"`, `[1E-7,0.000001,123456789012345678]`, `{"\u003c":"\\u2028"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		out, err := jsjson.Marshal(json.RawMessage(data))
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out) {
			t.Fatalf("output %q of %q is not valid JSON", out, data)
		}
		if lineSeparatorEscape(out) {
			t.Errorf("output %q escapes a line separator", out)
		}
		again, err := jsjson.Marshal(json.RawMessage(out))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, out) {
			t.Errorf("re-encoded %q: got %q, want %q", data, again, out)
		}
		var want, got any
		if err := json.Unmarshal(data, &want); err != nil {
			return // numbers beyond float64, which JavaScript turns into null
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("meaning of %q: got %#v, want %#v", data, got, want)
		}
	})
}
