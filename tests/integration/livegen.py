#!/usr/bin/env python3
"""Synthetic usbmon captures with several devices, resets and re-enumeration,
for the live-capture tests. Each record is tagged with the physical device it
belongs to, so a test knows exactly which records `dfuscope capture --device`
must keep: the ground truth comes from here, not from dfuscope.

Written independently of dfuscope's encoder: 64-byte usbmon headers
(LINKTYPE_USB_LINUX_MMAPPED, 220), little-endian, as Linux writes them
(Documentation/usb/usbmon.rst, dfu-facts.md section 5).

Scenarios (see SCENARIOS below):
  reset   an STM32 DfuSe bootloader 0483:df11 (serial 205F3548) at 1.5 writes
          option bytes, its GETSTATUS stalls, it leaves the bus and comes back
          at 1.6; meanwhile a keyboard (1.3) and the root hub (1.1) talk, a
          mouse enumerates at 1.4 while the DFU device is busy, and a second
          board with the same VID:PID but another serial enumerates at 1.7 after
          the first one is back. Keep: the board 205F3548 (1.5, 0->6, 1.6).
  xhci    the reset scenario on an xHCI host, where usbmon never shows
          SET_ADDRESS: devices appear at their new address after the
          descriptor read at address 0. Keep: 205F3548 (1.5, 0, 1.6).
  switch  a run-time device 0483:5740 (CDC + DFU run-time interface, serial
          ABC123) at 1.8 gets DFU_DETACH, leaves, and comes back at 1.9 as
          0483:df11 with the same serial. Keep: ABC123 (1.8, 0->9, 1.9).

usage: livegen.py SCENARIO OUT.pcap [EXPECTED.pcap]
"""
import struct
import sys

LINKTYPE = 220


def pcap_header():
    return struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, LINKTYPE)


def pcap_record(ts_us, data):
    return struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(data), len(data)) + data


def usbmon(urb_id, typ, xfer, ep, dev, bus, setup, data, status, length, ts_us,
           flag_data=None):
    flag_setup = 0 if setup is not None else ord("-")
    if flag_data is None:
        flag_data = 0 if data else (ord("<") if typ == "S" else ord(">"))
    hdr = struct.pack("<QBBBBHbbqiiII8siiII", urb_id, ord(typ), xfer, ep, dev, bus,
                      flag_setup, flag_data, ts_us // 1000000, ts_us % 1000000, status,
                      length, len(data), setup or bytes(8), 0, 0, 0, 0)
    assert len(hdr) == 64
    return hdr + data


def setup(rt, req, value, index, length):
    return struct.pack("<BBHHH", rt, req, value, index, length)


def string_desc(s):
    b = s.encode("utf-16-le")
    return bytes([2 + len(b), 3]) + b


def device_desc(vid, pid, iserial):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, vid, pid, 0x0200,
                       1, 2, iserial, 1)


def dfu_functional(attrs=0x0B, transfer=1024, version=0x011A):
    return struct.pack("<BBBHHH", 9, 0x21, attrs, 255, transfer, version)


def interface(num, cls, sub, proto, istr=0):
    return struct.pack("<BBBBBBBBB", 9, 4, num, 0, 0, cls, sub, proto, istr)


def config(*parts):
    body = b"".join(parts)
    n_if = len({p[2] for p in parts if p[1] == 4})
    return struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), n_if, 1, 0, 0xC0, 50) + body


DFU_MODE_CONFIG = config(interface(0, 0xFE, 0x01, 0x02, 4), dfu_functional())
RUNTIME_CONFIG = config(interface(0, 0x0A, 0x00, 0x00), interface(1, 0xFE, 0x01, 0x01, 4),
                        dfu_functional(attrs=0x0B, version=0x011A))
MOUSE_CONFIG = config(interface(0, 0x03, 0x01, 0x02))


