package engine

import (
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
)

func TestPoolRunsEveryPiece(t *testing.T) {
	p := newPool(3)
	defer p.close()
	for _, n := range []int{1, 2, 7, 100} {
		var hits [100]atomic.Int32
		p.run(n, func(i int) { hits[i].Add(1) })
		for i := range n {
			if got := hits[i].Load(); got != 1 {
				t.Errorf("run(%d): piece %d ran %d times, want 1", n, i, got)
			}
		}
	}
}

func TestMatVecParMatchesMatVec(t *testing.T) {
	p := newPool(3)
	defer p.close()
	rng := rand.New(rand.NewPCG(1, 2))
	rows, cols := 301, 300 // large enough to be split, not evenly
	w, x := make([]float32, rows*cols), make([]float32, cols)
	for i := range w {
		w[i] = rng.Float32() - 0.5
	}
	for i := range x {
		x[i] = rng.Float32() - 0.5
	}
	want, got := make([]float32, rows), make([]float32, rows)
	matVec(want, w, x)
	matVecPar(p, 4, got, w, x)
	if !reflect.DeepEqual(got, want) {
		t.Error("shared-out product differs from the plain one")
	}
}
