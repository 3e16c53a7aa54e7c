package wire

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
)

// ServerHandshake accepts a connection as the reference's router does:
// proof of work at the given difficulty, then a TLS server handshake with
// cfg (which carries the attestation checks). ctx bounds both steps. On
// failure raw is closed.
func ServerHandshake(ctx context.Context, raw net.Conn, cfg *tls.Config, difficulty int) (*tls.Conn, error) {
	return handshake(ctx, raw, ServePoW(ctx, raw, difficulty), tls.Server(raw, cfg), "server")
}

// ClientHandshake opens a connection as the reference's router does: it
// solves the server's proof of work (refusing a difficulty above
// maxDifficulty), then runs a TLS client handshake with cfg. ctx bounds
// both steps. On failure raw is closed.
func ClientHandshake(ctx context.Context, raw net.Conn, cfg *tls.Config, maxDifficulty int) (*tls.Conn, error) {
	return handshake(ctx, raw, SolvePoW(ctx, raw, maxDifficulty), tls.Client(raw, cfg), "client")
}

// handshake finishes either side's handshake once the proof of work is
// done (powErr nil): the TLS handshake of c, on raw, as side. On failure
// raw is closed.
func handshake(ctx context.Context, raw net.Conn, powErr error, c *tls.Conn, side string) (*tls.Conn, error) {
	if powErr != nil {
		raw.Close()
		return nil, powErr
	}
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS %s handshake: %w", side, err)
	}
	return c, nil
}
