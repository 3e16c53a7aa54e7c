package tl

import (
	"errors"
	"fmt"
)

// TCPPacketT is the boxed TL type tcp.Packet, implemented by *TCPPing,
// *TCPPong, *TCPPacket, *TCPQueryAnswer, *TCPQueryError, *TCPQuery,
// *TCPConnected, *TCPConnect.
type TCPPacketT interface {
	Object
	isTCPPacketT()
}

func (*TCPPing) isTCPPacketT()        {}
func (*TCPPong) isTCPPacketT()        {}
func (*TCPPacket) isTCPPacketT()      {}
func (*TCPQueryAnswer) isTCPPacketT() {}
func (*TCPQueryError) isTCPPacketT()  {}
func (*TCPQuery) isTCPPacketT()       {}
func (*TCPConnected) isTCPPacketT()   {}
func (*TCPConnect) isTCPPacketT()     {}

// RootConfigConfig is the boxed TL type rootConfig.Config, implemented by
// *RootConfigPseudo, *RootConfigConfigV5.
type RootConfigConfig interface {
	Object
	isRootConfigConfig()
}

func (*RootConfigPseudo) isRootConfigConfig()   {}
func (*RootConfigConfigV5) isRootConfigConfig() {}

// writeRootConfigConfig writes v boxed; a nil v is
// written as the invalid id 0 and recorded in Err.
func writeRootConfigConfig(w *Writer, v RootConfigConfig) {
	if v == nil {
		w.fail(errors.New("encoding a nil rootConfig.Config"))
		w.Uint32(0)
		return
	}
	w.Boxed(v)
}

func readRootConfigConfig(r *Reader) RootConfigConfig {
	off := r.Offset()
	var v RootConfigConfig
	switch id := r.Uint32(); id {
	case 0x87a976cc:
		v = new(RootConfigPseudo)
	case 0x5e84869b:
		v = new(RootConfigConfigV5)
	default:
		if r.Err() == nil {
			r.Fail(fmt.Errorf("reading rootConfig.Config at offset %d: unexpected constructor %s", off, Name(id)))
		}
		return nil
	}
	r.Bare(v)
	return v
}

// ProxyDBClientInfoT is the boxed TL type proxyDb.ClientInfo, implemented by
// *ProxyDBClientInfo, *ProxyDBClientInfoV2.
type ProxyDBClientInfoT interface {
	Object
	isProxyDBClientInfoT()
}

func (*ProxyDBClientInfo) isProxyDBClientInfoT()   {}
func (*ProxyDBClientInfoV2) isProxyDBClientInfoT() {}

// ProxyDBConfig is the boxed TL type proxyDb.Config, implemented by
// *ProxyDBConfigEmpty, *ProxyDBConfigV4, *ProxyDBConfigV4Disabled.
type ProxyDBConfig interface {
	Object
	isProxyDBConfig()
}

func (*ProxyDBConfigEmpty) isProxyDBConfig()      {}
func (*ProxyDBConfigV4) isProxyDBConfig()         {}
func (*ProxyDBConfigV4Disabled) isProxyDBConfig() {}

// KeyManagerDBConfig is the boxed TL type keyManagerDb.Config, implemented by
// *KeyManagerDBConfigEmpty, *KeyManagerDBConfigV1.
type KeyManagerDBConfig interface {
	Object
	isKeyManagerDBConfig()
}

func (*KeyManagerDBConfigEmpty) isKeyManagerDBConfig() {}
func (*KeyManagerDBConfigV1) isKeyManagerDBConfig()    {}

// ClientProxyConnectionAuth is the boxed TL type client.ProxyConnectionAuth,
// implemented by *ClientProxyConnectionAuthShort,
// *ClientProxyConnectionAuthLong.
type ClientProxyConnectionAuth interface {
	Object
	isClientProxyConnectionAuth()
}

func (*ClientProxyConnectionAuthShort) isClientProxyConnectionAuth() {}
func (*ClientProxyConnectionAuthLong) isClientProxyConnectionAuth()  {}

// writeClientProxyConnectionAuth writes v boxed; a nil v is
// written as the invalid id 0 and recorded in Err.
func writeClientProxyConnectionAuth(w *Writer, v ClientProxyConnectionAuth) {
	if v == nil {
		w.fail(errors.New("encoding a nil client.ProxyConnectionAuth"))
		w.Uint32(0)
		return
	}
	w.Boxed(v)
}

