package contracts

// The contracts' knowledge is written three times: in the Tolk sources
// (contracts/contracts/*.tolk, what runs on chain), in the TypeScript
// wrappers their sandbox suite drives them with (contracts/wrappers), and
// here. These tests read the other two and fail when any of the three
// drifts: every opcode and exit code by name and value, and every storage
// layout, initial data and report the Go side reads or writes, field by
// field in order and width, as the Tolk code builds it.

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// contractsDir is the repository's contracts/ directory.
const contractsDir = "../../contracts"

func readSource(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(contractsDir, rel))
	if err != nil {
		t.Fatalf("reading the contracts' sources: %v", err)
	}
	return string(b)
}

var tolkConst = regexp.MustCompile(`(?m)^const ([A-Z][A-Z0-9_]*) = (0x[0-9a-fA-F]+|[0-9]+)\b`)

// tolkConsts returns every numeric constant of the Tolk sources by name.
func tolkConsts(t *testing.T) map[string]uint64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(contractsDir, "contracts", "*.tolk"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Tolk sources in %s (%v)", contractsDir, err)
	}
	out := map[string]uint64{}
	for _, f := range files {
		src := readSource(t, filepath.Join("contracts", filepath.Base(f)))
		for _, m := range tolkConst.FindAllStringSubmatch(src, -1) {
			v, err := strconv.ParseUint(m[2], 0, 64)
			if err != nil {
				t.Fatalf("%s: const %s = %s: %v", f, m[1], m[2], err)
			}
			if old, ok := out[m[1]]; ok && old != v {
				t.Fatalf("const %s declared twice, as %d and %d", m[1], old, v)
			}
			out[m[1]] = v
		}
	}
	return out
}

// withPrefix returns the constants named prefix+NAME, by NAME.
func withPrefix(all map[string]uint64, prefix string) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range all {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			out[name] = v
		}
	}
	return out
}

// tsObject returns the entries of `export const name = { key: value, … }`
// in the wrappers' common.ts.
func tsObject(t *testing.T, name string) map[string]uint64 {
	t.Helper()
	src := readSource(t, filepath.Join("wrappers", "common.ts"))
	start := strings.Index(src, "export const "+name+" = {")
	if start < 0 {
		t.Fatalf("wrappers/common.ts declares no %s", name)
	}
	end := strings.Index(src[start:], "}")
	out := map[string]uint64{}
	entry := regexp.MustCompile(`(\w+):\s*(0x[0-9a-fA-F]+|[0-9]+),`)
	for _, m := range entry.FindAllStringSubmatch(src[start:start+end], -1) {
		v, err := strconv.ParseUint(m[2], 0, 64)
		if err != nil {
			t.Fatalf("wrappers/common.ts %s.%s = %s: %v", name, m[1], m[2], err)
		}
		out[m[1]] = v
	}
	if len(out) == 0 {
		t.Fatalf("wrappers/common.ts: %s has no entries", name)
	}
	return out
}

// goConsts returns the constants of type typ declared in this package's
// (non-test) sources, by name.
func goConsts(t *testing.T, typ string) map[string]uint64 {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: const %s of type %s is not a literal", f, n.Name, typ)
					}
					v, err := strconv.ParseUint(lit.Value, 0, 64)
					if err != nil {
						t.Fatalf("%s: const %s: %v", f, n.Name, err)
					}
					out[n.Name] = v
				}
			}
		}
	}
	return out
}

// camel turns a Tolk name without its prefix, ADD_WORKER_TYPE, into
// AddWorkerType; lowerCamel into addWorkerType, as the wrappers name it.
func camel(name string) string {
	var b strings.Builder
	for _, w := range strings.Split(strings.ToLower(name), "_") {
		if w == "" {
			continue
		}
		r := []rune(w)
		b.WriteString(string(unicode.ToUpper(r[0])) + string(r[1:]))
	}
	return b.String()
}

func lowerCamel(name string) string {
	c := []rune(camel(name))
	if len(c) == 0 {
		return ""
	}
	c[0] = unicode.ToLower(c[0])
	return string(c)
}

