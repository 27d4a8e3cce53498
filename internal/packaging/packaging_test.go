package packaging_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// envNames are the environment variables that vendorsim reads; each mirrors a flag.
var envNames = []string{
	"VENDORSIM_ADDR",
	"VENDORSIM_DB",
	"VENDORSIM_CONFIG",
	"VENDORSIM_STRICT_AUTH",
	"VENDORSIM_LOG_LEVEL",
	"VENDORSIM_LOG_FORMAT",
	"VENDORSIM_SEED",
	"VENDORSIM_SPEED",
}

// vendorHosts are the host names that vendorsim answers as, by Host header.
var vendorHosts = []string{"api.whippy.co", "api.zipwhip.com", "api.whereby.dev"}

const (
	composeService = "vendorsim"
	healthcheckCmd = "healthcheck"
)

// ---- repository helpers ----------------------------------------------------

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod in the working directory or any directory above it")
		}
		dir = parent
	}
}

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

// goMinor returns the "1.N" of go.mod's go directive.
func goMinor(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go\s+(\d+\.\d+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return m[1]
}

// ---- Dockerfile parsing ----------------------------------------------------

type instruction struct {
	line int    // first line of the instruction, 1-based
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string // the rest, continuation lines joined
}

type stage struct {
	index  int
	base   string
	name   string
	instrs []instruction
}

// parseDockerfile splits a Dockerfile into stages of instructions. It handles
// comments, blank lines and backslash continuations; heredocs are not used in
// this repository and are not supported.
func parseDockerfile(text string) (global []instruction, stages []stage, err error) {
	var logical []instruction
	var buf strings.Builder
	start, cont := 0, false
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // comments and blank lines, also inside a continuation
		}
		if !cont {
			start = i + 1
		}
		line = strings.TrimRight(line, " \t\r")
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			buf.WriteString(rest)
			cont = true
			continue
		}
		buf.WriteString(line)
		cont = false
		cmd, args, _ := strings.Cut(strings.TrimSpace(buf.String()), " ")
		logical = append(logical, instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		buf.Reset()
	}
	if cont {
		return nil, nil, errors.New("the last instruction ends in a line continuation")
	}
	for _, in := range logical {
		if in.cmd == "FROM" {
			words := strings.Fields(in.args)
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				words = words[1:]
			}
			if len(words) == 0 {
				return nil, nil, fmt.Errorf("line %d: FROM without an image", in.line)
			}
			st := stage{index: len(stages), base: words[0]}
			if len(words) >= 3 && strings.EqualFold(words[1], "AS") {
				st.name = strings.ToLower(words[2])
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				return nil, nil, fmt.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
			}
			global = append(global, in)
			continue
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
	}
	return global, stages, nil
}

func loadDockerfile(t *testing.T) []stage {
	t.Helper()
	_, stages, err := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) == 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	return stages
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s stage) last(cmd string) (instruction, bool) {
	all := s.all(cmd)
	if len(all) == 0 {
		return instruction{}, false
	}
	return all[len(all)-1], true
}

// stageEnv is the environment set by ENV in stage idx (and in the stages it
// is based on), up to but not including instruction number upto (-1: all).
func stageEnv(t *testing.T, stages []stage, idx, upto int) map[string]string {
	t.Helper()
	env := map[string]string{}
	st := stages[idx]
	for j := 0; j < idx; j++ {
		if stages[j].name != "" && strings.EqualFold(stages[j].name, st.base) {
			env = stageEnv(t, stages, j, -1)
		}
	}
	for i, in := range st.instrs {
		if upto >= 0 && i >= upto {
			break
		}
		if in.cmd != "ENV" {
			continue
		}
		words, err := shellWords(in.args)
		if err != nil {
			t.Fatalf("Dockerfile line %d: %v", in.line, err)
		}
		if len(words) > 0 && !strings.Contains(words[0], "=") {
			// Legacy form: ENV KEY value with spaces
			k, v, _ := strings.Cut(in.args, " ")
			env[k] = strings.TrimSpace(v)
			continue
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				t.Fatalf("Dockerfile line %d: ENV word %q has no '='", in.line, w)
			}
			env[k] = v
		}
	}
	return env
}

