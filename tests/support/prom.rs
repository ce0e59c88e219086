//! Start Debian's `prometheus-pushgateway` and `prometheus` as plain child
//! processes on free loopback ports (no systemd), wait until they answer
//! `/-/ready`, and stop them by pid when dropped. `.ci/run` installs both;
//! where a binary is missing the test says so and skips, except where
//! `PROFRUN_REQUIRE_COMPONENTS` is set (`.ci/run` sets it), where a missing
//! component fails the test.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary's path, or `None` after printing why the test skips. With
/// `PROFRUN_REQUIRE_COMPONENTS` set a missing component is a failure.
pub fn component(binary: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(binary))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("PROFRUN_REQUIRE_COMPONENTS").is_none(),
            "{binary} is not installed; .ci/run installs it (apt-get install prometheus prometheus-pushgateway)"
        );
        eprintln!("skipped: {binary} is not installed (run .ci/run, or apt-get install it)");
    }
    found
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// A started component; SIGTERM (then SIGKILL) to its pid on drop.
pub struct Running {
    child: Child,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    log: PathBuf,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stop the process now (what Drop does).
    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on our own child's pid, which is not yet
            // reaped (try_wait said so), so it cannot name another process.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn start(binary: &Path, args: impl Fn(&Path, u16) -> Vec<String>) -> Running {
    // A free port can be taken between our probe and the component's bind;
    // try a few.
    for _ in 0..3 {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("log.txt");
        let port = free_port();
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new(binary)
            .args(args(dir.path(), port))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup log"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut running = Running {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = running.child.try_wait() {
                break; // exited (port taken?): try another port
            }
            if get(running.addr, "/-/ready").is_ok_and(|(status, _)| status == 200) {
                return running;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        running.stop();
        let text = running.log();
        assert!(
            text.contains("address already in use"),
            "{} did not become ready:\n{text}",
            binary.display()
        );
    }
    panic!("{}: no free port after 3 tries", binary.display());
}

/// `prometheus-pushgateway` without persistence, or `None` (skip).
pub fn pushgateway() -> Option<Running> {
    let binary = component("prometheus-pushgateway")?;
    Some(start(&binary, |_, port| {
        vec![
            format!("--web.listen-address=127.0.0.1:{port}"),
            // Debian's build defaults to /var/lib/prometheus/pushgateway.data,
            // which every gateway of every test run would then share.
            "--persistence.file=".to_string(),
        ]
    }))
}

/// `prometheus` scraping `target` (job `profrun`) every second, with its
/// TSDB in a temporary directory, or `None` (skip).
pub fn prometheus_scraping(target: SocketAddr) -> Option<Running> {
    let binary = component("prometheus")?;
    Some(start(&binary, move |dir, port| {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: profrun\n    static_configs:\n      \
                 - targets: ['{target}']\n"
            ),
        )
        .expect("write prometheus.yml");
        vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ]
    }))
}

/// `GET path` over plain HTTP/1.1: (status, body).
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Percent-encode a PromQL query for `/api/v1/query?query=`.
pub fn query_path(promql: &str) -> String {
    let mut out = String::from("/api/v1/query?query=");
    for b in promql.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The instant-query result vector of `promql` on a running Prometheus.
pub fn query(prometheus: &Running, promql: &str) -> Vec<serde_json::Value> {
    let (status, body) = get(prometheus.addr, &query_path(promql)).expect("query prometheus");
    assert_eq!(status, 200, "{promql}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("prometheus answers JSON");
    json["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