// checkNames compares one set of named constants as the Tolk sources
// (tolk, by name without prefix), the wrappers (ts, by lowerCamel name)
// and Go (goc, by goPrefix+camel name) declare it. extraTS are wrapper
// entries the contracts do not declare, with the reason.
func checkNames(t *testing.T, tolk, ts, goc map[string]uint64, tolkPrefix, goPrefix string, extraTS map[string]string) {
	t.Helper()
	if len(tolk) == 0 {
		t.Fatalf("no %s constants in the Tolk sources", tolkPrefix)
	}
	for name, v := range tolk {
		if g, ok := goc[goPrefix+camel(name)]; !ok || g != v {
			t.Errorf("Tolk %s%s = %#x; Go %s%s = %#x (declared %v)", tolkPrefix, name, v, goPrefix, camel(name), g, ok)
		}
		if w, ok := ts[lowerCamel(name)]; !ok || w != v {
			t.Errorf("Tolk %s%s = %#x; wrappers %s = %#x (declared %v)", tolkPrefix, name, v, lowerCamel(name), w, ok)
		}
	}
	tolkByCamel := map[string]uint64{}
	for name, v := range tolk {
		tolkByCamel[camel(name)] = v
	}
	for name, v := range goc {
		c := strings.TrimPrefix(name, goPrefix)
		if _, ok := tolkByCamel[c]; !ok && v >= 256 {
			t.Errorf("Go %s = %#x is not in the Tolk sources as %s%s", name, v, tolkPrefix, strings.ToUpper(snake(c)))
		}
	}
	for key, v := range ts {
		c := camel(snake(key))
		if _, ok := tolkByCamel[c]; ok {
			continue
		}
		if v < 256 {
			// The TVM's own codes: the wrappers and Go must agree.
			if g, ok := goc[goPrefix+c]; !ok || g != v {
				t.Errorf("wrappers %s = %d; Go %s%s = %d (declared %v)", key, v, goPrefix, c, g, ok)
			}
			continue
		}
		if _, ok := extraTS[key]; !ok {
			t.Errorf("wrappers %s = %#x is not in the Tolk sources", key, v)
		}
	}
}

// snake turns AddWorkerType or addWorkerType into add_worker_type.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func TestOpcodesMatch(t *testing.T) {
	tolk := withPrefix(tolkConsts(t), "OP_")
	goc := goConsts(t, "Op")
	checkNames(t, tolk, tsObject(t, "Op"), goc, "OP_", "Op", map[string]string{
		"ownerClientTopUpReopen": "declared by the reference's client and handled by no contract: the suites check that it is refused (1012)",
	})
	// Op.String names each op as the contracts do, and knows no other.
	for name, v := range goc {
		if got, want := Op(v).String(), snake(strings.TrimPrefix(name, "Op")); got != want {
			t.Errorf("%s.String() = %q, want %q", name, got, want)
		}
	}
	if len(opNames) != len(goc) {
		t.Errorf("opNames has %d entries for %d ops", len(opNames), len(goc))
	}
}

func TestExitCodesMatch(t *testing.T) {
	tolk := withPrefix(tolkConsts(t), "ERR_")
	goc := goConsts(t, "ExitCode")
	checkNames(t, tolk, tsObject(t, "Err"), goc, "ERR_", "Exit", nil)
	// Every code has a name and a meaning, the contracts' names theirs.
	for name, v := range goc {
		e, ok := exits[ExitCode(v)]
		if !ok || e.meaning == "" {
			t.Errorf("%s (%d) has no explanation", name, v)
			continue
		}
		if want := snake(strings.TrimPrefix(name, "Exit")); v >= 256 && e.name != want {
			t.Errorf("%s is named %q, want %q", name, e.name, want)
		}
	}
	if len(exits) != len(goc) {
		t.Errorf("exits has %d entries for %d codes", len(exits), len(goc))
	}
}

