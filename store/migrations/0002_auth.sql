-- 0002_auth: auth configs, connected accounts and pending connect requests. Metadata only: secrets (token JSON, API
-- keys, client secrets, PKCE verifiers) live in the secret store, never here. Times are unix milliseconds, UTC.

-- Auth configs made with the CLI (the config file's [auth.TOOLKIT] entries are read from the config, not copied).
-- client_secret_ref is a reference ("env:NAME" or "keyring"), never the secret.
CREATE TABLE auth_configs (
    toolkit           TEXT    PRIMARY KEY CHECK (toolkit <> ''),
    scheme            TEXT    NOT NULL,
    client_id         TEXT    NOT NULL DEFAULT '',
    client_secret_ref TEXT    NOT NULL DEFAULT '',
    scopes            TEXT    NOT NULL DEFAULT '',
    endpoints         TEXT CHECK (endpoints IS NULL OR json_valid(endpoints)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- A user's accounts on a toolkit; several per toolkit. connected_at orders the default choice (the most recently
-- connected ACTIVE account). alias is unique per user and toolkit when set.
CREATE TABLE connected_accounts (
    id           TEXT    PRIMARY KEY CHECK (id LIKE 'ca\_%' ESCAPE '\'),
    user_id      TEXT    NOT NULL CHECK (user_id <> ''),
    toolkit      TEXT    NOT NULL CHECK (toolkit <> ''),
    alias        TEXT    NOT NULL DEFAULT '',
    auth_scheme  TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('INITIATED', 'ACTIVE', 'EXPIRED', 'FAILED', 'INACTIVE', 'REVOKED')),
    status_reason TEXT   NOT NULL DEFAULT '',
    label        TEXT    NOT NULL DEFAULT '',
    scopes       TEXT    NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    connected_at INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX connected_accounts_alias ON connected_accounts (user_id, toolkit, alias) WHERE alias <> '';
-- Serves the default choice and listings.
CREATE INDEX connected_accounts_user_toolkit ON connected_accounts (user_id, toolkit, status, connected_at);

-- Connect links handed out; token_hash is the SHA-256 of the link token (the token itself is never stored).
-- used_at makes a link single-use.
CREATE TABLE connect_requests (
    token_hash  TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES connected_accounts (id) ON DELETE CASCADE,
    flow        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX connect_requests_account ON connect_requests (account_id);
