#!/usr/bin/env bash
# Rebuild the seed corpora (fuzz/corpus/*/seed-*) from the real captures in
# tests/data/real/ and fixtures/captures/. Inputs that the fuzzer found
# (fuzz/corpus/*/regression-*) and the hand-written seeds (layout/, and
# script/seed-doc-*) are left alone.
#   fuzz/make_seeds.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake --build "$build" --target fuzz_make_seeds dfuscope >/dev/null
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

# script: what `dfuscope script-from` makes of the emulated devices'
# captures (real sessions of dfu-util and STM32CubeProgrammer), cut to
# 16 KiB at a line end (fuzz/run.sh gives the target 16 KiB inputs)
sdir=$root/fuzz/corpus/script
mkdir -p "$sdir"
rm -f "$sdir"/seed-from-*
for f in "$root"/fixtures/captures/*.pcapng; do
    [ -f "$f" ] || continue
    n=$(basename "$f" .pcapng)
    "$build/cli/dfuscope" script-from "$f" -o "$sdir/seed-from-$n" 2>/dev/null || {
        rm -f "$sdir/seed-from-$n"
        continue
    }
    head -c 16384 "$sdir/seed-from-$n" | sed '$d' >"$sdir/seed-from-$n.tmp"
    mv "$sdir/seed-from-$n.tmp" "$sdir/seed-from-$n"
done

# pcap_fast: the classic usbmon pcap captures cut to about 64 KiB at a
# record boundary, and variants the direct reader must give back to wiretap
# or read as wiretap does: cut inside a record, link type 189, nanosecond
# time stamps, a time fraction out of range, an isochronous record, a record
# too long, the other byte order
python3 - "$root/fuzz/corpus/pcap_fast" "${captures[@]}" <<'PY'
import os, struct, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
for f in os.listdir(d):
    if f.startswith('seed-'):
        os.remove(os.path.join(d, f))

def put(name, b):
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(bytes(b))

for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    if len(data) < 24 or data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4'):
        continue
    name = os.path.splitext(os.path.basename(path))[0]
    if data[:4] == b'\xa1\xb2\xc3\xd4':  # big-endian: the reader leaves it to wiretap
        put(name + '-big-endian', data[:4096])
        continue
    offs, off = [], 24
    while off + 16 <= len(data) and off < 65536:
        incl = struct.unpack_from('<I', data, off + 8)[0]
        if off + 16 + incl > len(data):
            break
        offs.append(off)
        off += 16 + incl
    whole = bytearray(data[:off])
    put(name, whole)
    if len(offs) > 2:
        put(name + '-cut', whole[:offs[-1] + 20])
    small = whole[:max(o for o in offs + [off] if o <= 8192)]
    lt189 = bytearray(small)
    struct.pack_into('<I', lt189, 20, 189)
    put(name + '-189', lt189)
    ns = bytearray(small)
    ns[:4] = b'\x4d\x3c\xb2\xa1'
    put(name + '-nsec', ns)
    if len(offs) > 3:
        bad = bytearray(whole[:offs[3]])
        struct.pack_into('<I', bad, offs[1] + 4, 0xFFFFFFFF)
        put(name + '-fraction', bad)
        iso = bytearray(whole[:offs[3]])
        iso[offs[2] + 16 + 9] = 0
        put(name + '-iso', iso)
        big = bytearray(whole[:offs[3]])
        struct.pack_into('<I', big, offs[2] + 8, 262145)
        put(name + '-too-long', big)
PY

# replies: the header bytes of fuzz_replies.c for each model and program,
# read-only and with every flag, with the model answering every request
# (no reply bytes), then faults, Ctrl-C and a few disturbed replies
python3 - "$root/fuzz/corpus/replies" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
for f in os.listdir(d):
    if f.startswith('seed-'):
        os.remove(os.path.join(d, f))
models = {0: 'g0c1', 1: 'dfuse', 2: 'dfu11', 3: 'g0c1-back'}
whats = {0: 'all-suites', 1: 'descriptors', 2: 'dfu11', 3: 'dfuse', 4: 'script-ob-write',
         5: 'script-dfu11', 6: 'script-dfuse', 7: 'script-reenum'}
faults = ['zero-poll-timeout', 'short-poll-timeout', 'oversized-transfer-size',
          'no-functional-descriptor', 'short-functional-descriptor', 'no-error-after-stall',
          'upload-never-short', 'clrstatus-idle-error']

def put(name, b):
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(bytes(b))

for what in range(8):
    for allow in (0, 1):
        model = {2: 2, 5: 2, 4: 0, 7: 0}.get(what, 1)
        if what == 0:
            model = allow
        put('%s-%s-%s' % (whats[what], models[model], 'allow' if allow else 'readonly'),
            [model | what << 2 | allow << 5, 0, 0, 0])
put('script-ob-write-g0c1-back-allow', [3 | 4 << 2 | 1 << 5, 0, 0, 0])
put('script-ob-write-g0c1-ctrl-c', [0 | 4 << 2 | 1 << 5 | 0x80, 0, 3, 0])
for i, name in enumerate(faults, 1):
    put('all-suites-' + name, [(1 if i % 2 else 2) | 1 << 5, i, 0, 0])
# a STALL, a timeout, an overflow, bytes of the input, extra time, a
# re-enumeration, a changed byte, a bus error, a reply cut short
tail = [0, 0, 0, 0, 8, 0, 0, 9, 0, 0, 0, 13, 5, 0, 14, 6, 0, 0, 0, 0, 0, 0x20, 0, 0, 12, 50, 0,
        15, 2, 0x11, 0, 0, 10, 0, 0, 0, 0, 15, 3, 0]
put('all-suites-dfuse-disturbed', [1 | 1 << 5 | 1 << 6, 0, 0, 0] + tail * 3)
put('script-dfuse-disturbed', [1 | 6 << 2 | 1 << 5 | 1 << 6, 0, 0, 0] + tail * 2)
put('all-suites-g0c1-bad-config', [0, 0, 0, 20, 0x40] + tail)
PY
