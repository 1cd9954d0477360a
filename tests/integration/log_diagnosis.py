#!/usr/bin/env python3
"""dfuscope diagnose on text logs (docs/logs.md).

1. The seed post (tests/data/logs/seed-forum-post.txt: dfu-util -l, lsusb
   -vvv, a dfu-util upload, an STM32CubeProgrammer option-byte write, with
   prose between) gives exactly the three findings of the seed's answer, each
   citing the lines that prove it. The line numbers are found here in the
   text itself, not taken from dfuscope.
2. The same from standard input, with CRLF line ends, with terminal colour
   escapes, and with a quote prefix ("> ") on every line.
3. Real output of lsusb -v (usbutils 014), dfu-util 0.11 (-v, -v -v, LIBUSB_DEBUG=4)
   run against the emulated devices (tests/data/logs/SOURCES.md), clean and
   faulty: each gives the findings of the fault the device was made with
   (the model's option, the oracle), and only those.
   The same for fwupdtool 2.0 -v and -v -v (tests/data/logs/fwupd-2.0/), and
   for dfu-tool -v of fwupd 1.8 (tests/data/logs/dfu-tool-1.8/, the same
   sessions in the words fwupd 1.8's sources print).
   --device keeps the findings of the log's own that belong to the device.
4. dfuscope report on the seed post lists the three findings with their lines.
5. Hostile text: binary in the middle of the post, a 48 MiB line, half an
   lsusb block, a log of another tool; text of no tool dfuscope reads and
   binary junk end with a clear message and exit status 2.

usage: log_diagnosis.py DFUSCOPE"""
import json
import os
import subprocess
import sys
import tempfile

DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
SEED = os.path.join(DATA, "logs", "seed-forum-post.txt")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(dfuscope, args, stdin=None):
    return subprocess.run([dfuscope, "diagnose"] + args, input=stdin, capture_output=True,
                          timeout=120)


def lines_with(text, needle):
    return [i + 1 for i, ln in enumerate(text.split("\n")) if needle in ln]


def seed_findings(dfuscope, label, args, stdin=None, text=None):
    res = run(dfuscope, ["--json"] + args, stdin)
    check(res.returncode == 1, f"{label}: exit status 1 (an error finding), got {res.returncode}"
          f" {res.stderr.decode(errors='replace').strip()}")
    if res.returncode not in (0, 1):
        return
    doc = json.loads(res.stdout)
    by = {f["id"]: f for f in doc["findings"]}
    check(sorted(by) == ["desc.duplicate-alt-layouts", "dfuse.address-outside-layout",
                         "dfuse.option-bytes-reset"], f"{label}: the three findings {sorted(by)}")
    if len(by) != 3:
        return
    iface = lines_with(text, "iInterface")
    dup = by["desc.duplicate-alt-layouts"]
    check(dup["lines"] == iface, f"{label}: duplicate layouts cite lsusb's iInterface lines "
          f"{iface}: {dup['lines']}")
    check(dup["frames"] == [] and dup["frame"] is None, f"{label}: no frames in a log")
    page = lines_with(text, "Page at 0x1fff7870 is not readable")
    out = by["dfuse.address-outside-layout"]
    check(page[0] in out["lines"], f"{label}: outside-layout cites line {page}: {out['lines']}")
    check(":force" in out["remedy"] and "0x1fff7870" in out["remedy"],
          f"{label}: dfu-util's :force remedy")
    check("never reached the device" in out["explanation"],
          f"{label}: says the refused upload proves nothing about the device")
    pipe = lines_with(text, "libusb get status error [-9]")
    ob = by["dfuse.option-bytes-reset"]
    check(ob["severity"] == "error" and ob["likely"], f"{label}: option-byte reset, most likely")
    check(pipe[0] in ob["lines"] and pipe[2] in ob["lines"],
          f"{label}: option-byte reset cites the pipe errors of both logs {pipe}: {ob['lines']}")
    check("0x1fff7870" in ob["explanation"], f"{label}: names the address written")
    check(doc["log"]["lines"] == text.count("\n") + (0 if text.endswith("\n") else 1),
          f"{label}: every line read ({doc['log']['lines']})")
    # a log holds no DFU transfer: no outcome is told from it (docs/logs.md)
    check(doc["summary"]["outcome"] is None,
          f"{label}: summary.outcome is null for a log: {doc['summary'].get('outcome')}")


