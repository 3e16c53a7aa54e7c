package tl

// Runner configuration, root contract state, stored proxy state and keys.

// TONBlockIDExt is the TL constructor ton.blockIdExt: it identifies a TON
// block; the proxy stores the last block it has read its contract at.
//
//	ton.blockIdExt workchain:int shard:long seqno:int root_hash:bytes file_hash:bytes = ton.BlockIdExt
type TONBlockIDExt struct {
	Workchain int32
	Shard     int64
	Seqno     int32
	RootHash  []byte
	FileHash  []byte
}

// TLID returns the constructor id of ton.blockIdExt.
func (*TONBlockIDExt) TLID() uint32 { return 0xbc3f6da5 }

// MarshalTL writes the body of ton.blockIdExt.
func (m *TONBlockIDExt) MarshalTL(w *Writer) {
	w.Int32(m.Workchain)
	w.Int64(m.Shard)
	w.Int32(m.Seqno)
	w.Bytes(m.RootHash)
	w.Bytes(m.FileHash)
}

// UnmarshalTL reads the body of ton.blockIdExt.
func (m *TONBlockIDExt) UnmarshalTL(r *Reader) error {
	*m = TONBlockIDExt{}
	m.Workchain = r.Int32()
	m.Shard = r.Int64()
	m.Seqno = r.Int32()
	m.RootHash = r.Bytes()
	m.FileHash = r.Bytes()
	return r.Err()
}

// ProxyRunnerConfig is the TL constructor proxyRunner.config: it is the proxy
// runner's configuration file.
//
//	proxyRunner.config is_test:Bool is_testnet:Bool workers_rpc_port:int client_rpc_port:int http_port:int owner_address:string root_contract_address:string machine_specific_private_key:int256 node_wallet_key:int256 ton_config_filename:string db_path:string check_worker_hashes:Bool image_hash:int256 http_access_hash:string = proxyRunner.Config
type ProxyRunnerConfig struct {
	IsTest                    bool
	IsTestnet                 bool
	WorkersRPCPort            int32
	ClientRPCPort             int32
	HTTPPort                  int32
	OwnerAddress              string
	RootContractAddress       string
	MachineSpecificPrivateKey [32]byte
	NodeWalletKey             [32]byte
	TonConfigFilename         string
	DBPath                    string
	CheckWorkerHashes         bool
	ImageHash                 [32]byte
	HTTPAccessHash            string
}

// TLID returns the constructor id of proxyRunner.config.
func (*ProxyRunnerConfig) TLID() uint32 { return 0x5bf5e272 }

// MarshalTL writes the body of proxyRunner.config.
func (m *ProxyRunnerConfig) MarshalTL(w *Writer) {
	w.Bool(m.IsTest)
	w.Bool(m.IsTestnet)
	w.Int32(m.WorkersRPCPort)
	w.Int32(m.ClientRPCPort)
	w.Int32(m.HTTPPort)
	w.String(m.OwnerAddress)
	w.String(m.RootContractAddress)
	w.Int256(m.MachineSpecificPrivateKey)
	w.Int256(m.NodeWalletKey)
	w.String(m.TonConfigFilename)
	w.String(m.DBPath)
	w.Bool(m.CheckWorkerHashes)
	w.Int256(m.ImageHash)
	w.String(m.HTTPAccessHash)
}

// UnmarshalTL reads the body of proxyRunner.config.
func (m *ProxyRunnerConfig) UnmarshalTL(r *Reader) error {
	*m = ProxyRunnerConfig{}
	m.IsTest = r.Bool()
	m.IsTestnet = r.Bool()
	m.WorkersRPCPort = r.Int32()
	m.ClientRPCPort = r.Int32()
	m.HTTPPort = r.Int32()
	m.OwnerAddress = r.String()
	m.RootContractAddress = r.String()
	m.MachineSpecificPrivateKey = r.Int256()
	m.NodeWalletKey = r.Int256()
	m.TonConfigFilename = r.String()
	m.DBPath = r.String()
	m.CheckWorkerHashes = r.Bool()
	m.ImageHash = r.Int256()
	m.HTTPAccessHash = r.String()
	return r.Err()
}

// WorkerRunnerConfig is the TL constructor workerRunner.config: it is the
// worker runner's configuration file.
//
//	workerRunner.config is_test:Bool is_testnet:Bool http_port:int owner_address:string proxy_connections:int connect_to_proxy_via:string model_name:string coefficient:int root_contract_address:string node_wallet_key:int256 forward_requests_to:string ton_config_filename:string check_proxy_hashes:Bool max_active_requests:int image_hash:int256 http_access_hash:string = workerRunner.Config
type WorkerRunnerConfig struct {
	IsTest              bool
	IsTestnet           bool
	HTTPPort            int32
	OwnerAddress        string
	ProxyConnections    int32
	ConnectToProxyVia   string
	ModelName           string
	Coefficient         int32
	RootContractAddress string
	NodeWalletKey       [32]byte
	ForwardRequestsTo   string
	TonConfigFilename   string
	CheckProxyHashes    bool
	MaxActiveRequests   int32
	ImageHash           [32]byte
	HTTPAccessHash      string
}

// TLID returns the constructor id of workerRunner.config.
func (*WorkerRunnerConfig) TLID() uint32 { return 0x870db56d }

