-- Practice actions are stored in Italian, like every other stored code
-- (practice.Action): the cronologia's rows take the new codes.
-- audit_log rows are append-only and are not rewritten: rows written before
-- this migration keep the English code in detail->>'azione' (SUBMIT, TAKE,
-- VALIDATE, REJECT, CANCEL, NOTE), and the audit export shows them as stored.
CREATE FUNCTION practice_action_current(action text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE action
        WHEN 'SUBMIT' THEN 'INVIO'
        WHEN 'TAKE' THEN 'PRESA_IN_CARICO'
        WHEN 'VALIDATE' THEN 'VALIDAZIONE'
        WHEN 'REJECT' THEN 'RESPINGIMENTO'
        WHEN 'CANCEL' THEN 'ANNULLAMENTO'
        WHEN 'NOTE' THEN 'NOTA'
        ELSE action
    END
$$;

-- Workers of the previous release still write the English codes during a
-- rolling update: they are stored with the new ones. The trigger comes
-- before the rewrite: creating it locks out writers until this transaction
-- commits, so no row committed during the rewrite escapes both. The next
-- release drops this trigger and both functions.
CREATE FUNCTION practice_event_legacy_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.action := practice_action_current(NEW.action);
    RETURN NEW;
END $$;
CREATE TRIGGER practice_event_legacy_action BEFORE INSERT OR UPDATE OF action ON practice_event
    FOR EACH ROW EXECUTE FUNCTION practice_event_legacy_action();

UPDATE practice_event SET action = practice_action_current(action)
    WHERE action IN ('SUBMIT', 'TAKE', 'VALIDATE', 'REJECT', 'CANCEL', 'NOTE');
