"""Build small usbmon captures for the command-line tests.

Written independently of dfuscope's own encoder and writer (Linux
Documentation/usb/usbmon.rst for the record layout, the libpcap and pcapng
file formats for the files), so a test built on it also checks dfuscope's
reading against a second implementation.

    c = Capture()
    c.control_in(1, 0, get_descriptor(DEVICE, 0, 0, 8), device_descriptor(0x0483, 0xdf11)[:8])
    c.control_out(2, 0, set_address(5))
    c.write_pcap(path)
"""
import struct

DEVICE, CONFIGURATION, STRING = 1, 2, 3
EINPROGRESS, EPIPE, ENODEV, ESHUTDOWN = -115, -32, -19, -108


def setup(bm, req, value, index, length):
    return struct.pack("<BBHHH", bm, req, value, index, length)


def get_descriptor(dtype, index, langid, length):
    return setup(0x80, 6, dtype << 8 | index, langid, length)


def set_address(addr):
    return setup(0x00, 5, addr, 0, 0)


def device_descriptor(vid, pid, bcd=0x0200, mps0=64, strings=(0, 0, 0)):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, mps0, vid, pid, bcd,
                       strings[0], strings[1], strings[2], 1)


def string_descriptor(text):
    units = text.encode("utf-16-le")
    return bytes([2 + len(units), 3]) + units


class Capture:
    """usbmon records (64-byte headers, little-endian), one per frame"""

    def __init__(self, bus=1, start_us=1700000000 * 1000000):
        self.bus = bus
        self.t = start_us  # microseconds
        self.records = []  # (time in microseconds, bytes)

    def record(self, kind, urb_id, xfer, ep, dev, status, length, setup_bytes=None, data=b"",
               flag_data=None, step_us=1000, bus=None):
        flag_setup = 0 if setup_bytes is not None else ord("-")
        if flag_data is None:
            flag_data = 0 if data else ord("<" if ep & 0x80 else ">")
        sec, usec = divmod(self.t, 1000000)
        hdr = struct.pack("<QBBBBHBBqiiII", urb_id, ord(kind), xfer, ep, dev,
                          self.bus if bus is None else bus, flag_setup, flag_data, sec, usec,
                          status, length, len(data))
        hdr += setup_bytes if setup_bytes is not None else bytes(8)
        hdr += struct.pack("<iiII", 0, 0, 0, 0)  # interval, start_frame, xfer_flags, ndesc
        assert len(hdr) == 64
        self.records.append((self.t, hdr + data))
        self.t += step_us

    def submit(self, urb_id, dev, setup_bytes, data=b"", bus=None):
        ep = 0x80 if setup_bytes[0] & 0x80 else 0x00
        length = struct.unpack_from("<H", setup_bytes, 6)[0]
        self.record("S", urb_id, 2, ep, dev, EINPROGRESS, length, setup_bytes, data, bus=bus)

    def complete(self, urb_id, dev, data=b"", status=0, ep=0x80, actual=None, bus=None):
        self.record("C", urb_id, 2, ep, dev, status, len(data) if actual is None else actual,
                    None, data, bus=bus)

    def control_in(self, urb_id, dev, setup_bytes, reply, status=0):
        self.submit(urb_id, dev, setup_bytes)
        self.complete(urb_id, dev, reply if status == 0 else b"", status)

    def control_out(self, urb_id, dev, setup_bytes, data=b"", status=0):
        self.submit(urb_id, dev, setup_bytes, data)
        self.complete(urb_id, dev, b"", status, ep=0x00, actual=len(data))

    def bulk(self, kind, urb_id, dev, ep, status, data=b"", length=64):
        self.record(kind, urb_id, 3, ep, dev, status, length, None, data)

    def write_pcap(self, path, linktype=220):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
            for t, rec in self.records:
                sec, usec = divmod(t, 1000000)
                f.write(struct.pack("<IIII", sec, usec, len(rec), len(rec)))
                f.write(rec)


def pcap_bytes(linktype, records):
    """A classic pcap (little-endian, microseconds) of raw records."""
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype)
    for i, rec in enumerate(records):
        out += struct.pack("<IIII", 1700000000 + i, 0, len(rec), len(rec)) + rec
    return out


def _block(btype, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_bytes(interfaces, packets):
    """A pcapng file (little-endian): interfaces is a list of link types,
    packets a list of (interface index, record bytes)."""
    out = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for lt in interfaces:
        out += _block(1, struct.pack("<HHI", lt, 0, 0))
    for i, (ifid, rec) in enumerate(packets):
        ts = (1700000000 + i) * 1000000
        out += _block(6, struct.pack("<IIIII", ifid, ts >> 32, ts & 0xffffffff, len(rec),
                                     len(rec)) + rec)
    return out
