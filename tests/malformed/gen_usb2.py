"""Packet-level USB 2.0 captures (link type 288) for the malformed corpus
(gen.py writes them with the others): the real Packetry capture
tests/data/real/packetry/hackrf-dfu-enum__capture.pcap (186 packets: an NXP
LPC43xx ROM DFU device enumerating at high speed), written undamaged as
usb2-base.pcap, with one packet broken on purpose.

The damage is always in the second control transfer, a GET_DESCRIPTOR
(CONFIGURATION, 9 bytes) that runs from its SETUP token (frame 26) to the
ACK ending its status stage (frame 42). The expected messages are computed
here: PID check nibbles, CRC5 and CRC16 by the bit-serial definitions of
USB 2.0 section 8.3.5 (not by dfuscope's table), lengths and frames from
where the damage was planted. Every record outside that transfer must decode
as in the clean capture, and no transfer may appear where the clean capture
has none ("sparse: yes" in the .expect)."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "data", "real", "packetry", "hackrf-dfu-enum__capture.pcap")
LT_USB_2_0 = 288
BASE = "usb2-base.pcap"
SUMMARY = ("FILE: {records} records, {controls} control transfers, 0 DFU transactions, "
           "{skipped} records skipped, 0 damaged")

PID_SETUP, PID_IN, PID_OUT, PID_SOF = 0x2D, 0x69, 0xE1, 0xA5
PID_DATA0, PID_DATA1, PID_ACK, PID_NAK, PID_PING = 0xC3, 0x4B, 0xD2, 0x5A, 0xB4
DATA_PIDS = {PID_DATA0: "DATA0", PID_DATA1: "DATA1"}
MAX_DATA = 1024

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Packet:
    def __init__(self, sec, usec, data, origlen=None):
        self.sec, self.usec, self.data = sec, usec, bytes(data)
        self.origlen = len(self.data) if origlen is None else origlen

    def copy(self, data, origlen=None):
        return Packet(self.sec, self.usec, data, origlen)


_base = []


def read_base():
    """The packets of the real capture: classic pcap, little-endian,
    microseconds, link type 288."""
    if _base:
        return _base
    d = open(REAL, "rb").read()
    magic, _, _, _, _, _, lt = struct.unpack_from("<IHHiIII", d, 0)
    assert magic == 0xA1B2C3D4 and lt == LT_USB_2_0
    off = 24
    while off < len(d):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", d, off)
        _base.append(Packet(sec, usec, d[off + 16:off + 16 + caplen], origlen))
        off += 16 + caplen
    assert len(_base) == 186
    return _base


def pcap(pkts):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LT_USB_2_0)]
    for p in pkts:
        out.append(struct.pack("<IIII", p.sec, p.usec, len(p.data), p.origlen) + p.data)
    return b"".join(out)


def write_base(outdir):
    with open(os.path.join(outdir, BASE), "wb") as f:
        f.write(pcap(read_base()))


# ---- USB 2.0 section 8.3.5, bit by bit -------------------------------------------------


def crc5(value, nbits):
    """CRC5 (x^5 + x^2 + 1) of the nbits low bits of value, sent least
    significant bit first; the register starts all ones, its complement is
    sent."""
    reg = 0b11111
    for i in range(nbits):
        bit = (value >> i) & 1
        top = (reg >> 4) & 1
        reg = (reg << 1) & 0b11111
        if bit ^ top:
            reg ^= 0b00101
    # the complement goes out most significant bit of the register first, in
    # the bit positions after the field: reverse it into a field value
    out = reg ^ 0b11111
    return int("{:05b}".format(out)[::-1], 2)


def crc16(data):
    """CRC16 (x^16 + x^15 + x^2 + 1) of the data bytes, bits least
    significant first, register all ones, complement sent; as the field
    value the packet carries little-endian."""
    reg = 0xFFFF
    for byte in data:
        for i in range(8):
            bit = (byte >> i) & 1
            top = (reg >> 15) & 1
            reg = (reg << 1) & 0xFFFF
            if bit ^ top:
                reg ^= 0x8005
    out = reg ^ 0xFFFF
    return int("{:016b}".format(out)[::-1], 2)


def pid_ok(b):
    return (b >> 4) == (~b & 0x0F)


def check_base(pkts):
    """The clean capture is what the cases assume: every token's CRC5 and
    every data packet's CRC16 right, and the transfer to damage where it is."""
    for p in pkts:
        assert pid_ok(p.data[0])
        if p.data[0] in (PID_SETUP, PID_IN, PID_OUT, PID_SOF, PID_PING):
            v = p.data[1] | p.data[2] << 8
            assert v >> 11 == crc5(v & 0x7FF, 11)
        if p.data[0] in DATA_PIDS:
            assert struct.unpack_from("<H", p.data, len(p.data) - 2)[0] == \
                crc16(p.data[1:-2])


