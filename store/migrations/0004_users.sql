-- 0004_users: the people an HTTP server (`toolmux serve --http`) accepts. A bearer token decides the user id, which is the
-- user_id of sessions, executions, memory and connected accounts. Only the SHA-256 of the token is stored (hex); the
-- token itself is shown once by `toolmux users add`. Times are unix milliseconds, UTC.
CREATE TABLE users (
    name         TEXT    PRIMARY KEY CHECK (name <> ''),
    token_hash   TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL DEFAULT 0
);
