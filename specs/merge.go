package specs

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Fragment is more of a document, supplied from elsewhere: a vendor's
// control-API simulators, merged into sandbox.yaml. It is YAML with a paths
// mapping and, optionally, components of its own (schemas, parameters,
// responses, ...); its $refs may name the document's components. A path or
// component that the document or an earlier fragment already has is an
// error naming both.
type Fragment struct {
	// Source names who supplies it, for errors ("whereby").
	Source string
	YAML   []byte
}

// fragmentKeys are the top-level keys a fragment may have.
var fragmentKeys = map[string]bool{"paths": true, "components": true}

// merge returns the named document's YAML b with the fragments' paths and
// components added.
func merge(name string, b []byte, frags []Fragment) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("spec %s: load: %w", name, err)
	}
	doc := root.Content[0]
	owners := map[string]string{} // path or component -> the fragment that added it
	for _, f := range frags {
		var fr yaml.Node
		if err := yaml.Unmarshal(f.YAML, &fr); err != nil {
			return nil, fmt.Errorf("spec %s: the fragment of %s: %w", name, f.Source, err)
		}
		if len(fr.Content) == 0 {
			continue
		}
		top := fr.Content[0]
		if top.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("spec %s: the fragment of %s: line %d: must be a mapping", name, f.Source, top.Line)
		}
		for i := 0; i < len(top.Content); i += 2 {
			k, v := top.Content[i], top.Content[i+1]
			if !fragmentKeys[k.Value] {
				return nil, fmt.Errorf("spec %s: the fragment of %s: line %d: %s: a fragment has only paths and components", name, f.Source, k.Line, k.Value)
			}
			if v.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("spec %s: the fragment of %s: line %d: %s must be a mapping", name, f.Source, v.Line, k.Value)
			}
			dst := child(doc, k.Value)
			if k.Value == "paths" {
				if err := add(name, f.Source, "path", "", dst, v, owners); err != nil {
					return nil, err
				}
				continue
			}
			for j := 0; j < len(v.Content); j += 2 {
				kind, set := v.Content[j], v.Content[j+1]
				if set.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("spec %s: the fragment of %s: line %d: components.%s must be a mapping", name, f.Source, set.Line, kind.Value)
				}
				err := add(name, f.Source, "component", "components."+kind.Value+".", child(dst, kind.Value), set, owners)
				if err != nil {
					return nil, err
				}
			}
		}
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		return nil, fmt.Errorf("spec %s: %w", name, err)
	}
	return out, nil
}

// add appends src's entries to dst, refusing a key dst already has.
func add(name, source, what, prefix string, dst, src *yaml.Node, owners map[string]string) error {
	for i := 0; i < len(src.Content); i += 2 {
		k := src.Content[i]
		if value(dst, k.Value) != nil {
			by := owners[prefix+k.Value]
			if by == "" {
				by = name + ".yaml"
			}
			return fmt.Errorf("spec %s: the fragment of %s: line %d: %s %s%s is already defined by %s", name, source, k.Line, what, prefix, k.Value, by)
		}
		owners[prefix+k.Value] = "the fragment of " + source
		dst.Content = append(dst.Content, k, src.Content[i+1])
	}
	return nil
}

// value returns the value of key in the mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// child returns the mapping under key in m, adding an empty one when m
// has none.
func child(m *yaml.Node, key string) *yaml.Node {
	if v := value(m, key); v != nil {
		return v
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, k, v)
	return v
}