// shellWords splits s into words the way a shell would for plain words:
// whitespace separates, quotes group and are removed, backslash escapes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '"':
			inWord = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated double quote in %q", s)
			}
			i = j
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += 1 + j
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// splitFlags takes the leading --flag[=value] words off args.
func splitFlags(args string) (flags map[string]string, rest string) {
	flags = map[string]string{}
	rest = strings.TrimSpace(args)
	for strings.HasPrefix(rest, "--") {
		tok, after, _ := strings.Cut(rest, " ")
		k, v, _ := strings.Cut(strings.TrimPrefix(tok, "--"), "=")
		flags[k] = v
		rest = strings.TrimSpace(after)
	}
	return flags, rest
}

// argList parses the exec (JSON array) or shell form of an instruction's
// arguments; exec reports which form it was.
func argList(s string) (args []string, exec bool, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &args); err != nil {
			return nil, true, fmt.Errorf("bad JSON array %s: %v", s, err)
		}
		return args, true, nil
	}
	args, err = shellWords(s)
	return args, false, err
}

// copyArgs parses COPY/ADD arguments into flags, sources and destination.
func copyArgs(in instruction) (flags map[string]string, srcs []string, dest string, err error) {
	flags, rest := splitFlags(in.args)
	args, _, err := argList(rest)
	if err != nil {
		return nil, nil, "", err
	}
	if len(args) < 2 {
		return nil, nil, "", fmt.Errorf("line %d: %s needs a source and a destination", in.line, in.cmd)
	}
	return flags, args[:len(args)-1], args[len(args)-1], nil
}

// healthcheckArgs returns the command of a HEALTHCHECK CMD in exec form.
func healthcheckArgs(t *testing.T, in instruction) []string {
	t.Helper()
	_, rest := splitFlags(in.args)
	kind, cmd, _ := strings.Cut(rest, " ")
	if !strings.EqualFold(kind, "CMD") {
		t.Fatalf("Dockerfile line %d: HEALTHCHECK must be a CMD, got %q", in.line, rest)
	}
	args, exec, err := argList(cmd)
	if err != nil {
		t.Fatalf("Dockerfile line %d: %v", in.line, err)
	}
	if !exec {
		t.Errorf("Dockerfile line %d: HEALTHCHECK CMD should be in exec form (the image has no shell)", in.line)
	}
	return args
}

// entrypoint returns the final stage's ENTRYPOINT, which must be in exec form.
func entrypoint(t *testing.T, final stage) []string {
	t.Helper()
	in, ok := final.last("ENTRYPOINT")
	if !ok {
		t.Fatal("the final stage has no ENTRYPOINT")
	}
	args, exec, err := argList(in.args)
	if err != nil {
		t.Fatalf("Dockerfile line %d: %v", in.line, err)
	}
	if !exec || len(args) == 0 {
		t.Fatalf("Dockerfile line %d: ENTRYPOINT must be a non-empty exec form (JSON array)", in.line)
	}
	return args
}

func addrPort(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		t.Fatalf("VENDORSIM_ADDR %q has no port: %v", addr, err)
	}
	return port
}

// ---- .dockerignore -----------------------------------------------------------

type ignoreRule struct {
	pattern string
	re      *regexp.Regexp
	negate  bool
}

func loadDockerignore(t *testing.T) []ignoreRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var rules []ignoreRule
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{pattern: line}
		if p, ok := strings.CutPrefix(line, "!"); ok {
			r.negate, line = true, strings.TrimSpace(p)
		}
		line = path.Clean(strings.Trim(line, "/"))
		r.re = regexp.MustCompile("^" + globRegexp(line) + "$")
		rules = append(rules, r)
	}
	return rules
}

