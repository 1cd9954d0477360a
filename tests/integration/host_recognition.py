#!/usr/bin/env python3
"""`dfuscope diagnose` names the host program from its request pattern
(summary.host, the "host:" line; docs/hosts.md), checked against how each
capture was really made, not against the recogniser:

1. The oracle: every reference capture of fixtures/captures/ was recorded
   from a real program (its NAME.cmd says which, on its last line: dfu-util
   0.11 and fwupdtool from Debian 12, lsusb, the CubeProgrammer-sequence
   host of the seed, the generic request host). The table below names the
   real host of each, and the test first checks the table against the .cmd
   files. A capture added later and not yet in the table is checked by its
   program alone (PROGRAMS below): it may be recognised as that program,
   or as unknown, never as another host.
2. Each capture is recognised as its real host. dfu-util 0.11 is never
   called "before 0.10"; the version is given only where the pattern tells
   (a download that erases several pages). The generic request host
   (fixtures/hosts/requests.c, which sends what it is told) is an unknown
   pattern: it must say "unknown", never a guess. A capture with no DFU
   request says "none".
3. The real capture made by others (tests/data/real/stm32_dfu_install.pcap,
   dfu-util per its SOURCES.md, a logic-analyzer recording) is dfu-util;
   its erase order (each page erased just before the block that fills it)
   is that of dfu-util before 0.10.
4. Sessions of tests/tools' capture generator (dfs_gencap: a host written
   for the tests that imitates no program, though it shares habits with
   several) are unknown patterns: "unknown", with the habits seen.
5. What is known of the host reaches the findings: the initial CLRSTATUS
   of the fault-clrstatus-idle-error capture gets the R15 note; fwupd's
   leave without SET_ADDRESS is named among its habits, and since the
   DfuSe device took that leave (no warning at it), no finding carries the
   R23 note, which belongs to a leave that fails; the text output shows
   the host line just after the outcome line.

usage: host_recognition.py DFUSCOPE DFS_GENCAP"""
import json
import os
import struct
import subprocess
import sys
import tempfile

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CAPS = os.path.join(SRC, "fixtures", "captures")
REAL = os.path.join(SRC, "tests", "data", "real")
failures = []

# capture -> (the program that made it, what diagnose must call it)
ORACLE = {
    "dfu11-dfu-util-upload-download": ("dfu-util", "dfu-util"),
    "dfuse-dfu-util-download-leave": ("dfu-util", "dfu-util"),
    "fault-clrstatus-idle-error": ("dfs-host-requests", "unknown"),
    "fault-no-error-after-stall": ("dfs-host-requests", "unknown"),
    "fault-no-functional-descriptor": ("dfu-util", "dfu-util"),
    "fault-oversized-transfer-size": ("dfu-util", "dfu-util"),
    "fault-short-functional-descriptor": ("dfu-util", "dfu-util"),
    "fault-short-poll-timeout": ("dfu-util", "dfu-util"),
    "fault-upload-never-short": ("dfs-host-requests", "unknown"),
    "fault-zero-poll-timeout": ("dfu-util", "dfu-util"),
    "fwupd-dfu11-install": ("fwupdtool", "fwupd"),
    "fwupd-dfuse-dump": ("fwupdtool", "fwupd"),
    "fwupd-dfuse-install": ("fwupdtool", "fwupd"),
    "fwupd-get-devices": ("fwupdtool", "none"),
    "gd32-dfu-util-download-leave": ("dfu-util", "dfu-util"),
    "l4-dfu-util-busy-stall": ("dfu-util", "dfu-util"),
    "pydfu-download-leave": ("dfs-host-pydfu", "pydfu-like"),
    "tinyusb-dfu-util-manifest-wait-reset": ("dfu-util", "dfu-util"),
    "seed-cubeprogrammer-ob-write": ("dfs-host-cubeprog", "STM32CubeProgrammer"),
    "seed-cubeprogrammer-ob-write-rejected": ("dfs-host-cubeprog", "STM32CubeProgrammer"),
    "seed-cubeprogrammer-ob-write-returns": ("dfs-host-cubeprog", "STM32CubeProgrammer"),
    "stmw-pydfu-initial-clrstatus": ("dfs-host-pydfu", "pydfu-like"),
    "seed-dfu-util-list": ("dfu-util", "none"),
    "seed-dfu-util-upload-force": ("dfu-util", "dfu-util"),
    "seed-dfu-util-upload-not-readable": ("dfu-util", "dfu-util"),
    "seed-lsusb": ("lsusb", "none"),
}
# the host a program of a .cmd file is, for captures not yet in the table
PROGRAMS = {"dfu-util": "dfu-util", "fwupdtool": "fwupd", "dfu-programmer": "dfu-programmer",
            "dfs-host-cubeprog": "STM32CubeProgrammer", "dfs-host-pydfu": "pydfu-like",
            "pydfu": "pydfu-like"}
