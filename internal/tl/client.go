package tl

// Messages between client and proxy.

// TokensUsed is the TL constructor tokensUsed: it counts the tokens of a
// request by kind.
//
//	tokensUsed prompt_tokens_used:long cached_tokens_used:long completion_tokens_used:long reasoning_tokens_used:long total_tokens_used:long = TokensUsed
type TokensUsed struct {
	PromptTokensUsed     int64
	CachedTokensUsed     int64
	CompletionTokensUsed int64
	ReasoningTokensUsed  int64
	TotalTokensUsed      int64
}

// TLID returns the constructor id of tokensUsed.
func (*TokensUsed) TLID() uint32 { return 0x70c5b15c }

// MarshalTL writes the body of tokensUsed.
func (m *TokensUsed) MarshalTL(w *Writer) {
	w.Int64(m.PromptTokensUsed)
	w.Int64(m.CachedTokensUsed)
	w.Int64(m.CompletionTokensUsed)
	w.Int64(m.ReasoningTokensUsed)
	w.Int64(m.TotalTokensUsed)
}

// UnmarshalTL reads the body of tokensUsed.
func (m *TokensUsed) UnmarshalTL(r *Reader) error {
	*m = TokensUsed{}
	m.PromptTokensUsed = r.Int64()
	m.CachedTokensUsed = r.Int64()
	m.CompletionTokensUsed = r.Int64()
	m.ReasoningTokensUsed = r.Int64()
	m.TotalTokensUsed = r.Int64()
	return r.Err()
}

// ClientParams is the TL constructor client.params: it describes a client to
// the proxy.
//
//	client.params#40fdca64 flags:# client_owner_address:string is_test:flags.0?Bool min_proto_version:flags.1?int max_proto_version:flags.1?int = client.Params
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries IsTest; bit 1 of Flags carries MinProtoVersion,
// MaxProtoVersion.
type ClientParams struct {
	Flags              uint32
	ClientOwnerAddress string
	IsTest             bool
	MinProtoVersion    int32
	MaxProtoVersion    int32
}

// TLID returns the constructor id of client.params.
func (*ClientParams) TLID() uint32 { return 0x40fdca64 }

// MarshalTL writes the body of client.params.
func (m *ClientParams) MarshalTL(w *Writer) {
	w.Uint32(m.Flags)
	w.String(m.ClientOwnerAddress)
	if m.Flags&(1<<0) != 0 {
		w.Bool(m.IsTest)
	}
	if m.Flags&(1<<1) != 0 {
		w.Int32(m.MinProtoVersion)
	}
	if m.Flags&(1<<1) != 0 {
		w.Int32(m.MaxProtoVersion)
	}
}

// UnmarshalTL reads the body of client.params.
func (m *ClientParams) UnmarshalTL(r *Reader) error {
	*m = ClientParams{}
	m.Flags = r.Uint32()
	m.ClientOwnerAddress = r.String()
	if m.Flags&(1<<0) != 0 {
		m.IsTest = r.Bool()
	}
	if m.Flags&(1<<1) != 0 {
		m.MinProtoVersion = r.Int32()
	}
	if m.Flags&(1<<1) != 0 {
		m.MaxProtoVersion = r.Int32()
	}
	return r.Err()
}

// ClientProxyConnectionAuthShort is the TL constructor
// client.proxyConnectionAuthShort: it asks the client to prove it knows the
// secret whose hash is on its contract.
//
//	client.proxyConnectionAuthShort secret_hash:int256 nonce:long = client.ProxyConnectionAuth
//
// It implements ClientProxyConnectionAuth.
type ClientProxyConnectionAuthShort struct {
	SecretHash [32]byte
	Nonce      int64
}

// TLID returns the constructor id of client.proxyConnectionAuthShort.
func (*ClientProxyConnectionAuthShort) TLID() uint32 { return 0xd6ffc5af }

// MarshalTL writes the body of client.proxyConnectionAuthShort.
func (m *ClientProxyConnectionAuthShort) MarshalTL(w *Writer) {
	w.Int256(m.SecretHash)
	w.Int64(m.Nonce)
}

// UnmarshalTL reads the body of client.proxyConnectionAuthShort.
func (m *ClientProxyConnectionAuthShort) UnmarshalTL(r *Reader) error {
	*m = ClientProxyConnectionAuthShort{}
	m.SecretHash = r.Int256()
	m.Nonce = r.Int64()
	return r.Err()
}

// ClientProxyConnectionAuthLong is the TL constructor
// client.proxyConnectionAuthLong: it asks the client to register Nonce
// through its contract on chain.
//
//	client.proxyConnectionAuthLong nonce:long = client.ProxyConnectionAuth
//
// It implements ClientProxyConnectionAuth.
type ClientProxyConnectionAuthLong struct {
	Nonce int64
}

