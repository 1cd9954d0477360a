#!/usr/bin/env python3
"""Generate the malformed-capture corpus (tests/malformed/).

Every file here is a real capture (tests/data/real/nuttx-adb.pcapng: a Linux
usbmon capture of an ADB gadget enumerating, then bulk traffic) with one
thing broken on purpose. Beside each NAME.pcap / NAME.pcapng this writes
NAME.expect, which says what is wrong and what dfuscope must do about it:

    what:    what is wrong in the file (the first lines)
    args:    the dfuscope command line (FILE stands for the path)
    exit:    the exit status
    stderr:  every line dfuscope writes on standard error, exactly
    stdout:  lines that must appear on standard output (optional)
    good:    MALFORMED_FRAME=BASE_FRAME for each record that was not touched:
             decoded (`decode --urbs --json`) exactly as in the clean capture

The expected messages are built here from the values planted in the file
and from the bytes of the records (frame numbers, lengths, offsets, data,
descriptor fields), not copied from dfuscope's output. Usage:

    gen.py [OUTDIR]        write the corpus (default: beside this script)
    gen.py --big OUTDIR    write outstanding-100k.pcap (8 MB; check.py makes it
                           at test time, it is not kept in git)

The cases of the other link types (USBPcap, USB_DARWIN) are in gen_foreign.py,
hostile tool logs (NAME.txt) come from gen_logs.py, and what they share (the
clean captures, the writers, the .expect format) is gen_common.py. check.py
imports this file for the cases it makes at test time.
"""

import os
import struct
import sys

import gen_foreign
import gen_logs
import gen_usb2
from gen_common import (
    as_48, config_words, controls, ctl, data_of, get_descriptor, HDR64, HERE, ident,
    LT_USB_LINUX, LT_USB_LINUX_MMAPPED, MAX_RECORD, ng_block, ng_epb, ng_idb, ng_shb,
    NO_COMPLETION, ok_reply, pad4, pcap, pcap_file_header, pcap_record, pcapng, read_base, Rec,
    setup, SUMMARY, summary, write_case)

# ---- the cases ------------------------------------------------------------------------

CASES = []


def case(fn):
    CASES.append(fn)
    return fn

@case
def not_a_capture(base):
    data = b"this is a text file, not a capture\n"
    return "not-a-capture.pcap", data, dict(
        what=["A text file with a .pcap name."],
        exit=2,
        stderr=["dfuscope decode: FILE: not a pcap or pcapng capture (starts with bytes "
                "%s)" % " ".join("%02x" % c for c in data[:4])])


@case
def empty(base):
    return "empty.pcap", b"", dict(
        what=["An empty file."],
        exit=2, stderr=["dfuscope decode: FILE: empty file, not a capture"])


@case
def global_header_truncated(base):
    data = pcap(base)[:14]
    return "global-header-truncated.pcap", data, dict(
        what=["The pcap file header is cut after 14 of its 24 bytes (no records)."],
        exit=2, stderr=["dfuscope decode: FILE: pcap file header truncated (14 of 24 bytes)"])


@case
def pcap_version_3(base):
    data = pcap_file_header(major=3, minor=0) + b"".join(pcap_record(r) for r in base)
    return "pcap-version-3.pcap", data, dict(
        what=["The pcap file header says version 3.0; only 2.x exists."],
        exit=2, stderr=["dfuscope decode: FILE: pcap version 3.0 is not supported (only 2.x)"])


@case
def unknown_linktype(base):
    data = pcap(base, linktype=1)
    return "unknown-linktype.pcap", data, dict(
        what=["The file header says link type 1 (Ethernet); the records are usbmon."],
        exit=2,
        stderr=["dfuscope decode: FILE: link type 1 (ETHERNET) is not a USB capture dfuscope "
                "reads; it reads link types 189 (USB_LINUX), 220 (USB_LINUX_MMAPPED), 249 "
                "(USBPCAP) and 266 (USB_DARWIN)"])


