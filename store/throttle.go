package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// LoginBlock is the longest block among some throttling keys.
type LoginBlock struct {
	Key   string
	Until time.Time
}

// LoginBlocked returns the key among keys blocked the longest, if any is
// blocked now.
func (s *Store) LoginBlocked(ctx context.Context, keys []string) (LoginBlock, bool, error) {
	var b LoginBlock
	err := s.DB.NewRaw(`SELECT key, blocked_until FROM login_throttle
WHERE key IN (?) AND blocked_until > now() ORDER BY blocked_until DESC LIMIT 1`, bun.In(keys)).Scan(ctx, &b.Key, &b.Until)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	return b, err == nil, err
}

// RecordLoginFailure counts a failure for key (a counter whose last failure
// is older than window starts again at 1), blocks the key for delay(n)
// after the n-th failure and returns n.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, window time.Duration, delay func(n int) time.Duration) (int, error) {
	var n int
	err := s.DB.NewRaw(`INSERT INTO login_throttle (key, failures, last_failure) VALUES (?, 1, now())
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN login_throttle.last_failure < now() - ?::interval THEN 1 ELSE login_throttle.failures + 1 END,
    last_failure = now()
RETURNING failures`, key, window.String()).Scan(ctx, &n)
	if err != nil {
		return 0, err
	}
	if d := delay(n); d > 0 {
		_, err = s.DB.NewRaw(`UPDATE login_throttle SET blocked_until = now() + ?::interval WHERE key = ?`, d.String(), key).Exec(ctx)
	}
	return n, err
}

// ResetLoginFailures forgets the counters of keys (after a good login).
func (s *Store) ResetLoginFailures(ctx context.Context, keys ...string) error {
	_, err := s.DB.NewRaw(`DELETE FROM login_throttle WHERE key IN (?)`, bun.In(keys)).Exec(ctx)
	return err
}