// TLID returns the constructor id of client.proxyConnectionAuthLong.
func (*ClientProxyConnectionAuthLong) TLID() uint32 { return 0x417bf016 }

// MarshalTL writes the body of client.proxyConnectionAuthLong.
func (m *ClientProxyConnectionAuthLong) MarshalTL(w *Writer) {
	w.Int64(m.Nonce)
}

// UnmarshalTL reads the body of client.proxyConnectionAuthLong.
func (m *ClientProxyConnectionAuthLong) UnmarshalTL(r *Reader) error {
	*m = ClientProxyConnectionAuthLong{}
	m.Nonce = r.Int64()
	return r.Err()
}

// ClientAuthorizationWithProxySuccess is the TL constructor
// client.authorizationWithProxySuccess: it accepts a client.
//
//	client.authorizationWithProxySuccess signed_payment:proxy.SignedPayment tokens_committed_to_db:long max_tokens:long = client.AuthorizationWithProxy
//
// It implements ClientAuthorizationWithProxy.
type ClientAuthorizationWithProxySuccess struct {
	SignedPayment       ProxySignedPaymentT
	TokensCommittedToDB int64
	MaxTokens           int64
}

// TLID returns the constructor id of client.authorizationWithProxySuccess.
func (*ClientAuthorizationWithProxySuccess) TLID() uint32 { return 0x75d5ac34 }

// MarshalTL writes the body of client.authorizationWithProxySuccess.
func (m *ClientAuthorizationWithProxySuccess) MarshalTL(w *Writer) {
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.TokensCommittedToDB)
	w.Int64(m.MaxTokens)
}

// UnmarshalTL reads the body of client.authorizationWithProxySuccess.
func (m *ClientAuthorizationWithProxySuccess) UnmarshalTL(r *Reader) error {
	*m = ClientAuthorizationWithProxySuccess{}
	m.SignedPayment = readProxySignedPaymentT(r)
	m.TokensCommittedToDB = r.Int64()
	m.MaxTokens = r.Int64()
	return r.Err()
}

// ClientAuthorizationWithProxyFailed is the TL constructor
// client.authorizationWithProxyFailed: it refuses a client.
//
//	client.authorizationWithProxyFailed error_code:int error:string = client.AuthorizationWithProxy
//
// It implements ClientAuthorizationWithProxy.
type ClientAuthorizationWithProxyFailed struct {
	ErrorCode int32
	Error     string
}

// TLID returns the constructor id of client.authorizationWithProxyFailed.
func (*ClientAuthorizationWithProxyFailed) TLID() uint32 { return 0x60551c96 }

// MarshalTL writes the body of client.authorizationWithProxyFailed.
func (m *ClientAuthorizationWithProxyFailed) MarshalTL(w *Writer) {
	w.Int32(m.ErrorCode)
	w.String(m.Error)
}

// UnmarshalTL reads the body of client.authorizationWithProxyFailed.
func (m *ClientAuthorizationWithProxyFailed) UnmarshalTL(r *Reader) error {
	*m = ClientAuthorizationWithProxyFailed{}
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	return r.Err()
}

// ClientConnectedToProxy is the TL constructor client.connectedToProxy: it
// answers client.connectToProxy.
//
//	client.connectedToProxy params:proxy.params client_sc_address:string auth:client.ProxyConnectionAuth signed_payment:proxy.SignedPayment = client.ConnectedToProxy
type ClientConnectedToProxy struct {
	Params          ProxyParams
	ClientSCAddress string
	Auth            ClientProxyConnectionAuth
	SignedPayment   ProxySignedPaymentT
}

// TLID returns the constructor id of client.connectedToProxy.
func (*ClientConnectedToProxy) TLID() uint32 { return 0x95317ad1 }

// MarshalTL writes the body of client.connectedToProxy.
func (m *ClientConnectedToProxy) MarshalTL(w *Writer) {
	m.Params.MarshalTL(w)
	w.String(m.ClientSCAddress)
	writeClientProxyConnectionAuth(w, m.Auth)
	writeProxySignedPaymentT(w, m.SignedPayment)
}

// UnmarshalTL reads the body of client.connectedToProxy.
func (m *ClientConnectedToProxy) UnmarshalTL(r *Reader) error {
	*m = ClientConnectedToProxy{}
	r.Bare(&m.Params)
	m.ClientSCAddress = r.String()
	m.Auth = readClientProxyConnectionAuth(r)
	m.SignedPayment = readProxySignedPaymentT(r)
	return r.Err()
}

// ClientQueryAnswer is the TL constructor client.queryAnswer: it carries an
// answer (or its head) to a proto-0 client.
//
//	client.queryAnswer answer:bytes is_completed:Bool request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswer
//
// It implements ClientQueryAnswerT.
type ClientQueryAnswer struct {
	Answer            []byte
	IsCompleted       bool
	RequestID         [32]byte
	RequestTokensUsed TokensUsed
}

