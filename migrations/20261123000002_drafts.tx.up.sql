-- Work in progress of an operator before it becomes an action: the
-- new-exemption wizard's draft, and documents uploaded but not yet
-- confirmed (for a draft or for a pending Modifica of an exemption).

CREATE TABLE exemption_draft (
    id                 uuid PRIMARY KEY,
    operator_id        bigint NOT NULL REFERENCES operator ON DELETE CASCADE,
    beneficiary_fc     char(16) NOT NULL,
    category           text NOT NULL DEFAULT '',
    diagnosis_code     text NOT NULL DEFAULT '',
    exemption_code     text NOT NULL DEFAULT '',
    end_date           date,
    no_end_date        boolean NOT NULL DEFAULT false,
    practice_number    char(18),                 -- set once confirmed
    exemption_id       bigint,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exemption_draft_operator ON exemption_draft (operator_id, updated_at DESC);

-- A staged document belongs to a draft or to a pending change of an
-- exemption (staging_key), until the operator confirms or deletes it.
ALTER TABLE attachment ADD COLUMN staging_key text;
ALTER TABLE attachment ADD COLUMN uploaded_by_operator bigint REFERENCES operator ON DELETE SET NULL;
CREATE INDEX attachment_staging ON attachment (staging_key) WHERE staging_key IS NOT NULL;
