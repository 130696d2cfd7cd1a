-- The partial indexes of the metrics (20261205120000) on the new states.
-- Built CONCURRENTLY (no transaction, one statement per split); an index
-- a run interrupted midway left behind, valid or not, is built again.
DROP INDEX CONCURRENTLY IF EXISTS exemption_publication_waiting;
--bun:split
CREATE INDEX CONCURRENTLY exemption_publication_waiting ON exemption (updated_at)
    WHERE publication_state = 'IN_ATTESA';
--bun:split
DROP INDEX CONCURRENTLY IF EXISTS email_outbox_in_invio;
--bun:split
CREATE INDEX CONCURRENTLY email_outbox_in_invio ON email_outbox (created_at)
    WHERE state = 'IN_INVIO';
--bun:split
DROP INDEX CONCURRENTLY IF EXISTS exemption_publication_pending;
--bun:split
DROP INDEX CONCURRENTLY IF EXISTS email_outbox_sending;
