package devnet

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/config/configtest"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// TestMixedTEEWorkers runs one fake TDX worker and one fake SEV-SNP worker
// behind one proxy and shows that both serve one client: the proxy's
// worker port verifies each with its TEE's validator under
// fake_tdx_or_fake_sev_snp. Each worker takes one request at a time and
// each engine holds its stream until both have one, so the two concurrent
// requests must go one to each worker. On the emulated chain the root
// lists both images, by which the roles admit the workers.
func TestMixedTEEWorkers(t *testing.T) {
	for _, chain := range []string{ChainFake, ChainEmulated} {
		t.Run(chain, func(t *testing.T) { mixedTEEWorkers(t, chain) })
	}
}

func mixedTEEWorkers(t *testing.T, chain string) {
	tdx := &fakeEngine{chunks: 2, hold: make(chan struct{}), gone: make(chan struct{}, 1)}
	snp := &fakeEngine{chunks: 2, hold: make(chan struct{}), gone: make(chan struct{}, 1)}
	dir := t.TempDir()
	n := start(t, Options{Workers: 2, WorkerTEEs: []string{TEEFakeTDX, TEEFakeSEVSNP}, MaxActiveRequests: 1, Engine: engines(tdx, snp), DataDir: dir, Chain: chain})
	if chain == ChainEmulated {
		root, err := ton.ReadRootConfig(context.Background(), n.Chain, n.Addresses.Root)
		if err != nil {
			t.Fatal(err)
		}
		if snpImage := fakeImage(TEEFakeSEVSNP); !root.HasWorkerHash(FakeImageHash) || !root.HasWorkerHash(snpImage) || snpImage == FakeImageHash {
			t.Errorf("root worker hashes %x, want the fake TDX image %x and the fake SEV-SNP one %x", root.WorkerHashes, FakeImageHash, snpImage)
		}
	}
	pcfg := configtest.Load(t, proxy.LoadConfig, filepath.Join(dir, "proxy.json"))
	if pcfg.WorkerPolicy != "fake_tdx_or_fake_sev_snp" {
		t.Errorf("got proxy worker policy %q, want fake_tdx_or_fake_sev_snp", pcfg.WorkerPolicy)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	bodies := make([]string, 2)
	for i := range bodies {
		wg.Go(func() {
			res, body := post(t, ctx, n.ClientURL, chatStream)
			if res.StatusCode != 200 {
				t.Errorf("request %d: got status %d: %s", i, res.StatusCode, body)
			}
			bodies[i] = body
		})
	}
	for tdx.requests.Load() == 0 || snp.requests.Load() == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("got %d requests at the TDX worker and %d at the SEV-SNP one, want one each", tdx.requests.Load(), snp.requests.Load())
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(tdx.hold)
	close(snp.hold)
	wg.Wait()
	for i, b := range bodies {
		if !strings.HasSuffix(b, "data: [DONE]\n\n") {
			t.Errorf("request %d: got %q, want a whole stream", i, b)
		}
	}
}

func TestWorkerTEEsRefused(t *testing.T) {
	for _, opts := range []Options{
		{Workers: 1, WorkerTEEs: []string{"sev-snp"}},
		{Workers: 1, WorkerTEEs: []string{TEEFakeTDX, TEEFakeSEVSNP}},
	} {
		if _, _, err := workerTEEs(opts); err == nil {
			t.Errorf("%v: got nil error, want a refusal", opts.WorkerTEEs)
		}
	}
}
