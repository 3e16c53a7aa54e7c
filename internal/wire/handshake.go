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
	if err := ServePoW(ctx, raw, difficulty); err != nil {
		raw.Close()
		return nil, err
	}
	c := tls.Server(raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS server handshake: %w", err)
	}
	return c, nil
}

// ClientHandshake opens a connection as the reference's router does: it
// solves the server's proof of work (refusing a difficulty above
// maxDifficulty), then runs a TLS client handshake with cfg. ctx bounds
// both steps. On failure raw is closed.
func ClientHandshake(ctx context.Context, raw net.Conn, cfg *tls.Config, maxDifficulty int) (*tls.Conn, error) {
	if err := SolvePoW(ctx, raw, maxDifficulty); err != nil {
		raw.Close()
		return nil, err
	}
	c := tls.Client(raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS client handshake: %w", err)
	}
	return c, nil
}