func readClientProxyConnectionAuth(r *Reader) ClientProxyConnectionAuth {
	off := r.Offset()
	var v ClientProxyConnectionAuth
	switch id := r.Uint32(); id {
	case 0xd6ffc5af:
		v = new(ClientProxyConnectionAuthShort)
	case 0x417bf016:
		v = new(ClientProxyConnectionAuthLong)
	default:
		if r.Err() == nil {
			r.Fail(fmt.Errorf("reading client.ProxyConnectionAuth at offset %d: unexpected constructor %s", off, Name(id)))
		}
		return nil
	}
	r.Bare(v)
	return v
}

// ClientAuthorizationWithProxy is the boxed TL type
// client.AuthorizationWithProxy, implemented by
// *ClientAuthorizationWithProxySuccess, *ClientAuthorizationWithProxyFailed.
type ClientAuthorizationWithProxy interface {
	Object
	isClientAuthorizationWithProxy()
}

func (*ClientAuthorizationWithProxySuccess) isClientAuthorizationWithProxy() {}
func (*ClientAuthorizationWithProxyFailed) isClientAuthorizationWithProxy()  {}

// ClientQueryAnswerT is the boxed TL type client.QueryAnswer, implemented by
// *ClientQueryAnswer, *ClientQueryAnswerError.
type ClientQueryAnswerT interface {
	Object
	isClientQueryAnswerT()
}

func (*ClientQueryAnswer) isClientQueryAnswerT()      {}
func (*ClientQueryAnswerError) isClientQueryAnswerT() {}

// ClientQueryAnswerPartT is the boxed TL type client.QueryAnswerPart,
// implemented by *ClientQueryAnswerPart, *ClientQueryAnswerPartError.
type ClientQueryAnswerPartT interface {
	Object
	isClientQueryAnswerPartT()
}

func (*ClientQueryAnswerPart) isClientQueryAnswerPartT()      {}
func (*ClientQueryAnswerPartError) isClientQueryAnswerPartT() {}

// ClientQueryAnswerExT is the boxed TL type client.QueryAnswerEx, implemented
// by *ClientQueryAnswerEx, *ClientQueryAnswerErrorEx,
// *ClientQueryAnswerPartEx.
type ClientQueryAnswerExT interface {
	Object
	isClientQueryAnswerExT()
}

func (*ClientQueryAnswerEx) isClientQueryAnswerExT()      {}
func (*ClientQueryAnswerErrorEx) isClientQueryAnswerExT() {}
func (*ClientQueryAnswerPartEx) isClientQueryAnswerExT()  {}

// ClientRefundT is the boxed TL type client.Refund, implemented by
// *ClientRefund, *ClientRefundRejected.
type ClientRefundT interface {
	Object
	isClientRefundT()
}

func (*ClientRefund) isClientRefundT()         {}
func (*ClientRefundRejected) isClientRefundT() {}

// ProxyWorkerRequestPaymentT is the boxed TL type proxy.WorkerRequestPayment,
// implemented by *ProxyClientRequestPayment, *ProxyWorkerRequestPayment.
type ProxyWorkerRequestPaymentT interface {
	Object
	isProxyWorkerRequestPaymentT()
}

func (*ProxyClientRequestPayment) isProxyWorkerRequestPaymentT() {}
func (*ProxyWorkerRequestPayment) isProxyWorkerRequestPaymentT() {}

// ProxySignedPaymentT is the boxed TL type proxy.SignedPayment, implemented
// by *ProxySignedPayment, *ProxySignedPaymentEmpty.
type ProxySignedPaymentT interface {
	Object
	isProxySignedPaymentT()
}

func (*ProxySignedPayment) isProxySignedPaymentT()      {}
func (*ProxySignedPaymentEmpty) isProxySignedPaymentT() {}

// writeProxySignedPaymentT writes v boxed; nil stands for
// proxy.signedPaymentEmpty.
func writeProxySignedPaymentT(w *Writer, v ProxySignedPaymentT) {
	if v == nil {
		w.Uint32(0xb347ce64)
		return
	}
	w.Boxed(v)
}

