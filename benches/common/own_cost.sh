# Sourced by benches/own_cost_vs.sh and benches/live_cost.sh: one run's
# own cost from what profrun printed and recorded.
#
#   own_cost_row STDERR_TEXT HISTORY    # prints "cpu_seconds wall_seconds peak_rss_kb"
#
# STDERR_TEXT is profrun's stderr of a `--self-stats` run; HISTORY the
# history that run wrote its one record to (the wall time is the record's).
own_cost_row() {
    local line cpu kb wall
    line=$(grep 'self-stats at exit:' <<<"$1" | tail -1)
    cpu=$(sed -n 's/.*cpu_seconds=\([0-9.]*\).*/\1/p' <<<"$line")
    kb=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' <<<"$line")
    wall=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["duration_seconds"])' "$2")
    echo "$cpu $wall $kb"
}
