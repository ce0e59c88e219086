//! A real single-node Slurm for tests: `munged`, `slurmctld -D` and
//! `slurmd -D` started as child processes from a config written into a
//! temporary directory, and stopped by pid when the [`SlurmCluster`] drops.
//! `docs/slurm.md` ("Testing against a real Slurm") lists what this host
//! needs and the gotchas found setting it up.
//!
//! Policy: [`cluster_or_skip`] returns `None` (and says why on stderr) only
//! when the host lacks a prerequisite (Slurm not installed, not root, no
//! cgroup1 freezer/memory/cpuset); with `PROFRUN_REQUIRE_COMPONENTS=1` that is a
//! failure too. Once the prerequisites hold, a cluster that does not come
//! up is a test failure, with the daemons' logs in the message.

#![allow(dead_code)] // each test file uses its own subset

use std::fs::{self, File};
use std::io::Write;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long the daemons get to show the node idle. On this host it takes
/// about 0.5 s (see docs/slurm.md).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The programs the cluster and the tests run.
const CLIENTS: [&str; 7] = [
    "sinfo", "srun", "sbatch", "squeue", "scontrol", "scancel", "sstat",
];
const DAEMONS: [&str; 3] = ["munged", "slurmctld", "slurmd"];

/// A running single-node cluster. Every command made by [`command`] gets
/// this cluster's `SLURM_CONF`.
///
/// [`command`]: SlurmCluster::command
pub struct SlurmCluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
    node: String,
    /// munged, slurmctld, slurmd: stopped in reverse order.
    daemons: Vec<Daemon>,
    /// How long from the first daemon's start to the node showing idle.
    pub startup: Duration,
    /// Held for the cluster's life: one cluster per host at a time (they
    /// would share the node's cgroups `slurm_<node>/uid_0/job_N`).
    _lock: File,
}

struct Daemon {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

/// What a test may change in the cluster's config.
#[derive(Debug, Clone, Copy)]
pub struct SlurmOptions {
    /// `JobAcctGatherType`: `jobacct_gather/cgroup` (the default here) puts
    /// each task in a cpuacct cgroup of its own; `jobacct_gather/linux`
    /// leaves cpuacct alone.
    pub jobacct_gather: &'static str,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            jobacct_gather: "jobacct_gather/cgroup",
        }
    }
}

/// The cluster, or `None` with the reason printed when this host cannot run
/// one. Panics when it should run here but does not come up.
pub fn cluster_or_skip() -> Option<SlurmCluster> {
    cluster_or_skip_with(SlurmOptions::default())
}

pub fn cluster_or_skip_with(options: SlurmOptions) -> Option<SlurmCluster> {
    match missing_prerequisite() {
        None => Some(SlurmCluster::start(options)),
        Some(why) if std::env::var_os("PROFRUN_REQUIRE_COMPONENTS").is_some() => {
            panic!("PROFRUN_REQUIRE_COMPONENTS is set but this host cannot run Slurm: {why}")
        }
        Some(why) => {
            eprintln!("skipping the Slurm test: {why}");
            None
        }
    }
}

/// Why this host cannot run the test cluster, if it cannot.
pub fn missing_prerequisite() -> Option<String> {
    for name in CLIENTS.iter().chain(DAEMONS.iter()) {
        if find_program(name).is_none() {
            return Some(format!(
                "'{name}' not found on PATH or in /usr/sbin (install slurm-wlm and munge)"
            ));
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("slurmd must run as root to create the job cgroups".into());
    }
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for controller in ["freezer", "memory", "cpuset"] {
        if !cgroup1_mounted(&mountinfo, controller) {
            return Some(format!(
                "no cgroup1 '{controller}' hierarchy mounted (proctrack/cgroup and task/cgroup \
                 with CgroupPlugin=cgroup/v1 need freezer, memory and cpuset)"
            ));
        }
    }
    None
}

/// Whether `/proc/self/mountinfo` shows a cgroup1 mount with `controller`.
fn cgroup1_mounted(mountinfo: &str, controller: &str) -> bool {
    mountinfo.lines().any(|line| {
        let Some((_, after)) = line.split_once(" - ") else {
            return false;
        };
        let mut f = after.split_whitespace();
        f.next() == Some("cgroup")
            && f.nth(1)
                .is_some_and(|o| o.split(',').any(|o| o == controller))
    })
}

/// `name` on PATH, or in the sbin directories a non-login PATH may lack.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| panic!("'{name}' not found"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port on 127.0.0.1")
        .port()
}