// TLID returns the constructor id of client.queryAnswer.
func (*ClientQueryAnswer) TLID() uint32 { return 0x9b943922 }

// MarshalTL writes the body of client.queryAnswer.
func (m *ClientQueryAnswer) MarshalTL(w *Writer) {
	w.Bytes(m.Answer)
	w.Bool(m.IsCompleted)
	w.Int256(m.RequestID)
	m.RequestTokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of client.queryAnswer.
func (m *ClientQueryAnswer) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswer{}
	m.Answer = r.Bytes()
	m.IsCompleted = r.Bool()
	m.RequestID = r.Int256()
	r.Bare(&m.RequestTokensUsed)
	return r.Err()
}

// ClientQueryAnswerError is the TL constructor client.queryAnswerError: it
// fails a request of a proto-0 client.
//
//	client.queryAnswerError error_code:int error:string request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswer
//
// It implements ClientQueryAnswerT.
type ClientQueryAnswerError struct {
	ErrorCode         int32
	Error             string
	RequestID         [32]byte
	RequestTokensUsed TokensUsed
}

// TLID returns the constructor id of client.queryAnswerError.
func (*ClientQueryAnswerError) TLID() uint32 { return 0x6d60569a }

// MarshalTL writes the body of client.queryAnswerError.
func (m *ClientQueryAnswerError) MarshalTL(w *Writer) {
	w.Int32(m.ErrorCode)
	w.String(m.Error)
	w.Int256(m.RequestID)
	m.RequestTokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of client.queryAnswerError.
func (m *ClientQueryAnswerError) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswerError{}
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	m.RequestID = r.Int256()
	r.Bare(&m.RequestTokensUsed)
	return r.Err()
}

// ClientQueryAnswerPart is the TL constructor client.queryAnswerPart: it
// carries a later part of an answer to a proto-0 client.
//
//	client.queryAnswerPart answer:bytes is_completed:Bool request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswerPart
//
// It implements ClientQueryAnswerPartT.
type ClientQueryAnswerPart struct {
	Answer            []byte
	IsCompleted       bool
	RequestID         [32]byte
	RequestTokensUsed TokensUsed
}

// TLID returns the constructor id of client.queryAnswerPart.
func (*ClientQueryAnswerPart) TLID() uint32 { return 0xb765de4c }

// MarshalTL writes the body of client.queryAnswerPart.
func (m *ClientQueryAnswerPart) MarshalTL(w *Writer) {
	w.Bytes(m.Answer)
	w.Bool(m.IsCompleted)
	w.Int256(m.RequestID)
	m.RequestTokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of client.queryAnswerPart.
func (m *ClientQueryAnswerPart) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswerPart{}
	m.Answer = r.Bytes()
	m.IsCompleted = r.Bool()
	m.RequestID = r.Int256()
	r.Bare(&m.RequestTokensUsed)
	return r.Err()
}

// ClientQueryAnswerPartError is the TL constructor
// client.queryAnswerPartError: it fails a request of a proto-0 client after
// its head.
//
//	client.queryAnswerPartError error_code:int error:string request_id:int256 request_tokens_used:tokensUsed = client.QueryAnswerPart
//
// It implements ClientQueryAnswerPartT.
type ClientQueryAnswerPartError struct {
	ErrorCode         int32
	Error             string
	RequestID         [32]byte
	RequestTokensUsed TokensUsed
}

// TLID returns the constructor id of client.queryAnswerPartError.
func (*ClientQueryAnswerPartError) TLID() uint32 { return 0xd790a022 }

// MarshalTL writes the body of client.queryAnswerPartError.
func (m *ClientQueryAnswerPartError) MarshalTL(w *Writer) {
	w.Int32(m.ErrorCode)
	w.String(m.Error)
	w.Int256(m.RequestID)
	m.RequestTokensUsed.MarshalTL(w)
}

// UnmarshalTL reads the body of client.queryAnswerPartError.
func (m *ClientQueryAnswerPartError) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswerPartError{}
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	m.RequestID = r.Int256()
	r.Bare(&m.RequestTokensUsed)
	return r.Err()
}

// ClientQueryFinalInfo is the TL constructor client.queryFinalInfo: it closes
// a request: tokens used, and debug text and timings on request.
//
//	client.queryFinalInfo flags:# tokens_used:tokensUsed worker_debug:flags.0?string proxy_debug:flags.0?string proxy_start_time:flags.1?double proxy_end_time:flags.1?double worker_start_time:flags.1?double worker_end_time:flags.1?double = client.QueryFinalInfo
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries WorkerDebug, ProxyDebug; bit 1 of Flags carries
// ProxyStartTime, ProxyEndTime, WorkerStartTime, WorkerEndTime.
type ClientQueryFinalInfo struct {
	Flags           uint32
	TokensUsed      TokensUsed
	WorkerDebug     string
	ProxyDebug      string
	ProxyStartTime  float64
	ProxyEndTime    float64
	WorkerStartTime float64
	WorkerEndTime   float64
}