@case
def usbpcap_linktype(base):
    data = pcap(base, linktype=249)
    # each record read as USBPcap: its first two bytes (the low bytes of the
    # usbmon URB id) are headerLen, which no record is long enough to hold
    err = []
    for i, r in enumerate(base, 1):
        hlen = struct.unpack_from("<H", r.data, 0)[0]
        assert hlen > len(r.data)
        err.append("FILE: frame %d: USBPcap headerLen %d is longer than the record (%d bytes); "
                   "record skipped [capture.record-short]" % (i, hlen, len(r.data)))
    more = len(base) - 20
    return "usbpcap-linktype.pcap", data, dict(
        what=["The file header says link type 249 (USBPcap, Windows); the records are usbmon.",
              "Read as USBPcap, every record's headerLen is longer than the record."],
        exit=0,
        stderr=err[:20] + [
            "FILE: %d more records had this problem after the first 20 reported (the first at "
            "frame 1, the last at frame %d) [capture.record-short]" % (more, len(base)),
            SUMMARY.format(records=len(base), controls=0, skipped=len(base), damaged=0)])


@case
def caplen_over_snaplen(base):
    snap = 80  # smaller than every record with data (64-byte header + data)
    data = pcap(base, snaplen=snap)
    over = [i + 1 for i, r in enumerate(base) if len(r.data) > snap]
    assert over
    err = ["FILE: frame %d: captured length %d exceeds the file's snapshot length %d"
           % (f, len(base[f - 1].data), snap) for f in over]
    return "caplen-over-snaplen.pcap", data, dict(
        what=["The file header's snapshot length is %d; %d records are longer "
              "(up to %d bytes)." % (snap, len(over), max(len(r.data) for r in base)),
              "Each is reported and decoded whole."],
        exit=0,
        stderr=err + [summary(47, controls(base), damaged=len(over))],
        good=ident(47))


@case
def caplen_over_origlen(base):
    k = 2  # device descriptor completion
    recs = pcap_file_header() + b"".join(
        pcap_record(r, origlen=(10 if i + 1 == k else None)) for i, r in enumerate(base))
    return "caplen-over-origlen.pcap", recs, dict(
        what=["Frame %d's record header says it captured %d bytes of an original 10."
              % (k, len(base[k - 1].data))],
        exit=0,
        stderr=["FILE: frame %d: captured length %d exceeds the original length 10"
                % (k, len(base[k - 1].data)),
                summary(47, controls(base), damaged=1)],
        good=ident(47))


@case
def caplen_below_usbmon_header(base):
    k = 12  # the configuration descriptor completion
    recs = list(base)
    recs[k - 1] = base[k - 1].copy(data=base[k - 1].data[:40])
    data = pcap(recs)
    return "caplen-below-usbmon-header.pcap", data, dict(
        what=["Frame %d (a completion) holds 40 bytes: less than the 64-byte usbmon "
              "header of link type 220." % k],
        exit=0,
        stderr=["FILE: frame %d: record of 40 bytes is shorter than the 64-byte usbmon "
                "header; record skipped [capture.record-short]" % k,
                # the submit of frame 11 then never completes
                summary(47, controls(base), skipped=1)],
        stdout=[ctl(base, "%d-" % (k - 1), base[k - 2],
                    "%s -> %s" % (get_descriptor(base[k - 2]), NO_COMPLETION))],
        args=["decode", "FILE"],
        good=ident(47, skip={k}))


@case
def len_cap_beyond_record(base):
    k = 12
    r = base[k - 1]
    assert r.len_cap == 32
    recs = list(base)
    recs[k - 1] = r.with_u32(36, 200)
    return "len-cap-beyond-record.pcap", pcap(recs), dict(
        what=["Frame %d's usbmon header says len_cap 200; the record holds the 32 bytes of "
              "the configuration descriptor." % k],
        exit=0,
        stderr=["FILE: frame %d: usbmon header announces 200 data bytes (len_cap) but the "
                "record holds 32; decoding what is there [capture.record-truncated]" % k,
                summary(47, controls(base), damaged=1)],
        good=ident(47, skip={k}))


@case
def len_cap_huge(base):
    k = 2
    recs = list(base)
    recs[k - 1] = base[k - 1].with_u32(36, 0xFFFFFFFF)
    return "len-cap-huge.pcap", pcap(recs), dict(
        what=["Frame %d's usbmon header says len_cap 0xffffffff (-1 as a signed number)." % k],
        exit=0,
        stderr=["FILE: frame %d: usbmon header announces 4294967295 data bytes (len_cap) but "
                "the record holds 18; decoding what is there [capture.record-truncated]" % k,
                summary(47, controls(base), damaged=1)],
        good=ident(47, skip={k}))