// MarshalTL writes the body of workerRunner.config.
func (m *WorkerRunnerConfig) MarshalTL(w *Writer) {
	w.Bool(m.IsTest)
	w.Bool(m.IsTestnet)
	w.Int32(m.HTTPPort)
	w.String(m.OwnerAddress)
	w.Int32(m.ProxyConnections)
	w.String(m.ConnectToProxyVia)
	w.String(m.ModelName)
	w.Int32(m.Coefficient)
	w.String(m.RootContractAddress)
	w.Int256(m.NodeWalletKey)
	w.String(m.ForwardRequestsTo)
	w.String(m.TonConfigFilename)
	w.Bool(m.CheckProxyHashes)
	w.Int32(m.MaxActiveRequests)
	w.Int256(m.ImageHash)
	w.String(m.HTTPAccessHash)
}

// UnmarshalTL reads the body of workerRunner.config.
func (m *WorkerRunnerConfig) UnmarshalTL(r *Reader) error {
	*m = WorkerRunnerConfig{}
	m.IsTest = r.Bool()
	m.IsTestnet = r.Bool()
	m.HTTPPort = r.Int32()
	m.OwnerAddress = r.String()
	m.ProxyConnections = r.Int32()
	m.ConnectToProxyVia = r.String()
	m.ModelName = r.String()
	m.Coefficient = r.Int32()
	m.RootContractAddress = r.String()
	m.NodeWalletKey = r.Int256()
	m.ForwardRequestsTo = r.String()
	m.TonConfigFilename = r.String()
	m.CheckProxyHashes = r.Bool()
	m.MaxActiveRequests = r.Int32()
	m.ImageHash = r.Int256()
	m.HTTPAccessHash = r.String()
	return r.Err()
}

// ClientRunnerConfig is the TL constructor clientRunner.config: it is the
// client runner's configuration file.
//
//	clientRunner.config is_test:Bool is_testnet:Bool http_port:int owner_address:string proxy_connections:int connect_to_proxy_via:string root_contract_address:string node_wallet_key:int256 check_proxy_hashes:Bool secret_string:string ton_config_filename:string http_access_hash:string = clientRunner.Config
type ClientRunnerConfig struct {
	IsTest              bool
	IsTestnet           bool
	HTTPPort            int32
	OwnerAddress        string
	ProxyConnections    int32
	ConnectToProxyVia   string
	RootContractAddress string
	NodeWalletKey       [32]byte
	CheckProxyHashes    bool
	SecretString        string
	TonConfigFilename   string
	HTTPAccessHash      string
}

// TLID returns the constructor id of clientRunner.config.
func (*ClientRunnerConfig) TLID() uint32 { return 0xaf0bd51f }

// MarshalTL writes the body of clientRunner.config.
func (m *ClientRunnerConfig) MarshalTL(w *Writer) {
	w.Bool(m.IsTest)
	w.Bool(m.IsTestnet)
	w.Int32(m.HTTPPort)
	w.String(m.OwnerAddress)
	w.Int32(m.ProxyConnections)
	w.String(m.ConnectToProxyVia)
	w.String(m.RootContractAddress)
	w.Int256(m.NodeWalletKey)
	w.Bool(m.CheckProxyHashes)
	w.String(m.SecretString)
	w.String(m.TonConfigFilename)
	w.String(m.HTTPAccessHash)
}

// UnmarshalTL reads the body of clientRunner.config.
func (m *ClientRunnerConfig) UnmarshalTL(r *Reader) error {
	*m = ClientRunnerConfig{}
	m.IsTest = r.Bool()
	m.IsTestnet = r.Bool()
	m.HTTPPort = r.Int32()
	m.OwnerAddress = r.String()
	m.ProxyConnections = r.Int32()
	m.ConnectToProxyVia = r.String()
	m.RootContractAddress = r.String()
	m.NodeWalletKey = r.Int256()
	m.CheckProxyHashes = r.Bool()
	m.SecretString = r.String()
	m.TonConfigFilename = r.String()
	m.HTTPAccessHash = r.String()
	return r.Err()
}

// KeyStorageRunnerConfig is the TL constructor keyStorageRunner.config: it is
// the key storage runner's configuration file.
//
//	keyStorageRunner.config is_test:Bool is_testnet:Bool rpc_port:int http_port:int root_contract_address:string machine_specific_private_key:int256 ton_config_filename:string db_path:string check_hashes:Bool image_hash:int256 http_access_hash:string = keyStorageRunner.Config
type KeyStorageRunnerConfig struct {
	IsTest                    bool
	IsTestnet                 bool
	RPCPort                   int32
	HTTPPort                  int32
	RootContractAddress       string
	MachineSpecificPrivateKey [32]byte
	TonConfigFilename         string
	DBPath                    string
	CheckHashes               bool
	ImageHash                 [32]byte
	HTTPAccessHash            string
}

// TLID returns the constructor id of keyStorageRunner.config.
func (*KeyStorageRunnerConfig) TLID() uint32 { return 0xd7874e40 }

// MarshalTL writes the body of keyStorageRunner.config.
func (m *KeyStorageRunnerConfig) MarshalTL(w *Writer) {
	w.Bool(m.IsTest)
	w.Bool(m.IsTestnet)
	w.Int32(m.RPCPort)
	w.Int32(m.HTTPPort)
	w.String(m.RootContractAddress)
	w.Int256(m.MachineSpecificPrivateKey)
	w.String(m.TonConfigFilename)
	w.String(m.DBPath)
	w.Bool(m.CheckHashes)
	w.Int256(m.ImageHash)
	w.String(m.HTTPAccessHash)
}

