//! A real SMTP server for the mail tests: aiosmtpd (installed by `cargo
//! xtask setup` into `target/tools/venv`) on 127.0.0.1 and a free port, with
//! the handler in `smtp_sink.py`, which writes each message it accepts,
//! parsed, as JSON into a temporary folder. Stopped when dropped.

use super::{project_dir, wait_until};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The venv's Python, if aiosmtpd is installed in it.
fn python() -> Option<PathBuf> {
    let venv = project_dir().join("target/tools/venv");
    let python = venv.join("bin/python");
    venv.join("bin/aiosmtpd").exists().then_some(python)
}

/// A free port on 127.0.0.1 (for a server started later).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

impl SmtpSink {
    /// Starts the server on `port`; the first `reject_first` messages are
    /// answered `451`.
    pub async fn start_on(port: u16, reject_first: u32) -> SmtpSink {
        SmtpSink::launch(port, reject_first, 0).await
    }

    /// Starts a server that never answers the first `hold_first` messages
    /// (their sender is to be killed mid-send), and accepts the rest.
    pub async fn start_holding_first(hold_first: u32) -> SmtpSink {
        SmtpSink::launch(free_port(), 0, hold_first).await
    }

    async fn launch(port: u16, reject_first: u32, hold_first: u32) -> SmtpSink {
        // `cargo xtask test` installs aiosmtpd: a missing one fails the test
        // (as a missing schemathesis fails the contract test), never skips it.
        let python = python().expect(
            "aiosmtpd is not installed in target/tools/venv \
             (`cargo xtask setup`, or `target/tools/venv/bin/pip install aiosmtpd`)",
        );
        let dir = tempfile::tempdir().expect("a folder for the mails");
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "smtp_sink.Sink"])
            .env("PYTHONPATH", project_dir().join("tests/support"))
            .env("SMTP_SINK_DIR", dir.path())
            .env("SMTP_SINK_REJECT_FIRST", reject_first.to_string())
            .env("SMTP_SINK_HOLD_FIRST", hold_first.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let sink = SmtpSink {
            port,
            dir,
            child: Some(child),
        };
        wait_until(
            "aiosmtpd to listen",
            Duration::from_secs(20),
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
            },
        )
        .await;
        sink
    }

    pub async fn start() -> SmtpSink {
        SmtpSink::start_on(free_port(), 0).await
    }

    /// `smtp://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, in order.
    pub fn mails(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|entry| {
                let name = entry.unwrap().file_name().into_string().unwrap();
                name.ends_with(".json").then_some(name)
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap();
                serde_json::from_str(&text).unwrap()
            })
            .collect()
    }

    /// Every DATA command so far: the Message-ID, whether it was refused,
    /// and whether it was held unanswered.
    pub fn attempts(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("attempts.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Waits until `count` messages were accepted, and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        wait_until(
            &format!("{count} mails"),
            Duration::from_secs(30),
            || async { self.mails().len() >= count },
        )
        .await;
        self.mails()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
