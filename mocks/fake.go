package mocks

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
)

// Faker generates realistic, repeatable values shaped by OpenAPI schemas.
//
// A Faker holds only its seed, so it is safe for concurrent use: every value
// is drawn from a gofakeit generator created for that value alone. It never
// modifies the schemas it reads.
type Faker struct {
	seed int64
}

// NewFaker returns a Faker; equal seeds and keys give equal values. Seed 0 means 1.
func NewFaker(seed int64) *Faker {
	if seed == 0 {
		seed = 1
	}
	return &Faker{seed: seed}
}

// Value returns a JSON-ready value (map[string]any, []any, string, float64/int64, bool, nil) that validates against s.
// key makes the value repeatable: the same (seed, key) always gives the same value; different keys differ.
//
// Objects carry every declared property (writeOnly ones excepted, as the value
// is meant for responses), arrays have minItems to max(minItems, 2) items, and
// nullable schemas still get a value. A nil schema gives nil.
func (f *Faker) Value(key string, s *openapi3.SchemaRef) any {
	if s == nil || s.Value == nil {
		return nil
	}
	g := &fakeGen{seed: f.seed}
	return g.value(key, "", s.Value)
}

// Body returns the response body for a media type: its `example`, else the first of its `examples` (sorted by name),
// else the schema's own example (following $ref, including an example on a referenced component), else Value(key, mt.Schema).
//
// Examples are deep-copied, so callers may modify the result.
func (f *Faker) Body(key string, mt *openapi3.MediaType) any {
	if mt == nil {
		return nil
	}
	if mt.Example != nil {
		return cloneJSON(mt.Example)
	}
	names := make([]string, 0, len(mt.Examples))
	for name := range mt.Examples {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return cloneJSON(ex.Value.Value)
		}
	}
	if mt.Schema != nil && mt.Schema.Value != nil {
		s := mt.Schema.Value
		if s.Example != nil {
			return cloneJSON(s.Example)
		}
		if len(s.Examples) > 0 && s.Examples[0] != nil {
			return cloneJSON(s.Examples[0])
		}
	}
	return f.Value(key, mt.Schema)
}

// seedFromHash derives the seed of one value's generator from the Faker's seed
// and the value's key with FNV-1a. It never returns 0, which gofakeit takes to
// mean a random seed.
func seedFromHash(seed int64, key string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(key))
	if sum := h.Sum64(); sum != 0 {
		return sum
	}
	return 1
}

const (
	// softDepth is the nesting depth beyond which objects keep only their
	// required properties and arrays only their minimum number of items.
	softDepth = 8
	// hardDepth is the nesting depth at which generation stops altogether,
	// for schemas that require themselves.
	hardDepth = 32
)

var (
	// fakeEpoch and fakeSpan bound generated dates: 2024 and 2025.
	fakeEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	fakeSpan  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Sub(fakeEpoch)
)

// fakeGen generates one value; it tracks the schemas being generated to stop
// recursive schemas.
type fakeGen struct {
	seed  int64
	stack []*openapi3.Schema
}

// rng returns the generator for the value at key.
func (g *fakeGen) rng(key string) *gofakeit.Faker {
	return gofakeit.New(seedFromHash(g.seed, key))
}

// recursive reports whether generating s now would recurse into a schema
// being generated, or nest too deep.
func (g *fakeGen) recursive(s *openapi3.Schema) bool {
	return len(g.stack) >= softDepth || slices.Contains(g.stack, s)
}

// valid reports whether v validates against s as part of a response.
func valid(s *openapi3.Schema, v any) bool {
	return s.VisitJSON(v, openapi3.VisitAsResponse()) == nil
}

// value generates the value at key for s; name is the name of the property
// holding it, for realistic strings.
func (g *fakeGen) value(key, name string, s *openapi3.Schema) any {
	if len(g.stack) >= hardDepth {
		return nil
	}
	g.stack = append(g.stack, s)
	defer func() { g.stack = g.stack[:len(g.stack)-1] }()

	if s.Const != nil {
		return cloneJSON(s.Const)
	}
	if len(s.AllOf) > 0 {
		s = mergeAllOf(s)
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		return g.alternative(key, name, s)
	}
	if len(s.Enum) > 0 {
		return pickEnum(g.rng(key), s.Enum)
	}
	switch schemaType(s) {
	case openapi3.TypeObject:
		return g.object(key, s)
	case openapi3.TypeArray:
		return g.array(key, name, s)
	case openapi3.TypeInteger:
		return numberValue(g.rng(key), name, s, true)
	case openapi3.TypeNumber:
		return numberValue(g.rng(key), name, s, false)
	case openapi3.TypeBoolean:
		return g.rng(key).Bool()
	case openapi3.TypeNull:
		return nil
	default:
		return stringValue(g.rng(key), name, s)
	}
}

