"""The malformed corpus of the other link types (gen.py writes it): each case
starts from a real capture (USBPcap, link type 249; USB_DARWIN, link type
266) and breaks one record; the expectations are built from the values
planted and from the records' own fields."""

import os
import struct

from gen_common import HERE, pcap, read_pcapng, summary

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# ---- USBPcap (link type 249) ---------------------------------------------------------
#
# The cases below start from a real Windows capture instead
# (tests/data/real/bluepill-bootloader_usb-windows.pcapng: USBPcap records
# of a DFU bootloader enumerating, 608 records), written clean as
# usbpcap-base.pcap; their good records are compared with that file's decode
# ("base:" in the .expect).

REAL_USBPCAP = os.path.join(HERE, "..", "data", "real", "bluepill-bootloader_usb-windows.pcapng")
LT_USBPCAP = 249
USBPCAP_BASE = "usbpcap-base.pcap"
UP_HDR = 27           # the pseudo header without the control stage byte
_usbpcap = []


def read_usbpcap_base():
    """The records of the real USBPcap pcapng (link type 249), read once."""
    if not _usbpcap:
        _usbpcap.extend(read_pcapng(REAL_USBPCAP, LT_USBPCAP, 608))
    return _usbpcap


def usbpcap_fields(r):
    """headerLen, irpId, status, function, info, bus, device, endpoint,
    transfer, dataLength, stage (None outside control records)."""
    f = struct.unpack_from("<HQIHBHHBBI", r.data, 0)
    stage = r.data[UP_HDR] if f[8] == 2 and f[0] > UP_HDR else None
    return f + (stage,)


def usbpcap_controls(recs):
    """Control transfers: each SETUP record starts one; a record on the way
    back (info bit 0) whose IRP has no SETUP open is one of its own (the
    capture began while it was in flight)."""
    n, open_irps = 0, set()
    for r in recs:
        hl, irp, _, _, info, _, _, _, xfer, _, stage = usbpcap_fields(r)
        if xfer != 2:
            continue
        if stage == 0 and not info & 1:
            n += 1
            open_irps.add(irp)
        elif info & 1 and irp not in open_irps:
            n += 1
            open_irps.add(irp)
        if stage in (2, 3) and info & 1:
            open_irps.discard(irp)
    return n


def foreign_case(fmt, k, rec, what, problem, skipped=False, damaged=False, bad=False):
    """A copy of the clean capture of fmt ("usbpcap", "darwin") with frame k
    replaced by rec, and the expectation: the problem named at frame k,
    every other record decoded as in the clean capture."""
    read, controls_of, base_name, lt = FOREIGN[fmt]
    base = read()
    recs = list(base)
    recs[k - 1] = rec
    code = "capture.bad-header" if bad else \
        "capture.record-short" if skipped else "capture.record-truncated"
    tail = "record skipped" if skipped or bad else "decoding what is there"
    return pcap(recs, linktype=lt), dict(
        what=what,
        exit=0,
        stderr=["FILE: frame %d: %s; %s [%s]" % (k, problem, tail, code),
                summary(len(base), controls_of(base), skipped=1 if skipped or bad else 0,
                        damaged=1 if damaged else 0)],
        good=[(f, f) for f in range(1, len(base) + 1) if f != k],
        base=base_name)


def usbpcap_case(k, rec, what, problem, **kw):
    return foreign_case("usbpcap", k, rec, what, problem, **kw)


# frame 3: the STATUS record (on the way back, no data) that ends the first
# control transfer, a GET_DESCRIPTOR(DEVICE) whose IN data came in frame 2
US_STATUS = 3
US_DATA = 2


@case
def usbpcap_header_truncated(base):
    r = read_usbpcap_base()[US_STATUS - 1]
    assert usbpcap_fields(r)[10] == 2 and len(r.data) == 28
    data, exp = usbpcap_case(
        US_STATUS, r.copy(data=r.data[:20]),
        ["Frame %d (a USBPcap STATUS record of 28 bytes) is cut after 20 bytes: less than "
         "the 27-byte USBPcap pseudo header." % US_STATUS],
        "record of 20 bytes is shorter than the 27-byte USBPcap header", skipped=True)
    return "usbpcap-header-truncated.pcap", data, exp


