//! The benchmarks' own HTTP client.

use crate::Result;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A minimal HTTP/1.1 client on one keep-alive connection (no dependency, no pool).
pub(crate) struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    pub(crate) fn open(base: &str) -> Result<Connection> {
        let host = base.trim_start_matches("http://").to_string();
        let stream = TcpStream::connect(&host).map_err(|e| format!("connect {host}: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
        stream.set_nodelay(true).ok();
        Ok(Connection {
            stream: BufReader::new(stream),
            host,
        })
    }

    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> Result<(u16, String)> {
        let request = request(&self.host, method, path, headers, body);
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut status_line = String::new();
        self.stream
            .read_line(&mut status_line)
            .map_err(|e| e.to_string())?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("no status")?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stream
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream
            .read_exact(&mut body)
            .map_err(|e| e.to_string())?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// An HTTP/1.1 request to `host` with a JSON `body`; `headers`: more header
/// lines, each ending in `\r\n`.
pub(crate) fn request(host: &str, method: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
}
