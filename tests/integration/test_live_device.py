#!/usr/bin/env python3
"""Device filtering and re-enumeration following of `dfuscope capture
--device ... -w FILE` (the same code as live capture, fed from a file):
the written file must hold exactly the records of the one device, across
all its device numbers, in order, and nothing else.

Ground truth comes from outside dfuscope: the scenario generator tags every
record it writes (livegen.py), and for the real captures tshark says which
bus and device address each record has.

The seed's reference capture goes through `capture -r ... -w` with its end
time (pcapng interface statistics) carried over into the copy and into the
live diagnosis.

usage: test_live_device.py DFUSCOPE"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livegen  # noqa: E402
import pcaputil  # noqa: E402

DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def capture(dfuscope, args):
    return subprocess.run([dfuscope, "capture", "--no-status"] + args, capture_output=True,
                          text=True)


def same_records(got, want, what):
    g = [(ts, data) for ts, _, data in got]
    w = [(ts, data) for ts, _, data in want]
    if g == w:
        check(True, f"{what}: {len(g)} records, exactly the device's")
        return
    first = next((i for i in range(min(len(g), len(w))) if g[i] != w[i]), min(len(g), len(w)))
    check(False, f"{what}: {len(g)} records written, {len(w)} expected; first difference at "
                 f"record {first + 1}")


def scenario_tests(dfuscope, tmp):
    cases = [
        ("reset", ["0483:df11", "1.5"], "same serial number \"205F3548\""),
        ("switch", ["0483:5740", "1.8"], "same serial number \"ABC123\""),
        ("xhci", ["0483:df11", "1.5"], "same serial number \"205F3548\""),
    ]
    for name, devices, note in cases:
        src = os.path.join(tmp, f"{name}.pcap")
        c = livegen.SCENARIOS[name]()
        livegen.write(src, c.records)
        want = [(ts * 1000, 220, data) for tag, ts, data in c.records if tag == "target"]
        others = sorted({tag for tag, _, _ in c.records} - {"target"})
        for dev in devices:
            for ext in ("pcap", "pcapng"):
                out = os.path.join(tmp, f"{name}-{dev.replace(':', '_')}.{ext}")
                r = capture(dfuscope, ["-r", src, "--device", dev, "-w", out])
                check(r.returncode == 0, f"{name} --device {dev} -w .{ext}: exit 0 "
                                         f"(got {r.returncode}: {r.stderr.strip()[-300:]})")
                same_records(pcaputil.records(out), want,
                             f"{name} --device {dev} ({', '.join(others)} left out)")
            check(note in r.stderr, f"{name} --device {dev}: says why it followed ({note})")
        # A tiny hold-back limit forces decisions on devices still enumerating:
        # the other devices' records must still not be kept, and it is said.
        out = os.path.join(tmp, f"{name}-held.pcap")
        r = capture(dfuscope, ["-r", src, "--device", devices[0], "--max-held", "3", "-w", out])
        same_records(pcaputil.records(out), want, f"{name} --max-held 3")
        if name == "reset":
            check("could be told apart" in r.stderr and "not kept" in r.stderr,
                  "reset --max-held 3: the forced decision on the mouse is reported")


def tshark_addresses(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=f",
                          "-e", "usb.bus_id", "-e", "usb.device_address"], capture_output=True, text=True,
                         check=True).stdout
    return [tuple(int(x) for x in line.split("\t")) for line in out.splitlines()]


def merged_real_captures(tmp):
    """The STM32 DFU session (bus 0) and the umockdev keyboard capture (bus 1,
    several devices) in one file, interleaved by their own relative times."""
    streams = []
    for name in ("stm32_dfu_install.pcap", "umockdev-usbkbd.pcapng"):
        path = os.path.join(DATA, "real", name)
        recs = pcaputil.records(path)
        addrs = tshark_addresses(path)
        assert len(addrs) == len(recs), name
        t0 = recs[0][0]
        streams.append([(ts - t0, data, name, a) for (ts, _, data), a in zip(recs, addrs)])
    base = 1_700_000_000 * 10**9
    merged = sorted(streams[0] + streams[1], key=lambda r: r[0])
    path = os.path.join(tmp, "merged.pcap")
    pcaputil.write_pcap(path, [(base + ts, data) for ts, data, _, _ in merged])
    return path, [(base + ts, data, name, a) for ts, data, name, a in merged]


def real_tests(dfuscope, tmp):
    path, merged = merged_real_captures(tmp)
    # the keyboard enumerates at address 0 and becomes 1.11
    want = [(ts, 220, d) for ts, d, name, a in merged
            if name.startswith("umockdev") and a in ((1, 0), (1, 11))]
    out = os.path.join(tmp, "kbd.pcap")
    r = capture(dfuscope, ["-r", path, "--device", "04d9:1603", "-w", out])
    check(r.returncode == 0, f"merged --device 04d9:1603: exit 0 ({r.stderr.strip()[-200:]})")
    same_records(pcaputil.records(out), want, "merged real captures --device 04d9:1603")
    # the DFU device at 0.28 leaves after a DfuSe leave and comes back as
    # 0925:d100 (no serial numbers in this capture)
    want = [(ts, 220, d) for ts, d, name, a in merged if name.startswith("stm32")]
    out = os.path.join(tmp, "stm32.pcapng")
    r = capture(dfuscope, ["-r", path, "--device", "0.28", "-w", out])
    check(r.returncode == 0, f"merged --device 0.28: exit 0 ({r.stderr.strip()[-200:]})")
    same_records(pcaputil.records(out), want,
                 "merged real captures --device 0.28 (followed to 0.29 as 0925:d100)")


SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures",
                    "captures", "seed-cubeprogrammer-ob-write.pcapng")
GONE = "The capture went on for 10.0 s after the failure without the device coming back"


def isb_endtimes(path):
    """isb_endtime of every interface statistics block (little-endian pcapng, as
    dfuscope writes it on x86), raw."""
    import struct
    d = open(path, "rb").read()
    off, ends = 0, []
    while off + 8 <= len(d):
        btype, blen = struct.unpack_from("<II", d, off)
        if btype == 5:
            o = off + 20
            while o + 4 <= off + blen - 4:
                code, olen = struct.unpack_from("<HH", d, o)
                if code == 0:
                    break
                if code == 3:
                    ends.append(d[o + 4:o + 12])
                o += 4 + ((olen + 3) & ~3)
        off += blen
    return ends


def end_time_tests(dfuscope, tmp):
    """The seed capture's end time (10 s after the failure, long after its last
    record) goes through capture -r ... -w and into --diagnose."""
    want = isb_endtimes(SEED)
    check(len(want) == 1, "the seed capture has one isb_endtime")
    for dev in (None, "0483:df11"):
        out = os.path.join(tmp, "seed-copy.pcapng")
        args = ["-r", SEED, "-w", out, "--diagnose", "--color", "never"]
        if dev:
            args += ["--device", dev]
        r = capture(dfuscope, args)
        what = "capture -r seed -w copy.pcapng" + (f" --device {dev}" if dev else "")
        check(r.returncode == 1 and GONE in r.stdout,
              f"{what} --diagnose: the device did not come back within 10 s")
        check(isb_endtimes(out) == want, f"{what}: the end time is carried over")
        d = subprocess.run([dfuscope, "diagnose", out], capture_output=True, text=True)
        check(GONE in d.stdout, f"{what}: diagnose of the copy says the same")
    # classic pcap has no place for it
    out = os.path.join(tmp, "seed-copy.pcap")
    r = capture(dfuscope, ["-r", SEED, "-w", out])
    d = subprocess.run([dfuscope, "diagnose", out], capture_output=True, text=True)
    check(r.returncode == 0 and "too soon to see whether it comes back" in d.stdout,
          "capture -r seed -w copy.pcap: no end time, the capture ends too soon to tell")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        scenario_tests(sys.argv[1], tmp)
        real_tests(sys.argv[1], tmp)
        end_time_tests(sys.argv[1], tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
