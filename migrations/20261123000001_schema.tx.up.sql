-- The read model, catalogue, accounts, attachments, notifications and audit
-- log. Workflows are the source of truth for practices and exemptions; the
-- practice and exemption tables are projections that `esenzioni reindex`
-- rebuilds.

-- Geography and organisation ---------------------------------------------

CREATE TABLE asl (
    code          char(6) PRIMARY KEY,          -- Ministry code, e.g. 010203
    short_name    text NOT NULL UNIQUE,         -- TO3
    name          text NOT NULL,                -- ASL TO3
    region_code   char(3) NOT NULL,
    seat_istat    char(6) NOT NULL DEFAULT '',
    legal_address text NOT NULL DEFAULT '',
    phone         text NOT NULL DEFAULT '',
    pec           text NOT NULL DEFAULT '',
    tax_code      text NOT NULL DEFAULT '',     -- codice fiscale / partita IVA
    demo          boolean NOT NULL DEFAULT false -- contact details are invented
);

CREATE TABLE district (
    id       bigserial PRIMARY KEY,
    asl_code char(6) NOT NULL REFERENCES asl,
    code     text NOT NULL,
    name     text NOT NULL,
    demo     boolean NOT NULL DEFAULT false,
    UNIQUE (asl_code, code)
);

-- Accounts ------------------------------------------------------------------

