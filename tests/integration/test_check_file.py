#!/usr/bin/env python3
"""dfuscope check-file on files made by the real tools, and extract --format
dfu|dfuse read back by them.

The oracles are Debian's dfu-util package (dfu-suffix, dfu-prefix, dfuse-pack
and dfu-util itself) and srecord (srec_cat): they make the valid files, their
damaged variants are made from those with the damage named here, and their
own view of a file (dfu-suffix -c, dfuse-pack -d, what dfu-util says when it
downloads it to an emulated device) is what check-file must agree with.

usage: test_check_file.py DFUSCOPE [--emulated]
  --emulated   also the checks that run dfu-util against the emulated devices
               (dfuscope emulate: downloads, sessions, --device, round trips)

A missing tool fails the test: scripts/test installs them."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

import emu
from emu import assert_in, emulate

TOOLS = ["dfu-suffix", "dfu-prefix", "dfuse-pack", "srec_cat"]
FLASH = "@Internal Flash  /0x08000000/128*002Kg"   # the dfuse-device model's alt 0


def dfuscope(*args, cwd=None, check_rc=None):
    r = subprocess.run([emu.dfuscope(), *args], capture_output=True, text=True, cwd=cwd,
                       timeout=300)
    if check_rc is not None and r.returncode != check_rc:
        raise AssertionError(f"dfuscope {' '.join(args)}: exit {r.returncode}, wanted {check_rc}"
                             f"\n{r.stdout}\n{r.stderr}")
    return r


def check_json(path, *args, rc=None):
    """check-file --json: the parsed object (its exit status checked)."""
    r = dfuscope("check-file", path, "--json", *args)
    if rc is not None:
        assert r.returncode == rc, (args, r.returncode, r.stdout, r.stderr)
    assert r.returncode in (0, 1), (r.returncode, r.stderr)
    return json.loads(r.stdout)


def ids(report):
    return sorted({f["id"] for f in report["findings"]})


def tool(*args, cwd=None, ok=True):
    r = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=300)
    if ok and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def suffix_props(text):
    """dfu-suffix -c's view of a suffix: {"Vendor ID": 0x0483, ...}."""
    props = {}
    for line in text.splitlines():
        m = re.match(r"(BCD device|Product ID|Vendor ID|BCD DFU|Length|CRC):\s+(0x[0-9A-Fa-f]+|\d+)",
                     line)
        if m:
            props[m.group(1)] = int(m.group(2), 0)
    return props


def dfuse_dump(path, cwd):
    """dfuse-pack -d's view of a DfuSe file: [(alt, [(address, size)])], and the CRC error."""
    r = tool("dfuse-pack", "-d", path, cwd=cwd)
    targets = []
    for line in r.stdout.splitlines():
        m = re.match(r"b'Target' \d+, alt setting: (\d+)", line)
        if m:
            targets.append((int(m.group(1)), []))
        m = re.match(r"\s+\d+, address: 0x([0-9a-f]+), size: (\d+)", line)
        if m:
            targets[-1][1].append((int(m.group(1), 16), int(m.group(2))))
    return targets, "CRC ERROR" in r.stdout or "PARSE ERROR" in r.stdout


def resuffix(path, vid="0483", pid="df11", spec="011a"):
    """Replace a file's suffix with a new one by dfu-suffix (so that a damage
    inside the file keeps a valid CRC)."""
    data = read(path)
    write(path, data[:-16])
    tool("dfu-suffix", "-v", vid, "-p", pid, "-S", spec, "-a", path)


# ---- files alone ------------------------------------------------------------------------------

