//! What the job is: its tool (looking past launchers such as mpirun or srun),
//! its script, and the allow-listed environment. Pure functions; file access
//! goes through the `Files` seam so tests need no real files.

use std::collections::BTreeMap;
use std::path::Path;

/// The file system as detection sees it.
pub trait Files {
    fn is_file(&self, path: &str) -> bool;
    /// The first bytes of a file (enough to find its imports).
    fn head(&self, path: &str) -> Option<String>;
}

/// The real file system, relative paths resolved against the cwd.
pub struct RealFiles;

impl Files for RealFiles {
    fn is_file(&self, path: &str) -> bool {
        Path::new(path).is_file()
    }
    fn head(&self, path: &str) -> Option<String> {
        use std::io::Read;
        let mut buf = Vec::with_capacity(64 * 1024);
        std::fs::File::open(path)
            .ok()?
            .take(64 * 1024)
            .read_to_end(&mut buf)
            .ok()?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// Launchers looked past, with the options of each that take a value.
const LAUNCHERS: &[(&str, &[&str])] = &[
    (
        "mpirun",
        &[
            "-n",
            "-np",
            "-c",
            "-N",
            "-H",
            "-host",
            "--host",
            "-hostfile",
            "--hostfile",
            "-machinefile",
            "--machinefile",
            "-ppn",
            "-x",
            "--map-by",
            "--bind-to",
            "--rank-by",
            "-wdir",
            "--wdir",
            "-genv",
            "-env",
            "--mca",
            "-mca",
            "-f",
            "-hosts",
        ],
    ),
    (
        "mpiexec",
        &[
            "-n",
            "-np",
            "-c",
            "-N",
            "-H",
            "-host",
            "--host",
            "-hostfile",
            "--hostfile",
            "-machinefile",
            "--machinefile",
            "-ppn",
            "-x",
            "--map-by",
            "--bind-to",
            "--rank-by",
            "-wdir",
            "--wdir",
            "-genv",
            "-env",
            "--mca",
            "-mca",
            "-f",
            "-hosts",
        ],
    ),
    (
        "srun",
        &[
            "-n",
            "-N",
            "-c",
            "-p",
            "-t",
            "-J",
            "-A",
            "-w",
            "-o",
            "-e",
            "-G",
            "--ntasks",
            "--nodes",
            "--cpus-per-task",
            "--partition",
            "--time",
            "--job-name",
            "--account",
            "--mem",
            "--gres",
            "--gpus",
        ],
    ),
    (
        "env",
        &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
    ),
    ("nice", &["-n", "--adjustment"]),
    (
        "numactl",
        &[
            "-C",
            "-N",
            "-m",
            "-i",
            "-p",
            "--physcpubind",
            "--cpunodebind",
            "--membind",
            "--interleave",
            "--preferred",
        ],
    ),
    ("taskset", &[]),
];

/// Options that take two values (`--mca key value`, `-genv NAME value`).
const TWO_VALUE_OPTIONS: &[&str] = &["--mca", "-mca", "-genv", "-env"];

fn basename(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// Index of the program the launchers run (argv[0] when there is none).
pub fn program_index(argv: &[String]) -> usize {
    let mut i = 0;
    while i < argv.len() {
        let name = basename(&argv[i]);
        let Some((_, valued)) = LAUNCHERS.iter().find(|(l, _)| *l == name) else {
            return i;
        };
        i += 1;
        let mut taskset_mask_pending = name == "taskset";
        while i < argv.len() {
            let arg = argv[i].as_str();
            if arg == "--" {
                i += 1;
                break;
            }
            if let Some(opt) = arg.strip_prefix('-').map(|_| arg) {
                let bare = opt.split('=').next().unwrap_or(opt);
                i += 1;
                if opt.contains('=') {
                    continue;
                }
                if TWO_VALUE_OPTIONS.contains(&bare) {
                    i += 2;
                } else if valued.contains(&bare) || (name == "taskset" && bare == "-c") {
                    i += 1;
                    taskset_mask_pending = false;
                }
                continue;
            }
            if name == "env" && arg.contains('=') {
                i += 1;
                continue;
            }
            if taskset_mask_pending {
                taskset_mask_pending = false;
                i += 1;
                continue;
            }
            break;
        }
    }
    argv.len().saturating_sub(1)
}

/// The tool name for the record: lammps, openfoam, fenicsx, or the program's
/// own name.
pub fn detect_tool(argv: &[String], files: &dyn Files) -> String {
    let i = program_index(argv);
    let Some(program) = argv.get(i) else {
        return "unknown".to_string();
    };
    let name = basename(program);
    if name.starts_with("lmp") || name.eq_ignore_ascii_case("lammps") {
        return "lammps".to_string();
    }
    if name.ends_with("Foam")
        || matches!(
            name,
            "blockMesh" | "decomposePar" | "reconstructPar" | "snappyHexMesh" | "checkMesh"
        )
    {
        return "openfoam".to_string();
    }
    if name.starts_with("python") {
        if let Some(script) = detect_script(&argv[i..], files) {
            if files
                .head(&script)
                .is_some_and(|text| imports_dolfinx(&text))
            {
                return "fenicsx".to_string();
            }
        }
    }
    name.to_string()
}

fn imports_dolfinx(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("import dolfinx") || line.starts_with("from dolfinx")
    })
}

/// The first argument after the program (looking past launchers) that names
/// an existing file.
pub fn detect_script(argv: &[String], files: &dyn Files) -> Option<String> {
    let i = program_index(argv);
    argv.iter()
        .skip(i + 1)
        .find(|a| !a.starts_with('-') && files.is_file(a))
        .cloned()
}

/// Words that mark a variable as secret wherever they appear in one of its
/// `_`-separated segments, in any case: `SLURM_Token`, `CI_Api_Key`,
/// `MY_DBPASSWORD` and `SESSIONID` are all denied.
const SECRET_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASS",
    "KEY",
    "CREDENTIAL",
    "AUTH",
    "COOKIE",
    "SESSION",
    "PRIVATE",
    "CERT",
];

