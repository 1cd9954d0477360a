#!/usr/bin/env python3
"""The pydfu.py-like host (fixtures/hosts/pydfu_like.py, installed in the
build as fixtures/dfs-host-pydfu, run by /usr/bin/python3 on Debian's
python3-usb) through `dfuscope emulate`: download a DfuSe file made by
dfuse-pack (dfu-util's packer, the oracle of the file format), read it back
and leave, on a DfuSe device that holds a GETSTATUS polled while it is busy
(hold-getstatus=1, as STM32 system bootloaders do). Without the option the
same host fails as pydfu.py does on such a device. Fails when pyusb or
dfuse-pack is missing.

usage: test_emulate_pydfu.py DFUSCOPE"""
import json
import os
import subprocess

import emu
import tools

PYTHON = "/usr/bin/python3"


def need_pyusb():
    r = subprocess.run([PYTHON, "-c", "import usb.core, usb.util"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        tools.fail("pyusb does not import under %s (Debian package python3-usb; "
                   "scripts/test installs it): %s" % (PYTHON, r.stderr.strip()))


def dfuse_file(tmp, data, addr=0x08000000):
    with open(os.path.join(tmp, "img.bin"), "wb") as f:
        f.write(data)
    subprocess.run(["dfuse-pack", "-b", "0x%08x:img.bin" % addr, "-D", "0x0483:0xdf11",
                    "img.dfu"], cwd=tmp, check=True, capture_output=True)


def pydfu(tmp, args, options=("hold-getstatus=1",), pcap=None, model="dfuse-device"):
    return emu.emulate(model, [emu.host("dfs-host-pydfu")] + list(args), options=options,
                       pcap=pcap, cwd=tmp)


def help_text(tmp):
    r = subprocess.run([emu.host("dfs-host-pydfu"), "--help"], capture_output=True, text=True,
                       cwd=tmp)
    assert r.returncode == 0, r.stderr
    for word in ("--upload", "--verify", "--mass-erase", "--exit", "--initial-clrstatus",
                 "Exit status"):
        emu.assert_in(word, r.stdout, "--help")
    r = subprocess.run([emu.host("dfs-host-pydfu"), "--verify"], capture_output=True, text=True,
                       cwd=tmp)
    assert r.returncode == 2, (r.returncode, r.stderr)


def download_verify_leave(tmp):
    data = emu.pattern(5000, 11)
    dfuse_file(tmp, data)
    pcap = os.path.join(tmp, "p.pcapng")
    r = pydfu(tmp, ["-u", "img.dfu", "--verify"], pcap=pcap)
    assert r.returncode == 0, r.stdout + r.stderr
    for line in ("0, address: 0x08000000, size: 5000", "Writing memory...", "Reading back...",
                 "Verified 1 element(s)", "Exiting DFU...", "Finished"):
        emu.assert_in(line, r.stdout, "host output")
    d = subprocess.run([emu.dfuscope(), "diagnose", "--json", pcap], capture_output=True,
                       text=True, timeout=120)
    assert d.returncode == 0, d.stdout + d.stderr
    j = json.loads(d.stdout)
    s = j["summary"]
    assert s["host"]["name"] == "pydfu-like", s["host"]
    assert s["errors"] == 0, s
    assert s["outcome"]["written_bytes"] == 5000 and s["outcome"]["read_bytes"] == 5000, s
    ids = {f["id"] for f in j["findings"] if f["severity"] in ("error", "warning")}
    assert ids == {"dfu.poll-timeout-ignored"}, ids
    notes = [f.get("host_note") or "" for f in j["findings"]
             if f["id"] == "dfu.poll-timeout-ignored"]
    assert notes and all("never waits bwPollTimeout" in n for n in notes), notes
    # what the capture says was written is the file's payload
    out = os.path.join(tmp, "w.bin")
    x = subprocess.run([emu.dfuscope(), "extract", "--direction", "download", pcap, "-o", out],
                       capture_output=True, text=True, timeout=120)
    assert x.returncode == 0, x.stdout + x.stderr
    assert open(out, "rb").read() == data


def without_hold_fails(tmp):
    """pydfu.py expects dfuDNLOAD-IDLE from the GETSTATUS it sends at once"""
    dfuse_file(tmp, emu.pattern(3000, 12))
    r = pydfu(tmp, ["-u", "img.dfu"], options=())
    assert r.returncode == 1, r.stdout + r.stderr
    emu.assert_in("DFU: erase failed (dfuDNBUSY)", r.stderr, "host error")


def initial_clrstatus(tmp):
    """pydfu.py before 2018: CLRSTATUS first; ST's middleware goes to dfuERROR
    on it (dfu-quirks R15) and STALLs the erase that follows"""
    dfuse_file(tmp, emu.pattern(3000, 13))
    pcap = os.path.join(tmp, "c.pcapng")
    r = pydfu(tmp, ["--initial-clrstatus", "-u", "img.dfu"], options=(), pcap=pcap,
              model="st-middleware-dfu")
    assert r.returncode == 1, r.stdout + r.stderr
    emu.assert_in("DNLOAD block 0 (erase) failed", r.stderr, "host error")
    emu.assert_in("STALLed", r.stderr, "host error")
    d = subprocess.run([emu.dfuscope(), "diagnose", "--json", pcap], capture_output=True,
                       text=True, timeout=120)
    host = json.loads(d.stdout)["summary"]["host"]
    assert host["name"] == "pydfu-like", host
    emu.assert_in("CLRSTATUS as its first DFU request", host["text"], "summary.host")


def bad_file(tmp):
    with open(os.path.join(tmp, "bad.dfu"), "wb") as f:
        f.write(b"DfuSe\x01" + b"\0" * 30)
    r = pydfu(tmp, ["-u", "bad.dfu"])
    assert r.returncode == 1, r.stdout + r.stderr
    emu.assert_in("bad.dfu: no DFU suffix", r.stderr, "host error")


def main():
    need_pyusb()
    emu.need("dfuse-pack")
    emu.need_bridge()
    emu.run_checks([help_text, download_verify_leave, without_hold_fails, initial_clrstatus,
                    bad_file])


if __name__ == "__main__":
    main()