// schemaType returns the type to generate for s: its first non-null type, or
// one inferred from its keywords. "" means any type.
func schemaType(s *openapi3.Schema) string {
	if s.Type != nil && len(*s.Type) > 0 {
		for _, t := range *s.Type {
			if t != openapi3.TypeNull {
				return t
			}
		}
		return openapi3.TypeNull
	}
	switch {
	case len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Schema != nil:
		return openapi3.TypeObject
	case s.Items != nil || s.MinItems > 0 || s.MaxItems != nil:
		return openapi3.TypeArray
	case s.Format != "" || s.Pattern != "" || s.MinLength > 0 || s.MaxLength != nil:
		return openapi3.TypeString
	case s.Min != nil || s.Max != nil || s.MultipleOf != nil:
		return openapi3.TypeNumber
	}
	return ""
}

// pickEnum picks one of the allowed values, preferring non-null ones.
func pickEnum(r *gofakeit.Faker, enum []any) any {
	values := make([]any, 0, len(enum))
	for _, v := range enum {
		if v != nil {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return nil
	}
	return cloneJSON(values[r.IntN(len(values))])
}

// alternative generates a value for a schema with oneOf or anyOf: from its
// first alternative, or the first after it whose value validates when the
// first one's does not.
func (g *fakeGen) alternative(key, name string, s *openapi3.Schema) any {
	alts := s.OneOf
	base := *s
	base.OneOf = nil
	if len(alts) == 0 {
		alts = s.AnyOf
		base.AnyOf = nil
	}
	var first any
	firstSet := false
	for _, alt := range alts {
		if alt == nil || alt.Value == nil {
			continue
		}
		sub := alt.Value
		if !bare(&base) {
			sub = mergeSchemas(&base, sub)
		}
		v := g.value(key, name, sub)
		if d := s.Discriminator; d != nil && d.PropertyName != "" {
			if m, ok := v.(map[string]any); ok {
				if dv := discriminatorValue(d, alt.Ref); dv != "" {
					m[d.PropertyName] = dv
				}
			}
		}
		if !firstSet {
			first, firstSet = v, true
		}
		if valid(s, v) {
			return v
		}
	}
	return first
}

// bare reports whether s constrains nothing besides its oneOf/anyOf, so an
// alternative can be generated on its own.
func bare(s *openapi3.Schema) bool {
	return (s.Type == nil || len(*s.Type) == 0) && len(s.Properties) == 0 && len(s.Required) == 0 &&
		s.Items == nil && len(s.Enum) == 0 && s.Format == "" && s.Pattern == "" && s.Const == nil &&
		s.Min == nil && s.Max == nil && s.MultipleOf == nil && s.MinLength == 0 && s.MaxLength == nil &&
		s.MinItems == 0 && s.MaxItems == nil && s.MinProps == 0 && s.MaxProps == nil &&
		len(s.OneOf) == 0 && len(s.AnyOf) == 0 && len(s.AllOf) == 0
}

// discriminatorValue returns the discriminator value that selects the
// alternative at ref: its key in the mapping, else the schema's name.
func discriminatorValue(d *openapi3.Discriminator, ref string) string {
	if ref == "" {
		return ""
	}
	keys := make([]string, 0, len(d.Mapping))
	for k := range d.Mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// A mapping value is a reference or, as a shorthand, a schema name.
		if m := d.Mapping[k]; m.Ref == ref || (!strings.Contains(m.Ref, "/") && m.Ref == refName(ref)) {
			return k
		}
	}
	if len(d.Mapping) > 0 {
		return ""
	}
	return refName(ref)
}

// refName returns the last segment of a reference: the schema's name.
func refName(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}