// TLID returns the constructor id of client.queryFinalInfo.
func (*ClientQueryFinalInfo) TLID() uint32 { return 0x69a452f0 }

// MarshalTL writes the body of client.queryFinalInfo.
func (m *ClientQueryFinalInfo) MarshalTL(w *Writer) {
	w.Uint32(m.Flags)
	m.TokensUsed.MarshalTL(w)
	if m.Flags&(1<<0) != 0 {
		w.String(m.WorkerDebug)
	}
	if m.Flags&(1<<0) != 0 {
		w.String(m.ProxyDebug)
	}
	if m.Flags&(1<<1) != 0 {
		w.Double(m.ProxyStartTime)
	}
	if m.Flags&(1<<1) != 0 {
		w.Double(m.ProxyEndTime)
	}
	if m.Flags&(1<<1) != 0 {
		w.Double(m.WorkerStartTime)
	}
	if m.Flags&(1<<1) != 0 {
		w.Double(m.WorkerEndTime)
	}
}

// UnmarshalTL reads the body of client.queryFinalInfo.
func (m *ClientQueryFinalInfo) UnmarshalTL(r *Reader) error {
	*m = ClientQueryFinalInfo{}
	m.Flags = r.Uint32()
	r.Bare(&m.TokensUsed)
	if m.Flags&(1<<0) != 0 {
		m.WorkerDebug = r.String()
	}
	if m.Flags&(1<<0) != 0 {
		m.ProxyDebug = r.String()
	}
	if m.Flags&(1<<1) != 0 {
		m.ProxyStartTime = r.Double()
	}
	if m.Flags&(1<<1) != 0 {
		m.ProxyEndTime = r.Double()
	}
	if m.Flags&(1<<1) != 0 {
		m.WorkerStartTime = r.Double()
	}
	if m.Flags&(1<<1) != 0 {
		m.WorkerEndTime = r.Double()
	}
	return r.Err()
}

// ClientQueryAnswerEx is the TL constructor client.queryAnswerEx: it carries
// the head of an answer (a boxed http.response) to the client.
//
//	client.queryAnswerEx request_id:int256 answer:bytes flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries FinalInfo.
//
// It implements ClientQueryAnswerExT.
type ClientQueryAnswerEx struct {
	RequestID [32]byte
	Answer    []byte
	Flags     uint32
	FinalInfo *ClientQueryFinalInfo
}

// TLID returns the constructor id of client.queryAnswerEx.
func (*ClientQueryAnswerEx) TLID() uint32 { return 0xcd524720 }

// MarshalTL writes the body of client.queryAnswerEx.
func (m *ClientQueryAnswerEx) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	w.Bytes(m.Answer)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		if m.FinalInfo == nil {
			(&ClientQueryFinalInfo{}).MarshalTL(w)
		} else {
			m.FinalInfo.MarshalTL(w)
		}
	}
}

// UnmarshalTL reads the body of client.queryAnswerEx.
func (m *ClientQueryAnswerEx) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswerEx{}
	m.RequestID = r.Int256()
	m.Answer = r.Bytes()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.FinalInfo = new(ClientQueryFinalInfo)
		r.Bare(m.FinalInfo)
	}
	return r.Err()
}

// ClientQueryAnswerErrorEx is the TL constructor client.queryAnswerErrorEx:
// it fails a request of the client.
//
//	client.queryAnswerErrorEx request_id:int256 error_code:int error:string flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries FinalInfo.
//
// It implements ClientQueryAnswerExT.
type ClientQueryAnswerErrorEx struct {
	RequestID [32]byte
	ErrorCode int32
	Error     string
	Flags     uint32
	FinalInfo *ClientQueryFinalInfo
}

// TLID returns the constructor id of client.queryAnswerErrorEx.
func (*ClientQueryAnswerErrorEx) TLID() uint32 { return 0x072562a8 }

// MarshalTL writes the body of client.queryAnswerErrorEx.
func (m *ClientQueryAnswerErrorEx) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	w.Int32(m.ErrorCode)
	w.String(m.Error)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		if m.FinalInfo == nil {
			(&ClientQueryFinalInfo{}).MarshalTL(w)
		} else {
			m.FinalInfo.MarshalTL(w)
		}
	}
}

// UnmarshalTL reads the body of client.queryAnswerErrorEx.
func (m *ClientQueryAnswerErrorEx) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswerErrorEx{}
	m.RequestID = r.Int256()
	m.ErrorCode = r.Int32()
	m.Error = r.String()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.FinalInfo = new(ClientQueryFinalInfo)
		r.Bare(m.FinalInfo)
	}
	return r.Err()
}

