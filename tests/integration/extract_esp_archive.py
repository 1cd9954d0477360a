#!/usr/bin/env python3
"""extract --unpack against archives made by an independent tool: GNU cpio
builds the "newc" archive an ESP32-S2/S3 ROM takes (what esp-idf's mkdfu.py
writes: dfuinfo0.dat first, with each file's flash address and MD5, here
computed by Python's hashlib), dfu-util 0.11 downloads it to the emulated
DFU 1.1 device, and `dfuscope extract --unpack DIR` must give back the
files cpio packed, byte for byte, with the MD5s hashlib computed:

- a good archive: every file, every MD5 "as dfuinfo0.dat lists", exit 0;
- dfuinfo0.dat with a wrong MD5 for one file and a file it does not hold:
  both named, the files still written, exit 1;
- an archive cut in the middle of a file: the damage named with its offset,
  the files before it written, exit 2;
- an archive laid out as esp-idf's tools/mkdfu.py writes it (not GNU cpio:
  inode, mtime and nlink 0, flash_params.dat with flags PARAM|NOERASE|
  IGNORE_MD5, an image split into parts NAME, NAME.1, zeros up to a
  multiple of 10240 bytes) with a DFU suffix that dfu-suffix adds and
  dfu-util strips: every file back, the whole padded archive written;
- the outcome of `diagnose`: the same session with the device descriptor's
  VID:PID made 303a:0002 (the ESP32-S2 ROM's) says that this ROM stays in
  DFU mode after a download until it is reset (quirk R26); as recorded
  (1209:0001) it does not;
- the esp32s2-rom model (the ESP32-S2 ROM's download mode, as its ROM code
  and data say: docs/quirks.md) under dfu-util 0.11 the way idf.py
  dfu-flash runs it, with the mkdfu.py-style archive and its suffix for
  303a:0002: dfu-util detaches the run-time device, downloads in 64-byte
  blocks and ends with dfuIDLE, status OK (what the ROM writes where is
  tested in unit.test_model_vendor: an upload here reads all 4 MiB);
  `extract --unpack` gives the files back from the capture and
  `diagnose` finds no error or warning and says the chip stays in the ROM;
- the same archive with a wrong MD5 for app.bin: dfu-util reports
  dfuERROR with errFIRMWARE after the zero-length DNLOAD, and `diagnose`
  gives the error dfu.operation-failed naming errFIRMWARE, and its outcome
  says the device refused the download (not that it runs it once reset);
- dfu-util -R: its DETACH in DFU mode STALLs, the USB reset after it
  restarts the ROM, which comes back as the run-time device (interface 2
  with protocol 1), not as an application (quirk R26).

usage: extract_esp_archive.py DFUSCOPE"""
import hashlib
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402

FILES = (("bootloader.bin", 0x1000, emu.pattern(1500, 3)),
         ("partition-table.bin", 0x8000, emu.pattern(3072, 5)),
         ("app.bin", 0x10000, emu.pattern(2999, 7)))


def make_archive(tmp, info_entries, names, cut=None):
    """Files and dfuinfo0.dat in tmp/src, packed by GNU cpio (newc) in that
    order; returns the archive's path."""
    src = os.path.join(tmp, "src")
    os.makedirs(src, exist_ok=True)
    for name, _, data in FILES:
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    with open(os.path.join(src, "dfuinfo0.dat"), "wb") as f:
        for addr, name, md5 in info_entries:
            f.write(struct.pack("<II64s16s", addr, 0, name.encode(), md5))
    r = subprocess.run(["cpio", "-o", "-H", "newc"], cwd=src, capture_output=True,
                       input="".join(n + "\n" for n in ["dfuinfo0.dat"] + names).encode())
    assert r.returncode == 0, r.stderr
    data = r.stdout[:cut] if cut else r.stdout
    path = os.path.join(tmp, "archive.cpio")
    with open(path, "wb") as f:
        f.write(data)
    return path


