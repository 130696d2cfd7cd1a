-- The domain gauges of /metrics (package metrics) read, every 30 seconds,
-- the exemptions waiting for their registry publication and the reminder
-- emails not sent yet: a handful of rows among millions. Partial indexes
-- hold exactly those rows, so the readings cost a few index pages instead
-- of a scan of 5 million exemptions. Built CONCURRENTLY: the tables stay
-- writable meanwhile (an invalid index left by an interrupted build is
-- dropped first).
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE NOT i.indisvalid
                  AND c.relname IN ('exemption_publication_pending', 'email_outbox_sending')
    LOOP
        EXECUTE format('DROP INDEX %I', name);
    END LOOP;
END $$;
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS exemption_publication_pending ON exemption (updated_at)
    WHERE publication_state = 'PENDING';
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS email_outbox_sending ON email_outbox (created_at)
    WHERE state = 'SENDING';
