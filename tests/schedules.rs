//! Scheduled batches with an injected clock: the scheduler
//! (`pipeline::batches::run_due`) is driven through daylight saving changes
//! in America/New_York and Europe/Berlin, through an outage, and from two
//! instances sharing one PostgreSQL database.

mod common;

use common::{po850, Install, PoLines};
use dropgate::pipeline::batches::run_due;
use dropgate::store::{batches, Store};

fn us(t: &str) -> i64 {
    t.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

fn local(us: i64, tz: &str) -> String {
    jiff::Timestamp::from_microsecond(us).unwrap().in_tz(tz).unwrap().strftime("%m-%d %H:%M %Z").to_string()
}

fn install(db: common::TestDb, schedule: &str) -> Install {
    let i = Install::new(db);
    let text = format!(
        "id = \"acme\"\nname = \"Acme\"\n[x12]\nsender_id = \"ZZ:ACME\"\nreceiver_id = \"ZZ:DROPGATE\"\n[schedule]\n{schedule}\n"
    );
    let f = i.path().join("acme.toml");
    std::fs::write(&f, text).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock("sku,on_hand,upc\nLAMP,50,012345678905\n");
    i
}

/// Steps the clock from `from` to `to` in `step_min` minutes, running the
/// scheduler at each step; returns the runs made (local time, trigger).
fn drive(store: &Store, from: &str, to: &str, step_min: i64, tz: &str) -> Vec<(String, String)> {
    let mut conn = store.conn().unwrap();
    let (mut t, end) = (us(from), us(to));
    let mut out = Vec::new();
    while t <= end {
        for r in run_due(&mut conn, t).unwrap() {
            out.push((local(r.scheduled_for, tz), r.trigger));
        }
        t += step_min * 60_000_000;
    }
    out
}

fn schedule_only(runs: Vec<(String, String)>) -> Vec<String> {
    runs.into_iter().filter(|(_, t)| t == "schedule").map(|(l, _)| l).collect()
}

#[test]
fn new_york_across_both_changes() {
    let i = install(
        common::sqlite_db(),
        "timezone = \"America/New_York\"\ninventory = \"30 2 * * *\"\nasn = \"30 1 * * *\"",
    );
    let store = Store::open(&i.db.url, 2).unwrap();
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    let runs = drive(&store, "2027-03-13T00:00:00Z", "2027-03-16T00:00:00Z", 10, "America/New_York");
    assert_eq!(
        runs.iter().filter(|(_, t)| t == "missed").count(),
        2,
        "the first look makes up for the time before: {runs:?}"
    );
    let inv: Vec<String> =
        schedule_only(runs).into_iter().filter(|l| l.contains("02:30") || l.contains("03:00")).collect();
    assert_eq!(inv, ["03-13 02:30 EST", "03-14 03:00 EDT", "03-15 02:30 EDT"]);
    // 2027-11-07: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice, runs once.
    let runs = schedule_only(drive(&store, "2027-11-06T00:00:00Z", "2027-11-09T00:00:00Z", 10, "America/New_York"));
    let asn: Vec<&String> = runs.iter().filter(|l| l.contains("01:30")).collect();
    assert_eq!(asn, ["11-06 01:30 EDT", "11-07 01:30 EDT", "11-08 01:30 EST"]);
    let inv: Vec<&String> = runs.iter().filter(|l| l.contains("02:30")).collect();
    assert_eq!(inv, ["11-06 02:30 EDT", "11-07 02:30 EST", "11-08 02:30 EST"]);
}

#[test]
fn berlin_across_both_changes() {
    let i = install(common::sqlite_db(), "timezone = \"Europe/Berlin\"\ninventory = \"15 2 * * *\"");
    let store = Store::open(&i.db.url, 2).unwrap();
    let runs = schedule_only(drive(&store, "2027-03-27T00:00:00Z", "2027-03-30T00:00:00Z", 5, "Europe/Berlin"));
    assert_eq!(runs, ["03-27 02:15 CET", "03-28 03:00 CEST", "03-29 02:15 CEST"]);
    let runs = schedule_only(drive(&store, "2027-10-30T00:00:00Z", "2027-11-02T00:00:00Z", 5, "Europe/Berlin"));
    assert_eq!(runs, ["10-30 02:15 CEST", "10-31 02:15 CEST", "11-01 02:15 CET"]);
}

#[test]
fn a_missed_run_runs_once_on_start() {
    let i = install(common::sqlite_db(), "timezone = \"UTC\"\ninventory = \"0 * * * *\"");
    let store = Store::open(&i.db.url, 2).unwrap();
    drive(&store, "2027-01-10T00:00:00Z", "2027-01-10T05:30:00Z", 15, "UTC");
    let mut conn = store.conn().unwrap();
    let before = batches::list(&mut conn, Some("acme"), None, 1000).unwrap().len();
    // Down from 05:30 to 09:20: four runs were missed; one is made.
    let made = run_due(&mut conn, us("2027-01-10T09:20:00Z")).unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!((local(made[0].scheduled_for, "UTC").as_str(), made[0].trigger.as_str()), ("01-10 09:00 UTC", "missed"));
    assert!(run_due(&mut conn, us("2027-01-10T09:21:00Z")).unwrap().is_empty(), "not again");
    assert_eq!(batches::list(&mut conn, Some("acme"), None, 1000).unwrap().len(), before + 1);
}

#[test]
fn serve_makes_up_a_missed_run_on_start() {
    let i = install(common::sqlite_db(), "timezone = \"UTC\"\ninventory = \"0 * * * *\"");
    let store = Store::open(&i.db.url, 2).unwrap();
    let mut conn = store.conn().unwrap();
    // The last run was three hours ago; serve was down since.
    let p = dropgate::store::retailers::get(&mut conn, "acme").unwrap().unwrap().profile().unwrap();
    let then = dropgate::store::now_micros() - 3 * 3_600_000_000;
    dropgate::pipeline::batches::run_batch(&mut conn, &p, "inventory", then, "schedule", then).unwrap().unwrap();
    let cfg = std::fs::read_to_string(i.config()).unwrap();
    std::fs::write(i.config(), cfg.replace("[outbox]", "[batches]\npoll_ms = 100\n[outbox]")).unwrap();
    let serve = common::Serve(i.cmd().arg("serve").spawn().unwrap());
    let t = std::time::Instant::now();
    while batches::list(&mut conn, Some("acme"), None, 10).unwrap().len() < 2 {
        assert!(t.elapsed() < std::time::Duration::from_secs(60), "serve made no run");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Give it a few more rounds of its loop: it must not run again.
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert!(serve.stop().success());
    let runs = batches::list(&mut conn, Some("acme"), None, 10).unwrap();
    assert_eq!(runs.len(), 2, "one run for the time down: {runs:?}");
    assert_eq!(runs[0].trigger, "missed");
    assert!(runs[0].scheduled_for > then && runs[0].scheduled_for % 3_600_000_000 == 0, "the latest hour due");
}

#[test]
fn two_instances_on_postgres_make_each_batch_once() {
    let Some(db) = common::pg_db("two_instances_on_postgres_make_each_batch_once") else { return };
    let i = install(
        db,
        "timezone = \"America/New_York\"\nasn = \"*/20 * * * *\"\ninvoice = \"0 * * * *\"\ninventory = \"0 */2 * * *\"",
    );
    let lines: &[(&str, u32, &str)] = &[("012345678905", 1, "24.50")];
    let pos: Vec<String> = (0..30).map(|n| format!("PO{n}")).collect();
    let set: Vec<(&str, PoLines<'_>)> = pos.iter().map(|p| (p.as_str(), lines)).collect();
    i.ingest("acme", "po.edi", &po850("ACME", 1, &set));
    let (a, b) = (Store::open(&i.db.url, 2).unwrap(), Store::open(&i.db.url, 2).unwrap());
    let barrier = std::sync::Barrier::new(2);
    let start = us("2027-03-14T05:00:00Z");
    std::thread::scope(|s| {
        for (n, store) in [&a, &b].into_iter().enumerate() {
            let barrier = &barrier;
            let i = &i;
            s.spawn(move || {
                let mut conn = store.conn().unwrap();
                for step in 0..24 {
                    // Shipments keep arriving between the runs.
                    if n == 0 {
                        let po = format!("PO{step}");
                        i.ok(&["ship", &po, "--carrier", "UPSN", "--tracking", &format!("1Z{step:04}")]);
                    }
                    barrier.wait();
                    run_due(&mut conn, start + step * 10 * 60_000_000).unwrap();
                }
            });
        }
    });
    let mut conn = a.conn().unwrap();
    let runs = batches::list(&mut conn, Some("acme"), None, 10_000).unwrap();
    let mut keys: Vec<(String, i64)> = runs.iter().map(|r| (r.kind.clone(), r.scheduled_for)).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a batch ran twice");
    let outbox = dropgate::store::outbox::list(
        &mut conn,
        &dropgate::store::outbox::OutboxFilter { retailer: Some("acme".into()), state: None, limit: 100_000 },
    )
    .unwrap();
    let count = |k: &str| outbox.iter().filter(|o| o.kind == k).count();
    // The shipment of the last step (03:50 EST) waits for the 04:00 notice.
    assert_eq!(count("856"), 23, "one notice per shipment");
    let invoiced: usize = runs.iter().filter(|r| r.kind == "invoice").map(|r| r.items as usize).sum();
    assert_eq!(count("810"), invoiced);
    let mut names: Vec<&str> = outbox.iter().map(|o| o.file_name.as_str()).collect();
    names.sort_unstable();
    let total = names.len();
    names.dedup();
    assert_eq!(names.len(), total, "every document once");
    // Four hours in steps of 10 minutes from 00:00 EST on the day the clocks
    // jump at 02:00: what falls in the skipped hour runs once at 03:00 EDT.
    // asn (every 20 min): 00:20…01:40, 03:00, 03:20…04:40; invoice (hourly):
    // 01:00, 03:00, 04:00; inventory (every 2 h): 03:00 (for 02:00), 04:00.
    let per = |k: &str| runs.iter().filter(|r| r.kind == k && r.trigger == "schedule").count();
    assert_eq!((per("asn"), per("invoice"), per("inventory")), (11, 3, 2));
}
