package store

import (
	"sync"
	"time"
)

// catalogTTL bounds how stale a cached catalogue answer may be. The
// catalogue changes only by import (which clears the cache of its own
// process); other processes see the change within this time.
const catalogTTL = time.Minute

// catalogCache keeps catalogue look-ups (codes, diagnoses, ASL) that every
// submission repeats. Only positive and "not found" answers are kept, never
// errors.
type catalogCache struct {
	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	value   any
	err     error // nil or ErrNotFound
	expires time.Time
}

func (c *catalogCache) get(key string, load func() (any, error)) (any, error) {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[key]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		return e.value, e.err
	}
	c.mu.Unlock()
	v, err := load()
	if err != nil && err != ErrNotFound {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 50000 {
		c.m = map[string]cached{}
	}
	c.m[key] = cached{value: v, err: err, expires: now.Add(catalogTTL)}
	c.mu.Unlock()
	return v, err
}
