//! `dropgate inspect`: the contract the acceptance checks rely on.

mod common;

use std::process::Command;

fn inspect(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(common::bin()).arg("inspect").args(args).env_remove("DROPGATE_CONFIG").output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(file: &str) -> (i32, serde_json::Value) {
    let path = common::fixture(file);
    let (code, out, err) = inspect(&[path.to_str().unwrap(), "--json"]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{file}: not JSON ({e}): {out}{err}"));
    (code.unwrap(), v)
}

#[test]
fn a_clean_order_file() {
    let (code, v) = json("third_party/x12/850x3_4010VICS_mule_officemax_CR_terminator_CRLF_PO4.edi");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    let orders = v["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 3);
    for o in orders {
        assert!(o["po_number"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(!o["lines"].as_array().unwrap().is_empty());
    }
}

#[test]
fn a_change_says_its_purpose() {
    let (_, v) = json("third_party/x12/860_4010_edidocs_microcenter_ISA16_rbrace_POC_DI.edi");
    let o = &v["orders"][0];
    assert!(o["purpose"] == "change" || o["purpose"] == "cancel", "{o}");
    assert!(o["po_number"].is_string());
}

#[test]
fn broken_files_exit_1_with_located_errors() {
    for f in [
        "third_party/x12/invalid_850_4010_edifabric_corrupt_ISA_tag.edi",
        "third_party/x12/invalid_850x2_5010_mule_missing_GE_trailer.edi",
        "third_party/x12/invalid_not_edi_random_text.edi",
    ] {
        let (code, v) = json(f);
        assert_eq!(code, 1, "{f}");
        let errors = v["errors"].as_array().unwrap();
        assert!(!errors.is_empty(), "{f}");
        assert!(errors.iter().all(|e| e["message"].as_str().is_some_and(|m| m.contains(".edi"))), "{f}: {errors:?}");
    }
    let (_, v) = json("third_party/x12/invalid_850x2_5010_mule_missing_GE_trailer.edi");
    let msgs: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(msgs.iter().any(|m| m.contains("GE")), "{msgs:?}");
}

#[test]
fn ack_prints_the_acknowledgement_with_parties_swapped() {
    let path = common::fixture("third_party/x12/850x2_4010_edifabric_two_GS_groups_MSG_PO4.edi");
    let (code, out, _) = inspect(&[path.to_str().unwrap(), "--ack"]);
    assert!(code == Some(0) || code == Some(1));
    assert!(out.starts_with("ISA*"), "{out}");
    assert_eq!(out.matches("ST*997*").count(), 2, "one 997 per group: {out}");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ack.edi");
    std::fs::write(&f, &out).unwrap();
    let (ok, text) = common::edi_validate(&f);
    assert!(ok, "{text}\n{out}");
}

#[test]
fn never_panics_on_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let sample = common::fixture_bytes("third_party/x12/850_4010_bots_safeway_CTP_SAC_MSG_trailing_blank_lines.edi");
    for n in 0..40 {
        let mut bytes = sample.clone();
        for _ in 0..(1 + n % 7) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % bytes.len();
            match seed % 3 {
                0 => bytes[at] = (seed >> 8) as u8,
                1 => bytes.truncate(at.max(1)),
                _ => bytes.insert(at, b'~'),
            }
        }
        let f = dir.path().join(format!("g{n}.edi"));
        std::fs::write(&f, &bytes).unwrap();
        for flag in ["--json", "--ack"] {
            let (code, _, err) = inspect(&[f.to_str().unwrap(), flag]);
            assert!(matches!(code, Some(0 | 1)), "exit {code:?} on {}: {err}", f.display());
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}
