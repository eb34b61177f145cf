DROP TABLE sftp_staged;
DROP INDEX outbox_retailer_state;
DROP TABLE retailer_passwords;
