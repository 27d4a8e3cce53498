package whereby

import (
	"embed"
	"io/fs"
)

// scenarioFiles are the vendor's built-in timelines (docs/scenarios.md).
//
//go:embed scenarios/*.yaml
var scenarioFiles embed.FS

// Scenarios returns the vendor's built-in scenario files, at the root of
// the file system.
func (m *Mock) Scenarios() fs.FS {
	sub, err := fs.Sub(scenarioFiles, "scenarios")
	if err != nil {
		return nil // not reached: the directory is embedded
	}
	return sub
}
