//! Sampler costs, printed (not a timed test). Two parts:
//!
//! 1. Per-tick cost of the tree probe for trees of 1, 10, 100 and 500 idle
//!    processes, and for a 10-process tree while 1 000 unrelated idle
//!    processes exist on the host (the walk must not notice them); idle
//!    (`stat` only) and busy (`stat`+`status`+`io` every tick) paths; and
//!    the host probe. CPU time of the sampling thread per tick, median and
//!    range over the ticks.
//! 2. profrun's own CPU time and peak RSS (`--self-stats`) wrapping an idle
//!    11-process tree (`workload tree 10 MS`) at 0.5 s, and at one tick per
//!    hour to separate start-up from sampling.
//! 3. The sampler in this process on the same idle tree, side by side:
//!    without observers, and with 5 `--alert` rules plus a live `/metrics`
//!    endpoint (the run path's `live_endpoint` behind an
//!    `export::listen::MetricsServer`) scraped once a second, over one
//!    kept-alive connection as Prometheus does and over a new connection
//!    per scrape: per-tick cost, own CPU and the ratio, and the split
//!    (rules and the figures' copy on the sampler thread, the server
//!    thread per scrape and the render inside it). `PROFRUN_BENCH_OBSERVER_MS` (default 20000) sets each run's
//!    length; `PROFRUN_BENCH_PART=3` runs this part alone.
//!
//! The cost of checkpoints on the same tree is `benches/checkpoint.rs`.
//!
//! ```text
//! cargo build --release --examples && cargo bench --bench sampler
//! PROFRUN_BENCH_IDLE_MS=10000 PROFRUN_BENCH_IDLE_RUNS=3 cargo bench --bench sampler
//! ```

use profrun::probe::host::ProcHostProbe;
use profrun::probe::process_tree::ProcTreeProbe;
use profrun::probe::{HostProbe, ProcRoot, TreeProbe};
use profrun::sample::TreeSample;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

#[path = "common/stats.rs"]
mod common_stats;
use common_stats::stats;

/// CPU µs per tick of `f`, over `ticks` ticks spaced `gap` apart (so caches
/// cool a little, as they do between real ticks).
fn per_tick_us(ticks: usize, gap: Duration, mut f: impl FnMut()) -> (f64, f64, f64) {
    f(); // the first tick opens the files
    let mut xs: Vec<f64> = (0..ticks)
        .map(|_| {
            std::thread::sleep(gap);
            let t0 = thread_cpu_seconds();
            f();
            (thread_cpu_seconds() - t0) * 1e6
        })
        .collect();
    stats(&mut xs)
}

fn spawn_sleepers(n: usize) -> Vec<Child> {
    (0..n)
        .map(|_| {
            Command::new("sleep")
                .arg("600")
                .spawn()
                .expect("spawn sleep")
        })
        .collect()
}