# file -> (the findings the emulated device's fault must give, the line they cite)
FIXTURES = {
    "lsusb-stm32g0c1.txt": (["desc.duplicate-alt-layouts"], "iInterface"),
    "lsusb-dfuse-device.txt": ([], None),
    "lsusb-dfuse-short-functional.txt": (["desc.functional-short"], None),
    "lsusb-dfu11-no-functional.txt": (["desc.functional-missing"], None),
    "lsusb-dfu11-two-configurations.txt": (["desc.functional-missing"], None),
    "dfu-util-0.11/g0-upload-not-readable.txt": (["dfuse.address-outside-layout"],
                                                 "Page at 0x1fff7870 is not readable"),
    "dfu-util-0.11/g0-ob-write.txt": (["dfuse.option-bytes-reset"],
                                      "Error during download get_status"),
    "dfu-util-0.11/dfuse-short-poll.txt": (["dfu.poll-timeout-too-short", "log.tool-error"],
                                           "Device stalled USB pipe"),
    "dfu-util-0.11/dfuse-download-leave.txt": ([], None),
    "dfu-util-0.11/no-device.txt": (["log.tool-error"], "More than one DFU capable"),
    "dfu-util-0.11/g0-list-libusb-debug.txt": ([], None),
    "dfu-util-0.11/dfuse-short-poll-libusb-debug.txt": (
        ["dfu.poll-timeout-too-short", "log.tool-error"], "Device stalled USB pipe"),
    # -v -v prints the state the device reported after a refused block
    "dfu-util-0.11/dfu11-too-big.txt": (["dfu.operation-failed"], "DFU state(10) = dfuERROR"),
    "dfu-util-0.11/g0-ob-write-rejected.txt": (["dfuse.option-bytes-rejected"],
                                               "DFU state(10) = dfuERROR"),
}


def fixtures(dfuscope):
    for name, (want, cited) in FIXTURES.items():
        path = os.path.join(DATA, "logs", name)
        text = open(path, newline="").read()  # progress bars' \r: not a line end
        res = run(dfuscope, ["--json", path])
        if res.returncode not in (0, 1):
            check(False, f"{name}: exit {res.returncode} {res.stderr.decode(errors='replace')}")
            continue
        doc = json.loads(res.stdout)
        got = sorted(f["id"] for f in doc["findings"])
        check(got == sorted(want), f"{name}: findings {got}, want {sorted(want)}")
        errors = any(f["severity"] == "error" for f in doc["findings"])
        check(res.returncode == (1 if errors else 0), f"{name}: exit status {res.returncode}")
        if cited and want:
            where = lines_with(text, cited)
            first = [f for f in doc["findings"] if f["id"] == want[0]][0]
            check(where and where[0] in first["lines"],
                  f"{name}: {want[0]} cites line {where[:1]} ({first['lines']})")
        log = doc["log"]
        filled = sum(1 for ln in text.split("\n") if ln.strip())
        check(log["understood"] * 10 >= filled * 8,
              f"{name}: most lines understood ({log['understood']} of {filled} not blank)")


# fwupdtool 2.0.20 (-v, -v -v) against the emulated devices: file -> (the
# findings the device's fault (or fwupd's own behaviour the reference capture
# of the same session shows, fixtures/captures/fwupd-*) must give, the text
# of the line the first one must cite, a word its explanation must hold)
FWUPD = {
    "get-devices-v.txt": ([], None, None),
    "dfuse-install-vv.txt": ([], None, None),
    "dfu11-install-vv.txt": (["dfu.state-violation"], "state=dfu-manifest", "dfuMANIFEST"),
    "dfu11-install-v.txt": (["log.tool-error"], "failed to write-firmware: cannot upload data",
                            "UPLOAD"),
    "dfuse-dump-vv.txt": (["dfuse.address-outside-layout"], "cannot upload data",
                          "0x08001000"),
    "dfuse-short-poll-vv.txt": (["dfu.getstatus-stall"], "state=dfu-dnbusy (dnload=1)",
                                "bwPollTimeout"),
    "dfu11-oversized-vv.txt": (["log.tool-error"], "writing #0000 chunk of size 0x800",
                               "DNLOAD"),
}


