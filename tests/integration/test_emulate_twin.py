#!/usr/bin/env python3
"""Twins of captured devices: `dfuscope emulate --from-capture` against
captures made by others and the seed's, driven by real dfu-util and lsusb.
The oracles are the captures themselves (what tshark reads in them, what
Packetry's own decode of its capture says) and what the real tools print.

usage: test_emulate_twin.py DFUSCOPE"""
import os
import subprocess

import emu
import tools
from emu import assert_in, host

REAL = os.path.join(emu.SOURCE_DIR, "tests", "data", "real")
STM32 = os.path.join(REAL, "stm32_dfu_install.pcap")
HACKRF = os.path.join(REAL, "packetry", "hackrf-dfu-enum__capture.pcap")
HACKRF_DEVICES = os.path.join(REAL, "packetry", "hackrf-dfu-enum__devices-reference.txt")
SEED = os.path.join(emu.CAPTURES_DIR, "seed-cubeprogrammer-ob-write.pcapng")
# one dapboot bootloader (1209:db42) captured on three systems by others
BLUEPILL = {fmt: os.path.join(REAL, f"bluepill-bootloader_usb-{os_name}.pcapng")
            for fmt, os_name in (("usbpcap", "windows"), ("darwin", "mac"),
                                 ("usbmon", "ubuntu"))}
STM32_LAYOUT = "@Internal Flash  /0x08000000/032*0001Kg"
SEED_LAYOUT = "@Internal Flash /0x08000000/256*02Kg"


def twin(capture, command, extra=(), cwd=None, timeout=180):
    args = [emu.dfuscope(), "emulate", "--from-capture", capture] + list(extra)
    args += ["--"] + list(command)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def real_capture(path):
    """The captures made by others are shared test data: a missing one fails."""
    if not os.path.exists(path):
        tools.fail(f"{path} is missing (tests/data/real/SOURCES.md)")
    return path


def tshark_controls(capture):
    """Every completed control transfer as tshark reads it: (completion
    frame, bRequest and wValue of its submit, status, data as hex: the IN
    data of the completion, or the OUT data of the submit). The status is
    usbmon's errno; a USBPcap USBD status or a macOS IOReturn reads as 0
    for success and -1 for any failure."""
    tools.require("tshark")
    fields = ["frame.number", "usb.transfer_type", "usb.urb_status", "usb.usbd_status",
              "usb.darwin.io_status", "usb.request_in", "usb.setup.bRequest",
              "usb.setup.wValue", "usb.control.Response", "usb.data_fragment"]
    args = ["tshark", "-r", capture, "-T", "fields"]
    for f in fields:
        args += ["-e", f]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    submits, out = {}, []
    for line in r.stdout.splitlines():
        (frame, xfer, errno, usbd, io_status, req_in, breq, wvalue, data,
         out_data) = (line.split("\t") + [""] * 10)[:10]
        if xfer not in ("0x02", ""):  # USB_DARWIN records carry no transfer type field
            continue
        if breq:
            submits[frame] = (int(breq), int(wvalue, 0) if wvalue else 0, out_data)
        elif req_in in submits:
            breq, wvalue, out_data = submits[req_in]
            if errno:
                status = int(errno)
            else:
                status = 0 if int(usbd or io_status, 16) == 0 else -1
            out.append((int(frame), breq, wvalue, status, (data or out_data).replace(":", "")))
    return out


