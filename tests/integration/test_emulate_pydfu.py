#!/usr/bin/env python3
"""The pydfu.py-like host (fixtures/hosts/pydfu_like.py, installed in the
build as fixtures/dfs-host-pydfu, run by /usr/bin/python3 on Debian's
python3-usb) through `dfuscope emulate`: download a DfuSe file made by
dfuse-pack (dfu-util's packer, the oracle of the file format), read it back
and leave, on a DfuSe device that holds a GETSTATUS polled while it is busy
(hold-getstatus=1, as STM32 system bootloaders do). Without the option the
same host fails as pydfu.py does on such a device. On a packet-level
(usb2) rendering of the same session, the NAKs that hold each GETSTATUS are
counted and timed as tshark's USB 2.0 packet dissector (usbll) shows them;
dfu-util, which waits the bwPollTimeout it is told, against a device that
announces 1 ms and holds the next GETSTATUS by NAKs until its work is done:
dfu.poll-timeout-too-short on each poll the device held, from the
packet-level capture (the NAKs) and from the usbmon capture (the time from
the submit to the completion, timed by tshark) alike. How many polls come
while the device is still at work depends on how fast the host runs: at
least one must, and each is checked against tshark's packets.
Fails when pyusb, dfuse-pack, dfu-util or tshark is missing.

usage: test_emulate_pydfu.py DFUSCOPE"""
import json
import os
import re
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


