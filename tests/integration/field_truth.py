#!/usr/bin/env python3
"""Diagnoses that hold for devices and hosts other than our own models:
sessions built by capgen.py (written independently of dfuscope, from the
usbmon and pcap formats and DFU 1.1 / DfuSe, UM0424 and AN3156), each with
the findings it must give, at which frames, and the proof that no other
error or warning fires.

1. An STM32L4-style bootloader that stalls GETSTATUS while busy (quirk R2
   of dfu-quirks.md): the first GETSTATUS after each DfuSe erase STALLs, the
   next answers dfuDNBUSY with status OK, then dfuDNLOAD-IDLE; the session
   writes, and leaves. One warning dfu.getstatus-busy-stall per stall,
   naming R2, what dfu-util does and the poll-timeout advice; no
   dfu.state-violation, no dfu.getstatus-stall; exit 0.
2. The same device rejecting an erase: the stall is followed by dfuERROR
   (errTARGET): that is no busy device, dfu.getstatus-stall stays an error.
3. An option-byte write that resets the chip: the GETSTATUS fails with
   -EPROTO, then a GETSTATUS and a CLRSTATUS complete with -ENODEV. Those
   reached no device: no dfu.clrstatus-outside-error and no
   dfu.state-violation from them, only dfuse.option-bytes-reset.
4. A host that sends requests after its device has gone (-ESHUTDOWN) and
   one left unanswered at the end: nothing is said about them but the loss.
5. The outcome first (summary.outcome, the first line of the text, the top
   of the report): the real STM32 session of tests/data/real/
   stm32_dfu_install.pcap (captured by others: 9 blocks flashed, every
   one acknowledged, the bootloader left and came back as 0925:d100
   running its application), and the sessions above (what was erased and
   written, a capture that ends at the leave, a device that never came back).

usage: field_truth.py DFUSCOPE"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capgen  # noqa: E402

EPROTO = -71
failures = []

# DFU class requests (DFU 1.1 table 3.2)
DETACH, DNLOAD, UPLOAD, GETSTATUS, CLRSTATUS, GETSTATE, ABORT = range(7)
# states and statuses (DFU 1.1 6.1.2)
DFU_IDLE, DNLOAD_SYNC, DNBUSY, DNLOAD_IDLE, MANIFEST_SYNC, MANIFEST = 2, 3, 4, 5, 6, 7
DFU_ERROR = 10
OK, ERR_TARGET = 0, 1


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


class Session:
    """One DfuSe bootloader (0483:df11) on address 5, driven frame by frame;
    each request records its submit and completion frames."""

    LAYOUT = "@Internal Flash  /0x08000000/128*02Kg"

    def __init__(self, vid=0x0483, pid=0xdf11):
        self.c = capgen.Capture()
        self.urb = 0x1000
        self.dev = 5
        self.vid, self.pid = vid, pid
        self.enumerate()

    def frame(self):
        return len(self.c.records)  # the frame the next record gets, minus one

    def wait(self, ms):
        self.c.t += int(ms * 1000)

    def ctl_in(self, setup, reply, status=0):
        self.urb += 1
        sub = self.frame() + 1
        self.c.control_in(self.urb, self.dev, setup, reply, status)
        return sub, sub + 1

    def ctl_out(self, setup, data=b"", status=0):
        self.urb += 1
        sub = self.frame() + 1
        self.c.control_out(self.urb, self.dev, setup, data, status)
        return sub, sub + 1

    def enumerate(self):
        dd = capgen.device_descriptor(self.vid, self.pid, bcd=0x2200, strings=(1, 2, 3))
        func = struct.pack("<BBBHHH", 9, 0x21, 0x0b, 255, 2048, 0x011a)
        iface = struct.pack("<BBBBBBBBB", 9, 4, 0, 0, 0, 0xfe, 1, 2, 4)
        body = iface + func
        cfg = struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), 1, 1, 0, 0xc0, 50) + body
        self.ctl_in(capgen.get_descriptor(capgen.DEVICE, 0, 0, 18), dd)
        self.ctl_in(capgen.get_descriptor(capgen.CONFIGURATION, 0, 0, len(cfg)), cfg)
        self.ctl_in(capgen.get_descriptor(capgen.STRING, 0, 0, 255), bytes([4, 3, 9, 4]))
        self.ctl_in(capgen.get_descriptor(capgen.STRING, 4, 0x409, 255),
                    capgen.string_descriptor(self.LAYOUT))
        self.ctl_out(capgen.setup(0x00, 9, 1, 0, 0))   # SET_CONFIGURATION 1
        self.ctl_out(capgen.setup(0x01, 11, 0, 0, 0))  # SET_INTERFACE 0, alt 0

    # DFU requests
    def dnload(self, block, data, status=0):
        return self.ctl_out(capgen.setup(0x21, DNLOAD, block, 0, len(data)), data, status)

    def getstatus(self, state, status=OK, poll_ms=0, usb_status=0):
        reply = struct.pack("<B", status) + poll_ms.to_bytes(3, "little") + bytes([state, 0])
        return self.ctl_in(capgen.setup(0xa1, GETSTATUS, 0, 0, 6), reply, usb_status)

    def clrstatus(self, status=0):
        return self.ctl_out(capgen.setup(0x21, CLRSTATUS, 0, 0, 0), b"", status)

    def command(self, cmd, addr, busy_ms=20):
        """a DfuSe command answered normally: dfuDNBUSY, then dfuDNLOAD-IDLE"""
        self.dnload(0, bytes([cmd]) + struct.pack("<I", addr))
        self.getstatus(DNBUSY, poll_ms=busy_ms)
        self.wait(busy_ms + 1)
        self.getstatus(DNLOAD_IDLE)

    def write_block(self, block, data):
        self.dnload(block, data)
        self.getstatus(DNBUSY, poll_ms=5)
        self.wait(6)
        self.getstatus(DNLOAD_IDLE)

    def save(self, tmp, name):
        path = os.path.join(tmp, name + ".pcap")
        self.c.write_pcap(path)
        return path


def diagnose(dfuscope, path):
    res = subprocess.run([dfuscope, "diagnose", "--json", path], capture_output=True, text=True)
    try:
        doc = json.loads(res.stdout)
    except ValueError:
        check(False, f"{path}: diagnose --json printed no JSON (exit {res.returncode}): "
              f"{res.stderr.strip()}")
        doc = {"findings": []}
    return res.returncode, doc


def serious(doc):
    """(id, frame) of every error and warning"""
    return [(f["id"], f["frame"]) for f in doc["findings"]
            if f["severity"] in ("error", "warning")]


def busy_stall(dfuscope, tmp):
    s = Session()
    s.getstatus(DFU_IDLE)
    stalls = []
    for page in range(2):
        addr = 0x08000000 + page * 2048
        s.dnload(0, bytes([0x41]) + struct.pack("<I", addr))  # erase page
        # busy erasing: the first GETSTATUS stalls
        sub, _ = s.getstatus(0, usb_status=capgen.EPIPE)
        stalls.append(sub + 1)  # decided on the failing completion
        s.wait(10)
        s.getstatus(DNBUSY, poll_ms=25)
        s.wait(26)
        s.getstatus(DNLOAD_IDLE)
    s.command(0x21, 0x08000000)
    s.write_block(2, bytes(range(256)) * 8)
    s.write_block(3, bytes(range(255, -1, -1)) * 8)
    # leave: SET_ADDRESS, then a zero-length DNLOAD; the device answers
    # dfuMANIFEST and jumps to the application (it disappears)
    s.command(0x21, 0x08000000)
    s.dnload(2, b"")
    s.getstatus(MANIFEST)
    path = s.save(tmp, "busy-stall")

    rc, doc = diagnose(dfuscope, path)
    check(rc == 0, f"busy stall: diagnose exits 0 (got {rc})")
    got = serious(doc)
    want = [("dfu.getstatus-busy-stall", f) for f in stalls]
    check(got == want, f"busy stall: exactly the warnings {want} (got {got})")
    for f in doc["findings"]:
        if f["id"] != "dfu.getstatus-busy-stall":
            continue
        check(f["severity"] == "warning", "busy stall: a warning")
        ex, rem = f["explanation"], f["remedy"]
        check("quirk R2" in ex and "STM32" in ex, "busy stall: names quirk R2 of STM32")
        check("dfu-util" in rem and "three stalls" in rem and "bwPollTimeout" in rem,
              "busy stall: says what dfu-util does and gives the poll-timeout advice")
        # the erase command, the stalled GETSTATUS, and the reply that shows the device
        # busy and still there
        check(f["frames"][0] == f["frame"] - 3 and f["frame"] in f["frames"]
              and f["frame"] + 2 in f["frames"],
              f"busy stall at {f['frame']}: frames {f['frames']}")
    # the erases were carried out: the decode of the memory operations says so
    res = subprocess.run([dfuscope, "decode", "--dfu", "--json", path], capture_output=True,
                         text=True)
    states = [json.loads(l).get("state_after") for l in res.stdout.splitlines()]
    check("dfuERROR" not in states,
          f"busy stall: the state after the stall is not taken for dfuERROR ({states})")


def stall_rejection(dfuscope, tmp):
    s = Session()
    s.getstatus(DFU_IDLE)
    s.dnload(0, bytes([0x41]) + struct.pack("<I", 0x08000000))
    sub, _ = s.getstatus(0, usb_status=capgen.EPIPE)
    s.wait(10)
    s.getstatus(DFU_ERROR, status=ERR_TARGET)
    s.clrstatus()
    s.getstatus(DFU_IDLE)
    path = s.save(tmp, "stall-rejection")
    rc, doc = diagnose(dfuscope, path)
    got = serious(doc)
    check(rc == 1 and ("dfu.getstatus-stall", sub + 1) in got
          and not any(i == "dfu.getstatus-busy-stall" for i, _ in got),
          f"rejected erase: dfu.getstatus-stall error, not a busy stall (exit {rc}, {got})")
    check(not any(i in ("dfu.state-violation", "dfu.clrstatus-outside-error") for i, _ in got),
          f"rejected erase: after the stall the state is unknown, no state finding ({got})")


def option_byte_reset(dfuscope, tmp):
    s = Session(pid=0xdf11)
    s.getstatus(DFU_IDLE)
    s.command(0x21, 0x1fff7800)
    wsub, _ = s.dnload(2, bytes(range(32)))  # option bytes at the area's base
    fsub, fcomp = s.getstatus(0, usb_status=EPROTO)  # the chip resets
    s.getstatus(0, usb_status=capgen.ENODEV)
    s.clrstatus(status=capgen.ENODEV)
    s.wait(3000)
    path = s.save(tmp, "ob-reset")
    rc, doc = diagnose(dfuscope, path)
    got = serious(doc)
    check(("dfuse.option-bytes-reset", fcomp) in got,
          f"option-byte reset: dfuse.option-bytes-reset at frame {fcomp} ({got})")
    # the layout advertises the flash only: the write to the option bytes is outside it
    check(sorted(got) == [("dfuse.address-outside-layout", wsub),
                          ("dfuse.option-bytes-reset", fcomp)],
          f"option-byte reset: no other error or warning ({got})")
    ids = [f["id"] for f in doc["findings"]]
    check("dfu.clrstatus-outside-error" not in ids and "dfu.state-violation" not in ids,
          f"option-byte reset: nothing from the requests that reached no device ({ids})")


def requests_after_loss(dfuscope, tmp):
    s = Session()
    s.getstatus(DFU_IDLE)
    s.command(0x21, 0x08000000)
    s.dnload(2, bytes(2048))
    s.getstatus(0, usb_status=-108)  # ESHUTDOWN: the device is gone
    s.clrstatus(status=-108)
    s.dnload(3, bytes(4096), status=-108)  # larger than wTransferSize, block 3
    s.urb += 1
    s.c.submit(s.urb, s.dev, capgen.setup(0x21, ABORT, 0, 0, 0))  # never completes
    path = s.save(tmp, "after-loss")
    rc, doc = diagnose(dfuscope, path)
    ids = [f["id"] for f in doc["findings"]]
    for bad in ("dfu.clrstatus-outside-error", "dfu.state-violation",
                "dfu.transfer-size-exceeded", "dfu.block-sequence"):
        check(bad not in ids, f"requests after the loss: no {bad} ({ids})")


def outcome_of(dfuscope, path):
    rc, doc = diagnose(dfuscope, path)
    return doc.get("summary", {}).get("outcome", {})


def outcomes(dfuscope, tmp):
    real = os.path.join(os.environ.get("DFS_TEST_DATA", os.path.join(
        os.path.dirname(__file__), "..", "data")), "real", "stm32_dfu_install.pcap")
    oc = outcome_of(dfuscope, real)
    check(oc.get("end") == "back-application" and oc.get("back", {}).get("vid") == 0x0925
          and oc.get("back", {}).get("pid") == 0xd100,
          f"stm32_dfu_install: left and came back as 0925:d100, its application ({oc})")
    # (frames 1-250: 9 DNLOAD data blocks at two addresses, each answered
    # dfuDNBUSY then dfuDNLOAD-IDLE with status OK, as tshark shows them)
    check(oc.get("blocks") == 9 and oc.get("blocks_acknowledged") == 9
          and oc.get("blocks_failed") == 0 and oc.get("written_regions") == 2,
          f"stm32_dfu_install: 9 blocks written in 2 regions, every one acknowledged ({oc})")
    res = subprocess.run([dfuscope, "diagnose", real], capture_output=True, text=True)
    first = res.stdout.splitlines()[0] if res.stdout else ""
    check(first.startswith(real + ": outcome: erased") and "came back as 0925:d100" in first
          and "running its application" in first,
          f"stm32_dfu_install: the text opens with the outcome ({first!r})")
    res = subprocess.run([dfuscope, "report", real], capture_output=True, text=True)
    page = res.stdout
    check(0 < page.find('id="outcome"') < page.find('id="verdict"')
          and "came back as 0925&#58;d100" in page,
          "stm32_dfu_install: the report opens with the outcome, before the verdict")

    oc = outcome_of(dfuscope, os.path.join(tmp, "busy-stall.pcap"))
    check(oc.get("end") == "not-seen" and oc.get("erased") == 2
          and oc.get("written_bytes") == 4096 and oc.get("blocks") == 2
          and oc.get("blocks_acknowledged") == 2,
          f"busy stall: 2 pages erased, 4096 bytes written, the capture ends at the leave ({oc})")
    oc = outcome_of(dfuscope, os.path.join(tmp, "ob-reset.pcap"))
    check(oc.get("end") == "gone" and oc.get("written_bytes") == 0 and oc.get("blocks") == 1,
          f"option-byte reset: the write was never confirmed, the device gone ({oc})")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dfuscope = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        busy_stall(dfuscope, tmp)
        stall_rejection(dfuscope, tmp)
        option_byte_reset(dfuscope, tmp)
        requests_after_loss(dfuscope, tmp)
        outcomes(dfuscope, tmp)
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
