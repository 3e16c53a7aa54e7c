package tl

// Messages between worker and proxy.

// WorkerParams is the TL constructor worker.params: it describes a worker to
// the proxy.
//
//	worker.params#869c73ed flags:# worker_owner_address:string model:string coefficient:int is_test:flags.0?Bool proxy_cnt:flags.0?int max_active_requests:flags.0?int min_proto_version:flags.1?int max_proto_version:flags.1?int = worker.Params
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries IsTest, ProxyCnt, MaxActiveRequests; bit 1 of Flags carries
// MinProtoVersion, MaxProtoVersion.
type WorkerParams struct {
	Flags              uint32
	WorkerOwnerAddress string
	Model              string
	Coefficient        int32
	IsTest             bool
	ProxyCnt           int32
	MaxActiveRequests  int32
	MinProtoVersion    int32
	MaxProtoVersion    int32
}

// TLID returns the constructor id of worker.params.
func (*WorkerParams) TLID() uint32 { return 0x869c73ed }

// MarshalTL writes the body of worker.params.
func (m *WorkerParams) MarshalTL(w *Writer) {
	w.Uint32(m.Flags)
	w.String(m.WorkerOwnerAddress)
	w.String(m.Model)
	w.Int32(m.Coefficient)
	if m.Flags&(1<<0) != 0 {
		w.Bool(m.IsTest)
	}
	if m.Flags&(1<<0) != 0 {
		w.Int32(m.ProxyCnt)
	}
	if m.Flags&(1<<0) != 0 {
		w.Int32(m.MaxActiveRequests)
	}
	if m.Flags&(1<<1) != 0 {
		w.Int32(m.MinProtoVersion)
	}
	if m.Flags&(1<<1) != 0 {
		w.Int32(m.MaxProtoVersion)
	}
}

// UnmarshalTL reads the body of worker.params.
func (m *WorkerParams) UnmarshalTL(r *Reader) error {
	*m = WorkerParams{}
	m.Flags = r.Uint32()
	m.WorkerOwnerAddress = r.String()
	m.Model = r.String()
	m.Coefficient = r.Int32()
	if m.Flags&(1<<0) != 0 {
		m.IsTest = r.Bool()
	}
	if m.Flags&(1<<0) != 0 {
		m.ProxyCnt = r.Int32()
	}
	if m.Flags&(1<<0) != 0 {
		m.MaxActiveRequests = r.Int32()
	}
	if m.Flags&(1<<1) != 0 {
		m.MinProtoVersion = r.Int32()
	}
	if m.Flags&(1<<1) != 0 {
		m.MaxProtoVersion = r.Int32()
	}
	return r.Err()
}

// WorkerEnabledDisabled is the TL constructor worker.enabledDisabled: it
// tells the proxy that the worker stopped (Disabled != 0) or resumed taking
// requests.
//
//	worker.enabledDisabled disabled:int = worker.EnabledDisabled
type WorkerEnabledDisabled struct {
	Disabled int32
}

// TLID returns the constructor id of worker.enabledDisabled.
func (*WorkerEnabledDisabled) TLID() uint32 { return 0xb3b71039 }

// MarshalTL writes the body of worker.enabledDisabled.
func (m *WorkerEnabledDisabled) MarshalTL(w *Writer) {
	w.Int32(m.Disabled)
}

// UnmarshalTL reads the body of worker.enabledDisabled.
func (m *WorkerEnabledDisabled) UnmarshalTL(r *Reader) error {
	*m = WorkerEnabledDisabled{}
	m.Disabled = r.Int32()
	return r.Err()
}

// WorkerNewCoefficient is the TL constructor worker.newCoefficient: it tells
// the proxy the worker's new price coefficient.
//
//	worker.newCoefficient new_coefficient:int = worker.NewCoefficient
type WorkerNewCoefficient struct {
	NewCoefficient int32
}

// TLID returns the constructor id of worker.newCoefficient.
func (*WorkerNewCoefficient) TLID() uint32 { return 0x6af092b0 }

// MarshalTL writes the body of worker.newCoefficient.
func (m *WorkerNewCoefficient) MarshalTL(w *Writer) {
	w.Int32(m.NewCoefficient)
}

// UnmarshalTL reads the body of worker.newCoefficient.
func (m *WorkerNewCoefficient) UnmarshalTL(r *Reader) error {
	*m = WorkerNewCoefficient{}
	m.NewCoefficient = r.Int32()
	return r.Err()
}

// WorkerConnectedToProxy is the TL constructor worker.connectedToProxy: it
// answers worker.connectToProxy.
//
//	worker.connectedToProxy params:proxy.params worker_sc_address:string = worker.ConnectedToProxy
type WorkerConnectedToProxy struct {
	Params          ProxyParams
	WorkerSCAddress string
}

// TLID returns the constructor id of worker.connectedToProxy.
func (*WorkerConnectedToProxy) TLID() uint32 { return 0x66bc82ee }

// MarshalTL writes the body of worker.connectedToProxy.
func (m *WorkerConnectedToProxy) MarshalTL(w *Writer) {
	m.Params.MarshalTL(w)
	w.String(m.WorkerSCAddress)
}

