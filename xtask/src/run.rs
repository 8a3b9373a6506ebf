//! Running commands: inherit the terminal, or pass output through while
//! counting `cargo test` results.

use crate::Result;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

pub struct Cmd {
    inner: Command,
    display: String,
}

pub fn command<S: AsRef<str>>(program: &str, args: &[S]) -> Cmd {
    let mut inner = Command::new(program);
    // `cargo xtask` runs under `cargo run`, which sets the package's
    // CARGO_PKG_* and CARGO_MANIFEST_* variables. Build scripts that watch
    // them (ring's does) would see another value than in a plain shell and
    // build again, and all that depends on them: the children don't get them.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&key.as_ref())
        {
            inner.env_remove(key.as_ref());
        }
    }
    let mut display = program.to_string();
    for arg in args {
        inner.arg(arg.as_ref());
        display.push(' ');
        display.push_str(arg.as_ref());
    }
    Cmd { inner, display }
}

impl Cmd {
    pub fn env(mut self, key: &str, value: &str) -> Cmd {
        self.inner.env(key, value);
        self
    }

    pub fn status_ok(mut self) -> Result {
        eprintln!("$ {}", self.display);
        let status = self
            .inner
            .status()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.display))
        }
    }

    /// Runs the command with its output appended to `log` (for work done in
    /// the background, so it does not interleave with the builds); on failure
    /// the log's last lines are printed.
    pub fn logged(mut self, log: &str) -> Result {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {log}: {e}"))?;
        let mut for_stdout = file.try_clone().map_err(|e| e.to_string())?;
        let _ = writeln!(for_stdout, "$ {}", self.display);
        let status = self
            .inner
            .stdin(Stdio::null())
            .stdout(for_stdout)
            .stderr(file)
            .status()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display))?;
        if status.success() {
            return Ok(());
        }
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines[lines.len().saturating_sub(30)..] {
            eprintln!("  | {line}");
        }
        Err(format!(
            "`{}` failed ({status}); its output is in {log}",
            self.display
        ))
    }

    /// Runs a cargo build with `--message-format=json…` added, printing the
    /// compiler's messages as cargo would and counting the warnings and errors
    /// (each distinct message once). `Err` when the build fails.
    pub fn diagnostics(mut self, count: &mut u64) -> Result {
        use std::io::IsTerminal;
        let format = if std::io::stderr().is_terminal() {
            "--message-format=json-diagnostic-rendered-ansi"
        } else {
            "--message-format=json"
        };
        self.inner.arg(format);
        eprintln!("$ {}", self.display);
        let mut child = self
            .inner
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut seen = std::collections::HashSet::new();
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::io::Result::ok)
        {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
                println!("{line}");
                continue;
            };
            if message["reason"] != "compiler-message" {
                continue;
            }
            let level = message["message"]["level"].as_str().unwrap_or("");
            let rendered = message["message"]["rendered"].as_str().unwrap_or("");
            if is_summary(message["message"]["message"].as_str().unwrap_or("")) {
                continue;
            }
            // The same lint in the lib and in its test build is one finding.
            if !seen.insert(rendered.to_string()) {
                continue;
            }
            eprint!("{rendered}");
            if level == "warning" || level.starts_with("error") {
                *count += 1;
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("`{}` did not finish: {e}", self.display))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.display))
        }
    }

    /// Output, or `None` when the program is missing or fails.
    pub fn output_text(mut self) -> Option<String> {
        let output = self.inner.stderr(Stdio::null()).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs `cargo test`, echoing its output and adding its results to `tally`.
    pub fn tally(mut self, tally: &mut Tally) -> Result {
        eprintln!("$ {}", self.display);
        let mut child = self
            .inner
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::io::Result::ok)
        {
            println!("{line}");
            tally.add_line(&line);
        }
        let status = child
            .wait()
            .map_err(|e| format!("`{}` did not finish: {e}", self.display))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.display))
        }
    }
}

/// rustc's closing lines (`3 warnings emitted`, `aborting due to …`): not findings.
fn is_summary(text: &str) -> bool {
    text.starts_with("aborting due to")
        || (text.ends_with(" emitted")
            && text
                .split_whitespace()
                .next()
                .is_some_and(|n| n.parse::<u64>().is_ok()))
}

/// Sums the `test result: ... N passed; M failed; K ignored` lines.
#[derive(Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Tally {
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(number), Some(label)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => self.passed += number,
                "failed" => self.failed += number,
                "ignored" => self.ignored += number,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_counts_each_distinct_warning_once_and_not_rustcs_closing_lines() {
        let dir = std::env::temp_dir().join(format!("xtask-diagnostics-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"probe\"\nversion = \"0.0.0\"\nedition = \"2024\"\n[workspace]\n",
        )
        .unwrap();
        // Two warnings in the lib, reported again by its test build.
        std::fs::write(
            dir.join("src/lib.rs"),
            "pub fn f() { let unused = 1; }\npub fn g() { let also_unused = 2; }\n",
        )
        .unwrap();
        let manifest = dir.join("Cargo.toml").display().to_string();
        let mut count = 0;
        let result = command(
            "cargo",
            &[
                "check",
                "--lib",
                "--tests",
                "--quiet",
                "--manifest-path",
                &manifest,
            ],
        )
        .env(
            "CARGO_TARGET_DIR",
            &dir.join("target").display().to_string(),
        )
        .diagnostics(&mut count);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(result, Ok(()));
        assert_eq!(count, 2);
    }

    #[test]
    fn rustcs_closing_lines_are_not_findings() {
        assert!(is_summary("2 warnings emitted"));
        assert!(is_summary("aborting due to 1 previous error"));
        assert!(!is_summary("unused variable: `x`"));
    }

    #[test]
    fn the_tally_adds_every_result_line() {
        let mut tally = Tally::default();
        tally.add_line("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.5s");
        tally.add_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        tally.add_line("running 5 tests");
        assert_eq!((tally.passed, tally.failed, tally.ignored), (15, 2, 1));
    }
}
