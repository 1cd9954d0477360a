#!/usr/bin/env bash
# Fuzz every target (or the ones named) with libFuzzer.
#   fuzz/run.sh SECONDS [TARGET...]          each target for SECONDS
#   fuzz/run.sh [-t SECONDS] [-r RUNS] [-j JOBS] [TARGET...]
#     -t SECONDS  stop each target after SECONDS (default 60)
#     -r RUNS     stop each target after RUNS executions (whichever of -t
#                 and -r comes first; with -j more than 1, the limit is
#                 checked per worker)
#     -j JOBS     fuzz each target with JOBS processes (libFuzzer -fork)
# Builds build-fuzz/ (clang, -DDFS_FUZZ=ON) when needed. New inputs go to
# build-fuzz/fuzz-work/TARGET/ (the committed corpus, fuzz/corpus/TARGET/,
# is only read); a crash is saved under build-fuzz/fuzz-work/artifacts/.
# For each target it prints the executions, executions per second, seconds,
# libFuzzer's coverage (edges, features), the inputs in its corpus and
# what crashed; then a table of all of them.
# Exit status: 0 nothing found, 1 a target crashed or broke a property,
# 2 usage, 77 clang's libFuzzer is not available (the caller may treat it
# as a skip).
# Environment: DFS_FUZZ_BUILD (build directory), DFS_FUZZ_JOBS (default
# for -j, 1). See fuzz/README.md for long campaigns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    echo "usage: $0 SECONDS [TARGET...]" >&2
    echo "       $0 [-t SECONDS] [-r RUNS] [-j JOBS] [TARGET...]" >&2
    exit 2
}
number() { [[ $2 =~ ^[0-9]+$ ]] || { echo "fuzz/run.sh: $1 wants a number, not '$2'" >&2; usage; }; }
seconds=60
runs=-1
jobs=${DFS_FUZZ_JOBS:-1}
if [ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
else
    while getopts ":t:r:j:h" opt; do
        case $opt in
            t) number -t "$OPTARG"; seconds=$OPTARG ;;
            r) number -r "$OPTARG"; runs=$OPTARG ;;
            j) number -j "$OPTARG"; jobs=$OPTARG ;;
            h) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
            :) echo "fuzz/run.sh: -$OPTARG wants a value" >&2; usage ;;
            *) echo "fuzz/run.sh: unknown option -$OPTARG" >&2; usage ;;
        esac
    done
    shift $((OPTIND - 1))
fi
number DFS_FUZZ_JOBS "$jobs"
[ "$jobs" -ge 1 ] || { echo "fuzz/run.sh: -j wants 1 or more" >&2; usage; }
build=${DFS_FUZZ_BUILD:-$root/build-fuzz}

# libFuzzer present? (Debian: clang and libclang-rt-14-dev)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
    >"$probe/p.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    echo "fuzz/run.sh: clang with libFuzzer is not available (apt-get install clang libclang-rt-14-dev)" >&2
    exit 77
fi

# configured to the end? (a failed configure leaves only CMakeCache.txt)
if [ ! -f "$build/Makefile" ] && [ ! -f "$build/build.ninja" ]; then
    # (the Wireshark plugin is a shared object: it cannot link the
    # instrumented static libraries, and is not fuzzed here)
    if ! CC=clang cmake -S "$root" -B "$build" -DDFS_FUZZ=ON -DDFS_BUILD_DISSECTOR=OFF \
        -DDFS_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1; then
        tail -n 40 "$build.configure.log" >&2
        echo "fuzz/run.sh: configuring $build failed (log: $build.configure.log)" >&2
        exit 1
    fi
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets <"$build/fuzz/targets.txt"
fi
exes=()
for t in "${targets[@]}"; do
    [ -n "$t" ] && exes+=("fuzz_$t")
done
# only the fuzz targets: nothing else of the project needs libFuzzer
cmake --build "$build" --parallel 2 --target "${exes[@]}" -- --no-print-directory >/dev/null

max_len() {
    case $1 in
        decoder | capture) echo 65536 ;;
        pcap_fast) echo 131072 ;; # (records past the reader's 64 KiB buffer)
        script) echo 16384 ;;
        layout) echo 512 ;;
        firmware) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

work=$build/fuzz-work
status=0
summary=()
for t in "${targets[@]}"; do
    [ -n "$t" ] || continue
    exe=$build/fuzz/fuzz_$t
    [ -x "$exe" ] || { echo "fuzz/run.sh: no target '$t'" >&2; exit 2; }
    mkdir -p "$work/$t" "$work/artifacts/$t"
    log=$work/$t.log
    limit="$seconds s"
    [ "$runs" -lt 0 ] || limit="$limit or $runs runs"
    printf '==> fuzzing %s for %s (%s job(s))\n' "$t" "$limit" "$jobs" >&2
    par=()
    if [ "$jobs" -gt 1 ]; then
        # fork mode: one log with the totals of all the workers
        par=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    rc=0
    start=$(date +%s)
    (cd "$work" && "$exe" -max_total_time="$seconds" -runs="$runs" -max_len="$(max_len "$t")" \
        -timeout=10 -rss_limit_mb=2048 "${par[@]}" -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t/" \
        "$work/$t" "$root/fuzz/corpus/$t") >"$log" 2>&1 || rc=$?
    took=$(($(date +%s) - start))
    # the last status line: "#N ... cov: E ft: F corp: C/S exec/s: X" (fork
    # mode: "#N: cov: E ft: F corp: C exec/s: X ... crash: K")
    last=$(grep -E '^#[0-9]+:?[[:space:]]' "$log" | tail -n 1 || true)
    field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p" <<<"$last"; }
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
    execs=${execs:-0}
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    [ -n "$rate" ] || rate=$((took > 0 ? execs / took : execs))
    crashes=$(find "$work/artifacts/$t" -type f | wc -l)
    line=$(printf '%-12s %12s execs %8s/s %6s s  cov %6s  ft %7s  corpus %6s  %s crash(es)' \
        "$t" "$execs" "$rate" "$took" "$(field cov:)" "$(field ft:)" "$(field corp:)" "$crashes")
    summary+=("$line")
    printf '    %s\n' "$line" >&2
    if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        echo "fuzz/run.sh: $t FAILED (exit $rc); log: $log" >&2
        grep -E "property does not hold|ERROR: |SUMMARY|Test unit written|crash-|timeout-|oom-" "$log" |
            head -n 20 >&2 || tail -20 "$log" >&2
        find "$work/artifacts/$t" -type f | sed 's/^/    artifact: /' >&2
    fi
done
printf '%s\n' "${summary[@]}"
exit $status
