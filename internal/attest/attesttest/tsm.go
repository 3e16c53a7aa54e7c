package attesttest

import (
	"fmt"
	"io/fs"
	"os"
	"path"
)

// FakeTSM is the kernel's configfs-tsm report subsystem as the issuers see
// it through go-configfs-tsm's configfsi.Client: one entry whose outblob
// is OutBlob and auxblob AuxBlob, reported by Provider.
// InBlob holds what the issuer last wrote.
type FakeTSM struct {
	Provider         string
	OutBlob, AuxBlob []byte
	InBlob           []byte
	generation       int
}

// MkdirTemp returns the one entry.
func (f *FakeTSM) MkdirTemp(dir, _ string) (string, error) { return path.Join(dir, "entry0"), nil }

// ReadFile reads one of the entry's attributes.
func (f *FakeTSM) ReadFile(name string) ([]byte, error) {
	switch path.Base(name) {
	case "generation":
		return fmt.Appendf(nil, "%d\n", f.generation), nil
	case "outblob":
		return f.OutBlob, nil
	case "auxblob":
		return f.AuxBlob, nil
	case "provider":
		return []byte(f.Provider + "\n"), nil
	}
	return nil, fs.ErrNotExist
}

// WriteFile accepts only the inblob, and counts a generation for it.
func (f *FakeTSM) WriteFile(name string, contents []byte) error {
	if path.Base(name) != "inblob" {
		return fs.ErrPermission
	}
	f.InBlob = append([]byte(nil), contents...)
	f.generation++
	return nil
}

// RemoveAll removes nothing.
func (f *FakeTSM) RemoveAll(string) error { return nil }

// ReadDir lists nothing.
func (f *FakeTSM) ReadDir(string) ([]os.DirEntry, error) { return nil, nil }
