//! The rush's clients on one thread: keep-alive connections driven by
//! readiness (`mio`), as `wrk` drives its clients. A thread per client
//! (256 blocking threads) took a quarter of the two cores' time in a drop,
//! most of it switching between threads, from the server it measured.

use crate::Result;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// How long the rush may go without any answer before it is abandoned
/// (the blocking client's read timeout).
const STALLED: Duration = Duration::from_secs(30);

/// One client's turn: the request it sends next, given its index; none
/// when it is done.
pub(super) trait Script {
    /// The next request's bytes for `client`, or none: it stops.
    fn next_request(&mut self, client: usize) -> Option<Vec<u8>>;
    /// `client`'s answer (status, body) after `latency_ms`, or none (no
    /// answer: the connection failed and is opened again); `false`: it stops.
    fn answered(&mut self, client: usize, answer: Option<(u16, &[u8])>, latency_ms: f64) -> bool;
}

struct Client {
    host: String,
    stream: TcpStream,
    /// The request being sent and how much of it is written.
    request: Vec<u8>,
    written: usize,
    received: Vec<u8>,
    sent: Instant,
    busy: bool,
}

fn connect(host: &str) -> Result<TcpStream> {
    let stream = std::net::TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream.set_nodelay(true).ok();
    stream
        .set_nonblocking(true)
        .map_err(|e| format!("connect {host}: {e}"))?;
    Ok(TcpStream::from_std(stream))
}

/// Opens one connection per entry of `hosts` (client `i` to `hosts[i]`),
/// then calls `ready` (the clock starts there) and runs `script` on them
/// until every client has stopped.
pub(super) fn run(hosts: &[String], script: &mut impl Script, ready: impl FnOnce()) -> Result {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut clients = Vec::with_capacity(hosts.len());
    for (index, host) in hosts.iter().enumerate() {
        let mut stream = connect(host)?;
        poll.registry()
            .register(
                &mut stream,
                Token(index),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| e.to_string())?;
        clients.push(Client {
            host: host.clone(),
            stream,
            request: Vec::new(),
            written: 0,
            received: Vec::with_capacity(4096),
            sent: Instant::now(),
            busy: false,
        });
    }
    ready();
    let mut active = 0;
    for (index, client) in clients.iter_mut().enumerate() {
        if start_next(client, index, script)? {
            active += 1;
        }
    }
    let mut events = Events::with_capacity(1024);
    let mut progress = Instant::now();
    while active > 0 {
        poll.poll(&mut events, Some(Duration::from_secs(1)))
            .map_err(|e| e.to_string())?;
        if progress.elapsed() > STALLED {
            return Err(format!("the rush stalled: no answer in {STALLED:?}"));
        }
        for event in events.iter() {
            let index = event.token().0;
            let client = &mut clients[index];
            if !client.busy {
                continue;
            }
            let outcome = match drive(client) {
                Ok(None) => continue,
                Ok(Some((status, length))) => {
                    let body = &client.received[client.received.len() - length..];
                    Some((status, body.to_vec()))
                }
                Err(()) => None,
            };
            progress = Instant::now();
            let latency_ms = client.sent.elapsed().as_secs_f64() * 1000.0;
            client.busy = false;
            client.received.clear();
            let go_on = script.answered(
                index,
                outcome
                    .as_ref()
                    .map(|(status, body)| (*status, body.as_slice())),
                latency_ms,
            );
            if outcome.is_none() {
                // Opened again, as the blocking client did.
                let _ = poll.registry().deregister(&mut client.stream);
                client.stream = connect(&client.host)?;
                poll.registry()
                    .register(
                        &mut client.stream,
                        Token(index),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .map_err(|e| e.to_string())?;
            }
            if !(go_on && start_next(client, index, script)?) {
                active -= 1;
            }
        }
    }
    Ok(())
}

/// Sends the client's next request, if its script has one.
fn start_next(client: &mut Client, index: usize, script: &mut impl Script) -> Result<bool> {
    let Some(request) = script.next_request(index) else {
        return Ok(false);
    };
    client.request = request;
    client.written = 0;
    client.sent = Instant::now();
    client.busy = true;
    // Written now if the socket takes it (it nearly always does); the rest
    // when it is writable again. A failure here shows in its next read.
    let _ = flush(client);
    Ok(true)
}

/// Writes what is left of the request; `Err`: the connection failed.
fn flush(client: &mut Client) -> std::result::Result<(), ()> {
    while client.written < client.request.len() {
        match client.stream.write(&client.request[client.written..]) {
            Ok(0) => return Err(()),
            Ok(n) => client.written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(()),
        }
    }
    Ok(())
}

/// Moves the client's exchange on: `Some((status, body length))` once the
/// whole answer is in `received` (its body last); `Err`: no answer.
fn drive(client: &mut Client) -> std::result::Result<Option<(u16, usize)>, ()> {
    flush(client)?;
    let mut buffer = [0u8; 8192];
    loop {
        match client.stream.read(&mut buffer) {
            Ok(0) => return Err(()),
            Ok(n) => client.received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(()),
        }
    }
    Ok(complete_answer(&client.received))
}

/// `(status, body length)` once `received` holds a whole answer with a
/// `Content-Length` (the server's answers all have one).
fn complete_answer(received: &[u8]) -> Option<(u16, usize)> {
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&received[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    (received.len() >= head_end + length).then_some((status, length))
}

#[cfg(test)]
mod tests {
    use super::complete_answer;

    #[test]
    fn an_answer_is_complete_with_its_whole_body() {
        let answer = b"HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\nbody";
        assert_eq!(complete_answer(answer), Some((201, 4)));
        assert_eq!(complete_answer(&answer[..answer.len() - 1]), None);
        assert_eq!(complete_answer(b"HTTP/1.1 409 Conflict\r\ncontent-"), None);
        assert_eq!(
            complete_answer(b"HTTP/1.1 204 No Content\r\n\r\n"),
            Some((204, 0))
        );
    }
}
