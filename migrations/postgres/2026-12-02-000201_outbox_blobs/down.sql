UPDATE outbox SET payload = (SELECT string_agg(bytes, ''::bytea ORDER BY seq) FROM blob_chunks WHERE blob_chunks.blob_id = outbox.blob_id)
    WHERE blob_id IS NOT NULL;
CREATE TEMPORARY TABLE outbox_blob AS SELECT DISTINCT blob_id FROM outbox WHERE blob_id IS NOT NULL;
ALTER TABLE outbox DROP COLUMN blob_id;
DELETE FROM blobs WHERE id IN (SELECT blob_id FROM outbox_blob);
DROP TABLE outbox_blob;