def suffix_files(tmp):
    """dfu-suffix's suffixes read the same, CRC included; a changed byte is a bad CRC
    for both."""
    img = write(os.path.join(tmp, "fw.dfu"), emu.pattern(5000, seed=3))
    tool("dfu-suffix", "-v", "0483", "-p", "df11", "-d", "0200", "-a", img)
    theirs = suffix_props(tool("dfu-suffix", "-c", img).stdout)
    rep = check_json(img, rc=0)
    assert ids(rep) == [], rep["findings"]
    sx = rep["suffix"]
    assert (sx["vid"], sx["pid"], sx["bcdDevice"], sx["bcdDFU"], sx["bLength"], sx["dwCRC"]) == (
        theirs["Vendor ID"], theirs["Product ID"], theirs["BCD device"], theirs["BCD DFU"],
        theirs["Length"], theirs["CRC"]), (sx, theirs)
    assert sx["crc"] == sx["dwCRC"] and sx["crc_ok"]
    # the definition: zlib's CRC-32 without its final XOR
    assert sx["crc"] == (~zlib.crc32(read(img)[:-4])) & 0xFFFFFFFF
    assert rep["data_bytes"] == 5000 and rep["format"] == "binary"
    # one byte changed: dfu-suffix no longer sees a suffix, check-file names the CRC
    data = bytearray(read(img))
    data[100] ^= 1
    bad = write(os.path.join(tmp, "bad.dfu"), bytes(data))
    r = tool("dfu-suffix", "-c", bad, ok=False)
    assert r.returncode != 0 and "Valid DFU suffix needed" in r.stderr, r.stderr
    rep = check_json(bad, rc=1)
    assert ids(rep) == ["file.suffix-crc"], ids(rep)
    assert rep["findings"][0]["evidence"] == [{"byte": len(data) - 4}]
    # a .dfu without any suffix
    raw = write(os.path.join(tmp, "raw.dfu"), emu.pattern(100))
    assert ids(check_json(raw, rc=0)) == ["file.suffix-missing"]
    assert ids(check_json(raw, "--format", "binary", rc=0)) == ["file.suffix-missing"]


def dfuse_files(tmp):
    """dfuse-pack's DfuSe files read as dfuse-pack -d reads them, without findings."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(3000, seed=1))
    b = write(os.path.join(tmp, "b.bin"), emu.pattern(128, seed=2))
    c = write(os.path.join(tmp, "c.bin"), emu.pattern(700, seed=4))
    out = os.path.join(tmp, "multi.dfu")
    tool("dfuse-pack", "-b", "0x08000000:" + a, "-b", "0x08004000:" + c, "-b",
         "0x1FFF7800@1:" + b, "-D", "0x0483:0xdf11", out)
    targets, broken = dfuse_dump(out, tmp)
    assert not broken and len(targets) == 2, targets
    tool("dfu-suffix", "-c", out)
    tool("dfu-prefix", "-c", out)
    rep = check_json(out)
    assert rep["format"] == "dfuse", rep["format"]
    got = []
    for t in rep["dfuse"]["targets"]:
        segs = rep["segments"][t["first_segment"]:t["first_segment"] + t["segments"]]
        got.append((t["alt"], [(s["address"], s["length"]) for s in segs]))
    assert got == targets, (got, targets)
    assert rep["dfuse"]["image_size"] == os.path.getsize(out)
    # writing 0x1FFF7800 is the one thing to say about it: option bytes of
    # STM32G0/G4/L4, OTP of STM32F2/F4 (no layout tells which)
    assert ids(rep) == ["file.option-bytes", "file.otp"], ids(rep)
    # the data is the files' bytes
    tool("dfuse-pack", "-d", out, cwd=tmp)
    seg0 = rep["segments"][0]
    assert read(out)[seg0["offset"]:seg0["offset"] + 3000] == read(a)


def text_files(tmp):
    """srec_cat's Intel HEX and S-records read to the same bytes as srec_cat's binary."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(3000, seed=5))
    b = write(os.path.join(tmp, "b.bin"), emu.pattern(300, seed=6))
    for fmt, ext, opts in (("-intel", "hex", []), ("-motorola", "srec", []),
                           ("-motorola", "s19", ["-address-length=2"])):
        base = 0x08000000 if ext != "s19" else 0x1000
        out = os.path.join(tmp, "x." + ext)
        tool("srec_cat", a, "-binary", "-offset", hex(base), b, "-binary", "-offset",
             hex(base + 0x2000), "-o", out, fmt, *opts)
        rep = check_json(out, rc=0)
        assert ids(rep) == [], (ext, rep["findings"])
        assert rep["format"] == ("ihex" if ext == "hex" else "srec"), rep["format"]
        segs = [(s["address"], s["length"]) for s in rep["segments"]]
        assert segs == [(base, 3000), (base + 0x2000, 300)], (ext, segs)
        # srec_cat's own conversion of the file to a binary: the same bytes
        back = os.path.join(tmp, "back.bin")
        tool("srec_cat", out, "-intel" if ext == "hex" else "-motorola", "-offset", hex(-base),
             "-o", back, "-binary")
        data = read(back)
        assert data[:3000] == read(a) and data[0x2000:0x2000 + 300] == read(b)
    # a changed digit: srec_cat refuses the checksum, check-file names the line
    hexf = os.path.join(tmp, "x.hex")
    lines = open(hexf).read().splitlines(keepends=True)
    k = 5
    line = lines[k]
    lines[k] = line[:9] + ("0" if line[9] != "0" else "1") + line[10:]
    bad = os.path.join(tmp, "bad.hex")
    open(bad, "w").write("".join(lines))
    r = tool("srec_cat", bad, "-intel", "-o", os.path.join(tmp, "o.bin"), "-binary", ok=False)
    assert r.returncode != 0 and "checksum" in r.stderr.lower(), r.stderr
    rep = check_json(bad, rc=1)
    assert ids(rep) == ["file.record-checksum"], ids(rep)
    assert rep["findings"][0]["evidence"][0] == {"line": k + 1}, rep["findings"][0]