func readProxySignedPaymentT(r *Reader) ProxySignedPaymentT {
	off := r.Offset()
	var v ProxySignedPaymentT
	switch id := r.Uint32(); id {
	case 0x02998182:
		v = new(ProxySignedPayment)
	case 0xb347ce64:
		v = new(ProxySignedPaymentEmpty)
	default:
		if r.Err() == nil {
			r.Fail(fmt.Errorf("reading proxy.SignedPayment at offset %d: unexpected constructor %s", off, Name(id)))
		}
		return nil
	}
	r.Bare(v)
	return v
}

// ProxyQueryAnswerT is the boxed TL type proxy.QueryAnswer, implemented by
// *ProxyQueryAnswer, *ProxyQueryAnswerError.
type ProxyQueryAnswerT interface {
	Object
	isProxyQueryAnswerT()
}

func (*ProxyQueryAnswer) isProxyQueryAnswerT()      {}
func (*ProxyQueryAnswerError) isProxyQueryAnswerT() {}

// ProxyQueryAnswerPartT is the boxed TL type proxy.QueryAnswerPart,
// implemented by *ProxyQueryAnswerPart, *ProxyQueryAnswerPartError.
type ProxyQueryAnswerPartT interface {
	Object
	isProxyQueryAnswerPartT()
}

func (*ProxyQueryAnswerPart) isProxyQueryAnswerPartT()      {}
func (*ProxyQueryAnswerPartError) isProxyQueryAnswerPartT() {}

// ProxyQueryAnswerExT is the boxed TL type proxy.QueryAnswerEx, implemented
// by *ProxyQueryAnswerEx, *ProxyQueryAnswerErrorEx, *ProxyQueryAnswerPartEx.
type ProxyQueryAnswerExT interface {
	Object
	isProxyQueryAnswerExT()
}

func (*ProxyQueryAnswerEx) isProxyQueryAnswerExT()      {}
func (*ProxyQueryAnswerErrorEx) isProxyQueryAnswerExT() {}
func (*ProxyQueryAnswerPartEx) isProxyQueryAnswerExT()  {}

