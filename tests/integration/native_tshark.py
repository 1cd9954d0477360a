#!/usr/bin/env python3
"""Windows USBPcap (link type 249) and macOS USB_DARWIN (266) captures
against tshark, in every file form.

Each capture is written again as classic pcap and as pcapng, each in both
byte orders (the USBPcap and USB_DARWIN headers stay little-endian: they are
the record's, not the file's), and for each form `dfuscope decode --urbs
--json` is compared record by record with tshark's USB dissector on the same
file. USBPcap: usb.usbpcap_header_len, usb.irp_id, usb.usbd_status,
usb.function, usb.irp_info.direction, usb.bus_id, usb.device_address,
usb.endpoint_address, usb.transfer_type, usb.data_len, usb.control_stage.
USB_DARWIN: usb.darwin.bcdVersion, header_len, request_type, io_len,
io_status, io_frame_count, io_id, location_id, usb.darwin_device_speed,
device_address, endpoint_address and endpoint_type. Both: the setup fields,
and the bytes after the header (setup packet, then data) against tshark's
raw frame. Then `diagnose --json` and `decode --json` must say the same for
every form.

usage: native_tshark.py DFUSCOPE CAPTURE...
Fails when tshark is missing (scripts/test installs it)."""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

import pcaputil
import tools

SETUP_FIELDS = ["usb.bmRequestType", "usb.setup.bRequest", "usb.setup.wLength"]
FIELDS = {
    249: ["frame.number", "usb.usbpcap_header_len", "usb.irp_id", "usb.usbd_status",
          "usb.function", "usb.irp_info.direction", "usb.bus_id", "usb.device_address",
          "usb.endpoint_address", "usb.transfer_type", "usb.data_len",
          "usb.control_stage"] + SETUP_FIELDS,
    266: ["frame.number", "usb.darwin.bcdVersion", "usb.darwin.header_len",
          "usb.darwin.request_type", "usb.darwin.io_len", "usb.darwin.io_status",
          "usb.darwin.io_frame_count", "usb.darwin.io_id", "usb.darwin.location_id",
          "usb.darwin_device_speed", "usb.darwin.device_address",
          "usb.darwin.endpoint_address", "usb.darwin.endpoint_type"] + SETUP_FIELDS,
}


def num(s):
    s = s.split(",")[0].strip()
    return int(s, 0) if s else None


def tshark(path, lt):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t"]
    for f in FIELDS[lt]:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t") + [""] * len(FIELDS[lt])
        rows[int(cols[0])] = {f: num(c) for f, c in zip(FIELDS[lt], cols)}
    raw = {}
    js = subprocess.run(["tshark", "-n", "-r", path, "-T", "json", "-x", "-j", "frame"],
                        check=True, capture_output=True, text=True).stdout
    for pkt in json.loads(js):
        layers = pkt["_source"]["layers"]
        raw[int(layers["frame"]["frame.number"])] = bytes.fromhex(layers["frame_raw"][0])
    return rows, raw


def ours(dfuscope, path, *args):
    res = subprocess.run([dfuscope, *args, path], capture_output=True, text=True)
    if res.returncode not in (0, 1):
        tools.fail(f"dfuscope {' '.join(args)} {path} exited {res.returncode}: {res.stderr}")
    return res.stdout


def usbpcap_fields(o):
    p = o.get("usbpcap")
    if p is None:
        return None, None
    return p["header_len"], {
        "usb.usbpcap_header_len": p["header_len"],
        "usb.irp_id": int(p["irp_id"], 16),
        "usb.usbd_status": p["usbd_status"],
        "usb.function": p["function"],
        "usb.irp_info.direction": p["info"] & 1,
        "usb.bus_id": o["bus"],
        "usb.device_address": o["device"],
        "usb.endpoint_address": o["endpoint"],
        "usb.transfer_type": p["transfer"],
        "usb.data_len": p["data_len"],
        "usb.control_stage": p.get("stage"),
    }


def darwin_fields(o):
    p = o.get("darwin")
    if p is None:
        return None, None
    return p["header_len"], {
        "usb.darwin.bcdVersion": p["version"],
        "usb.darwin.header_len": p["header_len"],
        "usb.darwin.request_type": {"S": 0, "C": 1}.get(o["type"]),
        "usb.darwin.io_len": p["io_len"],
        "usb.darwin.io_status": p["io_status"],
        "usb.darwin.io_frame_count": p["frame_count"],
        "usb.darwin.io_id": int(p["io_id"], 16),
        "usb.darwin.location_id": p["location"],
        "usb.darwin_device_speed": p["speed"],
        "usb.darwin.device_address": o["device"],
        "usb.darwin.endpoint_address": o["endpoint"],
        "usb.darwin.endpoint_type": p["endpoint_type"],
    }