fn stop(children: Vec<Child>) {
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// 1 000 idle processes that are NOT our descendants: started by a shell
/// that exits at once, so they are reparented away. Returns their pids.
fn spawn_unrelated(n: usize) -> Vec<i32> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "i=0; while [ $i -lt {n} ]; do sleep 600 </dev/null >/dev/null 2>&1 & echo $!; i=$((i+1)); done"
        ))
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn unrelated sleepers");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn kill_pids(pids: &[i32]) {
    for &pid in pids {
        // SAFETY: kill on pids this bench started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// How the probe reads each process: "idle" (`schedstat` shows it has not
/// run: nothing else is read), "stat" (`stat` every tick, as before that
/// check), "busy" (`stat`, `status` and `io` every tick).
fn tree_probe(path: &str) -> ProcTreeProbe {
    let p = ProcTreeProbe::new(ProcRoot::default(), std::process::id() as i32).expect("/proc");
    match path {
        "busy" => p.with_full_reads(),
        "stat" => p.without_idle_skip(),
        _ => p,
    }
}

fn bench_tree(label: &str, expected: usize) {
    for path in ["idle", "stat", "busy"] {
        let mut probe = tree_probe(path);
        let mut out = TreeSample::default();
        let ticks = if expected >= 500 { 60 } else { 150 };
        let (med, lo, hi) = per_tick_us(ticks, Duration::from_millis(3), || {
            probe.sample(0.0, &mut out).expect("sample");
        });
        assert_eq!(out.processes.len(), expected, "tree of {label}");
        let n = expected.max(1) as f64;
        println!(
            "  {label:<34} {path}: {med:8.1} µs/tick [{lo:.1} – {hi:.1}]   {:6.1} µs/process",
            med / n
        );
    }
}

fn part_one() {
    println!("per-tick CPU cost of the tree probe (median [min – max] over ticks)");
    for n in [1, 10, 100, 500] {
        let kids = spawn_sleepers(n);
        std::thread::sleep(Duration::from_millis(200));
        bench_tree(&format!("tree of {n}"), n);
        stop(kids);
    }
    let unrelated = spawn_unrelated(1000);
    let kids = spawn_sleepers(10);
    std::thread::sleep(Duration::from_millis(300));
    let host_procs = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
                .count()
        })
        .unwrap_or(0);
    bench_tree(&format!("tree of 10, {host_procs} procs on host"), 10);
    stop(kids);
    kill_pids(&unrelated);

    if let Some(workload) = workload_binary() {
        let mut threaded = Command::new(&workload)
            .args(["idle-threads", "31", "600000"])
            .spawn()
            .expect("spawn workload");
        std::thread::sleep(Duration::from_millis(300));
        bench_tree("1 process with 32 threads", 1);
        let _ = threaded.kill();
        let _ = threaded.wait();
    } else {
        println!("  (a 32-thread process: build the examples in this profile to measure it)");
    }

    for (what, fresh) in [
        ("stat, meminfo (every tick)", false),
        ("+ net/dev, diskstats, pressure, loadavg", true),
    ] {
        let mut host = ProcHostProbe::new(&ProcRoot::default());
        let (med, lo, hi) = per_tick_us(150, Duration::from_millis(3), || {
            std::hint::black_box(host.sample(0.0, fresh));
        });
        println!("  host probe, {what:<40} {med:8.1} µs/tick [{lo:.1} – {hi:.1}]");
    }

    // Real ticks are 0.5 s apart: caches are cold by then. The two ways of
    // reading an idle tree take turns, 0.25 s apart, so that both see cold
    // caches and the same machine.
    let kids = spawn_sleepers(10);
    std::thread::sleep(Duration::from_millis(200));
    let mut probes = [tree_probe("idle"), tree_probe("stat")];
    let mut host = ProcHostProbe::new(&ProcRoot::default());
    let mut out = TreeSample::default();
    let mut costs = [Vec::new(), Vec::new()];
    for round in 0..41 {
        for (i, probe) in probes.iter_mut().enumerate() {
            std::thread::sleep(Duration::from_millis(250));
            let t0 = thread_cpu_seconds();
            probe.sample(round as f64 * 0.5, &mut out).expect("sample");
            std::hint::black_box(host.sample(round as f64 * 0.5, false));
            if round > 0 {
                costs[i].push((thread_cpu_seconds() - t0) * 1e6);
            }
        }
    }
    stop(kids);
    let [mut skip, mut every] = costs;
    let (a, alo, ahi) = stats(&mut skip);
    let (b, blo, bhi) = stats(&mut every);
    println!("  tree of 10 + host, cold caches (0.25 s apart, taking turns, 40 ticks each):");
    println!("    idle processes skipped through schedstat: {a:6.1} µs/tick [{alo:.1} – {ahi:.1}]");
    println!("    stat read every tick:                     {b:6.1} µs/tick [{blo:.1} – {bhi:.1}]   ratio {:.2}", a / b);
}

/// The workload example, when built in this profile.
fn workload_binary() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_BIN_EXE_profrun"));
    let workload = bin.parent()?.join("examples/workload");
    workload.exists().then_some(workload)
}

/// The workload example if built in this profile, else a shell tree of the
/// same shape.
fn idle_tree_command(ms: u64) -> (Vec<String>, &'static str) {
    if let Some(workload) = workload_binary() {
        let w = workload.display().to_string();
        (
            vec![w, "tree".into(), "10".into(), ms.to_string()],
            "workload tree 10",
        )
    } else {
        let secs = format!("{:.3}", ms as f64 / 1000.0);
        let script = format!("for i in 1 2 3 4 5 6 7 8 9 10; do sleep {secs} & done; wait");
        (
            vec!["sh".into(), "-c".into(), script],
            "sh + 10 × sleep (workload not built)",
        )
    }
}

fn self_stats(interval: &str, ms: u64) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let (cmd, _) = idle_tree_command(ms);
    let out = Command::new(env!("CARGO_BIN_EXE_profrun"))
        .args([
            "--quiet",
            "--self-stats",
            "--interval",
            interval,
            "--history",
        ])
        .arg(&history)
        .arg("--")
        .args(&cmd)
        .output()
        .expect("run profrun");
    assert!(out.status.success());
    let text = std::fs::read_to_string(&history).expect("history");
    let r: serde_json::Value = serde_json::from_str(text.trim_end()).expect("record");
    let wall = r["duration_seconds"].as_f64().unwrap_or(f64::NAN);
    // The line profrun prints last, after writing the record: its peak
    // includes serialising, appending and reporting.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| {
        stderr
            .lines()
            .filter(|l| l.contains("self-stats at exit:"))
            .flat_map(|l| l.split_whitespace())
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (field("cpu_seconds="), wall, field("peak_rss_kb="))
}