def damaged_dfuse(tmp):
    """dfuse-pack's file damaged: sizes that lie, 0 and 255 targets, cut short,
    past 4 GiB; every one an error finding naming its byte."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(3000, seed=1))
    good = os.path.join(tmp, "good.dfu")
    tool("dfuse-pack", "-b", "0x08000000:" + a, "-D", "0x0483:0xdf11", good)
    data = read(good)

    def variant(name, change, respin=True):
        path = os.path.join(tmp, name)
        write(path, change(bytearray(data)))
        if respin:
            resuffix(path)
        return check_json(path, rc=1)

    def at(d, offset, value, fmt="<I"):
        struct.pack_into(fmt, d, offset, value)
        return bytes(d)

    # element size larger than the file (dwElementSize at 289)
    rep = variant("lying-element.dfu", lambda d: at(d, 11 + 274 + 4, 1000000))
    assert "file.dfuse-size" in ids(rep), ids(rep)
    f = [x for x in rep["findings"] if x["id"] == "file.dfuse-size"][0]
    assert {"byte": 289} in f["evidence"], f
    _, broken = dfuse_dump(os.path.join(tmp, "lying-element.dfu"), tmp)
    # dwTargetSize and DFUImageSize that lie
    rep = variant("lying-target.dfu", lambda d: at(d, 11 + 266, 5))
    assert ids(rep) == ["file.dfuse-size"], ids(rep)
    rep = variant("lying-image.dfu", lambda d: at(d, 6, 99))
    assert ids(rep) == ["file.dfuse-size"], ids(rep)
    # 0 and 255 targets
    rep = variant("zero-targets.dfu", lambda d: at(d, 10, 0, "<B"))
    assert "file.dfuse-no-targets" in ids(rep), ids(rep)
    rep = variant("255-targets.dfu", lambda d: at(d, 10, 255, "<B"))
    assert ids(rep) == ["file.truncated"], ids(rep)
    assert rep["findings"][0]["evidence"] == [{"byte": 10}, {"byte": 11 + 274 + 3008 - 1}], \
        rep["findings"][0]
    # more elements than there are
    rep = variant("lying-count.dfu", lambda d: at(d, 11 + 270, 3))
    assert "file.truncated" in ids(rep), ids(rep)
    # cut short, suffix and all: at every place a header or data ends
    for cut in (5, 11, 100, 285, 290, 293, 2000, len(data) - 16, len(data) - 1):
        path = write(os.path.join(tmp, f"cut{cut}.dfu"), data[:cut])
        rep = check_json(path, rc=1)
        assert "file.suffix-missing" in ids(rep) or cut >= len(data) - 16, (cut, ids(rep))
        assert set(ids(rep)) & {"file.truncated", "file.dfuse-size", "file.dfuse-version",
                                "file.suffix-crc"}, (cut, ids(rep))
    # bVersion 2 and a damaged target signature
    rep = variant("version2.dfu", lambda d: at(d, 5, 2, "<B"))
    assert ids(rep) == ["file.dfuse-header"], ids(rep)
    rep = variant("signature.dfu", lambda d: at(d, 11, ord("t"), "<B"))
    assert ids(rep) == ["file.dfuse-header"], ids(rep)
    # the suffix of a raw image (bcdDFU 0x0100): dfu-util would not see a DfuSe file
    path = write(os.path.join(tmp, "raw-suffix.dfu"), data)
    resuffix(path, spec="0100")
    assert ids(check_json(path, rc=1)) == ["file.dfuse-version"]
    # an element past the 32-bit address space, made by dfuse-pack itself
    past = os.path.join(tmp, "past.dfu")
    tool("dfuse-pack", "-b", "0xFFFFFF00:" + a, "-D", "0x0483:0xdf11", past)
    rep = check_json(past, rc=1)
    assert ids(rep) == ["file.address-overflow"], ids(rep)
    assert "0x100000ab8" in rep["findings"][0]["explanation"], rep["findings"][0]
    # 255 real targets (alternate settings 0-254): a valid file
    args = []
    for alt in range(255):
        args += ["-b", f"0x{0x08000000 + alt * 0x800:08x}@{alt}:{a}"]
    many = os.path.join(tmp, "many.dfu")
    tool("dfuse-pack", *args, "-D", "0x0483:0xdf11", many)
    rep = check_json(many, rc=0)
    assert len(rep["dfuse"]["targets"]) == 255 and ids(rep) == [], ids(rep)


def layouts(tmp):
    """Against a layout: outside, not writable, larger than the flash, erased
    pages, option bytes that lock the chip, OTP."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(8192, seed=1))

    def pack(name, *specs):
        out = os.path.join(tmp, name)
        args = []
        for s in specs:
            args += ["-b", s]
        tool("dfuse-pack", *args, "-D", "0x0483:0xdf11", out)
        return out

    rep = check_json(pack("ok.dfu", "0x08000000:" + a), "--layout", FLASH, rc=0)
    assert ids(rep) == [], ids(rep)
    rep = check_json(pack("past.dfu", "0x0803F000:" + a), "--layout", FLASH, rc=1)
    assert ids(rep) == ["file.outside-layout"], ids(rep)
    assert "Last page at 0x08040fff is not writeable" in rep["findings"][0]["explanation"]
    big = write(os.path.join(tmp, "big.bin"), emu.pattern(300 * 1024, seed=9))
    rep = check_json(pack("big.dfu", "0x08000000:" + big), "--layout", FLASH, rc=1)
    assert ids(rep) == ["file.larger-than-memory"], ids(rep)
    rep = check_json(pack("ro.dfu", "0x08000000:" + a), "--layout",
                     "@Internal Flash /0x08000000/4*002Ka,124*002Kg", rc=1)
    assert ids(rep) == ["file.not-writable"], ids(rep)
    half = write(os.path.join(tmp, "half.bin"), emu.pattern(1000, seed=7))
    rep = check_json(pack("mid.dfu", "0x08000400:" + half), "--layout", FLASH, rc=0)
    assert ids(rep) == ["file.erase-beyond"], ids(rep)
    assert "0x08000000-0x080003ff (1 KiB (1024 bytes)), 0x080007e8-0x080007ff (24 bytes)" in \
        rep["findings"][0]["explanation"], rep["findings"][0]["explanation"]
    # option bytes with read protection level 2, written before the flash
    ob = bytearray(b"\xff" * 128)
    ob[0] = 0xCC
    obf = write(os.path.join(tmp, "ob.bin"), bytes(ob))
    lay = ["--layout", FLASH, "--layout", "@Option Bytes  /0x1FFF7800/01*128 e"]
    rep = check_json(pack("ob.dfu", "0x1FFF7800@1:" + obf, "0x08000000:" + a), *lay, rc=1)
    assert ids(rep) == ["file.option-bytes", "file.option-bytes-lock"], ids(rep)
    f = [x for x in rep["findings"] if x["id"] == "file.option-bytes"][0]
    assert "8192 bytes come after it" in f["explanation"], f["explanation"]
    rep = check_json(pack("otp.dfu", "0x1FFF7000@2:" + obf), "--layout", FLASH, "--layout",
                     "@Option Bytes  /0x1FFF7800/01*128 e", "--layout",
                     "@OTP Memory /0x1FFF7000/01*1024 e", rc=0)
    assert ids(rep) == ["file.otp"], ids(rep)
    # a raw binary at an address, and one the layout's start is assumed for
    rep = check_json(a, "--layout", FLASH, rc=0)
    assert ids(rep) == ["file.raw-for-dfuse"], ids(rep)
    rep = check_json(a, "--layout", FLASH, "--address", "0x0803F000", rc=1)
    assert ids(rep) == ["file.outside-layout", "file.raw-for-dfuse"], ids(rep)
    # layouts that do not parse are a usage error
    r = dfuscope("check-file", a, "--layout", "@Flash/0x0800/8*", check_rc=2)
    assert_in("--layout", r.stderr, "bad layout")


