//! `--metrics-listen ADDR`: a `/metrics` endpoint on a background thread.
//!
//! The text is rendered on this thread, when a scrape arrives, by an
//! [`Exposition`] that reads a snapshot the sampler keeps up to date under a
//! lock held only for a copy: an endpoint nobody scrapes costs the sampler
//! that copy and nothing else, and a slow or stuck scraper delays other
//! scrapes at most, never a tick.
//!
//! One thread serves every connection with `poll` and no timeout, so an
//! idle endpoint never wakes up. Connections are kept alive (HTTP/1.1's
//! default, which Prometheus uses): a scrape then costs one read and one
//! write instead of an accept, two socket options, a read, a write and a
//! close (the bench in `benches/sampler.rs`, part 3, measures both).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustix::event::{poll, PollFd, PollFlags};

/// How long writing one answer may take before the connection is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// A request head larger than this is not a scrape: the connection is
/// dropped.
const MAX_HEAD_BYTES: usize = 8192;
/// Connections kept open at once; one more drops the one idle longest.
/// There is no idle timer (it would wake an idle endpoint up), so this
/// bounds what clients that connect and never speak can hold.
const MAX_CONNECTIONS: usize = 16;
/// How long to wait after an accept failed for want of descriptors.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// What a scrape of `/metrics` gets, rendered on the server thread.
pub trait Exposition: Send + Sync + 'static {
    /// Append the exposition text to `out` (empty before there is any).
    fn render(&self, out: &mut String);
}

/// A fixed text, replaced as a whole: for callers that render themselves.
#[derive(Debug, Clone, Default)]
pub struct SnapshotSlot(Arc<Mutex<Arc<str>>>);

impl SnapshotSlot {
    /// Replace the text scrapes get. Costs one allocation outside the lock
    /// and a pointer swap inside it.
    pub fn publish(&self, text: String) {
        let text: Arc<str> = Arc::from(text);
        let old = {
            let mut slot = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            std::mem::replace(&mut *slot, text)
        };
        // The previous text is freed here, outside the lock.
        drop(old);
    }

