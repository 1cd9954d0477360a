#!/usr/bin/env bash
# The benchmark of the Windows and macOS readers (not a test): how close
# dfuscope comes to a bare libpcap read loop on a USBPcap (link type 249) and
# a USB_DARWIN (266) capture, and whether its memory stays flat.
#
#   bench/formats.sh [SIZE_MB...]       default: 100 400
#
# For each size and format, bench/gen writes the benchmark's session
# (bench/gen.c: a DfuSe flashing session repeated, a mouse, a flash drive)
# as that system's records (bench/gen SIZE FILE usbpcap|darwin: the same URB
# events through dfs_usbpcap_encode / dfs_darwin_encode), and times on that
# file, as bench/usb2.sh does:
#   loop      bench/pcap_loop: a bare libpcap pcap_next_ex() loop
#   diagnose  dfuscope diagnose FILE > /dev/null
# RUNS times (default 5) after one warm-up run, under bench/measure, the two
# interleaved (bench/lib/pairs.sh, the loop of bench/ratios.sh). Reported:
# median wall and CPU time, the largest peak RSS, and the speed relative to
# the loop (loop time / diagnose time; >= 0.5 is the goal). Environment:
# RUNS, BENCH_BUILD (default build-bench, a Release build), BENCH_DIR
# (default BENCH_BUILD/data; each capture is deleted after use).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
data=${BENCH_DIR:-$build/data}
runs=${RUNS:-5}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 400)

source "$root/scripts/lib/setup.sh"
ensure_packages "${DEMO_PACKAGES[@]}"
have_build_system "$build" || configure "$build" -DCMAKE_BUILD_TYPE=Release -DDFS_BUILD_TESTS=OFF
run_logged "$build.build.log" cmake --build "$build" --parallel 2 --target dfuscope bench_gen \
    bench_pcap_loop bench_measure -- --no-print-directory
mkdir -p "$data"
load=$(cut -d' ' -f1-3 /proc/loadavg)

bench_name=bench/formats.sh
rounds=$runs
source "$root/bench/lib/pairs.sh"

echo "| capture | libpcap loop | diagnose | diagnose vs loop | peak RSS loop / diagnose, MiB |"
echo "|---|---|---|---|---|"
for mb in "${sizes[@]}"; do
    for form in usbpcap darwin; do
        f=$data/bench-$form-$mb.pcap
        "$build/bench/bench_gen" "$mb" "$f" "$form" >&2
        sync
        records=$("$build/bench/bench_pcap_loop" "$f" | awk '{ print $1 }')
        # the decode must be real: the DFU transactions are found
        dfu=$("$build/cli/dfuscope" diagnose "$f" | sed -n 's/.*(\([0-9]*\) DFU transactions.*/\1/p')
        [ "${dfu:-0}" -gt 0 ] || { echo "bench/formats.sh: no DFU transaction decoded" >&2; exit 1; }
        pairs_reset
        pair loop "'$build/bench/bench_pcap_loop' '$f' >/dev/null 2>&1" \
            diagnose "'$build/cli/dfuscope' diagnose '$f' >/dev/null 2>&1"
        read -r tl cl _ rl <<<"$(stats loop)"
        read -r td dc _ rd <<<"$(stats diagnose)"
        printf '| %s, %s MB, %s records, %s DFU transactions | %.3f / %.3f | %.3f / %.3f | %s / %s | %s / %s |\n' \
            "$form" "$(du -m "$f" | cut -f1)" "$records" "$dfu" "$tl" "$cl" "$td" "$dc" \
            "$(ratio "$tl" "$td")" "$(ratio "$cl" "$dc")" "$(mib "$rl")" "$(mib "$rd")"
        rm -f "$f"
    done
done
echo
rm -f "$data/m.out"
echo "Times: median wall / CPU seconds; ratios wall / CPU. Machine: $(nproc) cores, load average before the run: $load; $(date -u +%Y-%m-%d)."
