package packaging_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDocs: every package of the module has exactly one package doc
// comment, in a non-test file, and it starts the way go doc expects
// ("Package x ..." or, for a command, "Command x ...").
func TestPackageDocs(t *testing.T) {
	root := filepath.Join("..", "..")
	dirs := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			dirs[filepath.Dir(p)] = append(dirs[filepath.Dir(p)], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 5 {
		t.Fatalf("found only %d package directories under %s", len(dirs), root)
	}
	for dir, files := range dirs {
		var docs []string
		var name string
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", f, err)
			}
			name = af.Name.Name
			if af.Doc != nil {
				docs = append(docs, f)
				text := af.Doc.Text()
				want := "Package " + name + " "
				if name == "main" {
					want = "Command " + filepath.Base(dir) + " "
				}
				if !strings.HasPrefix(text, want) {
					t.Errorf("%s: package doc starts %q; want %q", f, firstLine(text), want)
				}
			}
		}
		if len(docs) != 1 {
			t.Errorf("package %s (%s) has %d package doc comments (%v); want exactly one", name, dir, len(docs), docs)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