# the second control transfer: SETUP 26, DATA0 27 (8 setup bytes), ACK 28,
# IN 29 + NAK 30, IN 31 + DATA1 32 (9 bytes) + ACK 33, the status stage
# (OUT 34 NAK, PING 38, OUT 40 + DATA1 41 + ACK 42)
T_SETUP, T_SETUP_DATA, T_IN_NAK, T_IN, T_DATA, T_STATUS_OUT, T_END = 26, 27, 29, 31, 32, 40, 42
T_START_US = 6          # its SETUP, in microseconds after the first transfer's
CONTROLS = 9


def transfer_frames(pkts):
    b = pkts
    assert b[T_SETUP - 1].data[0] == PID_SETUP and b[T_SETUP - 1].data[1] == 11
    assert b[T_SETUP_DATA - 1].data[1:9] == bytes.fromhex("8006000200000900")
    assert [b[f - 1].data[0] for f in (T_IN_NAK, T_IN_NAK + 1, T_IN, T_DATA, T_DATA + 1)] == \
        [PID_IN, PID_NAK, PID_IN, PID_DATA1, PID_ACK]
    assert len(b[T_DATA - 1].data) == 3 + 9
    assert b[T_STATUS_OUT - 1].data[0] == PID_OUT and b[T_END - 1].data[0] == PID_ACK
    first = next(p for p in b if p.data[0] == PID_SETUP)
    assert (b[T_SETUP - 1].sec - first.sec) * 1000000 + b[T_SETUP - 1].usec - first.usec == \
        T_START_US
    assert sum(1 for p in b if p.data[0] == PID_SETUP) == CONTROLS


def summary(records, controls, skipped):
    return SUMMARY.format(records=records, controls=controls, skipped=skipped)


def line(frame, what, skipped=True):
    return "FILE: frame %d: %s; %s [%s]" % (
        frame, what, "record skipped" if skipped else "decoding what is there",
        "capture.bad-packet" if skipped else "capture.record-truncated")


def lost(frame, how, size=None):
    return line(T_END if frame is None else frame,
                "the control transfer of frame %d moved a data packet%s that the capture %s; "
                "its data is incomplete"
                % (T_SETUP, "" if size is None else " of %d bytes" % size, how), skipped=False)


def transfer_line(result):
    """The damaged transfer in `dfuscope decode`."""
    return "%13s %12s %3u.%-3u %s" % (
        "%d-%d" % (T_SETUP, T_END), "0.%06d" % T_START_US, 1, 11,
        "GET_DESCRIPTOR CONFIGURATION index 0 len 9 -> " + result)


def usb2_case(name, pkts, what, stderr, stdout=(), transfer_lost=False, removed=None):
    """removed: the base frame left out of the file (later frames move up)."""
    base = read_base()
    good = []
    for f in range(1, len(base) + 1):
        if T_SETUP <= f <= T_END:
            continue
        good.append((f - 1 if removed is not None and f > removed else f, f))
    exp = dict(what=what, exit=0, args=["decode", "FILE"], stderr=stderr, stdout=list(stdout),
               good=good, base=BASE, sparse=True)
    if transfer_lost:
        # the decoder numbers transfers in order: one lost moves the later ids
        exp["ignore"] = ["urb_id"]
    return name, pcap(pkts), exp


def replaced(frame, packet):
    pkts = list(read_base())
    check_base(pkts)
    transfer_frames(pkts)
    pkts[frame - 1] = packet
    return pkts


@case
def usb2_packet_truncated(_):
    p = read_base()[T_SETUP - 1]
    pkts = replaced(T_SETUP, p.copy(p.data[:2]))
    return usb2_case(
        "usb2-packet-truncated.pcap", pkts,
        ["The SETUP token of the second control transfer (frame %d) is 2 bytes long, not 3 "
         "(its CRC5 byte is gone): the transfer is lost, the rest decodes." % T_SETUP],
        [line(T_SETUP, "SETUP packet of 2 bytes where a token has 3"),
         summary(186, CONTROLS - 1, 1)], transfer_lost=True)


@case
def usb2_record_cut(_):
    p = read_base()[T_DATA - 1]
    pkts = replaced(T_DATA, p.copy(p.data[:6], origlen=len(p.data)))
    return usb2_case(
        "usb2-record-cut.pcap", pkts,
        ["The DATA1 packet with the 9 bytes of a configuration descriptor (frame %d, 12 "
         "bytes on the wire) captured with only 6: the host ACKed it, so the transfer "
         "moved 9 bytes the capture does not hold." % T_DATA],
        [line(T_DATA, "packet of 12 bytes captured with only 6"),
         lost(None, "holds damaged (frame %d)" % T_DATA, 9),
         summary(186, CONTROLS, 1)],
        [transfer_line("OK, 9 B (0 bytes captured)")])


