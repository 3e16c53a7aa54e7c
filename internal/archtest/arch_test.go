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

// layers places every package tree of the module, by its path in the
// module. A package may import packages of lower layers only (and its
// own subtree); the exceptions are spelled out in rules below. A new
// package must be added here, which forces a decision about where it
// stands.
var layers = map[string]int{
	// Vocabulary: types and pure rules, importing nothing internal.
	"internal/tl":      0,
	"internal/openai":  0,
	"internal/billing": 0,
	"internal/attest":  0,
	// config: the strict JSON loader and the Duration type every role's
	// config reads with.
	"internal/config": 0,
	// loop: periodic work until a node stops, on the standard library.
	"internal/loop": 0,
	// statefile: a file replaced atomically (state files, keys, caches).
	"internal/statefile": 0,
	// The contracts' compiled code, embedded: read through
	// internal/contracts only (see compiled).
	"contracts": 0,
	// chainconf: the roles' shared chain settings.
	"internal/chainconf": 1,
	// vendorcache: the TEE verifiers' fetches and caches of their
	// vendor's documents, which it writes with statefile.
	"internal/attest/vendorcache": 1,
	// contracts: everything the code knows about the COCOON contracts
	// (opcodes, exit codes, storage codecs, messages, derivation), on the
	// vocabulary and nothing else: what mechanisms, adapters and roles
	// read and write the contracts with.
	"internal/contracts": 1,
	// Mechanisms: built on the vocabulary.
	"internal/wire":    2,
	"internal/ratls":   2,
	"internal/store":   2,
	"internal/obs":     2,
	"internal/payment": 2,
	// trust: the root contract as live admission policy.
	"internal/trust": 2,
	// Adapters: each owns one heavy third-party library.
	"internal/store/boltstore":   adapters,
	"internal/attest/tdx":        adapters,
	"internal/attest/faketdx":    adapters,
	"internal/attest/sevsnp":     adapters,
	"internal/attest/fakesevsnp": adapters,
	"internal/ton":               adapters,
	"internal/engine":            adapters,
	// Roles: never import each other or an adapter; they declare the
	// interfaces they consume.
	"internal/client": roles,
	"internal/proxy":  roles,
	"internal/worker": roles,
	// contracts/rootadmin: the root contract's deployment and owner
	// operations on a chain (package ton), for the devnet and cmd/;
	// chainview: accounts and contracts printed for people; attest/evidence:
	// attestation evidence printed and judged for people (it reads every
	// TEE's, so it stands above the adapters).
	"internal/contracts/rootadmin": 5,
	"internal/chainview":           5,
	"internal/attest/evidence":     5,
	// probe: a proxy asked as a client would, for `cocoon probe` and the
	// explorer.
	"internal/probe": 6,
	// Composition: chooses implementations. onchain adapts package ton
	// to the roles' Chain interfaces; web serves the pages that read the
	// roles and the chain; node composes each node once, from its config;
	// devnet composes whole networks of nodes; the public client library
	// is a client node in a Go program.
	"internal/onchain": 6,
	"internal/web":     7,
	"internal/node":    8,
	devnetTree:         9,
	"client":           9,
	// Commands: bench measures whole networks; cli is the command line's
	// plumbing (cocoon client serves the public library); cmd/cocoon
	// declares the commands on it.
	"internal/bench": 10,
	"internal/cli":   10,
	"cmd/cocoon":     commands,
	// The generator of internal/tl's constructors stands alone: it
	// builds whatever state internal/tl is in.
	"cmd/tlgen": 0,
	// Examples use the module as its users do: through the public client
	// library (see TestExamplesUseThePublicLibrary).
	"examples": commands,
	// Test support.
	"internal/sharedtest": 0,
	// Tests of the layout itself.
	"internal/archtest": commands,
}

// The layers of the adapters, of the roles, which may not import them, and
// of the commands, which may import anything.
const (
	adapters = 3
	roles    = 4
	commands = 100
)

const devnetTree = "internal/devnet"

// testHelpers are the packages that exist for tests: fixtures of the
// shared reference material, conformance suites and fakes of a far side
// that the tests of several packages use. No production package imports
// one; every test may (TestTestImports).
var testHelpers = []string{
	"internal/sharedtest",
	"internal/attest/attesttest",
	"internal/store/storetest",
	"internal/ton/tontest",
	"internal/engine/gguf/gguftest",
	"internal/engine/enginetest",
	"internal/openai/openaitest",
	"internal/tl/tltest",
	"internal/config/configtest",
	"internal/payment/paymenttest",
}

