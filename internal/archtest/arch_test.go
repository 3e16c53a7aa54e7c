package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
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
	// chainconf: the roles' shared chain settings; config: the strict
	// JSON loader and the Duration type every role's config reads with.
	"chainconf": 1,
	"config":    0,
	// contracts: everything the code knows about the COCOON contracts
	// (opcodes, exit codes, storage codecs, messages, derivation), on the
	// vocabulary and nothing else: what mechanisms, adapters and roles
	// read and write the contracts with.
	"contracts": 1,
	// Mechanisms: built on the vocabulary.
	"wire":    2,
	"ratls":   2,
	"store":   2,
	"obs":     2,
	"payment": 2,
	// trust: the root contract as live admission policy.
	"trust": 2,
	// Adapters: each owns one heavy third-party library.
	"store/boltstore":   adapters,
	"attest/tdx":        adapters,
	"attest/faketdx":    adapters,
	"attest/sevsnp":     adapters,
	"attest/fakesevsnp": adapters,
	"ton":               adapters,
	"engine":            adapters,
	// Roles: never import each other or an adapter; they declare the
	// interfaces they consume.
	"client": roles,
	"proxy":  roles,
	"worker": roles,
	// contracts/rootadmin: the root contract's deployment and owner
	// operations on a chain (package ton), for the devnet and cmd/;
	// chainview: accounts and contracts printed for people; attest/evidence:
	// attestation evidence printed and judged for people (it reads every
	// TEE's, so it stands above the adapters).
	"contracts/rootadmin": 5,
	"chainview":           5,
	"attest/evidence":     5,
	// probe: a proxy asked as a client would, for `cocoon probe` and the
	// explorer.
	"probe": 6,
	// Composition: chooses implementations. onchain adapts package ton
	// to the roles' Chain interfaces; web serves the pages that read the
	// roles and the chain; node composes each node once, from its config;
	// devnet composes whole networks of nodes.
	"onchain": 6,
	"web":     7,
	"node":    8,
	"devnet":  9,
	// Measurement: runs whole networks.
	"bench": 10,
	// Test support.
	"sharedtest": 0,
	// Tests of the layout itself.
	"archtest": 11,
}

// The layers of the adapters and of the roles, which may not import them.
const (
	adapters = 3
	roles    = 4
)

// heavy lists third-party modules that only some packages may import.
var heavy = map[string][]string{
	"github.com/google/go-tdx-guest":            {"attest/tdx"},
	"github.com/google/go-configfs-tsm":         {"attest/tdx", "attest/sevsnp"},
	"github.com/google/go-sev-guest":            {"attest/sevsnp"},
	"github.com/xssnick/tonutils-go":            {"contracts", "ton", "payment", "store", "onchain"},
	"go.etcd.io/bbolt":                          {"store/boltstore"},
	"github.com/prometheus/client_golang":       {"obs"},
	"github.com/openai/openai-go":               {}, // tests only
	"github.com/schollz/progressbar":            {"engine"},
	"github.com/xssnick/tonutils-go/tvm":        {"ton"},
	"github.com/xssnick/tonutils-go/tvm/cell":   {"contracts", "ton", "payment", "onchain"},
	"github.com/xssnick/tonutils-go/liteclient": {"ton"},
	"github.com/xssnick/tonutils-go/address":    {"contracts", "ton", "payment", "store", "onchain", "client", "proxy", "worker", "chainconf", "web", "chainview", "probe", "node"}, // pure; the roles name contract addresses
	"github.com/skip2/go-qrcode":                {"web"},
	"github.com/chromedp":                       {}, // browser tests only
}

type pkg struct {
	ImportPath string
	Dir        string
	Doc        string
	Imports    []string
	GoFiles    []string
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
		if fromLayer == roles && layers[toTree] == adapters {
			return fmt.Errorf("%s imports adapter %s: roles declare the interfaces they consume; only cmd/ and devnet choose implementations", from, imp)
		}
		return nil
	}
	if strings.HasPrefix(imp, module+"/cmd/") {
		return fmt.Errorf("%s imports %s: nothing imports a command", from, imp)
	}
	if imp == compiled && fromTree != "contracts" {
		return fmt.Errorf("%s imports %s: the compiled contracts are read through internal/contracts (contracts.Code), their one home", from, imp)
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

// compiled is the package that embeds the contracts' compiled code.
const compiled = module + "/contracts"

// devnetImporters are the packages, besides tests, that may import
// internal/devnet, and in each the files that may: the devnet command,
// and the benchmark that measures whole devnet networks. No production
// path (a role, its chain, its contracts) goes through the devnet.
var devnetImporters = map[string][]string{
	module + "/cmd/cocoon":     {"devnet.go"},
	module + "/internal/bench": nil, // all of it: it runs devnets
}

func TestDevnetOnlyForTheDevnet(t *testing.T) {
	devnet := module + "/internal/devnet"
	for _, p := range listPackages(t) {
		if !slices.Contains(p.Imports, devnet) {
			continue
		}
		files, ok := devnetImporters[p.ImportPath]
		if !ok {
			t.Errorf("%s imports %s: only the devnet command and tests may (and the benchmark, which runs devnets)", p.ImportPath, devnet)
			continue
		}
		if files == nil {
			continue
		}
		fset := token.NewFileSet()
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				if strings.Trim(imp.Path.Value, `"`) == devnet && !slices.Contains(files, name) {
					t.Errorf("%s/%s imports %s: in %s only %v may", p.ImportPath, name, devnet, p.ImportPath, files)
				}
			}
		}
	}
}

// TestRolesDoNotLinkBbolt: the roles keep their ledger behind
// store.Store; only what composes a proxy with a db_path (package node,
// through store/boltstore) links bbolt.
func TestRolesDoNotLinkBbolt(t *testing.T) {
	for _, role := range []string{"proxy", "client", "worker", "store"} {
		cmd := exec.Command("go", "list", "-deps", module+"/internal/"+role)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", role, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "go.etcd.io/bbolt") {
				t.Errorf("internal/%s links %s: the ledger's bbolt file belongs to store/boltstore, which only the composition imports", role, dep)
			}
		}
	}
}