/// Words that mark a variable as secret only as a whole segment: `GITHUB_PAT`
/// is denied, while `PATH`, `PATCH` or `SLURM_JOB_PARTITION` merely contain
/// the letters.
const SECRET_SEGMENTS: &[&str] = &["PAT"];

/// Run-identity variables that CI systems document (GitHub Actions' default
/// variables, GitLab CI's predefined variables, Jenkins' `env-vars.html`,
/// Buildkite's environment variables): which run, job, pipeline and commit
/// this was. Listed one by one because the same prefixes also carry secrets
/// (`CI_JOB_TOKEN`, `CI_REPOSITORY_URL` with its token, `GITHUB_TOKEN`,
/// `BUILDKITE_AGENT_ACCESS_TOKEN`).
const CI_RUN_IDENTITY: &[&str] = &[
    // Any CI (GitHub Actions, GitLab CI, Buildkite set it)
    "CI",
    // GitHub Actions
    "GITHUB_ACTIONS",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_WORKFLOW",
    "GITHUB_JOB",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_EVENT_NAME",
    "GITHUB_SERVER_URL",
    "RUNNER_NAME",
    "RUNNER_OS",
    "RUNNER_ARCH",
    // GitLab CI
    "GITLAB_CI",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_IID",
    "CI_PIPELINE_URL",
    "CI_JOB_ID",
    "CI_JOB_NAME",
    "CI_JOB_STAGE",
    "CI_JOB_URL",
    "CI_PROJECT_ID",
    "CI_PROJECT_PATH",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_RUNNER_ID",
    // Jenkins
    "JENKINS_URL",
    "BUILD_ID",
    "BUILD_NUMBER",
    "BUILD_TAG",
    "BUILD_URL",
    "JOB_NAME",
    "NODE_NAME",
    "EXECUTOR_NUMBER",
    "GIT_COMMIT",
    "GIT_BRANCH",
    // Buildkite
    "BUILDKITE",
    "BUILDKITE_BUILD_ID",
    "BUILDKITE_BUILD_NUMBER",
    "BUILDKITE_BUILD_URL",
    "BUILDKITE_JOB_ID",
    "BUILDKITE_PIPELINE_SLUG",
    "BUILDKITE_ORGANIZATION_SLUG",
    "BUILDKITE_BRANCH",
    "BUILDKITE_COMMIT",
    "BUILDKITE_RETRY_COUNT",
    "BUILDKITE_AGENT_NAME",
];

