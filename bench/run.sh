#!/usr/bin/env bash
# The benchmark (not a test): how close decoding comes to the speed of just
# reading the capture, how it compares with tshark, and whether its memory
# stays flat as captures grow.
#
#   bench/run.sh [SIZE_MB...]          default: 10 250 1000
#
# For each size it generates one capture (bench/gen.c: a long DfuSe session
# repeated, plus a mouse and a flash drive) and times, on that same file:
#   loop      bench/pcap_loop: a bare libpcap pcap_next_ex() loop touching
#             every record (the reading limit)
#   dfu       dfuscope decode --dfu FILE > /dev/null
#   diagnose  dfuscope diagnose FILE > /dev/null
#   tshark    tshark -r FILE -d usb.product==0x0483df11,usbdfu -T fields
#             -e usbdfu.command -e usbdfu.state > /dev/null
# Each is run once to warm the page cache, then RUNS times (TSHARK_RUNS for
# tshark) under bench/measure (wall clock, and user + system CPU time and
# peak RSS from getrusage). Reported: the medians of wall and CPU time, the
# largest peak RSS, and the ratios: speed relative to the loop (loop time /
# dfuscope time; 1.00 = as fast as reading the file) and tshark time /
# diagnose time. CPU time is the steadier figure when the machine is shared.
#
# Environment: RUNS (default 5), TSHARK_RUNS (default 3), BENCH_BUILD
# (default build-bench, a Release build), BENCH_DIR (where captures are
# written, default BENCH_BUILD/data; each is deleted after its size).
# Writes the table to standard output and to BENCH_BUILD/results.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
data=${BENCH_DIR:-$build/data}
runs=${RUNS:-5}
tshark_runs=${TSHARK_RUNS:-3}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 250 1000)

source "$root/scripts/lib/setup.sh"
ensure_packages "${DEMO_PACKAGES[@]}" tshark

have_build_system "$build" || configure "$build" -DCMAKE_BUILD_TYPE=Release -DDFS_BUILD_TESTS=OFF
run_logged "$build.build.log" cmake --build "$build" --parallel 2 --target dfuscope bench_gen \
    bench_pcap_loop bench_measure -- --no-print-directory
dfuscope=$build/cli/dfuscope
mkdir -p "$data"
load=$(cut -d' ' -f1-3 /proc/loadavg)

# disk: the largest capture must fit, with room to spare
need_mb=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
free_mb=$(df -Pm "$data" | awk 'NR == 2 { print $4 }')
if [ "$free_mb" -lt $((need_mb * 2)) ]; then
    echo "bench/run.sh: $data has $free_mb MB free; $((need_mb * 2)) MB needed" >&2
    exit 2
fi

# measure N CMD...: one warm-up run, then N runs; sets $t (median wall time,
# s), $c (median CPU time, user + system, s) and $rss (largest peak RSS, KiB)
measure() {
    local n=$1 times=() cpus=() rsss=() i wall cpu maxrss
    shift
    "$@" >/dev/null 2>&1 || { echo "bench/run.sh: failed: $*" >&2; exit 1; }
    for ((i = 0; i < n; i++)); do
        "$build/bench/bench_measure" "$build/time.out" "$@" 2>/dev/null
        read -r wall cpu maxrss <"$build/time.out"
        times+=("$wall")
        cpus+=("$cpu")
        rsss+=("$maxrss")
    done
    t=$(median "${times[@]}")
    c=$(median "${cpus[@]}")
    rss=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -1)
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

out=$build/results.md
: >"$out"
rows_time=() rows_ratio=() rows_rss=()
for mb in "${sizes[@]}"; do
    f=$data/bench-$mb.pcap
    "$build/bench/bench_gen" "$mb" "$f" >&2
    sync # no write-back of the new file while timing
    records=$("$build/bench/bench_pcap_loop" "$f" | awk '{ print $1 }')
    # tshark must really decode the DFU requests, or the comparison is void
    dfu_lines=$(tshark -r "$f" -d usb.product==0x0483df11,usbdfu -T fields \
        -e usbdfu.command -e usbdfu.state 2>/dev/null | grep -c '[0-9]' || true)
    [ "$dfu_lines" -gt 0 ] || { echo "bench/run.sh: tshark decoded no DFU field" >&2; exit 1; }

    measure "$runs" "$build/bench/bench_pcap_loop" "$f"
    t_loop=$t c_loop=$c rss_loop=$rss
    measure "$runs" "$dfuscope" decode --dfu "$f"
    t_dfu=$t c_dfu=$c rss_dfu=$rss
    measure "$runs" "$dfuscope" diagnose "$f"
    t_diag=$t c_diag=$c rss_diag=$rss
    measure "$tshark_runs" tshark -r "$f" -d usb.product==0x0483df11,usbdfu -T fields \
        -e usbdfu.command -e usbdfu.state
    t_tshark=$t c_tshark=$c rss_tshark=$rss
    size="$(du -m "$f" | cut -f1) MB, $records records, $dfu_lines DFU requests"
    rows_time+=("$(printf '| %s | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.2f / %.2f |' "$size" \
        "$t_loop" "$c_loop" "$t_dfu" "$c_dfu" "$t_diag" "$c_diag" "$t_tshark" "$c_tshark")")
    rows_ratio+=("| $size | $(ratio "$t_loop" "$t_dfu") / $(ratio "$c_loop" "$c_dfu") | $(ratio "$t_loop" "$t_diag") / $(ratio "$c_loop" "$c_diag") | $(ratio "$t_tshark" "$t_diag") / $(ratio "$c_tshark" "$c_diag") |")
    rows_rss+=("| $size | $(mib "$rss_loop") | $(mib "$rss_dfu") | $(mib "$rss_diag") | $(mib "$rss_tshark") |")
    echo "${rows_time[-1]}" >&2
    rm -f "$f"
done
{
    echo "Time, median wall seconds / CPU seconds (user + system):"
    echo
    echo "| capture | libpcap loop | decode --dfu | diagnose | tshark |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows_time[@]}"
    echo
    echo "Ratios, wall / CPU: speed relative to the libpcap loop (loop time / dfuscope time;"
    echo "1.00 = as fast as reading the file), and tshark time / diagnose time:"
    echo
    echo "| capture | decode --dfu vs loop | diagnose vs loop | tshark / diagnose |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows_ratio[@]}"
    echo
    echo "Peak RSS, MiB (largest of the runs):"
    echo
    echo "| capture | libpcap loop | decode --dfu | diagnose | tshark |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows_rss[@]}"
    echo
} >>"$out"
{
    echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GiB RAM, $(uname -sr); load average before the run: $load."
    echo "Runs: $runs each (tshark: $tshark_runs) after one warm-up run; $(date -u +%Y-%m-%d)."
} >>"$out"
cat "$out"
