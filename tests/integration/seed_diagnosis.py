#!/usr/bin/env python3
"""Diagnosis of the reference captures of the emulated devices
(fixtures/captures/, recorded from real host programs driving the models).

1. The seed: STM32CubeProgrammer's option-byte write to the STM32G0C1
   bootloader (dfs-host-cubeprog). The GETSTATUS that executes the write
   STALLs because the chip resets and the device never comes back: the
   diagnosis names dfuse.option-bytes-reset (and says nothing more was seen),
   dfuse.option-bytes-offset-write (0x1FFF7870 is 0x70 into the area) and
   desc.duplicate-alt-layouts (three alternate settings, one flash layout).
2. The variant in which the chip comes back in DFU mode: the same finding
   says it came back, as which device, and the devices list links the two.
3. The variant in which the bootloader refuses the write (dfuERROR,
   errTARGET): dfuse.option-bytes-rejected, and no reset.
4. Clean sessions of real dfu-util (DfuSe download with :leave, DFU 1.1
   upload/download): no error and no warning, and `dfuscope extract`
   rebuilds exactly the image dfu-util sent (generate.sh makes it), as
   binary, and as Intel HEX and S-records converted back by srec_cat
   (which scripts/test installs: without it the test fails).

usage: seed_diagnosis.py DFUSCOPE"""
import json
import os
import subprocess
import sys
import tempfile

import tools

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CAPS = os.path.join(SRC, "fixtures", "captures")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def diagnose(dfuscope, name):
    res = subprocess.run([dfuscope, "diagnose", "--json", os.path.join(CAPS, name + ".pcapng")],
                         capture_output=True, text=True)
    if res.returncode not in (0, 1):
        check(False, f"{name}: diagnose exit status {res.returncode}: {res.stderr.strip()}")
        return {"findings": [], "devices": []}
    return json.loads(res.stdout)


def ids(doc):
    return [f["id"] for f in doc["findings"]]


def one(doc, fid):
    fs = [f for f in doc["findings"] if f["id"] == fid]
    return fs[0] if len(fs) == 1 else None


def image(size):
    """The input image of generate.sh."""
    return bytes((i * 37 + 11) % 251 for i in range(size))


def seed(dfuscope):
    doc = diagnose(dfuscope, "seed-cubeprogrammer-ob-write")
    reset = one(doc, "dfuse.option-bytes-reset")
    check(reset is not None and reset["severity"] == "error",
          "seed: one dfuse.option-bytes-reset error")
    if reset:
        ex = reset["explanation"]
        check("0x1fff7870" in ex and "LIBUSB_ERROR_PIPE" in ex,
              "seed: the finding names the address and the libusb error")
        check("nothing more was seen from the device" in ex and "came back" not in ex,
              "seed: the device is not seen again")
        # the proof: the DNLOAD at 0x1FFF7870 and the failed GETSTATUS
        check(len(reset["frames"]) >= 2, "seed: the finding names its frames")
    off = one(doc, "dfuse.option-bytes-offset-write")
    check(off is not None and "0x70 bytes into the option-byte area" in off["explanation"],
          "seed: dfuse.option-bytes-offset-write (0x70 into the area at 0x1fff7800)")
    dup = one(doc, "desc.duplicate-alt-layouts")
    check(dup is not None and "alternate settings 0, 1, 2" in dup["explanation"]
          and "no alternate setting advertises an option-byte area" in dup["explanation"],
          "seed: desc.duplicate-alt-layouts over alternate settings 0, 1, 2")
    check("dfuse.option-bytes-rejected" not in ids(doc), "seed: not taken for a rejection")
    check(doc["findings"][0]["id"] == "dfuse.option-bytes-reset",
          "seed: the reset is the first (most severe) finding")


def returns(dfuscope):
    doc = diagnose(dfuscope, "seed-cubeprogrammer-ob-write-returns")
    reset = one(doc, "dfuse.option-bytes-reset")
    check(reset is not None, "returns: dfuse.option-bytes-reset")
    if reset:
        ex = reset["explanation"]
        check("came back" in ex and "as device 1.7" in ex and "nothing more was seen" not in ex,
              "returns: the finding says the device came back, as device 1.7")
        check("took effect" in reset["remedy"], "returns: the remedy says the write took effect")
    boot = [d for d in doc["devices"] if d.get("vid") == 0x0483 and d.get("pid") == 0xdf11]
    check(len(boot) == 2 and [d["device"] for d in boot] == [6, 7]
          and boot[0]["gone_frame"] is not None and boot[1]["previous"] == boot[0]["instance"],
          "returns: the bootloader as device 6, then device 7 linked to it")


def rejected(dfuscope):
    doc = diagnose(dfuscope, "seed-cubeprogrammer-ob-write-rejected")
    check("dfuse.option-bytes-rejected" in ids(doc), "rejected: dfuse.option-bytes-rejected")
    check("dfuse.option-bytes-reset" not in ids(doc), "rejected: no dfuse.option-bytes-reset")


def clean(dfuscope, name, size, base, tmp):
    doc = diagnose(dfuscope, name)
    bad = [f["id"] for f in doc["findings"] if f["severity"] in ("error", "warning")]
    check(not bad, f"{name}: no error or warning ({bad})")
    want = image(size)
    cap = os.path.join(CAPS, name + ".pcapng")
    binf = os.path.join(tmp, name + ".bin")
    res = subprocess.run([dfuscope, "extract", cap, "-o", binf], capture_output=True, text=True)
    ok = res.returncode == 0 and open(binf, "rb").read() == want
    check(ok, f"{name}: extract gives the {size}-byte image dfu-util sent"
              + ("" if ok else f" ({res.stderr.strip()})"))
    for fmt, ext, kind in (("ihex", "hex", "-intel"), ("srec", "srec", "-motorola")):
        out = os.path.join(tmp, f"{name}.{ext}")
        back = os.path.join(tmp, f"{name}.{ext}.bin")
        res = subprocess.run([dfuscope, "extract", cap, "-o", out], capture_output=True,
                             text=True)
        conv = subprocess.run(["srec_cat", out, kind, "-offset", str(-base), "-o", back,
                               "-binary"], capture_output=True, text=True)
        ok = res.returncode == 0 and conv.returncode == 0 and open(back, "rb").read() == want
        check(ok, f"{name}: {fmt} converted back by srec_cat is the image"
                  + ("" if ok else f" ({res.stderr.strip()} {conv.stderr.strip()})"))


def main():
    dfuscope = sys.argv[1]
    tools.require("srec_cat")
    if not os.path.exists(os.path.join(CAPS, "seed-cubeprogrammer-ob-write.pcapng")):
        tools.fail(f"no reference captures in {CAPS} (they are part of the sources)")
    seed(dfuscope)
    returns(dfuscope)
    rejected(dfuscope)
    with tempfile.TemporaryDirectory() as tmp:
        clean(dfuscope, "dfuse-dfu-util-download-leave", 5000, 0x08000000, tmp)
        clean(dfuscope, "dfu11-dfu-util-upload-download", 3000, 0, tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
