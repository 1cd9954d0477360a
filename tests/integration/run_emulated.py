#!/usr/bin/env python3
"""`dfuscope run` through libusb against the emulated devices.

Every request goes through the real libusb transport (conformance/
usb_libusb.c) to an emulated device behind umockdev:
    dfuscope emulate MODEL [--option NAME=VALUE] -- dfuscope run ...

1. Each suite against each model: dfuse-device and dfu11-device pass all
   that applies to them; the models of families the quirk table knows show
   their known quirks as such (verdict known-quirk, naming the quirk, exit
   0): stm32g0c1-bootloader its three alternate settings named alike (R10,
   also with the issue's own command line), stm32l4-bootloader its busy
   stall (R2) given --allow-erase, tinyusb-dfu its bcdDFUVersion 0x0101 (R8).
   A read-only run lists the checks it could not make as not-checked, with
   the flag that would make them.
2. Each faulty variant fails exactly the check of its fault, on every model
   where the fault changes what the device does (upload-never-short only
   changes a plain DFU device's upload; the bwPollTimeout faults need real
   work, hence --allow-erase on a DfuSe device and --allow-write on a plain
   one).
   dfu-util's download to tinyusb-dfu (R14: tolerant, yet waits for a reset)
   gives dfu.manifest-wait-reset; with the bug off, or to a device that
   says it is not tolerant, it does not.
3. The seed's option-byte write with --allow-write --allow-option-bytes
   expects the disconnect and passes; without the flags it is refused
   before any request is sent (the capture has no DNLOAD); a device that
   vanishes when no step expects it ends the run with exit status 2.
4. script-from on each reference capture of fixtures/captures, replayed
   against the model (and options) that made it, passes; replayed against
   a device that behaves otherwise, it fails. The Atmel FLIP capture
   (dfu-programmer: chip erase, program, start) replays with the flags
   script-from names, --allow-write --allow-erase; with --allow-write alone
   its chip erase is refused before anything is sent.
5. An Atmel FLIP bootloader (R25), found through the quirk table: the
   suites against the atmel-flip model and against the twin of its
   reference capture (emulate --from-capture) pass, name the class 0/0/0
   interface and the missing functional descriptor as known quirk R25, and
   send no DNLOAD (as tshark reads the run's capture), even with every
   --allow flag.

Registered with --no-bridge in a build without the emulation bridge
(umockdev): it is then skipped (exit 77), saying so. In a build with it,
an `emulate --list` that fails, or a missing tshark, fails the test.
DFS_EMULATOR may name another dfuscope build whose `emulate` command runs
the devices.

usage: run_emulated.py DFUSCOPE [--no-bridge]"""
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import tools

DFUSCOPE = os.path.abspath(sys.argv[1])
EMULATOR = os.environ.get("DFS_EMULATOR", DFUSCOPE)
SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CAPTURES = os.environ.get("DFS_CAPTURES", os.path.join(SRC, "fixtures", "captures"))
failures = []

# the check each fault must fail, and the models (with the flags) where it shows
TIMING = [("dfuse-device", ["--allow-erase"]), ("dfu11-device", ["--allow-write"]),
          ("stm32g0c1-bootloader", ["--allow-erase"])]
