package main

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/devnet"
)

// bannerCommand returns the arguments of the first line of the devnet
// banner that runs `cocoon NAME`, without "cocoon".
func bannerCommand(t *testing.T, banner, name string) []string {
	t.Helper()
	for _, line := range strings.Split(banner, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "cocoon" && strings.HasPrefix(strings.Join(f[1:], " "), name+" ") {
			return f[1:]
		}
	}
	t.Fatalf("the devnet banner has no `cocoon %s` line:\n%s", name, banner)
	return nil
}

// TestDevnetBannerTrust follows the devnet banner: `cocoon probe` with
// the flags it prints judges the proxy by the root; the `cocoon root
// del-worker-hash` it prints makes the next request fail with a 503
// naming the cause within a poll, and its add-worker-hash brings the
// worker back without a restart. `cocoon probe` and `cocoon attest
// inspect --verify` give the same verdict on a proxy image the root drops.
func TestDevnetBannerTrust(t *testing.T) {
	dir := t.TempDir()
	n := emulatedDevnet(t, dir)
	defer n.Close()
	var banner bytes.Buffer
	n.PrintBanner(&banner, "cocoon", dir, nil)
	fake := fmt.Sprintf("%x", devnet.FakeImageHash)

	probe := bannerCommand(t, banner.String(), "probe")
	out, err := runCmd(t, probe...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", probe, err, out)
	}
	for _, want := range []string{
		"root:          " + n.Addresses.Root.String() + " version ",
		"endpoint:      " + n.ProxyClientsAddr + " is registered on the root",
		"verdict:       OK (policy fake_tdx): peer key ",
		"image hash " + fake,
		"proxy key:     the key it signs with is its attested key",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}

	status := func() (int, string) {
		res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	until := func(what string, ok func(int, string) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, body := status()
			if ok(code, body) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the last answer was %d %s", what, code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if code, body := status(); code != http.StatusOK {
		t.Fatalf("request before any change: %d %s", code, body)
	}
	del := bannerCommand(t, banner.String(), "root del-worker-hash")
	if out, err := runCmd(t, del...); err != nil {
		t.Fatalf("%v: %v\n%s", del, err, out)
	}
	until("a request after del-worker-hash", func(code int, body string) bool {
		return code == http.StatusServiceUnavailable && strings.Contains(body, "no worker may serve model m: worker image hash "+fake+" is not in the root's worker_hashes (root "+n.Addresses.Root.String())
	})
	add := bannerCommand(t, banner.String(), "root add-worker-hash")
	if out, err := runCmd(t, add...); err != nil {
		t.Fatalf("%v: %v\n%s", add, err, out)
	}
	until("a request after add-worker-hash", func(code int, _ string) bool { return code == http.StatusOK })

	// The root drops the proxies' image: the probe and the inspection of a
	// fake certificate as a proxy refuse it alike.
	certDir := t.TempDir()
	if out, err := runCmd(t, "attest", "gen-cert", "--tdx", "fake", "--out", certDir); err != nil {
		t.Fatalf("gen-cert: %v\n%s", err, out)
	}
	state := filepath.Join(dir, devnet.ChainStateFile)
	dropProxy := append([]string{"root", "del-proxy-hash"}, del[2:]...)
	if out, err := runCmd(t, dropProxy...); err != nil {
		t.Fatalf("%v: %v\n%s", dropProxy, err, out)
	}
	refusal := "verdict:       REJECTED: verifying RA-TLS peer: proxy image hash " + fake + " is not in the root's proxy_hashes (root " + n.Addresses.Root.String() + ", version "
	out, err = runCmd(t, probe...)
	if err == nil || !strings.Contains(out, refusal) {
		t.Errorf("probe of a proxy the root no longer lists: %v, want %q:\n%s", err, refusal, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--insecure-fake-tdx", "--chain-state", state, "--root", n.Addresses.Root.String(), filepath.Join(certDir, "cert.pem"))
	if err == nil || !strings.Contains(out, refusal) {
		t.Errorf("inspection of a proxy image the root no longer lists: %v, want %q:\n%s", err, refusal, out)
	}
	out, err = runCmd(t, "attest", "inspect", "--verify", "--insecure-fake-tdx", "--peer", "worker", "--chain-state", state, "--root", n.Addresses.Root.String(), filepath.Join(certDir, "cert.pem"))
	if err != nil || !strings.Contains(out, "verdict:       OK (policy fake_tdx)") {
		t.Errorf("inspection as a worker, whose image the root lists: %v\n%s", err, out)
	}
}