/// The node line of `slurmd -C` ("NodeName=vm CPUs=2 ... RealMemory=24105"),
/// with RealMemory lowered to 90 %: slurmd drains a node that reports less
/// memory than configured, and free memory moves.
fn node_line() -> String {
    let out = Command::new(program("slurmd"))
        .arg("-C")
        .output()
        .expect("run slurmd -C");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("NodeName="))
        .unwrap_or_else(|| panic!("slurmd -C printed no NodeName line: {text}"));
    line.split_whitespace()
        .filter(|w| !w.starts_with("UpTime="))
        .map(|w| match w.strip_prefix("RealMemory=") {
            Some(mb) => {
                let mb: u64 = mb.parse().expect("RealMemory is a number");
                format!("RealMemory={}", mb * 9 / 10)
            }
            None => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn node_name(node_line: &str) -> String {
    node_line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("NodeName="))
        .expect("node line names the node")
        .to_string()
}

fn slurm_conf(
    dir: &Path,
    node_line: &str,
    ctld_port: u16,
    slurmd_port: u16,
    options: SlurmOptions,
) -> String {
    let d = dir.display();
    let jobacct = options.jobacct_gather;
    format!(
        "# Written by tests/support/slurm.rs
ClusterName=profrun-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={d}/run/munge.sock
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/run/slurmctld.pid
SlurmdPidFile={d}/run/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig={d}/plugstack.conf
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType={jobacct}
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=300
{node_line} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"
    )
}

const CGROUP_CONF: &str = "# Written by tests/support/slurm.rs
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=yes
ConstrainRAMSpace=yes
";

fn mkdir(path: &Path, mode: u32) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Block until no other test cluster runs on this host.
fn host_lock() -> File {
    let path = std::env::temp_dir().join("profrun-slurm-test.lock");
    let file = File::create(&path).expect("create the Slurm test lock file");
    // SAFETY: flock on an fd we own; the lock goes with the File.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock {}", path.display());
    file
}

impl SlurmCluster {
    /// Write the config, start the daemons, wait until the node is idle.
    /// Panics (with the logs) when it does not come up.
    pub fn start(options: SlurmOptions) -> SlurmCluster {
        let lock = host_lock();
        let dir = tempfile::Builder::new()
            .prefix("profrun-slurm-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path();
        // munged refuses a socket whose directory chain is not executable
        // by all ("Socket is inaccessible: execute permissions for all
        // required"); tempdir makes 0700.
        mkdir(root, 0o755);
        mkdir(&root.join("run"), 0o755);
        mkdir(&root.join("munge"), 0o700);
        for sub in ["state", "spool", "log"] {
            mkdir(&root.join(sub), 0o755);
        }
        let key = root.join("munge/munge.key");
        let mut bytes = vec![0u8; 1024];
        File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
            .expect("read /dev/urandom");
        fs::write(&key, &bytes).expect("write munge key");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod key");

        let node_line = node_line();
        let node = node_name(&node_line);
        let conf = root.join("slurm.conf");
        fs::write(
            &conf,
            slurm_conf(root, &node_line, free_port(), free_port(), options),
        )
        .expect("write slurm.conf");
        fs::write(root.join("cgroup.conf"), CGROUP_CONF).expect("write cgroup.conf");
        // An empty plugstack keeps /etc/slurm/plugstack.conf.d out.
        File::create(root.join("plugstack.conf")).expect("write plugstack.conf");

        let started = Instant::now();
        let mut cluster = SlurmCluster {
            conf,
            node,
            daemons: Vec::new(),
            startup: Duration::ZERO,
            _lock: lock,
            dir,
        };
        let socket = cluster.path("run/munge.sock");
        cluster.spawn(
            "munged",
            &[
                "--foreground".into(),
                format!("--socket={}", socket.display()),
                format!("--key-file={}", key.display()),
                format!("--pid-file={}", cluster.path("run/munged.pid").display()),
                format!("--log-file={}", cluster.path("munge/munged.log").display()),
                format!(
                    "--seed-file={}",
                    cluster.path("munge/munged.seed").display()
                ),
            ],
        );
        cluster.wait_until("munged's socket", Duration::from_secs(10), |_| {
            socket.exists()
        });
        cluster.spawn("slurmctld", &["-D".into()]);
        cluster.spawn("slurmd", &["-D".into()]);
        let node = cluster.node.clone();
        cluster.wait_until("the node idle in sinfo", STARTUP_TIMEOUT, |c| {
            c.stdout(c.command("sinfo").args(["-h", "-o", "%T", "-n", &node])) == "idle"
        });
        cluster.startup = started.elapsed();
        cluster
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// `program` (srun, sbatch, squeue, ...) with this cluster's
    /// `SLURM_CONF` and none of the test process's own `SLURM_*` (a test run
    /// inside a Slurm job must not leak its job into this cluster).
    pub fn command(&self, program_name: &str) -> Command {
        let mut cmd = Command::new(program(program_name));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SLURM_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("SLURM_CONF", &self.conf)
            .env_remove("PROFRUN_HISTORY");
        cmd
    }

    /// Run `cmd`, return its trimmed stdout (empty when it fails).
    pub fn stdout(&self, cmd: &mut Command) -> String {
        cmd.stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }

    /// Run `cmd` to the end and panic with its output and the logs if it
    /// fails.
    pub fn run_ok(&self, cmd: &mut Command) -> Output {
        let out = cmd.output().expect("run a Slurm command");
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}\nstdout: {}\nstderr: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        out
    }

    /// The id of the job named `name` once squeue shows it running.
    pub fn running_job(&mut self, name: &str) -> String {
        let mut id = String::new();
        self.wait_until(&format!("job '{name}' running"), STARTUP_TIMEOUT, |c| {
            id = c.stdout(
                c.command("squeue")
                    .args(["-h", "-t", "R", "-o", "%i", "-n", name]),
            );
            !id.is_empty()
        });
        id
    }

    /// Poll `done` every 50 ms until it holds; panic with the logs after
    /// `timeout` or when a daemon has exited.
    pub fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Self) -> bool,
    ) {
        let start = Instant::now();
        loop {
            if done(self) {
                return;
            }
            let exited = self
                .daemons
                .iter_mut()
                .find_map(|d| Some((d.name, d.child.try_wait().ok()??)));
            if let Some((name, status)) = exited {
                panic!(
                    "{name} exited ({status}) waiting for {what}\n{}",
                    self.logs()
                );
            }
            assert!(
                start.elapsed() < timeout,
                "no {what} after {timeout:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of every daemon's output, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for d in &self.daemons {
            let log = fs::read_to_string(&d.log).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(20)..];
            text.push_str(&format!(
                "--- {} ({})\n{}\n",
                d.name,
                d.log.display(),
                tail.join("\n")
            ));
        }
        text
    }

    fn spawn(&mut self, name: &'static str, args: &[String]) {
        let log = self.path(&format!("log/{name}.out"));
        let out = File::create(&log).expect("create daemon log");
        let err = out.try_clone().expect("dup daemon log");
        let child = Command::new(program(name))
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        self.daemons.push(Daemon { name, child, log });
    }

    /// Cancel every job and wait (bounded) until the queue is empty, so no
    /// slurmstepd outlives the daemons.
    fn cancel_all(&mut self) {
        let ids = self.stdout(self.command("squeue").args(["-h", "-o", "%i"]));
        if ids.is_empty() {
            return;
        }
        let _ = self
            .command("scancel")
            .args(ids.split_whitespace())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15)
            && !self
                .stdout(self.command("squeue").args(["-h", "-o", "%i"]))
                .is_empty()
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// profrun leaves (`profrun-*`) left below this node's Slurm cgroups, in
/// every cgroup1 hierarchy: a profrun SIGKILLed by slurmstepd (issue 16
/// item 7) cannot remove its leaf, and Slurm then cannot remove the task's
/// cgroup above it.
pub fn leftover_leaves(node: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !path.is_dir() {
                continue;
            }
            if e.file_name().to_string_lossy().starts_with("profrun-") {
                found.push(path);
            } else if depth > 0 {
                walk(&path, depth - 1, found);
            }
        }
    }
    let mut found = Vec::new();
    let Ok(mounts) = fs::read_dir("/sys/fs/cgroup") else {
        return found;
    };
    for m in mounts.flatten() {
        // slurm_<node>/uid_U/job_J/step_S/task_T/profrun-*
        walk(&m.path().join(format!("slurm_{node}")), 5, &mut found);
    }
    found
}

impl Drop for SlurmCluster {
    fn drop(&mut self) {
        self.cancel_all();
        // Empty leaves only: rmdir fails while a process is in one.
        for leaf in leftover_leaves(&self.node) {
            let _ = fs::remove_dir(leaf);
        }
        while let Some(mut d) = self.daemons.pop() {
            // SAFETY: signalling a daemon we spawned and have not reaped.
            unsafe { libc::kill(d.child.id() as i32, libc::SIGTERM) };
            let start = Instant::now();
            while matches!(d.child.try_wait(), Ok(None)) {
                if start.elapsed() > Duration::from_secs(5) {
                    let _ = d.child.kill();
                    let _ = d.child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if std::env::var_os("PROFRUN_KEEP_SLURM").is_some() {
            let kept = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
            let path = kept.keep();
            let _ = writeln!(
                std::io::stderr(),
                "kept the Slurm test dir {}",
                path.display()
            );
        }
    }
}