class Capture:
    def __init__(self, bus=1):
        self.bus = bus
        self.t = 1_700_000_000_000_000
        self.next_id = 0xffff8880_10000000
        self.records = []  # (tag, ts_us, bytes)

    def tick(self, us=250):
        self.t += us

    def _id(self):
        self.next_id += 0x100
        return self.next_id

    def add(self, tag, typ, xfer, ep, dev, setup_b, data, status, length, flag_data=None):
        self.tick()
        self.records.append((tag, self.t, usbmon(self._id_cur, typ, xfer, ep, dev, self.bus,
                                                 setup_b, data, status, length, self.t,
                                                 flag_data)))

    def control(self, tag, dev, rt, req, value, index, length, reply=b"", out=b"", status=0,
                complete=True):
        """One control transfer: submit and (unless complete=False) completion."""
        self._id_cur = self._id()
        s = setup(rt, req, value, index, length)
        if rt & 0x80:
            self.add(tag, "S", 2, 0x80, dev, s, b"", -115, length)
            if complete:
                data = reply if status == 0 else b""
                self.add(tag, "C", 2, 0x80, dev, None, data, status, len(data))
        else:
            self.add(tag, "S", 2, 0x00, dev, s, out, -115, len(out))
            if complete:
                self.add(tag, "C", 2, 0x00, dev, None, b"", status,
                         len(out) if status == 0 else 0)

    def interrupt(self, tag, dev, ep, data):
        self._id_cur = self._id()
        self.add(tag, "S", 1, 0x80 | ep, dev, None, b"", -115, 8)
        self.add(tag, "C", 1, 0x80 | ep, dev, None, data, 0, len(data))

    # -- building blocks -------------------------------------------------------
    def probe(self, tag, dev, vid, pid, iserial=3):
        """GET_DESCRIPTOR(DEVICE) as libpcap sends it to every device when a
        live capture starts."""
        self.control(tag, dev, 0x80, 6, 0x0100, 0, 40, device_desc(vid, pid, iserial))

    def strings(self, tag, dev, serial, product):
        self.control(tag, dev, 0x80, 6, 0x0300, 0, 255, string_desc("\u0409"))
        self.control(tag, dev, 0x80, 6, 0x0302, 0x0409, 255, string_desc(product))
        if serial is not None:
            self.control(tag, dev, 0x80, 6, 0x0303, 0x0409, 255, string_desc(serial))

    def enumerate(self, tag, addr, vid, pid, cfg, serial, product, port=1, xhci=False):
        """Linux enumeration: hub port reset, descriptors at address 0,
        SET_ADDRESS, descriptors, strings, SET_CONFIGURATION. On xHCI the
        controller assigns the address itself: no SET_ADDRESS record."""
        self.control("hub", 1, 0x23, 3, 4, port, 0)          # SET_FEATURE PORT_RESET
        self.tick(10000)
        self.control("hub", 1, 0xA3, 0, 0, port, 4, b"\x03\x05\x10\x00")  # GET_STATUS port
        self.control(tag, 0, 0x80, 6, 0x0100, 0, 64,
                     device_desc(vid, pid, 3 if serial is not None else 0))
        if not xhci:
            self.control(tag, 0, 0x00, 5, addr, 0, 0)        # SET_ADDRESS
        self.tick(2000)
        self.control(tag, addr, 0x80, 6, 0x0100, 0, 18,
                     device_desc(vid, pid, 3 if serial is not None else 0))
        self.control(tag, addr, 0x80, 6, 0x0200, 0, 9, cfg[:9])
        self.control(tag, addr, 0x80, 6, 0x0200, 0, len(cfg), cfg)
        self.strings(tag, addr, serial, product)
        self.control(tag, addr, 0x00, 9, 1, 0, 0)            # SET_CONFIGURATION 1

    def getstatus(self, tag, dev, state, status=0, poll=0, usb_status=0):
        reply = struct.pack("<B", status) + poll.to_bytes(3, "little") + bytes([state, 0])
        self.control(tag, dev, 0xA1, 3, 0, 0, 6, reply, status=usb_status)

    def dnload(self, tag, dev, block, data, usb_status=0):
        self.control(tag, dev, 0x21, 1, block, 0, len(data), out=data, status=usb_status)

    def noise(self, n=1):
        """Keyboard reports and root-hub status polling in between."""
        for _ in range(n):
            self.interrupt("keyboard", 3, 1, bytes(8))
            self.interrupt("hub", 1, 1, b"\x00")


