//! The live endpoint's sockets, served by whoever waits on them (the run
//! path: [`MetricsServer`], a thread of its own). [`Endpoint::interest`]
//! says what to wait for, [`Endpoint::serve`] handles what `poll` reported.
//!
//! Every socket is non-blocking, so serving never waits on a client: an
//! answer the socket does not take at once waits in the connection
//! (which is then polled for writing, not reading, until it has gone), and
//! a connection whose answer has waited [`WRITE_TIMEOUT`] is dropped.
//! Connections are kept alive (HTTP/1.1's default, which Prometheus uses):
//! a scrape then costs one read and one write instead of an accept, a read,
//! a write and a close. There is no idle timer, so an idle endpoint never
//! needs waking; [`MAX_CONNECTIONS`] bounds what clients that connect and
//! never speak can hold. Serving a request allocates nothing once the
//! buffers have grown to an answer's size.
//!
//! [`MetricsServer`]: super::listen::MetricsServer

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use super::listen::Exposition;

/// How long an answer may wait for the client to take it before the
/// connection is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// A request head larger than this is not a scrape: the connection is
/// dropped.
pub const MAX_HEAD_BYTES: usize = 8192;
/// Connections kept open at once; one more drops the one idle longest.
pub const MAX_CONNECTIONS: usize = 16;
/// After an accept failed for want of descriptors, the listener is left
/// out of the poll this long (it would stay readable and spin the poll).
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// A bound `/metrics` listener, its connections and the reused buffers.
pub struct Endpoint<E> {
    listener: TcpListener,
    addr: SocketAddr,
    source: E,
    connections: Vec<Connection>,
    events: u64,
    /// Set after a failed accept: the listener is not polled until then.
    accept_paused_until: Option<Instant>,
    /// Reused for every answer: the rendered text, then head and body.
    body: String,
    answer: Vec<u8>,
}

/// One open connection.
struct Connection {
    stream: TcpStream,
    /// Request bytes received and not yet answered.
    received: Vec<u8>,
    /// The part of the last answer the socket has not taken yet.
    unsent: Vec<u8>,
    unsent_since: Instant,
    /// Close once `unsent` has gone.
    close_after_unsent: bool,
    /// The endpoint's event count at its last request (the idlest goes first).
    last_active: u64,
}

/// What to do with a connection after serving it.
enum Next {
    KeepOpen,
    Close,
}