def stm32_list(tmp):
    """dfu-util -l on the twin of the real STM32 bootloader: what the capture
    shows of it (its layout, its serial), descriptors made up and said so."""
    r = twin(real_capture(STM32), ["dfu-util", "-l"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert_in('Found DFU: [0483:df11]', r.stdout, "dfu-util -l")
    assert_in(f'name="{STM32_LAYOUT}", serial="FFFFFFFEFFFF"', r.stdout, "dfu-util -l")
    assert_in("the capture has no device descriptor: made up", r.stderr, "notes")
    assert_in("GET_DESCRIPTOR DEVICE 0 (0483:df11)", r.stderr, "made-up list")


def stm32_download_upload_leave(tmp):
    """Real dfu-util downloads to the twin and reads it back; the session
    starts in dfuERROR/errFIRMWARE as in the capture; after the leave the
    device comes back as 0925:d100 with its run-time DFU interface."""
    image = emu.pattern(20000, seed=18)
    with open(os.path.join(tmp, "fw.bin"), "wb") as f:
        f.write(image)
    script = ("dfu-util -a 0 -s 0x08000000 -D fw.bin > down.txt 2>&1 || exit 11; "
              "dfu-util -a 0 -s 0x08000000:20000 -U back.bin > up.txt 2>&1 || exit 12; "
              "dfu-util -a 0 -s 0x08000000:leave -D fw.bin > leave.txt 2>&1 || exit 13; "
              "sleep 2; dfu-util -l > after.txt 2>&1; lsusb > lsusb.txt")
    r = twin(real_capture(STM32), ["sh", "-c", script], cwd=tmp,
             extra=["--pcap", os.path.join(tmp, "twin.pcapng")])
    out = {n: open(os.path.join(tmp, n)).read()
           for n in ("down.txt", "up.txt", "leave.txt", "after.txt", "lsusb.txt")
           if os.path.exists(os.path.join(tmp, n))}
    assert r.returncode == 0, (r.returncode, r.stderr, out)
    assert_in("DFU state(10) = dfuERROR, status(10) = Device's firmware is corrupt",
              out["down.txt"], "the state the capture found the device in")
    assert_in("File downloaded successfully", out["down.txt"], "download")
    assert open(os.path.join(tmp, "back.bin"), "rb").read() == image, "upload differs"
    assert_in("Found Runtime: [0925:d100]", out["after.txt"], "after the leave")
    assert_in("ID 0925:d100", out["lsusb.txt"], "lsusb after the leave")
    assert "0483:df11" not in out["lsusb.txt"], out["lsusb.txt"]
    # the poll timeouts the capture shows (0x28 = 40 ms for an erase, 0x48 =
    # 72 ms for a write), as tshark reads them in the twin's capture
    polls = {data for _, breq, _, status, data in tshark_controls(os.path.join(tmp, "twin.pcapng"))
             if breq == 3 and status == 0}
    assert {"002800000400", "004800000400"} <= polls, polls


def seed_option_bytes(tmp):
    """Real dfu-util writing the option bytes to the twin of the seed's
    bootloader: the GETSTATUS that runs the write fails with EPIPE
    (LIBUSB_ERROR_PIPE), dfu-util gives up, and the device is gone."""
    with open(os.path.join(tmp, "ob.bin"), "wb") as f:
        f.write(bytes.fromhex("aafeffff"))
    pcap = os.path.join(tmp, "twin.pcapng")
    r = twin(SEED, ["sh", "-c", "dfu-util -a 0 -s 0x1fff7870:force -D ob.bin; echo status=$?; "
                    "sleep 1; lsusb"], cwd=tmp, extra=["--pcap", pcap])
    assert r.returncode == 0, r.stderr
    assert_in("Error during download get_status", r.stderr + r.stdout, "dfu-util")
    assert_in("status=74", r.stdout, "dfu-util's exit status (EX_IOERR)")
    assert "0483:df11" not in r.stdout.split("status=74")[1], r.stdout
    # tshark: the GETSTATUS after the 4-byte DNLOAD completes with -32
    dfu = [c for c in tshark_controls(pcap) if c[1] in (1, 3)]
    assert dfu[-1][1] == 3 and dfu[-1][3] == -32, dfu[-3:]
    assert dfu[-2][1] == 1 and dfu[-2][3] == 0, dfu[-3:]
    # the seed's own host program sees what the seed log shows
    r = twin(SEED, [host("dfs-host-cubeprog"), "--reconnect-timeout", "1000"])
    assert_in("LIBUSB_ERROR_PIPE", r.stdout + r.stderr, "dfs-host-cubeprog")
    assert_in("LIBUSB_ERROR_NO_DEVICE", r.stdout + r.stderr, "dfs-host-cubeprog")


def seed_uploaded_memory(tmp):
    """Memory the capture uploaded is served back: the option-byte word the
    seed read at 0x1fff7800, as tshark reads it in the seed capture."""
    # the seed's reads: SET_ADDRESS 0x1fff7800 (DNLOAD 21 00 78 ff 1f), then UPLOAD block 2
    want, pointer = None, None
    for _, breq, wvalue, status, data in tshark_controls(SEED):
        if breq == 1 and data.startswith("21"):
            pointer = data
        if breq == 2 and wvalue == 2 and pointer == "210078ff1f" and want is None:
            want = data
    assert want and len(want) == 8, want
    r = twin(SEED, ["dfu-util", "-a", "0", "-s", "0x1fff7800:force:4", "-U", "ob.bin"], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    assert open(os.path.join(tmp, "ob.bin"), "rb").read().hex() == want
    assert "0x1fff7800" not in r.stderr, r.stderr  # not made up


def strict_refuses(tmp):
    """--strict: what the capture never showed is refused and listed."""
    r = twin(SEED, ["dfu-util", "-a", "0", "-s", "0x08000000:force:1024", "-U", "f.bin"],
             extra=["--strict"], cwd=tmp)
    assert r.returncode != 0, r.stdout
    assert_in("refused: ", r.stderr, "--strict")
    r = twin(SEED, ["dfu-util", "-l"], extra=["--strict"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(f'name="{SEED_LAYOUT}"') == 3, r.stdout


def regression_script(tmp):
    """A captured failure as a regression test without hardware: the script
    script-from makes of the seed capture passes against the seed's twin,
    refusing everything the capture never showed, and fails against the
    twin of a device that rejected the write instead of resetting."""
    d = emu.dfuscope()
    script = os.path.join(tmp, "seed.dfu")
    r = subprocess.run([d, "script-from", SEED, "-o", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    run = [d, "run", script, "--device", "0483:df11", "--allow-write", "--allow-option-bytes",
           "-q"]
    r = twin(SEED, run, extra=["--strict"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert_in("getstatus expect disconnect: the device left the bus, as expected", r.stdout,
              "the seed's end")
    assert_in("the twin answered every request from the capture", r.stderr, "--strict")
    rejected = os.path.join(emu.CAPTURES_DIR, "seed-cubeprogrammer-ob-write-rejected.pcapng")
    r = twin(rejected, run)
    assert r.returncode == 1, r.stdout + r.stderr
    assert_in("seed.dfu:89  getstatus expect stall -> ok: status OK, state dfuDNBUSY", r.stdout,
              "the other device")


def packetry_reference(path):
    """What Packetry's own decode of the capture says the device is: its
    'Name: value' lines, the last of each name (Class, Subclass and Protocol
    are then the interface's, which comes after the device's)."""
    ref = {}
    with open(real_capture(path), encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.strip().partition(": ")
            if sep:
                ref[name] = value
    return ref


def hackrf_list(tmp):
    """The twin of a packet-level capture (link type 288, Packetry's test of
    the NXP LPC43xx ROM DFU device): dfu-util -l and lsusb -v list it as
    Packetry's own decode of the same capture describes it."""
    ref = packetry_reference(HACKRF_DEVICES)
    vid = ref["Vendor ID"].split(":")[0].lower().replace("0x", "")
    pid = ref["Product ID"].split(":")[0].lower().replace("0x", "")
    strings = {k: ref[k].split("'")[1] for k in
               ("Manufacturer string", "Product string", "Serial string", "Interface string")}
    r = twin(real_capture(HACKRF), ["sh", "-c", f"dfu-util -l; lsusb -v -d {vid}:{pid}"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert_in(f"Found DFU: [{vid}:{pid}]", r.stdout, "dfu-util -l")
    assert_in(f'name="{strings["Interface string"]}", serial="{strings["Serial string"]}"',
              r.stdout, "dfu-util -l")
    lsusb = " ".join(r.stdout.split())
    for expected in (f"idVendor 0x{vid}", f"idProduct 0x{pid}",
                     f"iManufacturer 1 {strings['Manufacturer string']}",
                     f"iProduct 2 {strings['Product string']}",
                     f"iSerial 3 {strings['Serial string']}",
                     f"bInterfaceClass {int(ref['Class'].split(':')[0], 16)}",
                     f"bInterfaceSubClass {int(ref['Subclass'].split(':')[0], 16)}",
                     f"bInterfaceProtocol {int(ref['Protocol'].split(':')[0], 16)}",
                     f"iInterface 4 {strings['Interface string']}",
                     f"wTotalLength 0x{int(ref['Total length'].split()[0]):04x}",
                     f"MaxPower {ref['Max power']}",
                     "Device Firmware Upgrade Interface Descriptor"):
        assert_in(expected, lsusb, "lsusb -v")


def tshark_rows(capture, *fields):
    """Each packet's values of FIELDS as tshark reads them in CAPTURE, a
    list per field (several occurrences in one packet, such as the
    interfaces of a configuration descriptor, in order), for the packets
    that have all of them. tshark's own dissection is the oracle."""
    tools.require("tshark")
    args = ["tshark", "-r", capture, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        args += ["-e", f]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = []
    for line in r.stdout.splitlines():
        values = (line.split("\t") + [""] * len(fields))[:len(fields)]
        if all(values):
            rows.append([v.split("|") for v in values])
    return rows


def lsusb_without_numbers(text):
    """lsusb -v output without its Bus/Device line, which numbers the
    device as this enumeration did, not as the capture's system did."""
    return [line for line in text.splitlines() if not line.startswith("Bus ")]


def windows_mac_twins(tmp):
    """Twins of the real Windows (USBPcap, 249) and macOS (USB_DARWIN, 266)
    captures of one dapboot bootloader: lsusb -v shows the descriptors and
    strings tshark reads in each capture, dfu-util -l finds its DFU
    interface, and the twins of the three systems' captures list alike."""
    listings = {}
    for fmt, capture in BLUEPILL.items():
        real_capture(capture)
        r = twin(capture, ["sh", "-c", "dfu-util -l; echo ---; lsusb -v -d 1209:db42"])
        assert r.returncode == 0, (fmt, r.stdout, r.stderr)
        dfu_util, lsusb = r.stdout.split("\n---\n", 1)
        assert_in('Found DFU: [1209:db42] ver=0220', dfu_util, f"dfu-util -l ({fmt})")
        assert_in('alt=0, name="DAPBoot DFU", serial="563310433142323834006B06"', dfu_util,
                  f"dfu-util -l ({fmt})")
        flat = " ".join(lsusb.split()) + " "
        strings = {v for row in tshark_rows(capture, "usb.bString") for v in row[0]}
        assert "DAPBoot DFU" in strings, (fmt, strings)
        # Windows reads each string's first bytes before the whole of it:
        # tshark shows those short reads as one-letter strings
        strings = {a for a in strings if not any(b != a and b.startswith(a) for b in strings)}
        for string in strings:
            assert_in(f" {string} ", flat, f"lsusb -v ({fmt}): a string tshark reads")
        configs = tshark_rows(capture, "usb.wTotalLength", "usb.bInterfaceClass",
                              "usb.bInterfaceSubClass", "usb.bInterfaceProtocol")
        assert configs, f"tshark reads no configuration descriptor ({fmt})"
        for total, classes, subclasses, protocols in configs:
            assert_in(f"wTotalLength 0x{int(total[0]):04x} ", flat, f"lsusb -v ({fmt})")
            triples = list(zip(*(map(lambda v: int(v, 16), f)
                                 for f in (classes, subclasses, protocols))))
            assert (0xFE, 1, 2) in triples, (fmt, triples)  # the DFU interface
            for c, sub, p in triples:
                assert_in(f"bInterfaceClass {c} ", flat, f"lsusb -v ({fmt})")
                assert_in(f"bInterfaceSubClass {sub} ", flat, f"lsusb -v ({fmt})")
                assert_in(f"bInterfaceProtocol {p} ", flat, f"lsusb -v ({fmt})")
        assert_in("Device Firmware Upgrade Interface Descriptor", flat, f"lsusb -v ({fmt})")
        listings[fmt] = lsusb_without_numbers(lsusb)
    # the same device: only a string one system fetched and another did not
    # may differ (Windows read the interface association's string 6)
    for fmt in ("usbpcap", "darwin"):
        differ = [(a, b) for a, b in zip(listings[fmt], listings["usbmon"]) if a != b]
        assert len(listings[fmt]) == len(listings["usbmon"]), fmt
        assert all("iFunction" in a and "iFunction" in b for a, b in differ), (fmt, differ)


def usbpcap_darwin_sessions(tmp):
    """A session captured as Windows and macOS record it becomes a twin:
    an emulated DfuSe device gets an image from real dfu-util and gives it
    back, written as USBPcap and as USB_DARWIN (and a DFU 1.1 device as
    usbmon); real dfu-util then reads the same data back from each
    capture's twin, none of it made up, with the poll timeouts the capture
    shows (as tshark reads them in the twin's own capture)."""
    image = emu.pattern(6000, seed=16)
    with open(os.path.join(tmp, "fw.bin"), "wb") as f:
        f.write(image)
    dfuse = ["-a", "0", "-s", "0x08000000"]
    sessions = [("dfuse-device", "usbpcap", dfuse, dfuse[:-1] + ["0x08000000:6000"]),
                ("dfuse-device", "darwin", dfuse, dfuse[:-1] + ["0x08000000:6000"]),
                ("dfu11-device", "usbmon", ["-a", "0"], ["-a", "0"])]
    for model, fmt, down, up in sessions:
        capture = os.path.join(tmp, f"session-{fmt}.pcapng")
        session = (f"rm -f back.bin; dfu-util {' '.join(down)} -D fw.bin >/dev/null 2>&1 "
                   f"|| exit 11; dfu-util {' '.join(up)} -U back.bin >/dev/null 2>&1 || exit 12")
        r = emu.emulate(model, ["sh", "-c", session], cwd=tmp, pcap=capture,
                        extra=["--link-type", fmt])
        assert r.returncode == 0, (model, fmt, r.returncode, r.stderr)
        with open(os.path.join(tmp, "back.bin"), "rb") as f:
            captured_upload = f.read()
        assert captured_upload[:len(image)] == image, (model, fmt)
        os.unlink(os.path.join(tmp, "back.bin"))
        again = os.path.join(tmp, f"twin-{fmt}.pcapng")
        r = twin(capture, ["dfu-util"] + up + ["-U", "back.bin"], cwd=tmp,
                 extra=["--pcap", again])
        assert r.returncode == 0, (model, fmt, r.stdout, r.stderr)
        with open(os.path.join(tmp, "back.bin"), "rb") as f:
            assert f.read() == captured_upload, f"upload from the twin ({model}, {fmt})"
        assert "UPLOAD" not in r.stderr, (model, fmt, r.stderr)  # the memory is the capture's
        captured = {data for _, breq, _, status, data in tshark_controls(capture)
                    if breq == 3 and status == 0}
        replayed = {data for _, breq, _, status, data in tshark_controls(again)
                    if breq == 3 and status == 0}
        assert replayed and replayed <= captured, (model, fmt, replayed, captured)


def errors(tmp):
    d = emu.dfuscope()
    cases = [
        ([d, "emulate", "--from-capture", "/nonexistent.pcap", "--", "true"], 2,
         "/nonexistent.pcap"),
        ([d, "emulate", "--from-capture", real_capture(os.path.join(REAL, "nuttx-adb.pcapng")),
          "--", "true"], 2, "no DFU device in the capture (devices: 1.35 18d1:4e11"),
        ([d, "emulate", "--from-capture", SEED, "--device", "1.99", "--", "true"], 2,
         "no device 1.99 in the capture"),
        ([d, "emulate", "--from-capture", SEED, "--device", "bogus", "--", "true"], 2,
         "--device takes BUS.DEV or VID:PID"),
        ([d, "emulate", "dfu11-device", "--from-capture", SEED, "--", "true"], 2,
         "takes no MODEL"),
        ([d, "emulate", "--strict", "--", "true"], 2, "go with --from-capture"),
        ([d, "emulate", "--from-capture", SEED], 2, "no command"),
    ]
    for args, status, message in cases:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert r.returncode == status, (args, r.returncode, r.stderr)
        assert_in(message, r.stderr, " ".join(args[1:]))
    r = twin(SEED, ["sh", "-c", "exit 5"], extra=["--device", "0483:df11"])
    assert r.returncode == 5, r.stderr


if __name__ == "__main__":
    emu.need("dfu-util", "lsusb", "tshark")
    emu.need_bridge()
    emu.run_checks([stm32_list, stm32_download_upload_leave, seed_option_bytes,
                    seed_uploaded_memory, strict_refuses, regression_script, hackrf_list,
                    windows_mac_twins, usbpcap_darwin_sessions, errors])
