#!/usr/bin/env python3
"""One session diagnosed the same way as a usbmon capture and as a
packet-level USB 2.0 capture (link type 288).

Every capture of fixtures/captures (DFU and DfuSe sessions of real host
tools with the emulated devices, and their faulty variants) is rendered as
the packets an analyzer would record (tests/tools/usb2_render.c, through
dfs_usb2_render, the renderer of `dfuscope emulate --link-type usb2`), in
pcap and in pcapng. dfuscope then rebuilds the control transfers from the
packets, and:

- `decode --json` gives the same control transfers in both: setup fields,
  outcome (completed, STALL), data;
- `diagnose --json` gives the same findings: the same ids, the same
  severities, in the same order, and corresponding frames (each usbmon
  frame of a transfer's submit or completion is, in the packet capture, the
  frame of its SETUP packet or of the handshake that ended it); a finding of
  the packet capture may name one frame more, the bus reset that proves a
  device left;
- in pcapng, the findings that a device left after a failure and came back
  (dfuse.leave-reset, dfuse.option-bytes-reset, dfu.device-lost) name the
  bus reset before its new enumeration, which proves it left (the usbmon
  capture cannot); when it did not come back within the capture, there is
  no reset to name and none is named.
- dfu.poll-timeout-too-short from a GETSTATUS the device held past the
  bwPollTimeout it announced is raised from both, and each explanation
  gives its own evidence: the usbmon capture the time from the submit to
  the completion ("answered ... after it was sent"), the packet capture the
  NAKs ("held the GETSTATUS polls by N NAKs").

usage: usb2_same_findings.py DFUSCOPE DFS_USB2_RENDER"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import fail  # noqa: E402

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
LEFT = ("dfuse.leave-reset", "dfuse.option-bytes-reset", "dfu.device-lost")
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def run_json(dfuscope, *args):
    p = subprocess.run([dfuscope, *args], capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1):
        fail(f"dfuscope {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.stdout


def transfers(dfuscope, path):
    out = run_json(dfuscope, "decode", "--json", path)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def protocol_errors(dfuscope, path):
    """The transfers that completed with an error other than a STALL (-32):
    -EPROTO, -ETIME and the like. On the wire such an error is a token no
    handshake answers, and what a host controller does next (retries, when
    it gives up) is not in the usbmon record, so the renderer writes the
    token alone (docs/emulation.md) and the packet capture cannot show the
    same completion: such sessions are listed, not compared."""
    return [t for t in transfers(dfuscope, path)
            if t.get("end") == "completed" and t.get("status") not in (0, -32, None)]


KEYS = ("bmRequestType", "bRequest", "wValue", "wIndex", "wLength", "end", "status", "data")


def frame_map(name, a, b):
    """usbmon frame -> packet frame, from the transfers in order."""
    m = {}
    if not check(len(a) == len(b), f"{name}: {len(a)} control transfers in usbmon, {len(b)} "
                                   "in packets"):
        return m
    for x, y in zip(a, b):
        check(all(x.get(k) == y.get(k) for k in KEYS),
              f"{name}: transfer at usbmon frame {x['frame']}: "
              f"{ {k: x.get(k) for k in KEYS} } vs packets { {k: y.get(k) for k in KEYS} }")
        for k in ("submit_frame", "complete_frame"):
            if x.get(k) and y.get(k):
                m[x[k]] = y[k]
    return m


def compare(name, dfuscope, mon, pk, ng):
    fmap = frame_map(name, transfers(dfuscope, mon), transfers(dfuscope, pk))
    fa = json.loads(run_json(dfuscope, "diagnose", "--json", mon))["findings"]
    fb = json.loads(run_json(dfuscope, "diagnose", "--json", pk))["findings"]
    ida = [(f["id"], f["severity"]) for f in fa]
    idb = [(f["id"], f["severity"]) for f in fb]
    if not check(ida == idb, f"{name}: findings {ida} in usbmon, {idb} in packets"):
        return 0, 0
    proven = held = 0
    for x, y in zip(fa, fb):
        want = {fmap.get(f) for f in x["frames"]}
        got = set(y["frames"])
        if None in want:
            check(False, f"{name}: {x['id']}: usbmon frames {x['frames']} are not all frames "
                         "of control transfers")
            continue
        extra = got - want
        check(want <= got and len(extra) <= (1 if ng and x["id"] in LEFT else 0),
              f"{name}: {x['id']}: usbmon frames {x['frames']} correspond to {sorted(want)}, "
              f"the packet capture names {y['frames']}")
        if x["id"] == "dfu.poll-timeout-too-short" and "after it was sent" in x["explanation"]:
            held += 1
            check("held the GETSTATUS polls by" in y["explanation"],
                  f"{name}: the packet capture does not give the NAKs: {y['explanation']}")
        check(x["id"] != "dfu.poll-timeout-too-short" or "NAK" not in x["explanation"]
              or "NAKs of a busy device" in x["explanation"],
              f"{name}: the usbmon capture claims NAKs it cannot see: {x['explanation']}")
        check("proves it left" not in x["explanation"],
              f"{name}: the usbmon capture claims a bus reset it cannot see")
        if ng and x["id"] in LEFT and "came back" in x["explanation"]:
            # the host reset the port before it enumerated the device again
            proven += 1
            check("proves it left" in y["explanation"] and extra,
                  f"{name}: {y['id']} does not name the bus reset: {y['explanation']}")
        elif x["id"] in LEFT:
            check("proves it left" not in y["explanation"] and not extra,
                  f"{name}: {y['id']} names a bus reset that is not there: "
                  f"{y['explanation']}")
    return proven, held


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    dfuscope, render = sys.argv[1], sys.argv[2]
    capdir = os.path.join(SRC, "fixtures", "captures")
    caps = sorted(f for f in os.listdir(capdir) if f.endswith(".pcapng"))
    if len(caps) < 10:
        fail(f"only {len(caps)} captures in {capdir}")
    proven = held = 0
    not_compared = []
    with tempfile.TemporaryDirectory() as tmp:
        for cap in caps:
            mon = os.path.join(capdir, cap)
            errs = protocol_errors(dfuscope, mon)
            if errs:
                not_compared.append(f"{cap} (status {errs[0]['status']})")
                print(f"{cap}: not compared: a transfer completed with status "
                      f"{errs[0]['status']}, which packets cannot show the same way")
                continue
            for ext in ("pcap", "pcapng"):
                pk = os.path.join(tmp, cap[:-len(".pcapng")] + "-usb2." + ext)
                p = subprocess.run([render, mon, pk], capture_output=True, text=True,
                                   check=False)
                if not check(p.returncode == 0, f"{cap}: rendering failed: {p.stderr}"):
                    continue
                p, h = compare(f"{cap} ({ext})", dfuscope, mon, pk, ext == "pcapng")
                proven += p
                held += h
            print(f"{cap}: compared")
    check(proven > 0, "no fixture has a device that left after a failure: the bus reset "
                      "proof was never checked")
    check(held > 0, "no fixture has a GETSTATUS held past bwPollTimeout: the evidence of "
                    "dfu.poll-timeout-too-short in each format was never compared")
    for e in errors:
        print("FAIL: " + e)
    if errors:
        sys.exit(1)
    check(len(not_compared) < len(caps) // 2, f"most sessions not compared: {not_compared}")
    print(f"OK: {len(caps) - len(not_compared)} sessions compared, {proven} departures proven "
          f"by a bus reset, {held} held GETSTATUS shown by NAKs; not compared: {', '.join(not_compared) or 'none'}")


if __name__ == "__main__":
    main()
