#!/usr/bin/env bash
# Fuzz every target (or the ones named) for SECONDS each with libFuzzer.
#   fuzz/run.sh SECONDS [TARGET...]
# Builds build-fuzz/ (clang, -DDFS_FUZZ=ON) when needed. New inputs go to
# build-fuzz/fuzz-work/TARGET/ (the committed corpus, fuzz/corpus/TARGET/,
# is only read); a crash is saved under build-fuzz/fuzz-work/artifacts/.
# Exit status: 0 nothing found, 1 a target crashed or broke a property,
# 77 clang's libFuzzer is not available (the caller may treat it as a skip).
# Environment: DFS_FUZZ_BUILD (build directory), DFS_FUZZ_JOBS (parallel
# jobs per target, default 1). See fuzz/README.md for long campaigns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
build=${DFS_FUZZ_BUILD:-$root/build-fuzz}
jobs=${DFS_FUZZ_JOBS:-1}

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
        script) echo 16384 ;;
        layout) echo 512 ;;
        firmware) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

work=$build/fuzz-work
status=0
for t in "${targets[@]}"; do
    [ -n "$t" ] || continue
    exe=$build/fuzz/fuzz_$t
    [ -x "$exe" ] || { echo "fuzz/run.sh: no target '$t'" >&2; exit 2; }
    mkdir -p "$work/$t" "$work/artifacts/$t"
    log=$work/$t.log
    printf '==> fuzzing %s for %s s\n' "$t" "$seconds" >&2
    par=()
    if [ "$jobs" -gt 1 ]; then
        par=(-jobs="$jobs" -workers="$jobs") # workers log to $work/fuzz-N.log
    fi
    rc=0
    (cd "$work" && "$exe" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 "${par[@]}" -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t/" \
        "$work/$t" "$root/fuzz/corpus/$t") >"$log" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        status=1
        echo "fuzz/run.sh: $t FAILED (exit $rc); log: $log" >&2
        grep -E "property does not hold|ERROR: |SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
    else
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$log" |
            sed "s/^/    $t /" >&2 || true
    fi
done
exit $status
