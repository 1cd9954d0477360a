#!/usr/bin/env python3
"""Compare `dfuscope decode --urbs --json` with tshark, record by record.

From tshark's USB fields: time stamp, URB id, type, transfer type, bus,
device, endpoint, setup and data flags, status, URB length, data length,
isochronous error count and descriptor count, the 64-byte header's interval,
start frame, transfer flags and ndesc, the setup fields, and which submit a
completion answers (Wireshark's "Request in", where it shows one). From
tshark's raw frame bytes: the setup bytes and the data bytes themselves.

usage: tshark_compare.py DFUSCOPE CAPTURE...
Exits 1 when any capture differs, printing the differences (at most 40 per
capture); and fails when tshark is not installed (scripts/test installs it)."""
import json
import os
import subprocess
import sys
from decimal import Decimal

import tools

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.encap_type", "usb.urb_id", "usb.urb_type",
    "usb.transfer_type", "usb.bus_id", "usb.device_address", "usb.endpoint_address",
    "usb.setup_flag", "usb.data_flag", "usb.urb_status", "usb.urb_len", "usb.data_len",
    "usb.iso.error_count", "usb.iso.numdesc", "usb.interval", "usb.start_frame",
    "usb.copy_of_transfer_flags", "usb.request_in",
    "usb.bmRequestType", "usb.setup.bRequest", "usb.setup.wValue", "usb.setup.wIndex",
    "usb.setup.wLength",
]
# Wireshark's encapsulation numbers (wtap.h) of the two usbmon link types
ENCAP_USB_LINUX = 95
ENCAP_USB_LINUX_MMAPPED = 115


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows[int(cols[0])] = dict(zip(FIELDS, cols))
    return rows


def tshark_raw(path):
    """frame number -> the frame's bytes, as tshark read them"""
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "json", "-x", "-j", "frame"],
                         check=True, capture_output=True, text=True).stdout
    raw = {}
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        raw[int(layers["frame"]["frame.number"])] = bytes.fromhex(layers["frame_raw"][0])
    return raw


def occurrences(s):
    return [x for x in s.split(",") if x != ""]


def num(s, which=0):
    """A number from a tshark field; which picks an occurrence (-1 = last)."""
    occ = occurrences(s.strip())
    if not occ:
        return None
    v = occ[which].strip().strip("'")
    return int(v, 0)


def char(s):
    """tshark prints FT_CHAR fields as 'x', '\\0' or '\\xNN'."""
    s = s.strip()
    if s.startswith("'") and s.endswith("'"):
        s = s[1:-1]
    if s == "":
        return None
    if s == "\\0":
        return 0
    if s.startswith("\\x"):
        return int(s[2:], 16)
    if s.startswith("\\") and len(s) > 1 and s[1:].isdigit():
        return int(s[1:], 8)
    if s.startswith("\\") and len(s) == 2:
        return {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
                "\\": 92, "'": 39}.get(s[1], ord(s[1]))
    return ord(s[0])


def run_dfuscope(dfuscope, path):
    res = subprocess.run([dfuscope, "decode", "--urbs", "--json", path], capture_output=True,
                         text=True)
    if res.returncode != 0:
        return None, f"dfuscope exited {res.returncode}: {res.stderr.strip()}"
    ours = {}
    for n, line in enumerate(res.stdout.splitlines(), 1):
        try:
            o = json.loads(line, parse_float=Decimal)
        except ValueError as e:
            return None, f"output line {n} is not JSON: {e}: {line[:120]}"
        ours[o["frame"]] = o
    return ours, None


