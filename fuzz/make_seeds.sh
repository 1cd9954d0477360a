#!/usr/bin/env bash
# Rebuild the seed corpora (fuzz/corpus/*/seed-*) from the real captures in
# tests/data/real/ (and fixtures/captures/ once it exists). Inputs that the
# fuzzer found (fuzz/corpus/*/regression-*, kept by hand) are left alone.
#   fuzz/make_seeds.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake --build "$build" --target fuzz_make_seeds >/dev/null
captures=()
for f in "$root"/tests/data/real/*.pcap "$root"/tests/data/real/*.pcapng \
         "$root"/fixtures/captures/*.pcap "$root"/fixtures/captures/*.pcapng; do
    [ -f "$f" ] && captures+=("$f")
done
for t in decoder descriptors capture follow; do  # (layout/ seeds are written by hand)
    mkdir -p "$root/fuzz/corpus/$t"
    rm -f "$root/fuzz/corpus/$t"/seed-*
done
"$build/fuzz/fuzz_make_seeds" "$root/fuzz/corpus" "${captures[@]}"
