package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
)

// Load loads a GGUF model from source: a file path, or an http(s) URL
// pinned by the sha256 of the file in its fragment
// (https://host/model.gguf#sha256=<64 hex digits>). A URL is downloaded
// once into cacheDir, with a progress bar written to progress (nil for
// none), verified, and then read from the cache. A path may carry the
// same fragment to have the file checked. The model is named after the
// file's base name without the .gguf extension.
func Load(ctx context.Context, source, cacheDir string, progress io.Writer) (*Model, error) {
	loc, pin, err := splitPin(source)
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(loc); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if pin == "" {
			return nil, fmt.Errorf("loading model %s: a URL must be pinned with #sha256=<hex>", loc)
		}
		file, err := fetch(ctx, u, pin, cacheDir, progress)
		if err != nil {
			return nil, fmt.Errorf("loading model %s: %w", loc, err)
		}
		return readModel(file, pin, modelName(path.Base(u.Path)))
	}
	return readModel(loc, pin, modelName(filepath.Base(loc)))
}

// splitPin separates a "#sha256=<hex>" fragment from a source.
func splitPin(source string) (string, string, error) {
	loc, frag, ok := strings.Cut(source, "#")
	if !ok {
		return source, "", nil
	}
	pin, ok := strings.CutPrefix(frag, "sha256=")
	if b, err := hex.DecodeString(pin); !ok || err != nil || len(b) != sha256.Size {
		return "", "", fmt.Errorf("loading model: fragment %q is not sha256=<64 hex digits>", frag)
	}
	return loc, strings.ToLower(pin), nil
}

func modelName(base string) string {
	if n := strings.TrimSuffix(base, ".gguf"); n != "" && n != "." && n != "/" {
		return n
	}
	return "model"
}

// readModel reads a model file and checks it against pin when set.
func readModel(file, pin, name string) (*Model, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	m, err := NewModel(data, name)
	if err != nil {
		return nil, fmt.Errorf("loading model %s: %w", file, err)
	}
	if pin != "" && m.SHA256() != pin {
		return nil, fmt.Errorf("loading model %s: sha256 is %s, want %s", file, m.SHA256(), pin)
	}
	return m, nil
}

// fetch returns the cached file of pin, downloading it first if absent
// or damaged.
func fetch(ctx context.Context, u *url.URL, pin, cacheDir string, progress io.Writer) (string, error) {
	if cacheDir == "" {
		return "", errors.New("downloading needs a cache directory")
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating cache directory: %w", err)
	}
	file := filepath.Join(cacheDir, pin+".gguf")
	if sum, err := fileSHA256(file); err == nil && sum == pin {
		return file, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("downloading: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("downloading: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("downloading: server answered %s", resp.Status)
	}
	tmp, err := os.CreateTemp(cacheDir, ".download-*")
	if err != nil {
		return "", fmt.Errorf("downloading: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	defer tmp.Close()
	h := sha256.New()
	sinks := []io.Writer{tmp, h}
	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("downloading "+path.Base(u.Path)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetWidth(20),
			progressbar.OptionSetSpinnerChangeInterval(0),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }),
		)
		sinks = append(sinks, bar)
	}
	if _, err := io.Copy(io.MultiWriter(sinks...), resp.Body); err != nil {
		return "", fmt.Errorf("downloading: %w", err)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if got := sumHex(h); got != pin {
		return "", fmt.Errorf("downloading: sha256 of the download is %s, want %s", got, pin)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("downloading: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return "", fmt.Errorf("storing download in cache: %w", err)
	}
	return file, nil
}

func fileSHA256(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return sumHex(h), nil
}

func sumHex(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
