#!/usr/bin/env python3
"""The dfuscope command line: exact output lines on the real captures, the
--device filters, standard input, records of other link types, and usage
errors.

The exact lines were checked by hand against tshark (the frame, time
stamp, device, status and data fields named in the comment above each);
a change in them is a change in what users see, to be reviewed the same
way.

usage: cli_output.py DFUSCOPE   (captures from $DFS_TEST_DATA/real)"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capgen  # noqa: E402

DFUSCOPE = None
DATA = None
failures = []


def run(*args, stdin=None, input_bytes=None):
    r = subprocess.run([DFUSCOPE] + list(args), stdin=stdin, input=input_bytes,
                       capture_output=True)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def real(name):
    return os.path.join(DATA, "real", name)


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def expect_lines(args, lines):
    rc, out, err = run(*args)
    check(rc == 0, f"{' '.join(args)}: exit {rc}: {err.strip()}")
    have = out.splitlines()
    for line in lines:
        check(line in have, f"{' '.join(args)}: missing line\n    {line!r}")


# ---- exact lines -----------------------------------------------------------------

def exact_lines():
    nuttx = real("nuttx-adb.pcapng")
    # frames 1-2: tshark shows bcdUSB 0x0200, bMaxPacketSize0 64, idVendor
    # 0x18d1, idProduct 0x4e11, bcdDevice 0x0101; frame 4 status -32 (-EPIPE)
    # at 0.006058 s; frame 14 wLANGID 0x0409; frame 16 bString "Debug Bridge"
    expect_lines(["decode", nuttx], [
        "          1-2     0.000000   1.35  GET_DESCRIPTOR DEVICE len 18 -> OK, 18 B: "
        "USB 2.00 ep0 64 18d1:4e11 rev 1.01",
        "          3-4     0.006058   1.35  GET_DESCRIPTOR DEVICE_QUALIFIER len 10 -> "
        "STALL (-32 EPIPE), 0 B",
        "        13-14     0.074645   1.35  GET_DESCRIPTOR STRING len 255 -> OK, 4 B: "
        "LANGID 0x0409",
        "        15-16     0.091554   1.35  GET_DESCRIPTOR STRING 2 lang 0x0409 len 255 -> "
        "OK, 26 B: \"Debug Bridge\"",
    ])
    rc, _, err = run("decode", nuttx)
    # tshark counts 47 frames
    check(f"{nuttx}: 47 records, 13 control transfers, 0 DFU transactions, 0 records skipped, "
          "0 damaged"
          in err.splitlines(), f"decode summary: {err!r}")
    # URB id 0xffff9689a8b2cc00, setup 80 06 0001 0000 1200 (wire order),
    # frame 2 data 1201000200000040d118114e010101020301
    expect_lines(["decode", "--urbs", nuttx], [
        "      1     0.000000 ffff9689a8b2cc00 S Ci:1:035:0 s 80 06 0100 0000 0012 18 <",
        "      2     0.006052 ffff9689a8b2cc00 C Ci:1:035:0 0 18 = 12010002 00000040 d118114e "
        "01010102 0301",
    ])
    expect_lines(["decode", "--json", nuttx], [
        '{"frame":1,"submit_frame":1,"complete_frame":2,"time":1737511279.259851000,"bus":1,'
        '"device":35,"instance":1,"endpoint":128,"urb_id":"0xffff9689a8b2cc00",'
        '"bmRequestType":128,"bRequest":6,"wValue":256,"wIndex":0,"wLength":18,'
        '"request":"GET_DESCRIPTOR DEVICE len 18","dfu":false,"end":"completed","status":0,'
        '"status_name":"OK","actual_length":18,"duration_us":6052,'
        '"data":"1201000200000040d118114e010101020301","data_partial":false,'
        '"summary":"USB 2.00 ep0 64 18d1:4e11 rev 1.01"}',
    ])
    expect_lines(["descriptors", nuttx], [
        "Bus 001 Device 035: ID 18d1:4e11 NuttX Debug Bridge",
        "  [instance 1, frames 1-47]",
        "  idVendor              0x18d1 NuttX",
        "  idProduct             0x4e11 Debug Bridge",
        "  bcdDevice               1.01",
        "    wTotalLength        0x0020",
        "      bInterfaceClass      255 Vendor Specific Class",
        "        bEndpointAddress   0x82 EP 2 IN",
        "        wMaxPacketSize  0x0040 1x 64 bytes",
        "  String descriptor 0: LANGID 0x0409 (English (United States))",
        "Device Qualifier: request stalled (a full-speed-only device)",
    ])

    stm32 = real("stm32_dfu_install.pcap")
    # frame 11: bmRequestType 0xa1, bRequest 3, wLength 6 to interface 0 (GETSTATUS);
    # frame 12 holds 0a 00 00 00 0a 00 (bStatus errFIRMWARE, state dfuERROR);
    # frame 253 is SET_ADDRESS (bRequest 5) to device 0 at 4.793363 s;
    # frame 286 bString "@Internal Flash  /0x08000000/032*0001Kg"
    expect_lines(["decode", stm32], [
        "        11-12     0.000780   0.28  DFU GETSTATUS if 0 -> OK, 6 B: 0a 00 00 00 0a 00",
        "      253-254     4.793363   0.0   SET_ADDRESS 29 -> OK, 0 B",
        "      285-286     4.812202   0.29  GET_DESCRIPTOR STRING 4 lang 0x0409 len 255 -> OK, "
        "80 B: \"@Internal Flash  /0x08000000/032*0001Kg\"",
    ])
    # the DFU run-time interface of the re-enumerated 0925:d100
    expect_lines(["descriptors", stm32], [
        "Bus 000 Device 029: ID 0925:d100",
        "      iInterface             4 @Internal Flash  /0x08000000/032*0001Kg",
        "      Device Firmware Upgrade Interface Descriptor:",
        "        wDetachTimeout     255 milliseconds",
        "        wTransferSize     1024 bytes",
        "        bcdDFUVersion     0.00",
    ])

    handset = real("usbrevue-handset.pcap")
    # frame 15: bmRequestType 0x22, bRequest 1 (audio SET_CUR, sampling
    # frequency), wValue 0x0100, wIndex 1, data 80bb00 (48000 Hz)
    expect_lines(["decode", handset], [
        "        15-16     5.961821   4.2   CLASS endpoint OUT req 0x01 wValue 0x0100 "
        "wIndex 0x0001 wLength 3 -> OK, 3 B: 80 bb 00",
    ])
    # the audio SET_CUR requests (0x21, bRequest 1, wIndex 0x0900) share the
    # numbers of DFU_DNLOAD: none of them, and nothing here, is DFU
    rc, out, _ = run("decode", "--json", handset)
    ctls = [json.loads(l) for l in out.splitlines()]
    set_cur = [c for c in ctls if c.get("bmRequestType") == 0x21 and c.get("bRequest") == 1
               and c.get("wIndex") == 0x0900]
    check(len(set_cur) == 8, f"usbrevue-handset: {len(set_cur)} audio SET_CUR, 8 expected")
    check(not any(c["dfu"] for c in ctls), "usbrevue-handset: a request taken for DFU")

    kbd = real("umockdev-usbkbd.pcapng")
    # frame 114 on device 0 (xHCI: no SET_ADDRESS), frame 131 bString
    # "USB Keyboard", frame 144 status -32 for SET_IDLE on interface 1
    expect_lines(["decode", kbd], [
        "      114-115     7.850186   1.0   GET_DESCRIPTOR DEVICE len 64 -> OK, 18 B: "
        "USB 1.10 ep0 8 04d9:1603 rev 3.10",
        "      130-131     7.995678   1.11  GET_DESCRIPTOR STRING 2 lang 0x0409 len 255 -> OK, "
        "26 B: \"USB Keyboard\"",
        "      143-144     8.067185   1.11  CLASS interface OUT req 0x0a wValue 0x0000 "
        "wIndex 0x0001 wLength 0 -> STALL (-32 EPIPE), 0 B",
    ])
    # one keyboard, enumerated on address 0 and then on 11 (manufacturer
    # string " " per frame 133)
    expect_lines(["descriptors", kbd], [
        "Bus 001 Device 011: ID 04d9:1603   USB Keyboard",
        "  [instance 4, frames 114-177]",
    ])
    rc, out, _ = run("descriptors", kbd)
    check("left the bus" not in out and "re-enumeration" not in out,
          "umockdev-usbkbd: a device shown as gone or re-enumerated")

    test1 = real("usbmon-tools-test1.pcap")
    # frame 5: a completion whose submit is not in the capture
    rc, out, _ = run("decode", "--urbs", "--json", test1)
    f5 = [json.loads(l) for l in out.splitlines() if l.startswith('{"frame":5,')]
    check(len(f5) == 1 and "link_frame" not in f5[0] and f5[0]["type"] == "C",
          f"usbmon-tools-test1 frame 5: {f5}")


# ---- --device ---------------------------------------------------------------------

def device_column(line):
    return line.split()[2]


def device_filters():
    kbd = real("umockdev-usbkbd.pcapng")
    _, everything, _ = run("decode", kbd)
    all_lines = everything.splitlines()
    # BUS.DEV: that address only
    rc, out, _ = run("decode", "--device", "1.11", kbd)
    want = [l for l in all_lines if device_column(l) == "1.11"]
    check(rc == 0 and want and out.splitlines() == want, "--device 1.11: other lines")
    # VID:PID: the device on address 0 too
    rc, out, _ = run("decode", "--device", "04d9:1603", kbd)
    want = [l for l in all_lines if device_column(l) in ("1.0", "1.11")]
    check(rc == 0 and out.splitlines() == want, "--device 04d9:1603: other lines")
    rc, out, _ = run("descriptors", "--json", "--device", "04d9:1603", kbd)
    devs = json.loads(out)["devices"]
    check([d["device"] for d in devs] == [11], f"descriptors --device 04d9:1603: {devs}")
    # stm32: 0925:d100 from its first record on address 0, before its
    # device descriptor arrived (frame 252), and nothing of 0.28
    stm32 = real("stm32_dfu_install.pcap")
    rc, out, _ = run("decode", "--urbs", "--json", "--device", "0925:d100", stm32)
    frames = [json.loads(l)["frame"] for l in out.splitlines()]
    check(frames == list(range(251, 303)), f"--device 0925:d100 frames {frames[:5]}...")
    rc, out, _ = run("decode", "--device", "0.29", stm32)
    check(out.splitlines()[0].startswith("      255-256 "), "--device 0.29: first line")
    rc, out, err = run("decode", "--device", "dead:beef", stm32)
    check(rc == 0 and out == "", "--device dead:beef printed something")
    rc, out, err = run("descriptors", "--device", "dead:beef", stm32)
    check(rc == 0 and "no device matching --device in the capture" in err,
          f"descriptors --device dead:beef: {err!r}")


def reenumeration_filter(tmp):
    """A device enumerated on address 0 (first 8 bytes, SET_ADDRESS), then
    gone and back on a new address, with another device in between: its
    VID:PID selects all of its records and none of the other's."""
    c = capgen.Capture()
    mine, other = [], []

    def add(lst, n_before):
        lst.extend(range(n_before + 1, len(c.records) + 1))

    dfu = capgen.device_descriptor(0x0483, 0xdf11)
    keyboard = capgen.device_descriptor(0x04d9, 0x1603)
    n = len(c.records)
    c.control_in(1, 3, capgen.get_descriptor(capgen.DEVICE, 0, 0, 18), keyboard)
    add(other, n)
    n = len(c.records)
    c.control_in(2, 0, capgen.get_descriptor(capgen.DEVICE, 0, 0, 8), dfu[:8])
    c.control_out(3, 0, capgen.set_address(5))
    c.control_in(4, 5, capgen.get_descriptor(capgen.DEVICE, 0, 0, 18), dfu)
    c.control_in(5, 5, capgen.setup(0xa1, 3, 0, 0, 6), bytes([0, 0, 0, 0, 2, 0]))
    add(mine, n)
    n = len(c.records)
    c.bulk("S", 6, 3, 0x81, capgen.EINPROGRESS)
    c.bulk("C", 6, 3, 0x81, 0, b"\x00" * 8, 8)
    add(other, n)
    n = len(c.records)
    c.submit(7, 5, capgen.setup(0xa1, 3, 0, 0, 6))
    c.complete(7, 5, b"", capgen.EPIPE)
    c.submit(8, 5, capgen.setup(0xa1, 3, 0, 0, 6))
    c.complete(8, 5, b"", capgen.ENODEV)
    c.control_in(9, 0, capgen.get_descriptor(capgen.DEVICE, 0, 0, 8), dfu[:8])
    c.control_out(10, 0, capgen.set_address(6))
    c.control_in(11, 6, capgen.get_descriptor(capgen.DEVICE, 0, 0, 18), dfu)
    c.control_in(12, 6, capgen.setup(0xa1, 3, 0, 0, 6), bytes([0, 0, 0, 0, 2, 0]))
    add(mine, n)
    path = os.path.join(tmp, "reenum.pcap")
    c.write_pcap(path)

    rc, out, err = run("decode", "--urbs", "--json", "--device", "0483:df11", path)
    frames = [json.loads(l)["frame"] for l in out.splitlines()]
    check(rc == 0 and frames == mine, f"--device 0483:df11 frames {frames}, want {mine}")
    rc, out, err = run("decode", "--urbs", "--json", "--device", "04d9:1603", path)
    frames = [json.loads(l)["frame"] for l in out.splitlines()]
    check(frames == other, f"--device 04d9:1603 frames {frames}, want {other}")
    rc, out, _ = run("descriptors", "--json", "--device", "0483:df11", path)
    devs = json.loads(out)["devices"]
    check([(d["device"], d["previous"], d["gone_frame"]) for d in devs]
          == [(5, None, 16), (6, devs[0]["instance"], None)],
          f"descriptors --device 0483:df11: {[(d['device'], d['previous']) for d in devs]}")
    # a stream cannot be read twice: the filter starts with the descriptor
    with open(path, "rb") as f:
        rc, out, err = run("decode", "--device", "0483:df11", "-", stdin=f)
    check("reading a stream, so --device VID:PID matches a device only from the moment its "
          "device descriptor is seen" in err, f"stdin --device note: {err!r}")
    # on a stream, each instance matches from its identification on: the
    # first from frames 7-8, the second from 21-22 (not its address-0 reads)
    firsts = [line.split()[0] for line in out.splitlines()]
    check(firsts == ["7-8", "9-10", "13-14", "15-16", "21-22", "23-24"],
          f"stdin --device 0483:df11: {firsts}")


