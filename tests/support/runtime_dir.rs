//! Shared by `tests/common` and `tests/wrapper` (included with `#[path]`;
//! not declared in `support/mod.rs`).

/// A checkpoint folder of this test process's own, so that runs killed by
/// other tests (or by a developer) never show up in these tests' readers.
pub fn runtime_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(format!("profrun-test-runtime-{}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(&dir)
            .expect("a runtime folder for the tests");
        dir
    })
}
