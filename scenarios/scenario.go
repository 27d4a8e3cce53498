package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scenario is a named timeline of steps. Each step runs an action after a
// delay counted from the previous step (the first from the start), with the
// run's params plus the step's own values.
type Scenario struct {
	Name        string   `yaml:"name" json:"name"`
	Vendor      string   `yaml:"vendor" json:"vendor"`
	Description string   `yaml:"description" json:"description"`
	Params      []string `yaml:"params" json:"params"`
	Steps       []Step   `yaml:"steps" json:"steps"`
}

// Step is one step of a scenario.
type Step struct {
	After  Duration          `yaml:"after" json:"after"`
	Action string            `yaml:"action" json:"action"`
	With   map[string]string `yaml:"with" json:"with,omitempty"`
}

// Duration is a time.Duration written as "1.5s" in YAML and JSON.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 1.5s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

//go:embed builtin/*.yaml
var builtin embed.FS

// Library holds scenario definitions by name.
type Library struct {
	byName map[string]*Scenario
	// from names the file each scenario came from.
	from map[string]string
}

// NewLibrary loads the built-in scenarios and those in dir (if not empty),
// and checks every step: it names one of actions (when actions is not
// nil), and the step check of its action, if any, accepts its values. dir
// must exist; a scenario in it may not take the name of a built-in one
// (nor of another in dir).
func NewLibrary(dir string, actions map[string]Action, checks map[string]StepCheck) (*Library, error) {
	l := &Library{byName: map[string]*Scenario{}, from: map[string]string{}}
	err := fs.WalkDir(builtin, "builtin", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtin.ReadFile(path)
		if err != nil {
			return err
		}
		return l.add(path, b, false)
	})
	if err != nil {
		return nil, err
	}
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("scenarios.dir: %q is not a directory", dir)
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
		if err != nil {
			return nil, fmt.Errorf("scenarios dir %s: %w", dir, err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("scenarios: %w", err)
			}
			if err := l.add(f, b, true); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range l.All() {
		for i, st := range s.Steps {
			if _, ok := actions[st.Action]; !ok && actions != nil {
				return nil, fmt.Errorf("scenario file %s: scenario %s step %d: unknown action %q", l.from[s.Name], s.Name, i, st.Action)
			}
			if check := checks[st.Action]; check != nil {
				if err := check(st.With); err != nil {
					return nil, fmt.Errorf("scenario file %s: scenario %s step %d (%s): %w", l.from[s.Name], s.Name, i, st.Action, err)
				}
			}
		}
	}
	return l, nil
}

// add parses one file of one or more YAML documents; custom is set for a
// file of the scenarios dir.
func (l *Library) add(path string, b []byte, custom bool) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	for {
		var s Scenario
		err := dec.Decode(&s)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scenario file %s: %v", path, err)
		}
		if err := s.validate(); err != nil {
			return fmt.Errorf("scenario file %s: %w", path, err)
		}
		if prev, dup := l.byName[s.Name]; dup {
			if custom && strings.HasPrefix(l.from[prev.Name], "builtin/") {
				return fmt.Errorf("scenario file %s: %s is the name of a built-in scenario; choose another name", path, s.Name)
			}
			return fmt.Errorf("scenario file %s: %s is defined twice (also in %s)", path, s.Name, l.from[s.Name])
		}
		l.byName[s.Name] = &s
		l.from[s.Name] = path
	}
}

func (s *Scenario) validate() error {
	if s.Name == "" {
		return errors.New("a scenario has no name")
	}
	if len(s.Steps) == 0 {
		return fmt.Errorf("scenario %s has no steps", s.Name)
	}
	for i, st := range s.Steps {
		if st.Action == "" {
			return fmt.Errorf("scenario %s step %d has no action", s.Name, i)
		}
	}
	return nil
}

// Get returns the named scenario.
func (l *Library) Get(name string) (*Scenario, bool) {
	s, ok := l.byName[name]
	return s, ok
}

// All returns every scenario, by name.
func (l *Library) All() []*Scenario {
	out := make([]*Scenario, 0, len(l.byName))
	for _, s := range l.byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
