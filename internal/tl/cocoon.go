package tl

import "hash/crc32"

// Constructors of cocoon-go's own, outside the reference schema.
//
// They are sent only to a peer that said it is a cocoon-go node: such a
// node sets ExtFlag in the flags word of its params (client.params and
// worker.params from clients and workers, proxy.params from the proxy).
// The reference reads only the flag bits it knows in those words and
// ignores this one, so a reference peer sees the protocol unchanged and
// never receives one of these constructors.

// ExtFlag is the params flag bit by which a cocoon-go node announces that
// it understands the constructors of this file.
const ExtFlag = 1 << 30

// CocoonCancelQuery asks the peer to abort a running request; the
// reference has no cancel message and lets a request run to its deadline:
//
//	cocoon.cancelQuery request_id:int256 = cocoon.Cancel
//
// A client sends it to the proxy with its own request id, the proxy to
// the worker with the worker-side id.
type CocoonCancelQuery struct {
	RequestID [32]byte
}

// CocoonCancelQueryID is the constructor id of cocoon.cancelQuery: the
// CRC32 of its declaration, as for the reference's constructors.
var CocoonCancelQueryID = crc32.ChecksumIEEE([]byte("cocoon.cancelQuery request_id:int256 = cocoon.Cancel"))

// TLID returns the constructor id of cocoon.cancelQuery.
func (*CocoonCancelQuery) TLID() uint32 { return CocoonCancelQueryID }

// MarshalTL writes the body of cocoon.cancelQuery.
func (m *CocoonCancelQuery) MarshalTL(w *Writer) { w.Int256(m.RequestID) }

// UnmarshalTL reads the body of cocoon.cancelQuery.
func (m *CocoonCancelQuery) UnmarshalTL(r *Reader) error {
	m.RequestID = r.Int256()
	return r.Err()
}

var _ Object = (*CocoonCancelQuery)(nil)

// ownConstructors are the ids of this file, which the reference schema
// does not hold.
var ownConstructors = map[uint32]bool{CocoonCancelQueryID: true}

func init() {
	registry[CocoonCancelQueryID] = constructor{"cocoon.cancelQuery", func() Object { return new(CocoonCancelQuery) }}
}

// What a worker serves and what a model offers, for routing by endpoint.
// The reference routes by model alone and its workers serve the two
// completion endpoints; a cocoon-go worker declares the endpoints its
// engine serves (and the rate at which it bills audio seconds) to a
// cocoon-go proxy during its handshake, and a cocoon-go client asks a
// cocoon-go proxy which endpoints each model offers.

// CocoonWorkerEndpoints is the query by which a worker declares, after
// its balance comparison and before worker.proxyHandshakeComplete, the
// endpoints its engine serves and how many tokens it bills per second of
// audio; the proxy answers with CocoonWorkerEndpointsAccepted:
//
//	cocoon.workerEndpoints endpoints:(vector string) audio_tokens_per_second:long = cocoon.WorkerEndpointsAccepted
type CocoonWorkerEndpoints struct {
	Endpoints            []string
	AudioTokensPerSecond int64
}

// CocoonWorkerEndpointsID is the constructor id of cocoon.workerEndpoints.
var CocoonWorkerEndpointsID = crc32.ChecksumIEEE([]byte("cocoon.workerEndpoints endpoints:(vector string) audio_tokens_per_second:long = cocoon.WorkerEndpointsAccepted"))

// TLID returns the constructor id of cocoon.workerEndpoints.
func (*CocoonWorkerEndpoints) TLID() uint32 { return CocoonWorkerEndpointsID }

// MarshalTL writes the body of cocoon.workerEndpoints.
func (m *CocoonWorkerEndpoints) MarshalTL(w *Writer) {
	writeStrings(w, m.Endpoints)
	w.Int64(m.AudioTokensPerSecond)
}

// UnmarshalTL reads the body of cocoon.workerEndpoints.
func (m *CocoonWorkerEndpoints) UnmarshalTL(r *Reader) error {
	*m = CocoonWorkerEndpoints{}
	m.Endpoints = readStrings(r)
	m.AudioTokensPerSecond = r.Int64()
	return r.Err()
}

// CocoonWorkerEndpointsAccepted is the proxy's answer to
// cocoon.workerEndpoints: the audio rate it bills the worker's requests
// at, the declared one capped by the proxy's maximum:
//
//	cocoon.workerEndpointsAccepted audio_tokens_per_second:long = cocoon.WorkerEndpointsAccepted
type CocoonWorkerEndpointsAccepted struct {
	AudioTokensPerSecond int64
}

// CocoonWorkerEndpointsAcceptedID is the constructor id of
// cocoon.workerEndpointsAccepted.
var CocoonWorkerEndpointsAcceptedID = crc32.ChecksumIEEE([]byte("cocoon.workerEndpointsAccepted audio_tokens_per_second:long = cocoon.WorkerEndpointsAccepted"))

// TLID returns the constructor id of cocoon.workerEndpointsAccepted.
func (*CocoonWorkerEndpointsAccepted) TLID() uint32 { return CocoonWorkerEndpointsAcceptedID }

// MarshalTL writes the body of cocoon.workerEndpointsAccepted.
func (m *CocoonWorkerEndpointsAccepted) MarshalTL(w *Writer) { w.Int64(m.AudioTokensPerSecond) }

