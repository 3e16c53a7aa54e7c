package ton

import (
	"fmt"
	"math/big"
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
