#!/usr/bin/env python3
"""`dfuscope quirks`: the quirk table against its sources, not against
itself.

1. Every device dfu-util's quirk system names (tests/data/quirk-sources/
   dfu-util-quirks.txt, transcribed from dfu-util's src/quirks.[ch]) is in
   the table: `dfuscope quirks VID:PID` (with --bcd where dfu-util keys on
   bcdDevice) lists a family whose source names dfu-util's src/quirks.c and
   whose quirks include what each dfu-util flag means in the reference list
   (../shared/reference/dfu-quirks.md): QUIRK_POLLTIMEOUT R5,
   QUIRK_FORCE_DFU11 R8, QUIRK_UTF8_SERIAL R21, QUIRK_DFUSE_LAYOUT R10,
   QUIRK_DFUSE_LEAVE R14.
2. The same for fwupd's plugins/dfu/dfu.quirk entries of those families
   (fwupd-dfu-quirk.txt): ignore-polltimeout R5, force-dfu-mode,
   use-any-interface, no-pid-change, no-dfu-runtime R13,
   no-get-status-upload R20, legacy-protocol R25, DfuForceVersion R8,
   detach-for-attach R12, absent-sector-size R10, gd32 R31.
3. The families issue 15 names are there with their quirks: Atmel FLIP
   03eb:2fxx, GD32VF103 28e9:0189, ESP32-S2/S3 303a:0002/0009, NXP LPC43xx
   1fc9:000c, the STM32 ROM busy stall (R2 on 0483:df11), ST's middleware
   R15-R18.
4. The command: text and JSON agree, an unknown VID:PID exits 1 and says
   so, a malformed one exits 2, --help documents the exit status.

usage: quirks_cli.py DFUSCOPE"""
import json
import os
import subprocess
import sys

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SRC, "tests", "data", "quirk-sources")
failures = []

DFU_UTIL = {"QUIRK_POLLTIMEOUT": "R5", "QUIRK_FORCE_DFU11": "R8", "QUIRK_UTF8_SERIAL": "R21",
            "QUIRK_DFUSE_LAYOUT": "R10", "QUIRK_DFUSE_LEAVE": "R14"}
FWUPD = {"ignore-polltimeout": "R5", "force-dfu-mode": "R13", "use-any-interface": "R13",
         "no-pid-change": "R13", "no-dfu-runtime": "R13", "no-get-status-upload": "R20",
         "legacy-protocol": "R25", "force-version": "R8", "detach-for-attach": "R12",
         "absent-sector-size": "R10", "gd32": "R31"}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def run(dfuscope, *args):
    r = subprocess.run([dfuscope, "quirks"] + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def families(dfuscope, vidpid, bcd=None):
    args = ["--json", vidpid] + (["--bcd", bcd] if bcd else [])
    rc, out, err = run(dfuscope, *args)
    try:
        return json.loads(out)["families"]
    except (ValueError, KeyError):
        check(False, f"quirks {' '.join(args)}: no JSON (exit {rc}): {err.strip()}")
        return []


def entries(name):
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            ids, rest = line[0], line[1:]
            bcd = None
            if rest and rest[0].startswith("bcdDevice="):
                bcd = rest.pop(0).split("=", 1)[1]
            flags = [fl.split("=", 1)[0] for fl in ",".join(rest).split(",") if fl]
            vid, pids = ids.split(":")
            first, _, last = pids.partition("-")
            for pid in sorted({int(first, 16), int(last or first, 16)}):
                yield f"{vid}:{pid:04x}", bcd, flags


def against(dfuscope, name, mapping, source):
    n = 0
    for vidpid, bcd, flags in entries(name):
        n += 1
        fams = [f for f in families(dfuscope, vidpid, bcd) if source in f["source"]]
        want = sorted({mapping[fl] for fl in flags if fl in mapping})
        have = sorted({q for f in fams for q in f["quirks"]})
        check(fams and all(q in have for q in want),
              f"{name}: {vidpid}{' bcdDevice ' + bcd if bcd else ''} {','.join(flags)}: a "
              f"family citing {source} with {want} (got {[f['name'] for f in fams]}, {have})")
    check(n >= 10, f"{name}: {n} entries read")


def issue_families(dfuscope):
    want = {"03eb:2ff4": ["R8", "R13", "R25"], "03eb:2fe2": ["R25"],
            "28e9:0189": ["R10", "R14", "R21", "R31"], "303a:0002": ["R13", "R26"],
            "303a:0009": ["R13", "R26"], "1fc9:000c": ["R28"],
            "0483:df11": ["R1", "R2", "R15", "R16", "R17", "R18"],
            "2fe3:0100": ["R29"], "cafe:4000": ["R30", "R14"]}
    for vidpid, qs in want.items():
        have = {q for f in families(dfuscope, vidpid) for q in f["quirks"]}
        check(all(q in have for q in qs), f"{vidpid}: quirks {qs} (got {sorted(have)})")


def command(dfuscope):
    rc, out, err = run(dfuscope)
    check(rc == 0 and "0483:df11  STM32 system bootloader" in out and "R32" in out,
          "quirks: every family and every quirk")
    rc, out, err = run(dfuscope, "--json")
    doc = json.loads(out) if rc == 0 else {}
    check(len(doc.get("quirks", [])) == 32 and
          [q["id"] for q in doc["quirks"]] == [f"R{i}" for i in range(1, 33)],
          "quirks --json: R1-R32 in order")
    check(all(f["source"] and f["workaround"] for f in doc.get("families", [])),
          "quirks --json: every family has a source and a workaround")
    rc, out, err = run(dfuscope, "0483:DF11")
    check(rc == 0 and "R2   GETSTATUS stalls while the device is busy" in out
          and "dfu-util src/dfuse.c" in out, "quirks 0483:DF11: the busy stall and its source")
    rc, out, err = run(dfuscope, "dead:beef")
    check(rc == 1 and "dead:beef: no known quirks" in out, f"quirks dead:beef: exit {rc}")
    rc, out, err = run(dfuscope, "--json", "dead:beef")
    check(rc == 1 and json.loads(out)["families"] == [], "quirks --json dead:beef: empty")
    rc, out, err = run(dfuscope, "0483")
    check(rc == 2 and "expected VID:PID" in err, f"quirks 0483: usage error ({rc}, {err!r})")
    rc, out, err = run(dfuscope, "--bcd", "xyz", "0483:df11")
    check(rc == 2 and "--bcd" in err, f"quirks --bcd xyz: usage error ({rc})")
    rc, out, err = run(dfuscope, "--help")
    check(rc == 0 and "Exit status: 0 listed, 1 no known family" in out, "quirks --help")
    # bcdDevice keys: the Maple quirk needs rev 0x0200
    check(not families(dfuscope, "1eaf:0003") and families(dfuscope, "1eaf:0003", "0200"),
          "quirks 1eaf:0003: keyed on bcdDevice 0200")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dfuscope = sys.argv[1]
    against(dfuscope, "dfu-util-quirks.txt", DFU_UTIL, "dfu-util src/quirks.c")
    against(dfuscope, "fwupd-dfu-quirk.txt", FWUPD, "fwupd plugins/dfu/dfu.quirk")
    issue_families(dfuscope)
    command(dfuscope)
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