// ClientQueryAnswerPartEx is the TL constructor client.queryAnswerPartEx: it
// carries a later part of an answer body to the client.
//
//	client.queryAnswerPartEx request_id:int256 answer:bytes flags:# final_info:flags.0?client.queryFinalInfo = client.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries FinalInfo.
//
// It implements ClientQueryAnswerExT.
type ClientQueryAnswerPartEx struct {
	RequestID [32]byte
	Answer    []byte
	Flags     uint32
	FinalInfo *ClientQueryFinalInfo
}

// TLID returns the constructor id of client.queryAnswerPartEx.
func (*ClientQueryAnswerPartEx) TLID() uint32 { return 0xc07bfaec }

// MarshalTL writes the body of client.queryAnswerPartEx.
func (m *ClientQueryAnswerPartEx) MarshalTL(w *Writer) {
	w.Int256(m.RequestID)
	w.Bytes(m.Answer)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		if m.FinalInfo == nil {
			(&ClientQueryFinalInfo{}).MarshalTL(w)
		} else {
			m.FinalInfo.MarshalTL(w)
		}
	}
}

// UnmarshalTL reads the body of client.queryAnswerPartEx.
func (m *ClientQueryAnswerPartEx) UnmarshalTL(r *Reader) error {
	*m = ClientQueryAnswerPartEx{}
	m.RequestID = r.Int256()
	m.Answer = r.Bytes()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.FinalInfo = new(ClientQueryFinalInfo)
		r.Bare(m.FinalInfo)
	}
	return r.Err()
}

// ClientRefund is the TL constructor client.refund.
//
//	client.refund data:bytes = client.Refund
//
// It implements ClientRefundT.
type ClientRefund struct {
	Data []byte
}

// TLID returns the constructor id of client.refund.
func (*ClientRefund) TLID() uint32 { return 0x83aabead }

// MarshalTL writes the body of client.refund.
func (m *ClientRefund) MarshalTL(w *Writer) {
	w.Bytes(m.Data)
}

// UnmarshalTL reads the body of client.refund.
func (m *ClientRefund) UnmarshalTL(r *Reader) error {
	*m = ClientRefund{}
	m.Data = r.Bytes()
	return r.Err()
}

// ClientRefundRejected is the TL constructor client.refundRejected.
//
//	client.refundRejected active_queries:long = client.Refund
//
// It implements ClientRefundT.
type ClientRefundRejected struct {
	ActiveQueries int64
}

// TLID returns the constructor id of client.refundRejected.
func (*ClientRefundRejected) TLID() uint32 { return 0xcf9d9957 }

// MarshalTL writes the body of client.refundRejected.
func (m *ClientRefundRejected) MarshalTL(w *Writer) {
	w.Int64(m.ActiveQueries)
}

// UnmarshalTL reads the body of client.refundRejected.
func (m *ClientRefundRejected) UnmarshalTL(r *Reader) error {
	*m = ClientRefundRejected{}
	m.ActiveQueries = r.Int64()
	return r.Err()
}

// ClientWorkerType is the TL constructor client.workerType.
//
//	client.workerType name:string active_workers:int coefficient_min:int coefficient_bucket50:int coefficient_max:int = client.WorkerType
type ClientWorkerType struct {
	Name                string
	ActiveWorkers       int32
	CoefficientMin      int32
	CoefficientBucket50 int32
	CoefficientMax      int32
}

// TLID returns the constructor id of client.workerType.
func (*ClientWorkerType) TLID() uint32 { return 0x8210e21c }

// MarshalTL writes the body of client.workerType.
func (m *ClientWorkerType) MarshalTL(w *Writer) {
	w.String(m.Name)
	w.Int32(m.ActiveWorkers)
	w.Int32(m.CoefficientMin)
	w.Int32(m.CoefficientBucket50)
	w.Int32(m.CoefficientMax)
}

// UnmarshalTL reads the body of client.workerType.
func (m *ClientWorkerType) UnmarshalTL(r *Reader) error {
	*m = ClientWorkerType{}
	m.Name = r.String()
	m.ActiveWorkers = r.Int32()
	m.CoefficientMin = r.Int32()
	m.CoefficientBucket50 = r.Int32()
	m.CoefficientMax = r.Int32()
	return r.Err()
}

// ClientWorkerTypes is the TL constructor client.workerTypes.
//
//	client.workerTypes types:(vector client.workerType) = client.WorkerTypes
type ClientWorkerTypes struct {
	Types []ClientWorkerType
}

// TLID returns the constructor id of client.workerTypes.
func (*ClientWorkerTypes) TLID() uint32 { return 0xf64e0e01 }

