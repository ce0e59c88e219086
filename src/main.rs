//! Entry point: parse the command line, hand it to the library, turn the
//! outcome into an exit code. Everything else lives in `profrun::*`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = profrun::cli::parse();
    match profrun::run(cli) {
        Ok(code) => code,
        Err(err) => {
            profrun::commands::output::say(&format!("profrun: error: {err:#}"));
            // 125 mirrors `timeout`/`env`: the wrapper itself failed.
            ExitCode::from(profrun::launch::EXIT_INTERNAL)
        }
    }
}
