package worker

import (
	"testing"

	"github.com/cocoon-go/cocoon/internal/sharedtest"
)

func TestMain(m *testing.M) { sharedtest.VerifyTestMain(m) }
