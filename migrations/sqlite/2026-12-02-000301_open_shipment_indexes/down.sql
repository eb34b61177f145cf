DROP INDEX shipment_lines_awaiting_invoice;
CREATE INDEX shipment_lines_invoice ON shipment_lines (retailer_id, invoice_number);
DROP INDEX shipments_awaiting_asn;
CREATE INDEX shipments_asn ON shipments (retailer_id, asn_run);
