-- Which person each mem0 event belongs to: recorded when the proxy forwards an add (or a
-- delete-all) whose answer names an event, and the only thing an event's status is answered by
-- (mem0 does not document an event's fields, so its body decides nothing).
CREATE TABLE memory_events (
    event_id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX memory_events_by_age ON memory_events (created_at);
