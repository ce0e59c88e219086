//! `--metrics-listen ADDR`: a `/metrics` endpoint on a background thread.
//!
//! The sampler renders its state to a string and calls
//! [`MetricsServer::publish`], which only swaps an `Arc<str>` under a mutex
//! held for that pointer swap; the server clones the `Arc` under the same
//! short lock and writes to the socket outside it. A slow or stuck scraper
//! therefore delays other scrapes at most (each connection has a 2 s
//! timeout), never the sampler.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long one scrape may take to send its request or read the answer.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// The latest rendered exposition text, shared with the server thread.
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

/// A running endpoint; dropping it stops the thread.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    slot: SnapshotSlot,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Bind `addr` (`127.0.0.1:0` picks a free port; [`local_addr`] says
    /// which) and serve `slot`'s latest text at `/metrics`.
    ///
    /// [`local_addr`]: MetricsServer::local_addr
    pub fn bind(addr: &str, slot: SnapshotSlot) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("profrun-metrics".into())
            .spawn({
                let slot = slot.clone();
                let stop = Arc::clone(&stop);
                move || serve(listener, slot, stop)
            })?;
        Ok(MetricsServer {
            addr,
            slot,
            stop,
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn publish(&self, text: String) {
        self.slot.publish(text);
    }

    pub fn slot(&self) -> &SnapshotSlot {
        &self.slot
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept; if that fails the thread is already gone
        // or will see the flag at its next connection.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: TcpListener, slot: SnapshotSlot, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Ok(stream) = stream {
            // A failed scrape is the scraper's problem; keep serving.
            let _ = answer(stream, &slot);
        }
    }
}

fn answer(mut stream: TcpStream, slot: &SnapshotSlot) -> io::Result<()> {
    stream.set_read_timeout(Some(CONNECTION_TIMEOUT))?;
    stream.set_write_timeout(Some(CONNECTION_TIMEOUT))?;
    let Some(request_line) = read_request_line(&mut stream)? else {
        return Ok(());
    };
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    let (status, body): (&str, Arc<str>) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => ("200 OK", slot.latest()),
        ("GET" | "HEAD", _) => ("404 Not Found", Arc::from("not found; try /metrics\n")),
        _ => ("405 Method Not Allowed", Arc::from("only GET /metrics\n")),
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if status.starts_with("405") {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}

/// Read up to the end of the request head (8 KiB at most); return its
/// first line. `None` when the peer sent nothing usable.
fn read_request_line(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or(&[]);
    Ok(std::str::from_utf8(line)
        .ok()
        .filter(|l| !l.is_empty())
        .map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut out = String::new();
        stream.read_to_string(&mut out).expect("read");
        out
    }

    #[test]
    fn serves_the_latest_snapshot_and_404_elsewhere() {
        let server = MetricsServer::bind("127.0.0.1:0", SnapshotSlot::default()).expect("bind");
        assert_ne!(server.local_addr().port(), 0);
        server.publish("a 1\n".into());
        server.publish("a 2\n".into());
        let ok = get(
            server.local_addr(),
            "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("Content-Length: 4\r\n"), "{ok}");
        assert!(ok.ends_with("\r\n\r\na 2\n"), "{ok}");
        let missing = get(server.local_addr(), "GET /other HTTP/1.1\r\n\r\n");
        assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
        let post = get(server.local_addr(), "POST /metrics HTTP/1.1\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    }

    /// A client that connects and sends nothing holds the server thread,
    /// not `publish`.
    #[test]
    fn a_stuck_scraper_does_not_block_publish() {
        let server = MetricsServer::bind("127.0.0.1:0", SnapshotSlot::default()).expect("bind");
        let _stuck = TcpStream::connect(server.local_addr()).expect("connect");
        std::thread::sleep(Duration::from_millis(50));
        let started = std::time::Instant::now();
        for i in 0..1000 {
            server.publish(format!("a {i}\n"));
        }
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(&*server.slot().latest(), "a 999\n");
    }

    #[test]
    fn a_taken_port_is_an_error() {
        let server = MetricsServer::bind("127.0.0.1:0", SnapshotSlot::default()).expect("bind");
        assert!(
            MetricsServer::bind(&server.local_addr().to_string(), SnapshotSlot::default()).is_err()
        );
    }
}