@case
def usbpcap_headerlen_beyond_record(base):
    r = read_usbpcap_base()[US_STATUS - 1]
    d = bytearray(r.data)
    struct.pack_into("<H", d, 0, 1024)
    data, exp = usbpcap_case(
        US_STATUS, r.copy(data=bytes(d)),
        ["Frame %d's USBPcap headerLen says 1024; the record holds %d bytes."
         % (US_STATUS, len(d))],
        "USBPcap headerLen 1024 is longer than the record (%d bytes)" % len(d), skipped=True)
    return "usbpcap-headerlen-beyond-record.pcap", data, exp


@case
def usbpcap_headerlen_short(base):
    r = read_usbpcap_base()[US_STATUS - 1]
    d = bytearray(r.data)
    struct.pack_into("<H", d, 0, 20)
    data, exp = usbpcap_case(
        US_STATUS, r.copy(data=bytes(d)),
        ["Frame %d's USBPcap headerLen says 20, less than the 27 bytes of the pseudo "
         "header's own fields." % US_STATUS],
        "USBPcap headerLen 20 is shorter than the 27-byte header", bad=True)
    return "usbpcap-headerlen-short.pcap", data, exp


@case
def usbpcap_datalength_lies(base):
    r = read_usbpcap_base()[US_DATA - 1]
    hl, _, _, _, info, _, _, _, xfer, dlen, stage = usbpcap_fields(r)
    assert xfer == 2 and stage == 1 and info & 1 and dlen == len(r.data) - hl
    d = bytearray(r.data)
    struct.pack_into("<I", d, 23, dlen + 100)
    data, exp = usbpcap_case(
        US_DATA, r.copy(data=bytes(d)),
        ["Frame %d (the IN data of a control transfer) says dataLength %d; the record holds "
         "the %d bytes of the device descriptor." % (US_DATA, dlen + 100, dlen)],
        "USBPcap dataLength %d but the record holds %d bytes after the header"
        % (dlen + 100, dlen), damaged=True)
    return "usbpcap-datalength-lies.pcap", data, exp


@case
def usbpcap_transfer_type_unknown(base):
    r = read_usbpcap_base()[US_STATUS - 1]
    data, exp = usbpcap_case(
        US_STATUS, r.with_u8(22, 7),
        ["Frame %d's USBPcap transfer type is 7: none of iso, interrupt, control, bulk or "
         "IRP_INFO." % US_STATUS],
        "USBPcap transfer type 0x07 is none of iso (0), interrupt (1), control (2), bulk (3), "
        "IRP_INFO (0xfe)", bad=True)
    return "usbpcap-transfer-type-unknown.pcap", data, exp


@case
def usbpcap_control_stage_bad(base):
    r = read_usbpcap_base()[US_STATUS - 1]
    data, exp = usbpcap_case(
        US_STATUS, r.with_u8(UP_HDR, 9),
        ["Frame %d's USBPcap control stage byte is 9: none of SETUP, DATA, STATUS, COMPLETE."
         % US_STATUS],
        "USBPcap control stage 9 is none of SETUP (0), DATA (1), STATUS (2), COMPLETE (3)",
        bad=True)
    return "usbpcap-control-stage-bad.pcap", data, exp


# ---- USB_DARWIN (link type 266) ------------------------------------------------------
#
# From the real macOS capture of the same device
# (tests/data/real/bluepill-bootloader_usb-mac.pcapng, 617 records), written
# clean as darwin-base.pcap.

REAL_DARWIN = os.path.join(HERE, "..", "data", "real", "bluepill-bootloader_usb-mac.pcapng")
LT_DARWIN = 266
DARWIN_BASE = "darwin-base.pcap"
DW_HDR = 32
_darwin = []


