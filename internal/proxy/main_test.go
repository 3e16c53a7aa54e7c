package proxy

import (
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func TestMain(m *testing.M) { sharedtest.VerifyTestMain(m) }

// testRootVersion is the root config version test proxies run under: the
// reference's fake-TON config's.
const testRootVersion = 3
