#!/usr/bin/env python3
"""The reference captures in fixtures/captures/:
 - regenerating them (fixtures/captures/generate.sh) gives the same bytes;
 - tshark reads each without a malformed packet, and with Wireshark's DFU
   dissector forced on (Decode As) flags only what that dissector cannot
   parse in any real capture either (data-less error completions and the
   zero-length DNLOAD that ends a download);
 - `dfuscope decode --urbs --json` agrees with tshark on every record;
 - each is small, and listed in fixtures/captures/README.md;
 - each ends with one interface statistics block (capinfos counts it) whose
   isb_endtime is not before the last record; the seed's is 10 s after the
   failure, and `dfuscope diagnose` says so: the device did not come back
   within 10 s. The same capture as classic pcap (editcap, which has no
   place for the end time) gets the old "too soon to see" wording, and
   every other capture is diagnosed the same in both forms.

usage: test_emulate_captures.py DFUSCOPE"""
import glob
import json
import os
import struct
import subprocess
import sys

import emu
import tshark_compare

MAX_BYTES = 64 * 1024
# The ESP32-S2 ROM takes 64-byte blocks and mkdfu.py pads every image to
# 10240 bytes: 160 DNLOAD/GETSTATUS pairs, about 87 KB, for the smallest
# download there is.
MAX_BYTES_ESP = 96 * 1024


def captures():
    found = sorted(glob.glob(os.path.join(emu.CAPTURES_DIR, "*.pcapng")))
    assert found, "no captures in " + emu.CAPTURES_DIR
    return found


def every_cmd_has_a_capture(tmp):
    cmds = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(emu.CAPTURES_DIR, "*.cmd")))
    caps = sorted(os.path.basename(p)[:-7] for p in captures())
    assert cmds == caps, (cmds, caps)
    readme = open(os.path.join(emu.CAPTURES_DIR, "README.md")).read()
    for name in caps:
        emu.assert_in(f"{name}.pcapng", readme, "README.md")
        limit = MAX_BYTES_ESP if name.startswith("esp32s2-") else MAX_BYTES
        assert os.path.getsize(os.path.join(emu.CAPTURES_DIR, name + ".pcapng")) <= limit, name