def compare_record(frame, o, t, raw):
    diffs = []

    def check(key, got, want):
        if got != want:
            diffs.append(f"frame {frame}: {key}: dfuscope {got!r} tshark {want!r}")

    encap = num(t["frame.encap_type"])
    mmapped = encap == ENCAP_USB_LINUX_MMAPPED
    check("time", Decimal(str(o.get("time"))), Decimal(t["frame.time_epoch"] or "NaN"))
    check("urb_id", int(o["urb_id"], 16), num(t["usb.urb_id"]))
    check("type", o.get("type"), t["usb.urb_type"].strip("'"))
    check("xfer", o.get("xfer"), {0: "iso", 1: "interrupt", 2: "control", 3: "bulk"}.get(
        num(t["usb.transfer_type"])))
    check("bus", o.get("bus"), num(t["usb.bus_id"]))
    check("device", o.get("device"), num(t["usb.device_address"]))
    check("endpoint", o.get("endpoint"), num(t["usb.endpoint_address"]))
    check("flag_setup", o.get("flag_setup"), char(t["usb.setup_flag"]))
    check("flag_data", o.get("flag_data"), char(t["usb.data_flag"]))
    check("status", o.get("status"), num(t["usb.urb_status"]))
    check("length", o.get("length"), num(t["usb.urb_len"]))
    check("data_length", o.get("data_length"), num(t["usb.data_len"]))
    # Wireshark links every control completion to its submit but leaves
    # some interrupt completions unlinked (umockdev-usbkbd frame 78, killed
    # with -ENOENT 28 frames after its submit): there only a link it does
    # show must match
    request_in = num(t["usb.request_in"])
    if request_in is not None or o.get("xfer") == "control":
        check("link_frame", o.get("link_frame"), request_in)

    iso = o.get("xfer") == "iso" and "setup" not in o
    if iso:
        check("iso_error_count", o.get("iso_error_count"), num(t["usb.iso.error_count"]))
        check("iso_numdesc", o.get("iso_numdesc"), num(t["usb.iso.numdesc"], 0))
    check("mmapped fields present", "interval" in o, mmapped)
    ndesc = 0
    if mmapped:
        check("interval", o.get("interval"), num(t["usb.interval"]))
        sf = o.get("start_frame")
        check("start_frame", None if sf is None else sf & 0xffffffff, num(t["usb.start_frame"]))
        check("xfer_flags", o.get("xfer_flags"), num(t["usb.copy_of_transfer_flags"]))
        # tshark shows "Number of ISO descriptors" twice for isochronous
        # records (iso_numdesc, then ndesc), once for the others (ndesc)
        ndesc = num(t["usb.iso.numdesc"], -1) or 0
        check("ndesc", o.get("ndesc"), ndesc)
    elif iso:
        ndesc = max(0, min(num(t["usb.iso.numdesc"], 0) or 0, 128))

    if "setup" in o and num(t["usb.bmRequestType"]) is not None:
        s = bytes.fromhex(o["setup"])
        setup = {
            "usb.bmRequestType": s[0],
            "usb.setup.bRequest": s[1],
            "usb.setup.wValue": s[2] | s[3] << 8,
            "usb.setup.wIndex": s[4] | s[5] << 8,
            "usb.setup.wLength": s[6] | s[7] << 8,
        }
        for f, v in setup.items():
            tv = num(t[f])
            if tv is not None:
                check(f, v, tv)

    if raw is not None:
        # tshark decodes wValue and wIndex under request-specific names
        # (usb.DescriptorIndex, usb.LanguageId...): compare all eight setup
        # bytes with the frame's own, whenever the setup flag says they are there
        if char(t["usb.setup_flag"]) == 0:
            check("setup", o.get("setup"), raw[40:48].hex())
        hdr = 64 if mmapped else 48
        tail = raw[hdr + 16 * ndesc:]
        data = bytes.fromhex(o.get("data", ""))
        check("captured", o.get("captured"), len(tail))
        if data != tail:
            diffs.append(f"frame {frame}: data: dfuscope {data[:16].hex()}... tshark "
                         f"{tail[:16].hex()}... ({len(data)} and {len(tail)} bytes)")
    return diffs


def compare(dfuscope, path):
    ours, err = run_dfuscope(dfuscope, path)
    if err:
        return [err]
    theirs = tshark_rows(path)
    raw = tshark_raw(path)
    diffs = []
    if not theirs:
        return ["tshark read no records"]
    if set(ours) != set(theirs):
        missing = sorted(set(theirs) - set(ours))[:10]
        extra = sorted(set(ours) - set(theirs))[:10]
        diffs.append(f"frame sets differ: missing {missing} extra {extra}")
    for frame in sorted(set(ours) & set(theirs)):
        diffs += compare_record(frame, ours[frame], theirs[frame], raw.get(frame))
    return diffs


def main():
    tools.require("tshark")
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    dfuscope, paths = sys.argv[1], sys.argv[2:]
    failed = False
    for p in paths:
        diffs = compare(dfuscope, p)
        if diffs:
            failed = True
            print(f"FAIL {p}: {len(diffs)} differences")
            for d in diffs[:40]:
                print("  " + d)
        else:
            print(f"ok   {p}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    main()
