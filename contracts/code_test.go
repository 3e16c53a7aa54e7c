package contracts

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

func TestCodeHashes(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			b, err := BOC(name)
			if err != nil {
				t.Fatal(err)
			}
			c, err := cell.FromBOC(b)
			if err != nil {
				t.Fatalf("decoding %s.boc: %v", name, err)
			}
			want, err := Hash(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(c.Hash()); got != want {
				t.Errorf("code cell hash of %s = %s, want %s", name, got, want)
			}
		})
	}
}

func TestUnknownContract(t *testing.T) {
	if _, err := BOC("nonesuch"); err == nil {
		t.Error("BOC(nonesuch) succeeded, want an error")
	}
	if _, err := Hash("nonesuch"); err == nil {
		t.Error("Hash(nonesuch) succeeded, want an error")
	}
}

// Hash returns the hex hash of the named contract's code cell, as the
// build recorded it.
func Hash(name string) (string, error) {
	b, err := build.ReadFile("build/" + name + ".hash")
	if err != nil {
		return "", fmt.Errorf("reading the code hash of contract %q: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}
