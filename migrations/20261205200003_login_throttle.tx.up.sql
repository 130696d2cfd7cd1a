-- Login throttling (growing delays instead of a lock anyone could trigger):
-- one counter per key, "pair:<username>|<address>", "addr:<address>" or
-- "acct:<username>". See auth.Throttle and docs/SECURITY.
CREATE TABLE login_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    last_failure  timestamptz NOT NULL,
    blocked_until timestamptz
);
