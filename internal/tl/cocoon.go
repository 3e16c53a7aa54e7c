package tl

// Constructors of cocoon-go's own, outside the reference schema, are
// declared in cocoon.tl and generated into zz_cocoon_generated.go.
//
// They are sent only to a peer that said it is a cocoon-go node: such a
// node sets ExtFlag in the flags word of its params (client.params and
// worker.params from clients and workers, proxy.params from the proxy).
// The reference reads only the flag bits it knows in those words and
// ignores this one, so a reference peer sees the protocol unchanged and
// never receives one of these constructors.
//
// Besides cancelling a request (cocoon.cancelQuery), they route by
// endpoint. The reference routes by model alone and its workers serve the
// two completion endpoints; a cocoon-go worker declares the endpoints its
// engine serves (and the rate at which it bills audio seconds) to a
// cocoon-go proxy during its handshake (cocoon.workerEndpoints), and a
// cocoon-go client asks a cocoon-go proxy which endpoints each model
// offers (cocoon.getModelEndpoints).

// ExtFlag is the params flag bit by which a cocoon-go node announces that
// it understands the constructors of cocoon.tl.
const ExtFlag = 1 << 30