// MarshalTL writes the body of client.workerTypes.
func (m *ClientWorkerTypes) MarshalTL(w *Writer) {
	w.VectorLen(len(m.Types))
	for i := range m.Types {
		m.Types[i].MarshalTL(w)
	}
}

// UnmarshalTL reads the body of client.workerTypes.
func (m *ClientWorkerTypes) UnmarshalTL(r *Reader) error {
	*m = ClientWorkerTypes{}
	if n := r.VectorLen(20); n > 0 {
		m.Types = make([]ClientWorkerType, n)
		for i := range m.Types {
			r.Bare(&m.Types[i])
		}
	}
	return r.Err()
}

// ClientWorkerInstanceV2 is the TL constructor client.workerInstanceV2.
//
//	client.workerInstanceV2#3ea93d00 flags:# coefficient:int active_requests:int max_active_requests:int = client.WorkerInstanceV2
type ClientWorkerInstanceV2 struct {
	Flags             uint32
	Coefficient       int32
	ActiveRequests    int32
	MaxActiveRequests int32
}

// TLID returns the constructor id of client.workerInstanceV2.
func (*ClientWorkerInstanceV2) TLID() uint32 { return 0x3ea93d00 }

// MarshalTL writes the body of client.workerInstanceV2.
func (m *ClientWorkerInstanceV2) MarshalTL(w *Writer) {
	w.Uint32(m.Flags)
	w.Int32(m.Coefficient)
	w.Int32(m.ActiveRequests)
	w.Int32(m.MaxActiveRequests)
}

// UnmarshalTL reads the body of client.workerInstanceV2.
func (m *ClientWorkerInstanceV2) UnmarshalTL(r *Reader) error {
	*m = ClientWorkerInstanceV2{}
	m.Flags = r.Uint32()
	m.Coefficient = r.Int32()
	m.ActiveRequests = r.Int32()
	m.MaxActiveRequests = r.Int32()
	return r.Err()
}

// ClientWorkerTypeV2 is the TL constructor client.workerTypeV2.
//
//	client.workerTypeV2 name:string workers:(vector client.workerInstanceV2) = client.WorkerTypeV2
type ClientWorkerTypeV2 struct {
	Name    string
	Workers []ClientWorkerInstanceV2
}

// TLID returns the constructor id of client.workerTypeV2.
func (*ClientWorkerTypeV2) TLID() uint32 { return 0xb27d8197 }

// MarshalTL writes the body of client.workerTypeV2.
func (m *ClientWorkerTypeV2) MarshalTL(w *Writer) {
	w.String(m.Name)
	w.VectorLen(len(m.Workers))
	for i := range m.Workers {
		m.Workers[i].MarshalTL(w)
	}
}

// UnmarshalTL reads the body of client.workerTypeV2.
func (m *ClientWorkerTypeV2) UnmarshalTL(r *Reader) error {
	*m = ClientWorkerTypeV2{}
	m.Name = r.String()
	if n := r.VectorLen(16); n > 0 {
		m.Workers = make([]ClientWorkerInstanceV2, n)
		for i := range m.Workers {
			r.Bare(&m.Workers[i])
		}
	}
	return r.Err()
}

// ClientWorkerTypesV2 is the TL constructor client.workerTypesV2.
//
//	client.workerTypesV2 types:(vector client.workerTypeV2) = client.WorkerTypesV2
type ClientWorkerTypesV2 struct {
	Types []ClientWorkerTypeV2
}

// TLID returns the constructor id of client.workerTypesV2.
func (*ClientWorkerTypesV2) TLID() uint32 { return 0x0cf0dc67 }

// MarshalTL writes the body of client.workerTypesV2.
func (m *ClientWorkerTypesV2) MarshalTL(w *Writer) {
	w.VectorLen(len(m.Types))
	for i := range m.Types {
		m.Types[i].MarshalTL(w)
	}
}

// UnmarshalTL reads the body of client.workerTypesV2.
func (m *ClientWorkerTypesV2) UnmarshalTL(r *Reader) error {
	*m = ClientWorkerTypesV2{}
	if n := r.VectorLen(8); n > 0 {
		m.Types = make([]ClientWorkerTypeV2, n)
		for i := range m.Types {
			r.Bare(&m.Types[i])
		}
	}
	return r.Err()
}

// ClientPaymentStatus is the TL constructor client.paymentStatus: it answers
// client.updatePaymentStatus.
//
//	client.paymentStatus signed_payment:proxy.SignedPayment db_tokens:long max_tokens:long = client.PaymentStatus
type ClientPaymentStatus struct {
	SignedPayment ProxySignedPaymentT
	DBTokens      int64
	MaxTokens     int64
}

// TLID returns the constructor id of client.paymentStatus.
func (*ClientPaymentStatus) TLID() uint32 { return 0xaa8a0ecc }