def read_darwin_base():
    """The records of the real USB_DARWIN pcapng (link type 266), read once."""
    if not _darwin:
        _darwin.extend(read_pcapng(REAL_DARWIN, LT_DARWIN, 617))
    return _darwin


def darwin_fields(r):
    """version, header length, request (0 submit, 1 complete), I/O length,
    status, frame count, I/O id, location, speed, device, endpoint, type."""
    return struct.unpack_from("<HBBIIIQIBBBB", r.data, 0)


def darwin_controls(recs):
    """Control transfers: each control submit starts one; a completion whose
    I/O id has no submit open is one of its own."""
    n, open_ids = 0, set()
    for r in recs:
        f = darwin_fields(r)
        if f[11] != 0:
            continue
        if f[2] == 0:
            n += 1
            open_ids.add(f[6])
        elif f[6] in open_ids:
            open_ids.discard(f[6])
        else:
            n += 1
    return n


FOREIGN = {
    "usbpcap": (read_usbpcap_base, usbpcap_controls, USBPCAP_BASE, LT_USBPCAP),
    "darwin": (read_darwin_base, darwin_controls, DARWIN_BASE, LT_DARWIN),
}

# frame 2: the completion of the first GET_DESCRIPTOR (8 bytes of data)
DW_DONE = 2


def dw_done():
    r = read_darwin_base()[DW_DONE - 1]
    f = darwin_fields(r)
    assert f[1] == DW_HDR and f[2] == 1 and f[11] == 0 and len(r.data) == DW_HDR + 8
    return r


@case
def darwin_header_truncated(base):
    r = dw_done()
    data, exp = foreign_case(
        "darwin", DW_DONE, r.copy(data=r.data[:20]),
        ["Frame %d (a USB_DARWIN control completion of 40 bytes) is cut after 20 bytes: less "
         "than the 32-byte header." % DW_DONE],
        "record of 20 bytes is shorter than the 32-byte USB_DARWIN header", skipped=True)
    return "darwin-header-truncated.pcap", data, exp


@case
def darwin_hdrlen_beyond_record(base):
    r = dw_done()
    data, exp = foreign_case(
        "darwin", DW_DONE, r.with_u8(2, 200),
        ["Frame %d's USB_DARWIN header length says 200; the record holds %d bytes."
         % (DW_DONE, len(r.data))],
        "USB_DARWIN header length 200 is longer than the record (%d bytes)" % len(r.data),
        skipped=True)
    return "darwin-hdrlen-beyond-record.pcap", data, exp


@case
def darwin_hdrlen_short(base):
    r = dw_done()
    data, exp = foreign_case(
        "darwin", DW_DONE, r.with_u8(2, 16),
        ["Frame %d's USB_DARWIN header length says 16, less than the 32 bytes of the "
         "header's own fields." % DW_DONE],
        "USB_DARWIN header length 16 is shorter than the 32-byte header", bad=True)
    return "darwin-hdrlen-short.pcap", data, exp


@case
def darwin_request_type_bad(base):
    r = dw_done()
    data, exp = foreign_case(
        "darwin", DW_DONE, r.with_u8(3, 5),
        ["Frame %d's USB_DARWIN request type is 5: neither submit nor complete." % DW_DONE],
        "USB_DARWIN request type 5 is neither submit (0) nor complete (1)", bad=True)
    return "darwin-request-type-bad.pcap", data, exp


@case
def darwin_endpoint_type_bad(base):
    r = dw_done()
    data, exp = foreign_case(
        "darwin", DW_DONE, r.with_u8(31, 9),
        ["Frame %d's USB_DARWIN endpoint type is 9: none of control, isochronous, bulk, "
         "interrupt." % DW_DONE],
        "USB_DARWIN endpoint type 9 is none of control (0), isochronous (1), bulk (2), "
        "interrupt (3)", bad=True)
    return "darwin-endpoint-type-bad.pcap", data, exp