// globRegexp turns a .dockerignore pattern into a regular expression.
func globRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteString(regexp.QuoteMeta(string(p[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// ignoredBy reports the rule that keeps rel out of the build context, if any:
// a rule excludes a path when it matches the path or one of its parent dirs.
func ignoredBy(rules []ignoreRule, rel string) (string, bool) {
	rel = path.Clean(strings.TrimPrefix(filepath.ToSlash(rel), "/"))
	var candidates []string
	for p := rel; p != "." && p != "/"; p = path.Dir(p) {
		candidates = append(candidates, p)
	}
	matched, by := false, ""
	for _, r := range rules {
		for _, c := range candidates {
			if r.re.MatchString(c) {
				matched, by = !r.negate, r.pattern
				break
			}
		}
	}
	return by, matched
}

// ---- Dockerfile tests --------------------------------------------------------

func TestPackaging_DockerfileStages(t *testing.T) {
	stages := loadDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s), want a build stage and a final stage", len(stages))
	}
	final := stages[len(stages)-1]
	if strings.HasPrefix(final.base, "golang") {
		t.Errorf("final stage is based on %s; want a small runtime image", final.base)
	}
	names := map[string]bool{}
	for _, s := range stages {
		if s.name != "" {
			names[s.name] = true
		}
	}
	for _, s := range stages {
		for _, in := range s.all("COPY") {
			flags, _ := splitFlags(in.args)
			from, ok := flags["from"]
			if !ok {
				continue
			}
			if !names[strings.ToLower(from)] && !regexp.MustCompile(`^\d+$`).MatchString(from) {
				t.Errorf("Dockerfile line %d: COPY --from=%s names no stage", in.line, from)
			}
		}
	}
}

// buildRuns returns the RUN instructions that run `go build`, by stage.
func buildRuns(stages []stage) map[int][]int {
	out := map[int][]int{}
	for si, s := range stages {
		for ii, in := range s.instrs {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				out[si] = append(out[si], ii)
			}
		}
	}
	return out
}

func TestPackaging_DockerfileStaticBuild(t *testing.T) {
	stages := loadDockerfile(t)
	runs := buildRuns(stages)
	if len(runs) == 0 {
		t.Fatal("no RUN in the Dockerfile runs go build")
	}
	want := "golang:" + goMinor(t)
	for si, idxs := range runs {
		st := stages[si]
		if si == len(stages)-1 {
			t.Errorf("go build runs in the final stage; build in an earlier stage")
		}
		if !strings.HasPrefix(st.base, want) {
			t.Errorf("build stage is based on %s, want %s* to match go.mod", st.base, want)
		}
		for _, ii := range idxs {
			in := st.instrs[ii]
			env := stageEnv(t, stages, si, ii)
			if !strings.Contains(in.args, "CGO_ENABLED=0") && env["CGO_ENABLED"] != "0" {
				t.Errorf("Dockerfile line %d: go build without CGO_ENABLED=0", in.line)
			}
			for _, flag := range []string{"-trimpath", "main.version="} {
				if !strings.Contains(in.args, flag) {
					t.Errorf("Dockerfile line %d: go build without %s", in.line, flag)
				}
			}
		}
	}
}

func TestPackaging_DockerfileNonRootUser(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	in, ok := final.last("USER")
	if !ok {
		t.Fatal("the final stage sets no USER")
	}
	user, _, _ := strings.Cut(strings.TrimSpace(in.args), ":")
	if user == "" || user == "root" || strings.Trim(user, "0") == "" {
		t.Errorf("Dockerfile line %d: final USER %q is root", in.line, in.args)
	}
}

func TestPackaging_DockerfileEntrypointAndHealthcheck(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	entry := entrypoint(t, final)
	bin := entry[0]

	copied := false
	for _, in := range final.all("COPY") {
		flags, _, dest, err := copyArgs(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := flags["from"]; ok && (dest == bin || strings.HasSuffix(dest, "/") && path.Join(dest, path.Base(bin)) == bin) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("no COPY --from=<build stage> puts the binary at the ENTRYPOINT path %s", bin)
	}

	hc, ok := final.last("HEALTHCHECK")
	if !ok {
		t.Fatal("the final stage has no HEALTHCHECK")
	}
	args := healthcheckArgs(t, hc)
	if len(args) < 2 || args[0] != bin || args[1] != healthcheckCmd {
		t.Errorf("Dockerfile line %d: HEALTHCHECK runs %q, want [%q %q ...]", hc.line, args, bin, healthcheckCmd)
	}
}

func TestPackaging_DockerfileCopySources(t *testing.T) {
	root := repoRoot(t)
	rules := loadDockerignore(t)
	stages := loadDockerfile(t)
	for _, st := range stages {
		for _, in := range append(st.all("COPY"), st.all("ADD")...) {
			flags, srcs, _, err := copyArgs(in)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := flags["from"]; ok {
				continue
			}
			for _, src := range srcs {
				if strings.Contains(src, "://") || strings.HasPrefix(src, "<<") {
					continue
				}
				if strings.Contains(src, "$") {
					t.Logf("Dockerfile line %d: not checking %s (it has a variable)", in.line, src)
					continue
				}
				rel := filepath.FromSlash(path.Clean(src))
				if strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
					t.Errorf("Dockerfile line %d: COPY source %s is outside the build context", in.line, src)
					continue
				}
				if rel == "." {
					continue
				}
				if strings.ContainsAny(src, "*?[") {
					m, _ := filepath.Glob(filepath.Join(root, rel))
					if len(m) == 0 {
						t.Errorf("Dockerfile line %d: COPY source %s matches no file in the repository", in.line, src)
					}
					continue
				}
				if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
					t.Errorf("Dockerfile line %d: COPY source %s does not exist in the repository", in.line, src)
				}
				if by, ok := ignoredBy(rules, src); ok {
					t.Errorf("Dockerfile line %d: COPY source %s is excluded by .dockerignore pattern %q", in.line, src, by)
				}
			}
		}
	}
}