// UnmarshalTL reads the body of worker.connectedToProxy.
func (m *WorkerConnectedToProxy) UnmarshalTL(r *Reader) error {
	*m = WorkerConnectedToProxy{}
	r.Bare(&m.Params)
	m.WorkerSCAddress = r.String()
	return r.Err()
}

// WorkerCompareBalanceWithProxyResult is the TL constructor
// worker.compareBalanceWithProxyResult: it answers
// worker.compareBalanceWithProxy; ErrorCode 1 means the worker's MaxTokens
// exceeds the proxy's.
//
//	worker.compareBalanceWithProxyResult signed_payment:proxy.SignedPayment tokens_committed_to_db:long max_tokens:long error_code:int = worker.CompareBalanceWithProxyResult
type WorkerCompareBalanceWithProxyResult struct {
	SignedPayment       ProxySignedPaymentT
	TokensCommittedToDB int64
	MaxTokens           int64
	ErrorCode           int32
}

// TLID returns the constructor id of worker.compareBalanceWithProxyResult.
func (*WorkerCompareBalanceWithProxyResult) TLID() uint32 { return 0x9054c411 }

// MarshalTL writes the body of worker.compareBalanceWithProxyResult.
func (m *WorkerCompareBalanceWithProxyResult) MarshalTL(w *Writer) {
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.TokensCommittedToDB)
	w.Int64(m.MaxTokens)
	w.Int32(m.ErrorCode)
}

// UnmarshalTL reads the body of worker.compareBalanceWithProxyResult.
func (m *WorkerCompareBalanceWithProxyResult) UnmarshalTL(r *Reader) error {
	*m = WorkerCompareBalanceWithProxyResult{}
	m.SignedPayment = readProxySignedPaymentT(r)
	m.TokensCommittedToDB = r.Int64()
	m.MaxTokens = r.Int64()
	m.ErrorCode = r.Int32()
	return r.Err()
}

// WorkerExtendedCompareBalanceWithProxyResult is the TL constructor
// worker.extendedCompareBalanceWithProxyResult.
//
//	worker.extendedCompareBalanceWithProxyResult error_code:int = worker.ExtendedCompareBalanceWithProxyResult
type WorkerExtendedCompareBalanceWithProxyResult struct {
	ErrorCode int32
}

// TLID returns the constructor id of worker.extendedCompareBalanceWithProxyResult.
func (*WorkerExtendedCompareBalanceWithProxyResult) TLID() uint32 { return 0x0c10973e }

// MarshalTL writes the body of worker.extendedCompareBalanceWithProxyResult.
func (m *WorkerExtendedCompareBalanceWithProxyResult) MarshalTL(w *Writer) {
	w.Int32(m.ErrorCode)
}

// UnmarshalTL reads the body of worker.extendedCompareBalanceWithProxyResult.
func (m *WorkerExtendedCompareBalanceWithProxyResult) UnmarshalTL(r *Reader) error {
	*m = WorkerExtendedCompareBalanceWithProxyResult{}
	m.ErrorCode = r.Int32()
	return r.Err()
}

// WorkerProxyHandshakeCompleted is the TL constructor
// worker.proxyHandshakeCompleted: it answers worker.proxyHandshakeComplete.
//
//	worker.proxyHandshakeCompleted = worker.HandshakeCompleted
type WorkerProxyHandshakeCompleted struct{}

// TLID returns the constructor id of worker.proxyHandshakeCompleted.
func (*WorkerProxyHandshakeCompleted) TLID() uint32 { return 0x3ad9b886 }

// MarshalTL writes the body of worker.proxyHandshakeCompleted.
func (*WorkerProxyHandshakeCompleted) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of worker.proxyHandshakeCompleted.
func (m *WorkerProxyHandshakeCompleted) UnmarshalTL(r *Reader) error { return r.Err() }

// WorkerPaymentStatus is the TL constructor worker.paymentStatus: it answers
// worker.updatePaymentStatus.
//
//	worker.paymentStatus signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long = worker.PaymentStatus
type WorkerPaymentStatus struct {
	SignedPayment ProxySignedPaymentT
	DBTokens      int64
	MaxTokens     int64
}

// TLID returns the constructor id of worker.paymentStatus.
func (*WorkerPaymentStatus) TLID() uint32 { return 0xa88bd701 }

// MarshalTL writes the body of worker.paymentStatus.
func (m *WorkerPaymentStatus) MarshalTL(w *Writer) {
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.DBTokens)
	w.Int64(m.MaxTokens)
}

// UnmarshalTL reads the body of worker.paymentStatus.
func (m *WorkerPaymentStatus) UnmarshalTL(r *Reader) error {
	*m = WorkerPaymentStatus{}
	m.SignedPayment = readProxySignedPaymentT(r)
	m.DBTokens = r.Int64()
	m.MaxTokens = r.Int64()
	return r.Err()
}

