package tl

// Messages the proxy sends or forwards.

// ProxyParams is the TL constructor proxy.params: it describes a proxy to a
// client or worker.
//
//	proxy.params#d5c5609f flags:# proxy_public_key:int256 proxy_owner_address:string proxy_sc_address:string is_test:flags.0?Bool proto_version:flags.1?int = proxy.Params
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries IsTest; bit 1 of Flags carries ProtoVersion.
type ProxyParams struct {
	Flags             uint32
	ProxyPublicKey    [32]byte
	ProxyOwnerAddress string
	ProxySCAddress    string
	IsTest            bool
	ProtoVersion      int32
}

// TLID returns the constructor id of proxy.params.
func (*ProxyParams) TLID() uint32 { return 0xd5c5609f }

// MarshalTL writes the body of proxy.params.
func (m *ProxyParams) MarshalTL(w *Writer) {
	w.Uint32(m.Flags)
	w.Int256(m.ProxyPublicKey)
	w.String(m.ProxyOwnerAddress)
	w.String(m.ProxySCAddress)
	if m.Flags&(1<<0) != 0 {
		w.Bool(m.IsTest)
	}
	if m.Flags&(1<<1) != 0 {
		w.Int32(m.ProtoVersion)
	}
}

// UnmarshalTL reads the body of proxy.params.
func (m *ProxyParams) UnmarshalTL(r *Reader) error {
	*m = ProxyParams{}
	m.Flags = r.Uint32()
	m.ProxyPublicKey = r.Int256()
	m.ProxyOwnerAddress = r.String()
	m.ProxySCAddress = r.String()
	if m.Flags&(1<<0) != 0 {
		m.IsTest = r.Bool()
	}
	if m.Flags&(1<<1) != 0 {
		m.ProtoVersion = r.Int32()
	}
	return r.Err()
}

// ProxyClientRequestPayment is the TL constructor proxy.clientRequestPayment:
// it is the proxy's signed account of a client after each request.
//
//	proxy.clientRequestPayment request_id:int256 signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long request_tokens:long = proxy.WorkerRequestPayment
//
// It implements ProxyWorkerRequestPaymentT.
type ProxyClientRequestPayment struct {
	RequestID     [32]byte
	SignedPayment ProxySignedPaymentT
	DBTokens      int64
	MaxTokens     int64
	RequestTokens int64
}

// TLID returns the constructor id of proxy.clientRequestPayment.
func (*ProxyClientRequestPayment) TLID() uint32 { return 0xc6bcf127 }

// MarshalTL writes the body of proxy.clientRequestPayment.
func (m *ProxyClientRequestPayment) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.DBTokens)
	w.Int64(m.MaxTokens)
	w.Int64(m.RequestTokens)
}

// UnmarshalTL reads the body of proxy.clientRequestPayment.
func (m *ProxyClientRequestPayment) UnmarshalTL(r *Reader) error {
	*m = ProxyClientRequestPayment{}
	m.RequestID = r.Int256()
	m.SignedPayment = readProxySignedPaymentT(r)
	m.DBTokens = r.Int64()
	m.MaxTokens = r.Int64()
	m.RequestTokens = r.Int64()
	return r.Err()
}

// ProxySignedPayment is the TL constructor proxy.signedPayment: it is a
// payment message signed by the proxy.
//
//	proxy.signedPayment data:bytes = proxy.SignedPayment
//
// It implements ProxySignedPaymentT.
type ProxySignedPayment struct {
	Data []byte
}

// TLID returns the constructor id of proxy.signedPayment.
func (*ProxySignedPayment) TLID() uint32 { return 0x02998182 }

// MarshalTL writes the body of proxy.signedPayment.
func (m *ProxySignedPayment) MarshalTL(w *Writer) {
	w.Bytes(m.Data)
}

// UnmarshalTL reads the body of proxy.signedPayment.
func (m *ProxySignedPayment) UnmarshalTL(r *Reader) error {
	*m = ProxySignedPayment{}
	m.Data = r.Bytes()
	return r.Err()
}

