//! A Pushgateway client over a plain `std::net::TcpStream` (HTTP/1.1, one
//! request per connection).
//!
//! Not `ureq` or another HTTP crate: profrun sends two small requests to a
//! gateway on the cluster's own network at the end of a run, and an HTTP
//! stack (with rustls and its ring/aws-lc build) would add start-up work and
//! a large share of the binary for that. `https://` gateways are therefore
//! refused with [`PushError::UnsupportedScheme`]; put a plain-HTTP gateway
//! (or a local relay) in front of them.
//!
//! The run's families are PUT to the group
//! `/metrics/job/profrun/instance/<host>/name/<name>`, replacing the previous
//! run's. The last-success timestamp goes by POST to a group of its own
//! (the same key plus `kind/last_success`): a PUT replaces every metric of
//! its group, so only a separate group keeps the previous success when a run
//! fails.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::metrics::{encode, Labels, MetricFamily, LAST_SUCCESS_METRIC};

/// The whole push (both requests) gives up after this long.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("pushgateway URL {0:?} is https; only http:// is supported")]
    UnsupportedScheme(String),
    #[error("pushgateway URL {0:?} is not of the form http://HOST[:PORT][/PATH]")]
    BadUrl(String),
    #[error("cannot resolve pushgateway {host:?}: {source}")]
    Resolve {
        host: String,
        source: std::io::Error,
    },
    #[error("cannot reach pushgateway at {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("pushgateway at {addr} timed out after {seconds} s")]
    Timeout { addr: String, seconds: f64 },
    #[error("pushgateway at {addr}: {source}")]
    Io {
        addr: String,
        source: std::io::Error,
    },
    #[error("pushgateway answered {method} {path} with {status}: {body}")]
    Status {
        method: &'static str,
        path: String,
        status: u16,
        body: String,
    },
    #[error("pushgateway at {addr} sent an unreadable response")]
    BadResponse { addr: String },
}

/// A parsed `http://HOST[:PORT][/PREFIX]` gateway address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushgateway {
    /// `HOST:PORT` as given (the Host header and what errors name).
    authority: String,
    /// Path prefix without a trailing `/` (empty for the root).
    prefix: String,
}

