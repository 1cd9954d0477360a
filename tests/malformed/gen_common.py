"""The clean captures and the writers the malformed-capture corpus is made
with (gen.py for usbmon, gen_foreign.py for USBPcap and USB_DARWIN): the
records of real captures, pcap and pcapng written byte by byte, an
independent model of what `dfuscope decode` counts, what the records say,
and the .expect files (README.md)."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "data", "real", "nuttx-adb.pcapng")

LT_USB_LINUX = 189
LT_USB_LINUX_MMAPPED = 220
HDR48 = 48
HDR64 = 64
MAX_RECORD = 16 << 20          # the reader's default record limit
# (the capture holds no DFU traffic)
SUMMARY = ("FILE: {records} records, {controls} control transfers, 0 DFU transactions, "
           "{skipped} records skipped, {damaged} damaged")

# ---- the clean capture --------------------------------------------------------------


class Rec:
    """One capture record: time stamp, lengths and the usbmon bytes."""

    def __init__(self, sec, usec, data, origlen=None, linktype=LT_USB_LINUX_MMAPPED):
        self.sec, self.usec, self.data = sec, usec, bytes(data)
        self.origlen = len(data) if origlen is None else origlen
        self.linktype = linktype

    def copy(self, **kw):
        r = Rec(self.sec, self.usec, self.data, self.origlen, self.linktype)
        for k, v in kw.items():
            setattr(r, k, v)
        return r

    # usbmon header fields (little-endian: the capture was made on x86)
    def u64(self, off):
        return struct.unpack_from("<Q", self.data, off)[0]

    def u32(self, off):
        return struct.unpack_from("<I", self.data, off)[0]

    @property
    def urb_id(self):
        return self.u64(0)

    @property
    def type(self):
        return chr(self.data[8])

    @property
    def xfer(self):
        return self.data[9]

    @property
    def len_cap(self):
        return self.u32(36)

    def with_u32(self, off, value):
        d = bytearray(self.data)
        struct.pack_into("<I", d, off, value & 0xFFFFFFFF)
        return self.copy(data=bytes(d))

    def with_u8(self, off, value):
        d = bytearray(self.data)
        d[off] = value
        return self.copy(data=bytes(d))


def read_pcapng(path, linktype, count):
    """The records of a real pcapng of one interface of linktype, time stamps
    in microseconds (if_tsresol 6), count of them."""
    d = open(path, "rb").read()
    off, recs = 0, []
    while off < len(d):
        btype, blen = struct.unpack_from("<II", d, off)
        if btype == 6:
            ifid, hi, lo, caplen, origlen = struct.unpack_from("<IIIII", d, off + 8)
            assert ifid == 0
            t = (hi << 32) | lo
            recs.append(Rec(t // 1000000, t % 1000000, d[off + 28:off + 28 + caplen], origlen,
                            linktype))
        elif btype == 1:
            assert struct.unpack_from("<H", d, off + 8)[0] == linktype
        off += blen
    assert len(recs) == count
    return recs


def read_base():
    """The records of the real usbmon pcapng (link type 220)."""
    return read_pcapng(REAL, LT_USB_LINUX_MMAPPED, 47)


# ---- writers -------------------------------------------------------------------------


def pcap_file_header(linktype=LT_USB_LINUX_MMAPPED, snaplen=262144, major=2, minor=4):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, major, minor, 0, 0, snaplen, linktype)


def pcap_record(r, caplen=None, origlen=None, usec=None):
    caplen = len(r.data) if caplen is None else caplen
    origlen = r.origlen if origlen is None else origlen
    return struct.pack("<IIII", r.sec, r.usec if usec is None else usec, caplen, origlen) + r.data


def pcap(recs, **hdr):
    return pcap_file_header(**hdr) + b"".join(pcap_record(r) for r in recs)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def ng_block(btype, body, length=None, trailer=None):
    n = 12 + len(body)
    return struct.pack("<II", btype, n if length is None else length) + body + \
        struct.pack("<I", n if trailer is None else trailer)


def ng_shb():
    return ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def ng_idb(linktype, snaplen=262144, tsoffset=None):
    opts = struct.pack("<HH", 9, 1) + pad4(b"\x06")  # if_tsresol=6
    if tsoffset is not None:
        opts += struct.pack("<HHq", 14, 8, tsoffset)  # if_tsoffset, seconds
    opts += struct.pack("<HH", 0, 0)
    return ng_block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts)


def ng_epb(r, ifid=0, caplen=None, t=None, **kw):
    t = r.sec * 1000000 + r.usec if t is None else t
    body = struct.pack("<IIIII", ifid, t >> 32, t & 0xFFFFFFFF,
                       len(r.data) if caplen is None else caplen, r.origlen) + pad4(r.data)
    return ng_block(6, body, **kw)


def pcapng(recs, linktypes=(LT_USB_LINUX_MMAPPED,)):
    return ng_shb() + b"".join(ng_idb(lt) for lt in linktypes) + \
        b"".join(ng_epb(r) for r in recs)


def as_48(r):
    """The same URB as a 48-byte (link type 189) record."""
    assert r.linktype == LT_USB_LINUX_MMAPPED and r.u32(60) == 0  # no iso descriptors
    data = r.data[:HDR48] + r.data[HDR64:]
    return r.copy(data=data, origlen=r.origlen - 16, linktype=LT_USB_LINUX)


# ---- an independent model of what `dfuscope decode` counts --------------------------


def controls(recs):
    """Control transfers the decoder will report: each submit (paired, never
    completed or replaced by a reused id) plus each completion without its
    submit. Only for records whose header is intact."""
    open_, n = set(), 0
    for r in recs:
        if r.xfer != 2:
            continue
        if r.type == "S":
            if r.urb_id in open_:
                n += 1        # the earlier one never completes
            open_.add(r.urb_id)
        else:
            n += 1            # paired, or completion without submit
            open_.discard(r.urb_id)
    return n + len(open_)


# ---- what the records say, for the few cases that look at their contents ---------------

DESC_TYPES = {1: "DEVICE", 2: "CONFIGURATION", 3: "STRING"}


def setup(r):
    """The setup packet of a control submit: bmRequestType, bRequest, wValue,
    wIndex, wLength (wire order, at offset 40 of the usbmon header)."""
    assert r.type == "S" and r.xfer == 2 and r.data[14] == 0
    return struct.unpack_from("<BBHHH", r.data, 40)


def get_descriptor(r):
    """How `dfuscope decode` names a standard GET_DESCRIPTOR submit."""
    rt, req, value, index, length = setup(r)
    assert rt == 0x80 and req == 6
    kind, idx = DESC_TYPES[value >> 8], value & 0xFF
    if kind == "STRING":
        what = "STRING %d lang 0x%04x" % (idx, index) if idx else "STRING"
    else:
        what = "%s index %d" % (kind, idx)
    return "GET_DESCRIPTOR %s len %d" % (what, length)


def data_of(r):
    """The data bytes of a record (this capture has no isochronous descriptors)."""
    assert r.u32(60) == 0
    return r.data[HDR64:HDR64 + r.len_cap]


def hexdump(b):
    """How `dfuscope decode` shows data: the first 16 bytes, then '...'."""
    return " ".join("%02x" % x for x in b[:16]) + (" ..." if len(b) > 16 else "")


def ok_reply(r, words=None, no_submit=False):
    """A successful completion: its length, and its data (or what it says)."""
    d = data_of(r)
    return "OK, %d B%s: %s" % (len(d), " (submit not captured)" if no_submit else "",
                               words if words is not None else hexdump(d))


def config_words(d):
    """A configuration descriptor summarised: wTotalLength, bNumInterfaces,
    bConfigurationValue."""
    total, n_if, value = struct.unpack_from("<HBB", d, 2)
    return "wTotalLength %d, %d interface%s, config %d" % (total, n_if, "" if n_if == 1 else "s",
                                                             value)


NO_COMPLETION = "no completion in the capture"


def ident(n, skip=(), shift_after=None, shift=0):
    """good: MALFORMED=BASE pairs for frames 1..n except skip."""
    out = []
    for f in range(1, n + 1):
        if f in skip:
            continue
        out.append((f + (shift if shift_after is not None and f > shift_after else 0), f))
    return out


def ctl(base, frames, rec, text):
    """A line of `dfuscope decode` (control transfers) for device 1.35:
    frames, time since the first record, device, request -> result."""
    us = (rec.sec - base[0].sec) * 1000000 + rec.usec - base[0].usec
    return "%13s %12s %3u.%-3u %s" % (frames, "%d.%06d" % (us // 1000000, us % 1000000), 1, 35,
                                      text)


def summary(records, controls_, skipped=0, damaged=0):
    return SUMMARY.format(records=records, controls=controls_, skipped=skipped, damaged=damaged)


def write_case(outdir, name, data, exp):
    path = os.path.join(outdir, name)
    with open(path, "wb") as f:
        f.write(data)
    stem = os.path.splitext(name)[0]
    lines = []
    for i, w in enumerate(exp["what"]):
        lines.append(("what: " if i == 0 else "      ") + w)
    args = exp.get("args", ["decode", "--urbs", "--json", "FILE"])
    lines.append("args: " + " ".join(args))
    lines.append("exit: %d" % exp["exit"])
    lines.append("stderr:")
    lines += ["  " + s for s in exp["stderr"]]
    if exp.get("stdout"):
        lines.append("stdout:")
        lines += ["  " + s for s in exp["stdout"]]
    if exp.get("good"):
        lines.append("good: " + " ".join("%d=%d" % p for p in exp["good"]))
    if exp.get("portable"):
        lines.append("portable: yes")
    if exp.get("base"):
        lines.append("base: " + exp["base"])
    if exp.get("sparse"):
        lines.append("sparse: yes")
    if exp.get("ignore"):
        lines.append("ignore: " + " ".join(exp["ignore"]))
    with open(os.path.join(outdir, stem + ".expect"), "w") as f:
        f.write("\n".join(lines) + "\n")
