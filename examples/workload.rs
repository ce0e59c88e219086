//! A small workload program for profrun's README demo, tests and benchmarks.
//! Each mode does one measurable thing and exits:
//!
//! ```text
//! workload demo                      a few seconds of CPU, memory, I/O and children
//! workload cpu MS                    burn MS milliseconds of CPU
//! workload spawn N MS                N sequential children, each burning MS ms
//! workload parallel N MB HOLD_MS     N concurrent children, each holding MB MiB
//! workload alloc MB HOLD_MS LIVE_MS  touch MB MiB, hold, free, live on LIVE_MS
//! workload late IDLE MB HOLD AFTER   sleep IDLE ms, touch MB MiB, hold, free, sleep AFTER
//! workload threads N MS              N busy threads for MS ms of wall time
//! workload write MB PATH             write MB MiB to PATH with fsync
//! workload sync-write MS PATH        write 1 MiB blocks to PATH, each synced, for MS ms
//! workload daemon MS PIDFILE         double-fork a daemon burning MS ms, exit at once
//! workload tree N MS                 N idle children sleeping MS ms (N+1 processes)
//! workload swarm N PAR               N short-lived `true` children, PAR at a time
//! workload idle-threads N MS         N threads sleeping MS ms (N+1 threads)
//! workload sleep MS | exit CODE | kill-self SIGNAL
//! workload trap-term                 exit 0 on SIGTERM (sleeps up to 60 s)
//! workload ignore-term               ignore SIGTERM, print "ready", sleep 60 s
//! workload rusage CMD [ARGS...]      run CMD, print "user_s sys_s" of RUSAGE_CHILDREN
//! workload cow MB N HOLD_MS          touch MB MiB, fork N children sharing it, hold
//! workload io-of CMD [ARGS...]       run CMD, print its own "rchar syscr wchar syscw"
//! ```

use std::io::Write;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn burn(ms: u64) {
    // Burn CPU time (not wall time) so that a descheduled process still does
    // the requested amount of work.
    let start = cpu_time();
    let mut x: u64 = 1;
    while cpu_time() - start < Duration::from_millis(ms) {
        for _ in 0..10_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
    }
}

fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn touch(mb: u64) -> Vec<u8> {
    let mut v = vec![0u8; (mb as usize) << 20];
    for i in (0..v.len()).step_by(4096) {
        v[i] = 1;
    }
    std::hint::black_box(&v);
    v
}