// MarshalTL writes the body of client.paymentStatus.
func (m *ClientPaymentStatus) MarshalTL(w *Writer) {
	writeProxySignedPaymentT(w, m.SignedPayment)
	w.Int64(m.DBTokens)
	w.Int64(m.MaxTokens)
}

// UnmarshalTL reads the body of client.paymentStatus.
func (m *ClientPaymentStatus) UnmarshalTL(r *Reader) error {
	*m = ClientPaymentStatus{}
	m.SignedPayment = readProxySignedPaymentT(r)
	m.DBTokens = r.Int64()
	m.MaxTokens = r.Int64()
	return r.Err()
}

// ClientConnectToProxy is the TL function client.connectToProxy: it is the
// client's first query after tcp.connected.
//
//	client.connectToProxy params:client.params min_config_version:int = client.ConnectedToProxy
type ClientConnectToProxy struct {
	Params           ClientParams
	MinConfigVersion int32
}

// TLID returns the constructor id of client.connectToProxy.
func (*ClientConnectToProxy) TLID() uint32 { return 0xff5fa0f4 }

// MarshalTL writes the body of client.connectToProxy.
func (m *ClientConnectToProxy) MarshalTL(w *Writer) {
	m.Params.MarshalTL(w)
	w.Int32(m.MinConfigVersion)
}

// UnmarshalTL reads the body of client.connectToProxy.
func (m *ClientConnectToProxy) UnmarshalTL(r *Reader) error {
	*m = ClientConnectToProxy{}
	r.Bare(&m.Params)
	m.MinConfigVersion = r.Int32()
	return r.Err()
}

// ClientAuthorizeWithProxyShort is the TL function
// client.authorizeWithProxyShort: it proves the client's secret: Data is the
// secret string.
//
//	client.authorizeWithProxyShort data:bytes = client.AuthorizationWithProxy
//
// It implements ClientAuthorizationWithProxy.
type ClientAuthorizeWithProxyShort struct {
	Data []byte
}

// TLID returns the constructor id of client.authorizeWithProxyShort.
func (*ClientAuthorizeWithProxyShort) TLID() uint32 { return 0x6c276723 }

// MarshalTL writes the body of client.authorizeWithProxyShort.
func (m *ClientAuthorizeWithProxyShort) MarshalTL(w *Writer) {
	w.Bytes(m.Data)
}

// UnmarshalTL reads the body of client.authorizeWithProxyShort.
func (m *ClientAuthorizeWithProxyShort) UnmarshalTL(r *Reader) error {
	*m = ClientAuthorizeWithProxyShort{}
	m.Data = r.Bytes()
	return r.Err()
}

// ClientAuthorizeWithProxyLong is the TL function
// client.authorizeWithProxyLong: it waits until the proxy has seen the
// client's on-chain registration.
//
//	client.authorizeWithProxyLong = client.AuthorizationWithProxy
//
// It implements ClientAuthorizationWithProxy.
type ClientAuthorizeWithProxyLong struct{}

// TLID returns the constructor id of client.authorizeWithProxyLong.
func (*ClientAuthorizeWithProxyLong) TLID() uint32 { return 0xd3474303 }

// MarshalTL writes the body of client.authorizeWithProxyLong.
func (*ClientAuthorizeWithProxyLong) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of client.authorizeWithProxyLong.
func (m *ClientAuthorizeWithProxyLong) UnmarshalTL(r *Reader) error { return r.Err() }

// ClientRunQuery is the TL function client.runQuery: it sends a request from
// a proto-0 client (one-way).
//
//	client.runQuery model_name:string query:bytes max_coefficient:int max_tokens:int timeout:double request_id:int256 min_config_version:int = client.QueryAnswer
//
// It implements ClientQueryAnswerT.
type ClientRunQuery struct {
	ModelName        string
	Query            []byte
	MaxCoefficient   int32
	MaxTokens        int32
	Timeout          float64
	RequestID        [32]byte
	MinConfigVersion int32
}

// TLID returns the constructor id of client.runQuery.
func (*ClientRunQuery) TLID() uint32 { return 0xbc748f32 }

// MarshalTL writes the body of client.runQuery.
func (m *ClientRunQuery) MarshalTL(w *Writer) {
	w.String(m.ModelName)
	w.Bytes(m.Query)
	w.Int32(m.MaxCoefficient)
	w.Int32(m.MaxTokens)
	w.Double(m.Timeout)
	w.Int256(m.RequestID)
	w.Int32(m.MinConfigVersion)
}

// UnmarshalTL reads the body of client.runQuery.
func (m *ClientRunQuery) UnmarshalTL(r *Reader) error {
	*m = ClientRunQuery{}
	m.ModelName = r.String()
	m.Query = r.Bytes()
	m.MaxCoefficient = r.Int32()
	m.MaxTokens = r.Int32()
	m.Timeout = r.Double()
	m.RequestID = r.Int256()
	m.MinConfigVersion = r.Int32()
	return r.Err()
}

