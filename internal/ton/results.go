package ton

import (
	"fmt"
	"math/big"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

// IntResult returns get-method result i as an integer.
func IntResult(res []any, i int) (*big.Int, error) {
	if i < 0 || i >= len(res) {
		return nil, fmt.Errorf("result %d of %d", i, len(res))
	}
	v, ok := res[i].(*big.Int)
	if !ok {
		return nil, fmt.Errorf("result %d is %T, want an integer", i, res[i])
	}
	return v, nil
}

// SliceResult returns get-method result i as a slice (addresses come as
// slices).
func SliceResult(res []any, i int) (*cell.Slice, error) {
	if i < 0 || i >= len(res) {
		return nil, fmt.Errorf("result %d of %d", i, len(res))
	}
	switch v := res[i].(type) {
	case *cell.Slice:
		return v.Copy(), nil
	case *cell.Cell:
		return v.BeginParse()
	}
	return nil, fmt.Errorf("result %d is %T, want a slice", i, res[i])
}