EVERY = [("dfuse-device", []), ("dfu11-device", []), ("stm32g0c1-bootloader", [])]
FAULTS = {
    "zero-poll-timeout": ("dfu11.busy-poll-timeout", TIMING + [("dfuse-device", [])]),
    "short-poll-timeout": ("dfu11.poll-timeout-sufficient", TIMING),
    "oversized-transfer-size": ("dfu11.upload-transfer-size", EVERY),
    "no-functional-descriptor": ("desc.dfu.functional-present", EVERY),
    "short-functional-descriptor": ("desc.dfu.functional-length", EVERY),
    "no-error-after-stall": ("dfu11.invalid-request-stalls", EVERY),
    "upload-never-short": ("dfu11.upload-short-end", [("dfu11-device", [])]),
    "clrstatus-idle-error": ("dfu11.clrstatus-idle", EVERY),
}
# what a model fails without any fault
BASE = {"dfuse-device": [], "dfu11-device": [], "stm32g0c1-bootloader": []}
# the known quirks a model shows without any fault (dfu-quirks, decoder/quirks.c),
# with the flags that let the run see them: check -> quirk
QUIRKS = {
    "stm32g0c1-bootloader": ([], {"desc.dfuse.layout-unique": "R10"}),
    "stm32l4-bootloader": (["--allow-erase", "--allow-timing-abuse"],
                           {"dfu11.poll-timeout-sufficient": "R2",
                            "dfu11.getstatus-early": "R2"}),
    "tinyusb-dfu": ([], {"desc.dfu.functional-values": "R8"}),
    "atmel-flip": ([], {"desc.dfu.interface": "R25", "desc.dfu.functional-present": "R25"}),
}
# read only, what a model cannot check: check -> the flag it needs
NOT_CHECKED = {
    "dfuse-device": {"desc.vendor-request": "--allow-vendor-request",
                     "dfu11.poll-timeout-sufficient": "--allow-erase",
                     "dfu11.busy-poll-timeout": "--allow-erase",
                     "dfu11.getstatus-early": "--allow-timing-abuse"},
    "dfu11-device": {"desc.vendor-request": "--allow-vendor-request",
                     "dfu11.poll-timeout-sufficient": "--allow-write",
                     "dfu11.busy-poll-timeout": "--allow-write",
                     "dfu11.abort-dnload-idle": "--allow-write",
                     "dfu11.getstatus-early": "--allow-timing-abuse"},
}

OB_WRITE = """# the seed report: SEC_SIZE of an STM32G0C1, which resets the chip
set-interface 0
read 68 at 0x1FFF7800 expect length=68
read 4 at 0x1FFF7870 expect length=4
write hex:10000000 at 0x1FFF7870 expect disconnect
"""
VANISH = """write hex:10000000 at 0x1FFF7870 expect stall
wait 1s
getstatus
abort
"""


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def emulate(emu_args, command, timeout=300):
    cmd = [EMULATOR, "emulate"] + emu_args + ["--", DFUSCOPE] + command
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def failed_checks(r):
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        return None, None
    return [c["id"] for c in doc["checks"] if c["verdict"] in ("FAIL", "ERROR")], doc


def tshark_dnloads(pcap):
    if not os.path.exists(pcap) or os.path.getsize(pcap) == 0:
        return []
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y",
                          "usb.bmRequestType == 0x21 && usb.setup.bRequest == 1 && "
                          "usb.urb_type == 'S'", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if l.strip()]


def emulate_args_of(cmdfile):
    """The model and options that made a reference capture (the .cmd's last line)."""
    lines = [l for l in open(cmdfile).read().splitlines() if l.strip() and not l.startswith("#")]
    words = shlex.split(lines[-1])
    return words[:words.index("--")] if "--" in words else words


