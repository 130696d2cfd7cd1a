-- The ID of the HTTP request that wrote an audit row (X-Request-Id, random:
-- no personal data), to join the row to the access log and the Temporal
-- calls of the same request. A column of its own: the detail holds only the
-- facts of the action.
ALTER TABLE audit_log ADD COLUMN request_id text;
