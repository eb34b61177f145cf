-- A blob stored whole at once and small enough to share a page with its
-- row keeps its bytes in that row: the commit of a small document writes
-- neither a chunk nor a page of the chunks' index.
ALTER TABLE blobs ADD COLUMN bytes BYTEA;
