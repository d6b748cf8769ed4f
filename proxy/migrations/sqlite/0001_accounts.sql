-- Accounts, invites and sign-in sessions.
-- Times are Unix seconds. The PostgreSQL twin of this file is ../postgres/0001_accounts.sql.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    -- The name without case: names are unique that way.
    name_key TEXT NOT NULL UNIQUE,
    -- The mem0 user id the person's memories live under.
    user_id TEXT NOT NULL UNIQUE,
    -- PHC string of the password's Argon2id hash; NULL until an invite is used.
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    -- Sessions started before this are refused.
    sessions_valid_after BIGINT NOT NULL
);

CREATE TABLE invites (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    -- SHA-256 (hex) of the token in the link; the token itself is never stored.
    token_sha256 TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL
);

CREATE TABLE signin_sessions (
    -- A public handle (random), for the list of signed-in devices.
    id TEXT PRIMARY KEY,
    -- SHA-256 (hex) of the cookie's secret; the secret itself is never stored.
    token_sha256 TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- What the browser said it was when signing in ("Firefox on Android"), for the device list.
    device TEXT NOT NULL
);
CREATE INDEX signin_sessions_by_account ON signin_sessions (account_id);
