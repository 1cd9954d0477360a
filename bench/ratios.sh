#!/usr/bin/env bash
# Same-go ratios for the targets of bench/RESULTS.md ("Against the targets,
# second round"): each pair of programs runs on the same file in the same
# go, interleaved (A B, then B A, ...), so that a load that comes and goes
# falls on both; medians are reported. Not a test.
#
#   bench/ratios.sh diagnose [SIZE_MB]   diagnose vs a bare libpcap loop (default 441 MB)
#   bench/ratios.sh follow [SIZE_MB]     `follow -` reading a pipe: MB/s, against `cat`
#                                        reading the same pipe (default 441 MB)
#   bench/ratios.sh plugin [SIZE_MB]     tshark with vs without the dfuscope plugin on a
#                                        DfuSe download capture (default 44 MB)
#
# Environment: ROUNDS (default 7), BENCH_BUILD (default build-bench, a Release
# build with the plugin), BENCH_DIR (where the capture is written, default
# BENCH_BUILD/data; deleted at the end). Wall clock and CPU time (user +
# system) and peak RSS come from bench/measure (getrusage of the child);
# medians of each (peak RSS: also the largest). On a shared machine CPU time
# is the steadier figure: wall time includes waiting for a core.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
data=${BENCH_DIR:-$build/data}
rounds=${ROUNDS:-7}
what=${1:-}
case $what in
diagnose | follow) mb=${2:-441} ;;
plugin) mb=${2:-44} ;;
*)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

source "$root/scripts/lib/setup.sh"
ensure_packages "${DEMO_PACKAGES[@]}" tshark libwireshark-dev
have_build_system "$build" || configure "$build" -DCMAKE_BUILD_TYPE=Release -DDFS_BUILD_TESTS=OFF
targets=(dfuscope bench_gen bench_pcap_loop bench_measure)
[ "$what" = plugin ] && targets+=(dfuscope_plugin)
run_logged "$build.build.log" cmake --build "$build" --parallel 2 --target "${targets[@]}" \
    -- --no-print-directory
dfuscope=$build/cli/dfuscope
mkdir -p "$data"
f=$data/ratios-$mb.pcap
trap 'rm -f "$f"' EXIT
"$build/bench/bench_gen" "$mb" "$f" >&2
bytes=$(stat -c %s "$f")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

bench_name=bench/ratios.sh
source "$root/bench/lib/pairs.sh"

echo "Capture: $(du -m "$f" | cut -f1) MB ($bytes bytes), bench/gen $mb; $rounds rounds, interleaved; load before: $load_before"
case $what in
diagnose)
    pair loop "'$build/bench/bench_pcap_loop' '$f' >/dev/null" \
        diagnose "'$dfuscope' diagnose '$f' >/dev/null"
    read -r lw lc lr _ <<<"$(stats loop)"
    read -r dw dc dr _ <<<"$(stats diagnose)"
    echo
    echo "| program | wall s | CPU s | peak RSS MiB |"
    echo "|---|---|---|---|"
    echo "| libpcap loop | $lw | $lc | $(mib "$lr") |"
    echo "| diagnose | $dw | $dc | $(mib "$dr") |"
    echo
    echo "diagnose speed relative to the loop (loop time / diagnose time): wall $(ratio "$lw" "$dw"), CPU $(ratio "$lc" "$dc")"
    ;;
follow)
    # the same writer (cat, 128 KiB writes) into the same pipe; the reader is
    # cat (the baseline: the pipe's own speed) or dfuscope follow -
    pair cat "cat '$f' | cat >/dev/null" \
        follow "cat '$f' | '$dfuscope' follow --no-status - >/dev/null 2>&1"
    read -r cw cc cr _ <<<"$(stats cat)"
    read -r fw fc fr _ <<<"$(stats follow)"
    # dfuscope's own CPU time, measured alone in the same pipeline
    for ((i = 0; i < rounds; i++)); do
        cat "$f" | "$build/bench/bench_measure" "$data/self.out" "$dfuscope" follow --no-status - 2>/dev/null
        read -r _ sc _ <"$data/self.out"
        C[self]="${C[self]:-} $sc"
    done
    # shellcheck disable=SC2086
    sc=$(median ${C[self]})
    mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", b / 1e6 / s; else print "-" }'; }
    echo
    echo "| pipeline | wall s | CPU s (both processes) | MB/s (wall) |"
    echo "|---|---|---|---|"
    echo "| cat FILE \\| cat > /dev/null | $cw | $cc | $(mbs "$cw") |"
    echo "| cat FILE \\| dfuscope follow - > /dev/null | $fw | $fc | $(mbs "$fw") |"
    echo
    echo "follow / cat through the pipe (cat time / follow time): wall $(ratio "$cw" "$fw"), CPU $(ratio "$cc" "$fc")"
    echo "dfuscope follow alone: median CPU $sc s for $bytes bytes: $(mbs "$sc") MB per CPU second; peak RSS $(mib "$fr") MiB"
    ;;
plugin)
    # tshark as an unprivileged user (Wireshark loads no personal plugins as
    # root: root runs it as nobody), with and without the plugin: the only
    # difference is the personal plugin folder of HOME
    plug=$(find "$build" -path "*/wireshark/plugins/*" -name dfuscope.so | head -1)
    [ -n "$plug" ] || { echo "bench/ratios.sh: no plugin built in $build" >&2; exit 1; }
    ver=$(tshark --version | sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p')
    homes=$(mktemp -d /tmp/dfs-bench-XXXXXX)
    trap 'rm -f "$f"; rm -rf "$homes"' EXIT
    mkdir -p "$homes/without" "$homes/with/.local/lib/wireshark/plugins/$ver/epan"
    cp "$plug" "$homes/with/.local/lib/wireshark/plugins/$ver/epan/dfuscope.so"
    mv "$f" "$homes/capture.pcap"
    f=$homes/capture.pcap
    as_user=""
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody:nogroup "$homes"
        as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    fi
    chmod -R a+rX "$homes"
    # without the plugin tshark knows no dfuscope field: it extracts usb.urb_id only
    ts() {
        local fields="-T fields -e usb.urb_id"
        [ "$1" = with ] && fields="$fields -e dfuscope.request -e dfuscope.state"
        echo "cd '$homes' && HOME='$homes/$1' $as_user tshark -r '$f' $fields"
    }
    n=$(sh -c "$(ts with)" 2>/dev/null | awk -F'\t' '$2 != ""' | wc -l)
    [ "$n" -gt 0 ] || { echo "bench/ratios.sh: the plugin gave no dfuscope.request" >&2; exit 1; }
    if sh -c "$(ts without) -e dfuscope.request" >/dev/null 2>&1; then
        echo "bench/ratios.sh: the plugin was loaded without it" >&2
        exit 1
    fi
    pair without "$(ts without) >/dev/null 2>&1" with "$(ts with) >/dev/null 2>&1"
    read -r ow oc or omax <<<"$(stats without)"
    read -r pw pc pr pmax <<<"$(stats with)"
    echo
    echo "| tshark | wall s | CPU s | peak RSS MiB (median, largest) |"
    echo "|---|---|---|---|"
    echo "| without the plugin | $ow | $oc | $(mib "$or"), $(mib "$omax") |"
    echo "| with the plugin | $pw | $pc | $(mib "$pr"), $(mib "$pmax") |"
    echo
    echo "with / without: wall $(ratio "$pw" "$ow"), CPU $(ratio "$pc" "$oc"), peak RSS $(ratio "$pr" "$or") (largest $(ratio "$pmax" "$omax")); $n frames with dfuscope.request"
    ;;
esac
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load after: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M') UTC"