@case
def caplen_huge(base):
    k = 5
    parts = [pcap_file_header()]
    bad_at = None
    for i, r in enumerate(base):
        if i + 1 == k:
            bad_at = sum(len(p) for p in parts)
            parts.append(pcap_record(r, caplen=0xFFFFFFF0))
        else:
            parts.append(pcap_record(r))
    # the reader skips the bad header byte by byte up to the next record
    skipped = 16 + len(base[k - 1].data)
    return "caplen-huge.pcap", b"".join(parts), dict(
        what=["Frame %d's record header says caplen 0xfffffff0 (negative as a signed "
              "number); the record's real bytes follow." % k,
              "The reader cannot tell a damaged record header from junk: the next record it "
              "finds is numbered %d." % k],
        exit=0,
        stderr=["FILE: frame %d: record header claims 4294967280 captured bytes (more than "
                "the %d accepted): damaged record header at offset %d; resuming at the next "
                "plausible record, offset %d (%d bytes skipped)"
                % (k, MAX_RECORD, bad_at, bad_at + skipped, skipped),
                summary(46, controls(base[:k - 1] + base[k:]), damaged=1)],
        good=ident(47, skip={k}, shift_after=k, shift=-1))


@case
def ts_fraction_out_of_range(base):
    k = 3
    data = pcap_file_header() + b"".join(
        pcap_record(r, usec=(2500000 if i + 1 == k else None)) for i, r in enumerate(base))
    return "ts-fraction-out-of-range.pcap", data, dict(
        what=["Frame %d's time stamp has 2500000 microseconds." % k],
        exit=0,
        stderr=["FILE: frame %d: time stamp fraction 2500000 out of range" % k,
                summary(47, controls(base), damaged=1)],
        good=ident(47, skip={k}))


@case
def garbage_between_records(base):
    k = 20
    junk = bytes((i * 37 + 11) & 0xFF for i in range(37))
    parts, bad_at = [pcap_file_header()], None
    for i, r in enumerate(base):
        if i + 1 == k:
            bad_at = sum(len(p) for p in parts)
            parts.append(junk)
        parts.append(pcap_record(r))
    hdr = struct.unpack_from("<IIII", junk, 0)
    return "garbage-between-records.pcap", b"".join(parts), dict(
        what=["37 bytes of junk between frames %d and %d." % (k - 1, k)],
        exit=0,
        stderr=["FILE: frame %d: record header claims %d captured bytes (more than the %d "
                "accepted): damaged record header at offset %d; resuming at the next "
                "plausible record, offset %d (37 bytes skipped)"
                % (k, hdr[2], MAX_RECORD, bad_at, bad_at + 37),
                summary(47, controls(base), damaged=1)],
        good=ident(47))


@case
def bad_event_type(base):
    k = 9
    recs = list(base)
    recs[k - 1] = base[k - 1].with_u8(8, ord("X"))
    return "bad-event-type.pcap", pcap(recs), dict(
        what=["Frame %d's usbmon event type is 'X' (only S, C and E exist)." % k],
        exit=0,
        stderr=["FILE: frame %d: usbmon event type 0x58 is none of 'S', 'C', 'E'; record "
                "skipped [capture.bad-header]" % k,
                summary(47, controls(base[:k - 1] + base[k:]), skipped=1)],
        good=ident(47, skip={k}))


@case
def bad_transfer_type(base):
    k = 27
    recs = list(base)
    recs[k - 1] = base[k - 1].with_u8(9, 7)
    return "bad-transfer-type.pcap", pcap(recs), dict(
        what=["Frame %d's usbmon transfer type is 7 (only 0-3 exist)." % k],
        exit=0,
        stderr=["FILE: frame %d: usbmon transfer type 7 is none of iso (0), interrupt (1), "
                "control (2), bulk (3); record skipped [capture.bad-header]" % k,
                summary(47, controls(base), skipped=1)],
        good=ident(47, skip={k}))


@case
def ndesc_too_large(base):
    k = 30  # a bulk OUT submit with 99 bytes
    r = base[k - 1]
    assert r.len_cap == 99
    recs = list(base)
    recs[k - 1] = r.with_u32(60, 1000)
    return "ndesc-too-large.pcap", pcap(recs), dict(
        what=["Frame %d's header says ndesc 1000 (16000 bytes of isochronous descriptors) "
              "on a record with 99 bytes of data." % k],
        exit=0,
        stderr=["FILE: frame %d: ndesc 1000 announces 16000 bytes of isochronous descriptors "
                "but len_cap is 99 and 99 bytes follow the header; decoding what is there "
                "[capture.record-truncated]" % k,
                summary(47, controls(base), damaged=1)],
        good=ident(47, skip={k}))


