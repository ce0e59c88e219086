//! The command line's filter options (`--tool`, `--since`, `--tag`, ...)
//! turned into the [`Filter`] that `history` applies, with times resolved
//! against one "now".

use crate::cli::FilterArgs;
use crate::history::filter::Filter;

pub fn filter_from_args(args: &FilterArgs, now_us: i64) -> Filter {
    Filter {
        tool: args.tool.clone(),
        script: args.script.clone(),
        status: args.status.clone(),
        since_us: args.since.map(|w| w.resolve(now_us, false)),
        until_us: args.until.map(|w| w.resolve(now_us, true)),
        tags: args
            .tags
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect(),
        host: args.host.clone(),
        grep: args.grep.clone(),
    }
}