def compare(dfuscope, path, lt):
    rows, raw = tshark(path, lt)
    recs = {}
    for line in ours(dfuscope, path, "decode", "--urbs", "--json").splitlines():
        o = json.loads(line)
        recs[o["frame"]] = o
    diffs = []
    if set(recs) != set(rows) or not rows:
        diffs.append(f"frames: dfuscope {len(recs)}, tshark {len(rows)}")
    for n in sorted(set(recs) & set(rows)):
        o, t = recs[n], rows[n]
        hdr, got = (usbpcap_fields if lt == 249 else darwin_fields)(o)
        if got is None:
            diffs.append(f"frame {n}: no fields of link type {lt}")
            continue
        setup = bytes.fromhex(o.get("setup", ""))
        if setup:
            got["usb.bmRequestType"] = setup[0]
            got["usb.setup.bRequest"] = setup[1]
            got["usb.setup.wLength"] = setup[6] | setup[7] << 8
        for f, v in got.items():
            # class requests: tshark names their setup fields otherwise
            # (the raw bytes below still compare them)
            if f in SETUP_FIELDS and t[f] is None:
                continue
            if v != t[f]:
                diffs.append(f"frame {n}: {f}: dfuscope {v!r} tshark {t[f]!r}")
        body = raw[n][hdr:]
        mine = setup + bytes.fromhex(o["data"])
        if mine != body:
            diffs.append(f"frame {n}: bytes after the header differ ({len(mine)} and "
                         f"{len(body)} bytes)")
    return diffs


def pcap(path, recs, big, lt):
    e = ">" if big else "<"
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, lt))
        for ts, _, data in recs:
            f.write(struct.pack(e + "IIII", ts // 10**9, ts % 10**9, len(data), len(data)))
            f.write(data)


def pcapng(path, recs, big, lt):
    e = ">" if big else "<"

    def block(btype, body):
        body += bytes(-len(body) % 4)
        n = 12 + len(body)
        return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)
    out = block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol 9: nanoseconds
    out += block(1, struct.pack(e + "HHI", lt, 0, 0) + struct.pack(e + "HH", 9, 1) +
                 b"\x09\0\0\0" + struct.pack(e + "HH", 0, 0))
    for ts, _, data in recs:
        out += block(6, struct.pack(e + "IIIII", 0, ts >> 32, ts & 0xffffffff, len(data),
                                    len(data)) + data)
    with open(path, "wb") as f:
        f.write(out)


def main():
    tools.require("tshark")
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    dfuscope = sys.argv[1]
    failed = False
    for src in sys.argv[2:]:
        recs = pcaputil.records(src)
        lt = recs[0][1] if recs else None
        if lt not in FIELDS or any(r[1] != lt for r in recs):
            tools.fail(f"{src}: not a USBPcap or USB_DARWIN capture")
        with tempfile.TemporaryDirectory() as tmp:
            forms = {"original": src}
            for name, writer, big in (("pcap-le", pcap, False), ("pcap-be", pcap, True),
                                      ("pcapng-le", pcapng, False),
                                      ("pcapng-be", pcapng, True)):
                forms[name] = os.path.join(tmp, name)
                writer(forms[name], recs, big, lt)
            views = {}
            for name, path in forms.items():
                diffs = compare(dfuscope, path, lt)
                print(f"{'FAIL' if diffs else 'ok  '} {src} as {name}: "
                      f"{len(diffs)} differences from tshark")
                for d in diffs[:40]:
                    print("  " + d)
                failed |= bool(diffs)
                # (the original's pcapng statistics may say when the capture
                # ended; the rewritten forms have no such block)
                views[name] = [re.sub(r'"capture_end":[^,}]*', '"capture_end":-',
                                      ours(dfuscope, path, v, "--json").replace(path, "CAPTURE"))
                               for v in ("diagnose", "decode")]
            for name, v in views.items():
                if v != views["original"]:
                    print(f"FAIL {src} as {name}: diagnose or decode differ from the original")
                    failed = True
            if '"id":' not in views["original"][0] and '"findings"' not in views["original"][0]:
                print(f"FAIL {src}: diagnose --json said nothing")
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    main()