// mergeAllOf returns a schema that has the keywords of s and of all its allOf
// subschemas, and no allOf.
func mergeAllOf(s *openapi3.Schema) *openapi3.Schema {
	merged := *s
	merged.AllOf = nil
	out := &merged
	for _, part := range s.AllOf {
		if part == nil || part.Value == nil {
			continue
		}
		p := part.Value
		if len(p.AllOf) > 0 {
			p = mergeAllOf(p)
		}
		out = mergeSchemas(out, p)
	}
	return out
}

// mergeSchemas returns a new schema with the keywords of a and b: the
// properties and required names of both, the tighter of their bounds and,
// for other keywords, a's when set and b's otherwise. Neither is modified.
func mergeSchemas(a, b *openapi3.Schema) *openapi3.Schema {
	m := *a
	if m.Type == nil || len(*m.Type) == 0 {
		m.Type = b.Type
	}
	if m.Format == "" {
		m.Format = b.Format
	}
	if m.Pattern == "" {
		m.Pattern = b.Pattern
	}
	if len(m.Enum) == 0 {
		m.Enum = b.Enum
	}
	if m.Const == nil {
		m.Const = b.Const
	}
	if m.Example == nil {
		m.Example = b.Example
	}
	if len(m.Examples) == 0 {
		m.Examples = b.Examples
	}
	if len(m.OneOf) == 0 {
		m.OneOf = b.OneOf
	}
	if len(m.AnyOf) == 0 {
		m.AnyOf = b.AnyOf
	}
	if len(b.AllOf) > 0 {
		m.AllOf = append(slices.Clone(m.AllOf), b.AllOf...)
	}
	if m.Discriminator == nil {
		m.Discriminator = b.Discriminator
	}
	if m.MultipleOf == nil {
		m.MultipleOf = b.MultipleOf
	}
	m.Nullable = a.Nullable && b.Nullable
	m.ReadOnly = a.ReadOnly || b.ReadOnly
	m.WriteOnly = a.WriteOnly || b.WriteOnly
	m.UniqueItems = a.UniqueItems || b.UniqueItems
	m.Min = tighter(a.Min, b.Min, math.Max)
	m.Max = tighter(a.Max, b.Max, math.Min)
	if !m.ExclusiveMin.IsSet() {
		m.ExclusiveMin = b.ExclusiveMin
	}
	if !m.ExclusiveMax.IsSet() {
		m.ExclusiveMax = b.ExclusiveMax
	}
	m.MinLength = max(a.MinLength, b.MinLength)
	m.MaxLength = tighterUint(a.MaxLength, b.MaxLength)
	m.MinItems = max(a.MinItems, b.MinItems)
	m.MaxItems = tighterUint(a.MaxItems, b.MaxItems)
	m.MinProps = max(a.MinProps, b.MinProps)
	m.MaxProps = tighterUint(a.MaxProps, b.MaxProps)
	switch {
	case m.Items == nil:
		m.Items = b.Items
	case b.Items != nil && b.Items != m.Items:
		m.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{m.Items, b.Items}}}
	}
	if len(b.Properties) > 0 {
		props := make(openapi3.Schemas, len(a.Properties)+len(b.Properties))
		for k, v := range a.Properties {
			props[k] = v
		}
		for k, v := range b.Properties {
			if prev, ok := props[k]; ok && prev != nil && prev != v {
				props[k] = &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{prev, v}}}
				continue
			}
			props[k] = v
		}
		m.Properties = props
	}
	if len(b.Required) > 0 {
		req := slices.Clone(a.Required)
		for _, k := range b.Required {
			if !slices.Contains(req, k) {
				req = append(req, k)
			}
		}
		m.Required = req
	}
	if m.AdditionalProperties.Has == nil && m.AdditionalProperties.Schema == nil {
		m.AdditionalProperties = b.AdditionalProperties
	}
	return &m
}

func tighter(a, b *float64, pick func(x, y float64) float64) *float64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	v := pick(*a, *b)
	return &v
}

func tighterUint(a, b *uint64) *uint64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	v := min(*a, *b)
	return &v
}

