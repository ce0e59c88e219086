//! `--metrics-listen ADDR`: what a scrape of `/metrics` renders
//! ([`Exposition`]), and [`MetricsServer`], an [`Endpoint`] served on a
//! thread of its own.
//!
//! The text is rendered on that thread when a scrape arrives, from a
//! snapshot the sampler keeps up to date under a lock held only for a copy
//! (`commands::run::live`): an endpoint nobody scrapes costs the sampler
//! that copy and nothing else. The thread waits in `poll` without a timeout
//! (one only while an answer waits to be taken), so an idle endpoint never
//! wakes up, and no socket ever blocks (see [`Endpoint`]): a slow or stuck
//! scraper delays neither a tick nor the other scrapes. Serving on the
//! sampler's own thread instead was measured and did not pay
//! (docs/performance.md).

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, Timespec};

#[cfg(test)]
use super::endpoint::{head_end, Request, Target};
pub use super::endpoint::{Endpoint, MAX_CONNECTIONS};

/// What a scrape of `/metrics` gets, rendered by whoever serves it.
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

/// An endpoint served on a thread of its own; dropping it stops the thread.
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
        let endpoint = Endpoint::bind(addr, source)?;
        let addr = endpoint.local_addr();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("profrun-metrics".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || serve_until_stopped(endpoint, &stop)
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

/// The server thread: poll the endpoint's sockets, with a timeout only
/// while an answer waits to be taken or accepting is paused.
fn serve_until_stopped<E: Exposition>(mut endpoint: Endpoint<E>, stop: &AtomicBool) {
    let mut revents = Vec::new();
    loop {
        let timeout = endpoint.deadline().map(|at| {
            let d = at.saturating_duration_since(Instant::now());
            Timespec {
                tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
                tv_nsec: i64::from(d.subsec_nanos()),
            }
        });
        {
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(1 + MAX_CONNECTIONS);
            endpoint.interest(&mut fds);
            match poll(&mut fds, timeout.as_ref()) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                // Cannot wait any more (out of memory): stop serving
                // rather than spin; the job runs on unaffected.
                Err(_) => return,
            }
            revents.clear();
            revents.extend(fds.iter().map(PollFd::revents));
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        endpoint.serve(&revents, Instant::now());
    }
}

#[cfg(test)]
#[path = "listen_tests.rs"]
mod tests;