func TestPackaging_DockerfileEnvExposeVolume(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	env := stageEnv(t, stages, len(stages)-1, -1)

	for k := range env {
		if strings.HasPrefix(k, "VENDORSIM_") && !slices.Contains(envNames, k) {
			t.Errorf("Dockerfile sets %s, which vendorsim does not read", k)
		}
	}

	addr, ok := env["VENDORSIM_ADDR"]
	if !ok {
		t.Fatal("the final stage does not set VENDORSIM_ADDR")
	}
	port := addrPort(t, addr)
	var exposed []string
	for _, in := range final.all("EXPOSE") {
		for _, p := range strings.Fields(in.args) {
			exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
		}
	}
	if !slices.Contains(exposed, port) {
		t.Errorf("EXPOSE %v does not include VENDORSIM_ADDR's port %s", exposed, port)
	}

	if cfg := env["VENDORSIM_CONFIG"]; cfg != "" {
		found := false
		for _, in := range final.all("COPY") {
			_, _, dest, err := copyArgs(in)
			if err != nil {
				t.Fatal(err)
			}
			if dest == cfg || path.Dir(cfg) == path.Clean(dest) {
				found = true
			}
		}
		if !found {
			t.Errorf("VENDORSIM_CONFIG=%s but no COPY in the final stage puts a file there", cfg)
		}
	}

	if db := env["VENDORSIM_DB"]; db != "" && db != ":memory:" {
		var volumes []string
		for _, in := range final.all("VOLUME") {
			v, _, err := argList(in.args)
			if err != nil {
				t.Fatal(err)
			}
			volumes = append(volumes, v...)
		}
		if !slices.Contains(volumes, path.Dir(db)) {
			t.Errorf("VENDORSIM_DB=%s is not in a declared VOLUME (have %v)", db, volumes)
		}
	}
}

// ---- docker-compose.yml --------------------------------------------------------

func loadCompose(t *testing.T) (doc, svc map[string]any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &doc); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	services, ok := doc["services"].(map[string]any)
	if !ok {
		t.Fatal("docker-compose.yml has no services mapping")
	}
	svc, ok = services[composeService].(map[string]any)
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", composeService)
	}
	return doc, svc
}

