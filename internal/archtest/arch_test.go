package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cocoon-go/cocoon"

// layers places every internal package tree. A package may import packages
// of lower layers only (and its own subtree); the exceptions are spelled
// out in rules below. A new package must be added here, which forces a
// decision about where it stands.
var layers = map[string]int{
	// Vocabulary: types and pure rules, importing nothing internal.
	"tl":      0,
	"openai":  0,
	"billing": 0,
	"attest":  0,
	// chainconf: the roles' shared chain settings.
	"chainconf": 0,
	// Mechanisms: built on the vocabulary.
	"wire":    1,
	"ratls":   1,
	"store":   1,
	"obs":     1,
	"payment": 1,
	// trust: the root contract as live admission policy.
	"trust": 1,
	// Adapters: each owns one heavy third-party library.
	"attest/tdx":        2,
	"attest/faketdx":    2,
	"attest/sevsnp":     2,
	"attest/fakesevsnp": 2,
	"ton":               2,
	"engine":            2,
	// Roles: never import each other or an adapter; they declare the
	// interfaces they consume.
	"client": 3,
	"proxy":  3,
	"worker": 3,
	// Composition: chooses implementations. onchain adapts package ton
	// to the roles' Chain interfaces; web serves the pages that read the
	// roles and the chain; devnet composes whole networks.
	"onchain": 4,
	"web":     5,
	"devnet":  6,
	// Measurement: runs whole networks.
	"bench": 7,
	// Test support.
	"sharedtest": 0,
	// Tests of the layout itself.
	"archtest": 8,
}

// heavy lists third-party modules that only some packages may import.
var heavy = map[string][]string{
	"github.com/google/go-tdx-guest":            {"attest/tdx"},
	"github.com/google/go-configfs-tsm":         {"attest/tdx", "attest/sevsnp"},
	"github.com/google/go-sev-guest":            {"attest/sevsnp"},
	"github.com/xssnick/tonutils-go":            {"ton", "payment", "store", "onchain"},
	"go.etcd.io/bbolt":                          {"store"},
	"github.com/prometheus/client_golang":       {"obs"},
	"github.com/openai/openai-go":               {}, // tests only
	"github.com/schollz/progressbar":            {"engine"},
	"github.com/xssnick/tonutils-go/tvm":        {"ton"},
	"github.com/xssnick/tonutils-go/tvm/cell":   {"ton", "payment", "onchain"},
	"github.com/xssnick/tonutils-go/liteclient": {"ton"},
	"github.com/xssnick/tonutils-go/address":    {"ton", "payment", "store", "onchain", "client", "proxy", "worker", "chainconf", "web"}, // pure; the roles name contract addresses
	"github.com/skip2/go-qrcode":                {"web"},
	"github.com/chromedp":                       {}, // browser tests only
}

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	Name       string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// tree returns the key of layers that owns an internal package path
// relative to internal/, by longest prefix.
func tree(rel string) (string, bool) {
	best := ""
	for k := range layers {
		if (rel == k || strings.HasPrefix(rel, k+"/")) && len(k) > len(best) {
			best = k
		}
	}
	return best, best != ""
}

func TestPackagesAreDocumented(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment saying what it owns", p.ImportPath)
		}
	}
}

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		from, isInternal := strings.CutPrefix(p.ImportPath, module+"/internal/")
		var fromTree string
		fromLayer := 100 // cmd/ may import anything
		if isInternal {
			var ok bool
			fromTree, ok = tree(from)
			if !ok {
				t.Errorf("package %s is not placed in a layer: add it to layers in %s", p.ImportPath, "internal/archtest/arch_test.go")
				continue
			}
			fromLayer = layers[fromTree]
		}
		for _, imp := range p.Imports {
			if err := checkImport(p.ImportPath, fromTree, fromLayer, imp); err != nil {
				t.Error(err)
			}
		}
	}
}

func checkImport(from, fromTree string, fromLayer int, imp string) error {
	if rel, ok := strings.CutPrefix(imp, module+"/internal/"); ok {
		toTree, ok := tree(rel)
		if !ok {
			return nil // reported for that package itself
		}
		if toTree == fromTree || strings.HasPrefix(toTree, fromTree+"/") {
			return nil // within its own subtree
		}
		if layers[toTree] >= fromLayer {
			return fmt.Errorf("%s imports %s: layer %d may import only lower layers, and %s is layer %d", from, imp, fromLayer, toTree, layers[toTree])
		}
		if fromLayer == 3 && layers[toTree] == 2 {
			return fmt.Errorf("%s imports adapter %s: roles declare the interfaces they consume; only cmd/ and devnet choose implementations", from, imp)
		}
		return nil
	}
	if strings.HasPrefix(imp, module+"/cmd/") {
		return fmt.Errorf("%s imports %s: nothing imports a command", from, imp)
	}
	best, allowed := "", []string(nil)
	for mod, who := range heavy {
		if (imp == mod || strings.HasPrefix(imp, mod+"/")) && len(mod) > len(best) {
			best, allowed = mod, who
		}
	}
	if best == "" || fromLayer == 100 || fromTree == "devnet" || fromTree == "bench" {
		return nil
	}
	for _, a := range allowed {
		if fromTree == a || strings.HasPrefix(fromTree, a+"/") {
			return nil
		}
	}
	return fmt.Errorf("%s imports %s: that library belongs to %v only", from, imp, allowed)
}