// ProxySignedPaymentEmpty is the TL constructor proxy.signedPaymentEmpty: it
// stands for no signed payment yet.
//
//	proxy.signedPaymentEmpty = proxy.SignedPayment
//
// It implements ProxySignedPaymentT.
type ProxySignedPaymentEmpty struct{}

// TLID returns the constructor id of proxy.signedPaymentEmpty.
func (*ProxySignedPaymentEmpty) TLID() uint32 { return 0xb347ce64 }

// MarshalTL writes the body of proxy.signedPaymentEmpty.
func (*ProxySignedPaymentEmpty) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of proxy.signedPaymentEmpty.
func (m *ProxySignedPaymentEmpty) UnmarshalTL(r *Reader) error { return r.Err() }

// ProxyQueryAnswer is the TL constructor proxy.queryAnswer: it carries an
// answer (or its head) from a proto-0 worker.
//
//	proxy.queryAnswer answer:bytes is_completed:Bool request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswer
//
// It implements ProxyQueryAnswerT.
type ProxyQueryAnswer struct {
	Answer      []byte
	IsCompleted bool
	RequestID   [32]byte
	TokensUsed  TokensUsed
}

// TLID returns the constructor id of proxy.queryAnswer.
func (*ProxyQueryAnswer) TLID() uint32 { return 0x37e5f725 }

// MarshalTL writes the body of proxy.queryAnswer.
func (m *ProxyQueryAnswer) MarshalTL(w *Writer) {
	w.Bytes(m.Answer)
	w.Bool(m.IsCompleted)
	w.Int256(m.RequestID)
	m.TokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of proxy.queryAnswer.
func (m *ProxyQueryAnswer) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswer{}
	m.Answer = r.Bytes()
	m.IsCompleted = r.Bool()
	m.RequestID = r.Int256()
	r.Bare(&m.TokensUsed)
	return r.Err()
}

// ProxyQueryAnswerError is the TL constructor proxy.queryAnswerError: it
// fails a request at a proto-0 worker.
//
//	proxy.queryAnswerError error_code:int error:string request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswer
//
// It implements ProxyQueryAnswerT.
type ProxyQueryAnswerError struct {
	ErrorCode  int32
	Error      string
	RequestID  [32]byte
	TokensUsed TokensUsed
}

// TLID returns the constructor id of proxy.queryAnswerError.
func (*ProxyQueryAnswerError) TLID() uint32 { return 0x669d014e }

// MarshalTL writes the body of proxy.queryAnswerError.
func (m *ProxyQueryAnswerError) MarshalTL(w *Writer) {
	w.Int32(m.ErrorCode)
	w.String(m.Error)
	w.Int256(m.RequestID)
	m.TokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of proxy.queryAnswerError.
func (m *ProxyQueryAnswerError) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswerError{}
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	m.RequestID = r.Int256()
	r.Bare(&m.TokensUsed)
	return r.Err()
}

// ProxyQueryAnswerPart is the TL constructor proxy.queryAnswerPart: it
// carries a later part of an answer from a proto-0 worker.
//
//	proxy.queryAnswerPart answer:bytes is_completed:Bool request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswerPart
//
// It implements ProxyQueryAnswerPartT.
type ProxyQueryAnswerPart struct {
	Answer      []byte
	IsCompleted bool
	RequestID   [32]byte
	TokensUsed  TokensUsed
}

// TLID returns the constructor id of proxy.queryAnswerPart.
func (*ProxyQueryAnswerPart) TLID() uint32 { return 0x72eb00ee }

// MarshalTL writes the body of proxy.queryAnswerPart.
func (m *ProxyQueryAnswerPart) MarshalTL(w *Writer) {
	w.Bytes(m.Answer)
	w.Bool(m.IsCompleted)
	w.Int256(m.RequestID)
	m.TokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of proxy.queryAnswerPart.
func (m *ProxyQueryAnswerPart) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswerPart{}
	m.Answer = r.Bytes()
	m.IsCompleted = r.Bool()
	m.RequestID = r.Int256()
	r.Bare(&m.TokensUsed)
	return r.Err()
}

