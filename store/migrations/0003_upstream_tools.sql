-- 0003_upstream_tools: the tool lists of upstream MCP servers, so search works without starting them, and each
-- upstream's last known state for `toolmux doctor`. Times are unix milliseconds, UTC.

-- config_hash hashes the upstream's declaration (command, args, env, cwd, url, headers; references unresolved), so
-- a changed declaration is listed again instead of reading a stale list. tools is the toolkit as JSON.
CREATE TABLE upstream_tools (
    toolkit        TEXT    NOT NULL CHECK (toolkit <> ''),
    config_hash    TEXT    NOT NULL CHECK (config_hash <> ''),
    server_version TEXT    NOT NULL DEFAULT '',
    tools          TEXT    NOT NULL CHECK (json_valid(tools)),
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (toolkit, config_hash)
);

-- The last state an upstream reached in any toolmux process: state is checked in Go so a new one needs no rebuild.
CREATE TABLE upstream_status (
    toolkit       TEXT    PRIMARY KEY CHECK (toolkit <> ''),
    state         TEXT    NOT NULL,
    last_error    TEXT    NOT NULL DEFAULT '',
    last_error_at INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);
