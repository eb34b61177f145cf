INSERT INTO blob_chunks (blob_id, seq, bytes) SELECT id, 0, bytes FROM blobs WHERE bytes IS NOT NULL;
ALTER TABLE blobs DROP COLUMN bytes;