def fwupd_logs(dfuscope):
    for name, (want, cited, word) in FWUPD.items():
        path = os.path.join(DATA, "logs", "fwupd-2.0", name)
        # fwupdtool redraws its progress line with carriage returns: one
        # line as a terminal (and dfuscope) counts them
        text = open(path, newline="").read()
        res = run(dfuscope, ["--json", path])
        if res.returncode not in (0, 1):
            check(False, f"fwupd {name}: exit {res.returncode} {res.stderr.decode(errors='replace')}")
            continue
        doc = json.loads(res.stdout)
        got = sorted(f["id"] for f in doc["findings"])
        check(got == sorted(want), f"fwupd {name}: findings {got}, want {sorted(want)}")
        check("fwupd" in doc["log"]["tools"], f"fwupd {name}: tool named ({doc['log']['tools']})")
        errors = any(f["severity"] == "error" for f in doc["findings"])
        check(res.returncode == (1 if errors else 0), f"fwupd {name}: exit status {res.returncode}")
        if not want or got != sorted(want):
            continue
        first = [f for f in doc["findings"] if f["id"] == want[0]][0]
        where = lines_with(text, cited)
        check(where and where[-1] in first["lines"] or where and where[0] in first["lines"],
              f"fwupd {name}: {want[0]} cites the line of '{cited}' {where[:3]} ({first['lines']})")
        # the line the failure is printed on, at the end
        fail = [i + 1 for i, ln in enumerate(text.split("\n")) if "Pipe error" in ln]
        check(fail[-1] in first["lines"], f"fwupd {name}: cites the error at line {fail[-1]}")
        check(word in first["explanation"] and first["likely"],
              f"fwupd {name}: explanation says '{word}', most likely")


# dfu-tool -v (fwupd 1.8) logs of the same sessions, as its sources print
# them (tests/data/logs/dfu-tool-1.8/derive.py): the same findings as
# fwupdtool 2.0 gives, named after dfu-tool
DFU_TOOL = {
    "dfuse-write-v.txt": ([], None, None),
    "dfuse-read-v.txt": (["dfuse.address-outside-layout"], "starting upload from 0x08000000",
                         "0x08001000"),
    "dfu11-write-v.txt": (["dfu.state-violation"], "state=dfu-manifest", "dfuMANIFEST"),
    "dfuse-short-poll-write-v.txt": (["dfu.getstatus-stall"], "state=dfu-dnbusy (dnload=1)",
                                     "bwPollTimeout"),
    "no-device-v.txt": (["log.no-device"], "no device matches for 1234:5678", "-d"),
}


def dfu_tool_logs(dfuscope):
    for name, (want, cited, word) in DFU_TOOL.items():
        path = os.path.join(DATA, "logs", "dfu-tool-1.8", name)
        text = open(path).read()
        res = run(dfuscope, ["--json", path])
        if res.returncode not in (0, 1):
            check(False, f"dfu-tool {name}: exit {res.returncode} {res.stderr.decode(errors='replace')}")
            continue
        doc = json.loads(res.stdout)
        got = sorted(f["id"] for f in doc["findings"])
        check(got == sorted(want), f"dfu-tool {name}: findings {got}, want {sorted(want)}")
        check(doc["log"]["tools"] == "dfu-tool", f"dfu-tool {name}: tool named ({doc['log']['tools']})")
        filled = sum(1 for ln in text.split("\n") if ln.strip())
        check(doc["log"]["understood"] == filled,
              f"dfu-tool {name}: every line understood ({doc['log']['understood']} of {filled})")
        if not want or got != sorted(want):
            continue
        first = doc["findings"][0]
        where = lines_with(text, cited)
        check(where and where[-1] in first["lines"],
              f"dfu-tool {name}: {want[0]} cites the line of '{cited}' {where[-1:]} ({first['lines']})")
        last = len(text.rstrip("\n").split("\n"))
        check(last in first["lines"], f"dfu-tool {name}: cites the error at line {last}")
        check(word in first["explanation"] + first.get("remedy", "") and first["likely"],
              f"dfu-tool {name}: says '{word}', most likely")
    ids = lambda res: sorted(f["id"] for f in json.loads(res.stdout)["findings"]) \
        if res.returncode in (0, 1) else [f"exit {res.returncode}"]
    read = os.path.join(DATA, "logs", "dfu-tool-1.8", "dfuse-read-v.txt")
    got = ids(run(dfuscope, ["--json", "--device", "0483:df11", read]))
    check(got == ["dfuse.address-outside-layout"], f"dfu-tool read, --device 0483:df11 ({got})")
    got = ids(run(dfuscope, ["--json", "--device", "1209:0001", read]))
    check(got == [], f"dfu-tool read, --device 1209:0001: dfu-tool spoke to 0483:df11 ({got})")
    # dfu-tool's glib lines pasted between fwupdtool 2.0 lines: both read
    fw = open(os.path.join(DATA, "logs", "fwupd-2.0", "dfuse-dump-vv.txt")).read()
    text = open(os.path.join(DATA, "logs", "dfu-tool-1.8", "no-device-v.txt")).read()
    res = run(dfuscope, ["--json", "-"], (fw + "\nAnd with the older dfu-tool:\n\n" + text).encode())
    doc = json.loads(res.stdout) if res.returncode in (0, 1) else {"findings": [], "log": {"tools": ""}}
    check(sorted(f["id"] for f in doc["findings"]) == ["dfuse.address-outside-layout", "log.no-device"]
          and "fwupd" in doc["log"]["tools"] and "dfu-tool" in doc["log"]["tools"],
          f"fwupdtool and dfu-tool in one post ({doc['log']['tools']})")


