DROP TABLE inventory_sent;
DROP TABLE batch_runs;
DROP TABLE shipment_lines;
DROP TABLE packages;
DROP TABLE shipments;