def stray_sections(tmp):
    """srec_cat's hex of code in flash and a section at RAM, and srec_cat's binary of it."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(4096, seed=1))
    d = write(os.path.join(tmp, "d.bin"), emu.pattern(64, seed=2))
    hexf = os.path.join(tmp, "stray.hex")
    tool("srec_cat", a, "-binary", "-offset", "0x08000000", d, "-binary", "-offset",
         "0x20000000", "-o", hexf, "-intel")
    rep = check_json(hexf, rc=0)
    assert ids(rep) == ["file.stray-section"], ids(rep)
    assert "0x20000000" in rep["findings"][0]["explanation"]
    binf = os.path.join(tmp, "stray.bin")
    tool("srec_cat", hexf, "-intel", "-o", binf, "-binary")
    assert os.path.getsize(binf) == 0x20000000 + 64
    rep = check_json(binf, rc=1)
    assert ids(rep) == ["file.huge-binary", "file.stray-section"], ids(rep)


def usage(tmp):
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(100))
    r = dfuscope("check-file", "--help", check_rc=0)
    for word in ("--layout", "--device", "--capture", "Exit status"):
        assert_in(word, r.stdout, "--help")
    dfuscope("check-file", check_rc=2)
    dfuscope("check-file", a, a, check_rc=2)
    r = dfuscope("check-file", a, "--layout", FLASH, "--capture", "x.pcap", check_rc=2)
    assert_in("one at a time", r.stderr, "exclusive options")
    r = dfuscope("check-file", os.path.join(tmp, "missing.dfu"), check_rc=2)
    assert_in("cannot open", r.stderr, "missing file")
    r = dfuscope("check-file", a, "--capture", os.path.join(tmp, "missing.pcap"), check_rc=2)
    dfuscope("check-file", a, "--alt", "300", check_rc=2)
    dfuscope("check-file", a, "--address", "0x100000000", check_rc=2)
    r = dfuscope("check-file", a, "--layout", FLASH, "--alt", "3", check_rc=2)
    assert_in("no alternate setting 3", r.stderr, "--alt")
    # standard input
    r = subprocess.run([emu.dfuscope(), "check-file", "-", "--json"], input=read(a),
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["size"] == 100


# ---- against the emulated devices (dfuscope emulate, real dfu-util) ------------------------------

def dfu_util_agrees(tmp):
    """What check-file says of a file, dfu-util says when it downloads it."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(8192, seed=1))
    cases = []
    past = os.path.join(tmp, "past.dfu")
    tool("dfuse-pack", "-b", "0x0803F000:" + a, "-D", "0x0483:0xdf11", past)
    cases.append((past, "file.outside-layout", "Last page at 0x08040fff is not writeable"))
    alt7 = os.path.join(tmp, "alt7.dfu")
    tool("dfuse-pack", "-b", "0x08000000@7:" + a, "-D", "0x0483:0xdf11", alt7)
    cases.append((alt7, "file.target-alt-missing", "No alternate setting 7 (skipping elements)"))
    raw = os.path.join(tmp, "raw.dfu")
    shutil.copy(a, raw)
    tool("dfu-suffix", "-v", "0483", "-p", "df11", "-a", raw)
    cases.append((raw, "file.raw-for-dfuse", "Only DfuSe file version 1.1a is supported"))
    other = os.path.join(tmp, "other.dfu")
    shutil.copy(a, other)
    tool("dfu-suffix", "-v", "1209", "-p", "0001", "-a", other)
    cases.append((other, "file.id-mismatch", None))
    for path, fid, said in cases:
        r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-D", path], cwd=tmp)
        if said:
            assert_in(said, r.stdout + r.stderr, f"dfu-util -D {os.path.basename(path)}")
        r = emulate("dfuse-device", [emu.dfuscope(), "check-file", path, "--device",
                                     "0483:df11", "--json"], cwd=tmp)
        assert r.returncode in (0, 1), r.stderr
        rep = json.loads(r.stdout)
        assert fid in ids(rep), (path, ids(rep))
    # the id mismatch: dfu-util looks only for a device with the file's ID
    r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-D", other], cwd=tmp)
    assert r.returncode != 0, r.stdout


