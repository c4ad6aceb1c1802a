-- 0001_init: sessions, the execution log, session memory, the compiled-catalog cache and imported toolkits.
-- Times are INTEGER unix milliseconds, UTC. JSON columns are TEXT checked with json_valid.

-- A session name is unique per user.
CREATE TABLE sessions (
    user_id      TEXT    NOT NULL CHECK (user_id <> ''),
    id           TEXT    NOT NULL CHECK (id <> ''),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    config       TEXT CHECK (config IS NULL OR json_valid(config)),
    PRIMARY KEY (user_id, id)
);

-- session_id is NULL for calls made without a session (the CLI's direct access); the composite foreign key is
-- then not checked. Deleting a session deletes its log.
CREATE TABLE executions (
    id             INTEGER PRIMARY KEY,
    session_id     TEXT,
    user_id        TEXT    NOT NULL,
    tool_slug      TEXT    NOT NULL,
    toolkit        TEXT    NOT NULL DEFAULT '',
    account        TEXT    NOT NULL DEFAULT '',
    started_at     INTEGER NOT NULL,
    duration_ms    INTEGER NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL CHECK (status IN ('ok', 'error')),
    error          TEXT    NOT NULL DEFAULT '',
    arguments      TEXT CHECK (arguments IS NULL OR json_valid(arguments)),
    response_bytes INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (user_id, session_id) REFERENCES sessions (user_id, id) ON DELETE CASCADE
);
-- Serves the cascade and `logs --session`, newest first without a sort.
CREATE INDEX executions_user_session_started ON executions (user_id, session_id, started_at);
-- Serves a user's log, newest first without a sort.
CREATE INDEX executions_user_started ON executions (user_id, started_at);
-- Serves `logs --tool`.
CREATE INDEX executions_tool_started ON executions (tool_slug, started_at);
-- Serves pruning and the unfiltered newest-first listing.
CREATE INDEX executions_started ON executions (started_at);

-- The rowid keeps insertion order; the unique constraint dedupes and serves lookups by session.
CREATE TABLE memory (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    session_id TEXT    NOT NULL,
    key        TEXT    NOT NULL CHECK (key <> ''),
    fact       TEXT    NOT NULL CHECK (fact <> ''),
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, session_id, key, fact),
    FOREIGN KEY (user_id, session_id) REFERENCES sessions (user_id, id) ON DELETE CASCADE
);

-- Compiled catalogs keyed by the content hash of their sources.
CREATE TABLE catalog_cache (
    key          TEXT    PRIMARY KEY,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);

-- Toolkits a user imported with `toolmux toolkits import`. kind is checked in Go so a new kind needs no table rebuild.
CREATE TABLE imported_toolkits (
    slug            TEXT    PRIMARY KEY CHECK (slug <> ''),
    kind            TEXT    NOT NULL,
    spec_file       TEXT    NOT NULL,
    base_url        TEXT    NOT NULL DEFAULT '',
    replace_builtin INTEGER NOT NULL DEFAULT 0 CHECK (replace_builtin IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