def suites_on_models():
    """Each suite on each model: the failures expected of each, the known
    quirks of the families that show them, what a read-only run cannot check."""
    for model, want in BASE.items():
        r = emulate([model], ["run", "--suite", "all", "--json"])
        got, doc = failed_checks(r)
        check(got == want, "%s: failed %s, expected %s\n%s" % (model, got, want, r.stderr))
        check(r.returncode == (1 if want else 0), "%s: exit %d" % (model, r.returncode))
        if doc:
            check(doc["device"]["speed"] == "full", "%s: full speed" % model)
    for model, (flags, want) in QUIRKS.items():
        r = emulate([model], ["run", "--suite", "all", "--json"] + flags)
        got, doc = failed_checks(r)
        check(got == [] and r.returncode == 0,
              "%s %s: failed %s, exit %d\n%s" % (model, flags, got, r.returncode, r.stderr))
        quirks = {c["id"]: (c["quirk"] or {}).get("id") for c in (doc or {}).get("checks", [])
                  if c["verdict"] == "known-quirk"}
        check(quirks == want, "%s: known quirks %s, expected %s" % (model, quirks, want))
        for c in (doc or {}).get("checks", []):
            if c["verdict"] == "known-quirk":
                check(c["quirk"]["source"] and c["quirk"]["family"] and
                      ("known quirk %s " % c["quirk"]["id"]) in c["message"],
                      "%s: %s names its quirk, family and source" % (model, c["id"]))
        if doc:
            check(doc["summary"]["known_quirks"] == len(want), "%s: summary" % model)
    r = emulate(["stm32g0c1-bootloader"],
                ["run", "--suite", "descriptors", "--device", "0483:df11"])
    lines = [l for l in r.stdout.splitlines() if l.startswith(("FAIL", "known-quirk"))]
    check(r.returncode == 0 and len(lines) == 1 and
          lines[0].startswith("known-quirk desc.dfuse.layout-unique") and
          "known quirk R10 " in lines[0] and "1 known quirk" in r.stdout,
          "the issue's command: %d %s" % (r.returncode, lines))
    for model, want in NOT_CHECKED.items():
        r = emulate([model], ["run", "--suite", "all", "--json"])
        _, doc = failed_checks(r)
        got = {c["id"]: c["needs"] for c in (doc or {}).get("checks", [])
               if c["verdict"] == "not-checked"}
        check(got == {k: [v] for k, v in want.items()} and r.returncode == 0,
              "%s read only: not checked %s, exit %d" % (model, got, r.returncode))
        r = emulate([model], ["run", "--suite", "all"])
        tail = [l for l in r.stdout.splitlines() if l.startswith("not checked without ")]
        check("%d not checked" % len(want) in r.stdout and len(tail) == 1 and
              all(f in tail[0] for f in want.values()),
              "%s read only, text: %s" % (model, r.stdout[-400:]))


def faulty_variants():
    """Each faulty variant fails its check on top of the model's own."""
    for fault, (want, where) in FAULTS.items():
        for model, flags in where:
            r = emulate([model, "--option", fault + "=1"],
                        ["run", "--suite", "all", "--json"] + flags)
            got, _ = failed_checks(r)
            expected = sorted(BASE[model] + [want])
            check(got is not None and sorted(got) == expected,
                  "%s %s %s: failed %s, expected %s\n%s"
                  % (model, fault, flags, got, expected, r.stderr))


def manifest_wait_reset(tmp):
    """R14 (dfu.manifest-wait-reset): dfu-util's download to a device that
    says it is manifestation tolerant and waits for a reset all the same; not
    to one that says it is not, nor to TinyUSB with the bug fixed."""
    image = os.path.join(tmp, "image.bin")
    with open(image, "wb") as f:
        f.write(bytes((i * 37 + 11) % 251 for i in range(3000)))
    for emu_args, want in ((["tinyusb-dfu"], True),
                           (["tinyusb-dfu", "--option", "manifestation-bug=0"], False),
                           (["dfu11-device", "--option", "manifestation-tolerant=0"], False)):
        pcap = os.path.join(tmp, "r14.pcapng")
        r = subprocess.run([EMULATOR, "emulate"] + emu_args + ["--pcap", pcap, "--",
                            "dfu-util", "-D", image], capture_output=True, text=True,
                           timeout=300)
        d = subprocess.run([DFUSCOPE, "diagnose", "--json", pcap], capture_output=True,
                           text=True)
        ids = [x["id"] for x in json.loads(d.stdout)["findings"]] if d.stdout else None
        check(r.returncode == 0 and ids is not None and
              ("dfu.manifest-wait-reset" in ids) == want,
              "R14 %s: dfu-util %d, findings %s" % (emu_args, r.returncode, ids))


