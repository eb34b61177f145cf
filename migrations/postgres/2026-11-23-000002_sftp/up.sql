-- SFTP accounts: a retailer's password, as an argon2 hash only.
CREATE TABLE retailer_passwords (
    retailer_id TEXT PRIMARY KEY NOT NULL REFERENCES retailers (id),
    hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- /outbound of a retailer's SFTP tree: its pending outbox rows; an `rm`
-- moves a row to state `picked_up`.
CREATE INDEX outbox_retailer_state ON outbox (retailer_id, state, id);

-- Files a retailer uploaded under a temporary name (`*.part`…), waiting in
-- its /inbound for their rename to a final name. Kept here, not on one
-- instance's disk, so that every instance sees and can rename them.
CREATE TABLE sftp_staged (
    retailer_id TEXT NOT NULL REFERENCES retailers (id),
    name TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    size BIGINT NOT NULL,
    staged_at BIGINT NOT NULL,
    PRIMARY KEY (retailer_id, name)
);
