-- A submission claims the staged documents it references before it starts
-- its practice: two concurrent submissions sharing one document cannot both
-- take it (the second is refused with attachment.in_use).
ALTER TABLE attachment ADD COLUMN claim_key text;
