CREATE TABLE retailers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    sender_qualifier TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    receiver_qualifier TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (sender_qualifier, sender_id)
);

CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    retailer_id TEXT,
    format TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    received_at BIGINT NOT NULL,
    processed_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX documents_state ON documents (state, id);

CREATE TABLE receipts (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES documents (id),
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    repeat BOOLEAN NOT NULL,
    settled BOOLEAN NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX receipts_document ON receipts (document_id);

CREATE TABLE interchanges (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES documents (id),
    sender TEXT NOT NULL,
    control TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (sender, control)
);

CREATE TABLE products (
    sku TEXT PRIMARY KEY NOT NULL,
    description TEXT,
    unit_price TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sku_aliases (
    alias TEXT PRIMARY KEY NOT NULL,
    sku TEXT NOT NULL REFERENCES products (sku),
    kind TEXT NOT NULL
);
CREATE INDEX sku_aliases_sku ON sku_aliases (sku);

CREATE TABLE stock (
    sku TEXT PRIMARY KEY NOT NULL REFERENCES products (sku),
    on_hand BIGINT NOT NULL CHECK (on_hand >= 0),
    reserved BIGINT NOT NULL CHECK (reserved >= 0),
    updated_at BIGINT NOT NULL
);

CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    retailer_id TEXT NOT NULL REFERENCES retailers (id),
    po_number TEXT NOT NULL,
    ship_to_key TEXT NOT NULL,
    document_id BIGINT NOT NULL REFERENCES documents (id),
    interchange_control TEXT NOT NULL,
    set_control TEXT NOT NULL,
    state TEXT NOT NULL,
    order_date TEXT,
    ship_to_name TEXT,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (retailer_id, po_number, ship_to_key)
);
CREATE INDEX orders_state ON orders (state, id);
CREATE INDEX orders_po ON orders (retailer_id, po_number);

CREATE TABLE order_lines (
    order_id BIGINT NOT NULL REFERENCES orders (id),
    position INTEGER NOT NULL,
    line_number TEXT NOT NULL,
    sku TEXT,
    item TEXT NOT NULL,
    unit TEXT NOT NULL,
    ordered BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    backordered BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    shipped BIGINT NOT NULL DEFAULT 0,
    cancelled BIGINT NOT NULL DEFAULT 0,
    reason TEXT,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX order_lines_sku ON order_lines (sku);

CREATE TABLE control_numbers (
    retailer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (retailer_id, kind)
);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    retailer_id TEXT NOT NULL,
    document_id BIGINT REFERENCES documents (id),
    order_id BIGINT,
    kind TEXT NOT NULL,
    control TEXT NOT NULL,
    file_name TEXT NOT NULL,
    payload BYTEA NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_document ON outbox (document_id);
CREATE INDEX outbox_order ON outbox (order_id);

CREATE TABLE sent_groups (
    retailer_id TEXT NOT NULL,
    group_control TEXT NOT NULL,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    functional_id TEXT NOT NULL,
    ack_state TEXT NOT NULL,
    ack_detail TEXT,
    PRIMARY KEY (retailer_id, group_control)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    retailer_id TEXT,
    document_id BIGINT,
    order_id BIGINT,
    message TEXT NOT NULL
);