fn me() -> Command {
    Command::new(std::env::current_exe().expect("own path"))
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("demo");
    match mode {
        "cpu" => burn(arg(&args, 1, 100)),
        "spawn" => {
            for _ in 0..arg(&args, 1, 10) {
                let ms = arg(&args, 2, 20).to_string();
                me().args(["cpu", &ms]).status().expect("spawn child");
            }
        }
        "parallel" => {
            let (n, mb, hold) = (arg(&args, 1, 4), arg(&args, 2, 100), arg(&args, 3, 1500));
            let kids: Vec<Child> = (0..n)
                .map(|_| {
                    me().args(["alloc", &mb.to_string(), &hold.to_string(), "0"])
                        .spawn()
                        .expect("spawn child")
                })
                .collect();
            for mut k in kids {
                k.wait().expect("wait child");
            }
        }
        "alloc" => {
            let v = touch(arg(&args, 1, 512));
            sleep_ms(arg(&args, 2, 100));
            drop(v);
            sleep_ms(arg(&args, 3, 1000));
        }
        "late" => {
            sleep_ms(arg(&args, 1, 1000));
            let v = touch(arg(&args, 2, 128));
            sleep_ms(arg(&args, 3, 300));
            drop(v);
            sleep_ms(arg(&args, 4, 0));
        }
        "threads" => {
            let (n, ms) = (arg(&args, 1, 4), arg(&args, 2, 1000));
            let deadline = Instant::now() + Duration::from_millis(ms);
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    std::thread::spawn(move || {
                        let mut x: u64 = 1;
                        while Instant::now() < deadline {
                            for _ in 0..10_000 {
                                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                            }
                        }
                        std::hint::black_box(x);
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("join thread");
            }
        }
        "write" => {
            let mb = arg(&args, 1, 64);
            let path = args
                .get(2)
                .cloned()
                .unwrap_or_else(|| "workload.out".into());
            let mut f = std::fs::File::create(&path).expect("create output");
            let block = vec![7u8; 1 << 20];
            for _ in 0..mb {
                f.write_all(&block).expect("write");
            }
            f.sync_all().expect("fsync");
        }
        "sync-write" => {
            // Each block waits for the disk (fdatasync), so the job is
            // storage-bound for MS ms of wall time whatever the CPU load.
            let ms = arg(&args, 1, 2000);
            let path = args
                .get(2)
                .cloned()
                .unwrap_or_else(|| "workload.out".into());
            let mut f = std::fs::File::create(&path).expect("create output");
            let block = vec![7u8; 1 << 20];
            let deadline = Instant::now() + Duration::from_millis(ms);
            let mut written = 0u64;
            while Instant::now() < deadline {
                // Rewrite a 64 MiB window so a long run does not fill the disk.
                if written % 64 == 0 {
                    std::io::Seek::rewind(&mut f).expect("rewind");
                }
                f.write_all(&block).expect("write");
                f.sync_data().expect("fdatasync");
                written += 1;
            }
        }
        "daemon" => {
            let ms = arg(&args, 1, 300).to_string();
            let pidfile = args.get(2).cloned().unwrap_or_default();
            // The intermediate child spawns the daemon and exits at once, so
            // the daemon is orphaned (and reparented to the subreaper).
            me().args(["daemon-inner", &ms, &pidfile])
                .status()
                .expect("spawn");
        }
        "daemon-inner" => {
            let ms = args.get(1).cloned().unwrap_or_else(|| "300".into());
            #[allow(clippy::zombie_processes)] // orphaned on purpose: the subreaper reaps it
            let child = me()
                .args(["daemon-body", &ms])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn daemon");
            if let Some(path) = args.get(2).filter(|p| !p.is_empty()) {
                std::fs::write(path, child.id().to_string()).expect("pidfile");
            }
        }
        "daemon-body" => {
            sleep_ms(200);
            burn(arg(&args, 1, 300));
        }
        "tree" => {
            let (n, ms) = (arg(&args, 1, 10), arg(&args, 2, 1000));
            let kids: Vec<Child> = (0..n)
                .map(|_| {
                    me().args(["sleep", &ms.to_string()])
                        .spawn()
                        .expect("spawn")
                })
                .collect();
            for mut k in kids {
                k.wait().expect("wait child");
            }
        }
        "swarm" => {
            let (n, par) = (arg(&args, 1, 1000), arg(&args, 2, 8).max(1));
            let mut running: Vec<Child> = Vec::new();
            for _ in 0..n {
                if running.len() as u64 >= par {
                    running.remove(0).wait().expect("wait child");
                }
                running.push(Command::new("true").spawn().expect("spawn true"));
            }
            for mut k in running {
                k.wait().expect("wait child");
            }
        }
        "idle-threads" => {
            let (n, ms) = (arg(&args, 1, 32), arg(&args, 2, 1000));
            let handles: Vec<_> = (0..n)
                .map(|_| std::thread::spawn(move || sleep_ms(ms)))
                .collect();
            for h in handles {
                h.join().expect("join thread");
            }
        }
        "sleep" => sleep_ms(arg(&args, 1, 1000)),
        "exit" => std::process::exit(arg(&args, 1, 0) as i32),
        "kill-self" => {
            // SAFETY: sending a signal to ourselves.
            unsafe { libc::raise(arg(&args, 1, 9) as i32) };
            sleep_ms(1000);
        }
        "trap-term" => {
            // SAFETY: installing a handler that only calls _exit.
            unsafe {
                extern "C" fn on_term(_: libc::c_int) {
                    // SAFETY: _exit is async-signal-safe.
                    unsafe { libc::_exit(0) };
                }
                libc::signal(libc::SIGTERM, on_term as *const () as libc::sighandler_t);
            }
            println!("ready");
            sleep_ms(60_000);
        }
        "ignore-term" => {
            // SAFETY: setting a disposition to SIG_IGN.
            unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
            println!("ready");
            sleep_ms(60_000);
        }
        "cow" => {
            // Memory shared copy-on-write after fork(): each child's RSS
            // shows all of it, the machine holds it once.
            let (mb, n, hold) = (arg(&args, 1, 300), arg(&args, 2, 4), arg(&args, 3, 1500));
            let v = touch(mb);
            let mut kids = Vec::new();
            for _ in 0..n {
                // SAFETY: single-threaded here; the child only sleeps and _exits.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    sleep_ms(hold);
                    // SAFETY: leaving the forked child without running destructors.
                    unsafe { libc::_exit(0) };
                }
                kids.push(pid);
            }
            for pid in kids {
                let mut status = 0;
                // SAFETY: waiting for our own children.
                unsafe { libc::waitpid(pid, &mut status, 0) };
            }
            std::hint::black_box(&v);
        }
        "io-of" => {
            // The child's own I/O, read from /proc while it is a zombie
            // (waitid with WNOWAIT), before anything of ours can mix in.
            let child = Command::new(&args[1])
                .args(&args[2..])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn");
            let pid = child.id();
            // SAFETY: siginfo_t is plain data; waitid on our own child.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointer; WNOWAIT leaves the zombie in place.
            unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
            let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("zombie io");
            let field = |name: &str| {
                io.lines()
                    .find_map(|l| {
                        l.strip_prefix(name)?
                            .strip_prefix(": ")?
                            .parse::<u64>()
                            .ok()
                    })
                    .unwrap_or(0)
            };
            println!(
                "{} {} {} {}",
                field("rchar"),
                field("syscr"),
                field("wchar"),
                field("syscw")
            );
            let mut child = child;
            child.wait().expect("reap");
        }
        "rusage" => {
            // Isolates RUSAGE_CHILDREN from anything else the caller runs.
            let status = Command::new(&args[1])
                .args(&args[2..])
                .status()
                .expect("spawn");
            // SAFETY: rusage is plain data filled by getrusage.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointer.
            unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
            let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
            println!("{} {}", secs(ru.ru_utime), secs(ru.ru_stime));
            std::process::exit(status.code().unwrap_or(1));
        }
        "demo" => {
            println!("workload demo: CPU, a 64 MiB allocation, 16 MiB of I/O, 3 children");
            burn(300);
            let v = touch(64);
            let out = std::env::temp_dir().join(format!("profrun-demo-{}.dat", std::process::id()));
            me().args(["write", "16", &out.display().to_string()])
                .status()
                .expect("spawn writer");
            let _ = std::fs::remove_file(&out);
            me().args(["parallel", "2", "32", "500"])
                .status()
                .expect("spawn");
            drop(v);
            burn(200);
            println!("workload demo: done");
        }
        other => {
            eprintln!("workload: unknown mode '{other}'");
            std::process::exit(2);
        }
    }
}
