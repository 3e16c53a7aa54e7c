package wire_test

import (
	"context"
	"fmt"
	"net"

	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// workerTypes answers client.getWorkerTypes queries.
type workerTypes struct{}

func (workerTypes) ServeQuery(_ context.Context, payload []byte) ([]byte, error) {
	q, err := tl.Unmarshal(payload)
	if err != nil {
		return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: err.Error()}
	}
	if _, ok := q.(*tl.ClientGetWorkerTypes); !ok {
		return nil, &wire.QueryError{Code: wire.CodeError, Message: "unexpected " + tl.Name(q.TLID())}
	}
	return tl.Marshal(&tl.ClientWorkerTypes{Types: []tl.ClientWorkerType{{Name: "Qwen/Qwen3-8B", ActiveWorkers: 3}}}), nil
}

func (workerTypes) ServePacket([]byte) {}

func Example() {
	// In production the connections come from ClientHandshake and
	// ServerHandshake; a pipe stands in for them here.
	clientConn, proxyConn := net.Pipe()
	proxy := wire.NewSession(proxyConn, wire.Config{Handler: workerTypes{}})
	client := wire.NewSession(clientConn, wire.Config{Outbound: true})
	defer proxy.Close()
	defer client.Close()

	ctx := context.Background()
	go func() { _ = proxy.Start(ctx) }()
	if err := client.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	answer, err := client.Query(ctx, tl.Marshal(&tl.ClientGetWorkerTypes{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	var types tl.ClientWorkerTypes
	if err := tl.UnmarshalAs(answer, &types); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(types.Types[0].Name, types.Types[0].ActiveWorkers)
	// Output: Qwen/Qwen3-8B 3
}