// heavy lists third-party modules that only some trees may import, by
// their path in the module.
var heavy = map[string][]string{
	"github.com/google/go-tdx-guest":            {"internal/attest/tdx"},
	"github.com/google/go-configfs-tsm":         {"internal/attest/tdx", "internal/attest/sevsnp"},
	"github.com/google/go-sev-guest":            {"internal/attest/sevsnp"},
	"github.com/xssnick/tonutils-go":            {"internal/contracts", "internal/ton", "internal/payment", "internal/store", "internal/onchain"},
	"go.etcd.io/bbolt":                          {"internal/store/boltstore"},
	"github.com/prometheus/client_golang":       {"internal/obs"},
	"github.com/openai/openai-go":               {"examples"}, // and tests
	"github.com/schollz/progressbar":            {"internal/engine"},
	"github.com/xssnick/tonutils-go/tvm":        {"internal/ton"},
	"github.com/xssnick/tonutils-go/tvm/cell":   {"internal/contracts", "internal/ton", "internal/payment", "internal/onchain"},
	"github.com/xssnick/tonutils-go/liteclient": {"internal/ton"},
	"github.com/xssnick/tonutils-go/address": {"internal/contracts", "internal/ton", "internal/payment", "internal/store", "internal/onchain",
		"internal/client", "internal/proxy", "internal/worker", "internal/chainconf", "internal/web", "internal/chainview", "internal/probe",
		"internal/node", "internal/cli"}, // pure; the roles name contract addresses
	"github.com/skip2/go-qrcode": {"internal/web"},
	"github.com/chromedp":        {}, // browser tests only
}

// testOnly are the third-party modules that only tests import: any test
// may.
var testOnly = []string{"github.com/openai/openai-go", "github.com/chromedp", "go.uber.org/goleak"}

// testHeavy lets the tests of more trees than heavy lists import a heavy
// library: the tests that decode the cells their package's output
// carries (the compiled code's BoCs, a top-up link's body).
var testHeavy = map[string][]string{
	"github.com/xssnick/tonutils-go/tvm/cell": {"contracts", "internal/web"},
}

// notHelpers are packages whose name ends in "test" that are no test
// helpers.
var notHelpers = []string{"attest", "archtest"}

type pkg struct {
	ImportPath   string
	Dir          string
	Doc          string
	Name         string
	Imports      []string
	GoFiles      []string
	TestGoFiles  []string
	XTestGoFiles []string
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

// rel is a package's path in the module; ok is false for a package
// outside it.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

// tree returns the key of layers that owns a package of the module, by
// longest prefix.
func tree(r string) (string, bool) {
	best := ""
	for k := range layers {
		if within(r, k) && len(k) > len(best) {
			best = k
		}
	}
	return best, best != ""
}

// within reports whether the package r is the tree k or inside it.
func within(r, k string) bool { return r == k || strings.HasPrefix(r, k+"/") }

func isHelper(r string) bool { return slices.Contains(testHelpers, r) }

func TestPackagesAreDocumented(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment saying what it owns", p.ImportPath)
		}
	}
}

// importer is where a package, or a test of it, stands.
type importer struct {
	path  string // the package's path in the module
	tree  string
	layer int
	// test marks a test's imports; devnet, a test that runs a devnet,
	// which stands at the devnet's layer.
	test, devnet bool
}

func place(t *testing.T, p pkg) (importer, bool) {
	r, _ := rel(p.ImportPath)
	k, ok := tree(r)
	if !ok {
		t.Errorf("package %s is not placed in a layer: add it to layers in internal/archtest/arch_test.go", p.ImportPath)
		return importer{}, false
	}
	return importer{path: r, tree: k, layer: layers[k]}, true
}

// check returns why from may not import imp, or nil.
func (from importer) check(imp string) error {
	what := from.path // a test file's path, for a test
	if from.devnet {
		what += " (a test that runs a devnet)"
	}
	if to, ok := rel(imp); ok {
		return from.checkModule(what, to)
	}
	return from.checkLibrary(what, imp)
}

func (from importer) checkModule(what, to string) error {
	if isHelper(to) {
		if from.test || isHelper(from.path) {
			return nil
		}
		return fmt.Errorf("%s imports %s: a test-helper package is for tests only", what, to)
	}
	if within(to, "cmd") {
		return fmt.Errorf("%s imports %s: nothing imports a command", what, to)
	}
	if to == compiled && from.tree != "internal/contracts" && !from.test {
		return fmt.Errorf("%s imports %s: the compiled contracts are read through internal/contracts (contracts.Code), their one home", what, to)
	}
	toTree, ok := tree(to)
	if !ok || within(to, from.tree) {
		return nil // unplaced: reported for that package itself
	}
	layer := from.layer
	if from.devnet {
		layer = max(layer, layers[devnetTree])
	}
	switch {
	case from.test && (toTree == devnetTree || layers[toTree] == adapters):
		// Tests choose implementations, as cmd/ and the devnet do, and
		// may run a whole network.
		return nil
	case from.test && from.devnet && layers[toTree] < layers[devnetTree]:
		return nil
	case layers[toTree] >= layer:
		return fmt.Errorf("%s imports %s: layer %d may import only lower layers, and %s is layer %d", what, to, layer, toTree, layers[toTree])
	case !from.test && layer == roles && layers[toTree] == adapters:
		return fmt.Errorf("%s imports adapter %s: roles declare the interfaces they consume; only cmd/ and devnet choose implementations", what, to)
	}
	return nil
}

