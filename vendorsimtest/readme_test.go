package vendorsimtest_test

import (
	"os"
	"strings"
	"testing"
)

// The example test in README.md and docs/testing.md is
// readme_example_test.go (which runs as TestWelcomeSMS), with the package
// clause a user's test has.
func TestReadmeExampleIsTheTestThatRuns(t *testing.T) {
	src, err := os.ReadFile("readme_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(src), "package vendorsimtest_test", "package signup_test", 1)
	for _, doc := range []string{"../README.md", "../docs/testing.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "```go\n"+want+"```\n") {
			t.Errorf("%s does not show readme_example_test.go as it is (a ```go block with package signup_test)", doc)
		}
	}
}
