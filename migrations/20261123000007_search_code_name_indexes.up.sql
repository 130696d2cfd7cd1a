-- A search by surname and exemption code (alone or with more filters) found
-- its rows on the name indexes and tested the code on every entry of the
-- surname's range: at regional scale a common surname prefix ("FERR") has
-- a hundred thousand exemptions, and the count (up to 1000 matches) walked
-- them all (docs/BENCHMARKS.md). These indexes start at the code, so the
-- walk covers that code's entries only, in the same name order. Built
-- CONCURRENTLY: the tables stay writable meanwhile (an invalid index left by
-- an interrupted build is dropped first).
DO $$
DECLARE
    name text;
BEGIN
    -- A build interrupted earlier leaves an invalid index that IF NOT
    -- EXISTS would keep for ever: drop it and build again.
    FOR name IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE NOT i.indisvalid
                  AND c.relname IN ('exemption_code_name', 'practice_todo_code_name', 'practice_closed_code_name')
    LOOP
        EXECUTE format('DROP INDEX %I', name);
    END LOOP;
END $$;
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS exemption_code_name ON exemption
    (exemption_code, beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", issued_on DESC, id DESC)
    INCLUDE (state);
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_todo_code_name ON practice
    (asl_code, exemption_code, beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", created_at DESC, number DESC)
    INCLUDE (state, beneficiary_fc) WHERE state IN ('INVIATA', 'IN_LAVORAZIONE');
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_closed_code_name ON practice
    (asl_code, exemption_code, beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", created_at DESC, number DESC)
    INCLUDE (state, beneficiary_fc) WHERE state IN ('ANNULLATA', 'RESPINTA', 'VALIDATA');