@case
def data_flag_contradiction(base):
    k = 2
    recs = list(base)
    recs[k - 1] = base[k - 1].with_u8(15, ord("<"))
    return "data-flag-contradiction.pcap", pcap(recs), dict(
        what=["Frame %d carries 18 bytes of data but its data flag is '<' (no data)." % k],
        exit=0,
        stderr=["FILE: frame %d: len_cap 18 although the data flag '<' says no data follows; "
                "decoding what is there [capture.record-truncated]" % k,
                summary(47, controls(base), damaged=1)],
        good=ident(47, skip={k}))


@case
def urb_id_collision(base):
    # frame 13 (GET_DESCRIPTOR STRING submit) gets the URB id of frame 11, which
    # is still outstanding when 13 comes (its completion, 12, is moved after 13)
    recs = list(base)
    recs[11], recs[12] = base[12], base[11]  # frames 12 and 13 swap
    s13 = recs[11]
    d = bytearray(s13.data)
    d[0:8] = base[10].data[0:8]
    recs[11] = s13.copy(data=bytes(d))
    return "urb-id-collision.pcap", pcap(recs), dict(
        what=["Frame 12 submits with URB id 0x%x, the id of frame 11's submit, which has not "
              "completed yet (records lost, or a broken capture tool)." % base[10].urb_id,
              "Then frame 13 completes that id: it pairs with frame 12, and frame 11 never "
              "completes."],
        args=["decode", "FILE"],
        exit=0,
        stderr=[summary(47, controls(recs))],
        # 11 is left open; the submit now at 12 (once 13) pairs with the completion
        # now at 13 (once 12); the completion at 14 has lost its submit
        stdout=[ctl(base, "11-", base[10], "%s -> %s" % (get_descriptor(base[10]),
                                                         NO_COMPLETION)),
                ctl(base, "12-13", base[12], "%s -> %s" % (get_descriptor(base[12]),
                                                           ok_reply(base[11]))),
                ctl(base, "-14", base[13], "(setup not captured) -> %s"
                    % ok_reply(base[13], no_submit=True))],
        good=[(f, f) for f in range(1, 48) if f not in (12, 13)])


@case
def completion_before_submit(base):
    # frames 15 and 16 (a string descriptor request) in the wrong order
    recs = list(base)
    recs[14], recs[15] = base[15], base[14]
    return "completion-before-submit.pcap", pcap(recs), dict(
        what=["The completion of a GET_DESCRIPTOR STRING comes before its submit (frames 15 "
              "and 16 swapped)."],
        args=["decode", "FILE"],
        exit=0,
        stderr=[summary(47, controls(recs))],
        stdout=[ctl(base, "-15", base[15], "(setup not captured) -> %s"
                    % ok_reply(base[15], no_submit=True)),
                ctl(base, "16-", base[14], "%s -> %s" % (get_descriptor(base[14]),
                                                         NO_COMPLETION))],
        good=[(15, 16), (16, 15)] + [(f, f) for f in range(1, 48) if f not in (15, 16)])


@case
def submit_never_completed(base):
    recs = base[:9] + base[10:]  # frame 10 (completion of 9) dropped
    return "submit-never-completed.pcap", pcap(recs), dict(
        what=["The completion of frame 9 (GET_DESCRIPTOR CONFIGURATION, 9 bytes) is missing."],
        args=["decode", "FILE"],
        exit=0,
        stderr=[summary(46, controls(recs))],
        stdout=[ctl(base, "9-", base[8], "%s -> %s" % (get_descriptor(base[8]), NO_COMPLETION)),
                ctl(base, "10-11", base[10], "%s -> %s" % (
                    get_descriptor(base[10]),
                    ok_reply(base[11], words=config_words(data_of(base[11])))))],
        good=ident(47, skip={10}, shift_after=10, shift=-1))


