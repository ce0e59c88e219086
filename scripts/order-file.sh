#!/usr/bin/env bash
# Regenerate link/profrun.order: the functions profrun's run path executes,
# which build.rs asks LLD to lay out side by side (docs/performance.md,
# "profrun's own cost over a long job"). Needs valgrind and nm (binutils).
#
#   scripts/order-file.sh            # writes link/profrun.order
#
# It runs the release binary under callgrind over the common run paths (an
# idle tree with --quiet, the demo job with its summary, a failing job with
# --json, a command that does not exist, a job that spawns children) and a
# monitored run (5 rules, a scraped live endpoint), takes
# every function callgrind saw, and keeps those the binary defines: the run
# path's first, then those only the monitored run executes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "order-file.sh: valgrind is needed" >&2; exit 1; }
command -v nm >/dev/null || { echo "order-file.sh: nm (binutils) is needed" >&2; exit 1; }

# Symbol names carry hashes of the dependency features a build resolved:
# `cargo build --release` (cargo install) and a build with the examples or
# benches (the README's command, `cargo bench`) name the same functions
# differently. The list holds both; the linker skips the names it lacks.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A checkpoint folder of the script's own, holding what a shared one holds
# at a run's end: checkpoints of other runs (here of another history),
# whose heads recovery reads and skips.
export XDG_RUNTIME_DIR=$tmp/runtime
mkdir -m 700 -p "$XDG_RUNTIME_DIR/profrun"
for id in 00000000-other-a 00000000-other-b; do
    printf '{"profrun_checkpoint":1,"history":"%s/other.jsonl","profrun_pid":1,"profrun_start_ticks":0,"job_pid":1,"record":{"task_id":"%s","status":"running"}}' \
        "$tmp" "$id" >"$XDG_RUNTIME_DIR/profrun/$id.json"
done
target=${CARGO_TARGET_DIR:-target}
cargo build --release --bin profrun
cp "$target/release/profrun" "$tmp/profrun.plain"
cargo build --release --bins --examples
cp "$target/release/profrun" "$tmp/profrun.dev"
w=$target/release/examples/workload

n=0
profile() {
    local bin=$1
    shift
    n=$((n + 1))
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$tmp/cg.$n" \
        "$bin" --history "$tmp/h.jsonl" "$@" >/dev/null 2>"$tmp/log.$n" || true
}
# As profile, with a client scraping the URL profrun prints on stderr.
profile_scraped() {
    local bin=$1
    shift
    n=$((n + 1))
    : >"$tmp/log.$n"
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$tmp/cg.mon.$n" \
        "$bin" --history "$tmp/h.jsonl" "$@" >/dev/null 2>"$tmp/log.$n" &
    local pid=$!
    python3 - "$tmp/log.$n" <<'PY' || true
import re, sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    m = re.search(r"http://[0-9.]+:[0-9]+/metrics", open(sys.argv[1]).read())
    if m:
        for _ in range(3):
            try:
                urllib.request.urlopen(m.group(0), timeout=10).read()
            except OSError:
                break
            time.sleep(0.5)
        break
    time.sleep(0.1)
PY
    wait "$pid" || true
}
for bin in "$tmp/profrun.plain" "$tmp/profrun.dev"; do
    profile "$bin" --quiet --self-stats -- "$w" tree 10 2000
    profile "$bin" -- "$w" demo
    profile "$bin" --json -- "$w" exit 3
    profile "$bin" -- "$tmp/no-such-command"
    profile "$bin" --interval 0.05 -- "$w" spawn 20 20
    profile "$bin" --record-out "$tmp/r.json" -- "$w" parallel 4 10 300
    # The monitoring path (issue 13), listed after the run path so that it
    # packs behind it: 5 rules and a live endpoint scraped a few times.
    profile_scraped "$bin" --alert 'duration>300s' --alert 'memory>8GiB' \
        --alert 'cpu>90%for5m' --alert 'gpu<10%for10m' --alert 'swap>0' \
        --metrics-listen 127.0.0.1:0 -- "$w" tree 10 4000
    # Functions this binary defines.
    nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ { print $3 }' >>"$tmp/defined"
done

# Names callgrind saw (first mention: "fn=(id) name" or "cfn=(id) name"):
# the run path's first, then those only the monitoring path runs.
names() { sed -nE 's/^c?fn=\([0-9]+\) (.*)$/\1/p' "$@" | sort -u; }
sort -u "$tmp/defined" -o "$tmp/defined"
names "$tmp"/cg.[0-9]* | comm -12 - "$tmp/defined" >"$tmp/core"
names "$tmp"/cg.mon.* | comm -12 - "$tmp/defined" | comm -23 - "$tmp/core" >"$tmp/monitoring"
cat "$tmp/core" "$tmp/monitoring" >link/profrun.order
echo "link/profrun.order: $(wc -l <"$tmp/core") run-path functions, then $(wc -l <"$tmp/monitoring") of the monitoring path" >&2