impl<E: Exposition> Endpoint<E> {
    /// Bind `addr` (`127.0.0.1:0` picks a free port; [`Endpoint::local_addr`]
    /// says which) to serve what `source` renders at `/metrics`.
    pub fn bind(addr: &str, source: E) -> io::Result<Endpoint<E>> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Endpoint {
            listener,
            addr,
            source,
            connections: Vec::new(),
            events: 0,
            accept_paused_until: None,
            body: String::new(),
            answer: Vec::new(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listener, then every connection, in the order
    /// [`Endpoint::serve`] expects their `revents`.
    pub fn interest<'a>(&'a self, fds: &mut Vec<PollFd<'a>>) {
        let listening = if self.accept_paused_until.is_some() {
            PollFlags::empty()
        } else {
            PollFlags::IN
        };
        fds.push(PollFd::new(&self.listener, listening));
        fds.extend(self.connections.iter().map(|c| {
            let what = if c.unsent.is_empty() {
                PollFlags::IN
            } else {
                PollFlags::OUT
            };
            PollFd::new(&c.stream, what)
        }));
    }

    /// When [`Endpoint::serve`] must run without an event: an answer's write
    /// timeout or the end of an accept pause. `None` while neither waits.
    pub fn deadline(&self) -> Option<Instant> {
        let writes = self
            .connections
            .iter()
            .filter(|c| !c.unsent.is_empty())
            .map(|c| c.unsent_since + WRITE_TIMEOUT);
        writes.chain(self.accept_paused_until).min()
    }

    /// Serve what `poll` reported (`revents` in [`Endpoint::interest`]'s
    /// order; fewer or none after a timeout), then drop the answers that
    /// waited too long.
    pub fn serve(&mut self, revents: &[PollFlags], now: Instant) {
        // Back to front, so that removing one keeps the others' indices.
        for i in (0..self.connections.len()).rev() {
            if revents.get(1 + i).is_some_and(|r| !r.is_empty()) {
                self.events += 1;
                if let Next::Close = self.serve_connection(i, now) {
                    self.connections.swap_remove(i);
                }
            }
        }
        if revents.first().is_some_and(|r| !r.is_empty()) {
            self.accept(now);
        }
        self.connections
            .retain(|c| c.unsent.is_empty() || now < c.unsent_since + WRITE_TIMEOUT);
        if self.accept_paused_until.is_some_and(|until| now >= until) {
            self.accept_paused_until = None;
        }
    }

    fn accept(&mut self, now: Instant) {
        let stream = match self.listener.accept() {
            Ok((stream, _)) => stream,
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    || e.kind() == io::ErrorKind::Interrupted =>
            {
                return
            }
            Err(_) => {
                // Out of descriptors (or memory): the listener stays
                // readable, so poll would return at once, again and again.
                // Free a descriptor and leave the listener out for a while.
                self.drop_idlest();
                self.accept_paused_until = Some(now + ACCEPT_RETRY);
                return;
            }
        };
        // Nagle would hold the last part of a multi-segment answer until the
        // client's (delayed) ACK; answers are written whole, so send at once.
        if stream.set_nodelay(true).is_err() || stream.set_nonblocking(true).is_err() {
            return;
        }
        if self.connections.len() >= MAX_CONNECTIONS {
            self.drop_idlest();
        }
        self.events += 1;
        self.connections.push(Connection {
            stream,
            received: Vec::new(),
            unsent: Vec::new(),
            unsent_since: now,
            close_after_unsent: false,
            last_active: self.events,
        });
    }

    fn drop_idlest(&mut self) {
        if let Some(idlest) =
            (0..self.connections.len()).min_by_key(|&i| self.connections[i].last_active)
        {
            self.connections.swap_remove(idlest);
        }
    }

    /// Connection `i` is ready: finish its pending answer, or read what it
    /// sent; then answer every whole request received.
    fn serve_connection(&mut self, i: usize, now: Instant) -> Next {
        let events = self.events;
        let connection = &mut self.connections[i];
        connection.last_active = events;
        if !connection.unsent.is_empty() {
            match write_some(&mut connection.stream, &connection.unsent) {
                Ok(n) => {
                    connection.unsent.drain(..n);
                }
                Err(_) => return Next::Close,
            }
            if !connection.unsent.is_empty() {
                return Next::KeepOpen;
            }
            if connection.close_after_unsent {
                return Next::Close;
            }
        } else {
            let mut buf = [0u8; 4096];
            match connection.stream.read(&mut buf) {
                Ok(0) => return Next::Close,
                Ok(n) => connection.received.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::Interrupted =>
                {
                    return Next::KeepOpen
                }
                Err(_) => return Next::Close,
            }
        }
        self.answer_received(i, now)
    }

    /// Answer the whole requests connection `i` has sent, until one answer
    /// does not go out at once (the rest wait for it).
    fn answer_received(&mut self, i: usize, now: Instant) -> Next {
        loop {
            let connection = &mut self.connections[i];
            let Some(end) = head_end(&connection.received) else {
                return if connection.received.len() > MAX_HEAD_BYTES {
                    Next::Close
                } else {
                    Next::KeepOpen
                };
            };
            let request = Request::parse(&connection.received[..end]);
            connection.received.drain(..end);
            self.render_answer(&request);
            let close = !request.keeps_alive();
            let connection = &mut self.connections[i];
            let sent = match write_some(&mut connection.stream, &self.answer) {
                Ok(n) => n,
                Err(_) => return Next::Close,
            };
            if sent < self.answer.len() {
                connection.unsent.extend_from_slice(&self.answer[sent..]);
                connection.unsent_since = now;
                connection.close_after_unsent = close;
                return Next::KeepOpen;
            }
            if close {
                return Next::Close;
            }
        }
    }

    /// The answer to `request`, head and body, into `self.answer`.
    fn render_answer(&mut self, request: &Request) {
        self.body.clear();
        let status = match request.target {
            Target::Metrics => {
                self.source.render(&mut self.body);
                "200 OK"
            }
            Target::NotFound => {
                self.body.push_str("not found; try /metrics\n");
                "404 Not Found"
            }
            Target::NotAllowed => {
                self.body.push_str("only GET /metrics\n");
                "405 Method Not Allowed"
            }
        };
        self.answer.clear();
        let _ = write!(
            self.answer,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: {}\r\n",
            self.body.len(),
            if request.keeps_alive() {
                "keep-alive"
            } else {
                "close"
            }
        );
        if request.target == Target::NotAllowed {
            self.answer.extend_from_slice(b"Allow: GET, HEAD\r\n");
        }
        self.answer.extend_from_slice(b"\r\n");
        if !request.head_only {
            self.answer.extend_from_slice(self.body.as_bytes());
        }
    }
}

/// Write as much of `bytes` as the socket takes now (one `sendto` when it
/// takes all: one segment, or as few as the MSS allows, per answer).
fn write_some(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<usize> {
    let mut sent = 0;
    while sent < bytes.len() {
        match stream.write(&bytes[sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// The end of the first request head in `bytes` (just after its blank line).
pub(super) fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// `GET` or `HEAD` of `/metrics` (any query string).
    Metrics,
    /// `GET` or `HEAD` of anything else.
    NotFound,
    /// Any other method.
    NotAllowed,
}

/// The parts of a request head the endpoint looks at (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Request {
    pub(super) target: Target,
    /// `HEAD`: the head of the answer without its body.
    pub(super) head_only: bool,
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    pub(super) keep_alive: bool,
}

impl Request {
    pub(super) fn parse(head: &[u8]) -> Request {
        // A head that is not UTF-8 names no method this endpoint knows.
        let text = std::str::from_utf8(head).unwrap_or("");
        let mut lines = text.split("\r\n");
        let mut parts = lines.next().unwrap_or("").split(' ');
        let method = parts.next().unwrap_or("");
        let path = parts.next().unwrap_or("");
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        let http11 = parts.next() == Some("HTTP/1.1");
        let connection = lines
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("connection"))
            .map(|(_, value)| value);
        let has = |value: &str, token: &str| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        let keep_alive = match connection {
            Some(v) if has(v, "close") => false,
            Some(v) if has(v, "keep-alive") => true,
            _ => http11,
        };
        let target = match (method, path) {
            ("GET" | "HEAD", "/metrics") => Target::Metrics,
            ("GET" | "HEAD", _) => Target::NotFound,
            _ => Target::NotAllowed,
        };
        Request {
            target,
            head_only: method == "HEAD",
            keep_alive,
        }
    }

    /// Whether the connection stays open after the answer. Anything but
    /// GET/HEAD may carry a body this endpoint does not read: closed.
    pub(super) fn keeps_alive(&self) -> bool {
        self.keep_alive && self.target != Target::NotAllowed
    }
}
