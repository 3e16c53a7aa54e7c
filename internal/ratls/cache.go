package ratls

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// cache remembers validated quotes by SHA-256(quote) for a TTL, holding at
// most size entries and evicting the least recently used. Unlike the
// reference's cache, entries expire, so revoked TCB levels and expired
// collateral are rechecked.
type cache struct {
	ttl  time.Duration
	size int

	// mu guards lru and byKey.
	mu    sync.Mutex
	lru   *list.List // of *cacheEntry, most recently used first
	byKey map[[32]byte]*list.Element
}

type cacheEntry struct {
	key     [32]byte
	m       attest.Measurements
	expires time.Time
}

func newCache(ttl time.Duration, size int) *cache {
	return &cache{ttl: ttl, size: size, lru: list.New(), byKey: make(map[[32]byte]*list.Element)}
}

func quoteKey(quote []byte) [32]byte { return sha256.Sum256(quote) }

// get returns the measurements cached for key if they have not expired at now.
func (c *cache) get(key [32]byte, now time.Time) (attest.Measurements, bool) {
	if c.size <= 0 {
		return attest.Measurements{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return attest.Measurements{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.lru.Remove(el)
		delete(c.byKey, key)
		return attest.Measurements{}, false
	}
	c.lru.MoveToFront(el)
	return e.m, true
}

func (c *cache) put(key [32]byte, m attest.Measurements, now time.Time) {
	if c.size <= 0 || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*cacheEntry)
		e.m, e.expires = m, now.Add(c.ttl)
		c.lru.MoveToFront(el)
		return
	}
	for c.lru.Len() >= c.size {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.byKey, oldest.Value.(*cacheEntry).key)
	}
	c.byKey[key] = c.lru.PushFront(&cacheEntry{key: key, m: m, expires: now.Add(c.ttl)})
}