def download_and_unpack(tmp, archive):
    pcap = os.path.join(tmp, "esp.pcapng")
    r = emu.emulate("dfu11-device", ["dfu-util", "-D", archive], pcap=pcap, cwd=tmp)
    assert r.returncode == 0, f"dfu-util: {r.stdout}{r.stderr}"
    out = os.path.join(tmp, "out")
    return subprocess.run([emu.dfuscope(), "extract", "--unpack", out, pcap],
                          capture_output=True, text=True, timeout=60), out


def good_info():
    return [(addr, name, hashlib.md5(data).digest()) for name, addr, data in FILES]


def same_files(out, names):
    for name, _, data in FILES:
        if name in names:
            with open(os.path.join(out, name), "rb") as f:
                assert f.read() == data, f"{name} differs from what cpio packed"


def good(tmp):
    names = [n for n, _, _ in FILES]
    r, out = download_and_unpack(tmp, make_archive(tmp, good_info(), names))
    assert r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    same_files(out, names)
    for name, addr, data in FILES:
        line = (f"{name}: {len(data)} bytes for flash address 0x{addr:08x}, MD5 "
                f"{hashlib.md5(data).hexdigest()} as dfuinfo0.dat lists")
        assert line in r.stdout, f"{line!r} not in {r.stdout}"
    assert "every MD5 as dfuinfo0.dat lists" in r.stdout, r.stdout


def md5_mismatch(tmp):
    info = good_info()
    info[2] = (info[2][0], info[2][1], hashlib.md5(b"another image").digest())
    info.append((0x200000, "storage.bin", hashlib.md5(b"x").digest()))
    names = [n for n, _, _ in FILES]
    r, out = download_and_unpack(tmp, make_archive(tmp, info, names))
    assert r.returncode == 1, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    same_files(out, names)
    want = hashlib.md5(b"another image").hexdigest()
    assert f"app.bin: 2999 bytes for flash address 0x00010000, MD5 " \
           f"{hashlib.md5(FILES[2][2]).hexdigest()} but dfuinfo0.dat lists {want}" in r.stdout, \
        r.stdout
    assert "storage.bin: listed in dfuinfo0.dat but not in the archive" in r.stdout, r.stdout
    assert "MD5 check FAILED" in r.stdout, r.stdout


def truncated(tmp):
    names = [n for n, _, _ in FILES]
    full = make_archive(tmp, good_info(), names)
    size = os.path.getsize(full)
    os.rename(full, full + ".full")
    # cut inside app.bin, the last file: 110-byte header + name, then 2999 bytes
    with open(full + ".full", "rb") as f:
        data = f.read()
    at = data.rindex(b"app.bin\0") + 8 + 1000  # (the first "app.bin" is in dfuinfo0.dat)
    assert at < size
    with open(full, "wb") as f:
        f.write(data[:at])
    r, out = download_and_unpack(tmp, full)
    assert r.returncode == 2, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert 'member "app.bin" of 2999 bytes runs past the end of the data' in r.stderr, r.stderr
    same_files(out, ["bootloader.bin", "partition-table.bin"])
    assert not os.path.exists(os.path.join(out, "app.bin"))


def mkdfu_member(name, data, trailer=False):
    """One member as mkdfu.py writes it: "070701", thirteen 8-digit hex
    fields (inode, mtime, uid, gid and the device numbers 0; nlink 0 but 1
    for the trailer; mode 0100644 but 0 for the trailer; no check sum), the
    name with its NUL, each padded to 4 bytes."""
    raw = name.encode() + b"\0"
    fields = (0, 0 if trailer else 0o100644, 0, 0, 1 if trailer else 0, 0, len(data),
              0, 0, 0, 0, len(raw), 0)
    head = b"070701" + b"".join(b"%08x" % v for v in fields) + raw
    return head + b"\0" * (-len(head) % 4) + data + b"\0" * (-len(data) % 4)