/// Whether a variable's name looks secret (see [`SECRET_WORDS`] and
/// [`SECRET_SEGMENTS`]).
pub fn env_name_is_secret(name: &str) -> bool {
    name.split('_').any(|segment| {
        let segment = segment.to_ascii_uppercase();
        SECRET_WORDS.iter().any(|w| segment.contains(w))
            || SECRET_SEGMENTS.iter().any(|w| segment == *w)
    })
}

/// Whether an environment variable may go into the record: scheduler ids
/// (`SLURM_*`, `PBS_*`), GPU selection, thread counts and the CI run identity,
/// never anything secret-looking.
pub fn env_allowed(name: &str) -> bool {
    let allowed = name == "CUDA_VISIBLE_DEVICES"
        || name == "OMP_NUM_THREADS"
        || name.starts_with("SLURM_")
        || name.starts_with("PBS_")
        || CI_RUN_IDENTITY.contains(&name);
    allowed && !env_name_is_secret(name)
}

pub fn allowed_environment(
    vars: impl Iterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    vars.filter(|(k, _)| env_allowed(k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeFiles(Vec<(&'static str, &'static str)>);
    impl Files for FakeFiles {
        fn is_file(&self, path: &str) -> bool {
            self.0.iter().any(|(p, _)| *p == path)
        }
        fn head(&self, path: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, t)| t.to_string())
        }
    }

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn looks_past_launchers_and_their_options() {
        let none = FakeFiles(vec![]);
        assert_eq!(
            detect_tool(&argv("mpirun -np 4 lmp -in in.lj"), &none),
            "lammps"
        );
        assert_eq!(
            detect_tool(&argv("/usr/bin/lmp_mpi -in x"), &none),
            "lammps"
        );
        assert_eq!(
            detect_tool(&argv("srun -n 8 --mem=4G simpleFoam -parallel"), &none),
            "openfoam"
        );
        assert_eq!(
            detect_tool(&argv("env OMP_NUM_THREADS=2 nice -n 5 blockMesh"), &none),
            "openfoam"
        );
        assert_eq!(detect_tool(&argv("taskset 0x3 ./a.out"), &none), "a.out");
        assert_eq!(
            detect_tool(&argv("taskset -c 0-3 numactl --membind=0 lmp"), &none),
            "lammps"
        );
        assert_eq!(
            detect_tool(&argv("mpirun --mca btl self -x PATH lmp"), &none),
            "lammps"
        );
        assert_eq!(detect_tool(&argv("sleep 1"), &none), "sleep");
    }

    #[test]
    fn python_script_importing_dolfinx_is_fenicsx() {
        let files = FakeFiles(vec![
            ("poisson.py", "import numpy\nfrom dolfinx import fem\n"),
            ("train.py", "import torch\n"),
        ]);
        assert_eq!(
            detect_tool(&argv("python3 -u poisson.py --mesh 64"), &files),
            "fenicsx"
        );
        assert_eq!(
            detect_tool(&argv("mpirun -n 2 python3 poisson.py"), &files),
            "fenicsx"
        );
        assert_eq!(detect_tool(&argv("python3 train.py"), &files), "python3");
        assert_eq!(
            detect_script(&argv("mpirun -n 2 python3 poisson.py"), &files).as_deref(),
            Some("poisson.py")
        );
        assert_eq!(detect_script(&argv("python3 -c pass"), &files), None);
    }

    #[test]
    fn environment_allow_list_keeps_ids_and_drops_secrets() {
        let vars = [
            ("SLURM_JOB_ID", "42"),
            ("CI", "true"),
            ("CI_PIPELINE_ID", "7"),
            ("CI_JOB_TOKEN", "secret"),
            ("GITHUB_RUN_ID", "9"),
            ("GITHUB_TOKEN", "secret"),
            ("HOME", "/root"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("OMP_NUM_THREADS", "4"),
        ];
        let env = allowed_environment(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let keys: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec![
                "CI",
                "CI_PIPELINE_ID",
                "GITHUB_RUN_ID",
                "OMP_NUM_THREADS",
                "SLURM_JOB_ID"
            ]
        );
    }

    fn recorded(vars: &[(&str, &str)]) -> Vec<String> {
        allowed_environment(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .into_keys()
            .collect()
    }

    // Regression (issue 11, item 2): the deny words were matched
    // case-sensitively, so `SLURM_Token` was recorded.
    #[test]
    fn slurm_token_mixed_case_is_denied() {
        let kept = recorded(&[
            ("SLURM_Token", "s"),
            ("slurm_token", "s"),
            ("SLURM_JOB_ID", "1"),
        ]);
        assert_eq!(kept, ["SLURM_JOB_ID"]);
        assert!(env_name_is_secret("SLURM_Token"));
    }

    // Regression (issue 11, item 2): PAT was not a deny word.
    #[test]
    fn github_pat_is_denied() {
        assert!(env_name_is_secret("GITHUB_PAT"));
        assert!(env_name_is_secret("SLURM_GH_Pat"));
        assert_eq!(
            recorded(&[("GITHUB_PAT", "ghp_x"), ("SLURM_PAT", "x")]),
            Vec::<String>::new()
        );
        // PAT only as a whole segment: these merely contain the letters.
        for name in ["PATH", "SLURM_JOB_PARTITION", "PBS_O_PATH", "SLURM_PATCH"] {
            assert!(!env_name_is_secret(name), "{name}");
        }
    }

    // Regression (issue 11, item 2): every `CI_*` variable was allowed, and
    // `CI_Api_Key` escaped the case-sensitive deny words.
    #[test]
    fn ci_api_key_is_denied() {
        let kept = recorded(&[
            ("CI_Api_Key", "k"),
            ("CI_REPOSITORY_URL", "https://gitlab-ci-token:t@host/r.git"),
            ("CI_SOME_NEW_VARIABLE", "x"),
            ("CI_JOB_ID", "5"),
        ]);
        assert_eq!(kept, ["CI_JOB_ID"]);
    }

    #[test]
    fn deny_words_cover_the_usual_secrets() {
        for name in [
            "SLURM_SECRET",
            "SLURM_DB_PASSWORD",
            "PBS_PASSWD",
            "SLURM_APIKEY",
            "SLURM_CREDENTIALS",
            "SLURM_OAUTH",
            "SLURM_COOKIE",
            "SLURM_SESSION_ID",
            "SLURM_PRIVATE",
            "SLURM_CERTFILE",
        ] {
            assert!(env_name_is_secret(name), "{name}");
            assert!(!env_allowed(name), "{name}");
        }
    }

    #[test]
    fn every_ci_identity_variable_is_allowed() {
        for name in CI_RUN_IDENTITY {
            assert!(env_allowed(name), "{name} is listed but denied");
        }
        for name in [
            "GITHUB_TOKEN",
            "CI_JOB_TOKEN",
            "BUILDKITE_AGENT_ACCESS_TOKEN",
            "GITHUB_EVENT_PATH",
        ] {
            assert!(!env_allowed(name), "{name}");
        }
    }
}