def libusb_transfers(dfuscope):
    """LIBUSB_DEBUG=4 logs (libusb 1.0.26) become a list of control transfers:
    each one libusb's own lines show (submit, usbfs's reap with its status
    and length), checked here against those lines read independently; the
    request named only where dfu-util's next line says what it read."""
    for name in ("dfuse-short-poll-libusb-debug.txt", "g0-list-libusb-debug.txt"):
        path = os.path.join(DATA, "logs", "dfu-util-0.11", name)
        lines = open(path, newline="").read().split("\n")
        submits = [i + 1 for i, ln in enumerate(lines) if "[libusb_submit_transfer] transfer" in ln]
        reaps = []
        for i, ln in enumerate(lines):
            if "[reap_for_handle] urb type=2 " in ln:
                kv = dict(w.split("=") for w in ln.split("urb ")[1].split())
                reaps.append((i + 1, int(kv["status"]), int(kv["transferred"])))
        opened = [ln.split("open ")[1] for ln in lines if "[libusb_open] open " in ln]
        res = run(dfuscope, ["--json", path])
        doc = json.loads(res.stdout) if res.returncode in (0, 1) else {"log": {}}
        xs = doc["log"].get("transfers", [])
        check(len(xs) == len(reaps) == len(submits),
              f"libusb {name}: {len(xs)} transfers, libusb's lines show {len(reaps)}")
        check([x["lines"] for x in xs] == [[s, r[0]] for s, r in zip(submits, reaps)],
              f"libusb {name}: each transfer cites its submit and reap lines")
        check([(x["status"], x["length"]) for x in xs] == [r[1:] for r in reaps],
              f"libusb {name}: status and length as usbfs reaped them")
        check(all(x["device"] == opened[-1] for x in xs),
              f"libusb {name}: on the device libusb opened ({opened[-1:]})")
        for x in xs:
            if x["request"] is None:
                continue
            told = lines[x["request_line"] - 1]
            ok = (x["status"] == 0 and x["length"] == 6 and
                  ("DFU state(" in told or "Poll timeout" in told)) or \
                 (x["status"] == -32 and ("stalled USB pipe" in told or "get_status" in told))
            check(ok and x["request"] == "GETSTATUS" and x["request_line"] > x["lines"][1],
                  f"libusb {name}: transfer at line {x['lines'][0]} named GETSTATUS by line "
                  f"{x['request_line']}: {told.strip()[:60]}")
    path = os.path.join(DATA, "logs", "dfu-util-0.11", "dfuse-short-poll-libusb-debug.txt")
    xs = json.loads(run(dfuscope, ["--json", path]).stdout)["log"]["transfers"]
    stalls = [x for x in xs if x["result"] == "stall"]
    check(len(stalls) == 4 and all(x["request"] == "GETSTATUS" for x in stalls),
          f"short poll: the 4 stalled transfers are GETSTATUS ({len(stalls)})")
    # the DfuSe erase command (5 bytes) and the descriptor reads: libusb does
    # not say which request they were, and nothing is made up
    check([x["length"] for x in xs if x["request"] is None] == [4, 78, 4, 26, 5],
          "short poll: the transfers no line names stay unnamed")
    out = run(dfuscope, [path]).stdout.decode()
    check("libusb: 11 control transfers, 4 stalled, 0 failed otherwise, 6 named" in out,
          "short poll: the text summary counts libusb's transfers")