# a download of several pages by dfu-util 0.11: the erase order tells 0.10+
VERSION_NEW = {"dfuse-dfu-util-download-leave", "gd32-dfu-util-download-leave",
               "l4-dfu-util-busy-stall"}


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def diagnose(dfuscope, path, *extra):
    p = subprocess.run([dfuscope, "diagnose", *extra, path], capture_output=True, text=True,
                       timeout=120)
    if p.returncode not in (0, 1):
        fail("%s: diagnose exited %d: %s" % (path, p.returncode, p.stderr.strip()))
    return p.stdout


def delayed_from(src, dst, frame, delay):
    """Copy a pcapng capture (little-endian, one interface, a decimal
    if_tsresol or none: microseconds) with the records from `frame` on moved
    `delay` seconds later: the host process paused before sending that
    request."""
    data = bytearray(open(src, "rb").read())
    pos, n, per_second = 0, 0, 10 ** 6
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, pos)
        if blen < 12 or pos + blen > len(data):
            fail("%s: a pcapng block the copy cannot follow at %d" % (src, pos))
            return
        if btype == 1 and blen > 20:  # interface: a time resolution option
            opts = data[pos + 16:pos + blen - 4]
            o = 0
            while o + 4 <= len(opts):
                code, olen = struct.unpack_from("<HH", opts, o)
                if code == 9:
                    if opts[o + 4] & 0x80:
                        fail("%s: a binary if_tsresol the copy does not handle" % src)
                        return
                    per_second = 10 ** opts[o + 4]
                if code == 0:
                    break
                o += 4 + (olen + 3) // 4 * 4
        if btype == 6:
            n += 1
            if n >= frame:
                hi, lo = struct.unpack_from("<II", data, pos + 12)
                t = (hi << 32 | lo) + int(delay * per_second)
                struct.pack_into("<II", data, pos + 12, t >> 32, t & 0xFFFFFFFF)
        pos += blen
    open(dst, "wb").write(data)


def summary_host(dfuscope, path):
    out = diagnose(dfuscope, path, "--json")
    try:
        doc = json.loads(out)
    except ValueError as e:
        fail("%s: JSON does not parse: %s" % (path, e))
        return None, None
    return doc["summary"].get("host"), doc


