#!/usr/bin/env bash
# profrun's own CPU and peak RSS, this build side by side with another
# (the sampler bench's part 2 for two binaries): both wrap the idle
# 11-process tree (`workload tree 10 MS`) at --interval 0.5, taking turns,
# and print the medians and the ratios. Not a test: it prints figures.
#
#   cargo build --release --examples
#   benches/own_cost_vs.sh OTHER_PROFRUN [RUNS] [MS]
#
# OTHER_PROFRUN is, for example, a release build of an older commit:
#   git worktree add --detach /tmp/base COMMIT
#   (cd /tmp/base && CARGO_TARGET_DIR=/tmp/base-target cargo build --release)
#   benches/own_cost_vs.sh /tmp/base-target/release/profrun 5 20000
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benches/common/own_cost.sh
source "$here/benches/common/own_cost.sh"
other=${1:?usage: own_cost_vs.sh OTHER_PROFRUN [RUNS] [MS]}
runs=${2:-5}
ms=${3:-20000}
target=${CARGO_TARGET_DIR:-$here/target}
this=${PROFRUN_BENCH_BIN:-$target/release/profrun}
workload=${PROFRUN_BENCH_WORKLOAD:-$target/release/examples/workload}
for bin in "$this" "$other" "$workload"; do
    [ -x "$bin" ] || { echo "not built: $bin (cargo build --release --examples)" >&2; exit 2; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A checkpoint folder of the bench's own: on a shared machine the user's
# folder holds other runs' checkpoints, which a run's recovery reads.
export XDG_RUNTIME_DIR=$dir/runtime
mkdir -m 700 "$XDG_RUNTIME_DIR"

# One run: "cpu_seconds wall_seconds peak_rss_kb".
one() {
    local bin=$1 history=$dir/h.jsonl
    rm -f "$history"
    local err
    # Each build's defaults (the checkpoint's included where it has one).
    err=$("$bin" --quiet --self-stats --interval 0.5 --history "$history" \
        -- "$workload" tree 10 "$ms" 2>&1 >/dev/null)
    own_cost_row "$err" "$history"
}

: >"$dir/this"
: >"$dir/other"
echo "own cost wrapping workload tree 10 for $((ms / 1000)) s at --interval 0.5, $runs turns each; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= runs; i++)); do
    one "$this" >>"$dir/this"
    one "$other" >>"$dir/other"
done
python3 - "$dir/this" "$dir/other" "$this" "$other" <<'EOF'
import statistics, sys

def load(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    pct = [c / w * 100 for c, w, _ in rows]
    rss = [k / 1024 for _, _, k in rows]
    return pct, rss

def fmt(xs, unit, digits):
    return f"{statistics.median(xs):.{digits}f}{unit} [{min(xs):.{digits}f}-{max(xs):.{digits}f}]"

this, other = load(sys.argv[1]), load(sys.argv[2])
for name, (pct, rss), path in (("this build", this, sys.argv[3]), ("other", other, sys.argv[4])):
    print(f"  {name:<10} own CPU {fmt(pct, ' % of a core', 4)}  peak RSS {fmt(rss, ' MiB', 2)}  ({path})")
print(f"  ratio this/other: own CPU {statistics.median(this[0]) / statistics.median(other[0]):.2f}, "
      f"peak RSS {statistics.median(this[1]) / statistics.median(other[1]):.2f}")
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
