package liteclient

// OfflineClient is offlineClient for the external tests, which run a
// devnet (whose nodes import this package).
var OfflineClient = offlineClient
