#!/usr/bin/env python3
"""`dfuscope run` and `dfuscope script-from` on the command line.

The run and script-from commands are the real ones (cli/cmd_run.c,
cli/cmd_script_from.c) linked with an emulated device of fixtures/models
in place of libusb (DFUSCOPE_FAKE, tests/unit/fakerun.c); the capture a run
writes is read by the real dfuscope and by tshark.

1. Script syntax errors, an absent device, a device that vanishes mid-run:
   each its message and exit code 2.
2. Every suite against every model: the JSON parses, the JUnit file parses
   as XML (xml.etree) and lists every check, with the same verdicts; the
   STM32G0C1 bootloader fails nothing: its alternate settings named alike
   are known quirk R10 of the STM32 ROM bootloaders (desc.dfuse.layout-unique).
3. The seed's option-byte write: refused without --allow-write
   --allow-option-bytes before any request (tshark finds no DNLOAD in the
   capture), passes with them (the capture holds the DNLOAD, and dfuscope
   diagnose reads it as dfuse.option-bytes-reset).
4. script-from on that capture, replayed against the same model, passes;
   without the flags it is refused. script-from on a real dfu-util capture
   gives a script that parses and needs --allow-write --allow-erase.
5. --dry-run prints the requests without a device; Ctrl-C (SIGINT) stops
   after the current step and sends ABORT.

usage: run_cli.py DFUSCOPE DFUSCOPE_FAKE"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

DFUSCOPE, FAKE = sys.argv[1], sys.argv[2]
DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
STM32 = os.path.join(DATA, "real", "stm32_dfu_install.pcap")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "captures")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def fake(args, model="dfuse", faults=None, env=None, **kw):
    e = dict(os.environ)
    e["DFS_FAKE_MODEL"] = model
    e.pop("DFS_FAKE_FAULTS", None)
    if faults:
        e["DFS_FAKE_FAULTS"] = faults
    e.update(env or {})
    return subprocess.run([FAKE] + args, capture_output=True, text=True, env=e, **kw)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def suite_ids():
    out = fake(["run", "--list"]).stdout
    ids = []
    for line in out.splitlines():
        if line.startswith("  "):
            ids.append(line.split()[0])
    return ids


def tshark_dnloads(pcap):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y",
                          "usb.bmRequestType == 0x21 && usb.setup.bRequest == 1 && "
                          "usb.urb_type == 'S'", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if l.strip()]


def tshark_frames(pcap):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout
    return len([l for l in out.splitlines() if l.strip()])


OB_WRITE = """# the seed report: SEC_SIZE of an STM32G0C1 over DfuSe, which resets the chip
set-interface 0
read 68 at 0x1FFF7800 expect length=68
read 4 at 0x1FFF7870 expect length=4
write hex:10000000 at 0x1FFF7870 expect disconnect
"""


def run_errors(tmp):
    """Errors of the run itself: syntax, a missing include, no device, a device that vanishes."""
    bad = os.path.join(tmp, "bad.dfu")
    write(bad, "getstatus\nset-address 0x0800zz00\n")
    r = fake(["run", bad])
    check(r.returncode == 2, "syntax error: exit %d, expected 2" % r.returncode)
    check("bad.dfu:2:13: expected an address" in r.stderr,
          "syntax error names file:line:column: " + r.stderr)
    check(r.stdout == "", "syntax error: nothing on stdout")

    write(os.path.join(tmp, "inc.dfu"), "include missing.dfu\n")
    r = fake(["run", os.path.join(tmp, "inc.dfu")])
    check(r.returncode == 2 and "inc.dfu:1:9: cannot include 'missing.dfu'" in r.stderr,
          "missing include: " + r.stderr)

    # the real program, and no device with that VID:PID
    r = subprocess.run([DFUSCOPE, "run", "--suite", "descriptors", "--device", "ffff:fffe"],
                       capture_output=True, text=True)
    check(r.returncode == 2, "absent device: exit %d" % r.returncode)
    check("no ffff:fffe is connected" in r.stderr or "cannot initialise libusb" in r.stderr,
          "absent device message: " + r.stderr)

    r = fake(["run", "--suite", "all", "--device", "1234:5678"])
    check(r.returncode == 2 and "no 1234:5678 is connected" in r.stderr,
          "absent device (fake): %d %s" % (r.returncode, r.stderr))

    junit = os.path.join(tmp, "vanish.xml")
    r = fake(["run", "--suite", "all", "--junit", junit, "--json"],
             env={"DFS_FAKE_VANISH_AFTER": "40"})
    check(r.returncode == 2, "vanishing device: exit %d" % r.returncode)
    check("left the bus during the" in r.stderr, "vanishing device message: " + r.stderr)
    doc = json.loads(r.stdout)
    check(doc["outcome"] == "device-lost", "vanish outcome " + doc["outcome"])
    tree = ET.parse(junit)
    check(len(tree.getroot().findall(".//testcase")) == len(doc["checks"]),
          "vanish: JUnit lists every check")


def every_suite(tmp):
    """Every suite against every model; a faulty variant fails exactly its check."""
    ids = suite_ids()
    check(len(ids) == 35, "35 checks listed, got %d" % len(ids))
    expected = {"dfuse": [], "dfu11": [], "stm32g0c1": []}
    for model, want in expected.items():
        junit = os.path.join(tmp, model + ".xml")
        r = fake(["run", "--suite", "descriptors,dfu11", "--suite", "dfuse", "--json",
                  "--junit", junit], model=model)
        check(r.returncode == (1 if want else 0),
              "%s: exit %d, expected %d\n%s" % (model, r.returncode, 1 if want else 0,
                                                r.stderr))
        doc = json.loads(r.stdout)
        failed = [c["id"] for c in doc["checks"] if c["verdict"] in ("FAIL", "ERROR")]
        check(failed == want, "%s: failed %s, expected %s" % (model, failed, want))
        # every listed check is in the report (dfuse checks per region carry [instance])
        got_ids = {c["id"].split("[")[0] for c in doc["checks"]}
        check(got_ids == set(ids), "%s: checks %s" % (model, sorted(set(ids) ^ got_ids)))
        check(doc["summary"]["requests"] == sum(len(s["requests"]) for s in doc["steps"]),
              "%s: request count" % model)
        check(all(q["result"] in ("ok", "STALL") for s in doc["steps"]
                  for q in s["requests"]), "%s: only ok and STALL replies" % model)
        root = ET.parse(junit).getroot()
        cases = root.findall(".//testcase")
        check(len(cases) == len(doc["checks"]), "%s: %d testcases for %d checks"
              % (model, len(cases), len(doc["checks"])))
        check([c.get("name") for c in cases] == [c["id"] for c in doc["checks"]],
              "%s: testcase names are the check ids, in order" % model)
        jfail = [c.get("name") for c in cases if c.find("failure") is not None]
        check(jfail == want, "%s: JUnit failures %s" % (model, jfail))
        check(int(root.get("failures")) == len(want), "%s: failures attribute" % model)
        skipped = sum(1 for c in doc["checks"] if c["verdict"] in ("skip", "not-checked"))
        check(int(root.get("skipped")) == skipped, "%s: skipped attribute" % model)

    # a faulty variant fails exactly its check, also in the text output
    r = fake(["run", "--suite", "all"], faults="no-error-after-stall")
    check(r.returncode == 1, "fault: exit %d" % r.returncode)
    fails = [l for l in r.stdout.splitlines() if l.startswith("FAIL ")]
    check(len(fails) == 1 and fails[0].startswith("FAIL  dfu11.invalid-request-stalls"),
          "fault text: " + repr(fails))
    check("summary: " in r.stdout, "text summary")


def option_byte_write(tmp):
    """The option-byte write: refused without its flags, done with them. Returns
    the script and the capture of the run that wrote."""
    script = os.path.join(tmp, "ob.dfu")
    write(script, OB_WRITE)
    for flags, missing in (([], "--allow-write --allow-option-bytes"),
                           (["--allow-write"], "--allow-option-bytes")):
        pcap = os.path.join(tmp, "refused.pcap")
        r = fake(["run", script, "--pcap", pcap] + flags, model="stm32g0c1")
        check(r.returncode == 2, "refused: exit %d" % r.returncode)
        check("refused before sending anything" in r.stderr and missing in r.stderr
              and "ob.dfu:5" in r.stderr, "refusal names the flag and step: " + r.stderr)
        check(tshark_frames(pcap) == 0 and tshark_dnloads(pcap) == [],
              "refused run: nothing in the capture")
    pcap = os.path.join(tmp, "ob.pcapng")
    junit = os.path.join(tmp, "ob.xml")
    r = fake(["run", script, "--allow-write", "--allow-option-bytes", "--pcap", pcap,
              "--junit", junit], model="stm32g0c1")
    check(r.returncode == 0, "option-byte write: exit %d\n%s%s" % (r.returncode, r.stdout,
                                                                   r.stderr))
    # three set-address commands and the data block
    check(len(tshark_dnloads(pcap)) == 4, "the capture holds the DNLOADs: %d"
          % len(tshark_dnloads(pcap)))
    d = subprocess.run([DFUSCOPE, "diagnose", "--json", pcap], capture_output=True, text=True)
    ids_seen = [f["id"] for f in json.loads(d.stdout)["findings"]]
    check("dfuse.option-bytes-reset" in ids_seen,
          "diagnose reads the reset in the run's capture: %s" % ids_seen)
    cases = ET.parse(junit).getroot().findall(".//testcase")
    check([c.get("name") for c in cases] == ["%s:%d" % (script, n) for n in (2, 3, 4, 5)],
          "script JUnit: one test case per step")
    return script, pcap


def capture_to_script(tmp, pcap):
    """Capture to script: the option-byte run's capture (pcap) replayed, and a
    real capture."""
    replay = os.path.join(tmp, "replay.dfu")
    r = fake(["script-from", pcap, "-o", replay])
    check(r.returncode == 0, "script-from: exit %d %s" % (r.returncode, r.stderr))
    text = open(replay).read()
    check("# replay: dfuscope run SCRIPT --device 0483:df11 --allow-write "
          "--allow-option-bytes" in text, "script-from header names the flags")
    check("expect disconnect" in text, "the reset is an expectation")
    r = fake(["run", replay, "--allow-write", "--allow-option-bytes"], model="stm32g0c1")
    check(r.returncode == 0, "replay passes: %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    r = fake(["run", replay], model="stm32g0c1")
    check(r.returncode == 2 and "--allow-option-bytes" in r.stderr, "replay needs the flags")
    # against a device that rejects the write, the replay fails
    r = fake(["run", replay, "--allow-write", "--allow-option-bytes"],
             model="stm32g0c1", env={"DFS_FAKE_OPTIONS": "ob-write=reject"})
    check(r.returncode == 1, "replay against another behaviour fails: %d" % r.returncode)

    real = os.path.join(tmp, "real.dfu")
    r = fake(["script-from", STM32, "-o", real])
    check(r.returncode == 0, "script-from on a real capture: %s" % r.stderr)
    text = open(real).read()
    check("--allow-write --allow-erase" in text, "real capture needs write and erase")
    check(text.count("\ndnload 0 hex:41") == 16 or text.count("dnload 0 hex:41") >= 1,
          "erases replayed")
    r = fake(["run", "--dry-run", real], model="none")
    check(r.returncode == 0 and "DFU DNLOAD" in r.stdout,
          "the generated script parses: %s" % r.stderr)
    r = fake(["script-from", os.path.join(DATA, "real", "usbrevue-mouse.pcap")])
    check(r.returncode == 2 and "no DFU requests" in r.stderr,
          "script-from without DFU: " + r.stderr)


def dry_run_and_interrupt(tmp, script):
    """The dry run of script, and Ctrl-C during a run."""
    r = fake(["run", "--dry-run", script], model="none")
    check(r.returncode == 0, "dry run exit %d %s" % (r.returncode, r.stderr))
    check("21 01 0000 IF       5  DFU DNLOAD: DfuSe set address pointer  out 217078ff1f"
          in r.stdout, "dry run prints the set-address request:\n" + r.stdout)
    check("needs --allow-write --allow-option-bytes" in r.stdout, "dry run names the flags")
    check("a real run would be refused" in r.stderr, "dry run warns about the flags")
    # a FLIP bootloader (--device of a family with R25 in the quirk table):
    # its chip erase is an erase, and the dry run says so
    flip = os.path.join(tmp, "flip.dfu")
    r = fake(["script-from", os.path.join(FIXTURES, "flip-dfu-programmer-erase-flash-start.pcapng"),
              "-o", flip])
    check(r.returncode == 0 and "--device 03eb:2ff4 --allow-write --allow-erase\n"
          in open(flip).read(), "script-from on the FLIP capture: %s" % r.stderr)
    r = fake(["run", "--dry-run", "--device", "03eb:2ff4", "--allow-write", flip], model="none")
    check(r.returncode == 0 and "needs --allow-erase: is a FLIP erase command" in r.stdout and
          "a real run would be refused" in r.stderr and "needs --allow-erase" in r.stderr,
          "dry run of a FLIP session: %s" % r.stderr)

    slow = os.path.join(tmp, "slow.dfu")
    write(slow, "set-address 0x08000000\nabort\nupload 2 16\n" + "wait 1s\ngetstatus\n" * 8)
    p = subprocess.Popen([FAKE, "run", slow, "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, DFS_FAKE_MODEL="dfuse", DFS_FAKE_REALTIME="1"))
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    check(p.returncode == 2, "Ctrl-C: exit %d" % p.returncode)
    doc = json.loads(out)
    check(doc["outcome"] == "interrupted", "Ctrl-C outcome " + doc["outcome"])
    last = doc["steps"][-1]
    check(last["origin"] == "interrupt" and last["requests"][0]["request"] == "DFU ABORT",
          "Ctrl-C sends ABORT: %s" % last)
    check(sum(1 for s in doc["steps"] if s["text"] == "getstatus") < 8,
          "Ctrl-C stops early")


def main():
    tmp = tempfile.mkdtemp(prefix="dfs-run-")
    try:
        run_errors(tmp)
        every_suite(tmp)
        script, pcap = option_byte_write(tmp)
        capture_to_script(tmp, pcap)
        dry_run_and_interrupt(tmp, script)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