// UnmarshalTL reads the body of keyStorageRunner.config.
func (m *KeyStorageRunnerConfig) UnmarshalTL(r *Reader) error {
	*m = KeyStorageRunnerConfig{}
	m.IsTest = r.Bool()
	m.IsTestnet = r.Bool()
	m.RPCPort = r.Int32()
	m.HTTPPort = r.Int32()
	m.RootContractAddress = r.String()
	m.MachineSpecificPrivateKey = r.Int256()
	m.TonConfigFilename = r.String()
	m.DBPath = r.String()
	m.CheckHashes = r.Bool()
	m.ImageHash = r.Int256()
	m.HTTPAccessHash = r.String()
	return r.Err()
}

// RootConfigRegisteredProxy is the TL constructor rootConfig.registeredProxy:
// it is one proxy registered in the root contract.
//
//	rootConfig.registeredProxy seqno:int address:string = rootConfig.RegisteredProxy
type RootConfigRegisteredProxy struct {
	Seqno   int32
	Address string
}

// TLID returns the constructor id of rootConfig.registeredProxy.
func (*RootConfigRegisteredProxy) TLID() uint32 { return 0x9f4e446a }

// MarshalTL writes the body of rootConfig.registeredProxy.
func (m *RootConfigRegisteredProxy) MarshalTL(w *Writer) {
	w.Int32(m.Seqno)
	w.String(m.Address)
}

// UnmarshalTL reads the body of rootConfig.registeredProxy.
func (m *RootConfigRegisteredProxy) UnmarshalTL(r *Reader) error {
	*m = RootConfigRegisteredProxy{}
	m.Seqno = r.Int32()
	m.Address = r.String()
	return r.Err()
}

// RootConfigPseudo is the TL constructor rootConfig.pseudo: it is the root
// contract state used in fake-TON mode.
//
//	rootConfig.pseudo proxy_hashes:(vector int256) worker_hashes:(vector int256) model_hashes:(vector int256) model_types:(vector string) registered_proxies:(vector rootConfig.registeredProxy) price_per_token:int worker_fee_per_token:int last_proxy_seqno:int version:int params_version:int proxy_sc_code:string worker_sc_code:string client_sc_code:string root_owner_address:string = rootConfig.Config
//
// It implements RootConfigConfig.
type RootConfigPseudo struct {
	ProxyHashes       [][32]byte
	WorkerHashes      [][32]byte
	ModelHashes       [][32]byte
	ModelTypes        []string
	RegisteredProxies []RootConfigRegisteredProxy
	PricePerToken     int32
	WorkerFeePerToken int32
	LastProxySeqno    int32
	Version           int32
	ParamsVersion     int32
	ProxySCCode       string
	WorkerSCCode      string
	ClientSCCode      string
	RootOwnerAddress  string
}

// TLID returns the constructor id of rootConfig.pseudo.
func (*RootConfigPseudo) TLID() uint32 { return 0x87a976cc }

// MarshalTL writes the body of rootConfig.pseudo.
func (m *RootConfigPseudo) MarshalTL(w *Writer) {
	w.VectorLen(len(m.ProxyHashes))
	for i := range m.ProxyHashes {
		w.Int256(m.ProxyHashes[i])
	}
	w.VectorLen(len(m.WorkerHashes))
	for i := range m.WorkerHashes {
		w.Int256(m.WorkerHashes[i])
	}
	w.VectorLen(len(m.ModelHashes))
	for i := range m.ModelHashes {
		w.Int256(m.ModelHashes[i])
	}
	w.VectorLen(len(m.ModelTypes))
	for i := range m.ModelTypes {
		w.String(m.ModelTypes[i])
	}
	w.VectorLen(len(m.RegisteredProxies))
	for i := range m.RegisteredProxies {
		m.RegisteredProxies[i].MarshalTL(w)
	}
	w.Int32(m.PricePerToken)
	w.Int32(m.WorkerFeePerToken)
	w.Int32(m.LastProxySeqno)
	w.Int32(m.Version)
	w.Int32(m.ParamsVersion)
	w.String(m.ProxySCCode)
	w.String(m.WorkerSCCode)
	w.String(m.ClientSCCode)
	w.String(m.RootOwnerAddress)
}

// UnmarshalTL reads the body of rootConfig.pseudo.
func (m *RootConfigPseudo) UnmarshalTL(r *Reader) error {
	*m = RootConfigPseudo{}
	if n := r.VectorLen(32); n > 0 {
		m.ProxyHashes = make([][32]byte, n)
		for i := range m.ProxyHashes {
			m.ProxyHashes[i] = r.Int256()
		}
	}
	if n := r.VectorLen(32); n > 0 {
		m.WorkerHashes = make([][32]byte, n)
		for i := range m.WorkerHashes {
			m.WorkerHashes[i] = r.Int256()
		}
	}
	if n := r.VectorLen(32); n > 0 {
		m.ModelHashes = make([][32]byte, n)
		for i := range m.ModelHashes {
			m.ModelHashes[i] = r.Int256()
		}
	}
	if n := r.VectorLen(4); n > 0 {
		m.ModelTypes = make([]string, n)
		for i := range m.ModelTypes {
			m.ModelTypes[i] = r.String()
		}
	}
	if n := r.VectorLen(8); n > 0 {
		m.RegisteredProxies = make([]RootConfigRegisteredProxy, n)
		for i := range m.RegisteredProxies {
			r.Bare(&m.RegisteredProxies[i])
		}
	}
	m.PricePerToken = r.Int32()
	m.WorkerFeePerToken = r.Int32()
	m.LastProxySeqno = r.Int32()
	m.Version = r.Int32()
	m.ParamsVersion = r.Int32()
	m.ProxySCCode = r.String()
	m.WorkerSCCode = r.String()
	m.ClientSCCode = r.String()
	m.RootOwnerAddress = r.String()
	return r.Err()
}