// WorkerConnectToProxy is the TL function worker.connectToProxy: it is the
// worker's first query after tcp.connected.
//
//	worker.connectToProxy params:worker.params = worker.ConnectedToProxy
type WorkerConnectToProxy struct {
	Params WorkerParams
}

// TLID returns the constructor id of worker.connectToProxy.
func (*WorkerConnectToProxy) TLID() uint32 { return 0xcc484c5d }

// MarshalTL writes the body of worker.connectToProxy.
func (m *WorkerConnectToProxy) MarshalTL(w *Writer) {
	m.Params.MarshalTL(w)
}

// UnmarshalTL reads the body of worker.connectToProxy.
func (m *WorkerConnectToProxy) UnmarshalTL(r *Reader) error {
	*m = WorkerConnectToProxy{}
	r.Bare(&m.Params)
	return r.Err()
}

// WorkerCompareBalanceWithProxy is the TL function
// worker.compareBalanceWithProxy: it sends the worker's view of its balance
// to the proxy.
//
//	worker.compareBalanceWithProxy tokens_committed_to_blockchain:long tokens_committed_to_db:long max_tokens:long = worker.CompareBalanceWithProxyResult
type WorkerCompareBalanceWithProxy struct {
	TokensCommittedToBlockchain int64
	TokensCommittedToDB         int64
	MaxTokens                   int64
}

// TLID returns the constructor id of worker.compareBalanceWithProxy.
func (*WorkerCompareBalanceWithProxy) TLID() uint32 { return 0xdb386501 }

// MarshalTL writes the body of worker.compareBalanceWithProxy.
func (m *WorkerCompareBalanceWithProxy) MarshalTL(w *Writer) {
	w.Int64(m.TokensCommittedToBlockchain)
	w.Int64(m.TokensCommittedToDB)
	w.Int64(m.MaxTokens)
}

// UnmarshalTL reads the body of worker.compareBalanceWithProxy.
func (m *WorkerCompareBalanceWithProxy) UnmarshalTL(r *Reader) error {
	*m = WorkerCompareBalanceWithProxy{}
	m.TokensCommittedToBlockchain = r.Int64()
	m.TokensCommittedToDB = r.Int64()
	m.MaxTokens = r.Int64()
	return r.Err()
}

// WorkerExtendedCompareBalanceWithProxy is the TL function
// worker.extendedCompareBalanceWithProxy.
//
//	worker.extendedCompareBalanceWithProxy tokens_committed_to_db:long other:bytes = worker.ExtendedCompareBalanceWithProxyResult
type WorkerExtendedCompareBalanceWithProxy struct {
	TokensCommittedToDB int64
	Other               []byte
}

// TLID returns the constructor id of worker.extendedCompareBalanceWithProxy.
func (*WorkerExtendedCompareBalanceWithProxy) TLID() uint32 { return 0xf8dd9914 }

// MarshalTL writes the body of worker.extendedCompareBalanceWithProxy.
func (m *WorkerExtendedCompareBalanceWithProxy) MarshalTL(w *Writer) {
	w.Int64(m.TokensCommittedToDB)
	w.Bytes(m.Other)
}

// UnmarshalTL reads the body of worker.extendedCompareBalanceWithProxy.
func (m *WorkerExtendedCompareBalanceWithProxy) UnmarshalTL(r *Reader) error {
	*m = WorkerExtendedCompareBalanceWithProxy{}
	m.TokensCommittedToDB = r.Int64()
	m.Other = r.Bytes()
	return r.Err()
}

// WorkerProxyHandshakeComplete is the TL function
// worker.proxyHandshakeComplete: it ends the worker's handshake.
//
//	worker.proxyHandshakeComplete is_disabled:Bool = worker.HandshakeCompleted
type WorkerProxyHandshakeComplete struct {
	IsDisabled bool
}

// TLID returns the constructor id of worker.proxyHandshakeComplete.
func (*WorkerProxyHandshakeComplete) TLID() uint32 { return 0xf843b066 }

// MarshalTL writes the body of worker.proxyHandshakeComplete.
func (m *WorkerProxyHandshakeComplete) MarshalTL(w *Writer) {
	w.Bool(m.IsDisabled)
}

// UnmarshalTL reads the body of worker.proxyHandshakeComplete.
func (m *WorkerProxyHandshakeComplete) UnmarshalTL(r *Reader) error {
	*m = WorkerProxyHandshakeComplete{}
	m.IsDisabled = r.Bool()
	return r.Err()
}

// WorkerUpdatePaymentStatus is the TL function worker.updatePaymentStatus: it
// asks the proxy for the worker's current payment state.
//
//	worker.updatePaymentStatus = worker.PaymentStatus
type WorkerUpdatePaymentStatus struct{}

// TLID returns the constructor id of worker.updatePaymentStatus.
func (*WorkerUpdatePaymentStatus) TLID() uint32 { return 0xdc70a524 }

// MarshalTL writes the body of worker.updatePaymentStatus.
func (*WorkerUpdatePaymentStatus) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of worker.updatePaymentStatus.
func (m *WorkerUpdatePaymentStatus) UnmarshalTL(r *Reader) error { return r.Err() }
