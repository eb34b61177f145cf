-- SFTP accounts: a retailer's password, as an argon2 hash only.
CREATE TABLE retailer_passwords (
    retailer_id TEXT PRIMARY KEY NOT NULL REFERENCES retailers (id),
    hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- /outbound of a retailer's SFTP tree: its pending outbox rows; an `rm`
-- moves a row to state `picked_up`.
CREATE INDEX outbox_retailer_state ON outbox (retailer_id, state, id);