// ProxyQueryAnswerPartError is the TL constructor proxy.queryAnswerPartError:
// it fails a request at a proto-0 worker after its head.
//
//	proxy.queryAnswerPartError error_code:int error:string request_id:int256 tokens_used:tokensUsed = proxy.QueryAnswerPart
//
// It implements ProxyQueryAnswerPartT.
type ProxyQueryAnswerPartError struct {
	ErrorCode  int32
	Error      string
	RequestID  [32]byte
	TokensUsed TokensUsed
}

// TLID returns the constructor id of proxy.queryAnswerPartError.
func (*ProxyQueryAnswerPartError) TLID() uint32 { return 0x940e1168 }

// MarshalTL writes the body of proxy.queryAnswerPartError.
func (m *ProxyQueryAnswerPartError) MarshalTL(w *Writer) {
	w.Int32(m.ErrorCode)
	w.String(m.Error)
	w.Int256(m.RequestID)
	m.TokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of proxy.queryAnswerPartError.
func (m *ProxyQueryAnswerPartError) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswerPartError{}
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	m.RequestID = r.Int256()
	r.Bare(&m.TokensUsed)
	return r.Err()
}

// ProxyQueryFinalInfo is the TL constructor proxy.queryFinalInfo: it closes a
// request at the worker: tokens used, and debug text and timings on request.
//
//	proxy.queryFinalInfo flags:# tokens_used:tokensUsed worker_debug:flags.0?string worker_start_time:flags.1?double worker_end_time:flags.1?double = proxy.QueryFinalInfo
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries WorkerDebug; bit 1 of Flags carries WorkerStartTime,
// WorkerEndTime.
type ProxyQueryFinalInfo struct {
	Flags           uint32
	TokensUsed      TokensUsed
	WorkerDebug     string
	WorkerStartTime float64
	WorkerEndTime   float64
}

// TLID returns the constructor id of proxy.queryFinalInfo.
func (*ProxyQueryFinalInfo) TLID() uint32 { return 0xe794e6fc }

// MarshalTL writes the body of proxy.queryFinalInfo.
func (m *ProxyQueryFinalInfo) MarshalTL(w *Writer) {
	w.Uint32(m.Flags)
	m.TokensUsed.MarshalTL(w)
	if m.Flags&(1<<0) != 0 {
		w.String(m.WorkerDebug)
	}
	if m.Flags&(1<<1) != 0 {
		w.Double(m.WorkerStartTime)
	}
	if m.Flags&(1<<1) != 0 {
		w.Double(m.WorkerEndTime)
	}
}

// UnmarshalTL reads the body of proxy.queryFinalInfo.
func (m *ProxyQueryFinalInfo) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryFinalInfo{}
	m.Flags = r.Uint32()
	r.Bare(&m.TokensUsed)
	if m.Flags&(1<<0) != 0 {
		m.WorkerDebug = r.String()
	}
	if m.Flags&(1<<1) != 0 {
		m.WorkerStartTime = r.Double()
	}
	if m.Flags&(1<<1) != 0 {
		m.WorkerEndTime = r.Double()
	}
	return r.Err()
}

// ProxyQueryAnswerEx is the TL constructor proxy.queryAnswerEx: it carries
// the head of an answer (a boxed http.response) from the worker.
//
//	proxy.queryAnswerEx request_id:int256 answer:bytes flags:# final_info:flags.0?proxy.queryFinalInfo = proxy.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries FinalInfo.
//
// It implements ProxyQueryAnswerExT.
type ProxyQueryAnswerEx struct {
	RequestID [32]byte
	Answer    []byte
	Flags     uint32
	FinalInfo *ProxyQueryFinalInfo
}

// TLID returns the constructor id of proxy.queryAnswerEx.
func (*ProxyQueryAnswerEx) TLID() uint32 { return 0x1ce574e8 }

