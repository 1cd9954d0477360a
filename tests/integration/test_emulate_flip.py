#!/usr/bin/env python3
"""The atmel-flip model (FLIP protocol 1, Atmel doc7618) driven by the real
dfu-programmer (Debian's package) through `dfuscope emulate`. dfu-programmer
is the oracle: it must find the device on its class 0/0/0 interface, erase
it, program and verify an Intel HEX file, dump the flash back with the same
bytes, read the signature, start the application, and say what it says on a
real chip when the flash was not erased or the security bit is set.

usage: test_emulate_flip.py DFUSCOPE"""
import os
import subprocess

import emu


def hex_file(path, data, base=0):
    """Intel HEX of data at base (records of 16 bytes, extended linear
    addresses above 64 KiB)."""
    lines, upper = [], -1
    for off in range(0, len(data), 16):
        addr = base + off
        if addr >> 16 != upper:
            upper = addr >> 16
            rec = [2, 0, 0, 4, upper >> 8, upper & 0xFF]
            lines.append(":" + "".join("%02X" % b for b in rec) + "%02X" % (-sum(rec) & 0xFF))
        chunk = data[off:off + 16]
        rec = [len(chunk), (addr >> 8) & 0xFF, addr & 0xFF, 0] + list(chunk)
        lines.append(":" + "".join("%02X" % b for b in rec) + "%02X" % (-sum(rec) & 0xFF))
    lines.append(":00000001FF")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def programmer(tmp, args, options=(), part="atmega32u4"):
    opts = list(options) + ([f"part={part}"] if part != "atmega32u4" else [])
    return emu.emulate("atmel-flip", ["dfu-programmer", part] + args, options=opts, cwd=tmp)