    pub fn latest(&self) -> Arc<str> {
        Arc::clone(
            &self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl Exposition for SnapshotSlot {
    fn render(&self, out: &mut String) {
        out.push_str(&self.latest());
    }
}

/// A running endpoint; dropping it stops the thread.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Bind `addr` (`127.0.0.1:0` picks a free port; [`local_addr`] says
    /// which) and serve what `source` renders at `/metrics`.
    ///
    /// [`local_addr`]: MetricsServer::local_addr
    pub fn bind(addr: &str, source: impl Exposition) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("profrun-metrics".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || Server::new(listener, source, stop).run()
            })?;
        Ok(MetricsServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking poll; if that fails the thread is already gone
        // or will see the flag at its next event.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One open connection and the request bytes it has sent so far.
struct Connection {
    stream: TcpStream,
    pending: Vec<u8>,
    /// The server's event count at its last request (the idlest goes first).
    last_active: u64,
}

struct Server<E> {
    listener: TcpListener,
    source: E,
    stop: Arc<AtomicBool>,
    connections: Vec<Connection>,
    events: u64,
    /// Reused for every answer: the rendered text, then head and body.
    body: String,
    answer: Vec<u8>,
}

/// What to do with a connection after a read.
enum Next {
    KeepOpen,
    Close,
}

impl<E: Exposition> Server<E> {
    fn new(listener: TcpListener, source: E, stop: Arc<AtomicBool>) -> Server<E> {
        Server {
            listener,
            source,
            stop,
            connections: Vec::new(),
            events: 0,
            body: String::new(),
            answer: Vec::new(),
        }
    }

    fn run(mut self) {
        let mut ready: Vec<bool> = Vec::new();
        loop {
            let listener_ready = {
                let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(1 + self.connections.len());
                fds.push(PollFd::new(&self.listener, PollFlags::IN));
                fds.extend(
                    self.connections
                        .iter()
                        .map(|c| PollFd::new(&c.stream, PollFlags::IN)),
                );
                // No timeout: nothing happens here until a client speaks.
                match poll(&mut fds, None) {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    // Cannot wait any more (out of memory): stop serving
                    // rather than spin; the job runs on unaffected.
                    Err(_) => return,
                }
                ready.clear();
                ready.extend(fds[1..].iter().map(|fd| !fd.revents().is_empty()));
                !fds[0].revents().is_empty()
            };
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            // Back to front, so that removing one keeps the others' indices.
            for i in (0..ready.len()).rev() {
                if ready[i] {
                    self.events += 1;
                    if let Next::Close = self.read_from(i) {
                        self.connections.swap_remove(i);
                    }
                }
            }
            if listener_ready {
                self.accept();
            }
        }
    }

    fn accept(&mut self) {
        let stream = match self.listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(_) => {
                // Out of descriptors (or memory): the listener stays
                // readable, so poll would return at once, again and again.
                // Free a descriptor and pause instead of spinning; this is
                // the one case where the thread waits on a clock.
                self.drop_idlest();
                std::thread::sleep(ACCEPT_RETRY);
                return;
            }
        };
        // Nagle would hold the last part of a multi-segment answer until the
        // client's (delayed) ACK; answers are written whole, so send at once.
        if stream.set_nodelay(true).is_err()
            || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
        {
            return;
        }
        if self.connections.len() >= MAX_CONNECTIONS {
            self.drop_idlest();
        }
        self.events += 1;
        self.connections.push(Connection {
            stream,
            pending: Vec::new(),
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

    /// Read what connection `i` sent and answer every whole request in it.
    fn read_from(&mut self, i: usize) -> Next {
        let mut buf = [0u8; 4096];
        let connection = &mut self.connections[i];
        connection.last_active = self.events;
        let n = match connection.stream.read(&mut buf) {
            Ok(0) | Err(_) => return Next::Close,
            Ok(n) => n,
        };
        connection.pending.extend_from_slice(&buf[..n]);
        loop {
            let connection = &mut self.connections[i];
            let Some(end) = head_end(&connection.pending) else {
                return if connection.pending.len() > MAX_HEAD_BYTES {
                    Next::Close
                } else {
                    Next::KeepOpen
                };
            };
            let request = Request::parse(&connection.pending[..end]);
            connection.pending.drain(..end);
            match self.answer(i, &request) {
                Ok(Next::KeepOpen) => {}
                Ok(Next::Close) | Err(_) => return Next::Close,
            }
        }
    }

    /// Write the answer to `request` on connection `i`.
    fn answer(&mut self, i: usize, request: &Request) -> io::Result<Next> {
        self.body.clear();
        let status = match (request.method.as_str(), request.path.as_str()) {
            ("GET" | "HEAD", "/metrics") => {
                self.source.render(&mut self.body);
                "200 OK"
            }
            ("GET" | "HEAD", _) => {
                self.body.push_str("not found; try /metrics\n");
                "404 Not Found"
            }
            _ => {
                self.body.push_str("only GET /metrics\n");
                "405 Method Not Allowed"
            }
        };
        // Anything but GET/HEAD may carry a body this server does not read.
        let close = !request.keep_alive || status.starts_with("405");
        self.answer.clear();
        let _ = write!(
            self.answer,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: {}\r\n",
            self.body.len(),
            if close { "close" } else { "keep-alive" }
        );
        if status.starts_with("405") {
            self.answer.extend_from_slice(b"Allow: GET, HEAD\r\n");
        }
        self.answer.extend_from_slice(b"\r\n");
        if request.method != "HEAD" {
            self.answer.extend_from_slice(self.body.as_bytes());
        }
        // One write: one segment (or as few as the MSS allows) per answer.
        let stream = &mut self.connections[i].stream;
        stream.write_all(&self.answer)?;
        Ok(if close { Next::Close } else { Next::KeepOpen })
    }
}

/// The end of the first request head in `bytes` (just after its blank line).
fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// The parts of a request head the server looks at.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    method: String,
    /// Without the query string.
    path: String,
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    keep_alive: bool,
}

impl Request {
    fn parse(head: &[u8]) -> Request {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let mut parts = lines.next().unwrap_or("").split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let path = parts
            .next()
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let http11 = parts.next() == Some("HTTP/1.1");
        let connection = lines
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("connection"))
            .map(|(_, value)| value.trim().to_ascii_lowercase());
        let keep_alive = match connection.as_deref() {
            Some(v) if v.split(',').any(|t| t.trim() == "close") => false,
            Some(v) if v.split(',').any(|t| t.trim() == "keep-alive") => true,
            _ => http11,
        };
        Request {
            method,
            path,
            keep_alive,
        }
    }
}

#[cfg(test)]
#[path = "listen_tests.rs"]
mod tests;
