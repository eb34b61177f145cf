//! The daemon's SQLite checkpointer. A test binary of its own: the
//! checkpointer watches the commits of the whole process, and tests of
//! other binaries committing meanwhile would keep it from seeing a pause.

use dropgate::store::documents::{self, Arrival, Body};
use dropgate::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};

/// Stops the checkpointer when dropped, also when an assertion fails.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The daemon's checkpointer copies the write-ahead log into the database
/// at a pause and leaves the log's file as it is, so that the next commit
/// writes over its first frames (the file does not grow); and it leaves an
/// empty log when it stops: every commit is in the database file.
#[test]
fn checkpointer_reuses_the_log_and_empties_it_when_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    let wal = dir.path().join("d.db-wal");
    let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let store = Store::open_for_daemon(&url, 2).unwrap();
    let checkpointer = store.checkpointer().expect("SQLite has a checkpointer");
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let running = s.spawn(|| checkpointer.run(&stop));
        let stopping = StopOnDrop(&stop);
        // An idle pooled connection stays open meanwhile: it holds no snapshot.
        let mut conn = store.conn().unwrap();
        let mut receive = |n: usize| {
            let body = format!("document {n}");
            let a = Arrival {
                source: "cli",
                name: "d.edi",
                retailer: None,
                body: Body::Bytes(body.as_bytes()),
                settled: true,
            };
            documents::receive(&mut conn, a).unwrap();
        };
        for n in 0..50 {
            receive(n);
        }
        let filled = wal_len();
        assert!(filled > 0, "the commits are in the log");
        // A pause: the log is copied, and kept to be written over.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert_eq!(wal_len(), filled, "a pause leaves the log's file as it is");
        receive(50);
        assert_eq!(wal_len(), filled, "the next commit writes over the log's first frames");
        drop(stopping);
        running.join().unwrap();
        assert_eq!(wal_len(), 0, "the log is emptied at the stop");
    });
    drop(store);
    let store = Store::open(&url, 1).unwrap();
    let mut conn = store.conn().unwrap();
    assert_eq!(documents::pending(&mut conn, 100).unwrap().len(), 51);
}