// RootConfigConfigV5 is the TL constructor rootConfig.configV5: it is the
// root contract state as the proxy stores it.
//
//	rootConfig.configV5 root_owner_address:string proxy_hashes:(vector int256) registered_proxies:(vector rootConfig.registeredProxy) last_proxy_seqno:int worker_hashes:(vector int256) model_hashes:(vector int256) version:int struct_version:int params_version:int unique_id:int is_test:int price_per_token:long worker_fee_per_token:long prompt_tokens_price_multiplier:int cached_tokens_price_multiplier:int completion_tokens_price_multiplier:int reasoning_tokens_price_multiplier:int proxy_delay_before_close:int client_delay_before_close:int min_proxy_stake:long min_client_stake:long proxy_sc_code:string worker_sc_code:string client_sc_code:string = rootConfig.Config
//
// It implements RootConfigConfig.
type RootConfigConfigV5 struct {
	RootOwnerAddress                string
	ProxyHashes                     [][32]byte
	RegisteredProxies               []RootConfigRegisteredProxy
	LastProxySeqno                  int32
	WorkerHashes                    [][32]byte
	ModelHashes                     [][32]byte
	Version                         int32
	StructVersion                   int32
	ParamsVersion                   int32
	UniqueID                        int32
	IsTest                          int32
	PricePerToken                   int64
	WorkerFeePerToken               int64
	PromptTokensPriceMultiplier     int32
	CachedTokensPriceMultiplier     int32
	CompletionTokensPriceMultiplier int32
	ReasoningTokensPriceMultiplier  int32
	ProxyDelayBeforeClose           int32
	ClientDelayBeforeClose          int32
	MinProxyStake                   int64
	MinClientStake                  int64
	ProxySCCode                     string
	WorkerSCCode                    string
	ClientSCCode                    string
}

// TLID returns the constructor id of rootConfig.configV5.
func (*RootConfigConfigV5) TLID() uint32 { return 0x5e84869b }

// MarshalTL writes the body of rootConfig.configV5.
func (m *RootConfigConfigV5) MarshalTL(w *Writer) {
	w.String(m.RootOwnerAddress)
	w.VectorLen(len(m.ProxyHashes))
	for i := range m.ProxyHashes {
		w.Int256(m.ProxyHashes[i])
	}
	w.VectorLen(len(m.RegisteredProxies))
	for i := range m.RegisteredProxies {
		m.RegisteredProxies[i].MarshalTL(w)
	}
	w.Int32(m.LastProxySeqno)
	w.VectorLen(len(m.WorkerHashes))
	for i := range m.WorkerHashes {
		w.Int256(m.WorkerHashes[i])
	}
	w.VectorLen(len(m.ModelHashes))
	for i := range m.ModelHashes {
		w.Int256(m.ModelHashes[i])
	}
	w.Int32(m.Version)
	w.Int32(m.StructVersion)
	w.Int32(m.ParamsVersion)
	w.Int32(m.UniqueID)
	w.Int32(m.IsTest)
	w.Int64(m.PricePerToken)
	w.Int64(m.WorkerFeePerToken)
	w.Int32(m.PromptTokensPriceMultiplier)
	w.Int32(m.CachedTokensPriceMultiplier)
	w.Int32(m.CompletionTokensPriceMultiplier)
	w.Int32(m.ReasoningTokensPriceMultiplier)
	w.Int32(m.ProxyDelayBeforeClose)
	w.Int32(m.ClientDelayBeforeClose)
	w.Int64(m.MinProxyStake)
	w.Int64(m.MinClientStake)
	w.String(m.ProxySCCode)
	w.String(m.WorkerSCCode)
	w.String(m.ClientSCCode)
}

// UnmarshalTL reads the body of rootConfig.configV5.
func (m *RootConfigConfigV5) UnmarshalTL(r *Reader) error {
	*m = RootConfigConfigV5{}
	m.RootOwnerAddress = r.String()
	if n := r.VectorLen(32); n > 0 {
		m.ProxyHashes = make([][32]byte, n)
		for i := range m.ProxyHashes {
			m.ProxyHashes[i] = r.Int256()
		}
	}
	if n := r.VectorLen(8); n > 0 {
		m.RegisteredProxies = make([]RootConfigRegisteredProxy, n)
		for i := range m.RegisteredProxies {
			r.Bare(&m.RegisteredProxies[i])
		}
	}
	m.LastProxySeqno = r.Int32()
	if n := r.VectorLen(32); n > 0 {
		m.WorkerHashes = make([][32]byte, n)
		for i := range m.WorkerHashes {
			m.WorkerHashes[i] = r.Int256()
		}
	}
	if n := r.VectorLen(32); n > 0 {
		m.ModelHashes = make([][32]byte, n)
		for i := range m.ModelHashes {
			m.ModelHashes[i] = r.Int256()
		}
	}
	m.Version = r.Int32()
	m.StructVersion = r.Int32()
	m.ParamsVersion = r.Int32()
	m.UniqueID = r.Int32()
	m.IsTest = r.Int32()
	m.PricePerToken = r.Int64()
	m.WorkerFeePerToken = r.Int64()
	m.PromptTokensPriceMultiplier = r.Int32()
	m.CachedTokensPriceMultiplier = r.Int32()
	m.CompletionTokensPriceMultiplier = r.Int32()
	m.ReasoningTokensPriceMultiplier = r.Int32()
	m.ProxyDelayBeforeClose = r.Int32()
	m.ClientDelayBeforeClose = r.Int32()
	m.MinProxyStake = r.Int64()
	m.MinClientStake = r.Int64()
	m.ProxySCCode = r.String()
	m.WorkerSCCode = r.String()
	m.ClientSCCode = r.String()
	return r.Err()
}