def program_of(cmd_path):
    """The host program of a NAME.cmd: the first known program name after
    the model's `--` on its last line."""
    with open(cmd_path, encoding="utf-8") as f:
        last = [ln for ln in f.read().splitlines() if ln.strip()][-1]
    after = last.split(" -- ", 1)[1]
    for prog in ("fwupdtool", "dfs-host-cubeprog", "dfs-host-requests", "dfs-host-pydfu",
                 "dfu-programmer", "pydfu", "dfu-util", "lsusb"):
        if prog in after:
            return prog
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    dfuscope, gencap = sys.argv[1], sys.argv[2]

    # 1. the table against the .cmd files
    names = sorted(n[:-4] for n in os.listdir(CAPS) if n.endswith(".cmd"))
    for n in names:
        if n not in ORACLE:
            continue
        prog = program_of(os.path.join(CAPS, n + ".cmd"))
        if prog != ORACLE[n][0]:
            fail("%s: made by %s per its .cmd, the table says %s" % (n, prog, ORACLE[n][0]))
    for n in ORACLE:
        if n not in names:
            fail("%s: in the table but not in fixtures/captures" % n)

    # 2. recognition
    for n in names:
        if n not in ORACLE:
            prog = program_of(os.path.join(CAPS, n + ".cmd"))
            host, _ = summary_host(dfuscope, os.path.join(CAPS, n + ".pcapng"))
            allowed = {"unknown", "none", PROGRAMS.get(prog, "unknown")}
            if host is None or host["name"] not in allowed:
                fail("%s: not in the table, made by %s, recognised as %s" %
                     (n, prog, host and host["name"]))
            else:
                print("note %s: not in the oracle table (made by %s): %s" %
                      (n, prog, host["name"]))
            continue
        host, _ = summary_host(dfuscope, os.path.join(CAPS, n + ".pcapng"))
        if host is None:
            fail("%s: no summary.host" % n)
            continue
        want = ORACLE[n][1]
        if host["name"] != want:
            fail("%s: recognised as %r, made by %s (want %r): %s" %
                 (n, host["name"], ORACLE[n][0], want, host["text"]))
        if want in ("unknown", "none"):
            if host["confidence"] is not None or host["version"] is not None:
                fail("%s: %s with a confidence or version: %s" % (n, want, host))
        else:
            if host["confidence"] not in ("likely", "very likely"):
                fail("%s: confidence %r" % (n, host["confidence"]))
            if not host["frames"]:
                fail("%s: a host named with no evidence frames" % n)
            if not host["text"].startswith(want):
                fail("%s: text does not name %s: %s" % (n, want, host["text"]))
        if want == "dfu-util":
            if host["version"] == "before 0.10":
                fail("%s: dfu-util 0.11 called 'before 0.10'" % n)
            if n in VERSION_NEW and host["version"] != "0.10 or later":
                fail("%s: version %r, want '0.10 or later' (erase order)" % (n, host["version"]))
        print("ok %-40s %s" % (n, host["name"] + (" " + host["version"] if host["version"]
                                                  else "")))

    # 3. the real capture made by others
    real = os.path.join(REAL, "stm32_dfu_install.pcap")
    host, _ = summary_host(dfuscope, real)
    if not host or host["name"] != "dfu-util" or host["version"] != "before 0.10":
        fail("stm32_dfu_install.pcap: want dfu-util before 0.10, got %s" % host)
    for other in ("nuttx-adb.pcapng", "usbrevue-handset.pcap", "umockdev-usbkbd.pcapng"):
        host, _ = summary_host(dfuscope, os.path.join(REAL, other))
        if not host or host["name"] != "none":
            fail("%s: no DFU request, want host none, got %s" % (other, host))

    # 4. an independent generator's sessions: unknown, not a guess
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("clean", "seed", "large"):
            cap = os.path.join(tmp, kind + ".pcap")
            subprocess.run([gencap, kind, cap], check=True, timeout=120)
            host, _ = summary_host(dfuscope, cap)
            if not host or host["name"] != "unknown" or not host["frames"]:
                fail("dfs_gencap %s: want unknown with the habits seen, got %s" % (kind, host))
            else:
                print("ok dfs_gencap %-29s unknown" % kind)

    # 5. what is known of the host, in the findings and the text
    _, doc = summary_host(dfuscope, os.path.join(CAPS, "fault-clrstatus-idle-error.pcapng"))
    notes = [f.get("host_note", "") for f in doc["findings"]] if doc else []
    if not any("R15" in n and "CLRSTATUS" in n for n in notes):
        fail("fault-clrstatus-idle-error: no R15 note on the initial CLRSTATUS: %s" % notes)
    _, doc = summary_host(dfuscope, os.path.join(CAPS, "fwupd-dfuse-install.pcapng"))
    notes = [(f["id"], f.get("host_note", "")) for f in doc["findings"]] if doc else []
    host = (doc or {}).get("summary", {}).get("host") or {}
    if "a DfuSe leave with no SET_ADDRESS before it (frame 130)" not in host.get("text", ""):
        fail("fwupd-dfuse-install: the leave without SET_ADDRESS is not among the habits: %s"
             % host)
    if any(n for _, n in notes):
        fail("fwupd-dfuse-install: a host note although the leave worked: %s" % notes)
    _, doc = summary_host(dfuscope, os.path.join(CAPS, "dfuse-dfu-util-download-leave.pcapng"))
    if doc and any("host_note" in f for f in doc["findings"]):
        fail("dfuse-dfu-util-download-leave: a host note where nothing concerns the host")
    text = diagnose(dfuscope, real, "--color", "never").splitlines()
    if len(text) < 2 or ": outcome: " not in text[0] or \
            ": host: dfu-util before 0.10 (" not in text[1]:
        fail("text: the host line does not follow the outcome line: %s" % text[:2])

    # A host that never waits, slowed down once: pydfu-download-leave's
    # GETSTATUS at frame 78 sent 15 ms late, after a dfuDNBUSY that asked for
    # 12 ms. It looks as if the host waited, but the polls at frames 66, 84
    # ... came at once: still pydfu-like, never "unknown" or dfu-util.
    with tempfile.TemporaryDirectory() as tmp:
        slow = os.path.join(tmp, "slow.pcapng")
        delayed_from(os.path.join(CAPS, "pydfu-download-leave.pcapng"), slow, 78, 0.015)
        host, _ = summary_host(dfuscope, slow)
        host = host or {}
        if host.get("name") != "pydfu-like":
            fail("pydfu-download-leave with one late poll: not pydfu-like: %s" % host)

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("all host recognition checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
