package mocks

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// FieldError is a request defect in words a client developer understands.
type FieldError struct {
	Field   string // dotted path: "to", "contacts.0.phone", "limit", "messages[limit]"; "" for the whole body
	Message string // complete sentence fragment naming the field, e.g. "to is required", "body must be at most 1000 characters", "limit must be at most 500", "limit must be an integer", "status must be one of open, closed, automated", "request body is not valid JSON", "request body must be a JSON object"
}

func (e *FieldError) Error() string { return e.Message }

// DescribeRequestError turns an error from openapi3filter.ValidateRequest into a FieldError. It never returns nil for a non-nil err,
// never leaks Go type names, schema dumps or "doesn't match schema" boilerplate.
//
// It understands the errors of both schema validators kin-openapi uses: its
// own for OpenAPI 3.0 documents and the JSON Schema 2020-12 one for 3.1
// documents. Of several errors (an openapi3.MultiError) it describes the first.
func DescribeRequestError(err error) *FieldError {
	if err == nil {
		return nil
	}
	if me, ok := err.(openapi3.MultiError); ok {
		for _, e := range me {
			if e != nil {
				return DescribeRequestError(e)
			}
		}
		return &FieldError{Message: "request is invalid"}
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		return describeRequestError(re)
	}
	var sre *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sre) {
		return &FieldError{Message: "request credentials are missing or invalid"}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return describeSchemaError(se, bodyLocation)
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		return &FieldError{Message: "request body is not valid JSON"}
	}
	return &FieldError{Message: "request is invalid"}
}

func describeRequestError(re *openapi3filter.RequestError) *FieldError {
	switch {
	case re.Parameter != nil:
		return describeParameterError(re.Parameter, re.Err)
	case re.RequestBody != nil:
		return describeBodyError(re)
	}
	if re.Err != nil && strings.Contains(re.Err.Error(), "request body not allowed") {
		return &FieldError{Message: "request body is not allowed"}
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		return describeSchemaError(se, bodyLocation)
	}
	return &FieldError{Message: "request is invalid"}
}

// location names the value at a JSON pointer within a parameter or the body:
// its Field and the subject of messages about it.
type location func(ptr []string) (field, subject string)

func bodyLocation(ptr []string) (string, string) {
	if len(ptr) == 0 {
		return "", "request body"
	}
	field := strings.Join(ptr, ".")
	return field, field
}

