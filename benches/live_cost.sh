#!/usr/bin/env bash
# Issue 13's budget check on the real binary: profrun's own CPU and peak
# RSS wrapping the idle 11-process tree (`workload tree 10 MS`) at
# --interval 0.5, bare and with 5 `--alert` rules plus `--metrics-listen`
# scraped once a second over one kept-alive connection (as Prometheus
# does), taking turns; prints medians, ranges and the ratio, beside the
# budget (DESIGN.md §6: own CPU <= 0.05 % of a core on 60 s runs). The
# scraper is a separate process; its CPU is not profrun's. Not a test.
#
#   cargo build --release --examples
#   benches/live_cost.sh [RUNS] [MS]        # defaults: 3 turns of 60 s
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benches/common/own_cost.sh
source "$here/benches/common/own_cost.sh"
runs=${1:-3}
ms=${2:-60000}
target=${CARGO_TARGET_DIR:-$here/target}
bin=${PROFRUN_BENCH_BIN:-$target/release/profrun}
workload=${PROFRUN_BENCH_WORKLOAD:-$target/release/examples/workload}
for b in "$bin" "$workload"; do
    [ -x "$b" ] || { echo "not built: $b (cargo build --release --examples)" >&2; exit 2; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export XDG_RUNTIME_DIR=$dir/runtime
mkdir -m 700 "$XDG_RUNTIME_DIR"
rules=(--alert 'duration>300s' --alert 'memory>8GiB' --alert 'cpu>90%for5m'
    --alert 'gpu<10%for10m' --alert 'swap>0')

# Scrape the URL profrun prints on stderr ($1) once a second until the
# endpoint goes away; print how many scrapes were answered.
scraper() {
    python3 - "$1" <<'PY'
import http.client, re, sys, time
log = sys.argv[1]
deadline = time.monotonic() + 30
url = None
while url is None and time.monotonic() < deadline:
    m = re.search(r"http://([0-9.]+):([0-9]+)/metrics", open(log).read())
    if m:
        url = m.groups()
    else:
        time.sleep(0.05)
if url is None:
    sys.exit("no /metrics URL on profrun's stderr")
conn = http.client.HTTPConnection(url[0], int(url[1]), timeout=10)
n, next_at = 0, time.monotonic()
while True:
    try:
        conn.request("GET", "/metrics")
        body = conn.getresponse().read()
    except OSError:
        break
    if b"profrun_job_" in body:
        n += 1
    next_at += 1.0
    time.sleep(max(0.0, next_at - time.monotonic()))
print(n)
PY
}

# One run: "cpu_seconds wall_seconds peak_rss_kb scrapes".
one() {
    local variant=$1 history=$dir/h.jsonl err=$dir/err scrapes=0
    rm -f "$history"
    : >"$err"
    if [ "$variant" = monitored ]; then
        "$bin" --quiet --self-stats --interval 0.5 --history "$history" "${rules[@]}" \
            --metrics-listen 127.0.0.1:0 -- "$workload" tree 10 "$ms" 2>"$err" >/dev/null &
        local pid=$!
        scrapes=$(scraper "$err")
        wait "$pid"
    else
        "$bin" --quiet --self-stats --interval 0.5 --history "$history" \
            -- "$workload" tree 10 "$ms" 2>"$err" >/dev/null
    fi
    echo "$(own_cost_row "$(<"$err")" "$history") $scrapes"
}

: >"$dir/bare"
: >"$dir/monitored"
echo "own cost wrapping workload tree 10 for $((ms / 1000)) s at --interval 0.5, $runs turns each; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= runs; i++)); do
    one bare >>"$dir/bare"
    one monitored >>"$dir/monitored"
done
python3 - "$dir/bare" "$dir/monitored" <<'PY'
import statistics, sys

def load(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    return ([c / w * 100 for c, w, _, _ in rows], [k / 1024 for _, _, k, _ in rows],
            [int(s) for _, _, _, s in rows])

def fmt(xs, unit, digits):
    return f"{statistics.median(xs):.{digits}f}{unit} [{min(xs):.{digits}f}-{max(xs):.{digits}f}]"

bare, mon = load(sys.argv[1]), load(sys.argv[2])
print(f"  {'bare':<22} own CPU {fmt(bare[0], ' %', 4)}  peak RSS {fmt(bare[1], ' MiB', 2)}")
print(f"  {'5 rules + 1 Hz scrape':<22} own CPU {fmt(mon[0], ' %', 4)}  peak RSS {fmt(mon[1], ' MiB', 2)}"
      f"  scrapes answered {min(mon[2])}-{max(mon[2])} a run")
print(f"  ratio monitored/bare: own CPU {statistics.median(mon[0]) / statistics.median(bare[0]):.2f}, "
      f"peak RSS {statistics.median(mon[1]) / statistics.median(bare[1]):.2f}; budget: own CPU <= 0.05 %")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
