//! The tables, for both backends (see `migrations/sqlite` and `migrations/postgres`).

diesel::table! {
    retailers (id) {
        id -> Text,
        name -> Text,
        sender_qualifier -> Text,
        sender_id -> Text,
        receiver_qualifier -> Text,
        receiver_id -> Text,
        profile -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    documents (id) {
        id -> BigInt,
        sha256 -> Text,
        size -> BigInt,
        blob_id -> BigInt,
        source -> Text,
        name -> Text,
        retailer_id -> Nullable<Text>,
        format -> Text,
        state -> Text,
        error -> Nullable<Text>,
        received_at -> BigInt,
        processed_at -> Nullable<BigInt>,
        attempts -> Integer,
    }
}

diesel::table! {
    receipts (id) {
        id -> BigInt,
        document_id -> BigInt,
        source -> Text,
        name -> Text,
        repeat -> Bool,
        settled -> Bool,
        received_at -> BigInt,
    }
}

diesel::table! {
    interchanges (id) {
        id -> BigInt,
        document_id -> BigInt,
        sender -> Text,
        control -> Text,
        received_at -> BigInt,
    }
}

diesel::table! {
    products (sku) {
        sku -> Text,
        description -> Nullable<Text>,
        unit_price -> Nullable<Text>,
        updated_at -> BigInt,
        location -> Nullable<Text>,
    }
}

diesel::table! {
    sku_aliases (alias) {
        alias -> Text,
        sku -> Text,
        kind -> Text,
    }
}

diesel::table! {
    stock (sku) {
        sku -> Text,
        on_hand -> BigInt,
        reserved -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        retailer_id -> Text,
        po_number -> Text,
        ship_to_key -> Text,
        document_id -> BigInt,
        interchange_control -> Text,
        set_control -> Text,
        state -> Text,
        order_date -> Nullable<Text>,
        ship_to_name -> Nullable<Text>,
        detail -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    order_lines (order_id, position) {
        order_id -> BigInt,
        position -> Integer,
        line_number -> Text,
        sku -> Nullable<Text>,
        item -> Text,
        unit -> Text,
        ordered -> BigInt,
        accepted -> BigInt,
        backordered -> BigInt,
        rejected -> BigInt,
        shipped -> BigInt,
        cancelled -> BigInt,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    control_numbers (retailer_id, kind) {
        retailer_id -> Text,
        kind -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        retailer_id -> Text,
        document_id -> Nullable<BigInt>,
        order_id -> Nullable<BigInt>,
        kind -> Text,
        control -> Text,
        file_name -> Text,
        payload -> Binary,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
        blob_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    sent_groups (retailer_id, group_control) {
        retailer_id -> Text,
        group_control -> Text,
        outbox_id -> BigInt,
        functional_id -> Text,
        ack_state -> Text,
        ack_detail -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        at -> BigInt,
        kind -> Text,
        retailer_id -> Nullable<Text>,
        document_id -> Nullable<BigInt>,
        order_id -> Nullable<BigInt>,
        message -> Text,
    }
}

diesel::table! {
    retailer_passwords (retailer_id) {
        retailer_id -> Text,
        hash -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sftp_staged (retailer_id, name) {
        retailer_id -> Text,
        name -> Text,
        size -> BigInt,
        staged_at -> BigInt,
        blob_id -> BigInt,
    }
}

diesel::table! {
    blobs (id) {
        id -> BigInt,
        size -> BigInt,
        complete -> Bool,
        touched_at -> BigInt,
        bytes -> Nullable<Binary>,
    }
}

diesel::table! {
    blob_chunks (blob_id, seq) {
        blob_id -> BigInt,
        seq -> Integer,
        bytes -> Binary,
    }
}

diesel::table! {
    shipments (id) {
        id -> BigInt,
        order_id -> BigInt,
        retailer_id -> Text,
        dedup_key -> Text,
        carrier -> Text,
        service -> Text,
        shipped_at -> BigInt,
        source -> Text,
        asn_run -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    packages (shipment_id, seq) {
        shipment_id -> BigInt,
        seq -> Integer,
        tracking -> Text,
        sscc -> Nullable<Text>,
        weight_g -> Nullable<BigInt>,
        length_mm -> Nullable<BigInt>,
        width_mm -> Nullable<BigInt>,
        height_mm -> Nullable<BigInt>,
    }
}

diesel::table! {
    shipment_lines (shipment_id, package_seq, position) {
        shipment_id -> BigInt,
        package_seq -> Integer,
        position -> Integer,
        retailer_id -> Text,
        quantity -> BigInt,
        invoice_number -> Nullable<Text>,
        invoice_run -> Nullable<BigInt>,
    }
}

diesel::table! {
    batch_runs (id) {
        id -> BigInt,
        retailer_id -> Text,
        kind -> Text,
        scheduled_for -> BigInt,
        trigger -> Text,
        state -> Text,
        documents -> Integer,
        items -> BigInt,
        detail -> Nullable<Text>,
        started_at -> BigInt,
        finished_at -> BigInt,
    }
}

diesel::table! {
    inventory_sent (retailer_id, sku) {
        retailer_id -> Text,
        sku -> Text,
        available -> BigInt,
        sent_at -> BigInt,
    }
}

diesel::table! {
    mail_messages (id) {
        id -> BigInt,
        sha256 -> Text,
        message_id -> Text,
        sender -> Text,
        subject -> Text,
        retailer_id -> Nullable<Text>,
        blob_id -> Nullable<BigInt>,
        size -> BigInt,
        state -> Text,
        reason -> Nullable<Text>,
        documents -> Text,
        received_at -> BigInt,
        moved_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(blob_chunks -> blobs (blob_id));
diesel::joinable!(packages -> shipments (shipment_id));
diesel::joinable!(shipment_lines -> shipments (shipment_id));
diesel::joinable!(shipments -> orders (order_id));
diesel::allow_tables_to_appear_in_same_query!(
    retailers,
    documents,
    receipts,
    interchanges,
    products,
    sku_aliases,
    stock,
    orders,
    order_lines,
    control_numbers,
    outbox,
    sent_groups,
    events,
    retailer_passwords,
    sftp_staged,
    blobs,
    blob_chunks,
    shipments,
    packages,
    shipment_lines,
    batch_runs,
    inventory_sent,
    mail_messages,
);
