//! Throwaway PostgreSQL clusters for tests: Debian's server binaries,
//! `initdb` into a temporary directory (as the `postgres` user when the tests
//! run as root, since PostgreSQL refuses to run as root), a free loopback
//! port, and a watchdog that stops the cluster and removes the directory when
//! the cluster is dropped or the test process exits, however it exits.
//!
//! Only `std`: `cargo xtask bench` includes this file too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Cluster {
    pub port: u16,
    data: PathBuf,
    /// The server's options and log file, for `pg_ctl start`.
    options: String,
    log: String,
    bin: PathBuf,
    as_postgres: bool,
    /// A shell waiting on our pipe: when the pipe closes, it stops the
    /// server and removes the directory.
    watchdog: Option<Child>,
}

/// Where Debian puts the server binaries (not on `PATH`): the newest version.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name())
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server binaries are missing: run `cargo xtask setup --postgres` \
             (apt-get install postgresql)"
        )
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A new directory under the system's temporary folder.
fn new_directory() -> PathBuf {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    loop {
        let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("stock-widget-pg-{}-{count}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => return path,
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => panic!("cannot create {}: {error}", path.display()),
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl Cluster {
    /// A new cluster, started. `durable: false` turns fsync off (faster; for
    /// suites that never crash the database itself).
    pub fn start(durable: bool) -> Cluster {
        let bin = bin_dir();
        let as_postgres = running_as_root();
        let home = new_directory();
        let data = home.join("data");
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&home)
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "chown the cluster's directory to postgres"
            );
        }
        let port = free_port();
        let options = Cluster::server_options(port, &home, durable);
        let mut cluster = Cluster {
            port,
            data,
            options,
            log: home.join("server.log").to_string_lossy().into_owned(),
            bin,
            as_postgres,
            watchdog: None,
        };
        cluster.watchdog = Some(cluster.spawn_watchdog(&home));
        let data = cluster.data.to_string_lossy().into_owned();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                // The same collation whatever the machine's LANG.
                "--locale=C",
                "--no-sync",
            ],
        );
        // The port was free a moment ago; another process may have taken it
        // since: then try another.
        for _ in 0..5 {
            if cluster.try_start() {
                return cluster;
            }
            cluster.port = free_port();
            cluster.options = Cluster::server_options(cluster.port, &home, durable);
        }
        panic!("PostgreSQL did not start; see {}", cluster.log);
    }

    fn server_options(port: u16, home: &Path, durable: bool) -> String {
        format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 \
             -c shared_buffers=64MB -c fsync={}",
            home.display(),
            if durable { "on" } else { "off" },
        )
    }

    fn try_start(&self) -> bool {
        let data = self.data.to_string_lossy().into_owned();
        self.command("pg_ctl")
            .args([
                "-D",
                &data,
                "-l",
                &self.log,
                "-w",
                "-o",
                &self.options,
                "start",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn spawn_watchdog(&self, home: &Path) -> Child {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = if self.as_postgres {
            "runuser -u postgres -- \"$1\" -D \"$2\" -m immediate stop"
        } else {
            "\"$1\" -D \"$2\" -m immediate stop"
        };
        use std::os::unix::process::CommandExt;
        Command::new("sh")
            // Its own process group: a signal to the tests' group (Ctrl-C, a
            // CI timeout) must not take the cleanup down with them.
            .process_group(0)
            .arg("-c")
            .arg(format!(
                "read _ignored; {stop} >/dev/null 2>&1; rm -rf \"$3\""
            ))
            .arg("watchdog")
            .arg(pg_ctl)
            .arg(&self.data)
            .arg(home)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the cluster's watchdog")
    }

    /// The URL of `database` on this cluster, as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database; returns its URL.
    pub fn create_database(&self) -> String {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "test_{}",
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        self.client("createdb", &[&name]);
        self.url(&name)
    }

    /// `CHECKPOINT`: what the runs before left in memory is written out now,
    /// not during the next run (`cargo xtask bench --contention`).
    pub fn checkpoint(&self) {
        self.client("psql", &["-c", "CHECKPOINT"]);
    }

    /// Runs one of the cluster's client programs against it, as the
    /// `postgres` role (a client: no need to be the postgres user).
    fn client(&self, program: &str, args: &[&str]) {
        let port = self.port.to_string();
        let output = Command::new(self.bin.join(program))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `pg_ctl restart -m fast`: connections are cut, the servers must cope.
    pub fn restart(&self) {
        let data = self.data.to_string_lossy().into_owned();
        // With the log file: a server started without one would hold our
        // output pipe open, and `output()` would wait for it forever.
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &self.log, "-m", "fast", "-w", "restart"],
        );
    }

    /// `pg_ctl stop -m fast`.
    pub fn stop(&self) {
        let data = self.data.to_string_lossy().into_owned();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    /// Starts the (stopped) cluster.
    pub fn start_again(&self) {
        assert!(
            self.try_start(),
            "PostgreSQL did not start; see {}",
            self.log
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            // Closing its stdin is the signal; then wait until it is done.
            if let Some(mut stdin) = watchdog.stdin.take() {
                let _ = stdin.flush();
            }
            let _ = watchdog.wait();
        }
    }
}

/// One cluster for every test of this process that runs on PostgreSQL
/// (`STOCK_WIDGET_TEST_STORE=postgres`); each test server gets its own
/// database in it. Never dropped: the watchdog removes it when the process ends.
pub fn shared() -> &'static Cluster {
    static SHARED: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| Cluster::start(false))
}
