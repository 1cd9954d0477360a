#!/usr/bin/env bash
# Rebuild the seed corpus of the firmware target (fuzz/corpus/firmware/seed-*)
# from files made by the real tools: dfu-suffix and dfuse-pack (Debian's
# dfu-util package) and srec_cat (srecord), and damaged variants of them.
# Each seed is the 2 option bytes of fuzz_firmware.c followed by the file.
# Inputs the fuzzer found (regression-*) are left alone.
#   fuzz/make_firmware_seeds.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/fuzz/corpus/firmware
for t in dfu-suffix dfuse-pack srec_cat python3; do
    command -v "$t" >/dev/null || { echo "$0: $t is not installed (apt-get install dfu-util srecord)" >&2; exit 1; }
done
mkdir -p "$out"
rm -f "$out"/seed-*
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# deterministic contents
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 1) & 255 for i in range(600)))' >a.bin
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 13 + 5) & 255 for i in range(64)))' >b.bin
python3 -c 'import sys; sys.stdout.buffer.write(b"\xcc" + b"\xff" * 15)' >ob.bin

# seed NAME OPT0 OPT1 FILE
seed() { { printf "\\x$(printf %02x "$2")\\x$(printf %02x "$3")"; cat "$4"; } >"$out/seed-$1"; }

cp a.bin plain.dfu && dfu-suffix -v 0483 -p df11 -a plain.dfu >/dev/null
dfuse-pack -b 0x08000000:a.bin -D 0x0483:0xdf11 one.dfu >/dev/null
dfuse-pack -b 0x08000000:a.bin -b 0x08000400:b.bin -b 0x1FFF7800@1:ob.bin -D 0x0483:0xdf11 \
    three.dfu >/dev/null
dfuse-pack -b 0x0803FF00:a.bin -D 0x0483:0xdf11 past.dfu >/dev/null
dfuse-pack -b 0xFFFFFF00:a.bin -D 0x0483:0xdf11 overflow.dfu >/dev/null
srec_cat a.bin -binary -offset 0x08000000 b.bin -binary -offset 0x20000000 -o stray.hex -intel
srec_cat a.bin -binary -offset 0x08000000 -o a.hex -intel
srec_cat a.bin -binary -offset 0x08000000 -o a.srec
srec_cat a.bin -binary -offset 0x1000 -o a.s19 -address-length=2

seed bin 0 1 a.bin
seed bin-base 16 1 a.bin
seed bin-small-limits 32 0 a.bin
seed dfu-suffix 8 1 plain.dfu
seed dfu-suffix-dfu11 8 2 plain.dfu
seed dfuse-one 8 1 one.dfu
seed dfuse-three 8 1 three.dfu
seed dfuse-three-layout 8 0 three.dfu
seed dfuse-past-flash 8 1 past.dfu
seed dfuse-overflow 8 1 overflow.dfu
seed ihex 0 1 a.hex
seed ihex-stray 0 0 stray.hex
seed srec 0 1 a.srec
seed srec-s19 4 4 a.s19

# damaged: a changed byte (bad CRC), cut short, lying sizes, 0 and 255 targets
python3 - <<'PY'
import struct
d = bytearray(open("one.dfu", "rb").read())
def save(name, b):
    open(name, "wb").write(bytes(b))
b = bytearray(d); b[300] ^= 1; save("crc.dfu", b)
save("cut.dfu", d[:290])
b = bytearray(d); struct.pack_into("<I", b, 289, 1000000); save("lying-element.dfu", b)
b = bytearray(d); struct.pack_into("<I", b, 281, 0xFFFFFFFF); save("lying-count.dfu", b)
b = bytearray(d); b[10] = 0; save("zero-targets.dfu", b)
b = bytearray(d); b[10] = 255; save("255-targets.dfu", b)
h = open("a.hex").read().splitlines(True)
h[3] = h[3][:9] + ("0" if h[3][9] != "0" else "1") + h[3][10:]
open("bad.hex", "w").write("".join(h[:-1]))
PY
seed dfuse-crc 8 1 crc.dfu
seed dfuse-cut 8 1 cut.dfu
seed dfuse-lying-element 8 1 lying-element.dfu
seed dfuse-lying-count 8 1 lying-count.dfu
seed dfuse-zero-targets 8 1 zero-targets.dfu
seed dfuse-255-targets 8 1 255-targets.dfu
seed ihex-bad 0 1 bad.hex
ls "$out" | wc -l
