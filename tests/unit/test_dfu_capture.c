/* The DFU layer's findings about the capture and the bus, not the device:
 * capture.* (records cut short or malformed, URBs reused, never completed or
 * beyond the limit, packets and transactions of a packet-level capture, the
 * enumeration missing) and usb.* (a transfer the host cancelled or lost to a
 * disconnect). Each has its scenario here, built and checked as test_dfu.c
 * says; test_dfu.c's executable runs them with its own (dfu_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dfu_rig.h"
#include "records.h"

static void sc_device_disconnected(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint8_t st[8];
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    uint64_t get = sess_ctl(s, st, NULL, 0, -108, NULL, 0);
    sess_finish(s);
    WANT(e, "usb.device-disconnected", DONE(get), DONE(get));
}

static void sc_transfer_cancelled(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint8_t st[8];
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    uint64_t get = sess_ctl(s, st, NULL, 0, -2, NULL, 0);
    sess_finish(s);
    WANT(e, "usb.transfer-cancelled", DONE(get), get, DONE(get));
}

static void sc_capture_record_short(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    uint8_t buf[20] = {0};
    struct dfs_record r = {.frame = 1, .linktype = DFS_LINKTYPE_USB_LINUX, .caplen = 20,
                           .origlen = 20, .data = buf};
    assert_int_equal(dfs_decoder_feed(s->d, &r), DFS_OK);
    sess_finish(s);
    WANT(e, "capture.record-short", r.frame, r.frame);
}

/* Feed u as a record cut short by `cut` bytes; returns its frame. */
static uint64_t feed_raw(struct sess *s, const struct dfs_urb *u, uint32_t cut)
{
    uint8_t buf[256];
    size_t n = dfs_usbmon_encode(u, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    struct dfs_record r = {.frame = ++s->frame, .ts = s->now, .linktype = DFS_LINKTYPE_USB_LINUX,
                           .caplen = (uint32_t)(n - cut), .origlen = (uint32_t)n, .data = buf};
    assert_int_equal(dfs_decoder_feed(s->d, &r), DFS_OK);
    return r.frame;
}

static void sc_capture_record_truncated(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    uint8_t data[18] = {18, 1};
    struct dfs_urb c = urb_ctl_complete(1, 1, 6, 0x80, 0, data, 18, 18);
    uint64_t f = feed_raw(s, &c, 10);
    sess_finish(s);
    WANT(e, "capture.record-truncated", f, f);
}

static void sc_capture_bad_header(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    struct dfs_urb c;
    memset(&c, 0, sizeof c);
    c.type = 'Q';
    c.xfer_type = DFS_XFER_CONTROL;
    uint64_t f = feed_raw(s, &c, 0);
    sess_finish(s);
    WANT(e, "capture.bad-header", f, f);
}

/* One packet of a packet-level USB 2.0 capture (link type 288). */
static uint64_t feed_packet(struct sess *s, const uint8_t *p, uint32_t n)
{
    struct dfs_record r = {.frame = ++s->frame, .ts = s->now, .linktype = DFS_LINKTYPE_USB_2_0,
                           .caplen = n, .origlen = n, .data = p};
    assert_int_equal(dfs_decoder_feed(s->d, &r), DFS_OK);
    return r.frame;
}

/* Frame 4 of Packetry's bad-crcs capture: an IN token to 7.1 whose CRC5 is
 * 0x1B where 0x19 is due (Wireshark: "Wrong CRC [should be 0x0019]"). */
static void sc_capture_bad_packet(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    static const uint8_t in_bad_crc[3] = {0x69, 0xB7, 0xDB};
    uint64_t f = feed_packet(s, in_bad_crc, 3);
    sess_finish(s);
    WANT(e, "capture.bad-packet", f, f);
}

/* An ACK with no token before it, then an IN token nothing answers. */
static void sc_capture_half_transaction(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    static const uint8_t ack[1] = {0xD2}, in_7_1[3] = {0x69, 0x87, 0xD8};
    uint64_t f = feed_packet(s, ack, 1);
    uint64_t g = feed_packet(s, in_7_1, 3);
    sess_finish(s);
    WANT(e, "capture.half-transaction", f, f);
    WANT(e, "capture.half-transaction", g, g);
}

static void sc_urb_id_reused(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    uint8_t st[8];
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    uint64_t first = sess_submit_only(s, st);
    s->next_id -= 0x40; /* the same URB id again */
    uint64_t again = sess_submit_only(s, st);
    sess_finish(s);
    WANT(e, "capture.urb-id-reused", again, first, again);
}

static void sc_starts_mid_transfer(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    /* a bulk IN completion with no data (flag '>') whose submit came before
     * the capture began */
    struct dfs_urb c = urb_ctl_complete(77, 1, 6, 0x81, 0, NULL, 0, 0);
    c.xfer_type = DFS_XFER_BULK;
    uint64_t f = feed_raw(s, &c, 0);
    sess_finish(s);
    WANT(e, "capture.starts-mid-transfer", f, f);
}

static void sc_urb_never_completed(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    uint8_t st[8];
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    uint64_t sub = sess_submit_only(s, st);
    sess_finish(s);
    WANT(e, "capture.urb-never-completed", sub, sub);
}

static void sc_limit_reached(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    dfs_decoder_free(s->d);
    struct dfs_options o;
    dfs_options_init(&o);
    o.max_urbs = 4;
    struct dfs_sink sink = {.user = s, .on_finding = sess_on_finding};
    assert_int_equal(dfs_decoder_new(&o, &sink, &s->d), DFS_OK);
    uint8_t st[8];
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    uint64_t sub[6];
    for (int i = 0; i < 6; i++)
        sub[i] = sess_submit_only(s, st);
    sess_finish(s);
    /* 4 outstanding at most: the fifth and the sixth submissions each drop
     * the oldest */
    WANT(e, "capture.limit-reached", sub[4], sub[4]);
    WANT(e, "capture.limit-reached", sub[5], sub[5]);
}

/* DFU requests to a device whose enumeration the capture does not hold. */
static void sc_enumeration_missing(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    uint64_t get = sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    WANT(e, "capture.enumeration-missing", get, get);
}

const struct scenario capture_scenarios[] = {
    {"usb.device-disconnected", sc_device_disconnected},
    {"usb.transfer-cancelled", sc_transfer_cancelled},
    {"capture.record-short", sc_capture_record_short},
    {"capture.record-truncated", sc_capture_record_truncated},
    {"capture.bad-header", sc_capture_bad_header},
    {"capture.urb-id-reused", sc_urb_id_reused},
    {"capture.starts-mid-transfer", sc_starts_mid_transfer},
    {"capture.urb-never-completed", sc_urb_never_completed},
    {"capture.limit-reached", sc_limit_reached},
    {"capture.bad-packet", sc_capture_bad_packet},
    {"capture.half-transaction", sc_capture_half_transaction},
    {"capture.enumeration-missing", sc_enumeration_missing},
};
const size_t n_capture_scenarios = sizeof capture_scenarios / sizeof capture_scenarios[0];
