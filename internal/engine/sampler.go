package engine

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// sampler picks the next token from logits: the most likely one when the
// temperature is zero, otherwise a draw from the temperature-scaled
// distribution, restricted to the nucleus of mass topP when topP < 1.
// Its buffers are reused from token to token.
type sampler struct {
	temperature float32
	topP        float32
	rng         *rand.Rand
	probs       []float32
	cand        []int32
}

func newSampler(vocab int, temperature, topP float32, seed uint64) *sampler {
	return &sampler{
		temperature: temperature,
		topP:        topP,
		rng:         rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		probs:       make([]float32, vocab),
		cand:        make([]int32, 0, vocab),
	}
}

func (s *sampler) sample(logits []float32) int {
	if s.temperature <= 0 {
		return argmax(logits)
	}
	maxL := logits[argmax(logits)]
	var sum float32
	inv := 1 / s.temperature
	for i, l := range logits {
		p := float32(math.Exp(float64((l - maxL) * inv)))
		s.probs[i] = p
		sum += p
	}
	for i := range s.probs {
		s.probs[i] /= sum
	}
	r := s.rng.Float32()
	if s.topP <= 0 || s.topP >= 1 {
		var cdf float32
		for i, p := range s.probs {
			cdf += p
			if r < cdf {
				return i
			}
		}
		return len(s.probs) - 1
	}
	// Tokens below this probability cannot be in the nucleus, so they
	// need not be sorted.
	cutoff := (1 - s.topP) / float32(len(s.probs)-1)
	s.cand = s.cand[:0]
	for i, p := range s.probs {
		if p >= cutoff {
			s.cand = append(s.cand, int32(i))
		}
	}
	slices.SortFunc(s.cand, func(a, b int32) int { return cmp.Compare(s.probs[b], s.probs[a]) })
	var mass float32
	last := len(s.cand) - 1
	for i, id := range s.cand {
		mass += s.probs[id]
		if mass > s.topP {
			last = i
			break
		}
	}
	r *= mass
	var cdf float32
	for _, id := range s.cand[:last+1] {
		cdf += s.probs[id]
		if r < cdf {
			return int(id)
		}
	}
	return int(s.cand[last])
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