impl Pushgateway {
    pub fn parse(url: &str) -> Result<Pushgateway, PushError> {
        let rest = if let Some(rest) = url.strip_prefix("http://") {
            rest
        } else if url.starts_with("https://") {
            return Err(PushError::UnsupportedScheme(url.to_string()));
        } else {
            return Err(PushError::BadUrl(url.to_string()));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let bad = || PushError::BadUrl(url.to_string());
        if authority.contains(['@', '?', '#']) || path.contains(['?', '#']) {
            return Err(bad());
        }
        let (host, port) = split_authority(authority).ok_or_else(bad)?;
        Ok(Pushgateway {
            authority: format!("{host}:{}", port.unwrap_or(80)),
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    /// The group path of one run: `PREFIX/metrics/job/profrun/instance/<host>/name/<name>`.
    pub fn group_path(&self, labels: &Labels) -> String {
        format!(
            "{}/metrics/job/profrun/{}/{}",
            self.prefix,
            path_label("instance", &labels.host),
            path_label("name", &labels.name)
        )
    }

    /// PUT the run's families; then, when they include the last-success
    /// timestamp, POST that to its own group. Both within [`PUSH_TIMEOUT`].
    pub fn push(&self, labels: &Labels, families: &[MetricFamily]) -> Result<(), PushError> {
        self.push_within(labels, families, PUSH_TIMEOUT)
    }

    pub fn push_within(
        &self,
        labels: &Labels,
        families: &[MetricFamily],
        timeout: Duration,
    ) -> Result<(), PushError> {
        let deadline = Instant::now() + timeout;
        let (success, run): (Vec<MetricFamily>, Vec<MetricFamily>) = families
            .iter()
            .cloned()
            .partition(|f| f.name == LAST_SUCCESS_METRIC);
        let group = self.group_path(labels);
        let limit = (deadline, timeout);
        self.request("PUT", &group, &encode(&run), limit)?;
        if !success.is_empty() {
            let path = format!("{group}/kind/last_success");
            self.request("POST", &path, &encode(&success), limit)?;
        }
        Ok(())
    }

    fn request(
        &self,
        method: &'static str,
        path: &str,
        body: &str,
        (deadline, timeout): (Instant, Duration),
    ) -> Result<(), PushError> {
        let addr = self.authority.clone();
        let timeout_error = || PushError::Timeout {
            addr: addr.clone(),
            seconds: timeout.as_secs_f64(),
        };
        let io_error = |source: std::io::Error| {
            if matches!(
                source.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                timeout_error()
            } else {
                PushError::Io {
                    addr: addr.clone(),
                    source,
                }
            }
        };
        let remaining = || {
            deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
        };

        let sockets: Vec<SocketAddr> = self
            .authority
            .to_socket_addrs()
            .map_err(|source| PushError::Resolve {
                host: self.authority.clone(),
                source,
            })?
            .collect();
        let mut last_error = None;
        let mut stream = None;
        for socket in sockets {
            let left = remaining().ok_or_else(timeout_error)?;
            match TcpStream::connect_timeout(&socket, left) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let mut stream = stream.ok_or_else(|| PushError::Connect {
            addr: addr.clone(),
            source: last_error.unwrap_or_else(|| std::io::Error::other("no address")),
        })?;

        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: profrun/{}\r\n\
             Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.authority,
            env!("CARGO_PKG_VERSION"),
            body.len()
        );
        let left = remaining().ok_or_else(timeout_error)?;
        stream.set_write_timeout(Some(left)).map_err(io_error)?;
        stream.write_all(head.as_bytes()).map_err(io_error)?;
        stream.write_all(body.as_bytes()).map_err(io_error)?;

        // Connection: close, so the answer ends at EOF; cap what we keep.
        let mut response = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let left = remaining().ok_or_else(timeout_error)?;
            stream.set_read_timeout(Some(left)).map_err(io_error)?;
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) if response.len() < 64 * 1024 => response.extend_from_slice(&buf[..n]),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        let status =
            parse_status(&response).ok_or_else(|| PushError::BadResponse { addr: addr.clone() })?;
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&response);
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).trim();
        Err(PushError::Status {
            method,
            path: path.to_string(),
            status,
            body: body.chars().take(200).collect(),
        })
    }
}

/// `HOST[:PORT]` or `[V6]:PORT` into the host (brackets kept) and the port,
/// checked now so that a URL that cannot be reached is a usage error before
/// the job runs: a port must be 1-65535, a host non-empty, and a bare host
/// free of `:` (an IPv6 address goes in brackets).
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        let (host, rest) = authority.split_at(end);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None => None,
        // `u16::from_str` would take a leading `+`.
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok().filter(|&n| n != 0)?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// `200` from `HTTP/1.1 200 OK\r\n...`.
fn parse_status(response: &[u8]) -> Option<u16> {
    let line = response.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// One label of a grouping key as `label/value`. Values made only of
/// URL-safe characters go as they are; anything else (a `/`, a space, an
/// empty value) uses the gateway's `label@base64/<base64url>` form, so the
/// name needs no percent-encoding rules of its own.
fn path_label(label: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if plain {
        format!("{label}/{value}")
    } else if value.is_empty() {
        // The gateway's spelling of an empty value.
        format!("{label}@base64/=")
    } else {
        format!("{label}@base64/{}", base64url(value.as_bytes()))
    }
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(name: &str) -> Labels {
        Labels {
            name: name.into(),
            tool: "lammps".into(),
            host: "node1".into(),
        }
    }

    #[test]
    fn urls_parse_or_say_why_not() {
        let gw = Pushgateway::parse("http://gw.example:9091/").expect("parses");
        assert_eq!(
            gw.group_path(&labels("md")),
            "/metrics/job/profrun/instance/node1/name/md"
        );
        let gw = Pushgateway::parse("http://gw/prefix").expect("parses");
        assert_eq!(gw.authority, "gw:80");
        assert_eq!(gw.prefix, "/prefix");
        assert_eq!(
            Pushgateway::parse("http://[::1]").expect("v6").authority,
            "[::1]:80"
        );
        assert!(matches!(
            Pushgateway::parse("https://gw:9091"),
            Err(PushError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            Pushgateway::parse("gw:9091"),
            Err(PushError::BadUrl(_))
        ));
        assert!(matches!(
            Pushgateway::parse("http://"),
            Err(PushError::BadUrl(_))
        ));
        assert_eq!(
            Pushgateway::parse("http://[::1]:9091/x")
                .expect("v6 with port")
                .authority,
            "[::1]:9091"
        );
        assert_eq!(
            Pushgateway::parse("http://gw:65535")
                .expect("top port")
                .authority,
            "gw:65535"
        );
    }

    /// Regression (issue 13 review): a port past 65535 or a query in the
    /// authority was accepted and failed only after the job had run.
    #[test]
    fn a_url_whose_port_or_authority_cannot_be_used_is_refused_before_the_run() {
        for bad in [
            "http://gw:99999",
            "http://gw:9091?x=1",
            "http://gw?x=1",
            "http://gw:9091#top",
            "http://gw:",
            "http://gw:0",
            "http://gw:+9091",
            "http://gw:90a1",
            "http://:9091",
            "http://[::1]:",
            "http://[::1]9091",
            "http://[::1",
            "http://[]:9091",
            "http://::1:9091",
        ] {
            assert!(
                matches!(Pushgateway::parse(bad), Err(PushError::BadUrl(_))),
                "{bad} should not parse"
            );
        }
    }

    #[test]
    fn odd_label_values_go_as_base64() {
        assert_eq!(path_label("name", "md-run_1.x"), "name/md-run_1.x");
        assert_eq!(path_label("name", "a/b"), "name@base64/YS9i");
        assert_eq!(path_label("name", ""), "name@base64/=");
        assert_eq!(base64url(b"\xfb\xff"), "-_8=");
        assert_eq!(base64url(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 400 Bad Request\r\n"), Some(400));
        assert_eq!(parse_status(b"garbage"), None);
    }
}