/// How much of `link/profrun.order` the benchmarked binary still defines
/// (a stale list packs less of the run path together), when `nm` exists.
fn order_file_coverage() {
    let list = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/link/profrun.order"))
        .unwrap_or_default();
    let Ok(out) = Command::new("nm")
        .args(["--defined-only", env!("CARGO_BIN_EXE_profrun")])
        .output()
    else {
        println!("order file: nm not found, coverage not checked");
        return;
    };
    let defined: std::collections::HashSet<&str> = std::str::from_utf8(&out.stdout)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let found = list.lines().filter(|n| defined.contains(n)).count();
    println!(
        "order file: {found} of the {} functions in link/profrun.order are in this binary (one build's share is normal: the list covers two)",
        list.lines().count()
    );
}

fn part_two() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let ms = env("PROFRUN_BENCH_IDLE_MS", 60_000);
    let runs = env("PROFRUN_BENCH_IDLE_RUNS", 1).max(1) as usize;
    let (_, what) = idle_tree_command(ms);
    order_file_coverage();
    println!(
        "\nprofrun's own cost wrapping an idle 11-process tree ({what}) for {:.0} s, {runs} run(s)",
        ms as f64 / 1000.0
    );
    for interval in ["0.5", "3600"] {
        let (mut pct, mut cpu_ms, mut rss) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let (cpu, wall, kb) = self_stats(interval, ms);
            pct.push(cpu / wall * 100.0);
            cpu_ms.push(cpu * 1000.0);
            rss.push(kb / 1024.0);
        }
        let (p, plo, phi) = stats(&mut pct);
        let (c, clo, chi) = stats(&mut cpu_ms);
        let (r, rlo, rhi) = stats(&mut rss);
        println!(
            "  --interval {interval:<5} own CPU {c:7.2} ms [{clo:.2} – {chi:.2}] = {p:.4} % of a core [{plo:.4} – {phi:.4}]   peak RSS {r:.2} MiB [{rlo:.2} – {rhi:.2}]"
        );
    }
}

/// The alert rules of part three: seed 000's three and two more.
const BENCH_RULES: [&str; 5] = [
    "duration>300s",
    "memory>8GiB",
    "cpu>90%for5m",
    "gpu<10%for10m",
    "swap>0",
];

/// An observer with its own CPU time counted (thread clock around each call).
struct Timed {
    inner: Box<dyn profrun::sampler::TickObserver>,
    seconds: std::sync::Arc<std::sync::Mutex<f64>>,
}

impl profrun::sampler::TickObserver for Timed {
    fn on_tick(&mut self, profiler: &profrun::profile::Profiler, final_sample: bool) {
        let t0 = thread_cpu_seconds();
        self.inner.on_tick(profiler, final_sample);
        let spent = thread_cpu_seconds() - t0;
        if let Ok(mut total) = self.seconds.lock() {
            *total += spent;
        }
    }
}

fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU seconds a thread of this process has run (`schedstat`, ns), found
/// by its name; 0 when there is no such thread.
fn named_thread_cpu_seconds(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            let ns: f64 = stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            return ns / 1e9;
        }
    }
    0.0
}

/// Part three's cases: no observers at all, or the 5 rules and the live
/// endpoint scraped not at all, like Prometheus (one connection kept
/// alive, HTTP/1.1), or with a new connection per scrape (`curl` in a
/// loop, HTTP/1.0).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scrapes {
    NoObservers,
    NotScraped,
    KeptAlive,
    NewConnection,
}

/// The live endpoint's source with the CPU of its renders counted (thread
/// clock around each, on the server thread).
struct TimedSource {
    inner: profrun::commands::run::live::LiveSource,
    seconds: std::sync::Arc<std::sync::Mutex<f64>>,
}

impl profrun::export::listen::Exposition for TimedSource {
    fn render(&self, out: &mut String) {
        let t0 = thread_cpu_seconds();
        self.inner.render(out);
        let spent = thread_cpu_seconds() - t0;
        if let Ok(mut total) = self.seconds.lock() {
            *total += spent;
        }
    }
}

