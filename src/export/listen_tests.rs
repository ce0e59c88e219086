use std::io::{Read, Write};
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use super::*;

/// Send `request` on a fresh connection and read until the server closes it.
fn get(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    out
}

/// Read one answer (head and `Content-Length` body) off a kept-alive
/// connection.
fn read_answer(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = head_end(&got) {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse().ok())
                .expect("a Content-Length");
            if got.len() >= end + length {
                assert_eq!(got.len(), end + length, "more than one answer");
                return String::from_utf8_lossy(&got).to_string();
            }
        }
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn serves_the_latest_snapshot_and_404_elsewhere() {
    let slot = SnapshotSlot::default();
    let server = MetricsServer::bind("127.0.0.1:0", slot.clone()).expect("bind");
    assert_ne!(server.local_addr().port(), 0);
    slot.publish("a 1\n".into());
    slot.publish("a 2\n".into());
    let ok = get(
        server.local_addr(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(ok.contains("Content-Length: 4\r\n"), "{ok}");
    assert!(ok.contains("Connection: close\r\n"), "{ok}");
    assert!(ok.ends_with("\r\n\r\na 2\n"), "{ok}");
    let missing = get(server.local_addr(), "GET /other HTTP/1.0\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let post = get(server.local_addr(), "POST /metrics HTTP/1.1\r\n\r\n");
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    assert!(post.contains("Allow: GET, HEAD\r\n"), "{post}");
    let head = get(server.local_addr(), "HEAD /metrics HTTP/1.0\r\n\r\n");
    assert!(
        head.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n"),
        "{head}"
    );
}

/// Prometheus keeps its connection open between scrapes (HTTP/1.1's
/// default); each scrape on it gets the text of that moment.
#[test]
fn a_kept_alive_connection_serves_every_scrape_on_it() {
    let slot = SnapshotSlot::default();
    let server = MetricsServer::bind("127.0.0.1:0", slot.clone()).expect("bind");
    let mut stream = TcpStream::connect(server.local_addr()).expect("connect");
    for i in 0..3 {
        slot.publish(format!("a {i}\n"));
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        let answer = read_answer(&mut stream);
        assert!(answer.contains("Connection: keep-alive\r\n"), "{answer}");
        assert!(answer.ends_with(&format!("\r\n\r\na {i}\n")), "{answer}");
    }
    // Two requests in one write (pipelined), the second split over two.
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\n\r\nGET /metrics?x=1 HTTP/1.1\r\n")
        .expect("send");
    let first = read_answer(&mut stream);
    std::thread::sleep(Duration::from_millis(50));
    stream.write_all(b"Host: x\r\n\r\n").expect("send the rest");
    let second = read_answer(&mut stream);
    assert!(
        first.ends_with("a 2\n") && second.ends_with("a 2\n"),
        "{first}{second}"
    );
}

/// Renders happen on scrapes only (none while nobody scrapes), and each
/// scrape renders once.
#[test]
fn the_text_is_rendered_when_a_scrape_asks_for_it() {
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicUsize>);
    impl Exposition for Counting {
        fn render(&self, out: &mut String) {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            out.push_str(&format!("renders {n}\n"));
        }
    }
    let source = Counting::default();
    let server = MetricsServer::bind("127.0.0.1:0", source.clone()).expect("bind");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(source.0.load(Ordering::SeqCst), 0);
    let mut stream = TcpStream::connect(server.local_addr()).expect("connect");
    for want in 1..=2 {
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\n\r\n")
            .expect("send");
        assert!(read_answer(&mut stream).ends_with(&format!("renders {want}\n")));
    }
    let missing = get(server.local_addr(), "GET / HTTP/1.0\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    assert_eq!(source.0.load(Ordering::SeqCst), 2);
}

/// A client that connects and sends nothing holds neither `publish` nor
/// the other scrapes.
#[test]
fn a_stuck_scraper_does_not_block_publish() {
    let slot = SnapshotSlot::default();
    let server = MetricsServer::bind("127.0.0.1:0", slot.clone()).expect("bind");
    let mut stuck = TcpStream::connect(server.local_addr()).expect("connect");
    stuck.write_all(b"GET /metr").expect("half a request");
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    for i in 0..1000 {
        slot.publish(format!("a {i}\n"));
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(&*slot.latest(), "a 999\n");
    let started = Instant::now();
    let ok = get(server.local_addr(), "GET /metrics HTTP/1.0\r\n\r\n");
    assert!(ok.ends_with("a 999\n"), "{ok}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// Clients that connect and never speak cannot pile up: past the cap the
/// idlest connection is dropped, and scrapes go on.
#[test]
fn idle_connections_past_the_cap_drop_the_idlest() {
    let slot = SnapshotSlot::default();
    slot.publish("a 1\n".into());
    let server = MetricsServer::bind("127.0.0.1:0", slot.clone()).expect("bind");
    let mut idle: Vec<TcpStream> = (0..MAX_CONNECTIONS + 1)
        .map(|_| {
            let s = TcpStream::connect(server.local_addr()).expect("connect");
            std::thread::sleep(Duration::from_millis(10));
            s
        })
        .collect();
    let first = &mut idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    assert_eq!(first.read(&mut buf).expect("closed, not timed out"), 0);
    let ok = get(server.local_addr(), "GET /metrics HTTP/1.0\r\n\r\n");
    assert!(ok.ends_with("a 1\n"), "{ok}");
}

#[test]
fn a_taken_port_is_an_error() {
    let server = MetricsServer::bind("127.0.0.1:0", SnapshotSlot::default()).expect("bind");
    assert!(
        MetricsServer::bind(&server.local_addr().to_string(), SnapshotSlot::default()).is_err()
    );
}

#[test]
fn requests_say_whether_to_keep_the_connection() {
    let parse = |head: &str| Request::parse(head.as_bytes());
    let r = parse("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        (r.target, r.head_only, r.keeps_alive()),
        (Target::Metrics, false, true)
    );
    assert!(!parse("GET /metrics HTTP/1.1\r\nconnection: Close\r\n\r\n").keeps_alive());
    assert!(!parse("GET /metrics HTTP/1.0\r\n\r\n").keeps_alive());
    assert!(parse("GET /metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keeps_alive());
    assert!(!parse("\r\n\r\n").keeps_alive());
    assert_eq!(parse("HEAD /x HTTP/1.1\r\n\r\n").target, Target::NotFound);
    assert!(parse("HEAD /metrics HTTP/1.1\r\n\r\n").head_only);
    let post = parse("POST /metrics HTTP/1.1\r\n\r\n");
    assert_eq!(post.target, Target::NotAllowed);
    assert!(!post.keeps_alive(), "a body it does not read: closed");
}

/// The old server wrote each answer with a blocking write (2 s timeout):
/// a scraper that sent requests and never read its answers held every
/// other scrape for up to 2 s each time. Now an answer the socket does not
/// take waits in its connection.
#[test]
fn a_scraper_that_never_reads_does_not_delay_other_scrapes() {
    let slot = SnapshotSlot::default();
    // 64 KB answers: a few fill the socket buffers.
    slot.publish("a 1\n".repeat(16_000));
    let server = MetricsServer::bind("127.0.0.1:0", slot.clone()).expect("bind");
    let mut hog = TcpStream::connect(server.local_addr()).expect("connect");
    hog.set_write_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    for _ in 0..200 {
        if hog.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").is_err() {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        let started = Instant::now();
        let other = get(server.local_addr(), "GET /metrics HTTP/1.0\r\n\r\n");
        let took = started.elapsed();
        assert!(other.ends_with("a 1\n"), "the other scrape was answered");
        assert!(took < Duration::from_secs(1), "other scrape took {took:?}");
    }
    drop(hog);
}