def mkdfu_files():
    params = struct.pack("<8I", 0, 0, 0, 4 << 20, 64 << 10, 4 << 10, 256, 0xffff)
    app = emu.pattern(6000, 11)
    return [("flash_params.dat", 0, params, 0x1c), ("bootloader.bin", 0x1000, FILES[0][2], 0),
            ("app.bin", 0x10000, app[:4096], 0), ("app.bin.1", 0x11000, app[4096:], 0)]


def mkdfu_archive(tmp, files, vid_pid=("ffff", "ffff"), wrong_md5=None):
    """The archive as mkdfu.py writes it, with a DFU suffix (dfu-suffix);
    returns its path and the archive's length without the suffix."""
    info = b"".join(struct.pack("<II64s16s", addr, flags, name.encode(),
                                hashlib.md5(b"not this" if name == wrong_md5 else data).digest())
                    for name, addr, data, flags in files)
    archive = mkdfu_member("dfuinfo0.dat", info)
    archive += b"".join(mkdfu_member(name, data) for name, _, data, _ in files)
    archive += mkdfu_member("TRAILER!!!", b"", trailer=True)
    archive += b"\0" * (-len(archive) % 10240)
    path = os.path.join(tmp, "dfu.bin")
    with open(path, "wb") as f:
        f.write(archive)
    r = subprocess.run(["dfu-suffix", "-v", vid_pid[0], "-p", vid_pid[1], "-d", "ffff", "-a",
                        path], capture_output=True, text=True)
    assert r.returncode == 0 and os.path.getsize(path) == len(archive) + 16, r.stdout + r.stderr
    return path, len(archive)


def mkdfu_layout(tmp):
    files = mkdfu_files()
    path, size = mkdfu_archive(tmp, files)
    r, out = download_and_unpack(tmp, path)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert f"({size} bytes)" in r.stdout + r.stderr, r.stdout + r.stderr
    for name, addr, data, _ in files:
        with open(os.path.join(out, name), "rb") as f:
            assert f.read() == data, f"{name} differs from what the archive holds"
        line = (f"{name}: {len(data)} bytes for flash address 0x{addr:08x}, MD5 "
                f"{hashlib.md5(data).hexdigest()} as dfuinfo0.dat lists")
        assert line in r.stdout, f"{line!r} not in {r.stdout}"
    assert "5 files of the archive in" in r.stdout, r.stdout  # with dfuinfo0.dat


def as_esp32s2(pcap, out):
    """The capture with the VID:PID of its device descriptor (GET_DESCRIPTOR
    replies: bLength 18, type 1, idVendor at 8) changed to 303a:0002."""
    with open(pcap, "rb") as f:
        data = bytearray(f.read())
    n, i = 0, data.find(b"\x12\x01")
    while i >= 0:
        if data[i + 8:i + 12] == struct.pack("<HH", 0x1209, 0x0001):
            data[i + 8:i + 12] = struct.pack("<HH", 0x303a, 0x0002)
            n += 1
        i = data.find(b"\x12\x01", i + 1)
    assert n, "no device descriptor of 1209:0001 in the capture"
    with open(out, "wb") as f:
        f.write(data)


def rom_outcome(tmp):
    names = [n for n, _, _ in FILES]
    r, _ = download_and_unpack(tmp, make_archive(tmp, good_info(), names))
    assert r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    pcap, rom = os.path.join(tmp, "esp.pcapng"), os.path.join(tmp, "esp32s2.pcapng")
    as_esp32s2(pcap, rom)
    note = ("the Espressif ESP32-S2 ROM stays in DFU mode after every download (known quirk "
            "R26, `dfuscope quirks 303a:0002`): it runs the new firmware only once reset")
    for path, want in ((rom, True), (pcap, False)):
        r = subprocess.run([emu.dfuscope(), "diagnose", path], capture_output=True, text=True,
                           timeout=60)
        outcome = next((ln for ln in r.stdout.splitlines() if ": outcome: " in ln), "")
        assert "every one acknowledged and confirmed" in outcome, r.stdout
        assert (note in outcome) == want, f"{path}: {outcome}"


