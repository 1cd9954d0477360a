#!/usr/bin/env python3
"""A capture of many sessions: what diagnose, its JSON and `dfuscope report`
keep and what they count.

The capture comes from bench/gen (the benchmark's generator): a DfuSe
bootloader flashed again and again, each session ending with the leave
request, a reset and a new enumeration, plus a mouse and a flash drive.
tshark counts, independently of dfuscope, the leave requests (zero-length
DNLOAD) and the enumerations (SET_ADDRESS) in it. Checked:
  - diagnose keeps the first 20 findings of each id and counts the rest:
    kept + counted = every leave tshark sees, and the text says "... and N
    more like this (ID), frames A to B" with the JSON's numbers;
  - the errors/warnings/notes counts include the findings not listed;
  - the device instances that left and re-enumerated are kept up to 16 and
    the older ones counted (summary line and JSON devices_forgotten), and
    every enumeration tshark sees is an instance dfuscope counted;
  - `dfuscope report` lists as many of each id and says how many more.

usage: long_capture.py DFUSCOPE BENCH_GEN"""
import json
import os
import re
import subprocess
import sys
import tempfile

import tools

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def tshark_count(path, flt):
    r = subprocess.run(["tshark", "-r", path, "-Y", flt, "-T", "fields", "-e", "frame.number"],
                       capture_output=True, text=True, check=True)
    return len([line for line in r.stdout.splitlines() if line.strip()])


def main():
    dfuscope, gen = sys.argv[1], sys.argv[2]
    tools.require("tshark")
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "long.pcap")
        subprocess.run([gen, "40", cap], check=True, capture_output=True)
        leaves = tshark_count(cap, "usb.bmRequestType == 0x21 && usb.setup.bRequest == 1 "
                                   "&& usb.setup.wLength == 0")
        enums = tshark_count(cap, "usb.bmRequestType == 0x00 && usb.setup.bRequest == 5")
        print(f"tshark: {leaves} leave requests, {enums} SET_ADDRESS")
        check(leaves > 25, f"the capture has {leaves} sessions; more than 25 needed")

        r = subprocess.run([dfuscope, "diagnose", "--json", cap], capture_output=True, text=True)
        check(r.returncode == 0, f"diagnose --json: exit {r.returncode} {r.stderr}")
        j = json.loads(r.stdout)
        s = j["summary"]
        by_id = {}
        for f in j["findings"]:
            by_id[f["id"]] = by_id.get(f["id"], 0) + 1
        more = {m["id"]: m for m in j["findings_more"]}
        check(all(n <= 20 for n in by_id.values()), f"more than 20 kept of one id: {by_id}")
        lr = more.get("dfuse.leave-reset")
        if check(lr is not None, f"no count of dfuse.leave-reset beyond 20: {more}"):
            check(lr["kept"] == 20 and by_id.get("dfuse.leave-reset") == 20,
                  f"leave-reset kept {lr['kept']}, listed {by_id.get('dfuse.leave-reset')}")
            # every leave but the last one, whose device comes back after the
            # end of the capture, is a leave-reset
            check(lr["kept"] + lr["more"] in (leaves, leaves - 1),
                  f"leave-reset: {lr['kept']} + {lr['more']} for {leaves} leave requests")
            check(lr["first_frame"] < lr["last_frame"], f"frames of the rest: {lr}")
        total = sum(by_id.values()) + sum(m["more"] for m in j["findings_more"])
        check(s["errors"] + s["warnings"] + s["notes"] == total,
              f"summary counts {s['errors']}/{s['warnings']}/{s['notes']}, findings {total}")
        check(s["findings_repeated"] == sum(m["more"] for m in j["findings_more"]),
              f"findings_repeated {s['findings_repeated']}")
        # instances: every enumeration is one; the kept ones are listed
        check(s["devices"] >= enums, f"{s['devices']} instances for {enums} enumerations")
        check(s["devices_forgotten"] == s["devices"] - len(j["devices"]),
              f"devices {s['devices']}, listed {len(j['devices'])}, "
              f"forgotten {s['devices_forgotten']}")
        check(s["devices_forgotten"] > 0, "no instance forgotten")
        left = [d for d in j["devices"] if d["gone_frame"] is not None and d["vid"] == 0x0483]
        check(len(left) <= 16, f"{len(left)} instances that left are kept")

        r = subprocess.run([dfuscope, "diagnose", cap], capture_output=True, text=True)
        out = r.stdout
        if lr:
            line = (f"... and {lr['more']} more like this (dfuse.leave-reset), frames "
                    f"{lr['first_frame']} to {lr['last_frame']}")
            check(line in out, f"text output lacks {line!r}")
        check(f"{s['findings_repeated']} repeated findings counted but not listed" in out,
              "text summary lacks the repeated findings")
        check(f"{s['devices_forgotten']} earlier device instances that re-enumerated were "
              "forgotten (the latest 16 are kept)" in out,
              "text summary lacks the forgotten instances")
        check(len(re.findall(r"^note +dfuse\.leave-reset", out, re.M)) == 20,
              "text lists other than 20 leave-reset findings")

        r = subprocess.run([dfuscope, "descriptors", "--json", cap], capture_output=True,
                           text=True)
        dj = json.loads(r.stdout)
        check(dj["devices_forgotten"] == s["devices_forgotten"] and
              len(dj["devices"]) == len(j["devices"]),
              f"descriptors: {len(dj['devices'])} listed, {dj['devices_forgotten']} forgotten")

        html = os.path.join(tmp, "long.html")
        r = subprocess.run([dfuscope, "report", cap, "-o", html], capture_output=True,
                           text=True)
        check(r.returncode == 0, f"report: exit {r.returncode} {r.stderr}")
        page = open(html, encoding="utf-8").read()
        listed = len(re.findall(r'<article class="finding [^"]*" id="finding-\d+" '
                                r'data-id="dfuse.leave-reset"', page))
        check(listed == 20, f"report lists {listed} leave-reset findings")
        if lr:
            check(f"and {lr['more']} more like this (dfuse.leave-reset)" in page,
                  "report lacks the count of the other leave-reset findings")
        check(f"({s['devices_forgotten']} earlier instances that re-enumerated forgotten"
              in page, "report lacks the forgotten instances")
    for f in failures:
        print("FAIL " + f)
    print("ok" if not failures else f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
