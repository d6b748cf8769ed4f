-- End-to-end encrypted sync: opaque records per account, and the client's wrapped data key.
-- The server never sees plaintext or keys: `data` is ciphertext, `record_key` an opaque id,
-- `clock` a hybrid logical clock (fixed width, so string order is clock order).
-- The PostgreSQL twin of this file is ../postgres/0002_sync.sql.

-- The last sequence number given to one of the account's stored records.
ALTER TABLE accounts ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE sync_records (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    record_key TEXT NOT NULL,
    clock TEXT NOT NULL,
    data BLOB NOT NULL,
    -- Bytes of `data`, for the quota.
    size BIGINT NOT NULL,
    -- accounts.sync_seq when this version was stored: changes are read by it.
    seq BIGINT NOT NULL,
    PRIMARY KEY (account_id, record_key)
);
CREATE INDEX sync_records_by_seq ON sync_records (account_id, seq);

CREATE TABLE sync_keys (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    -- The client's wrapped data key and KDF parameters: opaque JSON.
    body TEXT NOT NULL,
    -- 1 for the first one, one more at each replacement (compare-and-swap).
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