func TestConstantsMatch(t *testing.T) {
	tolk := tolkConsts(t)
	if v := tolk["PARAMS_STRUCT_VERSION"]; v != ParamsStructVersion {
		t.Errorf("Tolk PARAMS_STRUCT_VERSION = %d, Go ParamsStructVersion = %d", v, ParamsStructVersion)
	}
	for name, want := range map[string]uint8{"STATE_NORMAL": StateNormal, "STATE_CLOSING": StateClosing, "STATE_CLOSED": StateClosed} {
		if v, ok := tolk[name]; !ok || v != uint64(want) {
			t.Errorf("Tolk %s = %d, Go %d", name, v, want)
		}
	}
}

// A store is one field a Tolk builder chain writes: .storeUint(arg, 32).
type store struct {
	method, arg string
	bits        uint
}

// A chain is one Tolk builder chain, from beginCell() (or the outgoing
// message header, which is not part of the body) to .endCell(); name is
// the variable it is assigned to, if any.
type chain struct {
	name   string
	stores []store
}

var (
	chainStart = regexp.MustCompile(`(?:(?:val|var)\s+(\w+)\s*=\s*)?(beginCell\(\)|msgHeader\()`)
	storeCall  = regexp.MustCompile(`^\s*\.(store\w+|endCell)\(`)
)