# ---- standard input, other link types, usage ----------------------------------------

def standard_input():
    for name in ("nuttx-adb.pcapng", "stm32_dfu_install.pcap"):
        path = real(name)
        for args in (["decode"], ["decode", "--urbs", "--json"], ["descriptors"]):
            _, want, _ = run(*args, path)
            with open(path, "rb") as f:
                rc, got, err = run(*args, "-", stdin=f)
            check(rc == 0 and got == want, f"{' '.join(args)} - < {name}: differs")
            # through a pipe, which cannot seek
            with open(path, "rb") as f:
                data = f.read()
            rc, got, err = run(*args, "-", input_bytes=data)
            check(rc == 0 and got == want, f"{' '.join(args)} - (pipe) {name}: differs")


def other_link_types(tmp):
    c = capgen.Capture()
    c.control_in(1, 5, capgen.get_descriptor(capgen.DEVICE, 0, 0, 18),
                 capgen.device_descriptor(0x1234, 0x5678))
    usb = [r for _, r in c.records]
    eth = bytes(60)
    path = os.path.join(tmp, "mixed.pcapng")
    with open(path, "wb") as f:
        f.write(capgen.pcapng_bytes([1, 220, 113], [(0, eth), (1, usb[0]), (0, eth), (1, usb[1]),
                                                    (2, eth), (0, eth)]))
    rc, out, err = run("decode", path)
    lines = err.splitlines()
    check(rc == 0, f"mixed link types: exit {rc}")
    check(out.startswith("          2-4 "), f"mixed link types: {out!r}")
    check(lines.count(f"{path}: frame 1: link type 1 (ETHERNET) is not a USB capture dfuscope "
                      "reads; records of this link type are skipped") == 1,
          f"mixed link types: {lines}")
    check(lines.count(f"{path}: frame 5: link type 113 (LINUX_SLL) is not a USB capture "
                      "dfuscope reads; records of this link type are skipped") == 1,
          f"mixed link types: {lines}")
    check(f"{path}: 6 records, 1 control transfers, 0 DFU transactions, 4 records skipped, "
          "0 damaged" in lines,
          f"mixed link types summary: {lines}")
    rc, out, _ = run("decode", "--urbs", "--json", path)
    check([json.loads(l)["frame"] for l in out.splitlines()] == [2, 4],
          "mixed link types: usbmon frames")
    rc, out, _ = run("diagnose", "--json", path)
    summary = json.loads(out)["summary"]
    check(summary["records"] == 6 and summary["records_skipped"] == 4,
          f"mixed link types: diagnose summary {summary}")
    # a whole file of another link type is refused
    text = ("link type 1 (ETHERNET) is not a USB capture dfuscope reads; it reads link types "
            "189 (USB_LINUX), 220 (USB_LINUX_MMAPPED), 249 (USBPCAP) and 266 (USB_DARWIN)")
    p = os.path.join(tmp, "lt1.pcap")
    with open(p, "wb") as f:
        f.write(capgen.pcap_bytes(1, [bytes(40)]))
    for cmd in ("decode", "descriptors"):
        rc, out, err = run(cmd, p)
        check(rc == 2 and text in err and out == "", f"{cmd} link type 1: {rc} {err!r}")
    # a USBPcap file is read: a record of zeros has a headerLen of 0, named
    p = os.path.join(tmp, "lt249.pcap")
    with open(p, "wb") as f:
        f.write(capgen.pcap_bytes(249, [bytes(40)]))
    rc, out, err = run("decode", p)
    check(rc == 0 and f"{p}: frame 1: USBPcap headerLen 0 is shorter than the 27-byte header; "
          "record skipped [capture.bad-header]" in err, f"decode link type 249: {rc} {err!r}")


