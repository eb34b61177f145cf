//! Shipments confirmed by the warehouse, with `dropgate ship` and
//! `dropgate ship import`: stock, order lines and order states move
//! exactly; repeats change nothing; bad rows are reported by line. On
//! SQLite and, when `DROPGATE_TEST_PG` is set, on PostgreSQL.

mod common;

use common::{po850, Install};

pub const STOCK: &str =
    "sku,on_hand,upc,description,unit_price\nLAMP,10,012345678905,Brass lamp,24.50\nMUG,10,012345678912,Mug,4.25\n";

fn setup(db: common::TestDb) -> Install {
    let i = Install::new(db);
    i.retailer("acme", "ZZ:ACME", "accept_partial");
    i.stock(STOCK);
    let lamp: &[(&str, u32, &str)] = &[("012345678905", 3, "24.50"), ("012345678912", 2, "4.25")];
    let one: &[(&str, u32, &str)] = &[("012345678905", 1, "24.50")];
    i.ingest("acme", "po.edi", &po850("ACME", 1, &[("PO1", lamp), ("PO2", one), ("PO3", one)]));
    i
}

#[test]
fn ship_from_the_command_line() {
    for db in common::all_dbs("ship_from_the_command_line") {
        let i = setup(db);
        assert_eq!(i.stock_of("LAMP"), (10, 5));
        let c = i.json(&[
            "ship",
            "PO1",
            "--carrier",
            "UPS",
            "--service",
            "GROUND",
            "--tracking",
            "1Z0001",
            "--line",
            "1:2",
        ]);
        assert_eq!((c["units"].as_i64(), c["repeat"].as_bool()), (Some(2), Some(false)));
        assert_eq!(i.order_state("PO1"), "partially_shipped");
        assert_eq!(i.stock_of("LAMP"), (8, 3), "on hand and reserved both drop by what shipped");
        // The same confirmation again changes nothing.
        let again = i.json(&[
            "ship",
            "PO1",
            "--carrier",
            "UPS",
            "--service",
            "GROUND",
            "--tracking",
            "1Z0001",
            "--line",
            "1:2",
        ]);
        assert_eq!((again["repeat"].as_bool(), again["shipment"].clone()), (Some(true), c["shipment"].clone()));
        assert_eq!(i.stock_of("LAMP"), (8, 3));
        // More than is open is refused, naming the line.
        let out = i.run(&["ship", "PO1", "--carrier", "UPS", "--tracking", "1Z0002", "--line", "1:2"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("line 1") && err.contains("only 1"), "{err}");
        let out = i.run(&["ship", "PO1", "--carrier", "UPS", "--tracking", "1Z0002", "--line", "9:1"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("no line 9"));
        // The rest in two packages.
        i.ok(&[
            "ship",
            "PO1",
            "--carrier",
            "UPS",
            "--service",
            "GROUND",
            "--tracking",
            "1Z0002",
            "--tracking",
            "1Z0003",
            "--line",
            "1:1",
            "--line",
            "2:2@2",
            "--package",
            "weight=2.3kg,dims=30x20x10cm",
            "--package",
            "weight=500g,sscc=000123456789012350",
        ]);
        assert_eq!(i.order_state("PO1"), "shipped");
        assert_eq!(i.stock_of("LAMP"), (7, 2));
        assert_eq!(i.stock_of("MUG"), (8, 0));
        let lines = &i.json(&["orders", "list", "--po", "PO1"])[0]["lines"];
        assert_eq!((lines[0]["shipped"].as_i64(), lines[1]["shipped"].as_i64()), (Some(3), Some(2)));
        // Nothing is left to ship; bad arguments are named.
        let out = i.run(&["ship", "PO1", "--carrier", "UPS", "--tracking", "1Z0009"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("is shipped"), "{out:?}");
        let out = i.run(&["ship", "PO2", "--carrier", "UPS", "--tracking", "1Z0009", "--package", "weight=heavy"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("weight"), "{out:?}");
        let out = i.run(&["ship", "NOPE", "--carrier", "UPS", "--tracking", "1Z0009"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("no open order with PO NOPE"), "{out:?}");
    }
}

#[test]
fn ship_import_from_csv() {
    for db in common::all_dbs("ship_import_from_csv") {
        let i = setup(db);
        let csv = "po,carrier,service,tracking,line,quantity,weight\n\
                   PO1,UPS,GROUND,1ZA1,1,3,1.5\n\
                   PO1,UPS,GROUND,1ZA2,2,1,0.4\n\
                   PO2,UPS,GROUND,1ZB1,1,abc,1\n\
                   NOPE,UPS,GROUND,1ZC1,1,1,1\n\
                   PO3,UPS,GROUND,1ZD1,,,\n\
                   PO2,UPS,GROUND,1ZB2,1,1,2lb\n";
        let f = i.path().join("ups.csv");
        std::fs::write(&f, csv).unwrap();
        let out = i.run(&["ship", "import", f.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "bad rows: exit 1\n{err}");
        assert!(err.contains("ups.csv: line 4: ") && err.contains("\"abc\""), "{err}");
        assert!(err.contains("ups.csv: line 5: ") && err.contains("NOPE"), "{err}");
        assert_eq!(err.matches("error:").count(), 2, "{err}");
        // PO1 in two packages, PO2 from its good row, PO3 whole.
        assert_eq!(i.order_state("PO1"), "partially_shipped", "one mug of two");
        assert_eq!(i.order_state("PO2"), "shipped");
        assert_eq!(i.order_state("PO3"), "shipped");
        assert_eq!(i.stock_of("LAMP"), (5, 0));
        assert_eq!(i.stock_of("MUG"), (9, 1));
        // Importing the same file again ships nothing twice.
        let out = i.run(&["ship", "import", f.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("0 shipment(s) confirmed"), "{out:?}");
        assert_eq!(i.stock_of("LAMP"), (5, 0));
        // A column mapping from the configuration.
        let cfg = std::fs::read_to_string(i.config()).unwrap();
        std::fs::write(
            i.config(),
            format!("{cfg}[ship_import.worldship]\ndelimiter = \";\"\npo = \"Reference 1\"\ntracking = \"Tracking Number\"\nline = \"Ref 2\"\nquantity = \"Qty\"\ncarrier_default = \"UPS\"\nservice_default = \"GROUND\"\n"),
        )
        .unwrap();
        let f2 = i.path().join("ws.csv");
        std::fs::write(&f2, "Reference 1;Tracking Number;Ref 2;Qty\nPO1;1ZE1;2;1\n").unwrap();
        i.ok(&["ship", "import", "--profile", "worldship", f2.to_str().unwrap()]);
        assert_eq!(i.order_state("PO1"), "shipped");
        assert_eq!(i.stock_of("MUG"), (8, 0));
    }
}