// ProxyDBClientInfo is the TL constructor proxyDb.clientInfo: it is the
// proxy's stored view of a client (old layout, without the stake).
//
//	proxyDb.clientInfo owner_address:string sc_address:string status:int balance:long sc_tokens_used:long tokens_used:long secret_hash:int256 last_request_at:int = proxyDb.ClientInfo
//
// It implements ProxyDBClientInfoT.
type ProxyDBClientInfo struct {
	OwnerAddress  string
	SCAddress     string
	Status        int32
	Balance       int64
	SCTokensUsed  int64
	TokensUsed    int64
	SecretHash    [32]byte
	LastRequestAt int32
}

// TLID returns the constructor id of proxyDb.clientInfo.
func (*ProxyDBClientInfo) TLID() uint32 { return 0x6cfeaa21 }

// MarshalTL writes the body of proxyDb.clientInfo.
func (m *ProxyDBClientInfo) MarshalTL(w *Writer) {
	w.String(m.OwnerAddress)
	w.String(m.SCAddress)
	w.Int32(m.Status)
	w.Int64(m.Balance)
	w.Int64(m.SCTokensUsed)
	w.Int64(m.TokensUsed)
	w.Int256(m.SecretHash)
	w.Int32(m.LastRequestAt)
}

// UnmarshalTL reads the body of proxyDb.clientInfo.
func (m *ProxyDBClientInfo) UnmarshalTL(r *Reader) error {
	*m = ProxyDBClientInfo{}
	m.OwnerAddress = r.String()
	m.SCAddress = r.String()
	m.Status = r.Int32()
	m.Balance = r.Int64()
	m.SCTokensUsed = r.Int64()
	m.TokensUsed = r.Int64()
	m.SecretHash = r.Int256()
	m.LastRequestAt = r.Int32()
	return r.Err()
}

// ProxyDBClientInfoV2 is the TL constructor proxyDb.clientInfoV2: it is the
// proxy's stored view of a client.
//
//	proxyDb.clientInfoV2 owner_address:string sc_address:string status:int balance:long stake:long sc_tokens_used:long tokens_used:long secret_hash:int256 last_request_at:int = proxyDb.ClientInfo
//
// It implements ProxyDBClientInfoT.
type ProxyDBClientInfoV2 struct {
	OwnerAddress  string
	SCAddress     string
	Status        int32
	Balance       int64
	Stake         int64
	SCTokensUsed  int64
	TokensUsed    int64
	SecretHash    [32]byte
	LastRequestAt int32
}

// TLID returns the constructor id of proxyDb.clientInfoV2.
func (*ProxyDBClientInfoV2) TLID() uint32 { return 0x3078c9bf }

// MarshalTL writes the body of proxyDb.clientInfoV2.
func (m *ProxyDBClientInfoV2) MarshalTL(w *Writer) {
	w.String(m.OwnerAddress)
	w.String(m.SCAddress)
	w.Int32(m.Status)
	w.Int64(m.Balance)
	w.Int64(m.Stake)
	w.Int64(m.SCTokensUsed)
	w.Int64(m.TokensUsed)
	w.Int256(m.SecretHash)
	w.Int32(m.LastRequestAt)
}

// UnmarshalTL reads the body of proxyDb.clientInfoV2.
func (m *ProxyDBClientInfoV2) UnmarshalTL(r *Reader) error {
	*m = ProxyDBClientInfoV2{}
	m.OwnerAddress = r.String()
	m.SCAddress = r.String()
	m.Status = r.Int32()
	m.Balance = r.Int64()
	m.Stake = r.Int64()
	m.SCTokensUsed = r.Int64()
	m.TokensUsed = r.Int64()
	m.SecretHash = r.Int256()
	m.LastRequestAt = r.Int32()
	return r.Err()
}

// ProxyDBWorkerInfo is the TL constructor proxyDb.workerInfo: it is the
// proxy's stored view of a worker.
//
//	proxyDb.workerInfo owner_address:string sc_address:string sc_tokens:long tokens:long last_request_at:int = proxyDb.WorkerInfo
type ProxyDBWorkerInfo struct {
	OwnerAddress  string
	SCAddress     string
	SCTokens      int64
	Tokens        int64
	LastRequestAt int32
}

// TLID returns the constructor id of proxyDb.workerInfo.
func (*ProxyDBWorkerInfo) TLID() uint32 { return 0x2517b38f }

// MarshalTL writes the body of proxyDb.workerInfo.
func (m *ProxyDBWorkerInfo) MarshalTL(w *Writer) {
	w.String(m.OwnerAddress)
	w.String(m.SCAddress)
	w.Int64(m.SCTokens)
	w.Int64(m.Tokens)
	w.Int32(m.LastRequestAt)
}

// UnmarshalTL reads the body of proxyDb.workerInfo.
func (m *ProxyDBWorkerInfo) UnmarshalTL(r *Reader) error {
	*m = ProxyDBWorkerInfo{}
	m.OwnerAddress = r.String()
	m.SCAddress = r.String()
	m.SCTokens = r.Int64()
	m.Tokens = r.Int64()
	m.LastRequestAt = r.Int32()
	return r.Err()
}

// ProxyDBPendingBlockchainSeqnoCommit is the TL constructor
// proxyDb.pendingBlockchainSeqnoCommit.
//
//	proxyDb.pendingBlockchainSeqnoCommit seqno:int session_hash:int256 = proxyDb.PendingBlockchainSeqnoCommit
type ProxyDBPendingBlockchainSeqnoCommit struct {
	Seqno       int32
	SessionHash [32]byte
}

