-- Shipments confirmed by the warehouse: each belongs to one order, with
-- its packages (tracking, SSCC, weight, size) and the units of each order
-- line in each package. A shipment line is in at most one invoice
-- (`invoice_number`), a shipment in at most one ship notice (`asn_run`).
CREATE TABLE shipments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    retailer_id TEXT NOT NULL REFERENCES retailers (id),
    -- Repeating a confirmation (same order, same first tracking number)
    -- finds this shipment instead of shipping twice.
    dedup_key TEXT NOT NULL UNIQUE,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    shipped_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    asn_run BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX shipments_asn ON shipments (retailer_id, asn_run);
CREATE INDEX shipments_order ON shipments (order_id);

CREATE TABLE packages (
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    seq INTEGER NOT NULL,
    tracking TEXT NOT NULL,
    sscc TEXT,
    weight_g BIGINT,
    length_mm BIGINT,
    width_mm BIGINT,
    height_mm BIGINT,
    PRIMARY KEY (shipment_id, seq)
);

CREATE TABLE shipment_lines (
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    package_seq INTEGER NOT NULL,
    position INTEGER NOT NULL,
    retailer_id TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    invoice_number TEXT,
    invoice_run BIGINT,
    PRIMARY KEY (shipment_id, package_seq, position)
);
CREATE INDEX shipment_lines_invoice ON shipment_lines (retailer_id, invoice_number);

-- Scheduled and manual batches: one row per (retailer, kind, moment).
-- The row is written in the transaction that writes the batch's
-- documents, so a batch is there as a whole or not at all.
CREATE TABLE batch_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retailer_id TEXT NOT NULL REFERENCES retailers (id),
    kind TEXT NOT NULL,
    scheduled_for BIGINT NOT NULL,
    trigger TEXT NOT NULL,
    state TEXT NOT NULL,
    documents INTEGER NOT NULL,
    items BIGINT NOT NULL,
    detail TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    UNIQUE (retailer_id, kind, scheduled_for)
);

-- What the last inventory feed told each retailer, for delta feeds.
CREATE TABLE inventory_sent (
    retailer_id TEXT NOT NULL REFERENCES retailers (id),
    sku TEXT NOT NULL,
    available BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (retailer_id, sku)
);
