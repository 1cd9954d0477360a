#!/usr/bin/env python3
"""The vendor DFU stacks' reference captures (fixtures/captures/stmw-*,
zephyr-*): `dfuscope diagnose` names each deviation as the known quirk of
the quirk table's family at the frames the capture shows it (from
fixtures/captures/README.md: what the model did, and what dfu-quirks.md
says of ST's USB device middleware and of Zephyr's USB DFU class), with
what hosts do about it, and the sessions that flash gives their outcome.

usage: vendor_quirks.py DFUSCOPE"""
import json
import os
import subprocess
import sys

CAPTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures",
                        "captures")
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def diagnose(dfuscope, name):
    r = subprocess.run([dfuscope, "diagnose", "--json", os.path.join(CAPTURES, name)],
                       capture_output=True, text=True, timeout=120)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{name}: diagnose exited {r.returncode}: {r.stderr}")
    return r.returncode, json.loads(r.stdout)


def quirk_named(doc, fid, frame, quirk, family, workaround):
    """A finding `fid` about `frame` that names `quirk` of `family` and the workaround."""
    for f in doc["findings"]:
        if f["id"] == fid and frame in f["frames"]:
            return (f"known quirk {quirk}:" in f["explanation"] and family in f["explanation"]
                    and f"What hosts do about {quirk}: {workaround}" in f["remedy"])
    return False


def main():
    dfuscope = sys.argv[1]
    st = "ST USB device middleware DFU"

    rc, doc = diagnose(dfuscope, "stmw-requests-r15-r16-r18.pcapng")
    check(quirk_named(doc, "dfu.error-state", 58, "R15", st, "send CLRSTATUS only in dfuERROR"),
          "R15: the dfuERROR after the CLRSTATUS in dfuIDLE (frame 58) is ST's known quirk")
    check(quirk_named(doc, "dfu.bad-state-value", 66, "R16", st, "ignore the value"),
          "R16: bState 15 after UPLOAD block 1 (frame 66) is ST's known quirk")
    check(quirk_named(doc, "dfu.stall-without-error-state", 78, "R18", st,
                      "after any failure read GETSTATUS"),
          "R18: the STALLed DNLOAD that leaves dfuUPLOAD-IDLE (frame 78) is ST's known quirk")
    check(doc["summary"]["errors"] == 0, "ST middleware requests: no error")

    rc, doc = diagnose(dfuscope, "stmw-dfu-util-download-leave.pcapng")
    out = doc["summary"]["outcome"]
    # the middleware erases inside the GETSTATUS that follows the erase
    # command, holding it about 200 ms after announcing 50 ms
    # (fixtures/captures/README.md): that poll is the one warning
    warned = {f["id"] for f in doc["findings"] if f["severity"] == "warning"}
    check(rc == 0 and doc["summary"]["errors"] == 0 and
          warned == {"dfu.poll-timeout-too-short"},
          f"ST middleware download with dfu-util: no error, exit 0, the one warning the "
          f"held erase poll ({warned})")
    check(out["written_bytes"] == 5000 and out["blocks"] == 5 and
          out["blocks_confirmed"] == 5 and out["erased"] == 1,
          f"ST middleware download: 1 sector erased, 5000 bytes in 5 confirmed blocks ({out})")

    rc, doc = diagnose(dfuscope, "zephyr-dfu-util-download-alt0.pcapng")
    check(rc == 1 and quirk_named(doc, "dfu.operation-failed", 66, "R29",
                                  "Zephyr USB DFU with MCUboot", "download to alt 1"),
          "R29: the errWRITE of a download to alt 0 (frame 66) is Zephyr's known quirk, "
          "with dfu-util -a 1 as the workaround")

    rc, doc = diagnose(dfuscope, "zephyr-dfu-util-download-alt1.pcapng")
    out = doc["summary"]["outcome"]
    check(out["written_bytes"] == 3000 and out["blocks_confirmed"] == 3,
          f"Zephyr download to alt 1: 3000 bytes in 3 confirmed blocks ({out})")
    check(not any(f["id"] == "dfu.operation-failed" for f in doc["findings"]),
          "Zephyr download to alt 1: no failed operation")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
