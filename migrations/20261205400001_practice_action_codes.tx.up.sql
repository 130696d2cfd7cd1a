-- Practice actions are stored in Italian, like every other stored code
-- (practice.Action): the cronologia's rows take the new codes.
-- audit_log rows are append-only and are not rewritten: rows written before
-- this migration keep the English code in detail->>'azione' (SUBMIT, TAKE,
-- VALIDATE, REJECT, CANCEL, NOTE); practice.Action.Canonical maps them.
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
UPDATE practice_event SET action = practice_action_current(action)
    WHERE action IN ('SUBMIT', 'TAKE', 'VALIDATE', 'REJECT', 'CANCEL', 'NOTE');

-- Workers of the previous release still write the English codes during a
-- rolling update: they are stored with the new ones. The next release drops
-- this trigger and both functions.
CREATE FUNCTION practice_event_legacy_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.action := practice_action_current(NEW.action);
    RETURN NEW;
END $$;
CREATE TRIGGER practice_event_legacy_action BEFORE INSERT OR UPDATE OF action ON practice_event
    FOR EACH ROW EXECUTE FUNCTION practice_event_legacy_action();
