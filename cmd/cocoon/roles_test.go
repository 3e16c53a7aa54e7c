package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
)

func TestRoleCommandUsage(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.json")
	os.WriteFile(badCfg, []byte(`{"typo":1}`), 0o644)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"client without config", []string{"client"}, 2, "needs --config"},
		{"proxy without config", []string{"proxy"}, 2, "needs --config"},
		{"worker without config", []string{"worker"}, 2, "needs --config"},
		{"worker stray argument", []string{"worker", "--config", "x", "extra"}, 2, "takes no arguments"},
		{"client missing file", []string{"client", "--config", filepath.Join(dir, "none.json")}, 1, "no such file"},
		{"proxy bad config", []string{"proxy", "--config", badCfg}, 1, "unknown field"},
		{"proxy has no skip flag", []string{"proxy", "--insecure-skip-attestation", "--config", badCfg}, 2, "flag provided but not defined"},
		{"client bad log level", []string{"client", "--config", badCfg, "--log-level", "loud"}, 2, "unknown level"},
		{"devnet stray argument", []string{"devnet", "x"}, 2, "takes no arguments"},
		{"devnet engine url without name", []string{"devnet", "--engine-url", "http://127.0.0.1:1"}, 2, "--model-name"},
		{"devnet too many workers", []string{"devnet", "--workers", "0"}, 2, "--workers"},
		{"probe without address", []string{"probe"}, 2, "HOST:PORT"},
		{"probe bad address", []string{"probe", "nocolon"}, 2, "not HOST:PORT"},
		{"probe fake policy without flag", []string{"probe", "--policy", "fake_tdx", "127.0.0.1:1"}, 2, "--insecure-fake-tdx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			if err == nil {
				t.Fatalf("run(%q) = nil, want an error", tt.args)
			}
			if got := exitCode(err); got != tt.wantCode {
				t.Errorf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			if !strings.Contains(err.Error()+errOut.String(), tt.wantErr) {
				t.Errorf("error %q (stderr %q) does not mention %q", err, errOut.String(), tt.wantErr)
			}
		})
	}
}

func TestFindModel(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.gguf", "a.gguf", "c.txt"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	t.Setenv("COCOON_MODEL", dir)
	got, err := findModel()
	if err != nil || got != filepath.Join(dir, "a.gguf") {
		t.Errorf("findModel in a directory = %q, %v; want a.gguf", got, err)
	}
	t.Setenv("COCOON_MODEL", filepath.Join(dir, "b.gguf"))
	if got, err := findModel(); err != nil || got != filepath.Join(dir, "b.gguf") {
		t.Errorf("findModel of a file = %q, %v; want b.gguf", got, err)
	}
}

func TestProbeUnreachable(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runProbe(context.Background(), []string{"--timeout", "2s", "127.0.0.1:1"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "dialling") {
		t.Errorf("probe of a closed port = %v, want a dialling error", err)
	}
}

func TestProbeDevnet(t *testing.T) {
	engine := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"object":"list","data":[]}`)) })
	n, err := devnet.Start(context.Background(), devnet.Options{Model: "m", Engine: func(int) http.Handler { return engine }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var out, errOut bytes.Buffer
	if err := runProbe(context.Background(), []string{"--test", "--policy", "fake_tdx", "--insecure-fake-tdx", n.ProxyClientsAddr}, &out, &errOut); err != nil {
		t.Fatalf("probe: %v\n%s", err, errOut.String())
	}
	// Addresses come in the reference's form: non-bounceable (UQ…).
	owner, err := address.ParseAddr(n.Proxy.Snapshot().LocalConfig.OwnerAddress)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"image hash:", "verified against policy fake_tdx", "verdict:       OK (policy fake_tdx)", "protocol        2", "cocoon-go       true", "owner address   " + owner.Bounce(false).String(), "client contract UQ"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("probe output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runProbe(context.Background(), []string{n.ProxyClientsAddr}, &out, &errOut); err == nil || !strings.Contains(out.String(), "fake TDX") ||
		!strings.Contains(out.String(), "verdict:       REJECTED: verifying RA-TLS peer: fake TDX quote rejected: policy tdx requires a real quote") {
		t.Errorf("probe with the default tdx policy = %v, want a refusal naming the fake quote after printing it:\n%s", err, out.String())
	}
}

func TestRegisteredAt(t *testing.T) {
	w, c := &net.TCPAddr{IP: net.IPv6unspecified, Port: 11001}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 11002}
	tests := []struct {
		name    string
		proxies []contracts.RegisteredProxy
		want    bool
	}{
		{"registered", []contracts.RegisteredProxy{{Seqno: 3, Desc: "1.2.3.4:11001 1.2.3.4:11002"}}, true},
		{"other ports", []contracts.RegisteredProxy{{Seqno: 3, Desc: "1.2.3.4:12001 1.2.3.4:12002"}}, false},
		{"one address", []contracts.RegisteredProxy{{Seqno: 3, Desc: "1.2.3.4:11001"}}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		if seqno, got := registeredAt(tt.proxies, w, c); got != tt.want || (got && seqno != 3) {
			t.Errorf("%s: got %d %v, want %v", tt.name, seqno, got, tt.want)
		}
	}
}