// object generates every property of s except writeOnly ones, leaving out
// optional properties that would recurse.
func (g *fakeGen) object(key string, s *openapi3.Schema) any {
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	m := make(map[string]any, len(names))
	for _, name := range names {
		p := s.Properties[name]
		if p == nil || p.Value == nil || p.Value.WriteOnly {
			continue
		}
		if !slices.Contains(s.Required, name) && g.recursive(p.Value) {
			continue
		}
		m[name] = g.value(key+"/"+name, name, p.Value)
	}
	var extra *openapi3.Schema
	if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
		extra = ap.Value
	}
	for _, name := range s.Required {
		if _, ok := m[name]; !ok {
			m[name] = g.extraProperty(key+"/"+name, name, extra)
		}
	}
	if allowed := s.AdditionalProperties.Has; allowed == nil || *allowed {
		for i := 1; uint64(len(m)) < s.MinProps; i++ {
			name := "field" + strconv.Itoa(i)
			if _, ok := m[name]; !ok {
				m[name] = g.extraProperty(key+"/"+name, name, extra)
			}
		}
	}
	if s.MaxProps != nil {
		for i := len(names) - 1; i >= 0 && uint64(len(m)) > *s.MaxProps; i-- {
			if !slices.Contains(s.Required, names[i]) {
				delete(m, names[i])
			}
		}
	}
	return m
}

// extraProperty generates a property that s does not declare.
func (g *fakeGen) extraProperty(key, name string, s *openapi3.Schema) any {
	if s == nil {
		return stringValue(g.rng(key), name, &openapi3.Schema{})
	}
	return g.value(key, name, s)
}

