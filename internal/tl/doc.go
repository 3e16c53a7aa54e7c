// Package tl owns the TL encoding used by COCOON (the TON flavour of TL) and
// one Go type for every constructor of the COCOON schema that the client,
// proxy and worker roles exchange or store.
//
// The encoding: int and long are little-endian 32 and 64 bit integers;
// double is an IEEE 754 float64 in little-endian order; bytes and string
// carry a 1-byte length (or 0xfe followed by a 3-byte length) and are
// padded with zeros to a multiple of 4 bytes; int128 and int256 are raw;
// Bool is one of the constructors boolTrue and boolFalse; a vector written
// as (vector t) is a 32-bit count followed by the elements; flags:# is a
// 32-bit word whose bits say which conditional fields follow.
//
// A boxed object starts with its constructor id, the CRC32 (IEEE) of its
// declaration, or the explicit #id where the schema gives one. A type whose
// name starts with a lower-case letter in a field (tokensUsed, proxy.params)
// is bare: its body is written without the id. Fields of a boxed type with
// several constructors are small sealed interfaces (ProxySignedPaymentT,
// ClientProxyConnectionAuth, RootConfigConfig).
//
// Every constructor is a pointer type implementing Object. Marshal and
// AppendBoxed write id and body; Unmarshal decodes any registered boxed
// object and UnmarshalAs an expected one. Decoding never panics and never
// allocates more than a small multiple of its input; []byte fields of a
// decoded object alias the input, which the caller must leave unchanged
// while it uses the object.
//
// The codec is hand-written rather than taken from tonutils-go: that
// library is reserved to the ton, payment and store packages, and its
// reflection-based encoder is too slow for the answer parts the proxy
// forwards thousands of times per second.
package tl