/// One scrape on `conn`: (whether it got the alert family, keep the
/// connection). Reads the head, then `Content-Length` bytes.
fn scrape(conn: &mut std::net::TcpStream, keep_alive: bool) -> (bool, bool) {
    use std::io::{Read, Write};
    let request: &[u8] = if keep_alive {
        b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"
    } else {
        b"GET /metrics HTTP/1.0\r\n\r\n"
    };
    if conn.write_all(request).is_err() {
        return (false, false);
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if let Some(length) = length {
                if got.len() >= end + 4 + length {
                    let body = String::from_utf8_lossy(&got[end + 4..]);
                    return (body.contains("profrun_job_alert_firing"), keep_alive);
                }
            }
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return (false, false),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// One sampler run's costs (CPU seconds unless said otherwise).
#[derive(Debug, Default, Clone, Copy)]
struct RunCost {
    /// The whole process but the scraping client's thread.
    cpu: f64,
    ticks: u64,
    scrapes: u64,
    /// On the sampler thread: evaluating the rules, copying the figures.
    alerting: f64,
    copying: f64,
    /// The server thread, and the renders inside it.
    server: f64,
    rendering: f64,
}

/// One sampler run over the idle tree for `ms`, with 5 alert rules and the
/// live endpoint unless `scrapes` is `NoObservers`. The
/// process CPU leaves out the scraping client's thread, which stands for
/// Prometheus, not for profrun.
fn sampler_run(ms: u64, scrapes: Scrapes) -> RunCost {
    use profrun::sampler::{self, Extras, SamplerConfig};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    let (cmd, _) = idle_tree_command(ms + 2_000);
    let mut tree = Command::new(&cmd[0])
        .args(&cmd[1..])
        .spawn()
        .expect("spawn the tree");
    std::thread::sleep(Duration::from_millis(300)); // let it fork its 10
    let mut observers: Vec<Box<dyn sampler::TickObserver>> = Vec::new();
    let mut server = None;
    let stop_scraping = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let seconds: [Arc<Mutex<f64>>; 3] = Default::default();
    let mut scraper = None;
    if scrapes != Scrapes::NoObservers {
        let rules = BENCH_RULES
            .iter()
            .map(|r| profrun::alerts::parse_rule(r).expect("valid rule"))
            .collect();
        let (alerts, board) = profrun::commands::run::AlertObserver::new(rules, 1);
        let (live, source) = profrun::commands::run::live::live_endpoint(
            profrun::metrics::exposition::Labels {
                name: "bench".into(),
                tool: "workload".into(),
                host: "localhost".into(),
            },
            1,
            Some(board),
        );
        let listening = profrun::export::listen::MetricsServer::bind(
            "127.0.0.1:0",
            TimedSource {
                inner: source,
                seconds: Arc::clone(&seconds[2]),
            },
        )
        .expect("bind the metrics server");
        let addr = listening.local_addr();
        let inners = [
            Box::new(alerts) as Box<dyn sampler::TickObserver>,
            Box::new(live),
        ];
        for (inner, seconds) in inners.into_iter().zip(&seconds) {
            observers.push(Box::new(Timed {
                inner,
                seconds: Arc::clone(seconds),
            }));
        }
        server = Some(listening);
        let (stop, count) = (Arc::clone(&stop_scraping), Arc::clone(&answered));
        let keep_alive = scrapes == Scrapes::KeptAlive;
        scraper = (scrapes != Scrapes::NotScraped).then(|| {
            std::thread::spawn(move || {
                let t0 = thread_cpu_seconds();
                let mut conn = None;
                // One scrape a second on a fixed schedule, as Prometheus
                // does, however long the answers take.
                let mut next = std::time::Instant::now();
                while !stop.load(Ordering::SeqCst) {
                    if conn.is_none() {
                        conn = std::net::TcpStream::connect(addr).ok();
                    }
                    if let Some(c) = conn.as_mut() {
                        let (ok, keep) = scrape(c, keep_alive);
                        if ok {
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        if !keep {
                            conn = None;
                        }
                    }
                    next += Duration::from_secs(1);
                    std::thread::sleep(next.saturating_duration_since(std::time::Instant::now()));
                }
                thread_cpu_seconds() - t0
            })
        });
    }
    let server_before = named_thread_cpu_seconds("profrun-metrics");
    let before = process_cpu_seconds();
    let running = sampler::start(
        SamplerConfig {
            interval: Duration::from_millis(500),
            series_cap: profrun::profile::series::DEFAULT_CAP,
            pss: false,
            proc: ProcRoot::default(),
            root_pid: std::process::id() as i32,
            io_baseline: Default::default(),
            main_thread_io_baseline: Default::default(),
            job_started: std::time::Instant::now(),
        },
        Extras {
            observers,
            ..Extras::default()
        },
    );
    std::thread::sleep(Duration::from_millis(ms));
    let out = running.stop();
    stop_scraping.store(true, Ordering::SeqCst);
    let client = scraper.map_or(0.0, |s| s.join().unwrap_or(0.0));
    let cpu = process_cpu_seconds() - before - client;
    let server_cpu = named_thread_cpu_seconds("profrun-metrics") - server_before;
    drop(server);
    let _ = tree.kill();
    let _ = tree.wait();
    let inside = seconds.map(|s| *s.lock().expect("not poisoned"));
    RunCost {
        cpu,
        ticks: out.profile.map(|p| p.samples()).unwrap_or(0),
        scrapes: answered.load(Ordering::SeqCst),
        alerting: inside[0],
        copying: inside[1],
        server: server_cpu,
        rendering: inside[2],
    }
}

fn part_three() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let ms = env("PROFRUN_BENCH_OBSERVER_MS", 20_000);
    let runs = env("PROFRUN_BENCH_OBSERVER_RUNS", 1).max(1);
    let (_, what) = idle_tree_command(ms);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nsampler in-process on an idle 11-process tree ({what}), --interval 0.5, {:.0} s a run, {runs} run(s) each, taking turns (load average {}):",
        ms as f64 / 1000.0,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    let cases = [
        ("without observers", Scrapes::NoObservers),
        ("5 rules + /metrics, not scraped", Scrapes::NotScraped),
        ("5 rules + /metrics, 1 Hz, kept alive", Scrapes::KeptAlive),
        (
            "5 rules + /metrics, 1 Hz, new connections",
            Scrapes::NewConnection,
        ),
    ];
    let mut costs: Vec<Vec<RunCost>> = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (case, &(_, scrapes)) in cases.iter().enumerate() {
            costs[case].push(sampler_run(ms, scrapes));
        }
    }
    let per_tick = |s: f64, c: &RunCost| s * 1e6 / c.ticks.max(1) as f64;
    let per_scrape = |s: f64, c: &RunCost| s * 1e6 / c.scrapes.max(1) as f64;
    let median_of = |case: usize, f: &dyn Fn(&RunCost) -> f64| {
        let mut xs: Vec<f64> = costs[case].iter().map(f).collect();
        stats(&mut xs)
    };
    let (base, _, _) = median_of(0, &|c| per_tick(c.cpu, c));
    for (case, &(label, scrapes)) in cases.iter().enumerate() {
        let (t, tlo, thi) = median_of(case, &|c| per_tick(c.cpu, c));
        let (p, plo, phi) = median_of(case, &|c| c.cpu / (ms as f64 / 1e3) * 100.0);
        let ratio = if case == 0 {
            String::new()
        } else {
            format!("   ratio {:.2}", t / base)
        };
        println!(
            "  {label:<42} {t:6.1} µs/tick [{tlo:.1} – {thi:.1}]   own CPU {p:.4} % of a core [{plo:.4} – {phi:.4}]{ratio}"
        );
        if scrapes == Scrapes::NoObservers {
            continue;
        }
        let (a, alo, ahi) = median_of(case, &|c| per_tick(c.alerting, c));
        let (k, klo, khi) = median_of(case, &|c| per_tick(c.copying, c));
        let (s, slo, shi) = median_of(case, &|c| per_scrape(c.server, c));
        let (r, rlo, rhi) = median_of(case, &|c| per_scrape(c.rendering, c));
        let answered: u64 = costs[case].iter().map(|c| c.scrapes).sum();
        if scrapes == Scrapes::NotScraped {
            let (w, wlo, whi) = median_of(case, &|c| c.server * 1e6);
            println!("    sampler thread: 5 rules {a:.1} µs/tick [{alo:.1} – {ahi:.1}], copying the figures {k:.2} µs/tick [{klo:.2} – {khi:.2}]");
            println!(
                "    server thread: {w:.1} µs in the whole run [{wlo:.1} – {whi:.1}] (no scrape)"
            );
            continue;
        }
        println!("    sampler thread: 5 rules {a:.1} µs/tick [{alo:.1} – {ahi:.1}], copying the figures {k:.2} µs/tick [{klo:.2} – {khi:.2}]");
        println!("    server thread: {s:.1} µs/scrape [{slo:.1} – {shi:.1}], of which rendering {r:.1} µs [{rlo:.1} – {rhi:.1}] ({answered} scrapes answered)");
    }
    println!("    (the scraping client's own CPU is left out)");
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful either: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if std::env::var("PROFRUN_BENCH_PART").as_deref() == Ok("3") {
        part_three();
        return;
    }
    part_one();
    part_two();
    part_three();
}
