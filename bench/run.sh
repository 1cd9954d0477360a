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
# tshark); the median wall time is reported with the peak RSS (GNU time).
# Ratios: speed relative to the loop (loop time / tool time: 1.0 = as fast
# as reading), and tshark time / dfuscope time.
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
ensure_packages "${BUILD_PACKAGES[@]}" tshark time

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDFS_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --parallel 2 --target dfuscope bench_gen bench_pcap_loop -- \
    --no-print-directory >/dev/null
dfuscope=$build/cli/dfuscope
mkdir -p "$data"

# disk: the largest capture must fit, with room to spare
need_mb=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
free_mb=$(df -Pm "$data" | awk 'NR == 2 { print $4 }')
if [ "$free_mb" -lt $((need_mb * 2)) ]; then
    echo "bench/run.sh: $data has $free_mb MB free; $((need_mb * 2)) MB needed" >&2
    exit 2
fi

# measure NAME CMD...: median wall time (s) and peak RSS (KiB) of RUNS runs
# (after one warm-up run), into $t and $rss
measure() {
    local n=$1 times=() rsss=() i start end
    shift
    "$@" >/dev/null 2>&1 || { echo "bench/run.sh: failed: $*" >&2; exit 1; }
    for ((i = 0; i < n; i++)); do
        start=$EPOCHREALTIME
        /usr/bin/time -f %M -o "$build/time.out" "$@" >/dev/null 2>&1
        end=$EPOCHREALTIME
        times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')")
        rsss+=("$(tail -1 "$build/time.out")")
    done
    t=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    rss=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -1)
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

out=$build/results.md
{
    echo "| capture | records | loop s | dfu s | diagnose s | tshark s | dfu speed (x loop) | diagnose speed (x loop) | tshark time / diagnose time | RSS loop | RSS dfu | RSS diagnose | RSS tshark |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$out"
cat "$out"
for mb in "${sizes[@]}"; do
    f=$data/bench-$mb.pcap
    "$build/bench/bench_gen" "$mb" "$f" >&2
    records=$("$build/bench/bench_pcap_loop" "$f" | awk '{ print $1 }')
    # tshark must really decode the DFU requests, or the comparison is void
    dfu_lines=$(tshark -r "$f" -d usb.product==0x0483df11,usbdfu -T fields \
        -e usbdfu.command -e usbdfu.state 2>/dev/null | grep -c '[0-9]' || true)
    [ "$dfu_lines" -gt 0 ] || { echo "bench/run.sh: tshark decoded no DFU field" >&2; exit 1; }

    measure "$runs" "$build/bench/bench_pcap_loop" "$f"
    t_loop=$t rss_loop=$rss
    measure "$runs" "$dfuscope" decode --dfu "$f"
    t_dfu=$t rss_dfu=$rss
    measure "$runs" "$dfuscope" diagnose "$f"
    t_diag=$t rss_diag=$rss
    measure "$tshark_runs" tshark -r "$f" -d usb.product==0x0483df11,usbdfu -T fields \
        -e usbdfu.command -e usbdfu.state
    t_tshark=$t rss_tshark=$rss
    size=$(du -m "$f" | cut -f1)
    line=$(printf '| %s MB | %s | %.3f | %.3f | %.3f | %.2f | %s | %s | %s | %s MiB | %s MiB | %s MiB | %s MiB |' \
        "$size" "$records" "$t_loop" "$t_dfu" "$t_diag" "$t_tshark" \
        "$(ratio "$t_loop" "$t_dfu")" "$(ratio "$t_loop" "$t_diag")" \
        "$(ratio "$t_tshark" "$t_diag")" \
        "$(mib "$rss_loop")" "$(mib "$rss_dfu")" "$(mib "$rss_diag")" "$(mib "$rss_tshark")")
    echo "$line" | tee -a "$out"
    rm -f "$f"
done
echo >&2
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GiB RAM, $(uname -sr)" | tee -a "$out"
echo "runs: $runs (tshark $tshark_runs), median wall time; RSS is the largest of the runs" | tee -a "$out"
