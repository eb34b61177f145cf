ALTER TABLE sftp_staged ADD COLUMN bytes BYTEA NOT NULL DEFAULT '';
UPDATE sftp_staged SET bytes = COALESCE(
    (SELECT string_agg(bytes, ''::bytea ORDER BY seq) FROM blob_chunks WHERE blob_id = sftp_staged.blob_id), '');
ALTER TABLE sftp_staged DROP COLUMN blob_id;
ALTER TABLE documents ADD COLUMN bytes BYTEA NOT NULL DEFAULT '';
UPDATE documents SET bytes = COALESCE(
    (SELECT string_agg(bytes, ''::bytea ORDER BY seq) FROM blob_chunks WHERE blob_id = documents.blob_id), '');
ALTER TABLE documents DROP COLUMN blob_id;
DROP TABLE blob_chunks;
DROP TABLE blobs;