// MarshalTL writes the body of proxy.queryAnswerEx.
func (m *ProxyQueryAnswerEx) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	w.Bytes(m.Answer)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		if m.FinalInfo == nil {
			(&ProxyQueryFinalInfo{}).MarshalTL(w)
		} else {
			m.FinalInfo.MarshalTL(w)
		}
	}
}

// UnmarshalTL reads the body of proxy.queryAnswerEx.
func (m *ProxyQueryAnswerEx) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswerEx{}
	m.RequestID = r.Int256()
	m.Answer = r.Bytes()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.FinalInfo = new(ProxyQueryFinalInfo)
		r.Bare(m.FinalInfo)
	}
	return r.Err()
}

// ProxyQueryAnswerErrorEx is the TL constructor proxy.queryAnswerErrorEx: it
// fails a request at the worker.
//
//	proxy.queryAnswerErrorEx request_id:int256 error_code:int error:string flags:# final_info:flags.0?proxy.queryFinalInfo = proxy.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries FinalInfo.
//
// It implements ProxyQueryAnswerExT.
type ProxyQueryAnswerErrorEx struct {
	RequestID [32]byte
	ErrorCode int32
	Error     string
	Flags     uint32
	FinalInfo *ProxyQueryFinalInfo
}

// TLID returns the constructor id of proxy.queryAnswerErrorEx.
func (*ProxyQueryAnswerErrorEx) TLID() uint32 { return 0x8f7fb0a7 }

// MarshalTL writes the body of proxy.queryAnswerErrorEx.
func (m *ProxyQueryAnswerErrorEx) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	w.Int32(m.ErrorCode)
	w.String(m.Error)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		if m.FinalInfo == nil {
			(&ProxyQueryFinalInfo{}).MarshalTL(w)
		} else {
			m.FinalInfo.MarshalTL(w)
		}
	}
}

// UnmarshalTL reads the body of proxy.queryAnswerErrorEx.
func (m *ProxyQueryAnswerErrorEx) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswerErrorEx{}
	m.RequestID = r.Int256()
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.FinalInfo = new(ProxyQueryFinalInfo)
		r.Bare(m.FinalInfo)
	}
	return r.Err()
}

// ProxyQueryAnswerPartEx is the TL constructor proxy.queryAnswerPartEx: it
// carries a later part of an answer body from the worker.
//
//	proxy.queryAnswerPartEx request_id:int256 answer:bytes flags:# final_info:flags.0?proxy.queryFinalInfo = proxy.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries FinalInfo.
//
// It implements ProxyQueryAnswerExT.
type ProxyQueryAnswerPartEx struct {
	RequestID [32]byte
	Answer    []byte
	Flags     uint32
	FinalInfo *ProxyQueryFinalInfo
}

// TLID returns the constructor id of proxy.queryAnswerPartEx.
func (*ProxyQueryAnswerPartEx) TLID() uint32 { return 0x6d85b50f }

// MarshalTL writes the body of proxy.queryAnswerPartEx.
func (m *ProxyQueryAnswerPartEx) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	w.Bytes(m.Answer)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		if m.FinalInfo == nil {
			(&ProxyQueryFinalInfo{}).MarshalTL(w)
		} else {
			m.FinalInfo.MarshalTL(w)
		}
	}
}

// UnmarshalTL reads the body of proxy.queryAnswerPartEx.
func (m *ProxyQueryAnswerPartEx) UnmarshalTL(r *Reader) error {
	*m = ProxyQueryAnswerPartEx{}
	m.RequestID = r.Int256()
	m.Answer = r.Bytes()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.FinalInfo = new(ProxyQueryFinalInfo)
		r.Bare(m.FinalInfo)
	}
	return r.Err()
}

// ProxyWorkerRequestPayment is the TL constructor proxy.workerRequestPayment:
// it is the proxy's signed account of a worker after each request.
//
//	proxy.workerRequestPayment request_id:int256 signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long request_tokens:long request_client_owner:string = proxy.WorkerRequestPayment
//
// It implements ProxyWorkerRequestPaymentT.
type ProxyWorkerRequestPayment struct {
	RequestID          [32]byte
	SignedPayment      ProxySignedPaymentT
	DBTokens           int64
	MaxTokens          int64
	RequestTokens      int64
	RequestClientOwner string
}