// TLID returns the constructor id of proxyDb.pendingBlockchainSeqnoCommit.
func (*ProxyDBPendingBlockchainSeqnoCommit) TLID() uint32 { return 0x525b14a9 }

// MarshalTL writes the body of proxyDb.pendingBlockchainSeqnoCommit.
func (m *ProxyDBPendingBlockchainSeqnoCommit) MarshalTL(w *Writer) {
	w.Int32(m.Seqno)
	w.Int256(m.SessionHash)
}

// UnmarshalTL reads the body of proxyDb.pendingBlockchainSeqnoCommit.
func (m *ProxyDBPendingBlockchainSeqnoCommit) UnmarshalTL(r *Reader) error {
	*m = ProxyDBPendingBlockchainSeqnoCommit{}
	m.Seqno = r.Int32()
	m.SessionHash = r.Int256()
	return r.Err()
}

// ProxyDBConfigEmpty is the TL constructor proxyDb.configEmpty.
//
//	proxyDb.configEmpty = proxyDb.Config
//
// It implements ProxyDBConfig.
type ProxyDBConfigEmpty struct{}

// TLID returns the constructor id of proxyDb.configEmpty.
func (*ProxyDBConfigEmpty) TLID() uint32 { return 0x43dc40b4 }

// MarshalTL writes the body of proxyDb.configEmpty.
func (*ProxyDBConfigEmpty) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of proxyDb.configEmpty.
func (m *ProxyDBConfigEmpty) UnmarshalTL(r *Reader) error { return r.Err() }

// ProxyDBConfigV4 is the TL constructor proxyDb.configV4: it is the proxy's
// stored state of its contract and the chain.
//
//	proxyDb.configV4 root_contract_address:string is_testnet:int root_contract_state:rootConfig.Config root_contract_state_block_ts:int sc_block_id:ton.blockIdExt last_seqno_committed_to_blockchain:int pending_blockchain_seqno_commits:(vector proxyDb.pendingBlockchainSeqnoCommit) = proxyDb.Config
//
// It implements ProxyDBConfig.
type ProxyDBConfigV4 struct {
	RootContractAddress            string
	IsTestnet                      int32
	RootContractState              RootConfigConfig
	RootContractStateBlockTS       int32
	SCBlockID                      TONBlockIDExt
	LastSeqnoCommittedToBlockchain int32
	PendingBlockchainSeqnoCommits  []ProxyDBPendingBlockchainSeqnoCommit
}

// TLID returns the constructor id of proxyDb.configV4.
func (*ProxyDBConfigV4) TLID() uint32 { return 0xbde43703 }

// MarshalTL writes the body of proxyDb.configV4.
func (m *ProxyDBConfigV4) MarshalTL(w *Writer) {
	w.String(m.RootContractAddress)
	w.Int32(m.IsTestnet)
	writeRootConfigConfig(w, m.RootContractState)
	w.Int32(m.RootContractStateBlockTS)
	m.SCBlockID.MarshalTL(w)
	w.Int32(m.LastSeqnoCommittedToBlockchain)
	w.VectorLen(len(m.PendingBlockchainSeqnoCommits))
	for i := range m.PendingBlockchainSeqnoCommits {
		m.PendingBlockchainSeqnoCommits[i].MarshalTL(w)
	}
}

// UnmarshalTL reads the body of proxyDb.configV4.
func (m *ProxyDBConfigV4) UnmarshalTL(r *Reader) error {
	*m = ProxyDBConfigV4{}
	m.RootContractAddress = r.String()
	m.IsTestnet = r.Int32()
	m.RootContractState = readRootConfigConfig(r)
	m.RootContractStateBlockTS = r.Int32()
	r.Bare(&m.SCBlockID)
	m.LastSeqnoCommittedToBlockchain = r.Int32()
	if n := r.VectorLen(36); n > 0 {
		m.PendingBlockchainSeqnoCommits = make([]ProxyDBPendingBlockchainSeqnoCommit, n)
		for i := range m.PendingBlockchainSeqnoCommits {
			r.Bare(&m.PendingBlockchainSeqnoCommits[i])
		}
	}
	return r.Err()
}

// ProxyDBConfigV4Disabled is the TL constructor proxyDb.configV4Disabled.
//
//	proxyDb.configV4Disabled root_contract_address:string is_testnet:int root_contract_state:rootConfig.Config root_contract_state_block_ts:int disabled_until_version:long = proxyDb.Config
//
// It implements ProxyDBConfig.
type ProxyDBConfigV4Disabled struct {
	RootContractAddress      string
	IsTestnet                int32
	RootContractState        RootConfigConfig
	RootContractStateBlockTS int32
	DisabledUntilVersion     int64
}

// TLID returns the constructor id of proxyDb.configV4Disabled.
func (*ProxyDBConfigV4Disabled) TLID() uint32 { return 0xad2cfb4a }

// MarshalTL writes the body of proxyDb.configV4Disabled.
func (m *ProxyDBConfigV4Disabled) MarshalTL(w *Writer) {
	w.String(m.RootContractAddress)
	w.Int32(m.IsTestnet)
	writeRootConfigConfig(w, m.RootContractState)
	w.Int32(m.RootContractStateBlockTS)
	w.Int64(m.DisabledUntilVersion)
}

// UnmarshalTL reads the body of proxyDb.configV4Disabled.
func (m *ProxyDBConfigV4Disabled) UnmarshalTL(r *Reader) error {
	*m = ProxyDBConfigV4Disabled{}
	m.RootContractAddress = r.String()
	m.IsTestnet = r.Int32()
	m.RootContractState = readRootConfigConfig(r)
	m.RootContractStateBlockTS = r.Int32()
	m.DisabledUntilVersion = r.Int64()
	return r.Err()
}

