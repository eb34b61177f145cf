-- The bytes of documents and of files waiting in an SFTP /inbound live in
-- chunks: an upload streams into the database while it arrives, and a
-- change of a document's state never rewrites its bytes.
CREATE TABLE blobs (
    id BIGSERIAL PRIMARY KEY,
    size BIGINT NOT NULL,
    -- false while an upload is still arriving; an incomplete blob nobody
    -- has touched for a while is left over from a dropped connection.
    complete BOOLEAN NOT NULL,
    touched_at BIGINT NOT NULL
);
-- Only incomplete blobs are indexed: the sweep looks for them.
CREATE INDEX blobs_open ON blobs (touched_at) WHERE NOT complete;

CREATE TABLE blob_chunks (
    blob_id BIGINT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
-- Stored out of line and uncompressed: chunks are written at network speed.
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- Documents: their bytes move into blobs of the same id.
INSERT INTO blobs (id, size, complete, touched_at) SELECT id, size, TRUE, received_at FROM documents;
INSERT INTO blob_chunks (blob_id, seq, bytes) SELECT id, 0, bytes FROM documents;
ALTER TABLE documents ADD COLUMN blob_id BIGINT REFERENCES blobs (id);
UPDATE documents SET blob_id = id;
ALTER TABLE documents ALTER COLUMN blob_id SET NOT NULL;
ALTER TABLE documents DROP COLUMN bytes;

-- Files waiting under a temporary name: into blobs numbered after those.
CREATE TEMPORARY TABLE staged_blob AS
    SELECT retailer_id, name,
           (SELECT COALESCE(MAX(id), 0) FROM blobs) + ROW_NUMBER() OVER (ORDER BY retailer_id, name) AS blob_id
    FROM sftp_staged;
INSERT INTO blobs (id, size, complete, touched_at)
    SELECT m.blob_id, s.size, TRUE, s.staged_at FROM sftp_staged s JOIN staged_blob m USING (retailer_id, name);
INSERT INTO blob_chunks (blob_id, seq, bytes)
    SELECT m.blob_id, 0, s.bytes FROM sftp_staged s JOIN staged_blob m USING (retailer_id, name);
ALTER TABLE sftp_staged ADD COLUMN blob_id BIGINT REFERENCES blobs (id);
UPDATE sftp_staged SET blob_id =
    (SELECT m.blob_id FROM staged_blob m WHERE m.retailer_id = sftp_staged.retailer_id AND m.name = sftp_staged.name);
ALTER TABLE sftp_staged ALTER COLUMN blob_id SET NOT NULL;
ALTER TABLE sftp_staged DROP COLUMN bytes;
DROP TABLE staged_blob;
SELECT setval(pg_get_serial_sequence('blobs', 'id'), COALESCE((SELECT MAX(id) FROM blobs), 0) + 1, false);