@case
def absurd_descriptor_lengths(base):
    # the configuration descriptor (frame 12): wTotalLength 0xffff, and the
    # interface descriptor's bLength 0 (nothing after it can be walked)
    k = 12
    r = base[k - 1]
    cfg = data_of(r)
    assert cfg[1] == 2 and cfg[0] == 9  # a configuration descriptor, then the next one at 9
    d = bytearray(r.data)
    struct.pack_into("<H", d, HDR64 + 2, 0xFFFF)
    d[HDR64 + 9] = 0
    recs = list(base)
    recs[k - 1] = r.copy(data=bytes(d))
    return "absurd-descriptor-lengths.pcap", pcap(recs), dict(
        what=["The configuration descriptor (frame %d) says wTotalLength 65535 for %d bytes, "
              "and its interface descriptor has bLength 0." % (k, len(cfg))],
        args=["descriptors", "FILE"],
        exit=0,
        stderr=[],
        stdout=["    wTotalLength        0xffff",
                "    ** descriptor at offset 9 has bLength 0; the rest (%d bytes) cannot be "
                "walked" % (len(cfg) - 9),
                "    ** wTotalLength is 65535 but %d bytes were captured (the full read is not "
                "in the capture)" % len(cfg),
                # bNumInterfaces is untouched; no interface survives the walk
                "    ** bNumInterfaces is %d but 0 interface numbers are described" % cfg[4]],
        good=[(f, f) for f in range(1, 48) if f != k])


@case
def absurd_device_descriptor_length(base):
    # the device descriptor (frame 2) with bLength 255, and the string
    # descriptor of the product name (frame 16) with bLength 200 for 26 bytes
    k_dev, k_str = 2, 16
    dev = data_of(base[k_dev - 1])
    product = dev[15]                        # iProduct
    assert setup(base[k_str - 2])[2] == 0x0300 | product  # frame 15 asks for that string
    string = data_of(base[k_str - 1])
    name = string[2:].decode("utf-16-le")
    recs = list(base)
    recs[k_dev - 1] = base[k_dev - 1].with_u8(HDR64, 255)
    recs[k_str - 1] = base[k_str - 1].with_u8(HDR64, 200)
    return "absurd-device-descriptor-length.pcap", pcap(recs), dict(
        what=["The device descriptor (frame %d) has bLength 255 (it must be 18), and the "
              "product string (frame %d) bLength 200 for the %d bytes returned."
              % (k_dev, k_str, len(string))],
        args=["descriptors", "FILE"],
        exit=0,
        stderr=[],
        stdout=["  %-22s%6d" % ("bLength", 255),
                "  ** device descriptor bLength 255; it must be 18",
                "  %-22s%6d %s" % ("iProduct", product, name),
                "  ** string %d: string descriptor bLength 200 but only %d bytes were returned"
                % (product, len(string))],
        good=[(f, f) for f in range(1, 48) if f not in (k_dev, k_str)])


@case
def pcapng_bad_block_length(base):
    k = 7
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED)]
    bad_at = None
    for i, r in enumerate(base):
        if i + 1 == k:
            bad_at = sum(len(p) for p in parts)
            blk = ng_epb(r, trailer=0x12345678)
            skipped = len(blk)
            parts.append(blk)
        else:
            parts.append(ng_epb(r))
    n = 12 + 20 + len(pad4(base[k - 1].data))
    return "pcapng-bad-block-length.pcapng", b"".join(parts), dict(
        what=["Frame %d's packet block says total length %d at its start and 0x12345678 at "
              "its end." % (k, n),
              "A damaged packet block still counts as a frame: later frames keep their "
              "numbers."],
        exit=0,
        stderr=["FILE: frame %d: block of type 0x00000006: total length %d at its start but "
                "305419896 at its end at offset %d; resuming at the next valid block, offset "
                "%d (%d bytes skipped)" % (k, n, bad_at, bad_at + skipped, skipped),
                summary(46, controls(base[:k - 1] + base[k:]), damaged=1)],
        good=ident(47, skip={k}))


@case
def pcapng_block_length_not_aligned(base):
    k = 25
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED)]
    bad_at = None
    for i, r in enumerate(base):
        if i + 1 == k:
            bad_at = sum(len(p) for p in parts)
            blk = ng_epb(r)
            n = len(blk)
            blk = blk[:4] + struct.pack("<I", n + 2) + blk[8:]
            parts.append(blk)
        else:
            parts.append(ng_epb(r))
    return "pcapng-block-length-not-aligned.pcapng", b"".join(parts), dict(
        what=["Frame %d's packet block says total length %d, not a multiple of 4." % (k, n + 2),
              "A damaged packet block still counts as a frame: later frames keep their "
              "numbers."],
        exit=0,
        stderr=["FILE: frame %d: packet block of type 0x00000006 has an invalid total length %d "
                "at offset %d; resuming at the next valid block, offset %d (%d bytes skipped)"
                % (k, n + 2, bad_at, bad_at + n, n),
                summary(46, controls(base[:k - 1] + base[k:]), damaged=1)],
        good=ident(47, skip={k}))