def diagnose(pcap):
    return subprocess.run([emu.dfuscope(), "diagnose", pcap], capture_output=True, text=True,
                          timeout=60)


def rom_model(tmp):
    files = mkdfu_files()
    path, _ = mkdfu_archive(tmp, files, ("303a", "0002"))
    pcap = os.path.join(tmp, "rom.pcapng")
    r = emu.emulate("esp32s2-rom", ["dfu-util", "-d", "303a:0002", "-D", "dfu.bin"], pcap=pcap,
                    cwd=tmp, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for want in ("Run-Time device DFU version 0110", "Device returned transfer size 64",
                 "DFU state(2) = dfuIDLE, status(0)"):
        emu.assert_in(want, out, "dfu-util's output")
    r = subprocess.run([emu.dfuscope(), "extract", "--unpack", os.path.join(tmp, "out"), pcap],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "every MD5 as dfuinfo0.dat lists" in r.stdout, r.stdout + r.stderr
    r = diagnose(pcap)
    emu.assert_in("0 errors, 0 warnings", r.stdout, "diagnose")
    emu.assert_in("stays in DFU mode after every download (known quirk R26", r.stdout, "diagnose")


def rom_model_bad_md5(tmp):
    path, _ = mkdfu_archive(tmp, mkdfu_files(), ("303a", "0002"), wrong_md5="app.bin")
    pcap = os.path.join(tmp, "rom.pcapng")
    r = emu.emulate("esp32s2-rom", ["dfu-util", "-d", "303a:0002", "-D", "dfu.bin"], pcap=pcap,
                    cwd=tmp, timeout=300)
    emu.assert_in("DFU state(10) = dfuERROR, status(10)", r.stdout + r.stderr, "dfu-util")
    r = diagnose(pcap)
    assert r.returncode == 1, r.stdout + r.stderr
    emu.assert_in("dfu.operation-failed", r.stdout, "diagnose")
    outcome = next((ln for ln in r.stdout.splitlines() if ": outcome: " in ln), "")
    # the outcome: the download was refused, not "stays in the ROM until reset"
    emu.assert_in("says dfuERROR with errFIRMWARE: the device refused the download at its "
                  "end", outcome, "the outcome")
    assert "runs the new firmware only once reset" not in outcome, outcome


def rom_model_reset(tmp):
    path, _ = mkdfu_archive(tmp, mkdfu_files(), ("303a", "0002"))
    pcap = os.path.join(tmp, "rom.pcapng")
    r = emu.emulate("esp32s2-rom", ["dfu-util", "-d", "303a:0002", "-R", "-D", "dfu.bin"],
                    pcap=pcap, cwd=tmp, timeout=300)
    # DETACH in DFU mode STALLs ("can't detach"); the USB reset restarts the
    # ROM, which leaves the bus, and dfu-util 0.11 exits with libusb's
    # LIBUSB_ERROR_NOT_FOUND (-5) as its status
    assert r.returncode == 251, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    emu.assert_in("can't detach", r.stdout + r.stderr, "dfu-util")
    r = subprocess.run([emu.dfuscope(), "descriptors", "--json", pcap], capture_output=True,
                       text=True, timeout=60, check=True)
    devices = [d for d in json.loads(r.stdout)["devices"] if d["configuration"]]
    protocols = [i["bInterfaceProtocol"] for d in devices for i in d["configuration"]["interfaces"]
                 if i["bInterfaceNumber"] == 2]
    assert protocols == [1, 2, 1], f"interface 2 protocols of the devices: {protocols}"


if __name__ == "__main__":
    emu.need("cpio", "dfu-util", "dfu-suffix")
    emu.need_bridge()
    emu.run_checks([good, md5_mismatch, truncated, mkdfu_layout, rom_outcome, rom_model,
                    rom_model_bad_md5, rom_model_reset])