def device_read_only(tmp):
    """--device reads the descriptors and names and nothing else: the capture of
    the run holds standard GET_DESCRIPTOR requests only."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(4096, seed=1))
    f = os.path.join(tmp, "fw.dfu")
    tool("dfuse-pack", "-b", "0x08000000:" + a, "-D", "0x0483:0xdf11", f)
    cap = os.path.join(tmp, "run.pcapng")
    r = emulate("dfuse-device", [emu.dfuscope(), "check-file", f, "--device", "0483:df11",
                                 "--json"], pcap=cap, cwd=tmp)
    assert r.returncode == 0, (r.stdout, r.stderr)
    rep = json.loads(r.stdout)
    dev = rep["against"]["device"]
    assert (dev["vid"], dev["pid"], dev["dfuse"]) == (0x0483, 0xdf11, True), dev
    names = [x["name"] for x in dev["alts"]]
    assert names[0] == FLASH and names[1].startswith("@Option Bytes"), names
    assert ids(rep) == [], ids(rep)
    # the kernel enumerates the device (ending with SET_CONFIGURATION), then
    # only check-file's GET_DESCRIPTORs: no class or vendor request, nothing
    # that changes the device, and the names of alternate settings 1-3,
    # which the kernel does not read
    transfers = [json.loads(line) for line in
                 dfuscope("decode", "--json", cap, check_rc=0).stdout.splitlines()]
    transfers = [t for t in transfers if t["device"] == 2]
    last_config = max(i for i, t in enumerate(transfers) if t["bRequest"] == 9)
    names = set()
    for t in transfers:
        assert t["bmRequestType"] & 0x60 == 0, t  # standard requests only
        assert not t["dfu"], t
    for t in transfers[last_config + 1:]:
        assert (t["bmRequestType"], t["bRequest"]) == (0x80, 6), t  # GET_DESCRIPTOR
        if t["wValue"] >> 8 == 3:
            names.add(t["wValue"] & 0xFF)
    assert {5, 6, 7} <= names, names
    # no such device: the transport says so
    r = emulate("dfuse-device", [emu.dfuscope(), "check-file", f, "--device", "1209:0001"],
                cwd=tmp)
    assert r.returncode == 2 and "no 1209:0001" in r.stderr, r.stderr


def session_compare(tmp):
    """dfu-util downloads a different image than the file: check-file --capture
    finds the difference; the right file matches; a session that stopped."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(6000, seed=1))
    b = bytearray(read(a))
    b[4100] ^= 0x5A
    b = write(os.path.join(tmp, "b.bin"), bytes(b))
    fa, fb = os.path.join(tmp, "a.dfu"), os.path.join(tmp, "b.dfu")
    tool("dfuse-pack", "-b", "0x08000000:" + a, "-D", "0x0483:0xdf11", fa)
    tool("dfuse-pack", "-b", "0x08000000:" + b, "-D", "0x0483:0xdf11", fb)
    cap = os.path.join(tmp, "b.pcapng")
    r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-D", fb], pcap=cap, cwd=tmp)
    assert r.returncode == 0, r.stderr
    rep = check_json(fa, "--capture", cap, rc=1)
    assert ids(rep) == ["file.erase-beyond", "file.session-mismatch"], ids(rep)
    f = [x for x in rep["findings"] if x["id"] == "file.session-mismatch"][0]
    assert "The first difference is at 0x08001004" in f["explanation"], f["explanation"]
    assert any("frame" in e for e in f["evidence"]) and {"byte": 293 + 4100} in f["evidence"], f
    s = rep["against"]["session"]
    assert (s["same"], s["different"], s["missing"], s["extra"]) == (5999, 1, 0, 0), s
    rep = check_json(fb, "--capture", cap, rc=0)
    assert ids(rep) == ["file.erase-beyond"], ids(rep)
    # the raw binary against the session: placed at its lowest address
    rep = check_json(b, "--capture", cap, rc=0)
    assert rep["against"]["session"]["base_assumed"] == 0x08000000
    # a session that stopped: the second element lies past the flash, dfu-util
    # writes the first and stops
    two = os.path.join(tmp, "two.dfu")
    tool("dfuse-pack", "-b", "0x08000000:" + a, "-b", "0x0803F800:" + a, "-D", "0x0483:0xdf11",
         two)
    cap2 = os.path.join(tmp, "two.pcapng")
    r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-D", two], pcap=cap2, cwd=tmp)
    assert r.returncode != 0 and "Last page at" in r.stderr, r.stderr
    rep = check_json(two, "--capture", cap2, rc=1)
    assert "file.session-missing" in ids(rep) and "file.outside-layout" in ids(rep), ids(rep)
    f = [x for x in rep["findings"] if x["id"] == "file.session-missing"][0]
    assert "The session's last confirmed write was frame" in f["explanation"], f
    assert "0x0803f800-0x08040f6f (6000 bytes, file byte 6301)" in f["explanation"], \
        f["explanation"]