// registry maps every constructor id to its name and a constructor.
var registry = map[uint32]constructor{
	0xbbe9627c: {"tcp.ping", func() Object { return new(TCPPing) }},
	0x0bd4302c: {"tcp.pong", func() Object { return new(TCPPong) }},
	0x9c17baf8: {"tcp.packet", func() Object { return new(TCPPacket) }},
	0xc048c311: {"tcp.queryAnswer", func() Object { return new(TCPQueryAnswer) }},
	0x4cd2f602: {"tcp.queryError", func() Object { return new(TCPQueryError) }},
	0x3af51908: {"tcp.query", func() Object { return new(TCPQuery) }},
	0x636d41d6: {"tcp.connected", func() Object { return new(TCPConnected) }},
	0xa57c4261: {"tcp.connect", func() Object { return new(TCPConnect) }},
	0xbc3f6da5: {"ton.blockIdExt", func() Object { return new(TONBlockIDExt) }},
	0x5bf5e272: {"proxyRunner.config", func() Object { return new(ProxyRunnerConfig) }},
	0x870db56d: {"workerRunner.config", func() Object { return new(WorkerRunnerConfig) }},
	0xaf0bd51f: {"clientRunner.config", func() Object { return new(ClientRunnerConfig) }},
	0xd7874e40: {"keyStorageRunner.config", func() Object { return new(KeyStorageRunnerConfig) }},
	0x9f4e446a: {"rootConfig.registeredProxy", func() Object { return new(RootConfigRegisteredProxy) }},
	0x87a976cc: {"rootConfig.pseudo", func() Object { return new(RootConfigPseudo) }},
	0x5e84869b: {"rootConfig.configV5", func() Object { return new(RootConfigConfigV5) }},
	0x6cfeaa21: {"proxyDb.clientInfo", func() Object { return new(ProxyDBClientInfo) }},
	0x3078c9bf: {"proxyDb.clientInfoV2", func() Object { return new(ProxyDBClientInfoV2) }},
	0x2517b38f: {"proxyDb.workerInfo", func() Object { return new(ProxyDBWorkerInfo) }},
	0x525b14a9: {"proxyDb.pendingBlockchainSeqnoCommit", func() Object { return new(ProxyDBPendingBlockchainSeqnoCommit) }},
	0x43dc40b4: {"proxyDb.configEmpty", func() Object { return new(ProxyDBConfigEmpty) }},
	0xbde43703: {"proxyDb.configV4", func() Object { return new(ProxyDBConfigV4) }},
	0xad2cfb4a: {"proxyDb.configV4Disabled", func() Object { return new(ProxyDBConfigV4Disabled) }},
	0x2fae7b42: {"proxyDb.oldClient", func() Object { return new(ProxyDBOldClient) }},
	0xf04156a0: {"proxyDb.oldWorker", func() Object { return new(ProxyDBOldWorker) }},
	0xa8c9e178: {"proxyDb.oldInstance", func() Object { return new(ProxyDBOldInstance) }},
	0xd3fc2385: {"keyManagerDb.configEmpty", func() Object { return new(KeyManagerDBConfigEmpty) }},
	0x6d2817ac: {"keyManagerDb.configV1", func() Object { return new(KeyManagerDBConfigV1) }},
	0x4d0a1e17: {"keyManagerDb.key", func() Object { return new(KeyManagerDBKey) }},
	0x70c5b15c: {"tokensUsed", func() Object { return new(TokensUsed) }},
	0x869c73ed: {"worker.params", func() Object { return new(WorkerParams) }},
	0xd5c5609f: {"proxy.params", func() Object { return new(ProxyParams) }},
	0x40fdca64: {"client.params", func() Object { return new(ClientParams) }},
	0xd6ffc5af: {"client.proxyConnectionAuthShort", func() Object { return new(ClientProxyConnectionAuthShort) }},
	0x417bf016: {"client.proxyConnectionAuthLong", func() Object { return new(ClientProxyConnectionAuthLong) }},
	0x75d5ac34: {"client.authorizationWithProxySuccess", func() Object { return new(ClientAuthorizationWithProxySuccess) }},
	0x60551c96: {"client.authorizationWithProxyFailed", func() Object { return new(ClientAuthorizationWithProxyFailed) }},
	0x95317ad1: {"client.connectedToProxy", func() Object { return new(ClientConnectedToProxy) }},
	0x9b943922: {"client.queryAnswer", func() Object { return new(ClientQueryAnswer) }},
	0x6d60569a: {"client.queryAnswerError", func() Object { return new(ClientQueryAnswerError) }},
	0xb765de4c: {"client.queryAnswerPart", func() Object { return new(ClientQueryAnswerPart) }},
	0xd790a022: {"client.queryAnswerPartError", func() Object { return new(ClientQueryAnswerPartError) }},
	0x69a452f0: {"client.queryFinalInfo", func() Object { return new(ClientQueryFinalInfo) }},
	0xcd524720: {"client.queryAnswerEx", func() Object { return new(ClientQueryAnswerEx) }},
	0x072562a8: {"client.queryAnswerErrorEx", func() Object { return new(ClientQueryAnswerErrorEx) }},
	0xc07bfaec: {"client.queryAnswerPartEx", func() Object { return new(ClientQueryAnswerPartEx) }},
	0x83aabead: {"client.refund", func() Object { return new(ClientRefund) }},
	0xcf9d9957: {"client.refundRejected", func() Object { return new(ClientRefundRejected) }},
	0x8210e21c: {"client.workerType", func() Object { return new(ClientWorkerType) }},
	0xf64e0e01: {"client.workerTypes", func() Object { return new(ClientWorkerTypes) }},
	0x3ea93d00: {"client.workerInstanceV2", func() Object { return new(ClientWorkerInstanceV2) }},
	0xb27d8197: {"client.workerTypeV2", func() Object { return new(ClientWorkerTypeV2) }},
	0x0cf0dc67: {"client.workerTypesV2", func() Object { return new(ClientWorkerTypesV2) }},
	0xaa8a0ecc: {"client.paymentStatus", func() Object { return new(ClientPaymentStatus) }},
	0xc6bcf127: {"proxy.clientRequestPayment", func() Object { return new(ProxyClientRequestPayment) }},
	0xff5fa0f4: {"client.connectToProxy", func() Object { return new(ClientConnectToProxy) }},
	0x6c276723: {"client.authorizeWithProxyShort", func() Object { return new(ClientAuthorizeWithProxyShort) }},
	0xd3474303: {"client.authorizeWithProxyLong", func() Object { return new(ClientAuthorizeWithProxyLong) }},
	0xbc748f32: {"client.runQuery", func() Object { return new(ClientRunQuery) }},
	0xf54cb74b: {"client.runQueryEx", func() Object { return new(ClientRunQueryEx) }},
	0x238d863d: {"client.requestRefund", func() Object { return new(ClientRequestRefund) }},
	0x9ed1c697: {"client.updatePaymentStatus", func() Object { return new(ClientUpdatePaymentStatus) }},
	0x7f062bdb: {"client.getWorkerTypes", func() Object { return new(ClientGetWorkerTypes) }},
	0xb2133d72: {"client.getWorkerTypesV2", func() Object { return new(ClientGetWorkerTypesV2) }},
	0x02998182: {"proxy.signedPayment", func() Object { return new(ProxySignedPayment) }},
	0xb347ce64: {"proxy.signedPaymentEmpty", func() Object { return new(ProxySignedPaymentEmpty) }},
	0x37e5f725: {"proxy.queryAnswer", func() Object { return new(ProxyQueryAnswer) }},
	0x669d014e: {"proxy.queryAnswerError", func() Object { return new(ProxyQueryAnswerError) }},
	0x72eb00ee: {"proxy.queryAnswerPart", func() Object { return new(ProxyQueryAnswerPart) }},
	0x940e1168: {"proxy.queryAnswerPartError", func() Object { return new(ProxyQueryAnswerPartError) }},
	0xe794e6fc: {"proxy.queryFinalInfo", func() Object { return new(ProxyQueryFinalInfo) }},
	0x1ce574e8: {"proxy.queryAnswerEx", func() Object { return new(ProxyQueryAnswerEx) }},
	0x8f7fb0a7: {"proxy.queryAnswerErrorEx", func() Object { return new(ProxyQueryAnswerErrorEx) }},
	0x6d85b50f: {"proxy.queryAnswerPartEx", func() Object { return new(ProxyQueryAnswerPartEx) }},
	0x1436c0d5: {"proxy.workerRequestPayment", func() Object { return new(ProxyWorkerRequestPayment) }},
	0x47182416: {"proxy.runQuery", func() Object { return new(ProxyRunQuery) }},
	0xc805e7e2: {"proxy.runQueryEx", func() Object { return new(ProxyRunQueryEx) }},
	0xb3b71039: {"worker.enabledDisabled", func() Object { return new(WorkerEnabledDisabled) }},
	0x6af092b0: {"worker.newCoefficient", func() Object { return new(WorkerNewCoefficient) }},
	0x66bc82ee: {"worker.connectedToProxy", func() Object { return new(WorkerConnectedToProxy) }},
	0x9054c411: {"worker.compareBalanceWithProxyResult", func() Object { return new(WorkerCompareBalanceWithProxyResult) }},
	0x0c10973e: {"worker.extendedCompareBalanceWithProxyResult", func() Object { return new(WorkerExtendedCompareBalanceWithProxyResult) }},
	0x3ad9b886: {"worker.proxyHandshakeCompleted", func() Object { return new(WorkerProxyHandshakeCompleted) }},
	0xa88bd701: {"worker.paymentStatus", func() Object { return new(WorkerPaymentStatus) }},
	0xcc484c5d: {"worker.connectToProxy", func() Object { return new(WorkerConnectToProxy) }},
	0xdb386501: {"worker.compareBalanceWithProxy", func() Object { return new(WorkerCompareBalanceWithProxy) }},
	0xf8dd9914: {"worker.extendedCompareBalanceWithProxy", func() Object { return new(WorkerExtendedCompareBalanceWithProxy) }},
	0xf843b066: {"worker.proxyHandshakeComplete", func() Object { return new(WorkerProxyHandshakeComplete) }},
	0xdc70a524: {"worker.updatePaymentStatus", func() Object { return new(WorkerUpdatePaymentStatus) }},
	0x60f4f8e7: {"keyManager.privateKey", func() Object { return new(KeyManagerPrivateKey) }},
	0x0ed66ce5: {"keyManager.privateKeys", func() Object { return new(KeyManagerPrivateKeys) }},
	0x2a26eff5: {"keyManager.getWorkerPrivateKeys", func() Object { return new(KeyManagerGetWorkerPrivateKeys) }},
	0x47a9c2de: {"keyManager.getProxyPrivateKeys", func() Object { return new(KeyManagerGetProxyPrivateKeys) }},
	0x8e9be511: {"http.header", func() Object { return new(HTTPHeader) }},
	0x1cd0c42b: {"http.response", func() Object { return new(HTTPResponse) }},
	0x47492de5: {"http.request", func() Object { return new(HTTPRequest) }},
}
