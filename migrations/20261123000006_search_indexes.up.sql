-- Searches at regional scale (millions of practices and exemptions) read an
-- index only and stop after a page: measured by `esenzioni bench` (search),
-- see docs/BENCHMARKS.md. Built CONCURRENTLY (no transaction, one
-- statement at a time): a live region's tables stay writable meanwhile.
--
-- Practices: every operator search is inside one tab ("da fare" or
-- "chiuse") and, for ASL operators, one ASL. One partial index per tab and
-- access path: in creation order (the list, dates, states), by exemption
-- code, by name (a search by surname lists by name, then newest first). The
-- included columns let the other filters be tested on the index entry,
-- without reading the table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_todo_list ON practice (asl_code, created_at DESC, number DESC)
    INCLUDE (state, exemption_code, beneficiary_fc) WHERE state IN ('INVIATA', 'IN_LAVORAZIONE');
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_closed_list ON practice (asl_code, created_at DESC, number DESC)
    INCLUDE (state, exemption_code, beneficiary_fc) WHERE state IN ('ANNULLATA', 'RESPINTA', 'VALIDATA');
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_todo_code ON practice (asl_code, exemption_code, created_at DESC, number DESC)
    INCLUDE (state) WHERE state IN ('INVIATA', 'IN_LAVORAZIONE');
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_closed_code ON practice (asl_code, exemption_code, created_at DESC, number DESC)
    INCLUDE (state) WHERE state IN ('ANNULLATA', 'RESPINTA', 'VALIDATA');
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_todo_name ON practice
    (asl_code, beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", created_at DESC, number DESC)
    INCLUDE (state, exemption_code, beneficiary_fc) WHERE state IN ('INVIATA', 'IN_LAVORAZIONE');
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS practice_closed_name ON practice
    (asl_code, beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", created_at DESC, number DESC)
    INCLUDE (state, exemption_code, beneficiary_fc) WHERE state IN ('ANNULLATA', 'RESPINTA', 'VALIDATA');

-- Exemptions: the search needs a surname (or a fiscal code) and lists by
-- name, then newest issue first, which this index gives in order (byte
-- order: names are stored in capitals). Expired and annulled exemptions,
-- a few per cent, have their own, so that a search for them does not walk
-- the valid ones.
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS exemption_name_order ON exemption
    (beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", issued_on DESC, id DESC)
    INCLUDE (state, exemption_code);
--bun:split
CREATE INDEX CONCURRENTLY IF NOT EXISTS exemption_name_order_closed ON exemption
    (beneficiary_last_name COLLATE "C", beneficiary_first_name COLLATE "C", issued_on DESC, id DESC)
    INCLUDE (state, exemption_code) WHERE state <> 'VALIDA';
--bun:split
DROP INDEX CONCURRENTLY IF EXISTS exemption_last_name;
