-- Every message taken from the orders mailbox, whole, with what became of
-- it: `processed` (its attachments are documents of the ledger) or
-- `rejected` (unknown or unauthenticated sender, nothing to take), and
-- whether it has been moved out of the mailbox's folder yet. The same
-- message seen again (a crash between commit and move, or a second copy)
-- is recognised by its SHA-256 and only moved.
CREATE TABLE mail_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- SHA-256 of the whole message; `unfetched:…` for one too large to fetch.
    sha256 TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    retailer_id TEXT,
    -- The message's bytes (none when too large to fetch: it stays on the server).
    blob_id BIGINT REFERENCES blobs (id),
    size BIGINT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    -- The ledger documents made of its attachments, comma separated.
    documents TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    moved_at BIGINT
);
CREATE INDEX mail_messages_message_id ON mail_messages (message_id);