CREATE TABLE operator (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    fiscal_code   char(16) NOT NULL,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    email         text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    pin_hash      text NOT NULL,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    active        boolean NOT NULL DEFAULT true,
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A profile is what the operator acts as: a role in an ASL (NULL = the whole
-- region) at a location (collocazione).
CREATE TABLE operator_profile (
    id          bigserial PRIMARY KEY,
    operator_id bigint NOT NULL REFERENCES operator ON DELETE CASCADE,
    role        text NOT NULL,
    asl_code    char(6) REFERENCES asl,
    district_id bigint REFERENCES district,
    location    text NOT NULL,
    position    integer NOT NULL DEFAULT 0
);
CREATE INDEX operator_profile_operator ON operator_profile (operator_id);
CREATE INDEX operator_profile_asl ON operator_profile (asl_code);

CREATE TABLE web_session (
    token_hash   bytea PRIMARY KEY,
    operator_id  bigint NOT NULL REFERENCES operator ON DELETE CASCADE,
    profile_id   bigint NOT NULL REFERENCES operator_profile ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    address      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX web_session_expires ON web_session (expires_at);

-- Submitter systems (doctor software, citizen portal) call the intake API
-- with bearer tokens; only a hash is stored.
-- A client may submit as the kinds it lists; fiscal_code, when set, is the
-- only submitter it may speak for (a doctor's own software), otherwise the
-- client (a portal) authenticates its users itself and names them.
CREATE TABLE api_client (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    token_hash      bytea NOT NULL UNIQUE,
    submitter_kinds text[] NOT NULL,           -- MEDICO, CITTADINO, DELEGATO
    fiscal_code     char(16),
    demo            boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);

-- The first answer to a POST with an Idempotency-Key, replayed on retries.
CREATE TABLE api_idempotency (
    client_id    bigint NOT NULL REFERENCES api_client ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, key)
);

-- Beneficiaries: the local copy of the regional registry ------------------

CREATE TABLE beneficiary (
    fiscal_code       char(16) PRIMARY KEY,
    first_name        text NOT NULL,
    last_name         text NOT NULL,
    birth_date        date NOT NULL,
    birth_place_code  char(4) NOT NULL,          -- Belfiore code
    birth_place_name  text NOT NULL,
    sex               char(1) NOT NULL CHECK (sex IN ('M', 'F')),
    residence_address text NOT NULL DEFAULT '',
    residence_comune  text NOT NULL DEFAULT '',
    asl_code          char(6) NOT NULL REFERENCES asl,
    district_id       bigint REFERENCES district,
    card_number       text NOT NULL DEFAULT '',  -- tessera regionale
    email             text NOT NULL DEFAULT '',
    demo              boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX beneficiary_name ON beneficiary (last_name text_pattern_ops, first_name text_pattern_ops);

-- Catalogue -----------------------------------------------------------------

CREATE TABLE exemption_code (
    code        text PRIMARY KEY,
    description text NOT NULL,
    category    text NOT NULL,                  -- MC, MR, ... (package exemptioncode)
    family      text NOT NULL,
    level       text NOT NULL CHECK (level IN ('NAZIONALE', 'REGIONALE')),
    active      boolean NOT NULL DEFAULT true,
    demo        boolean NOT NULL DEFAULT false
);

CREATE TABLE diagnosis (
    code        text PRIMARY KEY,               -- ICD-9-CM without the dot, e.g. 2960, V421
    description text NOT NULL
);

-- Which diagnoses an exemption code covers, and for how long an exemption
-- issued for it lasts (NULL unit = no end date).
CREATE TABLE exemption_diagnosis (
    exemption_code text NOT NULL REFERENCES exemption_code,
    diagnosis_code text NOT NULL REFERENCES diagnosis,
    duration_value integer,
    duration_unit  text CHECK (duration_unit IN ('DAYS', 'MONTHS', 'YEARS')),
    demo           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (exemption_code, diagnosis_code),
    CHECK ((duration_unit IS NULL) = (duration_value IS NULL)),
    CHECK (duration_value IS NULL OR duration_value > 0)
);
CREATE INDEX exemption_diagnosis_diagnosis ON exemption_diagnosis (diagnosis_code);

CREATE TABLE service (
    code        text PRIMARY KEY,
    description text NOT NULL
);

-- Exempt services for an exemption code and diagnosis, valid over a period.
CREATE TABLE exemption_service (
    exemption_code text NOT NULL,
    diagnosis_code text NOT NULL,
    service_code   text NOT NULL REFERENCES service,
    position       integer NOT NULL DEFAULT 0,
    valid_from     date NOT NULL DEFAULT '1900-01-01',
    valid_to       date,
    demo           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (exemption_code, diagnosis_code, service_code, valid_from),
    FOREIGN KEY (exemption_code, diagnosis_code) REFERENCES exemption_diagnosis
);

CREATE TABLE reject_reason (
    code        text PRIMARY KEY,
    description text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    position    integer NOT NULL DEFAULT 0
);

CREATE TABLE document_type (
    code        text PRIMARY KEY,
    label       text NOT NULL,                  -- short label for lists
    description text NOT NULL,
    position    integer NOT NULL DEFAULT 0
);

-- Practices -----------------------------------------------------------------

CREATE TABLE practice_counter (
    asl_code char(6) NOT NULL REFERENCES asl,
    year     integer NOT NULL,
    last     bigint NOT NULL,
    PRIMARY KEY (asl_code, year)
);

CREATE TABLE practice (
    number                 char(18) PRIMARY KEY,
    asl_code               char(6) NOT NULL REFERENCES asl,
    district_id            bigint REFERENCES district,
    beneficiary_fc         char(16) NOT NULL,
    beneficiary_last_name  text NOT NULL,       -- upper case, for search
    beneficiary_first_name text NOT NULL,
    submitter_kind         text NOT NULL,       -- MEDICO, CITTADINO, DELEGATO, OPERATORE
    submitter_fc           char(16) NOT NULL,
    submitter_role         text NOT NULL DEFAULT '',
    exemption_code         text NOT NULL,
    diagnosis_code         text NOT NULL,
    state                  text NOT NULL,
    version                integer NOT NULL,
    last_seq               integer NOT NULL,    -- newest projected event
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    closed_at              timestamptz,
    reject_reason_code     text,
    valid_from             date,
    valid_until            date,
    exemption_id           bigint
);
CREATE INDEX practice_list ON practice (asl_code, created_at DESC, number DESC);
CREATE INDEX practice_state_list ON practice (state, asl_code, created_at DESC, number DESC);
CREATE INDEX practice_state_created ON practice (state, created_at DESC, number DESC);
CREATE INDEX practice_created ON practice (created_at DESC, number DESC);
CREATE INDEX practice_beneficiary ON practice (beneficiary_fc);
CREATE INDEX practice_last_name ON practice (beneficiary_last_name text_pattern_ops);
CREATE INDEX practice_code ON practice (exemption_code, created_at DESC);

-- Intake requests by idempotency key (API clients, the new-exemption
-- wizard): a repeated key gets the same practice number.
CREATE TABLE intake_request (
    source          text NOT NULL,              -- api:<client id>, wizard:<operator id>
    key             text NOT NULL,
    practice_number char(18) NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, key)
);

-- One row per transition or note: the cronologia.
CREATE TABLE practice_event (
    practice_number  char(18) NOT NULL REFERENCES practice ON DELETE CASCADE,
    seq              integer NOT NULL,
    at               timestamptz NOT NULL,
    action           text NOT NULL,
    actor_fc         char(16) NOT NULL,
    actor_role       text NOT NULL,
    actor_asl        text NOT NULL DEFAULT '',
    state            text NOT NULL,
    beneficiary_note text NOT NULL DEFAULT '',
    internal_note    text NOT NULL DEFAULT '',
    reason_code      text NOT NULL DEFAULT '',
    PRIMARY KEY (practice_number, seq)
);

-- Exemptions ----------------------------------------------------------------

CREATE TABLE exemption (
    id                     bigserial PRIMARY KEY,
    practice_number        char(18) UNIQUE,     -- NULL for exemptions that came from the registry
    registry_id            text UNIQUE,         -- the registry's own id, for those
    beneficiary_fc         char(16) NOT NULL,
    beneficiary_last_name  text NOT NULL,
    beneficiary_first_name text NOT NULL,
    asl_code               char(6) NOT NULL REFERENCES asl,
    exemption_code         text NOT NULL,
    diagnosis_code         text NOT NULL,
    issued_on              date NOT NULL,
    end_date               date,                -- NULL = no expiry
    state                  text NOT NULL CHECK (state IN ('VALIDA', 'SCADUTA', 'ANNULLATA')),
    source                 text NOT NULL CHECK (source IN ('PRATICA', 'REGISTRO')),
    issued_by_fc           char(16),
    issued_by_role         text,
    version                integer NOT NULL DEFAULT 1,
    last_seq               integer NOT NULL DEFAULT 0,
    publication_state      text NOT NULL DEFAULT 'PENDING' CHECK (publication_state IN ('PENDING', 'PUBLISHED')),
    published_version      integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exemption_beneficiary ON exemption (beneficiary_fc, issued_on DESC);
CREATE INDEX exemption_last_name ON exemption (beneficiary_last_name text_pattern_ops, issued_on DESC);
CREATE INDEX exemption_expiring ON exemption (end_date) WHERE state = 'VALIDA';
-- A person holds at most one valid exemption per code.
CREATE UNIQUE INDEX exemption_one_valid ON exemption (beneficiary_fc, exemption_code) WHERE state = 'VALIDA';

CREATE TABLE exemption_event (
    exemption_id bigint NOT NULL REFERENCES exemption ON DELETE CASCADE,
    seq          integer NOT NULL,
    at           timestamptz NOT NULL,
    action       text NOT NULL,                -- EMISSIONE, RINNOVO, REVOCA, SCADENZA, PROMEMORIA, DOCUMENTO
    actor_fc     text NOT NULL DEFAULT '',
    actor_role   text NOT NULL DEFAULT '',
    state        text NOT NULL,
    old_end_date date,
    new_end_date date,
    note         text NOT NULL DEFAULT '',
    PRIMARY KEY (exemption_id, seq)
);

-- The local registry adapter (the AURA of the manual): what has been
-- published. A publication carries the exemption's version and never moves
-- a row backwards, so a retried or reordered publication is harmless.
CREATE TABLE registry_exemption (
    exemption_id   bigint PRIMARY KEY,
    beneficiary_fc char(16) NOT NULL,
    exemption_code text NOT NULL,
    diagnosis_code text NOT NULL,
    issued_on      date NOT NULL,
    end_date       date,
    state          text NOT NULL,
    version        integer NOT NULL,
    published_at   timestamptz NOT NULL DEFAULT now()
);

-- Simulated registry outage, for demos and tests of durable publication.
CREATE TABLE registry_status (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    available boolean NOT NULL DEFAULT true
);
INSERT INTO registry_status (id, available) VALUES (true, true);

-- Attachments ---------------------------------------------------------------

CREATE TABLE attachment (
    id                 uuid PRIMARY KEY,
    object_key         text NOT NULL UNIQUE,    -- opaque, never the user's file name
    practice_number    char(18),
    exemption_id       bigint,
    role               text NOT NULL,           -- CERTIFICATO, ALLEGATO, DOCUMENTO
    file_name          text NOT NULL,
    content_type       text NOT NULL,
    document_type_code text REFERENCES document_type,
    issued_on          date,
    valid_until        date,
    size_bytes         bigint NOT NULL,
    sha256             bytea NOT NULL,
    signature_format   text NOT NULL,           -- CADES, PADES
    signer_name        text NOT NULL DEFAULT '',
    signer_fc          text NOT NULL DEFAULT '',
    signing_time       timestamptz,
    verification       text NOT NULL,
    uploaded_by        text NOT NULL DEFAULT '',
    uploaded_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachment_practice ON attachment (practice_number);
CREATE INDEX attachment_exemption ON attachment (exemption_id);

-- Notifications ---------------------------------------------------------------

-- In-app notifications: personal (operator_id set) or for every operator of
-- an ASL. dedupe_key makes a retried activity create the row once.
CREATE TABLE notification (
    id          bigserial PRIMARY KEY,
    dedupe_key  text NOT NULL UNIQUE,
    asl_code    char(6) REFERENCES asl,
    operator_id bigint REFERENCES operator ON DELETE CASCADE,
    kind        text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    link        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_asl ON notification (asl_code, created_at DESC);
CREATE INDEX notification_operator ON notification (operator_id, created_at DESC);

CREATE TABLE notification_read (
    notification_id bigint NOT NULL REFERENCES notification ON DELETE CASCADE,
    operator_id     bigint NOT NULL REFERENCES operator ON DELETE CASCADE,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, operator_id)
);

-- Emails sent, one row per reminder: a retried activity finds it and does not
-- send twice.
CREATE TABLE email_outbox (
    dedupe_key text PRIMARY KEY,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    state      text NOT NULL CHECK (state IN ('SENDING', 'SENT')),
    attempts   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);

-- GDPR audit log ------------------------------------------------------------

CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    operator_fc    text NOT NULL,
    operator_role  text NOT NULL DEFAULT '',
    operator_asl   text NOT NULL DEFAULT '',
    beneficiary_fc text NOT NULL DEFAULT '',
    action         text NOT NULL,
    target         text NOT NULL DEFAULT '',
    address        text NOT NULL DEFAULT '',
    outcome        text NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_beneficiary ON audit_log (beneficiary_fc, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- The database, not the application, keeps the log append-only: no role
-- (the owner included) can change or remove a row while this trigger exists.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The application's runtime role: it reads and writes the read model but can
-- only INSERT and SELECT on the audit log, and owns nothing (so it cannot
-- drop the trigger). Created when the migrating user may create roles.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'esenzioni_app') THEN
        IF (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            CREATE ROLE esenzioni_app NOLOGIN;
        ELSE
            RAISE NOTICE 'role esenzioni_app not created: % cannot create roles', current_user;
            RETURN;
        END IF;
    END IF;
    GRANT USAGE ON SCHEMA public TO esenzioni_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO esenzioni_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM esenzioni_app;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO esenzioni_app;
    REVOKE ALL ON bun_migrations, bun_migration_locks FROM esenzioni_app;
    -- Tables of later migrations get the same grants; each migration that
    -- needs a narrower one revokes it explicitly.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO esenzioni_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO esenzioni_app;
    EXECUTE format('GRANT esenzioni_app TO %I', current_user);
END;
$$;
