package tdx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// fakeTSM is the kernel's configfs-tsm report subsystem as seen through
// configfsi.Client: one entry whose outblob is quote, reported by provider.
type fakeTSM struct {
	provider   string
	quote      []byte
	inblob     []byte
	generation int
}

func (f *fakeTSM) MkdirTemp(dir, _ string) (string, error) { return path.Join(dir, "entry0"), nil }

func (f *fakeTSM) ReadFile(name string) ([]byte, error) {
	switch path.Base(name) {
	case "generation":
		return fmt.Appendf(nil, "%d\n", f.generation), nil
	case "outblob":
		return f.quote, nil
	case "provider":
		return []byte(f.provider + "\n"), nil
	}
	return nil, fs.ErrNotExist
}

func (f *fakeTSM) WriteFile(name string, contents []byte) error {
	if path.Base(name) != "inblob" {
		return fs.ErrPermission
	}
	f.inblob = append([]byte(nil), contents...)
	f.generation++
	return nil
}

func (f *fakeTSM) RemoveAll(string) error                { return nil }
func (f *fakeTSM) ReadDir(string) ([]os.DirEntry, error) { return nil, nil }

func TestIssuer(t *testing.T) {
	rd := attest.ReportData([]byte("claims"))
	tsm := &fakeTSM{provider: "tdx_guest", quote: []byte("quote")}
	q, err := newIssuer(tsm).Issue(context.Background(), rd)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if string(q) != "quote" || !bytes.Equal(tsm.inblob, rd[:]) {
		t.Errorf("got quote %q over in blob %x, want \"quote\" over %x", q, tsm.inblob, rd)
	}
}

func TestIssuerOutsideTD(t *testing.T) {
	_, err := newIssuer(&fakeTSM{provider: "sev_guest", quote: []byte("quote")}).Issue(context.Background(), [attest.ReportDataSize]byte{})
	if !errors.Is(err, ErrNotInTD) {
		t.Errorf("provider sev_guest: got %v, want %v", err, ErrNotInTD)
	}
	if _, err := os.Stat("/sys/kernel/config/tsm/report"); err == nil {
		t.Skip("this machine has configfs-tsm")
	}
	if _, err := NewIssuer(); !errors.Is(err, ErrNotInTD) {
		t.Errorf("NewIssuer on a machine without configfs-tsm: got %v, want %v", err, ErrNotInTD)
	}
}
