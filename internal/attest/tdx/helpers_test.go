package tdx

import (
	"github.com/google/go-tdx-guest/pcs"
	"github.com/google/go-tdx-guest/verify"
)

func libErrTcbInfoExpired() error { return verify.ErrTcbInfoExpired }

func statusOf(s string) pcs.TcbComponentStatus { return pcs.TcbComponentStatus(s) }
