package client

import (
	"log/slog"
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func TestMain(m *testing.M) { sharedtest.VerifyTestMain(m) }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
