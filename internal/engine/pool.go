package engine

import "sync"

// pool is a team of helper goroutines that share out the pieces of one
// job with the goroutine that asks for it: the steps of the sequences of
// one scheduling round, or the rows of one large matrix product.
//
// The helpers are started by newPool and stopped by close, which waits
// for them; run must not be called concurrently with close.
type pool struct {
	tasks chan poolTask // closed by close
	wg    sync.WaitGroup
}

type poolTask struct {
	f    func(int)
	i    int
	done *sync.WaitGroup
}

// newPool starts helpers goroutines.
func newPool(helpers int) *pool {
	p := &pool{tasks: make(chan poolTask, helpers)}
	p.wg.Add(helpers)
	for range helpers {
		go func() {
			defer p.wg.Done()
			for t := range p.tasks {
				t.f(t.i)
				t.done.Done()
			}
		}()
	}
	return p
}

// run calls f(0) … f(n-1) on the helpers and the calling goroutine and
// returns when all have returned. f must not call run.
func (p *pool) run(n int, f func(int)) {
	var done sync.WaitGroup
	done.Add(n)
	for i := 1; i < n; i++ {
		select {
		case p.tasks <- poolTask{f: f, i: i, done: &done}:
		default:
			// Every helper is busy: do it here.
			f(i)
			done.Done()
		}
	}
	f(0)
	done.Done()
	done.Wait()
}

func (p *pool) close() {
	close(p.tasks)
	p.wg.Wait()
}

// splitRows is the smallest matrix product, in multiply-adds, worth
// sharing out: below it the hand-off costs more than it saves.
const splitRows = 1 << 16

// matVecPar computes dst = W·x like matVec, sharing the rows out over p
// when p is set and the product is large.
func matVecPar(p *pool, parts int, dst, w, x []float32) {
	if p == nil || len(dst)*len(x) < splitRows {
		matVec(dst, w, x)
		return
	}
	n := len(x)
	chunk := (len(dst) + parts - 1) / parts
	p.run(parts, func(i int) {
		lo := min(i*chunk, len(dst))
		hi := min(lo+chunk, len(dst))
		matVec(dst[lo:hi], w[lo*n:hi*n], x)
	})
}