// array generates minItems to max(minItems, 2) items, at most maxItems.
func (g *fakeGen) array(key, name string, s *openapi3.Schema) any {
	items := &openapi3.Schema{}
	if s.Items != nil && s.Items.Value != nil {
		items = s.Items.Value
	}
	lo := int(min(s.MinItems, 1<<16))
	hi := max(lo, 2)
	if s.MaxItems != nil && uint64(hi) > *s.MaxItems {
		hi = int(*s.MaxItems)
	}
	lo = min(lo, hi)
	if g.recursive(items) {
		hi = lo
	}
	n := lo + g.rng(key).IntN(hi-lo+1)
	out := make([]any, 0, n)
	var dups []any
	seen := map[string]bool{}
	for i := 0; len(out) < n && i < 4*n+32; i++ {
		v := g.value(key+"/"+strconv.Itoa(i), name, items)
		k := fmt.Sprintf("%#v", v)
		if seen[k] {
			dups = append(dups, v)
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	// Items are distinct when they can be; duplicates only fill up to
	// minItems, and only where uniqueItems allows them.
	for len(out) < lo && len(dups) > 0 && !s.UniqueItems {
		out, dups = append(out, dups[0]), dups[1:]
	}
	return out
}

// numberValue generates an integer (as int64) or a number (as float64) within
// the bounds of s.
func numberValue(r *gofakeit.Faker, name string, s *openapi3.Schema, integer bool) any {
	lo, hi := -math.MaxFloat64, math.MaxFloat64
	loEx, hiEx := false, false
	hasLo, hasHi := false, false
	if s.Min != nil {
		lo, hasLo = *s.Min, true
		loEx = s.ExclusiveMin.IsTrue()
	}
	if v := s.ExclusiveMin.Value; v != nil && (!hasLo || *v >= lo) {
		lo, hasLo, loEx = *v, true, true
	}
	if s.Max != nil {
		hi, hasHi = *s.Max, true
		hiEx = s.ExclusiveMax.IsTrue()
	}
	if v := s.ExclusiveMax.Value; v != nil && (!hasHi || *v <= hi) {
		hi, hasHi, hiEx = *v, true, true
	}
	switch s.Format {
	case "int32":
		lo, hi = math.Max(lo, math.MinInt32), math.Min(hi, math.MaxInt32)
	case "int64":
		lo, hi = math.Max(lo, -(1<<53)), math.Min(hi, 1<<53)
	}
	var candidates []any
	if integer && isTimestampName(name) {
		candidates = append(candidates, fakeEpoch.Add(time.Duration(int64N(r, int64(fakeSpan)))).Unix())
	}
	if nlo, nhi, ok := nameRange(name); ok && integer {
		candidates = append(candidates, int64(nlo)+int64N(r, int64(nhi-nlo)+1))
	}
	switch {
	case !hasLo && !hasHi:
		lo, hi = 1, 1000
	case !hasHi:
		hi = lo + 1000
	case !hasLo:
		lo = hi - 1000
		if hi >= 2 {
			lo = 1
		}
	}
	lo, hi = math.Max(lo, -(1<<53)), math.Min(hi, 1<<53)
	if integer {
		candidates = append(candidates, integerIn(r, lo, hi, loEx, hiEx, s.MultipleOf))
	} else {
		candidates = append(candidates, floatIn(r, lo, hi, loEx, hiEx, s.MultipleOf))
	}
	for _, c := range candidates {
		if valid(s, c) {
			return c
		}
	}
	if ex, ok := s.Example.(float64); ok && valid(s, ex) {
		if integer && ex == math.Trunc(ex) {
			return int64(ex)
		}
		return ex
	}
	return candidates[len(candidates)-1]
}

func integerIn(r *gofakeit.Faker, lo, hi float64, loEx, hiEx bool, multipleOf *float64) any {
	ilo, ihi := math.Ceil(lo), math.Floor(hi)
	if loEx && ilo == lo {
		ilo++
	}
	if hiEx && ihi == hi {
		ihi--
	}
	if ihi < ilo {
		return int64(ilo)
	}
	if m := multipleOf; m != nil && *m > 0 {
		kmin, kmax := math.Ceil(ilo / *m), math.Floor(ihi / *m)
		if kmin <= kmax {
			v := (kmin + float64(int64N(r, int64(kmax-kmin)+1))) * *m
			if v == math.Trunc(v) {
				return int64(v)
			}
			return v
		}
	}
	return int64(ilo) + int64N(r, int64(ihi-ilo)+1)
}

func floatIn(r *gofakeit.Faker, lo, hi float64, loEx, hiEx bool, multipleOf *float64) float64 {
	if m := multipleOf; m != nil && *m > 0 {
		kmin, kmax := math.Ceil(lo / *m), math.Floor(hi / *m)
		if loEx && kmin**m == lo {
			kmin++
		}
		if hiEx && kmax**m == hi {
			kmax--
		}
		if kmin <= kmax {
			return (kmin + float64(int64N(r, int64(math.Min(kmax-kmin, 1<<53))+1))) * *m
		}
	}
	v := lo + (hi-lo)*(0.05+0.9*r.Float64())
	if rounded := math.Round(v*100) / 100; inBounds(rounded, lo, hi, loEx, hiEx) {
		return rounded
	}
	if inBounds(v, lo, hi, loEx, hiEx) {
		return v
	}
	return lo + (hi-lo)/2
}

func inBounds(v, lo, hi float64, loEx, hiEx bool) bool {
	return (v > lo || !loEx && v == lo) && (v < hi || !hiEx && v == hi)
}

// stringValue generates a string for s: from its format or, without one, from
// the name of its property; then from its pattern, its example, or words.
// It returns the first candidate that validates.
func stringValue(r *gofakeit.Faker, name string, s *openapi3.Schema) string {
	var candidates []string
	if s.Format != "" {
		if v, ok := formatValue(r, s.Format); ok {
			candidates = append(candidates, v)
		}
	} else {
		candidates = nameValues(r, name)
	}
	plain := plainString(r, s)
	for _, c := range candidates {
		if valid(s, c) {
			return c
		}
	}
	if s.Pattern != "" {
		if re, err := regexp.Compile(s.Pattern); err == nil {
			for range 16 {
				c, ok := patternString(r, s.Pattern)
				if ok && re.MatchString(c) && valid(s, c) {
					return c
				}
			}
		}
	}
	if ex, ok := s.Example.(string); ok && valid(s, ex) {
		return ex
	}
	for _, e := range s.Examples {
		if ex, ok := e.(string); ok && valid(s, ex) {
			return ex
		}
	}
	if valid(s, plain) || len(candidates) == 0 {
		return plain
	}
	return candidates[0]
}

// formatValue generates a string in a format it knows.
func formatValue(r *gofakeit.Faker, format string) (string, bool) {
	switch strings.ToLower(format) {
	case "uuid":
		return r.UUID(), true
	case "date-time":
		return fakeTime(r).Format("2006-01-02T15:04:05.000000Z"), true
	case "date":
		return fakeTime(r).Format(time.DateOnly), true
	case "time":
		return fakeTime(r).Format("15:04:05Z"), true
	case "email", "idn-email":
		return r.Email(), true
	case "uri", "url", "iri", "uri-reference":
		return r.URL(), true
	case "ipv4":
		return r.IPv4Address(), true
	case "ipv6":
		return r.IPv6Address(), true
	case "hostname", "idn-hostname":
		return r.DomainName(), true
	case "byte":
		return "ZmFrZSBkYXRh", true
	}
	return "", false
}

func fakeTime(r *gofakeit.Faker) time.Time {
	return fakeEpoch.Add(time.Duration(int64N(r, int64(fakeSpan/time.Microsecond))) * time.Microsecond)
}

// nameTokens splits a property name into lowercase words: "displayName",
// "display_name" and "display-name" all give [display name].
func nameTokens(name string) []string {
	var b strings.Builder
	prev := rune(0)
	for _, c := range name {
		if unicode.IsUpper(c) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			b.WriteByte(' ')
		}
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteByte(' ')
		}
		prev = c
	}
	return strings.Fields(b.String())
}

