#!/usr/bin/env python3
"""One session, every capture format: the same diagnosis.

Each emulated-device reference capture (fixtures/captures/, Linux usbmon) is
rendered as a Windows USBPcap capture (link type 249) and as a macOS
USB_DARWIN capture (266), one record for one (tests/tools/dfs_rewrite with
dfs_usbpcap_encode and dfs_darwin_encode: the same records `dfuscope emulate
--link-type` writes), and `diagnose --json` must give the same findings in
each: the same ids, the same severities, in the same order, naming the same
frames. The DFU transactions of `decode --dfu --json` must be the same too
(request, outcome, state, status and their frames).

Then one session is run through `dfuscope emulate --link-type` in all three
formats (when the build has the emulation helper) and its three captures
must diagnose alike.

usage: formats_diagnose.py DFUSCOPE"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import tools

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FORMATS = {249: "usbpcap", 266: "darwin"}


def diagnosis(dfuscope, path):
    res = subprocess.run([dfuscope, "diagnose", "--json", path], capture_output=True, text=True)
    if res.returncode not in (0, 1):
        tools.fail(f"diagnose {path}: exit {res.returncode}: {res.stderr}")
    j = json.loads(res.stdout)
    return [(f["id"], f["severity"], tuple(f.get("frames", [])), f.get("frame"))
            for f in j["findings"]]


def dfu_txns(dfuscope, path):
    res = subprocess.run([dfuscope, "decode", "--dfu", "--json", path], capture_output=True,
                         text=True)
    out = []
    for line in res.stdout.splitlines():
        t = json.loads(line)
        out.append({k: t.get(k) for k in ("frame", "reply_frame", "request", "outcome",
                                          "usb_status", "state_after", "status", "length",
                                          "data")})
    return out


def compare(dfuscope, base, other, what):
    failed = False
    a, b = diagnosis(dfuscope, base), diagnosis(dfuscope, other)
    if a != b:
        print(f"FAIL {what}: findings differ")
        for x, y in zip(a + [None] * len(b), b + [None] * len(a)):
            if x != y:
                print(f"  usbmon {x}\n  {what.split()[-1]:6} {y}")
                break
        failed = True
    ta, tb = dfu_txns(dfuscope, base), dfu_txns(dfuscope, other)
    if ta != tb:
        print(f"FAIL {what}: DFU transactions differ ({len(ta)} and {len(tb)})")
        failed = True
    if not failed:
        print(f"ok   {what}: {len(a)} findings, {len(ta)} DFU transactions alike")
    return failed


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    dfuscope = sys.argv[1]
    rewrite = os.environ.get("DFS_REWRITE")
    if not rewrite or not os.access(rewrite, os.X_OK):
        tools.fail("DFS_REWRITE does not name the dfs_rewrite helper")
    caps = sorted(glob.glob(os.path.join(SRC, "fixtures", "captures", "*.pcap*")))
    if not caps:
        tools.fail("no reference captures in fixtures/captures")
    failed = False
    findings_seen = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cap in caps:
            name = os.path.basename(cap)
            findings_seen += len(diagnosis(dfuscope, cap))
            for lt, fmt in FORMATS.items():
                out = os.path.join(tmp, f"{name}.{fmt}.pcapng")
                subprocess.run([rewrite, cap, out, "pcapng", "little", str(lt)], check=True)
                failed |= compare(dfuscope, cap, out, f"{name} as {fmt}")
        if findings_seen == 0:
            print("FAIL the reference captures gave no findings: nothing was compared")
            failed = True
        # the emulator itself, when this build has its helper
        helper = os.path.join(os.environ.get("DFS_BUILD_DIR", ""), "libexec", "dfuscope",
                              "dfuscope-emulate")
        if os.access(helper, os.X_OK) and shutil.which("dfu-util"):
            env = dict(os.environ, DFS_EMULATE_HELPER=helper)
            image = os.path.join(tmp, "image-2048.bin")
            with open(image, "wb") as f:
                f.write(bytes(range(256)) * 8)
            paths = {}
            for fmt in ("usbmon", "usbpcap", "darwin"):
                paths[fmt] = os.path.join(tmp, f"emu-{fmt}.pcapng")
                # the fixture fault-zero-poll-timeout's session: dfu-util gives
                # up (exit 74) on a device that never stops being busy
                res = subprocess.run(
                    [dfuscope, "emulate", "dfuse-device", "--option", "zero-poll-timeout=1",
                     "--pcap", paths[fmt], "--link-type", fmt, "--", "dfu-util", "-a", "0",
                     "-s", "0x08000000", "-D", image], env=env, capture_output=True,
                    text=True)
                if res.returncode != 74:
                    print(f"FAIL emulate --link-type {fmt}: exit {res.returncode}: "
                          f"{res.stderr.strip()[:300]}")
                    failed = True
            if not failed:
                for fmt in ("usbpcap", "darwin"):
                    failed |= compare(dfuscope, paths["usbmon"], paths[fmt],
                                      f"emulate --link-type {fmt}")
        else:
            print("note: no emulation helper or dfu-util in this build: the emulator's "
                  "own rendering is not run here (integration.emulate covers the helper)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
