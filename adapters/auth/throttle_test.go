package auth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestThrottleDelay(t *testing.T) {
	p := Throttle{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute}
	for n, want := range map[int]time.Duration{
		0: 0, 1: 0, 5: 0,
		6: 2 * time.Second, 7: 4 * time.Second, 8: 8 * time.Second, 10: 32 * time.Second,
		14: 512 * time.Second, 15: 15 * time.Minute, 100: 15 * time.Minute, 1 << 20: 15 * time.Minute,
	} {
		assert.Equal(t, want, p.Delay(n), "failure %d", n)
	}
	// Delays never shrink as failures grow.
	for _, q := range []Throttle{ThrottleAccountAddress, ThrottleAddress, ThrottleAccount} {
		prev := time.Duration(0)
		for n := 0; n < 200; n++ {
			d := q.Delay(n)
			assert.GreaterOrEqual(t, d, prev)
			assert.LessOrEqual(t, d, q.Max)
			prev = d
		}
	}
}