def device_selected(dfuscope):
    """--device keeps the findings of the log's own that belong to the device
    selected: those of a tool that named it (dfu-util's "Found DFU: [0483:df11]",
    fwupd's instance ids), and those of a tool that names no device; it drops
    those of a tool that spoke to another device."""
    ids = lambda res: sorted(f["id"] for f in json.loads(res.stdout)["findings"]) \
        if res.returncode in (0, 1) else [f"exit {res.returncode}: {res.stderr[-200:]}"]
    got = ids(run(dfuscope, ["--json", "--device", "0483:df11", SEED]))
    check(got == ["desc.duplicate-alt-layouts", "dfuse.address-outside-layout",
                  "dfuse.option-bytes-reset"],
          f"seed post, --device 0483:df11: the three findings ({got})")
    # the CubeProgrammer log names no VID:PID: its finding stays
    got = ids(run(dfuscope, ["--json", "--device", "1209:0001", SEED]))
    check(got == ["dfuse.option-bytes-reset"],
          f"seed post, --device 1209:0001: only the finding of the log naming no device ({got})")
    # --device BUS.DEV: the seed's lsusb block is "Bus 001 Device 006", its
    # dfu-util -l says devnum=6, path="1-1"; the upload run names only
    # 0483:df11, which the post puts at 1.6 alone
    got = ids(run(dfuscope, ["--json", "--device", "1.6", SEED]))
    check(got == ["desc.duplicate-alt-layouts", "dfuse.address-outside-layout",
                  "dfuse.option-bytes-reset"],
          f"seed post, --device 1.6: the three findings ({got})")
    got = ids(run(dfuscope, ["--json", "--device", "1.2", SEED]))
    check(got == ["dfuse.option-bytes-reset"],
          f"seed post, --device 1.2: only the finding of the log naming no device ({got})")
    res = subprocess.run([dfuscope, "report", "-q", "--device", "1.2", SEED],
                         capture_output=True, timeout=120)
    check(res.returncode == 0 and b'data-id="dfuse.address-outside-layout"' not in res.stdout
          and b'data-id="dfuse.option-bytes-reset"' in res.stdout,
          f"report --device 1.2 on the seed post keeps the CubeProgrammer finding only")
    # a dfu-util download names no bus address, and nothing else in the log
    # does: its finding is kept whatever the address
    alone = os.path.join(DATA, "logs", "dfu-util-0.11", "g0-upload-not-readable.txt")
    got = ids(run(dfuscope, ["--json", "--device", "3.9", alone]))
    check(got == ["dfuse.address-outside-layout"],
          f"a log naming no address keeps its finding with --device 3.9 ({got})")
    dump = os.path.join(DATA, "logs", "fwupd-2.0", "dfuse-dump-vv.txt")
    got = ids(run(dfuscope, ["--json", "--device", "0483:df11", dump]))
    check(got == ["dfuse.address-outside-layout"], f"fwupd dump, --device 0483:df11 ({got})")
    got = ids(run(dfuscope, ["--json", "--device", "1209:0001", dump]))
    check(got == [], f"fwupd dump, --device 1209:0001: fwupd spoke to 0483:df11 ({got})")
    res = subprocess.run([dfuscope, "report", "-q", "--device", "1209:0001", dump],
                         capture_output=True, timeout=120)
    check(res.returncode == 0 and b'data-id="dfuse.address-outside-layout"' not in res.stdout,
          f"report --device 1209:0001 on the fwupd dump leaves its finding out ({res.returncode})")


