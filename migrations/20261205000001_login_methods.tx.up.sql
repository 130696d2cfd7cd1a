-- Login with a certificate (CNS/TS-CNS) or through an OpenID Connect provider
-- (SPID, CIE) spans several requests, on two origins for the certificate:
-- the attempt is kept here between them, keyed by a hash of its random
-- state, and taken (deleted) by the request that completes it, so a state
-- serves once.
CREATE TABLE login_attempt (
    id_hash       bytea PRIMARY KEY,
    method        text NOT NULL,               -- CERTIFICATO, SPID, CIE
    provider      text NOT NULL DEFAULT '',    -- configured provider name
    nonce         text NOT NULL DEFAULT '',
    pkce_verifier text NOT NULL DEFAULT '',
    next          text NOT NULL DEFAULT '/',
    fiscal_code   text,                        -- certificate: the verified holder
    refusal       text,                        -- certificate: why it was refused
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX login_attempt_expires ON login_attempt (expires_at);

-- How a session was opened: the method, and for a provider what its
-- RP-initiated logout needs. Gone with the session.
CREATE TABLE web_session_login (
    token_hash    bytea PRIMARY KEY REFERENCES web_session ON DELETE CASCADE,
    method        text NOT NULL,
    provider      text NOT NULL DEFAULT '',
    id_token_hint text NOT NULL DEFAULT ''
);

-- Certificate and SPID/CIE logins find the account by fiscal code.
CREATE INDEX operator_fiscal_code ON operator (fiscal_code);
