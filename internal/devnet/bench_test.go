package devnet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkChatStream measures one streamed chat request through the whole
// network (client HTTP → proxy → worker → fake engine and back), one at a
// time and with many in flight.
func BenchmarkChatStream(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, Options{Model: "m", Workers: 2, Engine: engines(&fakeEngine{chunks: 8}, &fakeEngine{chunks: 8})})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	one := func() error {
		res, err := hc.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(chatStream))
		if err != nil {
			return err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || !strings.HasSuffix(string(body), "[DONE]\n\n") {
			return fmt.Errorf("status %d, err %v", res.StatusCode, err)
		}
		return nil
	}
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if err := one(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := one(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
