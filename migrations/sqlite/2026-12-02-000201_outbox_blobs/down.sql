UPDATE outbox SET payload = CAST((SELECT group_concat(bytes, '' ORDER BY seq) FROM blob_chunks WHERE blob_chunks.blob_id = outbox.blob_id) AS BLOB)
    WHERE blob_id IS NOT NULL;
CREATE TEMPORARY TABLE outbox_blob AS SELECT DISTINCT blob_id FROM outbox WHERE blob_id IS NOT NULL;
UPDATE outbox SET blob_id = NULL;
DELETE FROM blobs WHERE id IN (SELECT blob_id FROM outbox_blob);
DROP TABLE outbox_blob;
ALTER TABLE outbox DROP COLUMN blob_id;