// parameterLocation names the values within parameter p: properties of a
// deepObject parameter as p[prop], items of an array parameter as "each value
// of p".
func parameterLocation(p *openapi3.Parameter) location {
	return func(ptr []string) (string, string) {
		field := p.Name
		each := false
		for _, k := range ptr {
			switch {
			case p.Style == openapi3.SerializationDeepObject:
				field += "[" + k + "]"
			case isIndex(k):
				each = true
			default:
				field += "." + k
			}
		}
		subject := field
		switch p.In {
		case openapi3.ParameterInHeader:
			subject += " header"
		case openapi3.ParameterInCookie:
			subject += " cookie"
		}
		if each {
			subject = "each value of " + subject
		}
		return field, subject
	}
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

func describeParameterError(p *openapi3.Parameter, err error) *FieldError {
	loc := parameterLocation(p)
	field, subject := loc(nil)
	var pe *openapi3filter.ParseError
	var se *openapi3.SchemaError
	switch {
	case errors.Is(err, openapi3filter.ErrInvalidRequired):
		return &FieldError{Field: field, Message: subject + " is required"}
	case errors.Is(err, openapi3filter.ErrInvalidEmptyValue):
		return &FieldError{Field: field, Message: subject + " must not be empty"}
	case errors.As(err, &pe):
		var path []string
		for _, k := range pe.Path() {
			path = append(path, fmt.Sprint(k))
		}
		field, subject := loc(path)
		return &FieldError{Field: field, Message: subject + " " + parsePredicate(pe)}
	case errors.As(err, &se):
		return describeSchemaError(se, loc)
	}
	return &FieldError{Field: field, Message: subject + " is invalid"}
}

// parsePredicate says what a parameter value that failed to parse must be.
func parsePredicate(pe *openapi3filter.ParseError) string {
	reason := pe.Reason
	for inner := pe; inner != nil; {
		if inner.Reason != "" {
			reason = inner.Reason
		}
		next, ok := inner.Cause.(*openapi3filter.ParseError)
		if !ok {
			break
		}
		inner = next
	}
	switch reason {
	case "an invalid integer":
		return "must be an integer"
	case "an invalid number":
		return "must be a number"
	case "an invalid boolean":
		return "must be true or false"
	}
	return "is not formatted correctly"
}

func describeBodyError(re *openapi3filter.RequestError) *FieldError {
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
		return &FieldError{Message: "request body is required"}
	}
	if strings.HasPrefix(re.Reason, "header Content-Type has unexpected value") {
		return &FieldError{Message: contentTypeMessage(re.RequestBody)}
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		return describeSchemaError(se, bodyLocation)
	}
	var pe *openapi3filter.ParseError
	if errors.As(re.Err, &pe) {
		if re.Input != nil && re.Input.Request != nil && !isJSON(re.Input.Request.Header.Get("Content-Type")) {
			// A form field that does not parse as its schema's type names
			// itself in the error's path.
			if path := pe.Path(); len(path) > 0 {
				parts := make([]string, len(path))
				for i, p := range path {
					parts[i] = fmt.Sprint(p)
				}
				field := strings.Join(parts, ".")
				return &FieldError{Field: field, Message: field + " " + parsePredicate(pe)}
			}
			return &FieldError{Message: "request body is malformed"}
		}
		return &FieldError{Message: "request body is not valid JSON"}
	}
	return &FieldError{Message: "request body is invalid"}
}

