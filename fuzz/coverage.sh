#!/usr/bin/env bash
# Line coverage of decoder/ and capture/ by the tests and the fuzz corpora.
#   fuzz/coverage.sh [CTEST_REGEX]
#   fuzz/coverage.sh --add CTEST_REGEX   (keep the profiles of the last run
#                                        and add these tests' to them)
# Builds build-cov/ (clang, -fprofile-instr-generate -fcoverage-mapping) when
# needed, runs the tests whose names match CTEST_REGEX (default: every test
# but the Wireshark plugin's, the packages', the installation's, the lint,
# the Windows build's and the completions'), each process writing its own
# raw profile, merges the profiles with llvm-profdata
# and prints llvm-cov's line coverage per file of decoder/ and capture/, then
# the total of the two folders.
# Exit status: 0 the total reached DFS_COV_MIN percent (default 90), 1 it
# did not or a test failed, 2 usage, 77 clang or llvm-cov is not installed.
# Environment: DFS_COV_BUILD (build directory), DFS_COV_MIN (percent),
# DFS_COV_JOBS (parallel builds and tests, default 2), DFS_LLVM_SUFFIX
# (default -14: llvm-profdata-14, llvm-cov-14).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case ${1:-} in
    -h | --help)
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    --add)
        [ $# -eq 2 ] || { echo "usage: $0 --add CTEST_REGEX" >&2; exit 2; }
        ;;
    -*)
        echo "usage: $0 [CTEST_REGEX] | --add CTEST_REGEX" >&2
        exit 2
        ;;
esac
# (the plugin is not built here: golden compares its output too)
skipped='^(dissector\.|package\.|install\.|lint\.|integration\.(windows-wine|golden|report-browser|completion-.*)$)'
select=(-E "$skipped")
add=0
if [ "${1:-}" = --add ]; then
    add=1
    select=(-R "$2")
elif [ $# -gt 0 ]; then
    select=(-R "$1")
fi
build=${DFS_COV_BUILD:-$root/build-cov}
min=${DFS_COV_MIN:-90}
sfx=${DFS_LLVM_SUFFIX:--14}
profdata=llvm-profdata$sfx
llvmcov=llvm-cov$sfx
for tool in clang "$profdata" "$llvmcov"; do
    if ! command -v "$tool" >/dev/null; then
        echo "fuzz/coverage.sh: $tool is not installed (Debian: apt-get install clang llvm-14)" >&2
        exit 77
    fi
done

flags="-fprofile-instr-generate -fcoverage-mapping"
if [ ! -f "$build/Makefile" ] && [ ! -f "$build/build.ninja" ]; then
    if ! CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDFS_WERROR=ON \
        -DDFS_REQUIRE_TESTS=ON -DDFS_BUILD_DISSECTOR=OFF \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
        -DCMAKE_SHARED_LINKER_FLAGS="$flags" >"$build.configure.log" 2>&1; then
        tail -n 40 "$build.configure.log" >&2
        echo "fuzz/coverage.sh: configuring $build failed (log: $build.configure.log)" >&2
        exit 1
    fi
fi
echo "==> building $build" >&2
cmake --build "$build" --parallel "${DFS_COV_JOBS:-2}" -- --no-print-directory >"$build.build.log" 2>&1 ||
    { tail -n 40 "$build.build.log" >&2; echo "fuzz/coverage.sh: build failed" >&2; exit 1; }

prof=$build/coverage
if [ $add -eq 1 ] && [ ! -d "$prof/raw" ]; then
    echo "fuzz/coverage.sh: --add: no profiles of an earlier run in $prof" >&2
    exit 1
fi
[ $add -eq 1 ] || rm -rf "$prof"
mkdir -p "$prof/raw"
echo "==> running ctest ${select[*]}" >&2
status=0
# %p: one file per process (the integration tests start many); %m: per binary
LLVM_PROFILE_FILE="$prof/raw/%p-%m.profraw" \
    ctest --test-dir "$build" -j "${DFS_COV_JOBS:-2}" "${select[@]}" -LE 'package|windows' \
    --output-on-failure >"$prof/ctest.log" 2>&1 || status=1
grep -E "tests passed|tests failed|Not Run|Failed|\*\*\*" "$prof/ctest.log" >&2 || true
shopt -s nullglob
raws=("$prof"/raw/*.profraw)
if [ ${#raws[@]} -eq 0 ]; then
    echo "fuzz/coverage.sh: no raw profile was written (no test matched?)" >&2
    exit 1
fi
printf '%s\n' "${raws[@]}" >"$prof/raw.list"
"$profdata" merge -sparse -f "$prof/raw.list" -o "$prof/all.profdata"

# every executable and shared object of the build that contains decoder/ or
# capture/ code (the first is the main object, the rest -object)
objs=()
while IFS= read -r f; do
    objs+=("$f")
done < <(find "$build" -type f \( -perm -u+x -o -name '*.so' \) ! -name '*.sh' \
    ! -path '*/CMakeFiles/*' | sort)
args=()
for o in "${objs[@]}"; do
    if "$llvmcov" report -instr-profile="$prof/all.profdata" "$o" >/dev/null 2>&1; then
        if [ ${#args[@]} -eq 0 ]; then args=("$o"); else args+=(-object "$o"); fi
    fi
done
if [ ${#args[@]} -eq 0 ]; then
    echo "fuzz/coverage.sh: no instrumented object in $build" >&2
    exit 1
fi
"$llvmcov" report -instr-profile="$prof/all.profdata" "${args[@]}" \
    "$root/decoder" "$root/capture" >"$prof/report.txt"
"$llvmcov" export -summary-only -instr-profile="$prof/all.profdata" "${args[@]}" \
    "$root/decoder" "$root/capture" >"$prof/summary.json"
# per file: lines, missed, percent; then each folder and the two together
python3 - "$prof/summary.json" "$root" "$min" <<'EOF' || status=1
import json, os, sys
data = json.load(open(sys.argv[1]))
root, want = sys.argv[2], float(sys.argv[3])
rows, dirs = [], {}
for f in data["data"][0]["files"]:
    name = os.path.relpath(f["filename"], root)
    top = name.split("/")[0]
    if top not in ("decoder", "capture"):
        continue
    lines = f["summary"]["lines"]
    rows.append((name, lines["count"], lines["count"] - lines["covered"]))
    d = dirs.setdefault(top, [0, 0])
    d[0] += lines["count"]
    d[1] += lines["count"] - lines["covered"]
def line(name, n, missed):
    pct = 100.0 * (n - missed) / n if n else 100.0
    print("%-34s %6d lines %5d missed %7.2f%%" % (name, n, missed, pct))
    return pct
for r in sorted(rows):
    line(*r)
for top in sorted(dirs):
    line(top + "/ (all files)", *dirs[top])
n = sum(d[0] for d in dirs.values())
m = sum(d[1] for d in dirs.values())
pct = line("TOTAL decoder/ + capture/", n, m)
if pct < want:
    print("fuzz/coverage.sh: %.2f%% of lines, below %g%%" % (pct, want), file=sys.stderr)
    sys.exit(1)
EOF
echo "(llvm-cov's full report: $prof/report.txt; line by line: $llvmcov show -instr-profile=$prof/all.profdata ${args[0]} FILE)" >&2
exit $status