def peak_kib(dfuscope, path):
    """Peak resident memory (KiB) and exit status of one diagnose run, from
    GNU time (a small parent: the peak is dfuscope's own, not the forking
    Python's)"""
    res = subprocess.run(["/usr/bin/time", "-f", "%M", dfuscope, "diagnose", "--json", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    return int(res.stderr.decode().strip().split("\n")[-1]), res.returncode


def hostile(dfuscope, raw, text):
    """Binary in the middle, a huge line, half an lsusb block, a log of another
    tool: a clear result, the good lines still used, memory bounded."""
    junk = bytes(range(256)) * 16
    at = raw.index(b"$ dfu-util -d")
    mixed = raw[:at] + junk + b"\n" + raw[at:]
    res = run(dfuscope, ["--json", "-"], mixed)
    doc = json.loads(res.stdout) if res.returncode in (0, 1) else {"findings": []}
    got = sorted(f["id"] for f in doc["findings"])
    check(got == ["desc.duplicate-alt-layouts", "dfuse.address-outside-layout",
                  "dfuse.option-bytes-reset", "log.unreadable-lines"],
          f"binary block in the post: the findings around it, and the lines skipped said ({got})")

    # memory: the peak of diagnose on the post with a 48 MiB line in front,
    # against the post alone, measured in the same go
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "post.txt")
        huge = os.path.join(tmp, "huge.txt")
        open(plain, "wb").write(raw)
        with open(huge, "wb") as f:
            f.write(b"Found DFU: [0483:df11] alt=1, name=\"" + b"A" * (48 << 20) + b"\"\n" + raw)
        if not os.path.exists("/usr/bin/time"):
            check(False, "GNU time (/usr/bin/time, package time) is needed to measure memory")
            return
        base, _ = peak_kib(dfuscope, plain)
        big, rc = peak_kib(dfuscope, huge)
        res = run(dfuscope, ["--json", huge])
        doc = json.loads(res.stdout) if res.returncode in (0, 1) else {"findings": [], "log": {}}
    check(rc == 1 and doc["log"].get("long_lines") == 1 and len(doc["findings"]) == 4,
          f"a 48 MiB line: cut, counted and said; the rest diagnosed ({rc})")
    check(big < base + 8 * 1024,
          f"a 48 MiB line: memory stays bounded (peak {big} KiB, {base} KiB without it)")

    half = raw[:raw.index(b"bAlternateSetting 1")]
    res = run(dfuscope, ["--json", "-"], half)
    check(res.returncode in (0, 1), f"half an lsusb block: diagnosed ({res.returncode})")

    other = b"avrdude: Device signature = 0x1e950f\navrdude: erasing chip\navrdude done.\n"
    res = run(dfuscope, ["-"], other)
    check(res.returncode == 2 and b"holds no output of a tool dfuscope reads" in res.stderr,
          f"a log of another tool: exit 2 with a message ({res.returncode})")


def old_lsusb(dfuscope):
    """An older lsusb prints the DFU functional descriptor as raw bytes
    ("** UNRECOGNIZED: 09 21 ..."): the same device and findings as the
    decoded form, bytes written here from the fields lsusb decoded."""
    path = os.path.join(DATA, "logs", "lsusb-stm32g0c1.txt")
    text = open(path).read()
    a = text.index("      Device Firmware Upgrade Interface Descriptor:")
    b = text.index("Device Status:")
    raw = "      ** UNRECOGNIZED:  09 21 0b ff 00 00 04 1a 01\n"
    docs = []
    for t in (text, text[:a] + raw + text[b:]):
        res = run(dfuscope, ["--json", "-"], t.encode())
        docs.append(json.loads(res.stdout) if res.returncode in (0, 1) else {})
    dfu = [d.get("devices", [{}])[0].get("dfu") for d in docs]
    check(dfu[0] is not None and dfu[0] == dfu[1],
          "lsusb's UNRECOGNIZED bytes give the same DFU interface as the decoded descriptor")
    check([f["id"] for f in docs[0].get("findings", [])] ==
          [f["id"] for f in docs[1].get("findings", [])], "and the same findings")


def two_configurations(dfuscope):
    """lsusb -v of a device with two configurations (the emulated dfu11-device
    -o second-configuration=1: configuration 2 repeats the DFU interface
    without its functional descriptor). Both are judged: the one finding is
    about the second, cites its "Configuration Descriptor:" line and names it
    by the bConfigurationValue lsusb printed there; the alternate settings of
    both configurations are listed, each with its configuration."""
    path = os.path.join(DATA, "logs", "lsusb-dfu11-two-configurations.txt")
    text = open(path).read()
    starts = lines_with(text, "Configuration Descriptor:")
    values = [int(ln.split()[1]) for ln in text.split("\n") if "bConfigurationValue" in ln]
    res = run(dfuscope, ["--json", path])
    doc = json.loads(res.stdout) if res.returncode in (0, 1) else {"findings": [], "devices": []}
    found = [f for f in doc["findings"] if f["id"] == "desc.functional-missing"]
    check(len(starts) == 2 and len(values) == 2 and len(found) == 1,
          f"two configurations: {len(starts)} in the text, one finding ({len(found)})")
    if len(found) == 1 and len(starts) == 2:
        f = found[0]
        check(f["lines"] == [starts[1]],
              f"two configurations: the finding cites line {starts[1]} ({f['lines']})")
        check(f"configuration {values[1]}: DFU interface 0 has no" in f["explanation"],
              f"two configurations: names configuration {values[1]}: {f['explanation']}")
    dfu = (doc.get("devices") or [{}])[0].get("dfu") or {}
    got = [(a.get("configuration"), a["name"]) for a in dfu.get("alts", [])]
    check(got == [(values[0], "Firmware"), (values[1], "Firmware")] if len(values) == 2 else False,
          f"two configurations: the alternate settings of both, by configuration ({got})")
    out = run(dfuscope, [path]).stdout.decode()
    check(f"alt 0 (configuration {values[1] if values else '?'}): \"Firmware\"" in out,
          "two configurations: text output says which configuration each alt is in")
    page = subprocess.run([dfuscope, "report", "-q", path], capture_output=True,
                          timeout=120).stdout.decode()
    trees = [f"<summary>Configuration {v}</summary>" in page for v in values]
    check(len(trees) == 2 and all(trees),
          f"two configurations: the report's descriptor tree shows both ({trees})")


def main():
    dfuscope = sys.argv[1]
    raw = open(SEED, "rb").read()
    text = raw.decode()
    seed_findings(dfuscope, "seed file", [SEED], text=text)
    seed_findings(dfuscope, "seed on stdin", ["-"], stdin=raw, text=text)
    seed_findings(dfuscope, "seed with CRLF", ["-"], stdin=raw.replace(b"\n", b"\r\n"),
                  text=text)
    colour = raw.replace(b"dfu-util: ", b"\x1b[1;31mdfu-util: \x1b[0m").replace(
        b"Bus 001", b"\x1b]0;title\x07Bus 001")
    seed_findings(dfuscope, "seed with terminal escapes", ["-"], stdin=colour, text=text)
    quoted = b"\n".join(b"> " + ln for ln in raw.split(b"\n"))
    seed_findings(dfuscope, "seed quoted", ["-"], stdin=quoted, text=text)

    fixtures(dfuscope)
    fwupd_logs(dfuscope)
    dfu_tool_logs(dfuscope)
    libusb_transfers(dfuscope)
    device_selected(dfuscope)
    old_lsusb(dfuscope)
    two_configurations(dfuscope)

    res = run(dfuscope, [SEED])
    out = res.stdout.decode()
    check("lines " + ", ".join(map(str, lines_with(text, "iInterface"))) in out,
          "text output: 'lines 53, 63, 73'-style citations")
    check("most likely" in out, "text output says how sure it is")
    check("outcome:" not in out, "text output of a log has no outcome line")

    hostile(dfuscope, raw, text)

    res = subprocess.run([dfuscope, "report", "-q", SEED], capture_output=True, timeout=120)
    page = res.stdout.decode()
    check(res.returncode == 0, f"report on the seed post: exit {res.returncode}")
    for fid in ("desc.duplicate-alt-layouts", "dfuse.address-outside-layout",
                "dfuse.option-bytes-reset"):
        check(f'data-id="{fid}"' in page, f"report on the seed post lists {fid}")
    check("Log lines: " + ", ".join(map(str, lines_with(text, "iInterface"))) in page,
          "report cites the log's lines")
    check('id="outcome"' not in page, "report on a log has no outcome section")

    res = run(dfuscope, ["-"], b"Hello,\nmy board does not flash. Any idea?\nThanks\n")
    err = res.stderr.decode()
    check(res.returncode == 2 and "not a pcap or pcapng capture" in err and
          "holds no output of a tool dfuscope reads" in err,
          f"prose alone: exit 2 and a clear message ({res.returncode}: {err.strip()})")
    res = run(dfuscope, ["-"], bytes(range(256)) * 64)
    check(res.returncode == 2 and res.stderr, f"binary junk: exit 2 ({res.returncode})")
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
