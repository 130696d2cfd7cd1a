-- When a practice entered its current state (the submission for INVIATA):
-- how long it has been waiting, for the SLA notice and the supervisors'
-- queries. Filled from the cronologia for existing rows.
ALTER TABLE practice ADD COLUMN state_since timestamptz;
UPDATE practice p SET state_since = coalesce(
    (SELECT max(e.at) FROM practice_event e WHERE e.practice_number = p.number AND e.action <> 'NOTE'),
    p.created_at);
ALTER TABLE practice ALTER COLUMN state_since SET NOT NULL;
ALTER TABLE practice ALTER COLUMN state_since SET DEFAULT now();
CREATE INDEX practice_open_state_since ON practice (asl_code, state_since)
    WHERE state IN ('INVIATA', 'IN_LAVORAZIONE');
