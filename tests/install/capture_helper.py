#!/usr/bin/env python3
"""`dfuscope capture` of a live bus without its helper: a dfuscope with no
dfuscope-capture where it looks for it (a copy of the program in a folder of
its own), or with DFS_CAPTURE_HELPER naming nothing, says what is missing and
exits 2 (the capture could not be made). What needs no helper still works
there: reading a capture file (capture -r, follow), --help and usage errors.
With DFS_CAPTURE_HELPER naming the built helper, the copy reaches it: the
helper's own answer about usbmon, under a moved system root with no usbmon,
proves that it ran.

usage: capture_helper.py DFUSCOPE HELPER"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperless import Checks, program_copy  # noqa: E402

FIXTURE = "fixtures/captures/seed-cubeprogrammer-ob-write.pcapng"


def main():
    dfuscope, helper = sys.argv[1], sys.argv[2]
    src = os.environ["DFS_SOURCE_DIR"]
    c = Checks("DFS_CAPTURE_HELPER")
    run, check = c.run, c.check

    with tempfile.TemporaryDirectory() as tmp:
        copy = program_copy(dfuscope, tmp)
        out = os.path.join(tmp, "out.pcap")
        expected = os.path.join(tmp, "libexec", "dfuscope", "dfuscope-capture")
        r = run([copy, "capture", "-w", out])
        check(r.returncode == 2 and expected in r.stderr and "dfuscope capture:" in r.stderr
              and not os.path.exists(out), f"no helper: exit 2 naming {expected}", r)
        nothing = os.path.join(tmp, "nothing")
        r = run([copy, "capture", "-w", out], {"DFS_CAPTURE_HELPER": nothing})
        check(r.returncode == 2 and f"DFS_CAPTURE_HELPER={nothing}" in r.stderr,
              "DFS_CAPTURE_HELPER naming nothing: exit 2", r)
        r = run([copy, "capture", "--help"])
        check(r.returncode == 0 and "Usage:" in r.stdout, "--help without the helper", r)
        r = run([copy, "capture", "--json"])
        check(r.returncode == 2 and "--diagnose" in r.stderr,
              "usage error without the helper: exit 2", r)
        r = run([copy, "capture", "-r", os.path.join(src, FIXTURE), "--diagnose", "--no-status"])
        check(r.returncode == 1 and "dfuse.option-bytes-reset" in r.stdout,
              "capture -r without the helper: the diagnosis", r)
        r = run([copy, "follow", "--idle", "0.5", os.path.join(src, FIXTURE), "--no-status"])
        check(r.returncode == 1 and "dfuse.option-bytes-reset" in r.stdout,
              "follow without the helper: the diagnosis", r)
        # the helper runs: under an empty system root it finds no usbmon
        root = os.path.join(tmp, "root")
        os.makedirs(root)
        r = run([copy, "capture", "-w", out],
                {"DFS_CAPTURE_HELPER": os.path.abspath(helper), "DFUSCOPE_SYSROOT": root})
        check(r.returncode == 2 and "usbmon" in r.stderr and "helper" not in r.stderr,
              "DFS_CAPTURE_HELPER runs the helper: its answer about usbmon", r)
    c.finish()


if __name__ == "__main__":
    main()
