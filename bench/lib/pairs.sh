# The one with/without timing loop of the benchmarks (sourced by
# bench/ratios.sh, bench/formats.sh and bench/usb2.sh; not run by itself):
# two programs on the same file in the same go, interleaved (A B, then B A,
# ...) so that a load that comes and goes falls on both, each run under
# bench/measure (wall clock, CPU time of user + system, peak RSS of the
# child, from getrusage); medians are reported.
#
# The script that sources it sets:
#   build   the build holding bench/bench_measure
#   data    a scratch folder (m.out, the figures of the last run, is left there)
#   rounds  how many runs of each program after the warm-up
#   bench_name  how errors name the script (e.g. bench/ratios.sh)

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# the figures of each NAME's runs: wall seconds, CPU seconds, peak RSS KiB
declare -A W C R

# one NAME CMD...: a run under bench/measure, appended to NAME's lists; a
# failing run stops the benchmark
one() {
    local name=$1 wall cpu rss
    shift
    "$build/bench/bench_measure" "$data/m.out" "$@" ||
        { echo "$bench_name: failed: $*" >&2; exit 1; }
    read -r wall cpu rss <"$data/m.out"
    W[$name]="${W[$name]:-} $wall"
    C[$name]="${C[$name]:-} $cpu"
    R[$name]="${R[$name]:-} $rss"
}

# pair A_NAME A_CMD B_NAME B_CMD: one warm-up each, then `rounds` rounds, the
# order swapped every round (A_CMD and B_CMD are strings for sh -c)
pair() {
    sh -c "$2" >/dev/null 2>&1 || true
    sh -c "$4" >/dev/null 2>&1 || true
    local i
    for ((i = 0; i < rounds; i++)); do
        if ((i % 2 == 0)); then
            one "$1" sh -c "$2"
            one "$3" sh -c "$4"
        else
            one "$3" sh -c "$4"
            one "$1" sh -c "$2"
        fi
    done
}

# stats NAME: "wall cpu rss maxrss", medians and the largest peak RSS
stats() {
    # shellcheck disable=SC2086
    echo "$(median ${W[$1]}) $(median ${C[$1]}) $(median ${R[$1]}) $(printf '%s\n' ${R[$1]} | sort -n | tail -1)"
}

# forget every NAME's runs (before the next file)
pairs_reset() {
    W=()
    C=()
    R=()
}
