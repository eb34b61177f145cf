-- A large outbound document keeps its bytes in a blob (chunks), not in its
-- outbox row: a retailer's download reads it chunk by chunk, and a change
-- of the row's state does not rewrite its bytes. Small documents stay in
-- `payload`; a row with a blob has an empty `payload`.
ALTER TABLE outbox ADD COLUMN blob_id BIGINT REFERENCES blobs (id);
