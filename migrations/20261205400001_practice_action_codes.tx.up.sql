-- Practice actions are stored in Italian, like every other stored code
-- (practice.Action): the cronologia's rows take the new codes.
-- audit_log rows are append-only and are not rewritten: rows written before
-- this migration keep the English code in detail->>'azione' (SUBMIT, TAKE,
-- VALIDATE, REJECT, CANCEL, NOTE); practice.Action.Canonical maps them.
-- A worker of the previous release may still write an English code during a
-- rolling update; the nightly reconciliation rewrites such rows (the
-- workflow's record has the current codes).
UPDATE practice_event SET action = CASE action
    WHEN 'SUBMIT' THEN 'INVIO'
    WHEN 'TAKE' THEN 'PRESA_IN_CARICO'
    WHEN 'VALIDATE' THEN 'VALIDAZIONE'
    WHEN 'REJECT' THEN 'RESPINGIMENTO'
    WHEN 'CANCEL' THEN 'ANNULLAMENTO'
    WHEN 'NOTE' THEN 'NOTA'
END
WHERE action IN ('SUBMIT', 'TAKE', 'VALIDATE', 'REJECT', 'CANCEL', 'NOTE');
