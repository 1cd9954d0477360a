#!/usr/bin/env python3
"""A real live capture: when this machine has usbmon and the kernel sees a
DFU device, capture it with `dfuscope capture --device` while `dfu-util -l`
talks to it (read-only: it lists the alternate settings, reading string
descriptors), and check that the written file holds that device's traffic.

Otherwise (no usbmon in the kernel, no DFU device on the bus) the test
reports itself skipped (exit 77) and says why: it never passes without
having captured anything. Without permission to read usbmon, or without
dfu-util, it fails: scripts/test runs as root and installs dfu-util.

usage: test_live_usbmon.py DFUSCOPE"""
import glob
import os
import subprocess
import sys
import tempfile
import time

import tools


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def dfu_devices():
    """(bus, devnum, vid:pid) of every device with a DFU interface (FE/01)."""
    found = []
    for iface in glob.glob("/sys/bus/usb/devices/*:*"):
        if read(os.path.join(iface, "bInterfaceClass")) != "fe" or \
                read(os.path.join(iface, "bInterfaceSubClass")) != "01":
            continue
        dev = os.path.join("/sys/bus/usb/devices", os.path.basename(iface).split(":")[0])
        bus, num = read(os.path.join(dev, "busnum")), read(os.path.join(dev, "devnum"))
        vid, pid = read(os.path.join(dev, "idVendor")), read(os.path.join(dev, "idProduct"))
        if bus and num:
            found.append((int(bus), int(num), f"{vid}:{pid}"))
    return sorted(set(found))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dfuscope = sys.argv[1]
    if not os.path.exists("/sys/kernel/debug/usb/usbmon") and not os.path.exists("/dev/usbmon0"):
        tools.skip("no usbmon on this machine (neither /sys/kernel/debug/usb/usbmon nor "
             "/dev/usbmon0): 'sudo modprobe usbmon' where the kernel has it")
    devices = dfu_devices()
    if not devices:
        tools.skip("usbmon is there, but the kernel sees no DFU device (the emulated devices of "
             "fixtures/ run through umockdev, below the kernel, so usbmon never sees them); "
             "connect one to run this test")
    bus, num, ident = devices[0]
    if not os.access(f"/dev/usbmon{bus}", os.R_OK):
        tools.fail(f"no permission to read /dev/usbmon{bus}: run the tests as root "
                   "(scripts/test and CI do)")
    tools.require("dfu-util")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "live.pcapng")
        p = subprocess.Popen([dfuscope, "capture", "--no-status", "--device", f"{bus}.{num}",
                              "--duration", "5", "-w", out], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        lst = subprocess.run(["dfu-util", "-l", "-d", ident], capture_output=True, text=True)
        stdout, stderr = p.communicate(timeout=30)
        print(stderr.strip())
        ok = True
        if p.returncode != 0:
            print(f"FAIL capture exited {p.returncode}")
            ok = False
        r = subprocess.run([dfuscope, "decode", out], capture_output=True, text=True)
        lines = [line for line in r.stdout.splitlines() if "GET_DESCRIPTOR STRING" in line]
        print(f"dfu-util -l: {lst.returncode}; {len(lines)} string descriptor reads captured")
        if lst.returncode != 0:
            print(f"FAIL dfu-util -l -d {ident} exited {lst.returncode}: {lst.stderr.strip()}")
            ok = False
        if r.returncode != 0 or not lines:
            print("FAIL the capture does not hold the string descriptor reads of dfu-util -l")
            ok = False
        other = [line for line in r.stdout.splitlines()
                 if line.split() and f" {bus}." in line and f" {bus}.{num} " not in line]
        if other:
            print(f"FAIL records of other devices were written: {other[:3]}")
            ok = False
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
