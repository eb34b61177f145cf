ALTER TABLE products DROP COLUMN location;
