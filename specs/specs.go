// Package specs embeds the OpenAPI documents that vendorsim serves.
//
// The documents are written by the vendorsim authors from the vendor facts in
// the project's research notes; none is a copy of a vendor file. Each API that
// vendorsim emulates (and its own control API, "sandbox") has one document,
// named after it: whippy.yaml, zipwhip.yaml, whereby.yaml, sandbox.yaml.
package specs

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml
var files embed.FS

// Names lists the embedded documents by API name, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// ErrNoSpec means no document of that name is embedded.
var ErrNoSpec = errors.New("no such spec")

// Raw returns the bytes of the named document, or an error wrapping
// ErrNoSpec.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("spec %q: %w", name, ErrNoSpec)
	}
	return b, nil
}

// Load parses and validates the named document, with the paths and
// components of the fragments merged into it (see Fragment). It returns an
// error naming the document and the first defect when the document does not
// load, merge or validate, so a broken spec stops start-up with a clear
// message.
func Load(ctx context.Context, name string, fragments ...Fragment) (*openapi3.T, error) {
	b, err := Raw(name)
	if err != nil {
		return nil, err
	}
	if len(fragments) > 0 {
		if b, err = merge(name, b, fragments); err != nil {
			return nil, err
		}
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("spec %s: load: %w", name, err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("spec %s: invalid: %w", name, err)
	}
	return doc, nil
}
