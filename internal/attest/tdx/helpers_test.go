package tdx

import (
	"github.com/google/go-tdx-guest/pcs"
	"github.com/google/go-tdx-guest/verify"
)

func libErrCollateralNil() error { return verify.ErrCollateralNil }

func statusOf(s string) pcs.TcbComponentStatus { return pcs.TcbComponentStatus(s) }
