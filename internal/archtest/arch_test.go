package archtest

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

type pkg struct {
	ImportPath string
	Dir        string
	Doc        string
	Name       string
	Imports    []string
	GoFiles    []string
}

func listPackages(t *testing.T, args ...string) []pkg {
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestEveryPackageHasDocComment(t *testing.T) {
	for _, p := range listPackages(t, "./...") {
		if len(p.GoFiles) == 0 {
			continue // a directory of tests only, such as e2e
		}
		fset := token.NewFileSet()
		documented := false
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
				documented = true
			}
		}
		if !documented {
			t.Errorf("package %s has no package comment", p.ImportPath)
		}
	}
}

func TestBinaryDoesNotLinkTesting(t *testing.T) {
	for _, p := range listPackages(t, "-deps", "./cmd/sovereign") {
		if p.ImportPath == "testing" || strings.HasPrefix(p.ImportPath, "net/http/httptest") {
			t.Errorf("cmd/sovereign depends on %s", p.ImportPath)
		}
	}
}

// Wire formats stay at the edges: only ingress packages and provider adapters (and the
// shared OpenAI wire package they use) may import a wire-format package.
func TestWireFormatsStayAtTheEdges(t *testing.T) {
	const mod = "github.com/sovereign-gateway/sovereign/internal/"
	allowed := func(importer string) bool {
		rest := strings.TrimPrefix(importer, mod)
		return strings.HasPrefix(rest, "api/") || strings.HasPrefix(rest, "provider/") ||
			strings.HasSuffix(rest, "wire") || rest == "cli" || rest == "archtest"
	}
	wire := map[string]bool{mod + "openaiwire": true, mod + "anthropicwire": true, mod + "responseswire": true}
	for _, p := range listPackages(t, "./...") {
		for _, imp := range p.Imports {
			if wire[imp] && !allowed(p.ImportPath) {
				t.Errorf("%s imports the wire format package %s; only api/ and provider/ packages may", p.ImportPath, imp)
			}
		}
	}
}