def extract_roundtrip(tmp):
    """extract --format dfuse|dfu of a dfu-util session: dfu-suffix, dfu-prefix and
    dfuse-pack accept it, dfu-util downloads it to the emulated device, and that
    session wrote the same bytes."""
    a = write(os.path.join(tmp, "a.bin"), emu.pattern(5000, seed=11))
    ob = write(os.path.join(tmp, "ob.bin"), emu.pattern(16, seed=12))
    src = os.path.join(tmp, "src.dfu")
    tool("dfuse-pack", "-b", "0x08000000:" + a, "-b", "0x08010000:" + a, "-D", "0x0483:0xdf11",
         src)
    cap = os.path.join(tmp, "s1.pcapng")
    r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-D", src], pcap=cap, cwd=tmp)
    assert r.returncode == 0, r.stderr
    x = os.path.join(tmp, "x.dfu")
    dfuscope("extract", cap, "--format", "dfuse", "-o", x, check_rc=0)
    props = suffix_props(tool("dfu-suffix", "-c", x).stdout)
    assert (props["Vendor ID"], props["Product ID"], props["BCD DFU"]) == (0x0483, 0xdf11, 0x011a)
    tool("dfu-prefix", "-c", x)
    targets, broken = dfuse_dump(x, tmp)
    assert not broken and targets == [(0, [(0x08000000, 5000), (0x08010000, 5000)])], targets
    assert read(x + ".target0.image0.bin") == read(a) == read(x + ".target0.image1.bin")
    assert ids(check_json(x, "--capture", cap, rc=0)) == ["file.erase-beyond"]
    cap2 = os.path.join(tmp, "s2.pcapng")
    r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-D", x], pcap=cap2, cwd=tmp)
    assert r.returncode == 0, r.stderr
    rep = check_json(x, "--capture", cap2, rc=0)
    assert rep["against"]["session"]["same"] == 10000, rep["against"]["session"]
    x2 = os.path.join(tmp, "x2.dfu")
    dfuscope("extract", cap2, "--format", "dfuse", "-o", x2, check_rc=0)
    assert read(x2) == read(x), "the second round differs"
    # DFU: the image from the lowest address, dfu-suffix's view of the device
    y = os.path.join(tmp, "y.dfu")
    dfuscope("extract", cap, "--format", "dfu", "--fill", "0xff", "-o", y, check_rc=0)
    props = suffix_props(tool("dfu-suffix", "-c", y).stdout)
    assert (props["Vendor ID"], props["Product ID"], props["BCD DFU"]) == (0x0483, 0xdf11, 0x0100)
    data = read(y)
    assert len(data) == 0x10000 + 5000 + 16 and data[:5000] == read(a)
    assert data[0x10000:0x10000 + 5000] == read(a) and data[5000:0x10000] == b"\xff" * (0x10000 - 5000)
    r = emulate("dfuse-device", ["dfu-util", "-a", "0", "-s", "0x08000000", "-D", y], cwd=tmp)
    assert r.returncode == 0, r.stderr
    # a DFU 1.1 session: its image, with the device's IDs
    plain = os.path.join(tmp, "plain.dfu")
    shutil.copy(a, plain)
    tool("dfu-suffix", "-v", "1209", "-p", "0001", "-a", plain)
    cap3 = os.path.join(tmp, "s3.pcapng")
    r = emulate("dfu11-device", ["dfu-util", "-D", plain], pcap=cap3, cwd=tmp)
    assert r.returncode == 0, r.stderr
    z = os.path.join(tmp, "z.dfu")
    dfuscope("extract", cap3, "--format", "dfu", "-o", z, check_rc=0)
    props = suffix_props(tool("dfu-suffix", "-c", z).stdout)
    assert (props["Vendor ID"], props["Product ID"]) == (0x1209, 0x0001), props
    assert read(z)[:-16] == read(a)
    assert ids(check_json(plain, "--capture", cap3, rc=0)) == []
    r = dfuscope("extract", cap3, "--format", "dfuse", "-o", os.path.join(tmp, "no.dfu"),
                 check_rc=2)
    assert_in("--format dfu", r.stderr, "DfuSe file of a DFU 1.1 session")


def main():
    emulated = "--emulated" in sys.argv[2:]
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print("FAIL: not installed: " + ", ".join(missing) + " (scripts/test installs them: "
              "apt-get install dfu-util srecord)")
        sys.exit(1)
    checks = [suffix_files, dfuse_files, text_files, damaged_dfuse, layouts, stray_sections, usage]
    if emulated:
        checks += [dfu_util_agrees, device_read_only, session_compare, extract_roundtrip]
    emu.run_checks(checks)


if __name__ == "__main__":
    main()