def usage_errors(tmp):
    notcap = os.path.join(tmp, "notes.txt")
    with open(notcap, "w") as f:
        f.write("not a capture\n")
    empty = os.path.join(tmp, "empty.pcap")
    open(empty, "w").close()
    cap = real("nuttx-adb.pcapng")
    cases = [
        ([], "Usage: dfuscope COMMAND"),
        (["frobnicate"], "dfuscope: unknown command 'frobnicate'"),
        (["decode"], "dfuscope decode: no capture file given (use - for standard input)"),
        (["decode", cap, cap], "dfuscope decode: only one capture file at a time"),
        (["decode", "--device", "1-2", cap], "dfuscope decode: --device '1-2': expected "
                                             "BUS.DEV (decimal, e.g. 1.6) or VID:PID (hex, "
                                             "e.g. 0483:df11)"),
        (["decode", "--device", "1.256", cap], "--device '1.256': expected BUS.DEV"),
        (["decode", "--device", "10000:1", cap], "--device '10000:1': expected BUS.DEV"),
        (["decode", "--max-urbs", "0", cap], "dfuscope decode: --max-urbs '0': expected a "
                                             "positive number up to 16777216"),
        (["decode", "--max-urbs", "16777217", cap], "--max-urbs '16777217'"),
        (["decode", "--max-urbs", "12x", cap], "--max-urbs '12x'"),
        (["decode", "--max-payload", "0", cap], "dfuscope decode: --max-payload '0': expected "
                                                "a positive number"),
        (["decode", "--frobnicate", cap], "unrecognized option '--frobnicate'"),
        (["decode", "/nonexistent.pcap"], "dfuscope decode: /nonexistent.pcap: cannot open: "
                                          "No such file or directory"),
        (["decode", notcap], f"dfuscope decode: {notcap}: not a pcap or pcapng capture "
                             "(starts with bytes 6e 6f 74 20)"),
        (["decode", empty], f"dfuscope decode: {empty}: empty file, not a capture"),
        (["descriptors"], "dfuscope descriptors: expected one capture file (or - for standard "
                          "input)"),
        (["descriptors", "--device", "x", cap], "dfuscope descriptors: --device 'x': expected"),
        (["descriptors", "--json", "/nonexistent.pcap"], "cannot open"),
        # the option helpers the capture-reading commands share
        (["diagnose", cap, cap], "dfuscope diagnose: only one capture file at a time"),
        (["report"], "dfuscope report: no capture file given (use - for standard input)"),
        (["script-from", cap, cap], "dfuscope script-from: only one capture file at a time"),
        (["extract", "--device", "1-2", "-o", os.path.join(tmp, "x.bin"), cap],
         "dfuscope extract: --device '1-2': expected BUS.DEV"),
        (["script-from", "--device", "1.256", cap], "dfuscope script-from: --device '1.256'"),
        (["diagnose", "--max-devices", "65537", cap], "dfuscope diagnose: --max-devices '65537': "
                                                      "expected a positive number up to 65536"),
        (["report", "--max-urbs", "0", cap], "dfuscope report: --max-urbs '0': expected a "
                                             "positive number up to 16777216"),
        (["report", "--max-payload", "x", cap], "dfuscope report: --max-payload 'x': expected "
                                                "a positive number of bytes"),
    ]
    for args, text in cases:
        rc, out, err = run(*args)
        check(rc == 2 and text in err, f"dfuscope {' '.join(args)}: exit {rc}, stderr {err!r}")
        check(out == "", f"dfuscope {' '.join(args)}: wrote {out!r} to standard output")
    for args, text in ((["--help"], "Commands:"), (["decode", "--help"], "Usage: dfuscope decode"),
                       (["descriptors", "-h"], "Usage: dfuscope descriptors"),
                       (["--version"], "dfuscope ")):
        rc, out, err = run(*args)
        check(rc == 0 and text in out and err == "", f"dfuscope {' '.join(args)}: {rc} {out!r}")


def main():
    global DFUSCOPE, DATA
    DFUSCOPE = sys.argv[1]
    DATA = os.environ["DFS_TEST_DATA"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (("exact lines", exact_lines), ("device filters", device_filters),
                         ("re-enumeration filter", lambda: reenumeration_filter(tmp)),
                         ("standard input", standard_input),
                         ("other link types", lambda: other_link_types(tmp)),
                         ("usage errors", lambda: usage_errors(tmp))):
            before = len(failures)
            fn()
            print(f"{'ok  ' if len(failures) == before else 'FAIL'} {name}")
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
