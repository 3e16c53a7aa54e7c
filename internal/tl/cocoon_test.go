package tl

import (
	"bytes"
	"os"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func TestCocoonCancelQuery(t *testing.T) {
	// The id is the CRC32 of the declaration, fixed once peers speak it.
	if CocoonCancelQueryID != 0x65f4e9e4 {
		t.Errorf("cocoon.cancelQuery id = %#08x, want %#08x", CocoonCancelQueryID, 0x65f4e9e4)
	}
	in := &CocoonCancelQuery{RequestID: [32]byte{1, 2, 3, 31: 0xff}}
	b := Marshal(in)
	obj, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	out, ok := obj.(*CocoonCancelQuery)
	if !ok || out.RequestID != in.RequestID {
		t.Errorf("round trip gave %#v, want %#v", obj, in)
	}
	if _, err := Unmarshal(b[:len(b)-1]); err == nil {
		t.Error("Unmarshal of a truncated cancel succeeded")
	}
}

// TestOwnConstructorsAreNotReferences checks that our ids clash with no
// constructor of the reference schema.
func TestOwnConstructorsAreNotReferences(t *testing.T) {
	src, err := os.ReadFile(sharedtest.Path(t, "reference/cocoon_api.tl"))
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range schemaIDs(t, string(src)) {
		if ownConstructors[id] {
			t.Errorf("own constructor %#08x has the id of the reference's %s", id, name)
		}
	}
}

func FuzzCocoonCancelQuery(f *testing.F) {
	f.Add(Marshal(&CocoonCancelQuery{RequestID: [32]byte{7}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m CocoonCancelQuery
		if UnmarshalAs(b, &m) != nil {
			return
		}
		enc := Marshal(&m)
		var again CocoonCancelQuery
		if err := UnmarshalAs(enc, &again); err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		if again != m || !bytes.Equal(Marshal(&again), enc) {
			t.Fatalf("round trip changed %#v to %#v", m, again)
		}
	})
}

func TestCocoonEndpointConstructors(t *testing.T) {
	// Ids are fixed once peers speak them.
	ids := []struct {
		name      string
		got, want uint32
	}{
		{"cocoon.workerEndpoints", CocoonWorkerEndpointsID, 0xabfebc22},
		{"cocoon.workerEndpointsAccepted", CocoonWorkerEndpointsAcceptedID, 0x98033fd6},
		{"cocoon.getModelEndpoints", CocoonGetModelEndpointsID, 0xec00c09c},
		{"cocoon.modelEndpoint", CocoonModelEndpointID, 0xa37e85ba},
		{"cocoon.modelEndpoints", CocoonModelEndpointsID, 0x08847e1a},
	}
	for _, c := range ids {
		if c.got != c.want {
			t.Errorf("%s id = %#08x, want %#08x", c.name, c.got, c.want)
		}
	}
	objs := []Object{
		&CocoonWorkerEndpoints{Endpoints: []string{"/v1/embeddings", "/v1/audio/transcriptions"}, AudioTokensPerSecond: 25},
		&CocoonWorkerEndpointsAccepted{AudioTokensPerSecond: 10},
		&CocoonGetModelEndpoints{},
		&CocoonModelEndpoints{Models: []CocoonModelEndpoint{{Name: "whisper", Endpoints: []string{"/v1/audio/translations"}}, {Name: "empty"}}},
	}
	for _, in := range objs {
		b := Marshal(in)
		out, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal %s: %v", Name(in.TLID()), err)
		}
		if !bytes.Equal(Marshal(out), b) {
			t.Errorf("%s: round trip changed %#v to %#v", Name(in.TLID()), in, out)
		}
		if len(b) > 4 {
			if _, err := Unmarshal(b[:len(b)-1]); err == nil {
				t.Errorf("%s: Unmarshal of a truncated encoding succeeded", Name(in.TLID()))
			}
		}
	}
}

// fuzzRoundTrip checks decode → encode → decode for one constructor.
func fuzzRoundTrip[T any, P interface {
	*T
	Object
}](t *testing.T, b []byte) {
	var m T
	if UnmarshalAs(b, P(&m)) != nil {
		return
	}
	enc := Marshal(P(&m))
	var again T
	if err := UnmarshalAs(enc, P(&again)); err != nil {
		t.Fatalf("re-decoding %x: %v", enc, err)
	}
	if !bytes.Equal(Marshal(P(&again)), enc) {
		t.Fatalf("round trip changed %#v to %#v", m, again)
	}
}

func FuzzCocoonWorkerEndpoints(f *testing.F) {
	f.Add(Marshal(&CocoonWorkerEndpoints{Endpoints: []string{"/v1/embeddings"}, AudioTokensPerSecond: 5}))
	f.Add(Marshal(&CocoonWorkerEndpointsAccepted{AudioTokensPerSecond: 5}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRoundTrip[CocoonWorkerEndpoints](t, b)
		fuzzRoundTrip[CocoonWorkerEndpointsAccepted](t, b)
	})
}

func FuzzCocoonModelEndpoints(f *testing.F) {
	f.Add(Marshal(&CocoonModelEndpoints{Models: []CocoonModelEndpoint{{Name: "m", Endpoints: []string{"/v1/embeddings"}}}}))
	f.Add(Marshal(&CocoonGetModelEndpoints{}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRoundTrip[CocoonModelEndpoints](t, b)
		fuzzRoundTrip[CocoonGetModelEndpoints](t, b)
	})
}