@case
def pcapng_block_length_huge(base):
    k = 40
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED)]
    bad_at = None
    for i, r in enumerate(base):
        if i + 1 == k:
            bad_at = sum(len(p) for p in parts)
            blk = ng_epb(r, length=0xFFFFFFF0)
            n = len(blk)
            parts.append(blk)
        else:
            parts.append(ng_epb(r))
    return "pcapng-block-length-huge.pcapng", b"".join(parts), dict(
        what=["Frame %d's packet block says total length 0xfffffff0." % k,
              "A damaged packet block still counts as a frame: later frames keep their "
              "numbers."],
        exit=0,
        stderr=["FILE: frame %d: packet block of type 0x00000006 has an invalid total length "
                "4294967280 at offset %d; resuming at the next valid block, offset %d (%d bytes "
                "skipped)" % (k, bad_at, bad_at + n, n),
                summary(46, controls(base[:k - 1] + base[k:]), damaged=1)],
        good=ident(47, skip={k}))


@case
def pcapng_epb_caplen_huge(base):
    k = 2
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED)]
    for i, r in enumerate(base):
        parts.append(ng_epb(r, caplen=(0xFFFFFFFF if i + 1 == k else None)))
    room = len(pad4(base[k - 1].data))
    return "pcapng-epb-caplen-huge.pcapng", b"".join(parts), dict(
        what=["Frame %d's packet block says it captured 0xffffffff bytes; it has room for %d."
              % (k, room)],
        exit=0,
        stderr=["FILE: frame %d: packet block claims 4294967295 captured bytes but has room for "
                "%d; using %d" % (k, room, room),
                "FILE: frame %d: captured length %d exceeds the original length %d"
                % (k, room, base[k - 1].origlen),
                summary(47, controls(base), damaged=2)],
        good=ident(47, skip={k}))


@case
def pcapng_unknown_interface(base):
    k = 33
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED)]
    for i, r in enumerate(base):
        parts.append(ng_epb(r, ifid=(5 if i + 1 == k else 0)))
    return "pcapng-unknown-interface.pcapng", b"".join(parts), dict(
        what=["Frame %d's packet block names interface 5; the section describes one." % k],
        exit=0,
        stderr=["FILE: frame %d: packet block refers to interface 5, but the section describes "
                "1; record skipped" % k,
                summary(46, controls(base[:k - 1] + base[k:]), damaged=1)],
        good=ident(47, skip={k}))


@case
def pcapng_interfaces_mixed(base):
    # interface 0: usbmon 64-byte, 1: usbmon 48-byte, 2: Ethernet. Frames from
    # 20 on alternate between interfaces 0 and 1; an Ethernet frame after 30.
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED), ng_idb(LT_USB_LINUX), ng_idb(1)]
    good, frame = [], 0
    eth = Rec(base[29].sec, base[29].usec, bytes(range(60)), linktype=1)
    for i, r in enumerate(base):
        f = i + 1
        if f >= 20 and f % 2:
            parts.append(ng_epb(as_48(r), ifid=1))
        else:
            parts.append(ng_epb(r, ifid=0))
        frame += 1
        good.append((frame, f))
        if f == 30:
            parts.append(ng_epb(eth, ifid=2))
            frame += 1
            eth_frame = frame
    return "pcapng-interfaces-mixed.pcapng", b"".join(parts), dict(
        what=["One section, three interfaces: usbmon with 64-byte headers (link type 220), "
              "usbmon with 48-byte headers (189) and Ethernet (1). From frame 20 on the usbmon "
              "records alternate between the first two; frame %d is an Ethernet frame." % eth_frame],
        exit=0,
        stderr=["FILE: frame %d: link type 1 (ETHERNET) is not a USB capture dfuscope reads; "
                "records of this link type are skipped" % eth_frame,
                summary(48, controls(base), skipped=1)],
        good=good, portable=True)


INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)


