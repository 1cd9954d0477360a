"""Minimal pcap/pcapng record reading for the tests (stdlib only): enough to
compare what dfuscope wrote with what was expected, independently of
dfuscope's own reader."""
import struct


def _swap_usbmon(data, linktype):
    """A usbmon header from a big-endian file, in little-endian order."""
    if len(data) < 48:
        return data
    b = bytearray(data)

    def sw(off, n):
        if off + n <= len(b):
            b[off:off + n] = b[off:off + n][::-1]
    for off, n in ((0, 8), (12, 2), (16, 8), (24, 4), (28, 4), (32, 4), (36, 4)):
        sw(off, n)
    if b[9] == 0:  # iso: error_count, numdesc
        sw(40, 4)
        sw(44, 4)
    if linktype == 220:
        for off in (48, 52, 56, 60):
            sw(off, 4)
        if b[9] == 0 and len(b) >= 64:
            ndesc = struct.unpack_from("<I", b, 60)[0]
            off = 64
            for _ in range(ndesc):
                if off + 16 > len(b):
                    break
                for k in range(0, 16, 4):
                    sw(off + k, 4)
                off += 16
    return bytes(b)


def records(path):
    """[(ts_ns, linktype, data)] with usbmon headers in little-endian order
    (other link types' headers have a byte order of their own, kept)."""
    with open(path, "rb") as f:
        buf = f.read()
    magic = buf[:4]
    out = []
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack_from(e + "I", buf, 20)[0] & 0x03FFFFFF
        off = 24
        while off + 16 <= len(buf):
            sec, frac, caplen, _ = struct.unpack_from(e + "IIII", buf, off)
            data = buf[off + 16:off + 16 + caplen]
            if e == ">" and linktype in (189, 220):
                data = _swap_usbmon(data, linktype)
            out.append((sec * 10**9 + (frac if nsec else frac * 1000), linktype, data))
            off += 16 + caplen
        return out
    if magic != b"\x0a\x0d\x0d\x0a":
        raise ValueError(f"{path}: not a pcap or pcapng file")
    off, e, links, resol = 0, "<", [], []
    while off + 12 <= len(buf):
        btype = struct.unpack_from("<I", buf, off)[0]
        if btype == 0x0A0D0D0A:
            e = "<" if struct.unpack_from("<I", buf, off + 8)[0] == 0x1A2B3C4D else ">"
            links, resol = [], []
        btype, blen = struct.unpack_from(e + "II", buf, off)
        body = buf[off + 8:off + blen - 4]
        if btype == 1:
            links.append(struct.unpack_from(e + "H", body, 0)[0])
            res = 10**6
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(e + "HH", body, o)
                if code == 0:
                    break
                if code == 9:
                    res = 10 ** body[o + 4]
                o += 4 + ((olen + 3) & ~3)
            resol.append(res)
        elif btype == 6:
            ifid, hi, lo, caplen, _ = struct.unpack_from(e + "IIIII", body, 0)
            t = (hi << 32) | lo
            data = body[20:20 + caplen]
            lt = links[ifid]
            if e == ">" and lt in (189, 220):
                data = _swap_usbmon(data, lt)
            out.append((t * 10**9 // resol[ifid], lt, data))
        off += blen
    return out


def write_pcap(path, recs, linktype=220):
    """Write [(ts_ns, data)] as a little-endian nanosecond pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, linktype))
        for ts, data in recs:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(data), len(data)))
            f.write(data)
