//! The three setups the store benchmarks run on.

use crate::postgres;

/// The three setups, each on a fresh database: SQLite in the file `sqlite`
/// (whatever was there removed), PostgreSQL on `cluster` behind one server,
/// and behind three servers on one database. Each: its name, the `--db` of
/// each server, its durability.
pub(super) fn setups(
    cluster: &postgres::Cluster,
    sqlite: &str,
) -> [(&'static str, Vec<String>, &'static str); 3] {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{sqlite}{suffix}"));
    }
    let one = cluster.create_database();
    let three = cluster.create_database();
    [
        (
            "sqlite",
            vec![sqlite.to_owned()],
            "WAL, synchronous=FULL: every 201 is on disk",
        ),
        (
            "postgres_1_server",
            vec![one],
            "synchronous_commit=on, fsync=on: every 201 is on disk",
        ),
        (
            "postgres_3_servers",
            vec![three; 3],
            "synchronous_commit=on, fsync=on: every 201 is on disk",
        ),
    ]
}