func composeEnv(t *testing.T, svc map[string]any) map[string]string {
	t.Helper()
	env := map[string]string{}
	switch e := svc["environment"].(type) {
	case nil:
	case map[string]any:
		for k, v := range e {
			if v == nil {
				env[k] = ""
			} else {
				env[k] = fmt.Sprint(v)
			}
		}
	case []any:
		for _, item := range e {
			k, v, _ := strings.Cut(fmt.Sprint(item), "=")
			env[k] = v
		}
	default:
		t.Fatalf("environment has an unexpected form %T", e)
	}
	return env
}

type mount struct {
	source, target string
	readOnly       bool
}

func (m mount) bind() bool {
	return strings.HasPrefix(m.source, ".") || strings.HasPrefix(m.source, "/") || strings.HasPrefix(m.source, "~")
}

func composeMounts(t *testing.T, svc map[string]any) []mount {
	t.Helper()
	list, _ := svc["volumes"].([]any)
	var out []mount
	for _, v := range list {
		switch v := v.(type) {
		case string:
			parts := strings.Split(v, ":")
			var m mount
			switch len(parts) {
			case 1:
				m.target = parts[0]
			case 2:
				m.source, m.target = parts[0], parts[1]
			case 3:
				m.source, m.target = parts[0], parts[1]
				m.readOnly = slices.Contains(strings.Split(parts[2], ","), "ro")
			default:
				t.Fatalf("volume %q has an unexpected form", v)
			}
			out = append(out, m)
		case map[string]any:
			m := mount{source: fmt.Sprint(v["source"]), target: fmt.Sprint(v["target"])}
			if v["source"] == nil {
				m.source = ""
			}
			m.readOnly, _ = v["read_only"].(bool)
			if v["type"] == "bind" && !m.bind() {
				m.source = "./" + m.source
			}
			out = append(out, m)
		default:
			t.Fatalf("volume entry %v has an unexpected form", v)
		}
	}
	return out
}

func TestPackaging_ComposeFile(t *testing.T) {
	doc, svc := loadCompose(t)
	if _, ok := doc["version"]; ok {
		t.Error("docker-compose.yml has the obsolete top-level version key")
	}
	switch b := svc["build"].(type) {
	case string:
		if path.Clean(b) != "." {
			t.Errorf("service %s builds from %q, want .", composeService, b)
		}
	case map[string]any:
		if ctx, _ := b["context"].(string); path.Clean(ctx) != "." {
			t.Errorf("service %s builds from context %q, want .", composeService, ctx)
		}
		if df, ok := b["dockerfile"].(string); ok && path.Clean(df) != "Dockerfile" {
			t.Errorf("service %s builds with %s, want Dockerfile", composeService, df)
		}
	default:
		t.Errorf("service %s has no build from .", composeService)
	}
	text := readRepoFile(t, "docker-compose.yml")
	for _, want := range []string{"condition: service_healthy", "http://api.whippy.co:8080/v1"} {
		if !strings.Contains(text, want) {
			t.Errorf("docker-compose.yml lacks the app example's %q", want)
		}
	}
}

func TestPackaging_ComposeEnvironmentAndPorts(t *testing.T) {
	_, svc := loadCompose(t)
	env := composeEnv(t, svc)
	for k := range env {
		if !slices.Contains(envNames, k) {
			t.Errorf("service %s sets %s, which vendorsim does not read (known: %v)", composeService, k, envNames)
		}
	}
	addr := env["VENDORSIM_ADDR"]
	if addr == "" {
		addr = ":8080" // vendorsim's default
	}
	port := addrPort(t, addr)
	var targets []string
	ports, _ := svc["ports"].([]any)
	for _, p := range ports {
		switch p := p.(type) {
		case map[string]any:
			targets = append(targets, fmt.Sprint(p["target"]))
		default:
			s := strings.TrimSuffix(fmt.Sprint(p), "/tcp")
			targets = append(targets, s[strings.LastIndex(s, ":")+1:])
		}
	}
	if !slices.Contains(targets, port) {
		t.Errorf("service %s publishes container ports %v, not VENDORSIM_ADDR's port %s", composeService, targets, port)
	}
}

