#!/usr/bin/env python3
"""`dfuscope run` through libusb against the emulated devices.

Every request goes through the real libusb transport (conformance/
usb_libusb.c) to an emulated device behind umockdev:
    dfuscope emulate MODEL [--option NAME=VALUE] -- dfuscope run ...

1. Each suite against each model: dfuse-device and dfu11-device pass all
   that applies to them, stm32g0c1-bootloader fails exactly
   desc.dfuse.layout-unique; each faulty variant fails exactly the check of
   its fault.
2. The seed's option-byte write with --allow-write --allow-option-bytes
   expects the disconnect and passes; without the flags it is refused
   before any request is sent (the capture has no DNLOAD).
3. script-from on each reference capture of fixtures/captures, replayed
   against the same model, passes.

Skipped (exit 77) while `dfuscope emulate` is not built.

usage: run_emulated.py DFUSCOPE"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

DFUSCOPE = sys.argv[1]
SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
failures = []

# the check each fault of the emulated devices must fail, and nothing else
FAULT_CHECK = {
    "zero-poll-timeout": "dfu11.busy-poll-timeout",
    "short-poll-timeout": "dfu11.poll-timeout-sufficient",
    "oversized-transfer-size": "dfu11.upload-transfer-size",
    "no-functional-descriptor": "desc.dfu.functional-present",
    "short-functional-descriptor": "desc.dfu.functional-length",
    "no-error-after-stall": "dfu11.invalid-request-stalls",
    "upload-never-short": "dfu11.upload-short-end",
    "clrstatus-idle-error": "dfu11.clrstatus-idle",
}

OB_WRITE = """set-interface 0
read 68 at 0x1FFF7800 expect length=68
read 4 at 0x1FFF7870 expect length=4
write hex:10000000 at 0x1FFF7870 expect disconnect
"""


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def emulate(model, options, command, timeout=300):
    cmd = [DFUSCOPE, "emulate", model]
    for o in options:
        cmd += ["--option", o]
    cmd += ["--", DFUSCOPE] + command
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def failed_checks(stdout):
    doc = json.loads(stdout)
    return [c["id"] for c in doc["checks"] if c["verdict"] in ("FAIL", "ERROR")], doc


def tshark_dnloads(pcap):
    if not os.path.exists(pcap) or os.path.getsize(pcap) == 0:
        return []
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y",
                          "usb.bmRequestType == 0x21 && usb.setup.bRequest == 1 && "
                          "usb.urb_type == 'S'", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if l.strip()]


def main():
    probe = subprocess.run([DFUSCOPE, "emulate", "--list"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("skipped: dfuscope emulate is not available yet (%s)" % probe.stderr.strip())
        return 77
    tmp = tempfile.mkdtemp(prefix="dfs-emu-")
    try:
        # ---- 1. suites --------------------------------------------------------------------
        models = {"dfuse-device": ([], []), "dfu11-device": (["--allow-write"], []),
                  "stm32g0c1-bootloader": ([], ["desc.dfuse.layout-unique"])}
        for model, (flags, want) in models.items():
            r = emulate(model, [], ["run", "--suite", "all", "--json"] + flags)
            got, _ = failed_checks(r.stdout)
            check(got == want, "%s: failed %s, expected %s\n%s" % (model, got, want, r.stderr))
            check(r.returncode == (1 if want else 0), "%s: exit %d" % (model, r.returncode))
        r = emulate("stm32g0c1-bootloader", [],
                    ["run", "--suite", "descriptors", "--device", "0483:df11"])
        check(r.returncode == 1 and "FAIL  desc.dfuse.layout-unique" in r.stdout,
              "the command of the issue: %d\n%s" % (r.returncode, r.stdout))
        for fault, want in FAULT_CHECK.items():
            for model, flags in (("dfuse-device", []), ("dfu11-device", ["--allow-write"])):
                r = emulate(model, [fault + "=1"], ["run", "--suite", "all", "--json"] + flags)
                got, _ = failed_checks(r.stdout)
                check(got == [want], "%s %s: failed %s, expected [%s]\n%s"
                      % (model, fault, got, want, r.stderr))

        # ---- 2. the option-byte write ------------------------------------------------------
        script = os.path.join(tmp, "ob.dfu")
        with open(script, "w") as f:
            f.write(OB_WRITE)
        pcap = os.path.join(tmp, "refused.pcap")
        r = emulate("stm32g0c1-bootloader", [], ["run", script, "--pcap", pcap])
        check(r.returncode == 2 and "--allow-option-bytes" in r.stderr,
              "refused without the flags: %d %s" % (r.returncode, r.stderr))
        check(tshark_dnloads(pcap) == [], "refused run: no DNLOAD in the capture")
        pcap = os.path.join(tmp, "ob.pcap")
        r = emulate("stm32g0c1-bootloader", [],
                    ["run", script, "--allow-write", "--allow-option-bytes", "--pcap", pcap])
        check(r.returncode == 0, "option-byte write passes: %d\n%s%s"
              % (r.returncode, r.stdout, r.stderr))
        check(len(tshark_dnloads(pcap)) > 0, "the capture holds the DNLOADs")

        # ---- 3. reference captures -------------------------------------------------------------
        caps = sorted(glob.glob(os.path.join(SRC, "fixtures", "captures", "*.pcap*")))
        check(caps, "reference captures in fixtures/captures")
        for cap in caps:
            base = os.path.basename(cap)
            model = next((m for m in models if base.startswith(m)), None)
            if not model:
                continue
            out = os.path.join(tmp, base + ".dfu")
            r = subprocess.run([DFUSCOPE, "script-from", cap, "-o", out], capture_output=True,
                               text=True)
            if r.returncode != 0:
                check(False, "script-from %s: %s" % (base, r.stderr))
                continue
            head = open(out).read().split("\n# replay: dfuscope run SCRIPT --device ")[1]
            flags = [w for w in head.split("\n")[0].split() if w.startswith("--allow")]
            r = emulate(model, [], ["run", out] + flags)
            check(r.returncode == 0, "replay of %s: %d\n%s%s" % (base, r.returncode, r.stdout,
                                                                 r.stderr))
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
