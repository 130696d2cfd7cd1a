-- Audit rows written by the worker together with the change they record
-- (same transaction) carry the key of that change, so that a retried write
-- records it once.
ALTER TABLE audit_log ADD COLUMN source_key text;
CREATE UNIQUE INDEX audit_log_source_key ON audit_log (source_key) WHERE source_key IS NOT NULL;