def option_byte_write(tmp):
    """The option-byte write: refused without its flags, then run, captured
    and diagnosed; a vanishing device and one that comes back."""
    script = os.path.join(tmp, "ob.dfu")
    with open(script, "w") as f:
        f.write(OB_WRITE)
    pcap = os.path.join(tmp, "refused.pcap")
    r = emulate(["stm32g0c1-bootloader"], ["run", script, "--pcap", pcap])
    check(r.returncode == 2 and "--allow-write --allow-option-bytes" in r.stderr,
          "refused without the flags: %d %s" % (r.returncode, r.stderr))
    check(tshark_dnloads(pcap) == [], "refused run: no DNLOAD in the capture")
    pcap = os.path.join(tmp, "ob.pcap")
    r = emulate(["stm32g0c1-bootloader"],
                ["run", script, "--allow-write", "--allow-option-bytes", "--pcap", pcap])
    check(r.returncode == 0, "option-byte write passes: %d\n%s%s"
          % (r.returncode, r.stdout, r.stderr))
    check(len(tshark_dnloads(pcap)) == 4, "the capture holds the DNLOADs")
    d = subprocess.run([DFUSCOPE, "diagnose", "--json", pcap], capture_output=True, text=True)
    ids = [x["id"] for x in json.loads(d.stdout)["findings"]]
    check("dfuse.option-bytes-reset" in ids, "diagnose reads the run's capture: %s" % ids)
    check(json.loads(d.stdout)["summary"]["capture_end"] is None,
          "a pcap capture of a run has no end time (no place for it)")
    # pcapng: the run's end is written (an interface statistics block)
    png = os.path.join(tmp, "ob.pcapng")
    r = emulate(["stm32g0c1-bootloader"],
                ["run", script, "--allow-write", "--allow-option-bytes", "--pcap", png])
    d = subprocess.run([DFUSCOPE, "diagnose", "--json", png], capture_output=True,
                       text=True)
    end = json.loads(d.stdout)["summary"]["capture_end"] if d.stdout else None
    last = subprocess.run(["tshark", "-n", "-r", png, "-T", "fields", "-e",
                           "frame.time_epoch"], capture_output=True,
                          text=True).stdout.split()
    check(r.returncode == 0 and end is not None and last and end >= float(last[-1]) - 1e-6,
          "run --pcap FILE.pcapng records when the run ended (%s, last record %s)"
          % (end, last[-1] if last else None))
    vanish = os.path.join(tmp, "vanish.dfu")
    with open(vanish, "w") as f:
        f.write(VANISH)
    r = emulate(["stm32g0c1-bootloader"],
                ["run", vanish, "--allow-write", "--allow-option-bytes"])
    check(r.returncode == 2 and "left the bus during 'getstatus'" in r.stderr,
          "a vanishing device: %d %s" % (r.returncode, r.stderr))
    returns = os.path.join(tmp, "returns.dfu")
    with open(returns, "w") as f:
        f.write("write hex:10000000 at 0x1FFF7870 expect reenumerate 0483:df11 within 5s\n"
                "read 4 at 0x1FFF7870 expect data=10000000\n")
    r = emulate(["stm32g0c1-bootloader", "--option", "after-ob-reset=dfu"],
                ["run", returns, "--allow-write", "--allow-option-bytes"])
    check(r.returncode == 0 and "came back as 0483:df11" in r.stdout,
          "re-enumeration: %d\n%s%s" % (r.returncode, r.stdout, r.stderr))


