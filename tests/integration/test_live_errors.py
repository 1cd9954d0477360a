#!/usr/bin/env python3
"""Every error of `dfuscope capture` before it captures, with its message and
exit code, simulated on a fake /sys and /dev tree (DFUSCOPE_SYSROOT; this
machine has no usbmon): usbmon not loaded, no permission, no such device,
the device on another bus, no such bus, an ambiguous VID:PID; usage errors;
and dropping root privileges when run through sudo (SUDO_UID/SUDO_GID),
which needs root: run as another user the test fails (scripts/test and CI
run as root). Live capture runs in the helper dfuscope-capture, which
dfuscope finds beside it (libexec/dfuscope/ next to bin/): the copies keep
that layout.

usage: test_live_errors.py DFUSCOPE CAPTURE_HELPER"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import tools

DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
failures = []
NOBODY = 65534


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def make_device(base, name, attrs, interfaces=()):
    d = os.path.join(base, "sys", "bus", "usb", "devices", name)
    os.makedirs(d)
    for k, v in attrs.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(f"{v}\n")
    for i, (cls, sub, proto) in enumerate(interfaces):
        idir = os.path.join(base, "sys", "bus", "usb", "devices", f"{name}:1.{i}")
        os.makedirs(idir)
        for k, v in (("bInterfaceClass", cls), ("bInterfaceSubClass", sub),
                     ("bInterfaceProtocol", proto)):
            with open(os.path.join(idir, k), "w") as f:
                f.write(f"{v:02x}\n")


def fake_root(tmp, usbmon=True, buses=(0, 1, 2)):
    root = os.path.join(tmp, "root-%d-%d" % (usbmon, len(os.listdir(tmp))))
    make_device(root, "usb1", dict(busnum=1, devnum=1, idVendor="1d6b", idProduct="0002",
                                   product="xHCI Host Controller"), [(9, 0, 0)])
    make_device(root, "1-1", dict(busnum=1, devnum=6, idVendor="0483", idProduct="df11",
                                  serial="205F3548", product="DFU in FS Mode"),
                [(0xFE, 1, 2)])
    make_device(root, "1-2", dict(busnum=1, devnum=3, idVendor="046d", idProduct="c31c",
                                  product="USB Keyboard"), [(3, 1, 1)])
    make_device(root, "2-1", dict(busnum=2, devnum=4, idVendor="0483", idProduct="5740",
                                  serial="ABC123"), [(2, 2, 1), (0xFE, 1, 1)])
    make_device(root, "2-2", dict(busnum=2, devnum=5, idVendor="0483", idProduct="5740",
                                  serial="XYZ789"))
    # sysfs content is not trusted: a device with garbage is skipped
    make_device(root, "2-3", dict(busnum="two", devnum=9, idVendor="zzzz", idProduct="0001"))
    os.makedirs(os.path.join(root, "dev"))
    if usbmon:
        os.makedirs(os.path.join(root, "sys", "module", "usbmon"))
        for b in buses:
            p = os.path.join(root, "dev", f"usbmon{b}")
            open(p, "w").close()
            os.chmod(p, 0o600)
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            if not f.startswith("usbmon"):
                os.chmod(os.path.join(dirpath, f), 0o644)
    return root


def run(dfuscope, args, root=None, env_extra=None, as_nobody=False):
    env = dict(os.environ)
    env.pop("SUDO_UID", None)
    env.pop("SUDO_GID", None)
    if root:
        env["DFUSCOPE_SYSROOT"] = root
    env.update(env_extra or {})
    cmd = [dfuscope] + args
    if as_nobody:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def expect(r, code, needles, what):
    ok = r.returncode == code and all(n in r.stderr for n in needles)
    check(ok, f"{what}: exit {code} and says {needles}" +
          ("" if ok else f" (got exit {r.returncode}: {r.stderr.strip()[:400]})"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        # copies anyone can run, for the checks as another user
        dfuscope = os.path.join(tmp, "bin", "dfuscope")
        helper = os.path.join(tmp, "libexec", "dfuscope", "dfuscope-capture")
        for src, dst in ((sys.argv[1], dfuscope), (sys.argv[2], helper)):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.chmod(os.path.dirname(dst), 0o755)
            shutil.copy(src, dst)
            os.chmod(dst, 0o755)
        os.chmod(os.path.join(tmp, "libexec"), 0o755)
        out = os.path.join(tmp, "out.pcapng")
        is_root = os.geteuid() == 0

        root = fake_root(tmp, usbmon=False)
        r = run(dfuscope, ["capture", "--device", "0483:df11", "-w", out], root)
        expect(r, 2, ["usbmon is not loaded", "/dev/usbmon1", "sudo modprobe usbmon"],
               "usbmon not loaded")

        root = fake_root(tmp)
        if is_root:
            r = run(dfuscope, ["capture", "--device", "0483:df11", "-w", "/tmp/x.pcap"], root,
                    as_nobody=True)
        else:
            os.chmod(os.path.join(root, "dev", "usbmon1"), 0)
            r = run(dfuscope, ["capture", "--device", "0483:df11", "-w", out], root)
        expect(r, 2, ["no permission to read", "/dev/usbmon1", "Permission denied",
                      "run as root (sudo)", "read access"], "no permission")
        os.chmod(os.path.join(root, "dev", "usbmon1"), 0o600)

        r = run(dfuscope, ["capture", "--device", "1234:5678", "-w", out], root)
        expect(r, 2, ["no such device: no USB device 1234:5678 is connected",
                      "1.6 0483:df11 \"DFU in FS Mode\"", "2.4 0483:5740"],
               "no such device (VID:PID), listing what is connected")
        r = run(dfuscope, ["capture", "--device", "3.9", "-w", out], root)
        expect(r, 2, ["no such device", "3.9"], "no such device (BUS.DEV)")
        check("two" not in r.stderr and "zzzz" not in r.stderr,
              "a sysfs entry with garbage attributes is skipped")

        r = run(dfuscope, ["capture", "-i", "usbmon2", "--device", "0483:df11", "-w", out],
                root)
        expect(r, 2, ["device 1.6 (0483:df11) is on bus 1, not on bus 2", "-i usbmon1"],
               "device on another bus")
        r = run(dfuscope, ["capture", "-i", "usbmon7", "-w", out], root)
        expect(r, 2, ["there is no USB bus 7", "usbmon0, usbmon1, usbmon2"], "no such bus")
        r = run(dfuscope, ["capture", "--device", "0483:5740", "-w", out], root)
        expect(r, 2, ["2 devices are 0483:5740", "2.4 (serial ABC123)", "2.5 (serial XYZ789)",
                      "--device BUS.DEV"], "ambiguous VID:PID")
        r = run(dfuscope, ["capture", "-i", "usb1", "-w", out], root)
        expect(r, 2, ["-i 'usb1': expected usbmonN"], "bad interface name")

        # All checks pass on the fake tree; the capture itself goes to the real
        # usbmon through libpcap, which this machine does not have.
        r = run(dfuscope, ["capture", "--device", "1.6", "-w", out], root)
        if not os.path.exists("/dev/usbmon1"):
            expect(r, 2, ["usbmon1"], "checks passed, libpcap cannot open the real usbmon1")

        # usage errors
        expect(run(dfuscope, ["capture"]), 2, ["nothing to do", "-w FILE", "--diagnose"],
               "capture without -w or --diagnose")
        expect(run(dfuscope, ["capture", "--diagnose", "-w", "-"]), 2,
               ["-w - writes the capture to standard output"], "capture -w - --diagnose")
        expect(run(dfuscope, ["capture", "--device", "xyz", "-w", out]), 2,
               ["--device 'xyz'"], "bad --device")
        expect(run(dfuscope, ["capture", "--duration", "-1", "-w", out]), 2,
               ["--duration '-1'"], "bad --duration")
        expect(run(dfuscope, ["follow"]), 2, ["no capture given"], "follow without input")
        expect(run(dfuscope, ["follow", os.path.join(tmp, "nope", "x.pcap")]), 2,
               ["cannot open"], "follow on a file in a missing directory")
        bad = os.path.join(tmp, "bad.pcap")
        with open(bad, "wb") as f:
            f.write(b"this is not a capture file at all")
        expect(run(dfuscope, ["capture", "-r", bad, "--diagnose"]), 2,
               ["bad.pcap", "not a pcap or pcapng capture"], "capture -r on a non-capture")

        eth = os.path.join(tmp, "ethernet.pcap")
        with open(eth, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i in range(3):
                f.write(struct.pack("<IIII", 1000 + i, 0, 60, 60) + bytes(60))
        r = run(dfuscope, ["capture", "-r", eth, "-w", os.path.join(tmp, "e.pcap")])
        expect(r, 2, ["link type 1 (ETHERNET) is not Linux usbmon",
                      "not a Linux usbmon capture", "nothing written"],
               "capture -r on an Ethernet capture")
        check(not os.path.exists(os.path.join(tmp, "e.pcap")),
              "capture -r on an Ethernet capture: no file written")

        # dropping root privileges when started through sudo
        capture = os.path.join(DATA, "real", "stm32_dfu_install.pcap")
        if not is_root:
            check(False, "privilege drop: the checks need root (scripts/test and CI run the "
                         "tests as root); run the tests as root")
        else:
            private = os.path.join(tmp, "private.pcap")  # readable by root only
            shutil.copy(capture, private)
            os.chmod(private, 0o600)
            open_dir = os.path.join(tmp, "open")
            os.mkdir(open_dir)
            os.chmod(open_dir, 0o777)
            sudo = {"SUDO_UID": str(NOBODY), "SUDO_GID": str(NOBODY)}
            target = os.path.join(open_dir, "session.pcap")
            r = run(dfuscope, ["capture", "-r", private, "-w", target], env_extra=sudo)
            expect(r, 0, [f"running as uid {NOBODY}, gid {NOBODY}"],
                   "through sudo: privileges dropped after opening the input")
            st = os.stat(target) if os.path.exists(target) else None
            check(st is not None and st.st_uid == NOBODY and st.st_gid == NOBODY,
                  "through sudo: the capture file belongs to the invoking user")
            closed_dir = os.path.join(tmp, "closed")
            os.mkdir(closed_dir)
            os.chmod(closed_dir, 0o700)
            r = run(dfuscope, ["capture", "-r", private, "-w",
                               os.path.join(closed_dir, "s.pcap")], env_extra=sudo)
            expect(r, 2, ["cannot create", "Permission denied"],
                   "through sudo: the output is created after the drop (root-only dir refused)")
            r = run(dfuscope, ["capture", "-r", private, "-w", target],
                    env_extra={"SUDO_UID": "abc", "SUDO_GID": "0"})
            expect(r, 2, ["SUDO_UID is 'abc'"], "unusable SUDO_UID: refuses to go on")
            r = run(dfuscope, ["capture", "-r", private, "-w", target],
                    env_extra={"SUDO_UID": "0", "SUDO_GID": "0"})
            check(r.returncode == 0 and "running as uid" not in r.stderr,
                  "sudo by root (SUDO_UID=0): nothing to drop")
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
