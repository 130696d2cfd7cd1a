-- The partial indexes of the metrics (20261205120000) on the new states.
-- Built CONCURRENTLY (no transaction, one statement per split): an index
-- left invalid by an interrupted build is dropped first.
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE NOT i.indisvalid
                  AND c.relname IN ('exemption_publication_waiting', 'email_outbox_in_invio')
    LOOP
        EXECUTE format('DROP INDEX %I', name);
    END LOOP;
END $$;
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS exemption_publication_waiting ON exemption (updated_at)
    WHERE publication_state = 'IN_ATTESA';
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS email_outbox_in_invio ON email_outbox (created_at)
    WHERE state = 'IN_INVIO';
--bun:split
DROP INDEX CONCURRENTLY IF EXISTS exemption_publication_pending;
--bun:split
DROP INDEX CONCURRENTLY IF EXISTS email_outbox_sending;
