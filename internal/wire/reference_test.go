package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// TestReferenceFrames reassembles every frame the reference sent in the
// captures, as each connection's index lists it (the *-index.tsv files of
// ../shared/testdata/reference: the tcp wrapper's header, its padding and
// the boxed object, kept as a .bin for the first of each kind): each is
// the tcp.query, tcp.queryAnswer or tcp.packet our session reads, with the
// query id and the TL length of the index, and encodes back to the same
// bytes; the whole tcp.* objects have the index's length.
func TestReferenceFrames(t *testing.T) {
	indexes := sharedtest.References(t, "*-index.tsv")
	if len(indexes) != 4 {
		t.Fatalf("found %d connection indexes, want 4", len(indexes))
	}
	kinds := map[string]int{}
	for _, index := range indexes {
		f, err := os.Open(index)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") {
				if strings.HasPrefix(line, "# peer certificates") && (!strings.Contains(line, "tls version 0x0304") || !strings.Contains(line, "TLS_AES_128_GCM_SHA256")) {
					t.Errorf("%s: %q: want TLS 1.3 with AES-128-GCM, what our side negotiates", filepath.Base(index), line)
				}
				continue
			}
			c := strings.Split(line, "\t")
			if len(c) != 10 || c[0] == "seq" {
				continue
			}
			wrapper, fixture := c[2], c[9]
			n, err := strconv.Atoi(c[6])
			if err != nil {
				t.Fatalf("%s: bad length in %q", filepath.Base(index), line)
			}
			kinds[wrapper]++
			what := filepath.Base(index) + " frame " + c[0] + " " + c[7]
			var body []byte
			if fixture != "-" {
				body = sharedtest.Reference(t, fixture)
				if len(body) != n {
					t.Errorf("%s: %d bytes kept, the index says %d", what, len(body), n)
				}
			}
			if wrapper == "tcp" {
				continue
			}
			header, err := hex.DecodeString(c[4])
			if err != nil {
				t.Fatalf("%s: header %q: %v", what, c[4], err)
			}
			pad, _ := strconv.Atoi(c[5])
			// The header ends with the TL length of the data: one byte, or
			// 0xfe and three bytes.
			var prefix []byte
			if n < 254 {
				prefix = []byte{byte(n)}
			} else {
				prefix = []byte{0xfe, byte(n), byte(n >> 8), byte(n >> 16)}
			}
			if !bytes.HasSuffix(header, prefix) {
				t.Errorf("%s: header %x does not end with the length %d", what, header, n)
			}
			if body == nil {
				continue
			}
			frame := append(append(bytes.Clone(header), body...), make([]byte, pad)...)
			obj, err := tl.Unmarshal(frame)
			if err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
			var id int64
			var data []byte
			switch m := obj.(type) {
			case *tl.TCPQuery:
				id, data = m.ID, m.Data
			case *tl.TCPQueryAnswer:
				id, data = m.ID, m.Data
			case *tl.TCPPacket:
				data = m.Data
			}
			want := map[string]string{"query": "tcp.query", "answer": "tcp.queryAnswer", "packet": "tcp.packet"}[wrapper]
			if got := tl.Name(obj.TLID()); got != want {
				t.Errorf("%s: wrapper %s, want %s", what, got, want)
			}
			if wrapper != "packet" && strconv.FormatInt(id, 10) != c[3] {
				t.Errorf("%s: query id %d, the index says %s", what, id, c[3])
			}
			if !bytes.Equal(data, body) || !bytes.Equal(tl.Marshal(obj), frame) {
				t.Errorf("%s: the frame does not round-trip", what)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if kinds["query"] == 0 || kinds["answer"] == 0 || kinds["packet"] == 0 || kinds["tcp"] == 0 {
		t.Errorf("frames by wrapper %v, want every kind", kinds)
	}
}
