package zipwhip

import (
	"embed"
	"io/fs"

	"github.com/vendorsim/vendorsim/mocks"
)

// scenarioFiles are the vendor's built-in timelines (docs/scenarios.md).
//
//go:embed scenarios/*.yaml
var scenarioFiles embed.FS

// Scenarios returns the vendor's built-in scenario files, at the root of
// the file system.
func (m *Mock) Scenarios() fs.FS { return mocks.ScenarioFiles(scenarioFiles) }

// simulatorSpec is the OpenAPI paths of the simulators.
//
//go:embed sandbox.yaml
var simulatorSpec []byte

// SimulatorSpec returns the control-API paths of Simulators (sandbox.yaml).
func (m *Mock) SimulatorSpec() []byte { return simulatorSpec }