// TLID returns the constructor id of proxy.workerRequestPayment.
func (*ProxyWorkerRequestPayment) TLID() uint32 { return 0x1436c0d5 }

// MarshalTL writes the body of proxy.workerRequestPayment.
func (m *ProxyWorkerRequestPayment) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.DBTokens)
	w.Int64(m.MaxTokens)
	w.Int64(m.RequestTokens)
	w.String(m.RequestClientOwner)
}

// UnmarshalTL reads the body of proxy.workerRequestPayment.
func (m *ProxyWorkerRequestPayment) UnmarshalTL(r *Reader) error {
	*m = ProxyWorkerRequestPayment{}
	m.RequestID = r.Int256()
	m.SignedPayment = readProxySignedPaymentT(r)
	m.DBTokens = r.Int64()
	m.MaxTokens = r.Int64()
	m.RequestTokens = r.Int64()
	m.RequestClientOwner = r.String()
	return r.Err()
}

// ProxyRunQuery is the TL function proxy.runQuery: it sends a request from
// the proxy to a proto-0 worker (one-way).
//
//	proxy.runQuery query:bytes signed_payment:proxy.SignedPayment coefficient:long timeout:double request_id:int256 = proxy.QueryAnswer
//
// It implements ProxyQueryAnswerT.
type ProxyRunQuery struct {
	Query         []byte
	SignedPayment ProxySignedPaymentT
	Coefficient   int64
	Timeout       float64
	RequestID     [32]byte
}

// TLID returns the constructor id of proxy.runQuery.
func (*ProxyRunQuery) TLID() uint32 { return 0x47182416 }

// MarshalTL writes the body of proxy.runQuery.
func (m *ProxyRunQuery) MarshalTL(w *Writer) {
	w.Bytes(m.Query)
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.Coefficient)
	w.Double(m.Timeout)
	w.Int256(m.RequestID)
}

// UnmarshalTL reads the body of proxy.runQuery.
func (m *ProxyRunQuery) UnmarshalTL(r *Reader) error {
	*m = ProxyRunQuery{}
	m.Query = r.Bytes()
	m.SignedPayment = readProxySignedPaymentT(r)
	m.Coefficient = r.Int64()
	m.Timeout = r.Double()
	m.RequestID = r.Int256()
	return r.Err()
}

// ProxyRunQueryEx is the TL function proxy.runQueryEx: it sends a request
// from the proxy to a worker (one-way); Query holds a boxed http.request.
//
//	proxy.runQueryEx query:bytes signed_payment:proxy.SignedPayment coefficient:long timeout:double request_id:int256 flags:# enable_debug:flags.0?Bool = proxy.QueryAnswer
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries EnableDebug.
//
// It implements ProxyQueryAnswerT.
type ProxyRunQueryEx struct {
	Query         []byte
	SignedPayment ProxySignedPaymentT
	Coefficient   int64
	Timeout       float64
	RequestID     [32]byte
	Flags         uint32
	EnableDebug   bool
}

// TLID returns the constructor id of proxy.runQueryEx.
func (*ProxyRunQueryEx) TLID() uint32 { return 0xc805e7e2 }

// MarshalTL writes the body of proxy.runQueryEx.
func (m *ProxyRunQueryEx) MarshalTL(w *Writer) {
	w.Bytes(m.Query)
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.Coefficient)
	w.Double(m.Timeout)
	w.Int256(m.RequestID)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		w.Bool(m.EnableDebug)
	}
}

// UnmarshalTL reads the body of proxy.runQueryEx.
func (m *ProxyRunQueryEx) UnmarshalTL(r *Reader) error {
	*m = ProxyRunQueryEx{}
	m.Query = r.Bytes()
	m.SignedPayment = readProxySignedPaymentT(r)
	m.Coefficient = r.Int64()
	m.Timeout = r.Double()
	m.RequestID = r.Int256()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.EnableDebug = r.Bool()
	}
	return r.Err()
}