func TestPackaging_ComposeVolumes(t *testing.T) {
	root := repoRoot(t)
	doc, svc := loadCompose(t)
	env := composeEnv(t, svc)
	declared, _ := doc["volumes"].(map[string]any)
	dataDir := "/data"
	if db := env["VENDORSIM_DB"]; db != "" && db != ":memory:" {
		dataDir = path.Dir(db)
	}
	named, config := false, false
	for _, m := range composeMounts(t, svc) {
		switch {
		case m.source == "":
			continue // anonymous volume
		case m.bind():
			if filepath.IsAbs(m.source) || strings.HasPrefix(m.source, "~") {
				t.Errorf("bind mount %s must be relative to the repository", m.source)
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(m.source))); err != nil {
				t.Errorf("bind mount source %s does not exist in the repository", m.source)
			}
			if m.target == env["VENDORSIM_CONFIG"] {
				config = true
				if !m.readOnly {
					t.Errorf("the config file %s should be mounted read-only", m.source)
				}
			}
		default:
			if _, ok := declared[m.source]; !ok {
				t.Errorf("named volume %s is not declared under the top-level volumes", m.source)
			}
			if m.target == dataDir {
				named = true
			}
		}
	}
	if !named {
		t.Errorf("no named volume is mounted at %s", dataDir)
	}
	if cfg := env["VENDORSIM_CONFIG"]; cfg != "" && !config {
		t.Errorf("VENDORSIM_CONFIG=%s but no file is mounted there", cfg)
	}
}

func TestPackaging_ComposeHealthcheck(t *testing.T) {
	stages := loadDockerfile(t)
	bin := entrypoint(t, stages[len(stages)-1])[0]
	_, svc := loadCompose(t)
	hc, ok := svc["healthcheck"].(map[string]any)
	if !ok {
		t.Fatalf("service %s has no healthcheck", composeService)
	}
	list, ok := hc["test"].([]any)
	if !ok {
		t.Fatalf("healthcheck test must be a list in exec form [\"CMD\", ...], got %v", hc["test"])
	}
	var args []string
	for _, a := range list {
		args = append(args, fmt.Sprint(a))
	}
	if len(args) < 3 || args[0] != "CMD" || args[1] != bin || args[2] != healthcheckCmd {
		t.Errorf("healthcheck test is %q, want [CMD %s %s]", args, bin, healthcheckCmd)
	}
}

func TestPackaging_ComposeNetworkAliases(t *testing.T) {
	doc, svc := loadCompose(t)
	declared, _ := doc["networks"].(map[string]any)
	var aliases []string
	switch n := svc["networks"].(type) {
	case map[string]any:
		for name, cfg := range n {
			if _, ok := declared[name]; !ok {
				t.Errorf("network %s is not declared under the top-level networks", name)
			}
			c, _ := cfg.(map[string]any)
			list, _ := c["aliases"].([]any)
			for _, a := range list {
				aliases = append(aliases, fmt.Sprint(a))
			}
		}
	case []any:
		t.Fatalf("service %s lists networks without aliases", composeService)
	default:
		t.Fatalf("service %s joins no network", composeService)
	}
	for _, h := range vendorHosts {
		if !slices.Contains(aliases, h) {
			t.Errorf("network aliases %v lack vendor host %s", aliases, h)
		}
	}
}

// ---- scripts -------------------------------------------------------------------

// readmeTestCommand returns README.md's first `go test` command, taken from a
// fenced code block or an inline code span.
func readmeTestCommand(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatalf("README.md is needed for its test command: %v", err)
	}
	inline := regexp.MustCompile("`([^`]*go test[^`]*)`")
	inFence := false
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
			continue
		}
		var code string
		if inFence {
			code = line
		} else if m := inline.FindStringSubmatch(line); m != nil {
			code = m[1]
		}
		i := strings.Index(code, "go test")
		if i < 0 {
			continue
		}
		cmd := code[i:]
		if j := strings.Index(cmd, " #"); j >= 0 {
			cmd = cmd[:j]
		}
		return strings.TrimSpace(cmd)
	}
	t.Fatal("README.md has no `go test` command in code")
	return ""
}

