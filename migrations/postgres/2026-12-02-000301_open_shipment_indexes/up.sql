-- Batches look for shipments not yet in a ship notice and lines not yet
-- invoiced: index only those. Once marked, a row leaves these indexes
-- (its update adds nothing to them), so they stay as small as the work
-- still to do instead of growing with every shipment ever made.
DROP INDEX shipments_asn;
CREATE INDEX shipments_awaiting_asn ON shipments (retailer_id, id) WHERE asn_run IS NULL;
DROP INDEX shipment_lines_invoice;
CREATE INDEX shipment_lines_awaiting_invoice ON shipment_lines (retailer_id, shipment_id) WHERE invoice_number IS NULL;