func (from importer) checkLibrary(what, imp string) error {
	best, allowed := "", []string(nil)
	for mod, who := range heavy {
		if (imp == mod || strings.HasPrefix(imp, mod+"/")) && len(mod) > len(best) {
			best, allowed = mod, who
		}
	}
	if best == "" || from.layer == commands || from.tree == devnetTree || from.tree == "internal/bench" || from.devnet {
		return nil
	}
	if from.test && slices.ContainsFunc(testOnly, func(m string) bool { return imp == m || strings.HasPrefix(imp, m+"/") }) {
		return nil
	}
	if from.test {
		allowed = slices.Concat(allowed, testHeavy[best])
	}
	for _, a := range allowed {
		if within(from.tree, a) {
			return nil
		}
	}
	return fmt.Errorf("%s imports %s: that library belongs to %v only", what, imp, allowed)
}

// TestImportDirection checks what every package of the module imports,
// test files apart: only lower layers (and its own subtree), no adapter
// from a role, no command, no test helper, no heavy library another
// package owns.
func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		from, ok := place(t, p)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if err := from.check(imp); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestTestImports checks what every test file imports. A package's tests
// may import what the package may, and besides:
//   - the package itself (an external _test package does);
//   - the test-helper packages (testHelpers);
//   - any adapter: tests choose implementations (a fake or the emulated
//     chain), as cmd/ and the devnet do;
//   - the devnet, to run a whole network: a test file that imports it
//     stands at the devnet's layer, and may import what the devnet may;
//   - the libraries only tests use (testOnly).
//
// Nothing else upward: a mechanism's test does not reach for a role, nor
// a role's for the composition, unless it runs a devnet.
func TestTestImports(t *testing.T) {
	for _, p := range listPackages(t) {
		from, ok := place(t, p)
		if !ok {
			continue
		}
		from.test = true
		fset := token.NewFileSet()
		for _, name := range slices.Concat(p.TestGoFiles, p.XTestGoFiles) {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			var imps []string
			for _, imp := range f.Imports {
				imps = append(imps, strings.Trim(imp.Path.Value, `"`))
			}
			file := from
			file.path = from.path + "/" + name
			file.devnet = slices.Contains(imps, module+"/"+devnetTree)
			for _, imp := range imps {
				if imp == p.ImportPath {
					continue
				}
				if err := file.check(imp); err != nil {
					t.Error(err)
				}
			}
		}
	}
}

// TestTestHelpersAreDeclared: a package named like a test helper
// (…test, as attesttest) is one, and is declared in testHelpers, so that
// production code cannot import it unnoticed.
func TestTestHelpersAreDeclared(t *testing.T) {
	for _, p := range listPackages(t) {
		r, _ := rel(p.ImportPath)
		if strings.HasSuffix(p.Name, "test") && !slices.Contains(notHelpers, p.Name) && !isHelper(r) {
			t.Errorf("package %s looks like a test helper: declare it in testHelpers in internal/archtest/arch_test.go", p.ImportPath)
		}
	}
	for _, h := range testHelpers {
		if !slices.ContainsFunc(listPackages(t), func(p pkg) bool { return p.ImportPath == module+"/"+h }) {
			t.Errorf("test helper %s does not exist: remove it from testHelpers", h)
		}
	}
}

// TestExamplesUseThePublicLibrary: an example program is what a user of
// the module writes, so it imports the public client library and nothing
// internal.
func TestExamplesUseThePublicLibrary(t *testing.T) {
	for _, p := range listPackages(t) {
		if r, _ := rel(p.ImportPath); !within(r, "examples") {
			continue
		}
		for _, imp := range p.Imports {
			if r, ok := rel(imp); ok && r != "client" {
				t.Errorf("%s imports %s: an example uses the module through its public client library only", p.ImportPath, imp)
			}
		}
	}
}

// compiled is the package that embeds the contracts' compiled code.
const compiled = "contracts"

// devnetImporters are the packages, besides tests, that may import
// internal/devnet, and in each the files that may: the devnet command,
// and the benchmark that measures whole devnet networks. No production
// path (a role, its chain, its contracts) goes through the devnet.
var devnetImporters = map[string][]string{
	module + "/cmd/cocoon":     {"devnet.go"},
	module + "/internal/bench": nil, // all of it: it runs devnets
}

func TestDevnetOnlyForTheDevnet(t *testing.T) {
	devnet := module + "/" + devnetTree
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
// store.Store; only what composes a proxy with a db_path links bbolt:
// package node, the one production importer of store/boltstore (the
// devnet opens its proxy's ledger file through node too).
func TestRolesDoNotLinkBbolt(t *testing.T) {
	boltstore, composer := module+"/internal/store/boltstore", module+"/internal/node"
	for _, p := range listPackages(t) {
		if p.ImportPath != composer && slices.Contains(p.Imports, boltstore) {
			t.Errorf("%s imports %s: only %s opens a ledger file (a proxy's db_path); compose the proxy with node.NewProxy", p.ImportPath, boltstore, composer)
		}
	}
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
