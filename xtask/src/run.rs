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