def regenerate_same_bytes(tmp):
    out = os.path.join(tmp, "out")
    r = subprocess.run(["bash", os.path.join(emu.CAPTURES_DIR, "generate.sh"), "--build",
                        emu.BUILD_DIR, "--out", out], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    differ = []
    for path in captures():
        name = os.path.basename(path)
        again = os.path.join(out, name)
        if name.startswith(("fwupd-", "pydfu-", "zephyr-")):
            # fwupd and the pydfu.py-like host ask again at once after a
            # reply that says poll 1 ms, and take about that long to do so:
            # whether the gap counts as the wait (docs/emulation.md "Time")
            # changes from run to run. Zephyr announces 8 ms with every
            # reply, and a slow run (ASan, load) can take that long between
            # a reply and the next block although dfu-util did not sleep.
            # The records must be the same, their times may move by the poll.
            if urbs_without_time(path) != urbs_without_time(again):
                differ.append(name)
            continue
        if open(path, "rb").read() != open(again, "rb").read():
            differ.append(name)
    assert not differ, f"regenerated captures differ: {differ}\n{r.stdout}"


def urbs_without_time(path):
    """`dfuscope decode --urbs` without the time column and the summary line."""
    r = subprocess.run([emu.dfuscope(), "decode", "--urbs", path], capture_output=True, text=True,
                       check=True)
    return [line.split(None, 2)[2] for line in r.stdout.splitlines()
            if len(line.split()) > 2 and line.split()[0].isdigit()]


def tshark_fields(path, fields, extra=()):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t"] + list(extra)
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [line.split("\t") for line in r.stdout.splitlines()]


def tshark_not_malformed(tmp):
    for path in captures():
        bad = tshark_fields(path, ["frame.number"],
                            ["-Y", "_ws.malformed || _ws.expert.severity == \"Error\""])
        assert not bad, f"{path}: frames tshark finds malformed or in error: {bad}"
        # and tshark sees every record
        n = len(tshark_fields(path, ["frame.number"]))
        ours = subprocess.run([emu.dfuscope(), "decode", "--urbs", "--json", path],
                              capture_output=True, text=True, check=True).stdout.count("\n")
        assert n == ours and n > 0, (path, n, ours)


def tshark_dfu_dissector(tmp):
    decode_as = ["-d", "usb.product==0x0483df11,usbdfu", "-d", "usb.product==0x12090001,usbdfu",
                 "-d", "usb.product==0x28e90189,usbdfu", "-d", "usb.product==0x2fe3ffff,usbdfu",
                 "-d", "usb.product==0x03eb2ff4,usbdfu",  # the Atmel FLIP model (class 0/0/0)
                 "-d", "usb.product==0xcafe4000,usbdfu",  # tinyusb-dfu
                 "-d", "usb.product==0x303a0002,usbdfu"]  # esp32s2-rom
    for path in captures():
        rows = tshark_fields(path, ["frame.number", "usb.urb_id", "usb.urb_type", "usb.urb_status",
                                    "usb.bmRequestType", "usbdfu.command", "usbdfu.length",
                                    "usbdfu.response"], decode_as)
        malformed = {r[0] for r in tshark_fields(path, ["frame.number"],
                                                 decode_as + ["-Y", "_ws.malformed"])}
        submits = {}
        dfu_frames = 0
        for frame, urb, typ, status, rtype, req, wlen, resp in ((r + [""] * 8)[:8] for r in rows):
            typ = typ.strip("'")
            if typ == "S":
                submits[urb] = (rtype, req, wlen)
            if req:
                dfu_frames += 1
            if frame not in malformed:
                continue
            zero_dnload = submits.get(urb) == ("0x21", "1", "0")  # DNLOAD, wLength 0
            error_completion = typ == "C" and status not in ("0", "")
            assert zero_dnload or error_completion, (
                f"{os.path.basename(path)} frame {frame}: Wireshark's DFU dissector finds it "
                f"malformed (status {status}, request {submits.get(urb)})")
        # the same DFU requests as dfuscope finds
        ours = subprocess.run([emu.dfuscope(), "decode", "--json", path], capture_output=True,
                              text=True, check=True).stdout.count('"dfu":true')
        assert dfu_frames == ours, f"{path}: tshark {dfu_frames} DFU requests, dfuscope {ours}"


def decode_agrees_with_tshark(tmp):
    bad = {}
    for path in captures():
        diffs = tshark_compare.compare(emu.dfuscope(), path)
        if diffs:
            bad[os.path.basename(path)] = diffs[:5]
    assert not bad, bad


def isb_and_last_record(path):
    """(isb_endtime, last record time) in ns, read from the pcapng blocks here
    (little-endian, one interface with if_tsresol 9, as dfuscope writes)."""
    d = open(path, "rb").read()
    off, last, ends = 0, None, []
    while off < len(d):
        btype, blen = struct.unpack_from("<II", d, off)
        if btype == 6:
            hi, lo = struct.unpack_from("<II", d, off + 12)
            last = (hi << 32) | lo
        elif btype == 5:
            o = off + 20
            while o + 4 <= off + blen - 4:
                code, olen = struct.unpack_from("<HH", d, o)
                if code == 0:
                    break
                if code == 3:
                    hi, lo = struct.unpack_from("<II", d, o + 4)
                    ends.append((hi << 32) | lo)
                o += 4 + ((olen + 3) & ~3)
        off += blen
    assert len(ends) == 1, (path, ends)
    return ends[0], last


def diagnose_json(path):
    r = subprocess.run([emu.dfuscope(), "diagnose", "--json", path], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def end_time(tmp):
    have_capinfos = subprocess.run(["sh", "-c", "command -v capinfos && command -v editcap"],
                                   capture_output=True).returncode == 0
    for path in captures():
        name = os.path.basename(path)
        end, last = isb_and_last_record(path)
        assert end >= last, (name, end, last)
        if have_capinfos:
            info = subprocess.run(["capinfos", path], capture_output=True, text=True,
                                  check=True).stdout
            emu.assert_in("Number of stat entries = 1", info, f"capinfos {name}")
        got = diagnose_json(path)
        assert abs(got["summary"]["capture_end"] - end / 1e9) < 1e-5, (name, got["summary"])
        if not have_capinfos:
            continue
        # the same capture as classic pcap: no end time
        classic = os.path.join(tmp, name[:-7] + ".pcap")
        subprocess.run(["editcap", "-F", "nsecpcap", path, classic], check=True)
        old = diagnose_json(classic)
        assert old["summary"]["capture_end"] is None, name
        if name != "seed-cubeprogrammer-ob-write.pcapng":
            for o in (got, old):
                o.pop("file")
                o["summary"].pop("capture_end")
            assert got == old, f"{name}: the end time changed the diagnosis"
            continue
        # the seed: the host gave up after 10 s; nothing was recorded meanwhile
        # (the last record is the root hub's port status, 0.3 s after the failure)
        assert 9.5e9 < end - last < 10e9, (end, last)
        f = [x for x in got["findings"] if x["id"] == "dfuse.option-bytes-reset"]
        assert len(f) == 1, got["findings"]
        emu.assert_in("The capture went on for 10.0 s after the failure without the device "
                      "coming back", f[0]["explanation"], "seed explanation")
        emu.assert_in("the last record is 0.3 s after the failure", f[0]["explanation"],
                      "seed explanation")
        emu.assert_in("The chip did not re-enumerate in DFU mode within 10 s",
                      f[0]["remedy"], "seed remedy")
        f = [x for x in old["findings"] if x["id"] == "dfuse.option-bytes-reset"]
        emu.assert_in("The capture ends 0.3 s after the failure, too soon to see whether it "
                      "comes back", f[0]["explanation"], "seed as pcap")


def main():
    emu.need("tshark")
    checks = [every_cmd_has_a_capture, tshark_not_malformed, tshark_dfu_dissector,
              decode_agrees_with_tshark, end_time]
    if "--no-regenerate" not in sys.argv:
        emu.need("dfu-util", "lsusb", "fwupdtool", "dfuse-pack", "dfu-suffix")
        emu.need_bridge()
        checks.insert(1, regenerate_same_bytes)
    emu.run_checks(checks)


if __name__ == "__main__":
    main()