@case
def usb2_pid_check_bad(_):
    p = read_base()[T_SETUP_DATA - 1]
    bad = p.data[0] ^ 0x01          # DATA0 0xC3 -> 0xC2: check nibble no longer ~PID
    assert not pid_ok(bad)
    pkts = replaced(T_SETUP_DATA, p.copy(bytes([bad]) + p.data[1:]))
    return usb2_case(
        "usb2-pid-check-bad.pcap", pkts,
        ["The DATA0 packet carrying the setup bytes (frame %d) has PID byte 0x%02X: its "
         "check nibble is not the complement of the PID. The transfer is lost." %
         (T_SETUP_DATA, bad)],
        [line(T_SETUP_DATA, "PID byte 0x%02X is no USB 2.0 PID (its check bits are wrong)"
              % bad),
         summary(186, CONTROLS - 1, 1)], transfer_lost=True)


@case
def usb2_pid_zero(_):
    p = read_base()[T_IN_NAK - 1]
    pkts = replaced(T_IN_NAK, p.copy(b"\x00" + p.data[1:]))
    return usb2_case(
        "usb2-pid-zero.pcap", pkts,
        ["The IN token that the device NAKs (frame %d) has PID byte 0x00, which no packet "
         "has (every PID with a correct check nibble is defined). A NAKed IN moves no data: "
         "the transfer is decoded as in the clean capture." % T_IN_NAK],
        [line(T_IN_NAK, "PID byte 0x00 is no USB 2.0 PID (its check bits are wrong)"),
         summary(186, CONTROLS, 1)],
        [transfer_line("OK, 9 B: wTotalLength 27, 1 interface, config 1")])


@case
def usb2_crc5_bad(_):
    p = read_base()[T_SETUP - 1]
    d = bytearray(p.data)
    d[2] ^= 0x80                   # the top bit of the CRC5 field
    v = d[1] | d[2] << 8
    pkts = replaced(T_SETUP, p.copy(bytes(d)))
    return usb2_case(
        "usb2-crc5-bad.pcap", pkts,
        ["The SETUP token of the second control transfer (frame %d) with a wrong CRC5: the "
         "transfer is lost." % T_SETUP],
        [line(T_SETUP, "SETUP packet with CRC5 0x%02X where 0x%02X is due"
              % (v >> 11, crc5(v & 0x7FF, 11))),
         summary(186, CONTROLS - 1, 1)], transfer_lost=True)


@case
def usb2_crc16_bad(_):
    p = read_base()[T_DATA - 1]
    d = bytearray(p.data)
    d[3] ^= 0x01                   # a data byte, not the CRC
    crc = struct.unpack_from("<H", d, len(d) - 2)[0]
    pkts = replaced(T_DATA, p.copy(bytes(d)))
    return usb2_case(
        "usb2-crc16-bad.pcap", pkts,
        ["A data byte of the DATA1 packet of frame %d flipped: its CRC16 is wrong. The host "
         "ACKed it, so the transfer moved 9 bytes the capture holds damaged." % T_DATA],
        [line(T_DATA, "DATA1 packet of 9 data bytes with CRC16 0x%04X where 0x%04X is due"
              % (crc, crc16(bytes(d[1:-2])))),
         lost(None, "holds damaged (frame %d)" % T_DATA, 9),
         summary(186, CONTROLS, 1)],
        [transfer_line("OK, 9 B (0 bytes captured)")])


@case
def usb2_data_too_long(_):
    p = read_base()[T_DATA - 1]
    n = MAX_DATA + 80
    data = p.data[:1] + bytes(n) + struct.pack("<H", crc16(bytes(n)))
    pkts = replaced(T_DATA, p.copy(data))
    return usb2_case(
        "usb2-data-too-long.pcap", pkts,
        ["The DATA1 packet of frame %d holds %d data bytes, more than the %d of any USB 2.0 "
         "data packet (its CRC16 is right)." % (T_DATA, n, MAX_DATA)],
        [line(T_DATA, "DATA1 packet of %d bytes; a data packet has 3 to %d"
              % (len(data), MAX_DATA + 3)),
         lost(None, "holds damaged (frame %d)" % T_DATA),
         summary(186, CONTROLS, 1)],
        [transfer_line("OK, 0 B")])


@case
def usb2_data_without_token(_):
    pkts = replaced(T_IN, read_base()[T_IN - 1])
    del pkts[T_IN - 1]
    # frames after the IN token move up by one
    return usb2_case(
        "usb2-data-without-token.pcap", pkts,
        ["The IN token before the DATA1 packet of the configuration descriptor (frame %d) "
         "is left out of the file: the data packet and its ACK belong to no transaction, "
         "and the transfer's data stage is missing (a data stage is never skipped on the "
         "bus when wLength is not 0, USB 2.0 section 8.5.3)." % T_IN],
        [lost(T_END - 1, "lacks (before frame %d)" % (T_STATUS_OUT - 1)),
         summary(185, CONTROLS, 0)],
        [transfer_line("OK, 0 B").replace("%d-%d" % (T_SETUP, T_END),
                                          "%d-%d" % (T_SETUP, T_END - 1))],
        removed=T_IN)
