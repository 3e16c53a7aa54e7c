package tdx

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// ErrMalformedQuote reports bytes that are not a TDX quote v4 or v5.
var ErrMalformedQuote = errors.New("malformed TDX quote")

// Quote is a decoded, unverified TDX quote.
type Quote struct {
	// Version is the quote format version (4 or 5).
	Version int
	// Measurements are the quote's claims, not yet verified: Kind is
	// KindTDX, TCBStatus is TCBNotEvaluated and RootKeyID is zero.
	Measurements attest.Measurements

	proto any // *pb.QuoteV4 or *pb.QuoteV5
}

type tdBody interface {
	GetMrTd() []byte
	GetMrConfigId() []byte
	GetMrOwner() []byte
	GetMrOwnerConfig() []byte
	GetRtmrs() [][]byte
	GetReportData() []byte
}

// ParseQuote decodes a raw TDX quote without verifying anything.
func ParseQuote(raw []byte) (*Quote, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("parsing TDX quote: %w", attest.ErrNoQuote)
	}
	p, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing TDX quote: %w: %w", ErrMalformedQuote, err)
	}
	q := &Quote{proto: p}
	var body tdBody
	switch v := p.(type) {
	case *pb.QuoteV4:
		q.Version, body = 4, v.GetTdQuoteBody()
	case *pb.QuoteV5:
		q.Version, body = 5, v.GetTdQuoteBodyDescriptor().GetTdQuoteBodyV5()
	default:
		return nil, fmt.Errorf("parsing TDX quote: %w: unsupported format %T", ErrMalformedQuote, p)
	}
	if body == nil {
		return nil, fmt.Errorf("parsing TDX quote: %w: no TD quote body", ErrMalformedQuote)
	}
	m := attest.Measurements{Kind: attest.KindTDX, TCBStatus: attest.TCBNotEvaluated}
	rtmrs := body.GetRtmrs()
	fields := []struct {
		dst []byte
		src []byte
	}{
		{m.MRTD[:], body.GetMrTd()},
		{m.MRConfigID[:], body.GetMrConfigId()},
		{m.MROwner[:], body.GetMrOwner()},
		{m.MROwnerConfig[:], body.GetMrOwnerConfig()},
		{m.ReportData[:], body.GetReportData()},
	}
	if len(rtmrs) != len(m.RTMR) {
		return nil, fmt.Errorf("parsing TDX quote: %w: %d RTMRs, want %d", ErrMalformedQuote, len(rtmrs), len(m.RTMR))
	}
	for i := range m.RTMR {
		fields = append(fields, struct{ dst, src []byte }{m.RTMR[i][:], rtmrs[i]})
	}
	for _, f := range fields {
		if len(f.src) != len(f.dst) {
			return nil, fmt.Errorf("parsing TDX quote: %w: field of %d bytes, want %d", ErrMalformedQuote, len(f.src), len(f.dst))
		}
		copy(f.dst, f.src)
	}
	q.Measurements = m
	return q, nil
}

// decode runs go-tdx-guest's decoder, which trusts inner length fields and
// panics on some malformed quotes (a QE authentication data size beyond
// the buffer, for one); the panic becomes an error here.
func decode(raw []byte) (p any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("decoder failed: %v", r)
		}
	}()
	p, err = abi.QuoteToProto(raw)
	if err != nil {
		return nil, err
	}
	if err := abi.CheckQuote(p); err != nil {
		return nil, err
	}
	// Bytes after the signed data are not signed. Quote generation pads
	// with zeros (the reference's quote.dat ends in 70); anything else
	// there is refused, and so is anything go-tdx-guest would not
	// re-encode to exactly the same bytes.
	if extra, ok := p.(interface{ GetExtraBytes() []byte }); ok && slices.ContainsFunc(extra.GetExtraBytes(), func(b byte) bool { return b != 0 }) {
		return nil, errors.New("non-zero bytes after the signed quote")
	}
	enc, err := abi.QuoteToAbiBytes(p)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(enc, raw) {
		return nil, fmt.Errorf("quote of %d bytes is not in canonical form (re-encodes to %d bytes)", len(raw), len(enc))
	}
	return p, nil
}
