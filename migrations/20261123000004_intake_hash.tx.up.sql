-- The hash of the request that first used an idempotency key: the same key
-- with another request is refused instead of answered with the first one.
ALTER TABLE intake_request ADD COLUMN request_hash bytea;