def reltime(sec, usec, base_sec, base_usec):
    """How `dfuscope decode` shows a time since the first record: exact, or
    the bound ">9223372036854775807" / "<-9223372036854775808" when the
    seconds alone differ by 2^63 or more."""
    ds = sec - base_sec
    if ds >= INT64_MAX:
        return ">%d" % INT64_MAX
    if ds <= INT64_MIN:
        return "<%d" % INT64_MIN
    us = ds * 1000000 + usec - base_usec
    return "%s%d.%06d" % ("-" if us < 0 else "", abs(us) // 1000000, abs(us) % 1000000)


def ctl_at(frames, sec, usec, base_sec, base_usec, text):
    """ctl() for a submit seen at sec.usec, the first record at base_sec.base_usec."""
    return "%13s %12s %3u.%-3u %s" % (frames, reltime(sec, usec, base_sec, base_usec), 1, 35,
                                      text)


@case
def ts_far_future(base):
    # an EPB time stamp of 2^64-1 microseconds: 18446744073709.551615 s, far
    # beyond what the first record's time can be subtracted from in
    # nanoseconds within 64 bits
    k = 15  # GET_DESCRIPTOR STRING 2 (frames 15-16)
    t = (1 << 64) - 1
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED)]
    for i, r in enumerate(base):
        parts.append(ng_epb(r, t=(t if i + 1 == k else None)))
    sub = base[k - 1]
    return "ts-far-future.pcapng", b"".join(parts), dict(
        what=["Frame %d's time stamp is 2^64-1 microseconds: %d s after the "
              "first record." % (k, t // 1000000 - base[0].sec)],
        args=["decode", "FILE"],
        exit=0,
        stderr=[summary(47, controls(base))],
        stdout=[ctl_at("%d-%d" % (k, k + 1), t // 1000000, t % 1000000, base[0].sec, base[0].usec,
                       "%s -> %s" % (get_descriptor(sub), ok_reply(base[k], '"Debug Bridge"'))),
                ctl(base, "%d-%d" % (k + 2, k + 3), base[k + 1],
                    "%s -> %s" % (get_descriptor(base[k + 1]), ok_reply(base[k + 2], '"NuttX"')))],
        good=ident(47, skip={k}))


@case
def ts_offset_extremes(base):
    # two interfaces: if_tsoffset -2^63 s on the first (frames 1-14), +2^63-1 s
    # on the second (frames 15 on); the second's times saturate at 2^63-1 s, and
    # their distance from the first record does not fit in 64 bits
    k = 15
    parts = [ng_shb(), ng_idb(LT_USB_LINUX_MMAPPED, tsoffset=INT64_MIN),
             ng_idb(LT_USB_LINUX_MMAPPED, tsoffset=INT64_MAX)]
    for i, r in enumerate(base):
        parts.append(ng_epb(r, ifid=(0 if i + 1 < k else 1)))
    first = (base[0].sec + INT64_MIN, base[0].usec)
    seen = [(min(r.sec + (INT64_MIN if i + 1 < k else INT64_MAX), INT64_MAX), r.usec)
            for i, r in enumerate(base)]
    return "ts-offset-extremes.pcapng", b"".join(parts), dict(
        what=["Two interfaces: if_tsoffset -2^63 s on the first (frames 1-%d), 2^63-1 s on the "
              "second (frames %d-47), whose times saturate at 2^63-1 s: the two sets lie more "
              "than 2^63 s apart." % (k - 1, k)],
        args=["decode", "FILE"],
        exit=0,
        stderr=[summary(47, controls(base))],
        stdout=[ctl_at("%d-%d" % (f, f + 1), seen[f - 1][0], seen[f - 1][1], first[0], first[1],
                       "%s -> %s" % (get_descriptor(base[f - 1]), ok_reply(base[f], w)))
                for f, w in ((11, config_words(data_of(base[11]))), (13, "LANGID 0x0409"),
                             (15, '"Debug Bridge"'), (17, '"NuttX"'))])


def ng_isb(ifid, ts_us, options=b"", length=None):
    """Interface statistics block: interface id, time stamp (microseconds, the
    interface's if_tsresol), options as given (opt_endofopt added)."""
    body = struct.pack("<III", ifid, ts_us >> 32, ts_us & 0xFFFFFFFF) + options + \
        struct.pack("<HH", 0, 0)
    return ng_block(5, body, length)


def isb_time(code, us):
    """isb_starttime (2) / isb_endtime (3): high word, then low word."""
    return struct.pack("<HHII", code, 8, us >> 32, us & 0xFFFFFFFF)


def isb_u64(code, v):
    """isb_ifrecv (4) / isb_ifdrop (5)."""
    return struct.pack("<HHQ", code, 8, v)


def us_of(r):
    return r.sec * 1000000 + r.usec


def with_isb(base, isb):
    """The clean capture as pcapng, the statistics block after the last record;
    returns the file and the block's offset."""
    head = pcapng(base)
    return head + isb, len(head)


@case
def pcapng_isb_too_short(base):
    # 8 bytes of body: the interface id and half the time stamp
    isb = ng_block(5, struct.pack("<II", 0, 0))
    data, at = with_isb(base, isb)
    return "pcapng-isb-too-short.pcapng", data, dict(
        what=["After the last record, an interface statistics block of 20 bytes: too short "
              "for its interface id and time stamp (24 bytes at least)."],
        exit=0,
        stderr=["FILE: interface statistics block at offset %d: 20 bytes, too short for its "
                "fields (24 minimum); block ignored" % at,
                summary(47, controls(base), damaged=1)],
        good=ident(47))


@case
def pcapng_isb_unknown_interface(base):
    end = us_of(base[-1]) + 10 * 1000000
    isb = ng_isb(2, end, isb_time(3, end) + isb_u64(4, 47))
    data, at = with_isb(base, isb)
    return "pcapng-isb-unknown-interface.pcapng", data, dict(
        what=["The interface statistics block after the last record names interface 2; the "
              "section describes one.",
              "Its end time (10 s after the last record) is not used."],
        exit=0,
        stderr=["FILE: interface statistics block at offset %d refers to interface 2, but "
                "the section describes 1; block ignored" % at,
                summary(47, controls(base), damaged=1)],
        good=ident(47))


@case
def pcapng_isb_option_overrun(base):
    end = us_of(base[-1]) + 10 * 1000000
    # isb_ifrecv, then an isb_endtime whose length (200) runs past the block
    opts = isb_u64(4, 47) + struct.pack("<HHII", 3, 200, end >> 32, end & 0xFFFFFFFF)
    isb = ng_isb(0, end, opts)
    data, at = with_isb(base, isb)
    return "pcapng-isb-option-overrun.pcapng", data, dict(
        what=["The interface statistics block after the last record has an isb_endtime "
              "option claiming 200 bytes; the block ends 12 bytes later.",
              "None of the block is used, not even the isb_ifrecv before it."],
        exit=0,
        stderr=["FILE: interface statistics block at offset %d: option 3 (200 bytes) runs "
                "past the end of the block; block ignored" % at,
                summary(47, controls(base), damaged=1)],
        good=ident(47))


@case
def pcapng_isb_end_before_last_record(base):
    last = us_of(base[-1])
    end = last - 1500000
    isb = ng_isb(0, end, isb_time(2, us_of(base[0])) + isb_time(3, end) + isb_u64(4, 47) +
                 isb_u64(5, 0))
    data, at = with_isb(base, isb)
    return "pcapng-isb-end-before-last-record.pcapng", data, dict(
        what=["The interface statistics block after the last record says the capture "
              "stopped 1.5 s before that record (frame 47).",
              "The end time is not used; the block is otherwise sound."],
        exit=0,
        stderr=["FILE: interface statistics block at offset %d: isb_endtime is 1.500000 s "
                "before the last record (frame 47); end time ignored" % at,
                summary(47, controls(base))],
        good=ident(47))


# ---- test-time files ----------------------------------------------------------------


def write_big(outdir, base, n=100000):
    """100000 control submits that never complete, each with its own URB id."""
    s = base[0]
    parts = [pcap_file_header()]
    for i in range(n):
        d = bytearray(s.data)
        struct.pack_into("<Q", d, 0, 0xffff900000000000 + i * 0x100)
        usec = s.usec + i * 10
        parts.append(struct.pack("<IIII", s.sec + usec // 1000000, usec % 1000000,
                                 len(d), len(d)) + bytes(d))
    path = os.path.join(outdir, "outstanding-100k.pcap")
    with open(path, "wb") as f:
        f.write(b"".join(parts))
    return path


def main(argv):
    base = read_base()
    if len(argv) > 1 and argv[1] == "--big":
        print(write_big(argv[2], base))
        return 0
    outdir = argv[1] if len(argv) > 1 else HERE
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "base.pcap"), "wb") as f:
        f.write(pcap(base))
    for read, _, name, lt in gen_foreign.FOREIGN.values():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(pcap(read(), linktype=lt))
    gen_usb2.write_base(outdir)
    for fn in CASES + gen_foreign.CASES + gen_logs.CASES + gen_usb2.CASES:
        name, data, exp = fn(base)
        write_case(outdir, name, data, exp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

