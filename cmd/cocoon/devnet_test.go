package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDevnetChainFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run([]string{"devnet", "--chain", "real", "--engine-url", "http://127.0.0.1:1", "--model-name", "m"}, &out, &errOut)
	if got := exitCode(err); got != 2 || !strings.Contains(err.Error(), `unknown --chain "real"`) {
		t.Errorf("devnet --chain real: exit code %d, error %v; want 2 and an unknown-chain error", got, err)
	}
}
