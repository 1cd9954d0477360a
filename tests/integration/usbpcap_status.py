#!/usr/bin/env python3
"""USBPcap failures other than a STALL, in Windows' own terms.

A DFU 1.1 session of dfu-util with the emulated device
(fixtures/captures/dfu11-dfu-util-upload-download.pcapng) is rendered as a
Windows USBPcap capture (link type 249, tests/tools/dfs_rewrite). Its first
GETSTATUS completion is then rewritten for each USBD status below: the
status word set, no data returned (dataLength 0, the record cut after the
pseudo header). `dfuscope diagnose --json` must then give:

- the finding the failure calls for: a bus error on a device that answers
  the next request is dfu.getstatus-failed; USBD_STATUS_DEVICE_GONE, a device
  that left, is dfu.device-lost; USBD_STATUS_CANCELED, the host giving up on
  the request, is dfu.request-timeout;
- in its explanation, the status by the name tshark gives the same record's
  usb.usbd_status (Wireshark's packet-usb.c table of the DDK's usb.h names)
  with its value, except for CANCELED, whose finding speaks of the host
  cancelling the request;
- what libusb on Windows reports for it (libusb os/windows_common.c: a
  removed device is LIBUSB_ERROR_NO_DEVICE, an error that is neither a stall,
  a timeout, a cancellation nor a removal LIBUSB_ERROR_IO);
- no Linux word: no errno name or number, no EPIPE/EPROTO, and not the
  kernel's explanation of the errno the decoder maps the USBD status to
  internally (the words of Linux's Documentation/driver-api/usb/
  error-codes.rst).

usage: usbpcap_status.py DFUSCOPE   (DFS_REWRITE: the dfs_rewrite tool)"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import fail, require  # noqa: E402

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SESSION = os.path.join(SRC, "fixtures", "captures", "dfu11-dfu-util-upload-download.pcapng")
UP_STATUS, UP_DATALEN = 10, 23   # offsets in the USBPcap pseudo header

# USBD status -> (finding id, what libusb on Windows reports, named by value?)
CASES = {
    0xC0000001: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # CRC
    0xC0000002: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # BTSTUFF
    0xC0000003: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # DATA_TOGGLE_MISMATCH
    0xC0000005: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # DEV_NOT_RESPONDING
    0xC0000006: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # PID_CHECK_FAILURE
    0xC0000007: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # UNEXPECTED_PID
    0xC0000011: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # XACT_ERROR
    0xC0000012: ("dfu.getstatus-failed", "LIBUSB_ERROR_IO", True),    # BABBLE_DETECTED
    0xC0007000: ("dfu.device-lost", "LIBUSB_ERROR_NO_DEVICE", True),  # DEVICE_GONE
    0xC0010000: ("dfu.request-timeout", None, False),                 # CANCELED
}
LINUX_WORDS = re.compile(r"\bE[A-Z]{3,}\b|errno|-\d+ E|\bstatus -\d+")
# how Linux's Documentation/driver-api/usb/error-codes.rst explains the errno
# values these statuses map to (-EPROTO, -EILSEQ, -EOVERFLOW, -ENODEV): the
# usbmon wording, not Windows'
LINUX_GLOSS = ("bitstuff", "CRC mismatch", "protocol error", "babble", "no device")

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def records(path):
    d = open(path, "rb").read()
    magic, _, _, _, _, _, lt = struct.unpack_from("<IHHiIII", d, 0)
    if magic not in (0xA1B2C3D4, 0xA1B23C4D) or lt != 249:  # micro- or nanoseconds
        fail(f"{path}: not a little-endian USBPcap pcap (magic {magic:#x}, link type {lt})")
    out, off = [], 24
    while off < len(d):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", d, off)
        out.append((sec, usec, bytearray(d[off + 16:off + 16 + caplen])))
        off += 16 + caplen
    return d[:24], out


def write(path, head, recs):
    with open(path, "wb") as f:
        f.write(head)
        for sec, usec, data in recs:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


def tshark_status_name(path, frame):
    """usb.usbd_status of the frame as tshark shows it: 'USBD_STATUS_X (0x...)'."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", f"frame.number == {frame}", "-O",
                          "usb"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"USBD_STATUS: (\S+) \((0x[0-9a-fA-F]{8})\)", out)
    return (m.group(1), int(m.group(2), 16)) if m else (None, None)


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    require("tshark")
    dfuscope = sys.argv[1]
    rewrite = os.environ.get("DFS_REWRITE", "")
    if not os.access(rewrite, os.X_OK):
        fail(f"DFS_REWRITE ({rewrite!r}) is not the dfs_rewrite tool")
    with tempfile.TemporaryDirectory() as tmp:
        win = os.path.join(tmp, "session-usbpcap.pcap")
        subprocess.run([rewrite, SESSION, win, "pcap", "little", "249"], check=True)
        txns = [json.loads(line) for line in subprocess.run(
            [dfuscope, "decode", "--dfu", "--json", win], capture_output=True, text=True,
            check=True).stdout.splitlines() if line.strip()]
        first = next(t for t in txns if t["request"] == "GETSTATUS")
        frame = first["reply_frame"]
        clean = json.loads(subprocess.run([dfuscope, "diagnose", "--json", win],
                                          capture_output=True, text=True).stdout)
        head, recs = records(win)
        for code, (fid, libusb, by_name) in CASES.items():
            recs2 = [(s, u, bytearray(d)) for s, u, d in recs]
            d = recs2[frame - 1][2]
            hl = struct.unpack_from("<H", d, 0)[0]
            struct.pack_into("<I", d, UP_STATUS, code)
            struct.pack_into("<I", d, UP_DATALEN, 0)
            del d[hl:]
            path = os.path.join(tmp, f"getstatus-{code:08x}.pcap")
            write(path, head, recs2)
            name, value = tshark_status_name(path, frame)
            if not check(value == code, f"{code:#010x}: tshark reads usbd_status {value} at "
                                        f"frame {frame}"):
                continue
            res = subprocess.run([dfuscope, "diagnose", "--json", path], capture_output=True,
                                 text=True)
            doc = json.loads(res.stdout)
            new = [f for f in doc["findings"]
                   if f["id"] not in {g["id"] for g in clean["findings"]}]
            hits = [f for f in new if f["id"] == fid and frame in f["frames"]]
            if not check(hits, f"{name}: no {fid} naming frame {frame}; new findings: "
                               f"{[(f['id'], f['frames']) for f in new]}"):
                continue
            text = hits[0]["explanation"]
            ok = True
            if by_name:
                ok &= check(f"{name} 0x{code:08x}" in text,
                            f"{name}: the finding does not name '{name} 0x{code:08x}': {text}")
            if libusb:
                ok &= check(f"libusb on Windows reports as {libusb}" in text,
                            f"{name}: the finding does not say libusb reports {libusb}: {text}")
            bad = LINUX_WORDS.findall(text) + [g for g in LINUX_GLOSS if g in text]
            ok &= check(not bad, f"{name}: Linux terms {bad} in a Windows capture's finding: "
                                 f"{text}")
            if ok:
                print(f"ok   {name} ({code:#010x}) at frame {frame}: {fid}"
                      + (f", {libusb}" if libusb else ""))
    for e in errors:
        print("FAIL " + e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