// ClientRunQueryEx is the TL function client.runQueryEx: it sends a request
// from the client to the proxy (one-way); Query holds a boxed http.request.
//
//	client.runQueryEx model_name:string query:bytes max_coefficient:int max_tokens:int timeout:double request_id:int256 min_config_version:int flags:# enable_debug:flags.0?Bool = client.QueryAnswerEx
//
// The conditional fields are present exactly when their bit is set: bit 0 of
// Flags carries EnableDebug.
//
// It implements ClientQueryAnswerExT.
type ClientRunQueryEx struct {
	ModelName        string
	Query            []byte
	MaxCoefficient   int32
	MaxTokens        int32
	Timeout          float64
	RequestID        [32]byte
	MinConfigVersion int32
	Flags            uint32
	EnableDebug      bool
}

// TLID returns the constructor id of client.runQueryEx.
func (*ClientRunQueryEx) TLID() uint32 { return 0xf54cb74b }

// MarshalTL writes the body of client.runQueryEx.
func (m *ClientRunQueryEx) MarshalTL(w *Writer) {
	w.String(m.ModelName)
	w.Bytes(m.Query)
	w.Int32(m.MaxCoefficient)
	w.Int32(m.MaxTokens)
	w.Double(m.Timeout)
	w.Int256(m.RequestID)
	w.Int32(m.MinConfigVersion)
	w.Uint32(m.Flags)
	if m.Flags&(1<<0) != 0 {
		w.Bool(m.EnableDebug)
	}
}

// UnmarshalTL reads the body of client.runQueryEx.
func (m *ClientRunQueryEx) UnmarshalTL(r *Reader) error {
	*m = ClientRunQueryEx{}
	m.ModelName = r.String()
	m.Query = r.Bytes()
	m.MaxCoefficient = r.Int32()
	m.MaxTokens = r.Int32()
	m.Timeout = r.Double()
	m.RequestID = r.Int256()
	m.MinConfigVersion = r.Int32()
	m.Flags = r.Uint32()
	if m.Flags&(1<<0) != 0 {
		m.EnableDebug = r.Bool()
	}
	return r.Err()
}

// ClientRequestRefund is the TL function client.requestRefund.
//
//	client.requestRefund = client.Refund
//
// It implements ClientRefundT.
type ClientRequestRefund struct{}

// TLID returns the constructor id of client.requestRefund.
func (*ClientRequestRefund) TLID() uint32 { return 0x238d863d }

// MarshalTL writes the body of client.requestRefund.
func (*ClientRequestRefund) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of client.requestRefund.
func (m *ClientRequestRefund) UnmarshalTL(r *Reader) error { return r.Err() }

// ClientUpdatePaymentStatus is the TL function client.updatePaymentStatus: it
// asks the proxy for the client's current payment state.
//
//	client.updatePaymentStatus = client.PaymentStatus
type ClientUpdatePaymentStatus struct{}

// TLID returns the constructor id of client.updatePaymentStatus.
func (*ClientUpdatePaymentStatus) TLID() uint32 { return 0x9ed1c697 }

// MarshalTL writes the body of client.updatePaymentStatus.
func (*ClientUpdatePaymentStatus) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of client.updatePaymentStatus.
func (m *ClientUpdatePaymentStatus) UnmarshalTL(r *Reader) error { return r.Err() }

// ClientGetWorkerTypes is the TL function client.getWorkerTypes: it asks the
// proxy which models its workers serve.
//
//	client.getWorkerTypes = client.WorkerTypes
type ClientGetWorkerTypes struct{}

// TLID returns the constructor id of client.getWorkerTypes.
func (*ClientGetWorkerTypes) TLID() uint32 { return 0x7f062bdb }

// MarshalTL writes the body of client.getWorkerTypes.
func (*ClientGetWorkerTypes) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of client.getWorkerTypes.
func (m *ClientGetWorkerTypes) UnmarshalTL(r *Reader) error { return r.Err() }

// ClientGetWorkerTypesV2 is the TL function client.getWorkerTypesV2: it asks
// the proxy which models its workers serve, per worker.
//
//	client.getWorkerTypesV2 = client.WorkerTypesV2
type ClientGetWorkerTypesV2 struct{}

// TLID returns the constructor id of client.getWorkerTypesV2.
func (*ClientGetWorkerTypesV2) TLID() uint32 { return 0xb2133d72 }

// MarshalTL writes the body of client.getWorkerTypesV2.
func (*ClientGetWorkerTypesV2) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of client.getWorkerTypesV2.
func (m *ClientGetWorkerTypesV2) UnmarshalTL(r *Reader) error { return r.Err() }
