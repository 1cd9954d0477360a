#!/usr/bin/env python3
"""Compare `dfuscope decode --urbs --json` with tshark's USB fields, record by
record: URB id, type, transfer type, bus, device, endpoint, status, URB
length, data length and the setup fields tshark decodes generically.

usage: tshark_compare.py DFUSCOPE CAPTURE...
Exits 1 on the first capture that differs, printing every difference."""
import json
import os
import subprocess
import sys

FIELDS = [
    "frame.number", "usb.urb_id", "usb.urb_type", "usb.transfer_type", "usb.bus_id",
    "usb.device_address", "usb.endpoint_address", "usb.urb_status", "usb.urb_len",
    "usb.data_len", "usb.bmRequestType", "usb.setup.bRequest", "usb.setup.wValue",
    "usb.setup.wIndex", "usb.setup.wLength",
]


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    env = dict(os.environ)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows[int(cols[0])] = dict(zip(FIELDS, cols))
    return rows


def num(s):
    s = s.strip().strip("'")
    if s == "":
        return None
    return int(s, 0)


def compare(dfuscope, path):
    res = subprocess.run([dfuscope, "decode", "--urbs", "--json", path], capture_output=True,
                         text=True)
    if res.returncode != 0:
        return [f"dfuscope exited {res.returncode}: {res.stderr.strip()}"]
    ours = {}
    for line in res.stdout.splitlines():
        o = json.loads(line)
        ours[o["frame"]] = o
    theirs = tshark_rows(path)
    diffs = []
    if set(ours) != set(theirs):
        missing = sorted(set(theirs) - set(ours))[:10]
        extra = sorted(set(ours) - set(theirs))[:10]
        diffs.append(f"frame sets differ: missing {missing} extra {extra}")
    for frame in sorted(set(ours) & set(theirs)):
        o, t = ours[frame], theirs[frame]
        want = {
            "urb_id": num(t["usb.urb_id"]),
            "type": t["usb.urb_type"].strip("'"),
            "xfer": {0: "iso", 1: "interrupt", 2: "control", 3: "bulk"}.get(
                num(t["usb.transfer_type"])),
            "bus": num(t["usb.bus_id"]),
            "device": num(t["usb.device_address"]),
            "endpoint": num(t["usb.endpoint_address"]),
            "status": num(t["usb.urb_status"]),
            "length": num(t["usb.urb_len"]),
            "data_length": num(t["usb.data_len"]),
        }
        got = dict(o)
        got["urb_id"] = int(o["urb_id"], 16)
        for k, v in want.items():
            if got.get(k) != v:
                diffs.append(f"frame {frame}: {k}: dfuscope {got.get(k)!r} tshark {v!r}")
        if "setup" in o and num(t["usb.bmRequestType"]) is not None:
            s = bytes.fromhex(o["setup"])
            checks = {
                "usb.bmRequestType": s[0],
                "usb.setup.bRequest": s[1],
                "usb.setup.wValue": s[2] | s[3] << 8,
                "usb.setup.wIndex": s[4] | s[5] << 8,
                "usb.setup.wLength": s[6] | s[7] << 8,
            }
            for f, v in checks.items():
                tv = num(t[f])
                if tv is not None and tv != v:
                    diffs.append(f"frame {frame}: {f}: dfuscope {v} tshark {tv}")
    return diffs


def main():
    import shutil
    if shutil.which("tshark") is None:
        print("SKIP: tshark is not installed (scripts/test installs it)")
        sys.exit(77)
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
    main()
