#!/usr/bin/env python3
"""Findings name a failure in the terms of the system the capture was made on.

Each emulated-device reference capture (fixtures/captures/, Linux usbmon) is
rendered as a Windows USBPcap capture (249) and a macOS USB_DARWIN capture
(266) by tests/tools/dfs_rewrite. Wherever a finding of the usbmon capture
says a request stalled (-32 EPIPE, LIBUSB_ERROR_PIPE), the same finding of
the rendering must instead name the status that tshark reads from the
record at the finding's frame (usb.usbd_status, usb.darwin.io_status), by
its name in the system's headers (the table below: usb.h of the Windows
DDK, IOUSBHostFamilyDefinitions.h and IOUSBFamily's USB.h), with what
libusb reports for it on that system (libusb's os/windows_common.c and
os/darwin_usb.c: LIBUSB_ERROR_PIPE; through libusb0.sys LIBUSB_ERROR_IO,
libusb #1017), and must not speak of EPIPE. The ids, severities and frames
are the same (integration.formats-diagnose).

Then a device that enumerates in DFU mode while the host program only
sleeps (`dfuscope emulate dfu11-device --link-type FORMAT -- sleep 3`: no
program opens it) must give dfu.never-opened in every format, with the
remedy of the capture's system (udev on Linux, WinUSB/Zadig and ST's driver
on Windows); the real captures of a composite DFU bootloader whose other
functions the host uses (tests/data/real/bluepill-bootloader_usb-*, see
../shared/captures-real/SOURCES.md) must not give it. And the real capture
that SOURCES.md says starts after enumeration, with no device or
configuration descriptor of its DFU device (stm32_dfu_install.pcap), must
give capture.enumeration-missing naming both.

usage: host_words.py DFUSCOPE"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import tools

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

# status codes a STALL is written as, by their names in the systems' headers
STALL_NAMES = {
    249: {0xC0000004: "USBD_STATUS_STALL_PID", 0xC0000030: "USBD_STATUS_ENDPOINT_HALTED"},
    266: {0xE000404F: "kIOUSBPipeStalled", 0xE0005000: "kUSBHostReturnPipeStalled"},
}
TSHARK_FIELD = {249: "usb.usbd_status", 266: "usb.darwin.io_status"}
LIBUSB_WORDS = {
    249: ["LIBUSB_ERROR_PIPE through WinUSB", "LIBUSB_ERROR_IO through libusb0.sys"],
    266: ["LIBUSB_ERROR_PIPE"],
}


def findings(dfuscope, path):
    res = subprocess.run([dfuscope, "diagnose", "--json", path], capture_output=True, text=True)
    if res.returncode not in (0, 1):
        tools.fail(f"diagnose {path}: exit {res.returncode}: {res.stderr}")
    return json.loads(res.stdout)["findings"]


def tshark_status(path, lt, frame):
    res = subprocess.run(["tshark", "-r", path, "-Y", f"frame.number=={frame}", "-T", "fields",
                          "-e", TSHARK_FIELD[lt]], capture_output=True, text=True)
    if res.returncode != 0 or not res.stdout.strip():
        tools.fail(f"tshark read no {TSHARK_FIELD[lt]} at frame {frame} of {path}: "
                   f"{res.stderr.strip()[:200]}")
    return int(res.stdout.strip().split(",")[0], 0)


def check(path, lt, base, other, name):
    problems = []
    checked = 0
    if [f["id"] for f in base] != [f["id"] for f in other]:
        return [f"{name}: the findings differ from usbmon's"], 0
    for a, b in zip(base, other):
        if "LIBUSB_ERROR_PIPE" not in a["explanation"]:
            continue
        checked += 1
        text = b["explanation"]
        status = tshark_status(path, lt, b["frame"])
        want = STALL_NAMES[lt].get(status)
        if want is None:
            problems.append(f"{name} {b['id']} frame {b['frame']}: tshark reads status "
                            f"0x{status:08x}, not a STALL")
            continue
        for words in [f"{want} 0x{status:08x}"] + LIBUSB_WORDS[lt]:
            if words not in text:
                problems.append(f"{name} {b['id']} frame {b['frame']}: no \"{words}\" in "
                                f"\"{text}\"")
        if "EPIPE" in text:
            problems.append(f"{name} {b['id']} frame {b['frame']}: speaks of EPIPE: {text}")
    return problems, checked


NEVER_OPENED_REMEDY = {
    "usbmon": ["udev rule for 1209:0001", "40-dfuse.rules"],
    "usbpcap": ["WinUSB to 1209:0001 with Zadig", "STTub30"],
    "darwin": ["macOS needs no driver"],
    "usb2": ["Zadig", "udev rule"],
}


def never_opened(dfuscope):
    problems = []
    helper = os.path.join(os.environ.get("DFS_BUILD_DIR", ""), "libexec", "dfuscope",
                          "dfuscope-emulate")
    if not os.access(helper, os.X_OK):
        return None
    env = dict(os.environ, DFS_EMULATE_HELPER=helper)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, words in NEVER_OPENED_REMEDY.items():
            cap = os.path.join(tmp, f"never-{fmt}.pcapng")
            res = subprocess.run([dfuscope, "emulate", "dfu11-device", "--pcap", cap,
                                  "--link-type", fmt, "--", "sleep", "3"], env=env,
                                 capture_output=True, text=True)
            if res.returncode != 0:
                problems.append(f"emulate --link-type {fmt}: exit {res.returncode}: "
                                f"{res.stderr.strip()[:300]}")
                continue
            got = [f for f in findings(dfuscope, cap) if f["id"] == "dfu.never-opened"]
            if len(got) != 1:
                problems.append(f"never opened, {fmt}: {len(got)} dfu.never-opened findings")
                continue
            if "(1209:0001) enumerated in DFU mode" not in got[0]["explanation"]:
                problems.append(f"never opened, {fmt}: {got[0]['explanation']}")
            for w in words:
                if w not in got[0]["remedy"]:
                    problems.append(f"never opened, {fmt}: no \"{w}\" in {got[0]['remedy']}")
            if not problems:
                print(f"ok   {fmt}: an unopened DFU device gives dfu.never-opened, "
                      f"remedy for its system")
    data = os.environ.get("DFS_TEST_DATA", os.path.join(SRC, "tests", "data"))
    for name in ("mac", "ubuntu", "windows"):
        cap = os.path.join(data, "real", f"bluepill-bootloader_usb-{name}.pcapng")
        ids = [f["id"] for f in findings(dfuscope, cap)]
        if "dfu.never-opened" in ids:
            problems.append(f"{cap}: dfu.never-opened for a device whose other functions "
                            f"are in use")
    return problems


def enumeration_missing(dfuscope):
    data = os.environ.get("DFS_TEST_DATA", os.path.join(SRC, "tests", "data"))
    cap = os.path.join(data, "real", "stm32_dfu_install.pcap")
    got = [f for f in findings(dfuscope, cap) if f["id"] == "capture.enumeration-missing"]
    if len(got) != 1:
        return [f"{cap}: {len(got)} capture.enumeration-missing findings, not 1"]
    text = got[0]["explanation"]
    if "neither its device nor its configuration descriptor" not in text:
        return [f"{cap}: capture.enumeration-missing does not name both: {text}"]
    print("ok   stm32_dfu_install.pcap: the missing device and configuration descriptors "
          "are named")
    return []


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    dfuscope = sys.argv[1]
    tools.require("tshark")
    rewrite = os.environ.get("DFS_REWRITE")
    if not rewrite or not os.access(rewrite, os.X_OK):
        tools.fail("DFS_REWRITE does not name the dfs_rewrite helper")
    caps = sorted(glob.glob(os.path.join(SRC, "fixtures", "captures", "*.pcap*")))
    problems, checked = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for cap in caps:
            base = findings(dfuscope, cap)
            if not any("LIBUSB_ERROR_PIPE" in f["explanation"] for f in base):
                continue
            for lt in (249, 266):
                out = os.path.join(tmp, f"{os.path.basename(cap)}.{lt}.pcapng")
                subprocess.run([rewrite, cap, out, "pcapng", "little", str(lt)], check=True)
                p, n = check(out, lt, base, findings(dfuscope, out),
                             f"{os.path.basename(cap)} as {lt}")
                problems += p
                checked += n
    unopened = never_opened(dfuscope)
    problems += unopened or []
    problems += enumeration_missing(dfuscope)
    for p in problems:
        print("FAIL " + p)
    if unopened is None and not problems:
        tools.skip("this build has no emulation helper (libexec/dfuscope/dfuscope-emulate): "
                   "dfu.never-opened was not checked; the other checks passed")
    if checked == 0:
        tools.fail("no finding of the reference captures names a stall: nothing was checked")
    if not problems:
        print(f"ok   {checked} findings about a STALL speak in Windows and macOS terms")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