// ProxyDBOldClient is the TL constructor proxyDb.oldClient.
//
//	proxyDb.oldClient owner_address:string tokens:long next_client:string = proxyDb.OldClient
type ProxyDBOldClient struct {
	OwnerAddress string
	Tokens       int64
	NextClient   string
}

// TLID returns the constructor id of proxyDb.oldClient.
func (*ProxyDBOldClient) TLID() uint32 { return 0x2fae7b42 }

// MarshalTL writes the body of proxyDb.oldClient.
func (m *ProxyDBOldClient) MarshalTL(w *Writer) {
	w.String(m.OwnerAddress)
	w.Int64(m.Tokens)
	w.String(m.NextClient)
}

// UnmarshalTL reads the body of proxyDb.oldClient.
func (m *ProxyDBOldClient) UnmarshalTL(r *Reader) error {
	*m = ProxyDBOldClient{}
	m.OwnerAddress = r.String()
	m.Tokens = r.Int64()
	m.NextClient = r.String()
	return r.Err()
}

// ProxyDBOldWorker is the TL constructor proxyDb.oldWorker.
//
//	proxyDb.oldWorker owner_address:string tokens:long next_worker:string = proxyDb.OldWorker
type ProxyDBOldWorker struct {
	OwnerAddress string
	Tokens       int64
	NextWorker   string
}

// TLID returns the constructor id of proxyDb.oldWorker.
func (*ProxyDBOldWorker) TLID() uint32 { return 0xf04156a0 }

// MarshalTL writes the body of proxyDb.oldWorker.
func (m *ProxyDBOldWorker) MarshalTL(w *Writer) {
	w.String(m.OwnerAddress)
	w.Int64(m.Tokens)
	w.String(m.NextWorker)
}

// UnmarshalTL reads the body of proxyDb.oldWorker.
func (m *ProxyDBOldWorker) UnmarshalTL(r *Reader) error {
	*m = ProxyDBOldWorker{}
	m.OwnerAddress = r.String()
	m.Tokens = r.Int64()
	m.NextWorker = r.String()
	return r.Err()
}

// ProxyDBOldInstance is the TL constructor proxyDb.oldInstance.
//
//	proxyDb.oldInstance contract_address:string closing_state:int close_at:int next_client:string next_worker:string root_contract_state:rootConfig.Config = proxyDb.OldInstance
type ProxyDBOldInstance struct {
	ContractAddress   string
	ClosingState      int32
	CloseAt           int32
	NextClient        string
	NextWorker        string
	RootContractState RootConfigConfig
}

// TLID returns the constructor id of proxyDb.oldInstance.
func (*ProxyDBOldInstance) TLID() uint32 { return 0xa8c9e178 }

// MarshalTL writes the body of proxyDb.oldInstance.
func (m *ProxyDBOldInstance) MarshalTL(w *Writer) {
	w.String(m.ContractAddress)
	w.Int32(m.ClosingState)
	w.Int32(m.CloseAt)
	w.String(m.NextClient)
	w.String(m.NextWorker)
	writeRootConfigConfig(w, m.RootContractState)
}

// UnmarshalTL reads the body of proxyDb.oldInstance.
func (m *ProxyDBOldInstance) UnmarshalTL(r *Reader) error {
	*m = ProxyDBOldInstance{}
	m.ContractAddress = r.String()
	m.ClosingState = r.Int32()
	m.CloseAt = r.Int32()
	m.NextClient = r.String()
	m.NextWorker = r.String()
	m.RootContractState = readRootConfigConfig(r)
	return r.Err()
}

// KeyManagerDBConfigEmpty is the TL constructor keyManagerDb.configEmpty.
//
//	keyManagerDb.configEmpty = keyManagerDb.Config
//
// It implements KeyManagerDBConfig.
type KeyManagerDBConfigEmpty struct{}

// TLID returns the constructor id of keyManagerDb.configEmpty.
func (*KeyManagerDBConfigEmpty) TLID() uint32 { return 0xd3fc2385 }

// MarshalTL writes the body of keyManagerDb.configEmpty.
func (*KeyManagerDBConfigEmpty) MarshalTL(*Writer) {}

// UnmarshalTL reads the body of keyManagerDb.configEmpty.
func (m *KeyManagerDBConfigEmpty) UnmarshalTL(r *Reader) error { return r.Err() }

// KeyManagerDBConfigV1 is the TL constructor keyManagerDb.configV1.
//
//	keyManagerDb.configV1 root_contract_version:int = keyManagerDb.Config
//
// It implements KeyManagerDBConfig.
type KeyManagerDBConfigV1 struct {
	RootContractVersion int32
}

// TLID returns the constructor id of keyManagerDb.configV1.
func (*KeyManagerDBConfigV1) TLID() uint32 { return 0x6d2817ac }

// MarshalTL writes the body of keyManagerDb.configV1.
func (m *KeyManagerDBConfigV1) MarshalTL(w *Writer) {
	w.Int32(m.RootContractVersion)
}

// UnmarshalTL reads the body of keyManagerDb.configV1.
func (m *KeyManagerDBConfigV1) UnmarshalTL(r *Reader) error {
	*m = KeyManagerDBConfigV1{}
	m.RootContractVersion = r.Int32()
	return r.Err()
}