def reference_captures(tmp):
    """Each reference capture, made into a script, replays against the model
    that made it; the seed's fails against another behaviour."""
    cmds = sorted(glob.glob(os.path.join(CAPTURES, "*.cmd")))
    check(len(cmds) >= 10, "reference captures in %s" % CAPTURES)
    for cmdfile in cmds:
        base = os.path.basename(cmdfile)[:-4]
        cap = os.path.join(CAPTURES, base + ".pcapng")
        emu = emulate_args_of(cmdfile)
        out = os.path.join(tmp, base + ".dfu")
        r = subprocess.run([DFUSCOPE, "script-from", cap, "-o", out], capture_output=True,
                           text=True)
        if r.returncode == 2 and "no DFU requests" in r.stderr:
            r = subprocess.run([DFUSCOPE, "script-from", "--standard", "--device",
                                "0483:df11", cap, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            check(False, "script-from %s: %s" % (base, r.stderr))
            continue
        head = open(out).read().split("\n# replay: dfuscope run SCRIPT --device ")[1]
        flags = [w for w in head.split("\n")[0].split() if w.startswith("--allow")]
        r = emulate(emu, ["run", out] + flags)
        if emu[0] == "atmel-flip":
            # its DNLOADs are FLIP command blocks: the chip erase is an erase
            check(flags == ["--allow-write", "--allow-erase"],
                  "script-from %s: flags %s" % (base, flags))
            pcap = os.path.join(tmp, base + "-refused.pcap")
            w = emulate(emu, ["run", out, "--allow-write", "--pcap", pcap])
            check(w.returncode == 2 and "FLIP erase command" in w.stderr and
                  "needs --allow-erase" in w.stderr and tshark_dnloads(pcap) == [],
                  "replay of %s with --allow-write alone: %d\n%s"
                  % (base, w.returncode, w.stderr))
        check(r.returncode == 0, "replay of %s under %s: %d\n%s%s"
              % (base, emu, r.returncode, r.stdout[-3000:], r.stderr))
    # the seed's session against a bootloader that rejects the write instead
    seed = os.path.join(tmp, "seed-cubeprogrammer-ob-write.dfu")
    if os.path.exists(seed):
        r = emulate(["stm32g0c1-bootloader", "--option", "ob-write=reject"],
                    ["run", seed, "--allow-write", "--allow-option-bytes"])
        check(r.returncode == 1 and "expected stall, got ok" in r.stdout,
              "a replay against another behaviour fails: %d" % r.returncode)


def flip_bootloader(tmp):
    """The suites against a FLIP bootloader, the model and the twin of its
    reference capture: known quirk R25, no failure, no DNLOAD sent."""
    everything = ["--allow-write", "--allow-erase", "--allow-timing-abuse",
                  "--allow-vendor-request"]
    capture = os.path.join(CAPTURES, "flip-dfu-programmer-erase-flash-start.pcapng")
    for emu in (["atmel-flip"], ["--from-capture", capture]):
        for flags in ([], everything):
            pcap = os.path.join(tmp, "flip-suites.pcap")
            r = emulate(emu, ["run", "--suite", "all", "--json", "--pcap", pcap] + flags)
            what = "%s %s" % (" ".join(emu), " ".join(flags) or "(read only)")
            got, doc = failed_checks(r)
            check(got == [] and r.returncode == 0,
                  "FLIP %s: failed %s, exit %d\n%s" % (what, got, r.returncode, r.stderr))
            quirks = {c["id"]: (c["quirk"] or {}).get("id")
                      for c in (doc or {}).get("checks", []) if c["verdict"] == "known-quirk"}
            check(quirks == {"desc.dfu.interface": "R25", "desc.dfu.functional-present": "R25"},
                  "FLIP %s: known quirks %s" % (what, quirks))
            ran = {c["id"] for c in (doc or {}).get("checks", []) if c["verdict"] == "pass"}
            check({"dfu11.getstatus-idle", "dfu11.getstate-idle", "dfu11.abort-idle"} <= ran,
                  "FLIP %s: the DFU requests FLIP answers were checked: %s" % (what, ran))
            check(tshark_dnloads(pcap) == [], "FLIP %s: a DNLOAD was sent" % what)


def main():
    if "--no-bridge" in sys.argv[2:]:
        tools.skip("this build has no emulation bridge (configure with umockdev and glib "
                   "installed to build it)")
    probe = subprocess.run([EMULATOR, "emulate", "--list"], capture_output=True, text=True)
    if probe.returncode != 0:
        tools.fail("%s emulate --list exited %d: %s"
                   % (EMULATOR, probe.returncode, probe.stderr.strip()))
    tools.require("tshark")
    tmp = tempfile.mkdtemp(prefix="dfs-emu-")
    try:
        suites_on_models()
        faulty_variants()
        manifest_wait_reset(tmp)
        option_byte_write(tmp)
        reference_captures(tmp)
        flip_bootloader(tmp)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
