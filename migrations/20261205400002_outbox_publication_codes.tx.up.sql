-- The email outbox's states and the exemptions' publication states are
-- stored in Italian, like every other stored code: SENDING/SENT become
-- IN_INVIO/INVIATA (store.EmailSending, store.EmailSent), PENDING/PUBLISHED
-- become IN_ATTESA/PUBBLICATA (store.PublicationPending, store.PublicationDone).
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_state_check;
UPDATE email_outbox SET state = CASE state WHEN 'SENDING' THEN 'IN_INVIO' ELSE 'INVIATA' END
    WHERE state IN ('SENDING', 'SENT');
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_state_check CHECK (state IN ('IN_INVIO', 'INVIATA'));

ALTER TABLE exemption DROP CONSTRAINT exemption_publication_state_check;
UPDATE exemption SET publication_state = CASE publication_state WHEN 'PENDING' THEN 'IN_ATTESA' ELSE 'PUBBLICATA' END
    WHERE publication_state IN ('PENDING', 'PUBLISHED');
ALTER TABLE exemption ALTER COLUMN publication_state SET DEFAULT 'IN_ATTESA';
ALTER TABLE exemption ADD CONSTRAINT exemption_publication_state_check
    CHECK (publication_state IN ('IN_ATTESA', 'PUBBLICATA'));

-- Replicas of the previous release still write the English states during a
-- rolling update: they are stored with the new ones (a previous-release
-- worker that retries an email it already sent reads INVIATA as not sent and
-- may send it twice, only within the update). The next release drops these
-- triggers.
CREATE FUNCTION email_outbox_legacy_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.state := CASE NEW.state WHEN 'SENDING' THEN 'IN_INVIO' WHEN 'SENT' THEN 'INVIATA' ELSE NEW.state END;
    RETURN NEW;
END $$;
CREATE TRIGGER email_outbox_legacy_state BEFORE INSERT OR UPDATE OF state ON email_outbox
    FOR EACH ROW EXECUTE FUNCTION email_outbox_legacy_state();

CREATE FUNCTION exemption_legacy_publication_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.publication_state := CASE NEW.publication_state
        WHEN 'PENDING' THEN 'IN_ATTESA' WHEN 'PUBLISHED' THEN 'PUBBLICATA' ELSE NEW.publication_state END;
    RETURN NEW;
END $$;
CREATE TRIGGER exemption_legacy_publication_state BEFORE INSERT OR UPDATE OF publication_state ON exemption
    FOR EACH ROW EXECUTE FUNCTION exemption_legacy_publication_state();
