package engine

import (
	"math"
)

// state is the working memory of one sequence: activations and the KV
// cache. It is allocated once per sequence, and the cache doubles when it
// fills, so that generating a token allocates nothing in the common case.
type state struct {
	x, xb, xb2   []float32 // Dim
	q            []float32 // Dim
	k, v         []float32 // KVHeads*HeadDim
	hb, hb2      []float32 // FFN
	att          []float32 // one score per cached position
	logits       []float32 // Vocab
	cos, sin     []float32 // RopeDim/2
	invFreq      []float32 // RopeDim/2
	keys, values [][]float32
	kvDim        int
	capacity     int // positions the cache holds now
	limit        int // positions the cache may grow to
}

// initialPositions is the cache a sequence starts with when it may grow
// larger, so that a long context costs memory only when it is used.
const initialPositions = 256

func newState(cfg Config, limit int) *state {
	kvDim := cfg.KVHeads * cfg.HeadDim
	capacity := min(limit, initialPositions)
	s := &state{
		x: make([]float32, cfg.Dim), xb: make([]float32, cfg.Dim), xb2: make([]float32, cfg.Dim),
		q: make([]float32, cfg.Dim), k: make([]float32, kvDim), v: make([]float32, kvDim),
		hb: make([]float32, cfg.FFN), hb2: make([]float32, cfg.FFN),
		att: make([]float32, capacity), logits: make([]float32, cfg.Vocab),
		cos: make([]float32, cfg.RopeDim/2), sin: make([]float32, cfg.RopeDim/2),
		invFreq:  make([]float32, cfg.RopeDim/2),
		keys:     make([][]float32, cfg.Layers),
		values:   make([][]float32, cfg.Layers),
		kvDim:    kvDim,
		capacity: capacity,
		limit:    limit,
	}
	for i := range s.invFreq {
		s.invFreq[i] = float32(1 / math.Pow(float64(cfg.RopeTheta), float64(2*i)/float64(cfg.RopeDim)))
	}
	for l := range s.keys {
		s.keys[l] = make([]float32, capacity*kvDim)
		s.values[l] = make([]float32, capacity*kvDim)
	}
	return s
}

// grow makes room in the cache for position pos.
func (s *state) grow(pos int) {
	if pos < s.capacity {
		return
	}
	c := min(max(2*s.capacity, pos+1), max(s.limit, pos+1))
	for l := range s.keys {
		k := make([]float32, c*s.kvDim)
		copy(k, s.keys[l])
		s.keys[l] = k
		v := make([]float32, c*s.kvDim)
		copy(v, s.values[l])
		s.values[l] = v
	}
	s.att = make([]float32, c)
	s.capacity = c
}

// forward runs token at position pos through the model, filling the KV
// cache, and computes the next-token logits when wantLogits is set. When
// par is set, large matrix products are split in parts over it.
func (m *Model) forward(s *state, token, pos int, wantLogits bool, par *pool, parts int) {
	cfg := &m.cfg
	dim, hd := cfg.Dim, cfg.HeadDim
	kvDim := cfg.KVHeads * hd
	group := cfg.Heads / cfg.KVHeads
	s.grow(pos)
	copy(s.x, m.embed[token*dim:(token+1)*dim])

	for i, f := range s.invFreq {
		a := float64(pos) * float64(f)
		s.cos[i] = float32(math.Cos(a))
		s.sin[i] = float32(math.Sin(a))
	}
	scale := float32(1 / math.Sqrt(float64(hd)))

	for li := range m.layers {
		l := &m.layers[li]
		rmsNorm(s.xb, s.x, l.attnNorm, cfg.NormEps)
		matVecPar(par, parts, s.q, l.wq, s.xb)
		matVecPar(par, parts, s.k, l.wk, s.xb)
		matVecPar(par, parts, s.v, l.wv, s.xb)
		if l.bq != nil {
			add(s.q, l.bq)
		}
		if l.bk != nil {
			add(s.k, l.bk)
		}
		if l.bv != nil {
			add(s.v, l.bv)
		}
		rot := rope
		if cfg.RopeNeoX {
			rot = ropeNeoX
		}
		for h := 0; h < cfg.Heads; h++ {
			rot(s.q[h*hd:h*hd+cfg.RopeDim], s.cos, s.sin)
		}
		for h := 0; h < cfg.KVHeads; h++ {
			rot(s.k[h*hd:h*hd+cfg.RopeDim], s.cos, s.sin)
		}
		keys, values := s.keys[li], s.values[li]
		copy(keys[pos*kvDim:], s.k)
		copy(values[pos*kvDim:], s.v)

		for h := 0; h < cfg.Heads; h++ {
			q := s.q[h*hd : (h+1)*hd]
			off := (h / group) * hd
			att := s.att[:pos+1]
			maxScore := float32(math.Inf(-1))
			for t := range att {
				k := keys[t*kvDim+off : t*kvDim+off+hd]
				sc := dot(q, k) * scale
				att[t] = sc
				if sc > maxScore {
					maxScore = sc
				}
			}
			var sum float32
			for t, a := range att {
				e := float32(math.Exp(float64(a - maxScore)))
				att[t] = e
				sum += e
			}
			out := s.xb2[h*hd : (h+1)*hd]
			clear(out)
			inv := 1 / sum
			for t, a := range att {
				axpy(out, values[t*kvDim+off:t*kvDim+off+hd], a*inv)
			}
		}
		matVecPar(par, parts, s.xb, l.wo, s.xb2)
		add(s.x, s.xb)

		rmsNorm(s.xb, s.x, l.ffnNorm, cfg.NormEps)
		matVecPar(par, parts, s.hb, l.wGate, s.xb)
		matVecPar(par, parts, s.hb2, l.wUp, s.xb)
		for i, g := range s.hb {
			s.hb[i] = g / (1 + float32(math.Exp(float64(-g)))) * s.hb2[i]
		}
		matVecPar(par, parts, s.xb, l.wDown, s.hb)
		add(s.x, s.xb)
	}
	if !wantLogits {
		return
	}
	rmsNorm(s.xb, s.x, m.outNorm, cfg.NormEps)
	matVecPar(par, parts, s.logits, m.output, s.xb)
}

// rmsNorm writes x normalised by its root mean square and scaled by w.
func rmsNorm(dst, x, w []float32, eps float32) {
	ss := dot(x, x)/float32(len(x)) + eps
	inv := float32(1 / math.Sqrt(float64(ss)))
	w = w[:len(x)]
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = v * inv * w[i]
	}
}

// rope rotates consecutive pairs of x by the position's angles.
func rope(x, cos, sin []float32) {
	for i := range cos {
		a, b := x[2*i], x[2*i+1]
		c, s := cos[i], sin[i]
		x[2*i] = a*c - b*s
		x[2*i+1] = a*s + b*c
	}
}

// ropeNeoX rotates dimension i of x with dimension i+len(x)/2.
func ropeNeoX(x, cos, sin []float32) {
	half := len(cos)
	for i := range cos {
		a, b := x[i], x[i+half]
		c, s := cos[i], sin[i]
		x[i] = a*c - b*s
		x[i+half] = a*s + b*c
	}
}

// matVec computes dst = W·x for a row-major W of len(dst) rows.
func matVec(dst, w, x []float32) {
	n := len(x)
	for i := range dst {
		dst[i] = dot(w[i*n:(i+1)*n], x)
	}
}

// dot is the inner product of two equal-length vectors, with four
// independent accumulators so that the additions pipeline.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds a·x to y.
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// add adds x to y.
func add(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}