func isTimestampName(name string) bool {
	t := nameTokens(name)
	if len(t) == 0 {
		return false
	}
	last := t[len(t)-1]
	return len(t) > 1 && (last == "at" || last == "date") || t[0] == "date" || last == "timestamp"
}

// nameValues returns realistic strings for a property name, best first.
func nameValues(r *gofakeit.Faker, name string) []string {
	t := nameTokens(name)
	if len(t) == 0 {
		return nil
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if slices.Contains(t, w) {
				return true
			}
		}
		return false
	}
	contains := func(parts ...string) bool {
		for _, w := range t {
			for _, p := range parts {
				if strings.Contains(w, p) {
					return true
				}
			}
		}
		return false
	}
	last := t[len(t)-1]
	if has("mime") || has("content", "media") && last == "type" {
		return []string{r.FileMimeType()}
	}
	switch last {
	case "type", "kind", "status", "state", "mode", "format", "count", "size", "length", "version":
		if len(t) > 1 {
			return nil
		}
	}
	switch {
	case contains("timezone") || has("tz") || slices.Index(t, "time") >= 0 && slices.Index(t, "zone") == slices.Index(t, "time")+1:
		return []string{r.TimeZoneRegion()}
	case isTimestampName(name):
		return []string{fakeTime(r).Format("2006-01-02T15:04:05.000000Z")}
	case last == "id" || last == "uuid" || strings.HasSuffix(last, "uuid"):
		return []string{r.UUID()}
	case contains("email"):
		return []string{r.Email()}
	case contains("phone", "mobile") || t[0] == "from" || t[0] == "to":
		return []string{phoneNumber(r)}
	case has("firstname") || has("first", "given") && last == "name":
		return []string{r.FirstName()}
	case has("lastname", "surname") || has("last", "family") && last == "name":
		return []string{r.LastName()}
	case has("username") || has("user") && last == "name":
		return []string{r.Username()}
	case has("company", "organization", "organisation", "business"):
		return []string{r.Company()}
	case has("displayname", "fullname", "name") && !has("file", "channel", "team", "group", "domain", "host", "template", "tag", "room", "app", "product", "event"):
		return []string{r.Name()}
	case has("title", "subject", "headline"):
		return []string{shortSentence(r)}
	case has("body", "message", "description", "text", "content", "note", "notes", "comment", "summary", "bio", "caption"):
		return []string{r.Sentence()}
	case contains("url", "uri", "link", "href", "website", "webhook"):
		return []string{r.URL()}
	case has("ip"):
		return []string{r.IPv4Address()}
	case has("city", "town"):
		return []string{r.City()}
	case has("state", "province"):
		return []string{r.State(), r.StateAbr()}
	case has("country"):
		return []string{r.Country(), r.CountryAbr()}
	case has("zip", "zipcode", "postcode", "postal"):
		return []string{r.Zip()}
	case has("street", "address", "address1", "line1"):
		return []string{r.Street()}
	case has("color", "colour"):
		return []string{fmt.Sprintf("#%06x", r.IntN(1<<24))}
	case contains("emoji"):
		return []string{r.Emoji()}
	case has("hostname", "domain"):
		return []string{r.DomainName()}
	case has("language", "lang", "locale"):
		return []string{r.LanguageAbbreviation(), r.LanguageBCP()}
	case has("currency"):
		return []string{r.CurrencyShort()}
	}
	return nil
}