// tolkChains returns the builder chains of the Tolk function fn in file,
// in source order.
func tolkChains(t *testing.T, file, fn string) []chain {
	t.Helper()
	src := readSource(t, filepath.Join("contracts", file))
	i := strings.Index(src, "fun "+fn+"(")
	if i < 0 {
		t.Fatalf("%s declares no function %s", file, fn)
	}
	body := src[i:]
	open := strings.Index(body, "{")
	body = body[open : open+matching(body[open:], '{', '}')+1]
	var out []chain
	for _, m := range chainStart.FindAllStringSubmatchIndex(body, -1) {
		c := chain{}
		if m[2] >= 0 {
			c.name = body[m[2]:m[3]]
		}
		rest := body[m[5]:]
		if body[m[4]:m[5]] == "msgHeader(" {
			rest = rest[matching("("+rest, '(', ')'):]
		}
		for {
			sm := storeCall.FindStringSubmatchIndex(rest)
			if sm == nil {
				t.Fatalf("%s %s: a builder chain does not end in .endCell(): %.60q", file, fn, rest)
			}
			method := rest[sm[2]:sm[3]]
			argsStart := sm[1]
			n := matching(rest[argsStart-1:], '(', ')')
			args := rest[argsStart : argsStart-1+n]
			rest = rest[argsStart+n:]
			if method == "endCell" {
				break
			}
			s := store{method: method, arg: strings.TrimSpace(args)}
			if a, bits, ok := strings.Cut(args, ","); ok {
				b, err := strconv.ParseUint(strings.TrimSpace(bits), 10, 16)
				if err != nil {
					t.Fatalf("%s %s: .%s(%s): %v", file, fn, method, args, err)
				}
				s.arg, s.bits = strings.TrimSpace(a), uint(b)
			}
			c.stores = append(c.stores, s)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("%s %s builds no cell", file, fn)
	}
	return out
}

// matching returns the index in s (which starts with open) of the
// bracket that closes it.
func matching(s string, open, closing byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case closing:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// layout builds the cell a Tolk chain builds, each field from values by
// the Tolk expression that writes it (self.state, p.minClientStake,
// myAddress()); a Tolk constant or a number stands for itself, and the
// name of another chain of the function for the cell that chain builds.
// Every value must be used.
type layout struct {
	t      *testing.T
	consts map[string]uint64
	chains []chain
	values map[string]any
	used   map[string]bool
}

func newLayout(t *testing.T, chains []chain, values map[string]any) *layout {
	return &layout{t: t, consts: tolkConsts(t), chains: chains, values: values, used: map[string]bool{}}
}

// build builds chain i.
func (l *layout) build(i int) *cell.Cell {
	l.t.Helper()
	b := cell.BeginCell()
	for _, s := range l.chains[i].stores {
		if err := l.store(b, s); err != nil {
			l.t.Fatalf("Tolk %s(%s): %v", s.method, s.arg, err)
		}
	}
	return b.EndCell()
}

// named builds the chain assigned to name.
func (l *layout) named(name string) *cell.Cell {
	l.t.Helper()
	for i, c := range l.chains {
		if c.name == name {
			return l.build(i)
		}
	}
	l.t.Fatalf("no chain named %s", name)
	return nil
}

// last builds the function's last chain: the one it stores or sends.
func (l *layout) last() *cell.Cell {
	l.t.Helper()
	c := l.build(len(l.chains) - 1)
	for k := range l.values {
		if !l.used[k] {
			l.t.Errorf("the Tolk code writes no %s", k)
		}
	}
	return c
}

func (l *layout) value(arg string) (any, bool) {
	if v, ok := l.values[arg]; ok {
		l.used[arg] = true
		return v, true
	}
	if v, ok := l.consts[arg]; ok {
		return v, true
	}
	if v, err := strconv.ParseUint(arg, 0, 64); err == nil {
		return v, true
	}
	for _, c := range l.chains {
		if c.name == arg {
			return l.named(arg), true
		}
	}
	return nil, false
}

func (l *layout) store(b *cell.Builder, s store) error {
	v, ok := l.value(s.arg)
	if !ok {
		l.t.Fatalf("the test has no value for the Tolk expression %s (.%s): give it one, the layout changed", s.arg, s.method)
	}
	switch s.method {
	case "storeUint":
		switch v := v.(type) {
		case uint64:
			if s.bits > 64 {
				return b.StoreBigUInt(new(big.Int).SetUint64(v), s.bits)
			}
			return b.StoreUInt(v, s.bits)
		case []byte:
			return b.StoreBigUInt(new(big.Int).SetBytes(v), s.bits)
		}
	case "storeCoins":
		if v, ok := v.(uint64); ok {
			return b.StoreCoins(v)
		}
	case "storeSlice":
		if v, ok := v.(*address.Address); ok {
			return b.StoreAddr(v)
		}
	case "storeRef":
		if v, ok := v.(*cell.Cell); ok {
			return b.StoreRef(v)
		}
	case "storeMaybeRef":
		if v, ok := v.(*cell.Cell); ok {
			return b.StoreMaybeRef(v)
		}
	case "storeDict":
		if v, ok := v.(*cell.Dictionary); ok {
			return b.StoreDict(v)
		}
	}
	l.t.Fatalf("the test cannot write %T with .%s(%s): a new kind of field", v, s.method, s.arg)
	return nil
}

func testAddr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

func testCode(tag uint64) *cell.Cell {
	return cell.BeginCell().MustStoreUInt(tag, 32).EndCell()
}

// layoutParams are params whose every field differs from the others.
func layoutParams() Params {
	return Params{
		StructVersion: ParamsStructVersion, ParamsVersion: 101, UniqueID: 102, IsTest: true,
		PricePerToken: 103, WorkerFeePerToken: 104,
		PromptMultiplier: 105, CachedMultiplier: 106, CompletionMultiplier: 107, ReasoningMultiplier: 108,
		ProxyDelayBeforeClose: 109, ClientDelayBeforeClose: 110, MinProxyStake: 111, MinClientStake: 112,
		ProxyCode: testCode(113), WorkerCode: testCode(114), ClientCode: testCode(115),
	}
}

func mustCellOf(t *testing.T, p Params) *cell.Cell {
	t.Helper()
	c, err := p.Cell()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameCell fails unless Go's encoding of what it read is the Tolk cell.
func sameCell(t *testing.T, what string, tolk, goCell *cell.Cell, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: Go encoding: %v", what, err)
	}
	if !bytes.Equal(tolk.Hash(), goCell.Hash()) {
		t.Errorf("%s: Go writes\n%s\nthe Tolk code writes\n%s", what, goCell.Dump(), tolk.Dump())
	}
}

func TestParamsLayoutMatchesTolk(t *testing.T) {
	p := layoutParams()
	l := newLayout(t, tolkChains(t, "common.tolk", "packParamsWithCodes"), map[string]any{
		"p.paramsVersion": uint64(101), "p.uniqueId": uint64(102), "p.isTest": uint64(1),
		"p.pricePerToken": uint64(103), "p.workerFeePerToken": uint64(104),
		"p.promptMultiplier": uint64(105), "p.cachedMultiplier": uint64(106),
		"p.completionMultiplier": uint64(107), "p.reasoningMultiplier": uint64(108),
		"p.proxyDelayBeforeClose": uint64(109), "p.clientDelayBeforeClose": uint64(110),
		"p.minProxyStake": uint64(111), "p.minClientStake": uint64(112),
		"proxyCode": p.ProxyCode, "workerCode": p.WorkerCode, "clientCode": p.ClientCode,
	})
	tolk := l.last()
	got, err := ParseParams(tolk)
	if err != nil {
		t.Fatalf("Go cannot read the params the Tolk code writes: %v", err)
	}
	if !sameParams(got, p) {
		t.Errorf("Go reads the Tolk params as %+v, want %+v", got, p)
	}
	c, err := got.Cell()
	sameCell(t, "params", tolk, c, err)
}

func TestStorageLayoutsMatchTolk(t *testing.T) {
	params := layoutParams()
	paramsCell := mustCellOf(t, params)
	key := bytes.Repeat([]byte{0x4b}, 32)
	secret := bytes.Repeat([]byte{0x5c}, 32)
	t.Run("proxy", func(t *testing.T) {
		tolk := newLayout(t, tolkChains(t, "proxy.tolk", "ProxyStorage.save"), map[string]any{
			"self.owner": testAddr(1), "self.publicKey": key, "self.root": testAddr(2), "self.state": uint64(1),
			"self.balance": uint64(5), "self.stake": uint64(7), "self.unlockTs": uint64(99), "self.params": paramsCell,
		}).last()
		d, err := ParseProxyData(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the proxy storage the Tolk code writes: %v", err)
		}
		if !d.Owner.Equals(testAddr(1)) || !bytes.Equal(d.PublicKey, key) || !d.Root.Equals(testAddr(2)) || d.State != 1 ||
			d.Balance != 5 || d.Stake != 7 || d.UnlockTS != 99 || !sameParams(d.Params, params) {
			t.Errorf("Go reads the Tolk proxy storage as %+v", d)
		}
		c, err := d.Cell()
		sameCell(t, "proxy storage", tolk, c, err)
	})
	t.Run("client", func(t *testing.T) {
		constData := newLayout(t, tolkChains(t, "proxy.tolk", "clientAddress"), map[string]any{
			"clientOwner": testAddr(3), "myAddress()": testAddr(4), "st.publicKey": key,
		}).named("constData")
		tolk := newLayout(t, tolkChains(t, "client.tolk", "ClientStorage.save"), map[string]any{
			"self.state": uint64(2), "self.balance": uint64(3), "self.stake": uint64(4), "self.tokensUsed": uint64(5),
			"self.unlockTs": uint64(6), "self.secretHash": secret, "self.constData": constData, "self.params": paramsCell,
		}).last()
		d, err := ParseClientData(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the client storage the Tolk code writes: %v", err)
		}
		if d.State != 2 || d.Balance != 3 || d.Stake != 4 || d.TokensUsed != 5 || d.UnlockTS != 6 || !bytes.Equal(d.SecretHash[:], secret) ||
			!d.Owner.Equals(testAddr(3)) || !d.Proxy.Equals(testAddr(4)) || !bytes.Equal(d.ProxyPublicKey, key) || !sameParams(d.Params, params) {
			t.Errorf("Go reads the Tolk client storage as %+v", d)
		}
		c, err := d.Cell()
		sameCell(t, "client storage", tolk, c, err)
	})
	t.Run("worker", func(t *testing.T) {
		tolk := newLayout(t, tolkChains(t, "worker.tolk", "WorkerStorage.save"), map[string]any{
			"self.owner": testAddr(5), "self.proxy": testAddr(6), "self.publicKey": key, "self.state": uint64(1),
			"self.tokens": uint64(77), "self.params": paramsCell,
		}).last()
		d, err := ParseWorkerData(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the worker storage the Tolk code writes: %v", err)
		}
		if !d.Owner.Equals(testAddr(5)) || !d.Proxy.Equals(testAddr(6)) || !bytes.Equal(d.ProxyPublicKey, key) || d.State != 1 ||
			d.Tokens != 77 || !sameParams(d.Params, params) {
			t.Errorf("Go reads the Tolk worker storage as %+v", d)
		}
		c, err := d.Cell()
		sameCell(t, "worker storage", tolk, c, err)
	})
	t.Run("wallet", func(t *testing.T) {
		tolk := newLayout(t, tolkChains(t, "wallet.tolk", "WalletStorage.save"), map[string]any{
			"self.seqno": uint64(8), "self.subwallet": uint64(9), "self.publicKey": key, "self.status": uint64(10), "self.owner": testAddr(7),
		}).last()
		d, err := ParseWalletData(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the wallet storage the Tolk code writes: %v", err)
		}
		if d.Seqno != 8 || d.Subwallet != 9 || !bytes.Equal(d.PublicKey, key) || d.Status != 10 || !d.Owner.Equals(testAddr(7)) {
			t.Errorf("Go reads the Tolk wallet storage as %+v", d)
		}
		c, err := d.Cell()
		sameCell(t, "wallet storage", tolk, c, err)
	})
	t.Run("root", func(t *testing.T) {
		want := RootConfig{
			Owner: testAddr(8), Version: 12,
			ProxyHashes: []Hash{{0x01}}, Proxies: []RegisteredProxy{{Seqno: 3, Desc: "10.0.0.1:1 10.0.0.1:2"}}, LastProxySeqno: 4,
			WorkerHashes: []Hash{{0x02}, {0x03}}, ModelHashes: []Hash{{0x04}}, Params: params,
		}
		dicts := func(t *testing.T) (proxyHashes, proxies, workerHashes, modelHashes *cell.Dictionary) {
			var err error
			if proxyHashes, err = hashSet(want.ProxyHashes); err != nil {
				t.Fatal(err)
			}
			if workerHashes, err = hashSet(want.WorkerHashes); err != nil {
				t.Fatal(err)
			}
			if modelHashes, err = hashSet(want.ModelHashes); err != nil {
				t.Fatal(err)
			}
			proxies = cell.NewDict(32)
			v := cell.BeginCell()
			if err := StoreProxyDesc(v, want.Proxies[0].Desc); err != nil {
				t.Fatal(err)
			}
			if err := proxies.SetBuilder(cell.BeginCell().MustStoreUInt(3, 32).EndCell(), v); err != nil {
				t.Fatal(err)
			}
			return proxyHashes, proxies, workerHashes, modelHashes
		}
		ph, px, wh, mh := dicts(t)
		tolk := newLayout(t, tolkChains(t, "root.tolk", "RootStorage.save"), map[string]any{
			"self.owner": want.Owner, "self.version": uint64(12), "self.proxyHashes": ph, "self.registeredProxies": px,
			"self.lastProxySeqno": uint64(4), "self.workerHashes": wh, "self.modelHashes": mh, "self.params": paramsCell,
		}).last()
		got, err := ParseRootConfig(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the root storage the Tolk code writes: %v", err)
		}
		if !got.Owner.Equals(want.Owner) || got.Version != 12 || got.LastProxySeqno != 4 || !slices.Equal(got.ProxyHashes, want.ProxyHashes) ||
			!slices.Equal(got.WorkerHashes, want.WorkerHashes) || !slices.Equal(got.ModelHashes, want.ModelHashes) ||
			!slices.Equal(got.Proxies, want.Proxies) || !sameParams(got.Params, params) {
			t.Errorf("Go reads the Tolk root storage as %+v, want %+v", got, want)
		}
		c, err := got.Cell()
		sameCell(t, "root storage", tolk, c, err)
	})
}

// TestDerivationMatchesTolk builds the initial data of a proxy's client
// and worker contracts as the proxy contract derives them (proxy.tolk's
// clientAddress and workerAddress) and as Go derives them.
func TestDerivationMatchesTolk(t *testing.T) {
	params := layoutParams()
	key := bytes.Repeat([]byte{0x6d}, 32)
	proxyAddr, owner := testAddr(9), testAddr(10)
	proxy := NewProxyData(testAddr(11), testAddr(12), key, params)
	childParams := mustCellOf(t, params.WithoutCode())
	client := newLayout(t, tolkChains(t, "proxy.tolk", "clientAddress"), map[string]any{
		"clientOwner": owner, "myAddress()": proxyAddr, "st.publicKey": key,
		"p.minClientStake": uint64(params.MinClientStake), "childParams(p)": childParams,
	}).last()
	c, err := NewClientData(owner, proxyAddr, proxy).Cell()
	sameCell(t, "a client contract's initial data", client, c, err)
	worker := newLayout(t, tolkChains(t, "proxy.tolk", "workerAddress"), map[string]any{
		"workerOwner": owner, "myAddress()": proxyAddr, "st.publicKey": key, "childParams(p)": childParams,
	}).last()
	w, err := NewWorkerData(owner, proxyAddr, proxy).Cell()
	sameCell(t, "a worker contract's initial data", worker, w, err)
}

// TestReportsMatchTolk builds the reports client and worker contracts
// send their proxy as the Tolk code builds them, and reads them in Go.
func TestReportsMatchTolk(t *testing.T) {
	secret := bytes.Repeat([]byte{0x7e}, 32)
	t.Run("client", func(t *testing.T) {
		chains := tolkChains(t, "client.tolk", "ClientStorage.report")
		payload := newLayout(t, tolkChains(t, "client.tolk", "coinsPayload"), map[string]any{
			"op": uint64(OpClientProxyTopUp), "coins": uint64(300), "excessTo": testAddr(13),
		}).last()
		tolk := newLayout(t, chains, map[string]any{
			"self.state": uint64(1), "self.balance": uint64(20), "self.stake": uint64(30), "self.tokensUsed": uint64(40),
			"self.secretHash": secret, "queryId": uint64(50), "owner": testAddr(14), "payload": payload,
		}).last()
		r, err := ParseClientReport(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the client report the Tolk code sends: %v", err)
		}
		want := ClientReport{QueryID: 50, Owner: testAddr(14), State: ClientState{State: 1, Balance: 20, Stake: 30, TokensUsed: 40, SecretHash: Hash(secret)},
			Kind: OpClientProxyTopUp, Amount: 300, ExcessTo: testAddr(13)}
		if r.QueryID != want.QueryID || !r.Owner.Equals(want.Owner) || r.State != want.State || r.Kind != want.Kind || r.Amount != want.Amount || !r.ExcessTo.Equals(want.ExcessTo) {
			t.Errorf("Go reads the Tolk client report as %+v, want %+v", r, want)
		}
		c, err := r.Cell()
		sameCell(t, "client report", tolk, c, err)
	})
	t.Run("worker", func(t *testing.T) {
		tolk := newLayout(t, tolkChains(t, "worker.tolk", "WorkerStorage.request"), map[string]any{
			"queryId": uint64(60), "self.owner": testAddr(15), "self.state": uint64(2), "self.tokens": uint64(70), "payload": (*cell.Cell)(nil),
		}).last()
		r, err := ParseWorkerReport(tolk)
		if err != nil {
			t.Fatalf("Go cannot read the worker report the Tolk code sends: %v", err)
		}
		if r.QueryID != 60 || !r.Owner.Equals(testAddr(15)) || r.State != 2 || r.Tokens != 70 || r.Payout != nil {
			t.Errorf("Go reads the Tolk worker report as %+v", r)
		}
		c, err := r.Cell()
		sameCell(t, "worker report", tolk, c, err)
	})
}
