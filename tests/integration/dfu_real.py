#!/usr/bin/env python3
"""The DFU layer on real captures made by others.

1. stm32_dfu_install.pcap (dfu-util flashing an STM32 DfuSe bootloader,
   recorded on the wire): `dfuscope decode --dfu --json` gives its whole
   DfuSe transaction list. The expected list is rebuilt here independently
   from tshark's raw setup fields and payloads (DfuSe rules of AN3156:
   block 0 carries a command, blocks >= 2 are data at pointer + (n-2) *
   wTransferSize), and must match: every erase, set-address, data block with
   its address and length, the dfuERROR and CLRSTATUS at the start, the leave.
2. `dfuscope extract` rebuilds exactly the bytes of those data blocks, as
   binary, Intel HEX and S-records (the last two converted back with
   srec_cat, a real converter).
3. The audio capture (usbrevue-handset.pcap, whose SET_CUR requests share
   bRequest 1 with DNLOAD) yields no DFU transaction at all.

usage: dfu_real.py DFUSCOPE"""
import json
import os
import subprocess
import sys
import tempfile

import tools

DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
STM32 = os.path.join(DATA, "real", "stm32_dfu_install.pcap")
AUDIO = os.path.join(DATA, "real", "usbrevue-handset.pcap")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tshark_dfu_requests(path):
    """Class requests to interface 0 from tshark, in frame order."""
    fields = ["frame.number", "usb.urb_type", "usb.bmRequestType", "usb.setup.bRequest",
              "usb.setup.wValue", "usb.setup.wLength", "usb.data_fragment"]
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = run(cmd, check=True).stdout
    rows = []
    for line in out.splitlines():
        c = line.split("\t") + [""] * 7
        if c[1].strip("'") != "S" or c[2] not in ("0x21", "0xa1") or not c[3]:
            continue
        rows.append({"frame": int(c[0]), "rt": int(c[2], 16), "req": int(c[3]),
                     "wValue": int(c[4], 16) if c[4] else 0, "wLength": int(c[5] or 0),
                     "data": bytes.fromhex(c[6].replace(":", "")) if c[6] else b""})
    return rows


def expected_from_tshark(rows):
    """DfuSe operations rebuilt from raw requests: (kind, address, length)."""
    ops, image = [], {}
    ptr, xfer = None, 2048
    for r in rows:
        if r["rt"] == 0x21 and r["req"] == 1 and r["wValue"] == 0 and r["data"]:
            cmd = r["data"][0]
            addr = int.from_bytes(r["data"][1:5], "little") if len(r["data"]) >= 5 else None
            kind = {0x21: "SET_ADDRESS", 0x41: "ERASE"}.get(cmd, hex(cmd))
            ops.append((r["frame"], kind, addr, None))
            if cmd == 0x21:
                ptr = addr
        elif r["rt"] == 0x21 and r["req"] == 1 and r["wValue"] >= 2 and r["wLength"]:
            addr = ptr + (r["wValue"] - 2) * xfer
            ops.append((r["frame"], "DATA", addr, r["wLength"]))
            for i, b in enumerate(r["data"]):
                image[addr + i] = b
        elif r["rt"] == 0x21 and r["req"] == 1 and r["wLength"] == 0:
            ops.append((r["frame"], "LEAVE", None, 0))
        elif r["rt"] == 0x21 and r["req"] == 4:
            ops.append((r["frame"], "CLRSTATUS", None, None))
    return ops, image


def ours(dfuscope, path):
    res = run([dfuscope, "decode", "--dfu", "--json", path])
    assert res.returncode == 0, res.stderr
    return [json.loads(l) for l in res.stdout.splitlines()]


def check_stm32(dfuscope, tmp):
    txns = ours(dfuscope, STM32)
    got = []
    for t in txns:
        if t["request"] == "DNLOAD" and t["command"]:
            got.append((t["frame"], t["command"], t["address"], None))
        elif t["request"] == "DNLOAD" and t["leave"]:
            got.append((t["frame"], "LEAVE", None, 0))
        elif t["request"] == "DNLOAD":
            got.append((t["frame"], "DATA", t["address"], t["wLength"]))
        elif t["request"] == "CLRSTATUS":
            got.append((t["frame"], "CLRSTATUS", None, None))
    want, image = expected_from_tshark(tshark_dfu_requests(STM32))
    if got != want:
        for a, b in zip(got, want):
            if a != b:
                print(f"first difference: dfuscope {a} expected {b}")
                break
        print(f"dfuscope {len(got)} operations, expected {len(want)}")
        return False
    kinds = [g[1] for g in got]
    # the session's shape, checked by hand against the capture's description
    assert kinds.count("ERASE") >= 8 and kinds.count("SET_ADDRESS") >= 4, kinds
    assert sorted({g[3] for g in got if g[1] == "DATA"}) == [404, 996, 2048], got
    assert kinds[0] == "CLRSTATUS" and kinds[-1] == "LEAVE", kinds
    first = txns[0]
    assert first["request"] == "GETSTATUS" and first["state"] == "dfuERROR" \
        and first["bStatus"] == 0x0A, first
    manifest = [t for t in txns if t["state"] == "dfuMANIFEST"]
    assert manifest, "no dfuMANIFEST after the leave"
    print(f"ok   {os.path.basename(STM32)}: {len(got)} DfuSe operations match tshark")

    # extract: byte-exact against the payloads tshark shows
    lo, hi = min(image), max(image) + 1
    want_bin = bytes(image.get(a, 0xFF) for a in range(lo, hi))
    for fmt, ext in (("bin", "bin"), ("ihex", "hex"), ("srec", "srec")):
        out = os.path.join(tmp, "image." + ext)
        res = run([dfuscope, "extract", STM32, "-o", out, "--format", fmt])
        assert res.returncode == 0, res.stderr
        if fmt == "bin":
            data = open(out, "rb").read()
        else:
            conv = os.path.join(tmp, "conv-" + ext + ".bin")
            r = run(["srec_cat", out, "-Intel" if fmt == "ihex" else "-Motorola",
                     "-fill", "0xff", hex(lo), hex(hi), "-offset", hex(-lo),
                     "-o", conv, "-Binary"])
            assert r.returncode == 0, r.stderr
            data = open(conv, "rb").read()
        if data != want_bin:
            print(f"FAIL extract --format {fmt}: {len(data)} bytes, expected {len(want_bin)}")
            return False
        print(f"ok   extract --format {fmt}: {len(data)} bytes identical")
    assert "gap      0x08001994-0x08001fff" in res.stderr, res.stderr
    return True


def check_audio(dfuscope):
    txns = ours(dfuscope, AUDIO)
    if txns:
        print(f"FAIL {AUDIO}: {len(txns)} DFU transactions in an audio capture")
        return False
    res = run([dfuscope, "diagnose", "--json", AUDIO])
    d = json.loads(res.stdout)
    if any(dev["dfu"] for dev in d["devices"]) or d["summary"]["dfu_transactions"]:
        print(f"FAIL {AUDIO}: a DFU device was reported")
        return False
    print(f"ok   {os.path.basename(AUDIO)}: no DFU transaction")
    return True


def main():
    tools.require("tshark", "srec_cat")
    dfuscope = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        ok = check_stm32(dfuscope, tmp) & check_audio(dfuscope)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