def erase_flash_dump(tmp):
    data = emu.pattern(3000, seed=7)
    hex_file(os.path.join(tmp, "fw.hex"), data)
    r = programmer(tmp, ["erase"])
    assert r.returncode == 0, r.stdout + r.stderr
    r = programmer(tmp, ["flash", "fw.hex"])
    assert r.returncode == 0, r.stdout + r.stderr
    emu.assert_in("Validating...", r.stderr + r.stdout, "flash")
    emu.assert_in("3000 bytes used", r.stderr + r.stdout, "flash")
    # a fresh device is erased: dump is the application section, all 0xFF
    r = emu.emulate("atmel-flip", ["sh", "-c", "dfu-programmer atmega32u4 dump > d.bin"],
                    cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    dump = open(os.path.join(tmp, "d.bin"), "rb").read()
    assert len(dump) == 0x7000, len(dump)  # 32 KiB less the 4 KiB bootloader
    assert dump == b"\xff" * 0x7000


def one_session(tmp):
    """erase, flash, dump in one run of the device: the dump holds the file"""
    data = emu.pattern(3000, seed=9)
    hex_file(os.path.join(tmp, "fw.hex"), data)
    script = ("dfu-programmer atmega32u4 erase && dfu-programmer atmega32u4 flash fw.hex && "
              "dfu-programmer atmega32u4 dump > d.bin && dfu-programmer atmega32u4 start")
    r = emu.emulate("atmel-flip", ["sh", "-c", script], options=["flash=app"], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    dump = open(os.path.join(tmp, "d.bin"), "rb").read()
    assert dump[:3000] == data
    assert dump[3000:] == b"\xff" * (0x7000 - 3000)


def second_page(tmp):
    """AT90USB1287: data above 64 KiB goes through the page select"""
    data = emu.pattern(512, seed=3)
    hex_file(os.path.join(tmp, "hi.hex"), data, base=0x10100)
    script = ("dfu-programmer at90usb1287 erase && dfu-programmer at90usb1287 flash hi.hex && "
              "dfu-programmer at90usb1287 dump > d.bin")
    r = emu.emulate("atmel-flip", ["sh", "-c", script], options=["part=at90usb1287"], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    dump = open(os.path.join(tmp, "d.bin"), "rb").read()
    assert len(dump) == 0x1E000, len(dump)  # 128 KiB less the 8 KiB bootloader
    assert dump[0x10100:0x10300] == data
    assert dump[:0x10100] == b"\xff" * 0x10100


def signature(tmp):
    for what, want in (("manufacturer", "0x1e"), ("family", "0x95"), ("product-name", "0x87")):
        r = programmer(tmp, ["get", what])
        assert r.returncode == 0, r.stdout + r.stderr
        emu.assert_in(want, r.stdout + r.stderr, what)


def not_erased(tmp):
    """programming over the application without a chip erase fails
    dfu-programmer's verification, as on a real chip"""
    hex_file(os.path.join(tmp, "fw.hex"), emu.pattern(3000, seed=7))
    r = programmer(tmp, ["flash", "fw.hex"], options=["flash=app"])
    assert r.returncode != 0, r.stdout + r.stderr
    emu.assert_in("Did you erase first?", r.stderr, "flash")


def write_protected(tmp):
    hex_file(os.path.join(tmp, "fw.hex"), emu.pattern(100, seed=7))
    r = programmer(tmp, ["flash", "fw.hex"], options=["secure=1"])
    # dfu-programmer 0.6.1 compares libusb's LIBUSB_ERROR_PIPE with -EPIPE,
    # so its "Device is write protected" never shows with libusb 1.0
    assert r.returncode != 0, r.stdout + r.stderr
    emu.assert_in("Error while flashing.", r.stderr, "flash")
    r = emu.emulate("atmel-flip", ["sh", "-c", "dfu-programmer atmega32u4 erase && "
                                   "dfu-programmer atmega32u4 flash fw.hex"],
                    options=["secure=1"], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr


def decoded(tmp):
    """`decode --dfu` names the FLIP commands dfu-programmer sends (its
    src/atmel.c: chip erase 04 00 FF, blank check 03 01, select page 06 03
    00, program start 01 00 in blocks of 0x400, display 03 00, start 04 03
    01 then a zero-length DNLOAD), and `diagnose` finds nothing wrong in a
    good session: the command blocks are not DFU 1.1 state violations"""
    hex_file(os.path.join(tmp, "fw.hex"), emu.pattern(3000, seed=5))
    pcap = os.path.join(tmp, "s.pcapng")
    script = ("dfu-programmer atmega32u4 erase && dfu-programmer atmega32u4 flash fw.hex && "
              "dfu-programmer atmega32u4 start")
    r = emu.emulate("atmel-flip", ["sh", "-c", script], pcap=pcap, cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([emu.dfuscope(), "decode", "--dfu", pcap], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    for line in ("DNLOAD FLIP chip erase", "DNLOAD FLIP blank check 0x0000-0x6fff",
                 "DNLOAD FLIP select page 0",
                 "DNLOAD FLIP program flash 0x0000-0x03ff (1024 B)",
                 "DNLOAD FLIP program flash 0x0800-0x0bb7 (952 B)",
                 "DNLOAD FLIP read flash 0x0400-0x07ff", "UPLOAD block 8 <- 0x00000400 (1024 B)",
                 "DNLOAD FLIP start application (jump) to 0x0000",
                 "zero length (start application)"):
        emu.assert_in(line, r.stdout, "decode --dfu")
    r = subprocess.run([emu.dfuscope(), "diagnose", pcap], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    emu.assert_in("wrote 3000 bytes in 1 region (3 blocks, every one acknowledged and "
                  "confirmed)", r.stdout, "diagnose")
    emu.assert_in("no findings", r.stdout, "diagnose")
    emu.assert_in('03eb:2ff4 "ATm32U4DFU": Atmel FLIP interface 0', r.stdout, "diagnose")


def main():
    emu.need("dfu-programmer")
    emu.need_bridge()
    emu.run_checks([erase_flash_dump, one_session, second_page, signature, not_erased,
                    write_protected, decoded])


if __name__ == "__main__":
    main()
