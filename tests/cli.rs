//! The command line as an admin uses it.

mod common;

use std::process::Command;

#[test]
fn help_everywhere() {
    let groups: &[&[&str]] = &[
        &[],
        &["init"],
        &["serve"],
        &["inspect"],
        &["ingest"],
        &["retailer"],
        &["retailer", "apply"],
        &["retailer", "list"],
        &["retailer", "show"],
        &["stock", "import"],
        &["stock", "show"],
        &["orders", "list"],
        &["orders", "show"],
        &["documents", "list"],
        &["documents", "show"],
        &["documents", "reprocess"],
        &["outbox", "list"],
        &["outbox", "show"],
        &["slips"],
        &["slips", "print"],
        &["slips", "preview"],
    ];
    for g in groups {
        let out = Command::new(common::bin()).args(*g).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("Usage:"), "{g:?} --help: {text}");
    }
}

#[test]
fn demo_setup_and_listings() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(common::bin())
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("DROPGATE_CONFIG")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["init", "--demo"]);
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("dropgate.toml").exists());
    assert!(dir.path().join("data/dropgate.db").exists());
    assert!(dir.path().join("data/retailers/demo/inbound").is_dir());
    // A second init refuses to overwrite.
    let again = run(&["init"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let list = run(&["retailer", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v[0]["id"], "demo");
    assert_eq!(v[0]["sender_id"], "ZZ:DEMOSHOP");
    let stock = run(&["stock", "show", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&stock.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["available"], v[0]["on_hand"]);
    // Applying the same profile again changes nothing.
    let same = run(&["retailer", "apply", "retailers/demo.toml"]);
    assert!(String::from_utf8_lossy(&same.stdout).contains("demo: unchanged"), "{same:?}");
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let i = common::Install::new(common::sqlite_db());
    // A stock file with bad rows: every one named by line, nothing imported.
    let f = i.path().join("bad.csv");
    std::fs::write(&f, "sku,on_hand\nA,5\nB,-1\n,3\nC,lots\nA,2\n").unwrap();
    let out = i.run(&["stock", "import", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["line 3", "line 4", "line 5", "line 6", "nothing imported"] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    assert_eq!(i.json(&["stock", "show"]).as_array().unwrap().len(), 0);
    let f = i.path().join("nohead.csv");
    std::fs::write(&f, "item,qty\nA,5\n").unwrap();
    let err = String::from_utf8_lossy(&i.run(&["stock", "import", f.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("sku and on_hand"), "{err}");

    // A retailer profile with a typo'd key or a bad id.
    let f = i.path().join("r.toml");
    std::fs::write(&f, "id = \"x\"\nname = \"X\"\n[x12]\nsender_id = \"ZZ:X\"\nreceiver_id = \"ZZ:Y\"\n[policy]\non_shrot = \"backorder\"\n").unwrap();
    let err = String::from_utf8_lossy(&i.run(&["retailer", "apply", f.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("on_shrot"), "{err}");
    std::fs::write(&f, "id = \"x\"\nname = \"X\"\n[x12]\nsender_id = \"ACME\"\nreceiver_id = \"ZZ:Y\"\n").unwrap();
    let err = String::from_utf8_lossy(&i.run(&["retailer", "apply", f.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("QUALIFIER:ID"), "{err}");
    // Two retailers cannot share a sender id.
    i.retailer("one", "ZZ:SAME", "backorder");
    let f = i.path().join("two.toml");
    std::fs::write(&f, "id = \"two\"\nname = \"Two\"\n[x12]\nsender_id = \"ZZ:SAME\"\nreceiver_id = \"ZZ:DROPGATE\"\n")
        .unwrap();
    let err = String::from_utf8_lossy(&i.run(&["retailer", "apply", f.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("already used by retailer \"one\""), "{err}");

    // No configuration: a clear error.
    let out = Command::new(common::bin())
        .args(["--config", "/nonexistent/dropgate.toml", "orders", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("dropgate init"));
    // inspect: usage and I/O errors exit 2.
    let out = Command::new(common::bin()).args(["inspect", "/nonexistent.edi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
