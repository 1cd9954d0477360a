#!/usr/bin/env python3
"""The same traffic in every file form decodes the same.

Each real capture is rewritten (tests/tools/dfs_rewrite: dfs_usbmon_encode
and the capture writer) as pcap and pcapng, little- and big-endian, link type
189 and 220: eight files. dfuscope's `decode`, `decode --json`,
`decode --urbs --json`, `decode --dfu --json`, `descriptors`,
`descriptors --json` and `diagnose --json` output, exit status and messages
on standard error must be the same for each of them as for the
original, except for what a form cannot hold:

  * link type 189 has a 48-byte header without interval, start_frame,
    xfer_flags and ndesc, so `decode --urbs --json` leaves those four keys
    out; everything else, data_length included, is the same (the
    isochronous descriptors stay before the data in both forms, as usbmon
    writes them, and len_cap counts them);
  * the file name in messages and in `descriptors --json`;
  * pcap has no place for when the capture stopped (a pcapng interface
    statistics block): rewritten as pcap, `diagnose --json` has
    `capture_end` null where the original has a time. Rewritten as pcapng
    the end time is carried over and must be the same.

Two checks keep this from passing vacuously: each rewritten file's header is
read here (magic, byte order, link type) to prove it is in the form asked
for, and tshark must see the same URB fields, isochronous descriptors and
data in each rewritten file as in the original.

usage: byte_order_invariance.py DFUSCOPE CAPTURE...   ($DFS_REWRITE: the rewriter)"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import tools

FORMS = [(fmt, order, lt) for fmt in ("pcap", "pcapng") for order in ("little", "big")
         for lt in (189, 220)]
MMAPPED_ONLY = ("interval", "start_frame", "xfer_flags", "ndesc")
TSHARK_FIELDS = [
    "frame.number", "frame.time_epoch", "usb.urb_id", "usb.urb_type", "usb.transfer_type",
    "usb.bus_id", "usb.device_address", "usb.endpoint_address", "usb.setup_flag",
    "usb.data_flag", "usb.urb_status", "usb.urb_len", "usb.data_len", "usb.bmRequestType",
    "usb.setup.bRequest", "usb.iso.error_count", "usb.iso.iso_status", "usb.iso.iso_off",
    "usb.iso.iso_len", "usb.iso.data", "usb.capdata", "usb.bDescriptorType", "usb.idVendor",
    "usb.wTotalLength", "usb.bInterfaceClass",
]


def run(args):
    r = subprocess.run(args, capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def outputs(dfuscope, path):
    """name -> (exit status, stdout, stderr) with the path made neutral"""
    res = {}
    for name, args in (("decode", ["decode"]), ("decode --json", ["decode", "--json"]),
                       ("decode --urbs --json", ["decode", "--urbs", "--json"]),
                       ("decode --dfu --json", ["decode", "--dfu", "--json"]),
                       ("descriptors", ["descriptors"]),
                       ("descriptors --json", ["descriptors", "--json"]),
                       ("diagnose --json", ["diagnose", "--json"])):
        rc, out, err = run([dfuscope] + args + [path])
        out = out.replace(json.dumps(path), '"CAPTURE"')
        if name == "diagnose --json":
            rc = 0 if rc == 1 else rc  # 1: error findings, not a failure here
        res[name] = (rc, out, err.replace(path, "CAPTURE"))
    return res


def drop_mmapped_keys(text):
    lines = []
    for line in text.splitlines():
        o = json.loads(line)
        for k in MMAPPED_ONLY:
            o.pop(k, None)
        lines.append(o)
    return lines


def file_form(path):
    """(format, byte order, link type) read from the file itself"""
    with open(path, "rb") as f:
        head = f.read(4096)
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "pcap", "little", struct.unpack_from("<I", head, 20)[0]
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return "pcap", "big", struct.unpack_from(">I", head, 20)[0]
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        shb_len = struct.unpack_from(e + "I", head, 4)[0]
        btype, _ = struct.unpack_from(e + "II", head, shb_len)
        if btype != 1:
            return "pcapng", "?", None
        lt = struct.unpack_from(e + "H", head, shb_len + 8)[0]
        return "pcapng", "little" if e == "<" else "big", lt
    return "?", "?", None


def tshark_view(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def first_difference(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(al, bl)):
        if x != y:
            return f"line {i + 1}:\n      original  {x[:200]}\n      rewritten {y[:200]}"
    return f"{len(al)} lines against {len(bl)}"


def check_capture(dfuscope, rewrite, path, tmp):
    failures = []
    base = outputs(dfuscope, path)
    for name, (rc, out, _) in base.items():
        if rc != 0 or (not out and name != "decode --dfu --json"):
            failures.append(f"{path}: {name} on the original: exit {rc}, {len(out)} bytes")
    base_tshark = tshark_view(path)
    for fmt, order, lt in FORMS:
        before = len(failures)
        form = f"{fmt} {order}-endian {lt}"
        out_path = os.path.join(tmp, f"rewritten.{fmt}")
        rc, _, err = run([rewrite, path, out_path, fmt, order, str(lt)])
        if rc != 0:
            failures.append(f"{path} as {form}: rewrite failed: {err.strip()}")
            continue
        got_form = file_form(out_path)
        if got_form != (fmt, order, lt):
            failures.append(f"{path} as {form}: the file is {got_form}")
            continue
        new = outputs(dfuscope, out_path)
        for name in base:
            b, n = base[name], new[name]
            if name == "decode --urbs --json" and lt == 189:
                if b[0] != n[0] or drop_mmapped_keys(b[1]) != drop_mmapped_keys(n[1]):
                    failures.append(f"{path} as {form}: {name} differs beyond the four "
                                    f"64-byte-header keys")
                if any(f'"{k}":' in n[1] for k in MMAPPED_ONLY):
                    failures.append(f"{path} as {form}: {name} shows 64-byte header keys")
                continue
            if b[0] != n[0]:
                failures.append(f"{path} as {form}: {name}: exit {n[0]}, original {b[0]}")
            if name == "diagnose --json" and fmt == "pcap":
                bo, no = json.loads(b[1]), json.loads(n[1])
                if no["summary"]["capture_end"] is not None:
                    failures.append(f"{path} as {form}: pcap cannot hold an end time, but "
                                    f"diagnose --json says {no['summary']['capture_end']}")
                bo["summary"]["capture_end"] = None
                b = (b[0], json.dumps(bo) + "\n", b[2])
                n = (n[0], json.dumps(no) + "\n", n[2])
            if b[1] != n[1]:
                failures.append(f"{path} as {form}: {name} differs at "
                                f"{first_difference(b[1], n[1])}")
            if b[2] != n[2]:
                failures.append(f"{path} as {form}: {name}: standard error differs at "
                                f"{first_difference(b[2], n[2])}")
        t = tshark_view(out_path)
        if t != base_tshark:
            failures.append(f"{path} as {form}: tshark sees other traffic, at "
                            f"{first_difference(base_tshark, t)}")
        print(f"{'FAIL' if len(failures) > before else 'ok  '} {os.path.basename(path)} as {form}")
    return failures


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    dfuscope, paths = sys.argv[1], sys.argv[2:]
    rewrite = os.environ.get("DFS_REWRITE")
    if not rewrite or not os.access(rewrite, os.X_OK):
        print("DFS_REWRITE must name the dfs_rewrite helper")
        sys.exit(2)
    # the cross-check is what keeps the test from passing vacuously
    tools.require("tshark")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for p in paths:
            failures += check_capture(dfuscope, rewrite, p, tmp)
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