// UnmarshalTL reads the body of cocoon.workerEndpointsAccepted.
func (m *CocoonWorkerEndpointsAccepted) UnmarshalTL(r *Reader) error {
	m.AudioTokensPerSecond = r.Int64()
	return r.Err()
}

// CocoonGetModelEndpoints is the client's query for the endpoints each
// model's workers serve; the proxy answers with CocoonModelEndpoints:
//
//	cocoon.getModelEndpoints = cocoon.ModelEndpoints
type CocoonGetModelEndpoints struct{}

// CocoonGetModelEndpointsID is the constructor id of
// cocoon.getModelEndpoints.
var CocoonGetModelEndpointsID = crc32.ChecksumIEEE([]byte("cocoon.getModelEndpoints = cocoon.ModelEndpoints"))

// TLID returns the constructor id of cocoon.getModelEndpoints.
func (*CocoonGetModelEndpoints) TLID() uint32 { return CocoonGetModelEndpointsID }

// MarshalTL writes the (empty) body of cocoon.getModelEndpoints.
func (*CocoonGetModelEndpoints) MarshalTL(*Writer) {}

// UnmarshalTL reads the (empty) body of cocoon.getModelEndpoints.
func (*CocoonGetModelEndpoints) UnmarshalTL(r *Reader) error { return r.Err() }

// CocoonModelEndpoint is one model and the endpoints some worker of it
// serves:
//
//	cocoon.modelEndpoint name:string endpoints:(vector string) = cocoon.ModelEndpoint
type CocoonModelEndpoint struct {
	Name      string
	Endpoints []string
}

// CocoonModelEndpointID is the constructor id of cocoon.modelEndpoint.
var CocoonModelEndpointID = crc32.ChecksumIEEE([]byte("cocoon.modelEndpoint name:string endpoints:(vector string) = cocoon.ModelEndpoint"))

// TLID returns the constructor id of cocoon.modelEndpoint.
func (*CocoonModelEndpoint) TLID() uint32 { return CocoonModelEndpointID }

// MarshalTL writes the body of cocoon.modelEndpoint.
func (m *CocoonModelEndpoint) MarshalTL(w *Writer) {
	w.String(m.Name)
	writeStrings(w, m.Endpoints)
}

// UnmarshalTL reads the body of cocoon.modelEndpoint.
func (m *CocoonModelEndpoint) UnmarshalTL(r *Reader) error {
	*m = CocoonModelEndpoint{}
	m.Name = r.String()
	m.Endpoints = readStrings(r)
	return r.Err()
}

// CocoonModelEndpoints is the proxy's answer to cocoon.getModelEndpoints;
// the models are bare:
//
//	cocoon.modelEndpoints models:(vector cocoon.modelEndpoint) = cocoon.ModelEndpoints
type CocoonModelEndpoints struct {
	Models []CocoonModelEndpoint
}

// CocoonModelEndpointsID is the constructor id of cocoon.modelEndpoints.
var CocoonModelEndpointsID = crc32.ChecksumIEEE([]byte("cocoon.modelEndpoints models:(vector cocoon.modelEndpoint) = cocoon.ModelEndpoints"))

// TLID returns the constructor id of cocoon.modelEndpoints.
func (*CocoonModelEndpoints) TLID() uint32 { return CocoonModelEndpointsID }

// MarshalTL writes the body of cocoon.modelEndpoints.
func (m *CocoonModelEndpoints) MarshalTL(w *Writer) {
	w.VectorLen(len(m.Models))
	for i := range m.Models {
		m.Models[i].MarshalTL(w)
	}
}

// UnmarshalTL reads the body of cocoon.modelEndpoints.
func (m *CocoonModelEndpoints) UnmarshalTL(r *Reader) error {
	*m = CocoonModelEndpoints{}
	if n := r.VectorLen(8); n > 0 {
		m.Models = make([]CocoonModelEndpoint, n)
		for i := range m.Models {
			r.Bare(&m.Models[i])
		}
	}
	return r.Err()
}

// writeStrings writes a bare vector of strings.
func writeStrings(w *Writer, ss []string) {
	w.VectorLen(len(ss))
	for _, s := range ss {
		w.String(s)
	}
}

// readStrings reads a bare vector of strings; each takes at least 4 bytes.
func readStrings(r *Reader) []string {
	n := r.VectorLen(4)
	if n <= 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.String()
	}
	return ss
}

var (
	_ Object = (*CocoonWorkerEndpoints)(nil)
	_ Object = (*CocoonWorkerEndpointsAccepted)(nil)
	_ Object = (*CocoonGetModelEndpoints)(nil)
	_ Object = (*CocoonModelEndpoint)(nil)
	_ Object = (*CocoonModelEndpoints)(nil)
)

func init() {
	own := []constructor{
		{"cocoon.workerEndpoints", func() Object { return new(CocoonWorkerEndpoints) }},
		{"cocoon.workerEndpointsAccepted", func() Object { return new(CocoonWorkerEndpointsAccepted) }},
		{"cocoon.getModelEndpoints", func() Object { return new(CocoonGetModelEndpoints) }},
		{"cocoon.modelEndpoint", func() Object { return new(CocoonModelEndpoint) }},
		{"cocoon.modelEndpoints", func() Object { return new(CocoonModelEndpoints) }},
	}
	for _, c := range own {
		id := c.new().TLID()
		registry[id] = c
		ownConstructors[id] = true
	}
}