// nameRange returns realistic bounds for an integer property, or false.
func nameRange(name string) (lo, hi float64, ok bool) {
	t := nameTokens(name)
	if len(t) == 0 {
		return 0, 0, false
	}
	switch t[len(t)-1] {
	case "year":
		return 1950, 2005, true
	case "month":
		return 1, 12, true
	case "day":
		return 1, 28, true
	case "hour":
		return 0, 23, true
	case "minute", "second":
		return 0, 59, true
	case "age":
		return 18, 80, true
	}
	return 0, 0, false
}

// phoneNumber returns a US number in E.164 form with a valid area code and
// exchange, outside the fictional 555-01xx range.
func phoneNumber(r *gofakeit.Faker) string {
	d := []byte(r.Phone())
	d[0] = '2' + (d[0]-'0')%8
	if d[1] == '9' {
		d[1] = '8'
	}
	d[3] = '2' + (d[3]-'0')%8
	if string(d[3:6]) == "555" && d[6] == '0' && d[7] == '1' {
		d[6] = '2' + (d[6]-'0')%8
	}
	return "+1" + string(d)
}

// shortSentence returns three to five words, capitalized, with no final punctuation.
func shortSentence(r *gofakeit.Faker) string {
	words := strings.Fields(strings.TrimRight(r.Sentence(), ".!?"))
	n := min(len(words), 3+r.IntN(3))
	if n == 0 {
		w := r.Word()
		return strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.TrimRight(strings.Join(words[:n], " "), ",;:")
}

// plainString returns words fitted to the length bounds of s.
func plainString(r *gofakeit.Faker, s *openapi3.Schema) string {
	minLen := int(min(s.MinLength, 1<<16))
	maxLen := max(minLen, 24)
	if s.MaxLength != nil {
		maxLen = int(min(*s.MaxLength, 1<<16))
	}
	v := r.Word()
	for utf16Len(v) < minLen {
		v += " " + r.Word()
	}
	if utf16Len(v) > maxLen {
		v = truncateUTF16(v, maxLen)
		if t := strings.TrimRight(v, " "); utf16Len(t) >= minLen {
			v = t
		}
	}
	return v
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func truncateUTF16(s string, n int) string {
	used := 0
	for i, r := range s {
		used += utf16.RuneLen(r)
		if used > n {
			return s[:i]
		}
	}
	return s
}

// patternString generates a string that the regular expression pattern
// should match; callers verify that it does.
func patternString(r *gofakeit.Faker, pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !writeRegexp(r, &b, re) {
		return "", false
	}
	return b.String(), true
}

func writeRegexp(r *gofakeit.Faker, b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			b.WriteRune(c)
		}
	case syntax.OpCharClass:
		b.WriteRune(classRune(r, re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte("abcdefghijklmnopqrstuvwxyz"[r.IntN(26)])
	case syntax.OpCapture:
		return writeRegexp(r, b, re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !writeRegexp(r, b, sub) {
				return false
			}
		}
	case syntax.OpAlternate:
		return writeRegexp(r, b, re.Sub[r.IntN(len(re.Sub))])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 0
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, 3
		case syntax.OpPlus:
			lo, hi = 1, 4
		case syntax.OpQuest:
			lo, hi = 0, 1
		default:
			lo, hi = re.Min, re.Max
			if hi < 0 || hi > lo+5 {
				hi = lo + 5
			}
		}
		for range lo + r.IntN(hi-lo+1) {
			if !writeRegexp(r, b, re.Sub[0]) {
				return false
			}
		}
	}
	return true
}

// classRune picks a rune of a character class given as ranges, preferring
// printable ASCII.
func classRune(r *gofakeit.Faker, ranges []rune) rune {
	var ascii [][2]rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := max(ranges[i], 0x21), min(ranges[i+1], 0x7e)
		if lo <= hi {
			ascii = append(ascii, [2]rune{lo, hi})
		}
	}
	if len(ascii) > 0 {
		p := ascii[r.IntN(len(ascii))]
		return p[0] + rune(r.IntN(int(p[1]-p[0])+1))
	}
	if len(ranges) >= 2 && utf8.ValidRune(ranges[0]) {
		return ranges[0]
	}
	return 'a'
}

// cloneJSON deep-copies the maps and slices of a JSON-like value.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = cloneJSON(e)
		}
		return s
	}
	return v
}

// int64N returns a number in [0, n); n must be positive.
func int64N(r *gofakeit.Faker, n int64) int64 {
	return int64(r.Uint64() % uint64(n))
}