def tshark_packets(pcap, first, last):
    """(frame, PID, time) of each packet in frames first..last, by tshark"""
    r = subprocess.run(["tshark", "-r", pcap, "-Y", "frame.number >= %d && frame.number <= %d"
                        % (first, last), "-T", "fields", "-e", "frame.number", "-e",
                        "usbll.pid", "-e", "frame.time_epoch"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        f = line.split("\t")
        out.append((int(f[0]), int(f[1], 0), float(f[2])))
    return out


def check_naks(pcap, t):
    """a held GETSTATUS t of `decode --dfu --json`: its NAKs and the time from
    the first NAKed IN to the IN that brought the data, as tshark's packets
    show them"""
    pk = tshark_packets(pcap, t["frame"], t["reply_frame"])
    naks = [i for i, p in enumerate(pk) if p[1] == 0x5A]
    assert len(naks) == t["naks"], (t["frame"], len(naks), t["naks"])
    start = pk[naks[0] - 1]  # the IN token the first NAK answered
    data = next(i for i in range(naks[-1], len(pk)) if pk[i][1] in (0xC3, 0x4B))
    end = pk[data - 1]       # the IN token the data answered
    assert start[1] == 0x69 and end[1] == 0x69, (start, end)
    want = (end[2] - start[2]) * 1000.0
    assert abs(t["nak_ms"] - want) < 0.01, (t["frame"], t["nak_ms"], want)


def match_found(got, polls, clear):
    """the dfu.poll-timeout-too-short findings `got` against the polls after
    a dfuDNBUSY reply (frames [busy, poll] -> what tshark shows of it): each
    finding is one of them, at least one is found, and so is every poll
    `clear` says was held well past the 1 ms announced. A host slowed down
    by a loaded machine polls some after the work ended, unheld: those give
    nothing, and how many depends on the machine, not on the code."""
    frames = [tuple(f["frames"]) for f in got]
    assert frames and len(frames) <= 6, (frames, polls)  # 3 erases, 3 writes at most
    assert all(f in polls for f in frames), (frames, polls)
    missed = [p for p, v in polls.items() if clear(v) and p not in frames]
    assert not missed, (missed, frames, polls)
    return [(f, polls[tuple(f["frames"])]) for f in got]


def naks_on_usb2(tmp):
    """the held GETSTATUS: its NAKs and the time from the first NAKed IN to
    the IN that brought the data, against tshark's packets"""
    dfuse_file(tmp, emu.pattern(5000, 14))
    pcap = os.path.join(tmp, "u.pcapng")
    r = emu.emulate("dfuse-device", [emu.host("dfs-host-pydfu"), "-u", "img.dfu"],
                    options=("hold-getstatus=1",), pcap=pcap, cwd=tmp,
                    extra=("--link-type", "usb2"))
    assert r.returncode == 0, r.stdout + r.stderr
    d = subprocess.run([emu.dfuscope(), "decode", "--dfu", "--json", pcap], capture_output=True,
                       text=True, timeout=120)
    assert d.returncode == 0, d.stderr
    txns = [json.loads(line) for line in d.stdout.splitlines()]
    held = [t for t in txns if t.get("naks")]
    # each erase and each write: the second GETSTATUS is held (3 pages) when
    # it comes while the device is still at work; a host process slowed down
    # (a loaded machine, a sanitizer build) may send one after the work ended,
    # and that one is answered at once: no NAK to count
    assert 1 <= len(held) <= 6, [(t["frame"], t["request"]) for t in held]
    for t in held:
        assert t["request"] == "GETSTATUS" and t["state"] == "dfuDNLOAD-IDLE", t
        check_naks(pcap, t)
    # every other transaction: no NAKs
    assert all("naks" not in t for t in txns if t not in held)
    text = subprocess.run([emu.dfuscope(), "decode", "--dfu", pcap], capture_output=True,
                          text=True, timeout=120).stdout
    t = held[0]
    emu.assert_in("held %.1f ms by %d NAKs" % (t["nak_ms"], t["naks"]), text, "decode --dfu")
    # the usbmon rendering of the same session has no NAKs to tell
    pm = os.path.join(tmp, "m.pcapng")
    r = pydfu(tmp, ["-u", "img.dfu"], pcap=pm)
    assert r.returncode == 0, r.stdout + r.stderr
    text = subprocess.run([emu.dfuscope(), "decode", "--dfu", pm], capture_output=True,
                          text=True, timeout=120).stdout
    assert "NAK" not in text, text


def held_past_poll_timeout(tmp):
    """short-poll-timeout=1 hold-getstatus=1: each dfuDNBUSY reply says 1 ms,
    dfu-util polls after it and the device NAKs that GETSTATUS for the rest of
    its 8-32 ms of work"""
    with open(os.path.join(tmp, "img.bin"), "wb") as f:
        f.write(emu.pattern(5000, 15))
    opts = ("hold-getstatus=1", "short-poll-timeout=1")
    cmd = ["dfu-util", "-a", "0", "-s", "0x08000000", "-D", "img.bin"]
    pcap = os.path.join(tmp, "h.pcapng")
    r = emu.emulate("dfuse-device", cmd, options=opts, pcap=pcap, cwd=tmp,
                    extra=("--link-type", "usb2"))
    assert r.returncode == 0, r.stdout + r.stderr
    d = subprocess.run([emu.dfuscope(), "decode", "--dfu", "--json", pcap], capture_output=True,
                       text=True, timeout=120)
    txns = [json.loads(line) for line in d.stdout.splitlines()]
    times = frame_times(pcap)
    polls = {}
    for i, t in enumerate(txns):
        if t.get("naks"):
            busy = txns[i - 1]
            assert busy["request"] == "GETSTATUS" and busy["state"] == "dfuDNBUSY", busy
            assert busy["poll_timeout"] == 1 and t["poll_wait_ms"] >= 1.0, (busy, t)
            assert "naks" not in busy, busy
            check_naks(pcap, t)
            t["busy_ms"] = (times[t["reply_frame"]] - times[busy["reply_frame"]]) * 1000.0
            polls[(busy["frame"], t["frame"])] = t
    j = json.loads(subprocess.run([emu.dfuscope(), "diagnose", "--json", pcap],
                                  capture_output=True, text=True, timeout=120).stdout)
    got = [f for f in j["findings"] if f["id"] == "dfu.poll-timeout-too-short"]
    # held by NAKs for 2 ms or more after the 1 ms announced, 12 ms or more
    # after the dfuDNBUSY reply: surely too short
    for f, t in match_found(got, polls, lambda t: t["nak_ms"] >= 2.0 and t["busy_ms"] >= 12.0):
        assert f["severity"] == "warning", f
        emu.assert_in("over 1 poll (frames %d-%d)" % tuple(f["frames"]), f["explanation"],
                      "finding")
        emu.assert_in("while announcing at most 1 ms per poll", f["explanation"], "finding")
        emu.assert_in("held the GETSTATUS polls by %d NAKs for %.1f ms"
                      % (t["naks"], t["nak_ms"]), f["explanation"], "finding")
    # the usbmon capture of the same session: the same findings, from the
    # time each held GETSTATUS took from its submit to its completion (the
    # host controller retried the NAKs by itself), as tshark times the frames
    pm = os.path.join(tmp, "hm.pcapng")
    r = emu.emulate("dfuse-device", cmd, options=opts, pcap=pm, cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    txns = [json.loads(line) for line in subprocess.run(
        [emu.dfuscope(), "decode", "--dfu", "--json", pm], capture_output=True, text=True,
        timeout=120).stdout.splitlines()]
    times = frame_times(pm)
    polls = {}
    for i, t in enumerate(txns):
        prev = txns[i - 1] if i else {}
        if (t["request"] == "GETSTATUS" and t["state"] == "dfuDNLOAD-IDLE" and
                prev.get("state") == "dfuDNBUSY"):
            ms = (times[t["reply_frame"]] - times[t["frame"]]) * 1000.0
            busy = (times[t["reply_frame"]] - times[prev["reply_frame"]]) * 1000.0
            polls[(prev["frame"], t["frame"])] = (ms, busy)
    j = json.loads(subprocess.run([emu.dfuscope(), "diagnose", "--json", pm],
                                  capture_output=True, text=True, timeout=120).stdout)
    got = [f for f in j["findings"] if f["id"] == "dfu.poll-timeout-too-short"]
    # answered 8 ms or more after it was sent, 12 ms or more after the
    # dfuDNBUSY reply: held well past the 1 ms announced and the few ms a host
    # adds (the SET_ADDRESS commands are answered at once)
    for f, (ms, _) in match_found(got, polls, lambda v: v[0] >= 8.0 and v[1] >= 12.0):
        assert f["severity"] == "warning", f
        m = re.search(r"answered the GETSTATUS poll ([0-9.]+) ms after it was sent",
                      f["explanation"])
        assert m and abs(float(m.group(1)) - ms) < 0.06, (f["explanation"], ms)
        assert "NAKs for" not in f["explanation"], f


def frame_times(pcap):
    """frame number -> time, by tshark"""
    r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.number", "-e",
                        "frame.time_epoch"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        a, b = line.split("\t")
        if b:  # (a frame with no time of its own is not one asked about)
            out[int(a)] = float(b)
    return out


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
    emu.need("dfuse-pack", "tshark", "dfu-util")
    emu.need_bridge()
    emu.run_checks([help_text, download_verify_leave, naks_on_usb2, held_past_poll_timeout,
                    without_hold_fails,
                    initial_clrstatus, bad_file])


if __name__ == "__main__":
    main()
