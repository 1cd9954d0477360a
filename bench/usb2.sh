#!/usr/bin/env bash
# The benchmark of the packet-level reader (not a test): how close dfuscope
# comes to a bare libpcap read loop on a USB 2.0 packet capture (link type
# 288), and whether its memory stays flat as captures grow.
#
#   bench/usb2.sh [SIZE_MB...]          default: 10 100 400
#
# For each size, bench/gen writes the benchmark's session (bench/gen.c: a
# DfuSe flashing session repeated, a mouse, a flash drive) rendered as the
# packets an analyzer records (bench/gen SIZE FILE usb2: tokens, data
# packets of 64 bytes with their CRCs, handshakes, NAKs while the device is
# busy), and times on that file, as bench/run.sh does:
#   loop      bench/pcap_loop: a bare libpcap pcap_next_ex() loop
#   diagnose  dfuscope diagnose FILE > /dev/null (every packet checked, CRCs
#             computed, transactions and control transfers rebuilt)
# RUNS times (default 5) after one warm-up run, under bench/measure, the two
# interleaved (bench/lib/pairs.sh, the loop of bench/ratios.sh).
# Reported: median wall and CPU time, the largest peak RSS, and the speed
# relative to the loop (loop time / diagnose time; >= 0.5 is the goal).
# Environment: RUNS, BENCH_BUILD (default build-bench, a Release build),
# BENCH_DIR (default BENCH_BUILD/data; each capture is deleted after use).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
data=${BENCH_DIR:-$build/data}
runs=${RUNS:-5}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 400)

source "$root/scripts/lib/setup.sh"
ensure_packages "${DEMO_PACKAGES[@]}"
have_build_system "$build" || configure "$build" -DCMAKE_BUILD_TYPE=Release -DDFS_BUILD_TESTS=OFF
run_logged "$build.build.log" cmake --build "$build" --parallel 2 --target dfuscope bench_gen \
    bench_pcap_loop bench_measure -- --no-print-directory
mkdir -p "$data"
load=$(cut -d' ' -f1-3 /proc/loadavg)

bench_name=bench/usb2.sh
rounds=$runs
source "$root/bench/lib/pairs.sh"

echo "| capture | libpcap loop | diagnose | diagnose vs loop | peak RSS loop / diagnose, MiB |"
echo "|---|---|---|---|---|"
for mb in "${sizes[@]}"; do
    f=$data/bench-usb2-$mb.pcap
    "$build/bench/bench_gen" "$mb" "$f" usb2 >&2
    sync
    records=$("$build/bench/bench_pcap_loop" "$f" | awk '{ print $1 }')
    # the decode must be real: the DFU transactions are found in the packets
    dfu=$("$build/cli/dfuscope" diagnose "$f" | sed -n 's/.*(\([0-9]*\) DFU transactions.*/\1/p')
    [ "${dfu:-0}" -gt 0 ] || { echo "bench/usb2.sh: no DFU transaction decoded" >&2; exit 1; }
    pairs_reset
    pair loop "'$build/bench/bench_pcap_loop' '$f' >/dev/null 2>&1" \
        diagnose "'$build/cli/dfuscope' diagnose '$f' >/dev/null 2>&1"
    read -r t_loop c_loop _ rss_loop <<<"$(stats loop)"
    read -r t c _ rss <<<"$(stats diagnose)"
    printf '| %s MB, %s packets, %s DFU transactions | %.3f / %.3f | %.3f / %.3f | %s / %s | %s / %s |\n' \
        "$(du -m "$f" | cut -f1)" "$records" "$dfu" "$t_loop" "$c_loop" "$t" "$c" \
        "$(ratio "$t_loop" "$t")" "$(ratio "$c_loop" "$c")" "$(mib "$rss_loop")" "$(mib "$rss")"
    rm -f "$f"
done
echo
rm -f "$data/m.out"
echo "Times: median wall / CPU seconds; ratios wall / CPU. Machine: $(nproc) cores, load average before the run: $load; $(date -u +%Y-%m-%d)."