// KeyManagerDBKey is the TL constructor keyManagerDb.key.
//
//	keyManagerDb.key private_key:int256 for_proxies:Bool for_workers:Bool valid_since_config_version:int valid_since_utime:int valid_until_utime:int = keyManagerDb.Key
type KeyManagerDBKey struct {
	PrivateKey              [32]byte
	ForProxies              bool
	ForWorkers              bool
	ValidSinceConfigVersion int32
	ValidSinceUtime         int32
	ValidUntilUtime         int32
}

// TLID returns the constructor id of keyManagerDb.key.
func (*KeyManagerDBKey) TLID() uint32 { return 0x4d0a1e17 }

// MarshalTL writes the body of keyManagerDb.key.
func (m *KeyManagerDBKey) MarshalTL(w *Writer) {
	w.Int256(m.PrivateKey)
	w.Bool(m.ForProxies)
	w.Bool(m.ForWorkers)
	w.Int32(m.ValidSinceConfigVersion)
	w.Int32(m.ValidSinceUtime)
	w.Int32(m.ValidUntilUtime)
}

// UnmarshalTL reads the body of keyManagerDb.key.
func (m *KeyManagerDBKey) UnmarshalTL(r *Reader) error {
	*m = KeyManagerDBKey{}
	m.PrivateKey = r.Int256()
	m.ForProxies = r.Bool()
	m.ForWorkers = r.Bool()
	m.ValidSinceConfigVersion = r.Int32()
	m.ValidSinceUtime = r.Int32()
	m.ValidUntilUtime = r.Int32()
	return r.Err()
}

// KeyManagerPrivateKey is the TL constructor keyManager.privateKey.
//
//	keyManager.privateKey valid_until_utime:int private_key:int256 = keyManager.PrivateKey
type KeyManagerPrivateKey struct {
	ValidUntilUtime int32
	PrivateKey      [32]byte
}

// TLID returns the constructor id of keyManager.privateKey.
func (*KeyManagerPrivateKey) TLID() uint32 { return 0x60f4f8e7 }

// MarshalTL writes the body of keyManager.privateKey.
func (m *KeyManagerPrivateKey) MarshalTL(w *Writer) {
	w.Int32(m.ValidUntilUtime)
	w.Int256(m.PrivateKey)
}

// UnmarshalTL reads the body of keyManager.privateKey.
func (m *KeyManagerPrivateKey) UnmarshalTL(r *Reader) error {
	*m = KeyManagerPrivateKey{}
	m.ValidUntilUtime = r.Int32()
	m.PrivateKey = r.Int256()
	return r.Err()
}

// KeyManagerPrivateKeys is the TL constructor keyManager.privateKeys.
//
//	keyManager.privateKeys keys:(vector keyManager.privateKey) = keyManager.PrivateKeys
type KeyManagerPrivateKeys struct {
	Keys []KeyManagerPrivateKey
}

// TLID returns the constructor id of keyManager.privateKeys.
func (*KeyManagerPrivateKeys) TLID() uint32 { return 0x0ed66ce5 }

// MarshalTL writes the body of keyManager.privateKeys.
func (m *KeyManagerPrivateKeys) MarshalTL(w *Writer) {
	w.VectorLen(len(m.Keys))
	for i := range m.Keys {
		m.Keys[i].MarshalTL(w)
	}
}

// UnmarshalTL reads the body of keyManager.privateKeys.
func (m *KeyManagerPrivateKeys) UnmarshalTL(r *Reader) error {
	*m = KeyManagerPrivateKeys{}
	if n := r.VectorLen(36); n > 0 {
		m.Keys = make([]KeyManagerPrivateKey, n)
		for i := range m.Keys {
			r.Bare(&m.Keys[i])
		}
	}
	return r.Err()
}

// KeyManagerGetWorkerPrivateKeys is the TL function
// keyManager.getWorkerPrivateKeys.
//
//	keyManager.getWorkerPrivateKeys min_config_version:int = keyManager.PrivateKeys
type KeyManagerGetWorkerPrivateKeys struct {
	MinConfigVersion int32
}

// TLID returns the constructor id of keyManager.getWorkerPrivateKeys.
func (*KeyManagerGetWorkerPrivateKeys) TLID() uint32 { return 0x2a26eff5 }

// MarshalTL writes the body of keyManager.getWorkerPrivateKeys.
func (m *KeyManagerGetWorkerPrivateKeys) MarshalTL(w *Writer) {
	w.Int32(m.MinConfigVersion)
}

// UnmarshalTL reads the body of keyManager.getWorkerPrivateKeys.
func (m *KeyManagerGetWorkerPrivateKeys) UnmarshalTL(r *Reader) error {
	*m = KeyManagerGetWorkerPrivateKeys{}
	m.MinConfigVersion = r.Int32()
	return r.Err()
}

// KeyManagerGetProxyPrivateKeys is the TL function
// keyManager.getProxyPrivateKeys.
//
//	keyManager.getProxyPrivateKeys min_config_version:int = keyManager.PrivateKeys
type KeyManagerGetProxyPrivateKeys struct {
	MinConfigVersion int32
}

// TLID returns the constructor id of keyManager.getProxyPrivateKeys.
func (*KeyManagerGetProxyPrivateKeys) TLID() uint32 { return 0x47a9c2de }

// MarshalTL writes the body of keyManager.getProxyPrivateKeys.
func (m *KeyManagerGetProxyPrivateKeys) MarshalTL(w *Writer) {
	w.Int32(m.MinConfigVersion)
}

// UnmarshalTL reads the body of keyManager.getProxyPrivateKeys.
func (m *KeyManagerGetProxyPrivateKeys) UnmarshalTL(r *Reader) error {
	*m = KeyManagerGetProxyPrivateKeys{}
	m.MinConfigVersion = r.Int32()
	return r.Err()
}