func isJSON(mediaType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// contentTypeMessage says which media types the body may have.
func contentTypeMessage(body *openapi3.RequestBody) string {
	types := make([]string, 0, len(body.Content))
	allJSON := true
	for mt := range body.Content {
		types = append(types, mt)
		allJSON = allJSON && isJSON(mt)
	}
	if allJSON || len(types) == 0 {
		return "request body must be JSON"
	}
	sort.Strings(types)
	return "request body must be sent as " + strings.Join(types, " or ")
}

// describeSchemaError describes the innermost, most relevant cause of se.
func describeSchemaError(se *openapi3.SchemaError, loc location) *FieldError {
	leaf, types := innermost(se)
	ptr := leaf.JSONPointer()
	field, subject := loc(ptr)
	msg := func(predicate string, args ...any) *FieldError {
		return &FieldError{Field: field, Message: subject + " " + fmt.Sprintf(predicate, args...)}
	}
	s := leaf.Schema
	if s == nil {
		s = &openapi3.Schema{}
	}
	if len(types) > 0 {
		return msg("must be %s", typePhrase(types, len(ptr) == 0 && field == ""))
	}
	switch leaf.SchemaField {
	case "required":
		name := missingProperty(leaf)
		if name == "" {
			return msg("is missing a required property")
		}
		if len(ptr) == 0 || ptr[len(ptr)-1] != name || !reasonNames(leaf.Reason, "is missing") {
			ptr = append(ptr[:len(ptr):len(ptr)], name)
		}
		field, subject := loc(ptr)
		return &FieldError{Field: field, Message: subject + " is required"}
	case "properties", "additionalProperties", "unevaluatedProperties":
		name := unknownProperty(leaf)
		if name == "" {
			return msg("has a property that is not allowed")
		}
		field, subject := loc(append(ptr[:len(ptr):len(ptr)], name))
		return &FieldError{Field: field, Message: subject + " is not allowed"}
	case "type":
		t := s.Type.Slice()
		if len(t) == 0 {
			t = typesFromReason(leaf.Reason)
		}
		if len(t) == 0 {
			return msg("has the wrong type")
		}
		return msg("must be %s", typePhrase(t, len(ptr) == 0 && field == ""))
	case "nullable":
		if t := s.Type.Slice(); len(t) > 0 {
			return msg("must be %s", typePhrase(t, len(ptr) == 0 && field == ""))
		}
		return msg("must not be null")
	case "enum":
		if len(s.Enum) == 0 {
			return msg("is not one of the allowed values")
		}
		return msg("must be one of %s", listValues(s.Enum))
	case "const":
		return msg("must be %s", listValues([]any{s.Const}))
	case "minLength":
		if s.MinLength == 1 {
			return msg("must not be empty")
		}
		return msg("must be at least %s", plural(s.MinLength, "character"))
	case "maxLength":
		if s.MaxLength == nil {
			return msg("is too long")
		}
		return msg("must be at most %s", plural(*s.MaxLength, "character"))
	case "minimum":
		if s.Min == nil {
			return msg("is too small")
		}
		return msg("must be at least %s", number(*s.Min))
	case "maximum":
		if s.Max == nil {
			return msg("is too large")
		}
		return msg("must be at most %s", number(*s.Max))
	case "exclusiveMinimum":
		if v := s.ExclusiveMin.Value; v != nil {
			return msg("must be greater than %s", number(*v))
		}
		if s.Min != nil {
			return msg("must be greater than %s", number(*s.Min))
		}
		return msg("is too small")
	case "exclusiveMaximum":
		if v := s.ExclusiveMax.Value; v != nil {
			return msg("must be less than %s", number(*v))
		}
		if s.Max != nil {
			return msg("must be less than %s", number(*s.Max))
		}
		return msg("is too large")
	case "multipleOf":
		if s.MultipleOf == nil {
			return msg("is not an allowed multiple")
		}
		return msg("must be a multiple of %s", number(*s.MultipleOf))
	case "minItems":
		return msg("must contain at least %s", plural(s.MinItems, "item"))
	case "maxItems":
		if s.MaxItems == nil {
			return msg("contains too many items")
		}
		return msg("must contain at most %s", plural(*s.MaxItems, "item"))
	case "uniqueItems":
		return msg("must not contain duplicate items")
	case "minProperties":
		return msg("must have at least %s", plural(s.MinProps, "property"))
	case "maxProperties":
		if s.MaxProps == nil {
			return msg("has too many properties")
		}
		return msg("must have at most %s", plural(*s.MaxProps, "property"))
	case "pattern":
		if s.Pattern == "" {
			return msg("is not formatted correctly")
		}
		return msg("must match pattern %s", s.Pattern)
	case "format":
		if s.Format == "" {
			return msg("is not formatted correctly")
		}
		return msg("must be a valid %s", formatName(s.Format))
	case "readOnly":
		return msg("is read-only")
	case "writeOnly":
		return msg("is write-only")
	case "discriminator":
		return describeDiscriminator(leaf, loc)
	case "oneOf", "anyOf":
		if t := alternativeTypes(s, leaf.Value); len(t) > 0 {
			return msg("must be %s", typePhrase(t, len(ptr) == 0 && field == ""))
		}
		if strings.Contains(leaf.Reason, "more than one") {
			return msg("matches more than one of the allowed forms")
		}
		return msg("does not match any of the allowed forms")
	case "not":
		return msg("has a value that is not allowed")
	}
	return msg("is invalid")
}

// innermost returns the SchemaError that best explains se, following the
// causes that wrap it (allOf, $ref, JSON Schema groups). For oneOf and anyOf
// whose alternatives all failed on the type of the same value, it returns
// that error with the types the alternatives accept.
func innermost(se *openapi3.SchemaError) (*openapi3.SchemaError, []string) {
	if se.SchemaField == "format" {
		return se, nil
	}
	kids := causes(se.Origin)
	if len(kids) == 0 {
		return se, nil
	}
	if se.SchemaField == "oneOf" || se.SchemaField == "anyOf" {
		var types []string
		same := true
		for _, k := range kids {
			leaf, t := innermost(k)
			if len(t) == 0 && leaf.SchemaField == "type" && leaf.Schema != nil {
				t = leaf.Schema.Type.Slice()
			}
			if len(t) == 0 || !slices.Equal(leaf.JSONPointer(), se.JSONPointer()) {
				same = false
				break
			}
			for _, x := range t {
				if !slices.Contains(types, x) {
					types = append(types, x)
				}
			}
		}
		if same {
			return se, types
		}
		var best *openapi3.SchemaError
		var bestTypes []string
		for _, k := range kids {
			leaf, t := innermost(k)
			if best == nil || len(leaf.JSONPointer()) > len(best.JSONPointer()) {
				best, bestTypes = leaf, t
			}
		}
		return best, bestTypes
	}
	return innermost(kids[0])
}

// causes returns the SchemaErrors that err, the origin of a SchemaError, wraps.
func causes(err error) []*openapi3.SchemaError {
	for err != nil {
		switch e := err.(type) {
		case *openapi3.SchemaError:
			return []*openapi3.SchemaError{e}
		case openapi3.MultiError:
			var out []*openapi3.SchemaError
			for _, x := range e {
				out = append(out, causes(x)...)
			}
			return out
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil
		}
		err = u.Unwrap()
	}
	return nil
}

var (
	quotedMissing     = regexp.MustCompile(`^property ("(?:[^"\\]|\\.)*") is missing$`)
	quotedUnsupported = regexp.MustCompile(`^property ("(?:[^"\\]|\\.)*") is unsupported$`)
	jsMissing         = regexp.MustCompile(`missing propert(?:y|ies) '([^']*)'`)
	jsAdditional      = regexp.MustCompile(`additional propert(?:y|ies) '([^']*)'`)
	wantType          = regexp.MustCompile(`want ([a-z]+(?:(?:, | or )[a-z]+)*)\s*$`)
	mustBeType        = regexp.MustCompile(`^value must be (?:an? |one of )([a-z, ]+)$`)
)

// reasonNames reports whether the 3.0 validator's reason has the form
// `property "x" <suffix>`, whose JSON pointer already ends with the property.
func reasonNames(reason, suffix string) bool {
	return strings.HasPrefix(reason, `property "`) && strings.HasSuffix(reason, suffix)
}

// missingProperty returns the name of the required property that is missing.
func missingProperty(se *openapi3.SchemaError) string {
	if m := quotedMissing.FindStringSubmatch(se.Reason); m != nil {
		if name, err := strconv.Unquote(m[1]); err == nil {
			return name
		}
	}
	if obj, ok := se.Value.(map[string]any); ok && se.Schema != nil {
		for _, name := range se.Schema.Required {
			if _, ok := obj[name]; !ok {
				return name
			}
		}
	}
	if m := jsMissing.FindStringSubmatch(se.Reason); m != nil {
		return m[1]
	}
	return ""
}

// unknownProperty returns the name of a property the schema does not allow.
func unknownProperty(se *openapi3.SchemaError) string {
	if m := quotedUnsupported.FindStringSubmatch(se.Reason); m != nil {
		if name, err := strconv.Unquote(m[1]); err == nil {
			return name
		}
	}
	if obj, ok := se.Value.(map[string]any); ok && se.Schema != nil {
		names := make([]string, 0, len(obj))
		for name := range obj {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if _, ok := se.Schema.Properties[name]; !ok {
				return name
			}
		}
	}
	if m := jsAdditional.FindStringSubmatch(se.Reason); m != nil {
		return m[1]
	}
	return ""
}

// typesFromReason reads the expected types from a reason, for a SchemaError
// without its schema.
func typesFromReason(reason string) []string {
	m := wantType.FindStringSubmatch(reason)
	if m == nil {
		m = mustBeType.FindStringSubmatch(reason)
	}
	if m == nil {
		return nil
	}
	return strings.FieldsFunc(strings.ReplaceAll(m[1], " or ", ","), func(r rune) bool { return r == ',' || r == ' ' })
}

// alternativeTypes returns the types the oneOf or anyOf alternatives of s
// accept when value has none of them, and nil otherwise.
func alternativeTypes(s *openapi3.Schema, value any) []string {
	alts := s.OneOf
	if len(alts) == 0 {
		alts = s.AnyOf
	}
	var types []string
	for _, alt := range alts {
		if alt == nil || alt.Value == nil {
			return nil
		}
		t := alt.Value.Type.Slice()
		if len(t) == 0 {
			return nil
		}
		for _, x := range t {
			if x == jsonType(value) || x == openapi3.TypeNumber && jsonType(value) == openapi3.TypeInteger {
				return nil
			}
			if !slices.Contains(types, x) {
				types = append(types, x)
			}
		}
	}
	return types
}

// jsonType returns the JSON Schema type of a decoded JSON value.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return openapi3.TypeNull
	case bool:
		return openapi3.TypeBoolean
	case string:
		return openapi3.TypeString
	case []any:
		return openapi3.TypeArray
	case map[string]any:
		return openapi3.TypeObject
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return openapi3.TypeInteger
		}
		return openapi3.TypeNumber
	case float64:
		if v == float64(int64(v)) {
			return openapi3.TypeInteger
		}
		return openapi3.TypeNumber
	case int, int32, int64:
		return openapi3.TypeInteger
	}
	return ""
}

