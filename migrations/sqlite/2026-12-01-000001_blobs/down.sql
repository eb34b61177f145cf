ALTER TABLE sftp_staged ADD COLUMN bytes BLOB NOT NULL DEFAULT x'';
UPDATE sftp_staged SET bytes = COALESCE(
    (SELECT group_concat(c.bytes, '') FROM (SELECT bytes FROM blob_chunks WHERE blob_id = sftp_staged.blob_id ORDER BY seq) c),
    x'');
ALTER TABLE sftp_staged DROP COLUMN blob_id;
ALTER TABLE documents ADD COLUMN bytes BLOB NOT NULL DEFAULT x'';
UPDATE documents SET bytes = COALESCE(
    (SELECT group_concat(c.bytes, '') FROM (SELECT bytes FROM blob_chunks WHERE blob_id = documents.blob_id ORDER BY seq) c),
    x'');
ALTER TABLE documents DROP COLUMN blob_id;
DROP TABLE blob_chunks;
DROP TABLE blobs;
