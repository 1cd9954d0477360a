#!/usr/bin/env python3
"""Real host tools against the emulated devices: unmodified dfu-util 0.11,
lsusb and the libusb program modelled on STM32CubeProgrammer run under
`dfuscope emulate` and must see what the seed report shows
(dfu-facts.md section 4, tests/data/seed/).

usage: test_emulate.py DFUSCOPE"""
import json
import os
import re
import subprocess

import emu
from emu import assert_in, emulate, host

SEED_NAME = "@Internal Flash /0x08000000/256*02Kg"


def list_models(tmp):
    r = subprocess.run([emu.dfuscope(), "emulate", "--list"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in ("stm32g0c1-bootloader", "dfuse-device", "dfu11-device", "after-ob-reset=gone|dfu",
                 "zero-poll-timeout", "short-poll-timeout", "oversized-transfer-size",
                 "no-functional-descriptor", "short-functional-descriptor", "no-error-after-stall",
                 "upload-never-short", "clrstatus-idle-error"):
        assert_in(name, r.stdout, "--list")


def usage_errors(tmp):
    d = emu.dfuscope()
    cases = [
        ([d, "emulate"], "Usage"),
        ([d, "emulate", "nosuch", "--", "true"], "unknown model 'nosuch'"),
        ([d, "emulate", "dfu11-device", "--option", "bogus=1", "--", "true"],
         "unknown option 'bogus'"),
        ([d, "emulate", "dfu11-device", "-o", "image-size=99999999", "--", "true"],
         "number from 0 to 65536"),
        ([d, "emulate", "dfu11-device"], "no command"),
        ([d, "emulate", "dfu11-device", "--address", "1", "--", "true"], "--address"),
        ([d, "emulate", "dfu11-device", "--frobnicate", "--", "true"], "unknown option"),
        ([d, "emulate", "dfu11-device", "--pcap", "x.pcap", "--link-type", "usbpcapx", "--",
          "true"], "--link-type takes usbmon, usbpcap, darwin or usb2, not 'usbpcapx'"),
        ([d, "emulate", "dfu11-device", "--link-type", "usb2", "--", "true"],
         "--link-type goes with --pcap"),
    ]
    for args, message in cases:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert_in(message, r.stderr, " ".join(args[1:]))


def exit_status(tmp):
    assert emulate("dfu11-device", ["sh", "-c", "exit 7"]).returncode == 7
    r = emulate("dfu11-device", ["/nonexistent/program"])
    assert r.returncode == 127, r.returncode
    assert_in("/nonexistent/program", r.stderr, "command not found")
    assert emulate("dfu11-device", ["sh", "-c", "kill -TERM $$"]).returncode == 128 + 15
    r = emulate("dfu11-device", ["true"], pcap="/dev/full")
    assert r.returncode == 125, r.returncode
    assert_in("/dev/full: cannot write the capture", r.stderr, "capture error")


def dfu_util_list(tmp):
    r = emulate("stm32g0c1-bootloader", ["dfu-util", "-l"])
    assert r.returncode == 0, r.stderr
    found = [l for l in r.stdout.splitlines() if l.startswith("Found DFU")]
    assert len(found) == 3, r.stdout
    for alt, line in zip((2, 1, 0), found):
        want = (f'Found DFU: [0483:df11] ver=0200, devnum=6, cfg=1, intf=0, path="1-1", '
                f'alt={alt}, name="{SEED_NAME}", serial=')
        assert line.startswith(want), (line, want)


def dfu_util_not_readable(tmp):
    cap = os.path.join(tmp, "c.pcapng")
    r = emulate("stm32g0c1-bootloader",
                ["dfu-util", "-a", "1", "-s", "0x1fff7870", "-U", "f", "-Z", "4"], pcap=cap,
                cwd=tmp)
    assert r.returncode != 0
    assert_in("Page at 0x1fff7870 is not readable", r.stderr, "dfu-util")
    assert not os.path.exists(os.path.join(tmp, "f")) or os.path.getsize(os.path.join(tmp, "f")) == 0
    # it stopped before any DfuSe transfer: no DNLOAD, no UPLOAD in the capture
    out = subprocess.run([emu.dfuscope(), "decode", "--json", cap], capture_output=True,
                         text=True, check=True).stdout
    requests = [json.loads(l)["request"] for l in out.splitlines()]
    assert not [q for q in requests if "DNLOAD" in q or "UPLOAD" in q], requests


def dfu_util_force(tmp):
    reads = [("0x1fff7870:force:4", bytes(4)),  # FLASH_SECR: SEC_SIZE 0, BOOT_LOCK 0
             ("0x1fff7800:force:8", bytes.fromhex("aafeffff55010000")),  # FLASH_OPTR + complement
             ("0x1fff75e0:force:2", bytes.fromhex("0002"))]  # flash size: 512 KiB
    for i, (spec, want) in enumerate(reads):
        r = emulate("stm32g0c1-bootloader", ["dfu-util", "-a", "1", "-s", spec, "-U", f"f{i}"],
                    cwd=tmp)
        assert r.returncode == 0, r.stdout + r.stderr
        got = open(os.path.join(tmp, f"f{i}"), "rb").read()
        assert got == want, (spec, got.hex(), want.hex())


def norm(line):
    return " ".join(line.split())


def lsusb_seed_block(tmp):
    """Every value of the seed's lsusb block, in order (names that come
    from the usb.ids database and the redacted serial aside)."""
    r = emulate("stm32g0c1-bootloader", ["lsusb", "-v", "-d", "0483:df11"])
    assert r.returncode == 0, r.stderr
    ours = [norm(l) for l in r.stdout.splitlines() if l.strip()]
    at = 0
    for raw in open(os.path.join(emu.SEED_DIR, "lsusb-v.txt")):
        want = norm(raw)
        if not want or want.startswith("can't get"):
            continue
        words = want.split()
        string_field = words[0] in ("iManufacturer", "iProduct", "iConfiguration", "iInterface")
        key = want if string_field or len(words) < 2 else " ".join(words[:2])
        if words[0] == "iSerial":
            key = "iSerial 3"
        while at < len(ours) and not ours[at].startswith(key):
            at += 1
        assert at < len(ours), f"seed line {want!r} (as {key!r}) not found in order in:\n{r.stdout}"
        at += 1


def dfuse_roundtrip(tmp):
    img = emu.pattern(5000, 3)
    open(os.path.join(tmp, "img.bin"), "wb").write(img)
    r = emulate("dfuse-device", ["sh", "-c",
                                 "dfu-util -a 0 -s 0x08000000 -D img.bin && "
                                 "dfu-util -a 0 -s 0x08000000:5000 -U back.bin"], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    assert open(os.path.join(tmp, "back.bin"), "rb").read() == img


def dfu11_roundtrip(tmp):
    img = emu.pattern(3000, 5)
    open(os.path.join(tmp, "img.bin"), "wb").write(img)
    r = emulate("dfu11-device", ["sh", "-c", "dfu-util -D img.bin && dfu-util -U back.bin"],
                cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_in("Done!", r.stdout, "download")
    assert open(os.path.join(tmp, "back.bin"), "rb").read() == img


SEED_PROTOCOL_LINES = (
    "setting the address pointer", "receiving packet nbr", "sending an abort request",
    "UpLoading data", "sending packet nbr", "downloading data", "libusb get status error",
    "Bank :", "Address :", "Size :", "UPLOADING OPTION BYTES DATA", "PROGRAMMING OPTION BYTES AREA",
    "Database: Config 1 is active.", "Reconnecting...", "An error occured while downloading data",
    "Error: ", "Unable to reconnect")


def protocol_lines(text):
    return [l.strip() for l in text.splitlines() if l.strip().startswith(SEED_PROTOCOL_LINES)]


def cubeprog(options=(), pcap=None):
    return emulate("stm32g0c1-bootloader",
                   [host("dfs-host-cubeprog"), "--verbose", "--reconnect-timeout", "2000"],
                   options=options, pcap=pcap)


def cubeprog_seed(tmp):
    r = cubeprog()
    assert r.returncode == 1, r.stdout + r.stderr
    seed = protocol_lines(open(os.path.join(emu.SEED_DIR, "cubeprogrammer-cli.txt")).read())
    ours = protocol_lines(r.stdout)
    assert ours == seed, "\n".join(
        f"{i}: seed {a!r} ours {b!r}" for i, (a, b) in enumerate(zip(seed, ours)) if a != b) or (
        len(seed), len(ours))
    out = r.stdout
    pipe = out.index("libusb get status error [-9] : LIBUSB_ERROR_PIPE")
    gone = out.index("LIBUSB_ERROR_NO_DEVICE")
    assert pipe < out.index("Reconnecting...") < gone, out
    assert_in("[hotplug] device 1.6 left", out, "hotplug")
    assert "arrived" not in out


def cubeprog_device_returns(tmp):
    cap = os.path.join(tmp, "c.pcapng")
    r = cubeprog(options=["after-ob-reset=dfu"], pcap=cap)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.index("LIBUSB_ERROR_PIPE") < out.index("[hotplug] device 1.6 left") < out.index(
        "[hotplug] device 1.7 arrived") < out.index("Option Bytes successfully programmed"), out
    desc = json.loads(subprocess.run([emu.dfuscope(), "descriptors", "--json", cap],
                                     capture_output=True, text=True, check=True).stdout)
    devs = [d for d in desc["devices"] if d["device"] != 1]  # 1: the root hub
    assert [(d["device"], d["previous"]) for d in devs] == [(6, None), (7, devs[0]["instance"])], devs


def cubeprog_rejected(tmp):
    r = cubeprog(options=["ob-write=reject"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert_in("state dfuERROR, status errWRITE", r.stdout, "rejection")
    assert "Reconnecting" not in r.stdout and "LIBUSB_ERROR_PIPE" not in r.stdout


def getstatus_stall_in_capture(tmp):
    """The capture shows the GETSTATUS after the 4-byte DNLOAD at 0x1FFF7870
    completing with -EPIPE, and nothing of device 6 after it."""
    cap = os.path.join(tmp, "c.pcapng")
    cubeprog(pcap=cap)
    rows = [json.loads(l) for l in subprocess.run(
        [emu.dfuscope(), "decode", "--json", cap], capture_output=True, text=True,
        check=True).stdout.splitlines()]
    dnload = [i for i, c in enumerate(rows) if c.get("bRequest") == 1 and c.get("wValue") == 2
              and c.get("bmRequestType") == 0x21]
    assert len(dnload) == 1 and rows[dnload[0]]["data"] == "10000000", dnload
    after = rows[dnload[0] + 1:]
    assert [(c["bRequest"], c["status"]) for c in after if c["device"] == 6] == [(3, -32), (3, -32)]
    # the root hub then reports port 1 disconnected (connection and enable changed)
    port = [c["data"] for c in after if c["device"] == 1 and c.get("bmRequestType") == 0xa3]
    assert port and port[0] == "00010300", port


def record_any_tool(tmp):
    cap = os.path.join(tmp, "lsusb.pcap")
    r = emulate("dfu11-device", ["lsusb", "-v", "-d", "1209:0001"], pcap=cap)
    assert r.returncode == 0, r.stderr
    assert_in("DFU 1.1 reference device", r.stdout, "lsusb")
    desc = json.loads(subprocess.run([emu.dfuscope(), "descriptors", "--json", cap],
                                     capture_output=True, text=True, check=True).stdout)
    dd = [d for d in desc["devices"] if d["device"] == 2][0]["device_descriptor"]
    assert (dd["idVendor"], dd["idProduct"]) == (0x1209, 0x0001), dd
    assert open(cap, "rb").read(4) == bytes.fromhex("4d3cb2a1"), "nanosecond pcap"


def cubeprog_usb2(tmp):
    """The option-byte session with the device coming back, recorded as
    usbmon and as USB 2.0 packets (--link-type usb2): the same findings, and
    in the packet capture the reset is proven by the bus reset event."""
    mon, pk = os.path.join(tmp, "mon.pcapng"), os.path.join(tmp, "usb2.pcapng")
    assert cubeprog(options=["after-ob-reset=dfu"], pcap=mon).returncode == 0
    r = emulate("stm32g0c1-bootloader",
                [host("dfs-host-cubeprog"), "--verbose", "--reconnect-timeout", "2000"],
                options=["after-ob-reset=dfu"], pcap=pk, extra=["--link-type", "usb2"])
    assert r.returncode == 0, r.stdout + r.stderr
    with open(pk, "rb") as f:
        head = f.read(256)
    shb_len = int.from_bytes(head[4:8], "little")
    assert head[:4] == bytes.fromhex("0a0d0d0a"), head[:4]
    assert int.from_bytes(head[shb_len + 8:shb_len + 10], "little") == 288, head  # the IDB's

    def findings(path):
        js = json.loads(subprocess.run([emu.dfuscope(), "diagnose", "--json", path],
                                       capture_output=True, text=True).stdout)
        return js["findings"]
    fa, fb = findings(mon), findings(pk)
    assert [(f["id"], f["severity"]) for f in fa] == [(f["id"], f["severity"]) for f in fb], (
        fa, fb)
    ob = [f for f in fb if f["id"] == "dfuse.option-bytes-reset"]
    assert ob and "The bus reset at frame" in ob[0]["explanation"], ob


def two_configurations(tmp):
    """dfu11-device -o second-configuration=1: dfu-util, which looks through
    every configuration, lists the DFU interface of both (cfg=1 and cfg=2) and
    warns of the missing functional descriptor; from the capture of that run
    dfuscope judges both configurations (one finding, about configuration 2,
    at the completion of GET_DESCRIPTOR(CONFIGURATION, 1)) and `descriptors`
    prints both."""
    cap = os.path.join(tmp, "two.pcapng")
    r = emulate("dfu11-device", ["dfu-util", "-l"], options=["second-configuration=1"], pcap=cap)
    assert r.returncode == 0, r.stderr
    cfgs = sorted(re.findall(r"Found DFU: \[1209:0001\].* cfg=(\d+), intf=0", r.stdout))
    assert cfgs == ["1", "2"], r.stdout
    assert_in("has no DFU functional descriptor", r.stdout + r.stderr, "dfu-util's warning")
    js = json.loads(subprocess.run([emu.dfuscope(), "diagnose", "--json", cap],
                                   capture_output=True, text=True).stdout)
    found = [f for f in js["findings"] if f["id"].startswith("desc.")]
    assert [f["id"] for f in found] == ["desc.functional-missing"], found
    assert_in("configuration 2: DFU interface 0", found[0]["explanation"], "names it")
    rows = [json.loads(l) for l in subprocess.run(
        [emu.dfuscope(), "decode", "--json", cap], capture_output=True, text=True,
        check=True).stdout.splitlines() if l.startswith("{")]
    second = [c for c in rows if c.get("bRequest") == 6 and c.get("wValue") == 0x0201]
    assert second and found[0]["frame"] in (second[0].get("complete_frame"),
                                            second[-1].get("complete_frame")), (found, second)
    text = subprocess.run([emu.dfuscope(), "descriptors", cap], capture_output=True, text=True,
                          check=True).stdout
    values = re.findall(r"bConfigurationValue\s+(\d+)", text)
    assert values == ["1", "2"], values
    desc = json.loads(subprocess.run([emu.dfuscope(), "descriptors", "--json", cap],
                                     capture_output=True, text=True, check=True).stdout)
    dev = [d for d in desc["devices"] if d["device"] == 2][0]
    other = dev.get("other_configurations", [])
    assert dev["configuration"]["bConfigurationValue"] == 1 and len(other) == 1, dev
    assert other[0]["bConfigurationValue"] == 2 and other[0]["wTotalLength"] == 18, other
    assert [i["descriptors"] for i in other[0]["interfaces"]] == [[]], other  # no functional


def trace(tmp):
    r = emulate("dfu11-device", ["dfu-util", "-l"], extra=["--trace"])
    assert r.returncode == 0
    assert re.search(r"/dev/bus/usb/001/002: ioctl SUBMITURB", r.stderr), r.stderr


def main():
    emu.need("dfu-util", "lsusb")
    emu.need_bridge()
    emu.run_checks([list_models, usage_errors, exit_status, dfu_util_list, dfu_util_not_readable,
                    dfu_util_force, lsusb_seed_block, dfuse_roundtrip, dfu11_roundtrip,
                    cubeprog_seed, cubeprog_device_returns, cubeprog_rejected,
                    getstatus_stall_in_capture, record_any_tool, cubeprog_usb2,
                    two_configurations, trace])


if __name__ == "__main__":
    main()