// typePhrase says "a string", "an integer or null"; for the whole body,
// "a JSON object".
func typePhrase(types []string, body bool) string {
	phrases := make([]string, 0, len(types))
	for _, t := range types {
		switch t {
		case openapi3.TypeObject, openapi3.TypeArray:
			if body {
				phrases = append(phrases, "a JSON "+t)
			} else {
				phrases = append(phrases, "an "+t)
			}
		case openapi3.TypeInteger:
			phrases = append(phrases, "an integer")
		case openapi3.TypeNull:
			phrases = append(phrases, "null")
		default:
			phrases = append(phrases, "a "+t)
		}
	}
	return strings.Join(phrases, " or ")
}

// listValues lists allowed values: strings as they are, others as JSON.
func listValues(values []any) string {
	parts := make([]string, 0, len(values))
	for _, v := range values {
		if s, ok := v.(string); ok {
			parts = append(parts, s)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		parts = append(parts, string(b))
	}
	return strings.Join(parts, ", ")
}

func plural(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return strconv.FormatUint(n, 10) + " " + strings.TrimSuffix(word, "y") + "ies"
	}
	return strconv.FormatUint(n, 10) + " " + word + "s"
}

func number(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatName names a string format for a message.
func formatName(format string) string {
	switch strings.ToLower(format) {
	case "uuid":
		return "UUID"
	case "email", "idn-email":
		return "email address"
	case "uri", "url", "iri", "uri-reference":
		return "URL"
	case "ipv4":
		return "IPv4 address"
	case "ipv6":
		return "IPv6 address"
	case "byte":
		return "base64 string"
	}
	return format
}

// describeDiscriminator describes an object whose discriminator property is
// missing or names no alternative.
func describeDiscriminator(se *openapi3.SchemaError, loc location) *FieldError {
	ptr := se.JSONPointer()
	if se.Schema == nil || se.Schema.Discriminator == nil {
		field, subject := loc(ptr)
		return &FieldError{Field: field, Message: subject + " does not match any of the allowed forms"}
	}
	d := se.Schema.Discriminator
	field, subject := loc(append(ptr[:len(ptr):len(ptr)], d.PropertyName))
	switch {
	case strings.Contains(se.Reason, "does not contain"):
		return &FieldError{Field: field, Message: subject + " is required"}
	case strings.Contains(se.Reason, "is not a string"):
		return &FieldError{Field: field, Message: subject + " must be a string"}
	}
	keys := make([]string, 0, len(d.Mapping))
	for k := range d.Mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return &FieldError{Field: field, Message: subject + " is not one of the allowed values"}
	}
	return &FieldError{Field: field, Message: subject + " must be one of " + strings.Join(keys, ", ")}
}