// runsCommand reports whether a non-comment line of script runs cmd as a
// command (not only inside a quoted label).
func runsCommand(script, cmd string) bool {
	re := regexp.MustCompile(`(^|[\s;&|(])` + regexp.QuoteMeta(cmd) + `($|[\s;&|)])`)
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

func checkExecutableBash(t *testing.T, rel string) string {
	t.Helper()
	info, err := os.Stat(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable", rel)
	}
	text := readRepoFile(t, rel)
	first, _, _ := strings.Cut(text, "\n")
	if first != "#!/usr/bin/env bash" && first != "#!/bin/bash" {
		t.Errorf("%s starts with %q, want a bash shebang", rel, first)
	}
	if !strings.Contains(text, "set -euo pipefail") {
		t.Errorf("%s does not set -euo pipefail", rel)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		out, err := exec.Command(bash, "-n", filepath.Join(repoRoot(t), filepath.FromSlash(rel))).CombinedOutput()
		if err != nil {
			t.Errorf("bash -n %s: %v\n%s", rel, err, out)
		}
	}
	return text
}

func TestPackaging_CIScript(t *testing.T) {
	ci := checkExecutableBash(t, ".ci/run")
	cmd := readmeTestCommand(t)
	if !runsCommand(ci, cmd) {
		t.Errorf(".ci/run does not run README.md's test command %q", cmd)
	}
	if !runsCommand(ci, "go vet ./...") {
		t.Error(".ci/run does not run go vet ./...")
	}
	if !runsCommand(ci, "go test -race ./...") {
		t.Error(".ci/run does not run go test -race ./...")
	}
}

func TestPackaging_LoadScript(t *testing.T) {
	text := checkExecutableBash(t, "scripts/load.sh")
	// 555-0100..555-0199 are reserved for fiction and must not be used.
	if m := regexp.MustCompile(`555-?01\d\d`).FindString(text); m != "" {
		t.Errorf("scripts/load.sh uses the phone range 555-01xx (%s)", m)
	}
	for _, m := range regexp.MustCompile(`https?://[^\s"'/]+`).FindAllString(text, -1) {
		host := m[strings.Index(m, "//")+2:]
		if !strings.HasPrefix(host, "127.0.0.1") && !strings.HasPrefix(host, "localhost") && !strings.HasPrefix(host, "$") {
			t.Errorf("scripts/load.sh targets %s; load tests stay on loopback", m)
		}
	}
}

func TestPackaging_NoMachinePaths(t *testing.T) {
	re := regexp.MustCompile(`(^|[\s"'=:(])/(work|home|tmp)(/|\b)`)
	for _, rel := range []string{"Dockerfile", ".dockerignore", "docker-compose.yml", "Makefile", ".ci/run", "scripts/load.sh"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			if re.MatchString(line) {
				t.Errorf("%s:%d names a path of one machine: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
	}
}

func TestPackaging_Makefile(t *testing.T) {
	text := readRepoFile(t, "Makefile")
	if !regexp.MustCompile(`(?m)^\.DEFAULT_GOAL\s*:=\s*help\s*$`).MatchString(text) {
		t.Error("Makefile's default goal is not help")
	}
	for _, target := range []string{"help", "build", "run", "test", "race", "vet", "fmt", "lint", "bench", "load", "docker", "ci"} {
		re := regexp.MustCompile(`(?m)^` + target + `:[^\n]*## \S`)
		if !re.MatchString(text) {
			t.Errorf("Makefile has no target %s with a ## help comment", target)
		}
	}
	if !regexp.MustCompile(`staticcheck@v\d+\.\d+\.\d+`).MatchString(text) {
		t.Error("Makefile does not pin staticcheck to a version")
	}
}