def scenario_reset():
    c = Capture()
    c.probe("hub", 1, 0x1d6b, 0x0002, 1)
    c.probe("keyboard", 3, 0x046d, 0xc31c, 0)
    c.probe("target", 5, 0x0483, 0xdf11)
    c.strings("target", 5, "205F3548", "DFU in FS Mode")
    c.noise(2)
    # DfuSe session: read the option bytes, then write them
    c.control("target", 5, 0x00, 11, 1, 0, 0)                    # SET_INTERFACE alt 1
    c.getstatus("target", 5, 2)
    c.dnload("target", 5, 0, b"\x21\x00\x78\xff\x1f")            # set address 0x1FFF7800
    c.getstatus("target", 5, 4, poll=10)
    c.noise()
    # a mouse is plugged in while the DFU device is busy: held back, then dropped
    c.enumerate("mouse", 4, 0x046d, 0xc077, MOUSE_CONFIG, None, "USB Optical Mouse", port=2)
    c.getstatus("target", 5, 5)
    c.noise()
    c.dnload("target", 5, 2, bytes(range(16)))                   # option bytes
    c.getstatus("target", 5, 0, usb_status=-32)                  # STALL: the chip resets
    c.control("target", 5, 0x21, 4, 0, 0, 0, status=-71)         # CLRSTATUS: EPROTO
    c.control("target", 5, 0xA1, 3, 0, 0, 6, status=-108)       # gone: ESHUTDOWN
    c.noise(2)
    c.interrupt("hub", 1, 1, b"\x02")                            # port change
    c.control("hub", 1, 0xA3, 0, 0, 1, 4, b"\x00\x01\x01\x00")
    c.tick(400000)
    c.noise()
    # it comes back, same VID:PID and serial, new device number
    c.enumerate("target", 6, 0x0483, 0xdf11, DFU_MODE_CONFIG, "205F3548", "DFU in FS Mode")
    c.getstatus("target", 6, 2)
    c.noise()
    # a second board, same VID:PID, another serial, while the first is active
    c.enumerate("board2", 7, 0x0483, 0xdf11, DFU_MODE_CONFIG, "3A7E2211", "DFU in FS Mode",
                port=3)
    c.getstatus("board2", 7, 2)
    c.getstatus("target", 6, 2)
    c.control("target", 6, 0x80, 6, 0x0304, 0x0409, 255, string_desc("@Option Bytes"))
    c.noise(2)
    return c


def scenario_switch():
    c = Capture()
    c.probe("hub", 1, 0x1d6b, 0x0002, 1)
    c.probe("keyboard", 3, 0x046d, 0xc31c, 0)
    c.probe("target", 8, 0x0483, 0x5740)
    c.control("target", 8, 0x80, 6, 0x0200, 0, len(RUNTIME_CONFIG), RUNTIME_CONFIG)
    c.strings("target", 8, "ABC123", "Virtual COM Port")
    c.noise(2)
    c.control("target", 8, 0x21, 0, 1000, 1, 0)                  # DFU_DETACH to interface 1
    c.noise()
    c.interrupt("hub", 1, 1, b"\x02")
    c.control("hub", 1, 0xA3, 0, 0, 1, 4, b"\x00\x01\x01\x00")
    c.tick(300000)
    c.enumerate("target", 9, 0x0483, 0xdf11, DFU_MODE_CONFIG, "ABC123", "DFU in FS Mode")
    c.getstatus("target", 9, 2)
    c.noise(2)
    return c


def scenario_xhci():
    """The reset scenario on an xHCI host: no SET_ADDRESS in the capture."""
    c = Capture()
    c.probe("hub", 1, 0x1d6b, 0x0002, 1)
    c.probe("target", 5, 0x0483, 0xdf11)
    c.strings("target", 5, "205F3548", "DFU in FS Mode")
    c.noise()
    c.enumerate("mouse", 4, 0x046d, 0xc077, MOUSE_CONFIG, None, "USB Optical Mouse", port=2,
                xhci=True)
    c.dnload("target", 5, 0, b"\x21\x00\x78\xff\x1f")
    c.getstatus("target", 5, 4, poll=10)
    c.getstatus("target", 5, 5)
    c.dnload("target", 5, 2, bytes(range(16)))
    c.getstatus("target", 5, 0, usb_status=-32)
    c.control("target", 5, 0xA1, 3, 0, 0, 6, status=-108)
    c.noise()
    c.tick(400000)
    c.enumerate("target", 6, 0x0483, 0xdf11, DFU_MODE_CONFIG, "205F3548", "DFU in FS Mode",
                xhci=True)
    c.getstatus("target", 6, 2)
    c.enumerate("board2", 7, 0x0483, 0xdf11, DFU_MODE_CONFIG, "3A7E2211", "DFU in FS Mode",
                port=3, xhci=True)
    c.getstatus("board2", 7, 2)
    c.getstatus("target", 6, 2)
    c.noise()
    return c


SCENARIOS = {"reset": scenario_reset, "switch": scenario_switch, "xhci": scenario_xhci}


def write(path, records):
    with open(path, "wb") as f:
        f.write(pcap_header())
        for _, ts, data in records:
            f.write(pcap_record(ts, data))


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in SCENARIOS:
        sys.exit(__doc__)
    c = SCENARIOS[sys.argv[1]]()
    write(sys.argv[2], c.records)
    if len(sys.argv) == 4:
        write(sys.argv[3], [r for r in c.records if r[0] == "target"])


if __name__ == "__main__":
    main()
