/* URB pairing, control transfer reconstruction, API states and device
 * tracking, all through the public decoder API (dfs_decoder_new / feed /
 * finish) with a sink that records every event. Records are hand-built with
 * dfs_usbmon_encode (records.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "recorder.h"

#define EINPROGRESS_ (-115)
#define EPIPE_ (-32)
#define ENODEV_ (-19)
#define ESHUTDOWN_ (-108)
#define ENOENT_ (-2)

/* STM32 system bootloader (dfu-facts.md section 4): 0483:df11 rev 2.00 */
static const uint8_t dev_desc_df11[18] = {18,   1,    0x00, 0x02, 0, 0, 0, 64, 0x83,
                                          0x04, 0x11, 0xdf, 0x00, 0x02, 1, 2, 3, 1};
/* another device: 1234:5678 */
static const uint8_t dev_desc_other[18] = {18,   1,    0x00, 0x02, 0, 0, 0, 64, 0x34,
                                           0x12, 0x78, 0x56, 0x00, 0x01, 0, 0, 0, 1};

struct t {
    dfs_decoder *d;
    struct recorder *r;
};

static struct t start(const struct dfs_options *opt)
{
    struct t t;
    t.r = recorder_new();
    assert_non_null(t.r);
    struct dfs_sink sink = recorder_sink(t.r);
    assert_int_equal(dfs_decoder_new(opt, &sink, &t.d), DFS_OK);
    return t;
}

static void stop(struct t *t)
{
    dfs_decoder_free(t->d);
    free(t->r);
}

/* ---- record builders --------------------------------------------------------- */

static struct dfs_urb get_descriptor(uint64_t id, uint8_t dev, uint8_t type, uint8_t index,
                                     uint16_t langid, uint16_t len)
{
    uint8_t s[8];
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, (uint16_t)(type << 8 | index), langid, len);
    return urb_ctl_submit(id, 1, dev, s, NULL, 0);
}

static struct dfs_urb out_request(uint64_t id, uint8_t dev, uint8_t type, uint8_t req,
                                  uint16_t value, uint16_t index, const uint8_t *data,
                                  uint16_t len)
{
    uint8_t s[8];
    setup8(s, type, req, value, index, len);
    return urb_ctl_submit(id, 1, dev, s, data, data ? len : 0);
}

static struct dfs_urb done_in(uint64_t id, uint8_t dev, int32_t status, const uint8_t *data,
                              uint32_t n)
{
    return urb_ctl_complete(id, 1, dev, 0x80, status, data, n, n);
}

static struct dfs_urb done_out(uint64_t id, uint8_t dev, int32_t status, uint32_t actual)
{
    return urb_ctl_complete(id, 1, dev, 0x00, status, NULL, 0, actual);
}

static struct dfs_urb bulk(char type, uint64_t id, uint8_t dev, uint8_t ep, int32_t status)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.type = type;
    u.xfer_type = DFS_XFER_BULK;
    u.endpoint = ep;
    u.devnum = dev;
    u.bus = 1;
    u.flag_setup = '-';
    u.flag_data = '<';
    u.status = status;
    u.length = 512;
    return u;
}

#define FEED(t, u, frame)                                                                    \
    do {                                                                                     \
        struct dfs_urb u_ = (u);                                                             \
        assert_int_equal(feed_urb((t)->d, &u_, (frame)), DFS_OK);                            \
    } while (0)

/* ---- pairing ----------------------------------------------------------------------- */

static void normal_pair(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0xffff88001, 6, DFS_DT_DEVICE, 0, 0, 18), 1);
    FEED(&t, done_in(0xffff88001, 6, 0, dev_desc_df11, 18), 2);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(t.r->n_urbs, 2);
    assert_int_equal(t.r->urbs[0].u.type, 'S');
    assert_int_equal(t.r->urbs[0].u.link_frame, 0);
    assert_int_equal(t.r->urbs[1].u.type, 'C');
    assert_int_equal(t.r->urbs[1].u.link_frame, 1);
    assert_int_equal(t.r->urbs[0].u.device, t.r->urbs[1].u.device);

    assert_int_equal(t.r->n_ctls, 1);
    const struct dfs_control *c = &t.r->ctls[0].c;
    assert_int_equal(c->end, DFS_CTL_COMPLETED);
    assert_int_equal(c->submit_frame, 1);
    assert_int_equal(c->complete_frame, 2);
    assert_true(c->submit_ts.sec == 1001 && c->complete_ts.sec == 1002);
    assert_true(c->urb_id == 0xffff88001);
    assert_int_equal(c->bus, 1);
    assert_int_equal(c->devnum, 6);
    assert_int_equal(c->endpoint, 0x80);
    assert_true(c->has_setup);
    assert_int_equal(c->setup.bmRequestType, 0x80);
    assert_int_equal(c->setup.bRequest, 6);
    assert_int_equal(c->setup.wValue, 0x0100);
    assert_int_equal(c->setup.wLength, 18);
    assert_int_equal(c->status, 0);
    assert_int_equal(c->actual_length, 18);
    assert_int_equal(c->data_len, 18);
    assert_false(c->data_partial);
    assert_false(c->dfu);
    assert_memory_equal(t.r->ctls[0].data, dev_desc_df11, 18);
    assert_string_equal(t.r->ctls[0].request, "GET_DESCRIPTOR DEVICE len 18");
    assert_string_equal(t.r->ctls[0].summary, "USB 2.00 ep0 64 0483:df11 rev 2.00");

    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->records, 2);
    assert_int_equal(st->urbs_paired, 1);
    assert_int_equal(st->urbs_unmatched, 0);
    assert_int_equal(st->urbs_open, 0);
    assert_int_equal(st->controls, 1);
    assert_int_equal(t.r->n_findings, 0);
    /* events in order: device NEW on the first record, the submit URB, the
     * completion URB, IDENTIFIED while the control is booked, the control */
    assert_string_equal(t.r->order, "duudc");
    stop(&t);
}

static void completion_without_submit(void **state)
{
    (void)state;
    struct t t = start(NULL);
    /* the capture starts while a transfer is in flight */
    FEED(&t, done_in(0x10, 6, 0, dev_desc_df11, 18), 1);
    FEED(&t, get_descriptor(0x20, 6, DFS_DT_DEVICE, 0, 0, 18), 2);
    FEED(&t, done_in(0x20, 6, 0, dev_desc_df11, 18), 3);
    /* and one completion loses its submit later on */
    FEED(&t, bulk('C', 0x30, 6, 0x81, 0), 4);
    assert_int_equal(t.r->n_findings, 0); /* reported once, at the end */
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(t.r->urbs[0].u.link_frame, 0);
    assert_int_equal(t.r->ctls[0].c.end, DFS_CTL_NO_SUBMIT);
    assert_int_equal(t.r->ctls[0].c.submit_frame, 0);
    assert_int_equal(t.r->ctls[0].c.complete_frame, 1);
    assert_false(t.r->ctls[0].c.has_setup);
    assert_string_equal(t.r->ctls[0].request, "(setup not captured)");
    /* without the setup the direction comes from the endpoint: IN data */
    assert_int_equal(t.r->ctls[0].c.data_len, 18);
    assert_int_equal(t.r->ctls[1].c.end, DFS_CTL_COMPLETED);

    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->urbs_unmatched, 2);
    assert_int_equal(st->urbs_paired, 1);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_STARTS_MID_TRANSFER), 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_STARTS_MID_TRANSFER, 0);
    assert_string_equal(f->id, "capture.starts-mid-transfer");
    assert_int_equal(f->severity, DFS_SEV_NOTE);
    assert_int_equal(f->frame, 1);
    assert_int_equal(f->n_frames, 2);
    assert_int_equal(f->frames[0], 1);
    assert_int_equal(f->frames[1], 4);
    assert_non_null(strstr(f->explanation, "2 completions without their submit"));
    assert_non_null(strstr(f->explanation, "1 before the first complete pair"));
    assert_non_null(strstr(f->explanation, "1 later"));
    stop(&t);
}

static void id_reused_after_completion(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0x77, 6, DFS_DT_DEVICE, 0, 0, 18), 1);
    FEED(&t, done_in(0x77, 6, 0, dev_desc_df11, 18), 2);
    FEED(&t, get_descriptor(0x77, 6, DFS_DT_CONFIGURATION, 0, 0, 9), 3);
    FEED(&t, done_in(0x77, 6, EPIPE_, NULL, 0), 4);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(t.r->n_ctls, 2);
    assert_int_equal(t.r->ctls[1].c.submit_frame, 3);
    assert_int_equal(t.r->ctls[1].c.complete_frame, 4);
    assert_int_equal(t.r->ctls[1].c.status, EPIPE_);
    assert_int_equal(t.r->ctls[1].c.data_len, 0);
    assert_int_equal(t.r->urbs[3].u.link_frame, 3);
    assert_int_equal(t.r->n_findings, 0);
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_paired, 2);
    stop(&t);
}

static void id_reused_while_outstanding(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0x77, 6, DFS_DT_DEVICE, 0, 0, 18), 1);
    FEED(&t, get_descriptor(0x77, 6, DFS_DT_DEVICE, 0, 0, 8), 2);
    FEED(&t, done_in(0x77, 6, 0, dev_desc_df11, 8), 3);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_URB_ID_REUSED), 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_URB_ID_REUSED, 0);
    assert_int_equal(f->frame, 2);
    assert_int_equal(f->n_frames, 2);
    assert_int_equal(f->frames[0], 1);
    assert_int_equal(f->frames[1], 2);
    assert_non_null(strstr(f->explanation, "URB 0x77 on bus 1, which frame 1 submitted"));

    /* the first is reported as never completed, the second pairs */
    assert_int_equal(t.r->n_ctls, 2);
    assert_int_equal(t.r->ctls[0].c.end, DFS_CTL_NEVER_COMPLETED);
    assert_int_equal(t.r->ctls[0].c.submit_frame, 1);
    assert_int_equal(t.r->ctls[0].c.complete_frame, 0);
    assert_int_equal(t.r->ctls[0].c.setup.wLength, 18);
    assert_int_equal(t.r->ctls[1].c.end, DFS_CTL_COMPLETED);
    assert_int_equal(t.r->ctls[1].c.submit_frame, 2);
    assert_int_equal(t.r->ctls[1].c.setup.wLength, 8);
    assert_int_equal(t.r->urbs[2].u.link_frame, 2);
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_unmatched, 0);
    /* nothing left open at the end */
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_URB_NEVER_COMPLETED), 0);
    stop(&t);
}

static void submit_error(void **state)
{
    (void)state;
    struct t t = start(NULL);
    uint8_t data[4] = {1, 2, 3, 4};
    FEED(&t, out_request(0x90, 6, 0x21, 1, 2, 0, data, 4), 1);
    struct dfs_urb e = done_out(0x90, 6, -22 /* EINVAL */, 0);
    e.type = 'E';
    FEED(&t, e, 2);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(t.r->n_ctls, 1);
    const struct dfs_control *c = &t.r->ctls[0].c;
    assert_int_equal(c->end, DFS_CTL_SUBMIT_ERROR);
    assert_int_equal(c->status, -22);
    assert_int_equal(c->submit_frame, 1);
    assert_int_equal(c->complete_frame, 2);
    /* the OUT data is the submit's */
    assert_int_equal(c->data_len, 4);
    assert_memory_equal(t.r->ctls[0].data, data, 4);
    assert_int_equal(t.r->urbs[1].u.type, 'E');
    assert_int_equal(t.r->urbs[1].u.link_frame, 1);
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_paired, 1);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 0);
    stop(&t);
}

/* Many URBs outstanding at once: the table's index starts small and grows
 * as they pile up (the URBs held are placed again each time); every
 * completion still finds its submit, whatever the order, and URBs of
 * another bus with the same ids stay apart. */
static void many_outstanding(void **state)
{
    (void)state;
    struct t t = start(NULL);
    const uint64_t n = 3000;
    uint64_t frame = 0;
    for (uint64_t i = 0; i < n; i++) {
        FEED(&t, bulk('S', 0xffff880000000000ull + i * 0x40, 6, 0x81, EINPROGRESS_), ++frame);
        struct dfs_urb other = bulk('S', 0xffff880000000000ull + i * 0x40, 6, 0x81, EINPROGRESS_);
        other.bus = 2;
        if (i % 3 == 0)
            FEED(&t, other, ++frame);
    }
    /* every other one, then the rest backwards */
    for (uint64_t i = 0; i < n; i += 2)
        FEED(&t, bulk('C', 0xffff880000000000ull + i * 0x40, 6, 0x81, 0), ++frame);
    for (uint64_t i = n - 1 - (n % 2 == 0 ? 0 : 1); i < n; i -= 2)
        FEED(&t, bulk('C', 0xffff880000000000ull + i * 0x40, 6, 0x81, 0), ++frame);
    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->urbs_paired, n);
    assert_int_equal(st->urbs_unmatched, 0);
    assert_int_equal(st->urbs_evicted, 0);
    assert_int_equal(t.r->n_findings, 0);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_open, n / 3);
    stop(&t);
}

static void eviction_when_table_full(void **state)
{
    (void)state;
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.max_urbs = 2;
    struct t t = start(&opt);
    FEED(&t, get_descriptor(0x1, 6, DFS_DT_DEVICE, 0, 0, 18), 1);
    FEED(&t, bulk('S', 0x2, 6, 0x81, EINPROGRESS_), 2);
    assert_int_equal(t.r->n_findings, 0);
    FEED(&t, bulk('S', 0x3, 6, 0x82, EINPROGRESS_), 3); /* evicts frame 1 */
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_LIMIT), 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_LIMIT, 0);
    assert_string_equal(f->id, "capture.limit-reached");
    assert_int_equal(f->frame, 3);
    assert_non_null(strstr(f->explanation, "2 URBs are outstanding"));
    assert_non_null(strstr(f->explanation, "submitted at frame 1"));
    assert_non_null(strstr(f->remedy, "--max-urbs"));
    assert_int_equal(t.r->n_ctls, 1);
    assert_int_equal(t.r->ctls[0].c.end, DFS_CTL_NEVER_COMPLETED);
    assert_int_equal(t.r->ctls[0].c.submit_frame, 1);
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_evicted, 1);

    FEED(&t, bulk('C', 0x2, 6, 0x81, 0), 4);          /* pairs */
    FEED(&t, done_in(0x1, 6, 0, dev_desc_df11, 18), 5); /* its submit was dropped */
    assert_int_equal(t.r->urbs[3].u.link_frame, 2);
    assert_int_equal(t.r->urbs[4].u.link_frame, 0);
    assert_int_equal(t.r->ctls[1].c.end, DFS_CTL_NO_SUBMIT);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->urbs_unmatched, 1);
    assert_int_equal(st->urbs_open, 1); /* frame 3 */
    f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_STARTS_MID_TRANSFER, 0);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "0 before the first complete pair"));
    assert_non_null(strstr(f->explanation, "1 later"));
    /* frame 3 is a bulk IN read: pending by design, counted but not reported */
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_URB_NEVER_COMPLETED), 0);
    stop(&t);
}

static void payload_limit(void **state)
{
    (void)state;
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.max_payload = 8;
    struct t t = start(&opt);
    const uint8_t five[5] = {0x21, 0x00, 0x78, 0xff, 0x1f};
    FEED(&t, out_request(0x1, 6, 0x21, 1, 0, 0, five, 5), 1);
    /* 5 + 5 > 8: the second payload is not kept */
    FEED(&t, out_request(0x2, 6, 0x21, 1, 0, 0, five, 5), 2);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_LIMIT), 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_LIMIT, 0);
    assert_int_equal(f->frame, 2);
    assert_non_null(strstr(f->explanation, "5 bytes of OUT data not kept"));
    assert_non_null(strstr(f->explanation, "already hold 5 bytes (limit 8)"));
    FEED(&t, done_out(0x1, 6, 0, 5), 3);
    FEED(&t, done_out(0x2, 6, 0, 5), 4);
    assert_int_equal(t.r->n_ctls, 2);
    assert_int_equal(t.r->ctls[0].c.data_len, 5);
    assert_false(t.r->ctls[0].c.data_partial);
    assert_memory_equal(t.r->ctls[0].data, five, 5);
    assert_int_equal(t.r->ctls[1].c.data_len, 0);
    assert_true(t.r->ctls[1].c.data_partial);
    /* the completions gave the bytes back: a third fits again */
    FEED(&t, out_request(0x3, 6, 0x21, 1, 0, 0, five, 5), 5);
    FEED(&t, done_out(0x3, 6, 0, 5), 6);
    assert_int_equal(t.r->ctls[2].c.data_len, 5);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_LIMIT), 1);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    stop(&t);
}

static void open_at_finish(void **state)
{
    (void)state;
    struct t t = start(NULL);
    uint8_t data[3] = {9, 8, 7};
    FEED(&t, out_request(0x5, 6, 0x40, 0x33, 1, 2, data, 3), 1);
    FEED(&t, bulk('S', 0x6, 6, 0x81, EINPROGRESS_), 2);
    assert_int_equal(t.r->n_ctls, 0);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    /* only the control transfer becomes a control event */
    assert_int_equal(t.r->n_ctls, 1);
    const struct dfs_control *c = &t.r->ctls[0].c;
    assert_int_equal(c->end, DFS_CTL_NEVER_COMPLETED);
    assert_int_equal(c->submit_frame, 1);
    assert_int_equal(c->complete_frame, 0);
    assert_int_equal(c->data_len, 3);
    assert_memory_equal(t.r->ctls[0].data, data, 3);
    assert_string_equal(t.r->ctls[0].request,
                        "VENDOR device OUT req 0x33 wValue 0x0001 wIndex 0x0002 wLength 3");
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_open, 2);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_URB_NEVER_COMPLETED), 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_URB_NEVER_COMPLETED, 0);
    assert_int_equal(f->frame, 1);
    assert_int_equal(f->n_frames, 1); /* the bulk IN read left pending is normal */
    assert_non_null(strstr(f->explanation, "1 submitted control or OUT transfer had no completion"));
    stop(&t);
}

/* ---- control transfer reconstruction ------------------------------------------ */

static void control_from_submit_and_completion(void **state)
{
    (void)state;
    struct t t = start(NULL);
    /* OUT: data from the submit; the completion carries none */
    const uint8_t coding[7] = {0x80, 0x25, 0, 0, 0, 0, 8};
    FEED(&t, out_request(0x1, 6, 0x21, 0x20, 0, 0, coding, 7), 1);
    FEED(&t, done_out(0x1, 6, 0, 7), 2);
    /* IN: data from the completion; short reply */
    FEED(&t, get_descriptor(0x2, 6, DFS_DT_STRING, 0, 0, 255), 3);
    const uint8_t langids[4] = {4, 3, 0x09, 0x04};
    FEED(&t, done_in(0x2, 6, 0, langids, 4), 4);
    /* IN reply cut short by the capture: 2 of 4 bytes captured */
    FEED(&t, get_descriptor(0x3, 6, DFS_DT_STRING, 0, 0, 255), 5);
    struct dfs_urb c = done_in(0x3, 6, 0, langids, 2);
    c.length = 4;
    FEED(&t, c, 6);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(t.r->n_ctls, 3);
    assert_int_equal(t.r->ctls[0].c.data_len, 7);
    assert_memory_equal(t.r->ctls[0].data, coding, 7);
    assert_int_equal(t.r->ctls[0].c.actual_length, 7);
    assert_string_equal(t.r->ctls[0].request,
                        "CLASS interface OUT req 0x20 wValue 0x0000 wIndex 0x0000 wLength 7");
    assert_int_equal(t.r->ctls[1].c.data_len, 4);
    assert_string_equal(t.r->ctls[1].summary, "LANGID 0x0409");
    assert_int_equal(t.r->ctls[2].c.actual_length, 4);
    assert_int_equal(t.r->ctls[2].c.data_len, 2);
    assert_true(t.r->ctls[2].c.data_partial);
    stop(&t);
}

/* sigrok's usb_request pcap writer (tests/data/real/SOURCES.md): the
 * completion repeats the setup and the OUT data, the URB length is 0 and
 * control IN transfers carry endpoint 0x00. */
static struct dfs_urb sigrok_complete(uint64_t id, uint8_t dev, const uint8_t setup[8],
                                      const uint8_t *data, uint32_t n)
{
    struct dfs_urb u = urb_ctl_complete(id, 0, dev, 0x00, 0, data, n, 0);
    u.flag_setup = 0;
    u.has_setup = true;
    memcpy(u.setup, setup, 8);
    u.length = 0;
    return u;
}

static struct dfs_urb sigrok_submit(uint64_t id, uint8_t dev, const uint8_t setup[8],
                                    const uint8_t *data, uint32_t n)
{
    struct dfs_urb u = urb_ctl_submit(id, 0, dev, setup, data, n);
    u.endpoint = 0x00;
    u.length = 0;
    u.status = 0;
    return u;
}

static void sigrok_style(void **state)
{
    (void)state;
    struct t t = start(NULL);
    uint8_t s_in[8], s_out[8];
    setup8(s_in, 0xa1, 3, 0, 0, 6); /* GETSTATUS */
    const uint8_t status[6] = {0x00, 0x28, 0x00, 0x00, 0x04, 0x00};
    FEED(&t, sigrok_submit(0, 28, s_in, NULL, 0), 1);
    FEED(&t, sigrok_complete(0, 28, s_in, status, 6), 2);
    setup8(s_out, 0x21, 1, 0, 0, 5); /* DNLOAD: set address pointer */
    const uint8_t cmd[5] = {0x21, 0x00, 0x00, 0x00, 0x08};
    FEED(&t, sigrok_submit(1, 28, s_out, cmd, 5), 3);
    FEED(&t, sigrok_complete(1, 28, s_out, cmd, 5), 4);
    /* a completion whose submit is missing still has its setup */
    FEED(&t, sigrok_complete(2, 28, s_in, status, 6), 5);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(t.r->n_ctls, 3);
    const struct dfs_control *c = &t.r->ctls[0].c;
    assert_int_equal(c->end, DFS_CTL_COMPLETED);
    assert_int_equal(c->bus, 0);
    assert_int_equal(c->endpoint, 0x00);
    assert_int_equal(c->setup.bmRequestType, 0xa1);
    /* direction from bmRequestType, not from the endpoint; length from the data */
    assert_int_equal(c->actual_length, 6);
    assert_int_equal(c->data_len, 6);
    assert_memory_equal(t.r->ctls[0].data, status, 6);
    c = &t.r->ctls[1].c;
    assert_int_equal(c->data_len, 5);
    assert_memory_equal(t.r->ctls[1].data, cmd, 5);
    assert_int_equal(c->actual_length, 5);
    c = &t.r->ctls[2].c;
    assert_int_equal(c->end, DFS_CTL_NO_SUBMIT);
    assert_true(c->has_setup);
    assert_int_equal(c->setup.bRequest, 3);
    assert_int_equal(c->setup.bmRequestType, 0xa1);
    assert_int_equal(c->data_len, 6);
    stop(&t);
}

/* ---- API states ---------------------------------------------------------------------- */

static void unsupported_linktype(void **state)
{
    (void)state;
    struct t t = start(NULL);
    uint8_t eth[60] = {0};
    struct dfs_record rec = {.frame = 1, .linktype = 1, .caplen = 60, .origlen = 60,
                             .data = eth};
    assert_int_equal(dfs_decoder_feed(t.d, &rec), DFS_E_LINKTYPE);
    /* not sticky: the next usbmon record decodes */
    const char *msg = NULL;
    assert_int_equal(dfs_decoder_error(t.d, &msg), DFS_OK);
    FEED(&t, get_descriptor(0x1, 6, DFS_DT_DEVICE, 0, 0, 18), 2);
    FEED(&t, done_in(0x1, 6, 0, dev_desc_df11, 18), 3);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(t.r->n_ctls, 1);
    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->records, 3);
    assert_int_equal(st->records_skipped, 1);
    assert_int_equal(t.r->n_findings, 0);
    /* both usbmon link types are accepted */
    dfs_decoder_reset(t.d);
    struct dfs_urb u = get_descriptor(0x1, 6, DFS_DT_DEVICE, 0, 0, 18);
    assert_int_equal(feed_urb_lt(t.d, &u, 1, DFS_LINKTYPE_USB_LINUX), DFS_OK);
    stop(&t);
}

static void bad_arguments(void **state)
{
    (void)state;
    dfs_decoder *d = NULL;
    assert_int_equal(dfs_decoder_new(NULL, NULL, NULL), DFS_E_INVAL);
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.size = 4; /* older than any layout */
    assert_int_equal(dfs_decoder_new(&opt, NULL, &d), DFS_E_INVAL);
    dfs_options_init(&opt);
    opt.max_urbs = (1u << 24) + 1;
    assert_int_equal(dfs_decoder_new(&opt, NULL, &d), DFS_E_INVAL);
    assert_null(d);
    /* no sink at all is fine */
    assert_int_equal(dfs_decoder_new(NULL, NULL, &d), DFS_OK);
    assert_int_equal(dfs_decoder_feed(d, NULL), DFS_E_INVAL);
    struct dfs_record rec = {.frame = 1, .linktype = 220, .caplen = 10, .data = NULL};
    assert_int_equal(dfs_decoder_feed(d, &rec), DFS_E_INVAL);
    assert_int_equal(dfs_decoder_feed(NULL, &rec), DFS_E_INVAL);
    assert_int_equal(dfs_decoder_finish(NULL), DFS_E_INVAL);
    assert_int_equal(dfs_decoder_error(NULL, NULL), DFS_E_INVAL);
    assert_null(dfs_decoder_stats(NULL));
    dfs_decoder_reset(NULL);
    dfs_decoder_free(NULL);
    dfs_decoder_free(d);
}

static void feed_after_finish(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0x1, 6, DFS_DT_DEVICE, 0, 0, 18), 1);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    struct dfs_urb u = done_in(0x1, 6, 0, dev_desc_df11, 18);
    assert_int_equal(feed_urb(t.d, &u, 2), DFS_E_STATE);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_E_STATE);
    assert_int_equal(dfs_decoder_stats(t.d)->records, 1);
    /* reset starts over */
    dfs_decoder_reset(t.d);
    assert_int_equal(dfs_decoder_stats(t.d)->records, 0);
    assert_int_equal(dfs_decoder_device_count(t.d), 0);
    assert_int_equal(feed_urb(t.d, &u, 1), DFS_OK);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_stats(t.d)->urbs_unmatched, 1);
    stop(&t);
}

static void callback_abort_is_sticky(void **state)
{
    (void)state;
    /* frame 1 is a short record (a finding), frames 2 and 3 a control
     * pair (a device, two URBs, a control); the callback of one kind asks
     * to stop at its first event. */
    static const struct {
        char kind;
        dfs_result want[3];
    } cases[] = {
        {REC_FINDING, {DFS_E_ABORTED, DFS_E_ABORTED, DFS_E_ABORTED}},
        {REC_DEVICE, {DFS_OK, DFS_E_ABORTED, DFS_E_ABORTED}},
        {REC_URB, {DFS_OK, DFS_E_ABORTED, DFS_E_ABORTED}},
        {REC_CONTROL, {DFS_OK, DFS_OK, DFS_E_ABORTED}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct t t = start(NULL);
        t.r->stop_kind = cases[k].kind;
        t.r->stop_at = 1;
        uint8_t junk[10] = {0};
        struct dfs_record bad = {.frame = 1, .linktype = 220, .caplen = 10, .origlen = 10,
                                 .data = junk};
        struct dfs_urb s = get_descriptor(0x1, 6, DFS_DT_DEVICE, 0, 0, 18);
        struct dfs_urb c = done_in(0x1, 6, 0, dev_desc_df11, 18);
        assert_int_equal(dfs_decoder_feed(t.d, &bad), cases[k].want[0]);
        assert_int_equal(feed_urb(t.d, &s, 2), cases[k].want[1]);
        size_t events = t.r->n_events;
        assert_int_equal(feed_urb(t.d, &c, 3), cases[k].want[2]);
        if (cases[k].want[1] == DFS_E_ABORTED)
            assert_int_equal(t.r->n_events, events); /* nothing more delivered */
        /* sticky: feed and finish keep saying so */
        assert_int_equal(feed_urb(t.d, &s, 4), DFS_E_ABORTED);
        assert_int_equal(dfs_decoder_finish(t.d), DFS_E_ABORTED);
        const char *msg = NULL;
        assert_int_equal(dfs_decoder_error(t.d, &msg), DFS_E_ABORTED);
        char want[64];
        snprintf(want, sizeof want, "stopped by a callback at frame %d",
                 cases[k].want[0] == DFS_E_ABORTED   ? 1
                 : cases[k].want[1] == DFS_E_ABORTED ? 2
                                                     : 3);
        assert_string_equal(msg, want);
        /* until reset */
        dfs_decoder_reset(t.d);
        t.r->stop_kind = 0;
        assert_int_equal(dfs_decoder_error(t.d, &msg), DFS_OK);
        assert_string_equal(msg, "");
        assert_int_equal(feed_urb(t.d, &s, 1), DFS_OK);
        assert_int_equal(feed_urb(t.d, &c, 2), DFS_OK);
        assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
        assert_int_equal(dfs_decoder_stats(t.d)->urbs_paired, 1);
        stop(&t);
    }
}

/* An abort while finish reports what is still open. */
static void callback_abort_in_finish(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0x1, 6, DFS_DT_DEVICE, 0, 0, 18), 1);
    FEED(&t, get_descriptor(0x2, 6, DFS_DT_DEVICE, 0, 0, 18), 2);
    t.r->stop_kind = REC_CONTROL;
    t.r->stop_at = 1;
    assert_int_equal(dfs_decoder_finish(t.d), DFS_E_ABORTED);
    assert_int_equal(t.r->n_ctls, 1); /* the second is not reported any more */
    assert_int_equal(t.r->n_findings, 0);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_E_ABORTED);
    stop(&t);
}

/* ---- device tracking ----------------------------------------------------------------- */

/* Enumerate a device: 8 bytes of its descriptor on address 0, SET_ADDRESS,
 * then the full descriptor on the new address. Frames first..first+5. */
static void enumerate(struct t *t, uint64_t first, uint64_t id, uint8_t addr,
                      const uint8_t desc[18])
{
    FEED(t, get_descriptor(id, 0, DFS_DT_DEVICE, 0, 0, 8), first);
    FEED(t, done_in(id, 0, 0, desc, 8), first + 1);
    FEED(t, out_request(id + 1, 0, 0x00, DFS_REQ_SET_ADDRESS, addr, 0, NULL, 0), first + 2);
    FEED(t, done_out(id + 1, 0, 0, 0), first + 3);
    FEED(t, get_descriptor(id + 2, addr, DFS_DT_DEVICE, 0, 0, 18), first + 4);
    FEED(t, done_in(id + 2, addr, 0, desc, 18), first + 5);
}

static void enumeration_on_address_0(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    /* string descriptors are kept per device */
    const uint8_t langids[4] = {4, 3, 0x09, 0x04};
    FEED(&t, get_descriptor(0x200, 7, DFS_DT_STRING, 0, 0, 255), 7);
    FEED(&t, done_in(0x200, 7, 0, langids, 4), 8);
    const uint8_t name[8] = {8, 3, 'D', 0, 'F', 0, 'U', 0};
    FEED(&t, get_descriptor(0x201, 7, DFS_DT_STRING, 2, 0x0409, 255), 9);
    FEED(&t, done_in(0x201, 7, 0, name, 8), 10);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(dfs_decoder_device_count(t.d), 1);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_int_equal(info.id, 1);
    assert_int_equal(info.lane, 1);
    assert_int_equal(info.previous, 0);
    assert_int_equal(info.devnum, 7);
    assert_int_equal(info.first_frame, 1);
    assert_int_equal(info.last_frame, 10);
    assert_true(info.has_device_desc);
    assert_true(info.device_desc_complete);
    assert_int_equal(info.desc.idVendor, 0x0483);
    assert_int_equal(info.desc.idProduct, 0xdf11);
    assert_int_equal(info.langid, 0x0409);
    assert_false(info.gone);
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_E_NOTFOUND);
    const uint8_t *raw;
    size_t len;
    assert_int_equal(dfs_decoder_device_string(t.d, 1, 2, 0x0409, &raw, &len), DFS_OK);
    assert_int_equal(len, 8);
    assert_memory_equal(raw, name, 8);
    assert_int_equal(dfs_decoder_device_string(t.d, 1, 2, 0, &raw, &len), DFS_OK);
    assert_int_equal(dfs_decoder_device_string(t.d, 1, 5, 0, &raw, &len), DFS_E_NOTFOUND);
    assert_int_equal(dfs_decoder_device_string(t.d, 9, 2, 0, &raw, &len), DFS_E_NOTFOUND);

    /* every record, on address 0 or 7, belongs to instance 1 */
    for (size_t i = 0; i < t.r->n_urbs; i++)
        assert_int_equal(t.r->urbs[i].u.device, 1);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_NEW), 1);
    assert_int_equal(rec_dev(t.r, DFS_DEV_NEW, 0)->devnum, 0);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_IDENTIFIED, 0);
    assert_non_null(ev);
    assert_int_equal(ev->device, 1);
    assert_int_equal(ev->devnum, 7);
    assert_int_equal(ev->frame, 6);
    assert_int_equal(ev->vid, 0x0483);
    assert_int_equal(ev->pid, 0xdf11);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 0);
    assert_int_equal(t.r->n_findings, 0);
    stop(&t);
}

/* With xHCI the controller assigns the address (no SET_ADDRESS record):
 * the device read on address 0 reappears on its number, where the hub
 * driver reads the device descriptor again (umockdev-usbkbd frames 114-123). */
/* A device that resets and re-enumerates again and again (a DfuSe session
 * per enumeration): the instances that left and were linked to their
 * successor are kept up to DFS_DECODER_KEEP_RETIRED, older ones are
 * forgotten and counted; every event is still reported. */
static void reenumerations_forgotten(void **state)
{
    (void)state;
    struct t t = start(NULL);
    const unsigned sessions = DFS_DECODER_KEEP_RETIRED + 8; /* events fit the recorder */
    uint64_t frame = 1, id = 0x100;
    for (unsigned i = 0; i < sessions; i++) {
        uint8_t addr = (uint8_t)(2 + i % 120);
        enumerate(&t, frame, id, addr, dev_desc_df11);
        frame += 6;
        id += 3;
        if (i + 1 < sessions) {
            FEED(&t, bulk('S', id, addr, 0x81, EINPROGRESS_), frame++);
            FEED(&t, bulk('C', id, addr, 0x81, ENODEV_), frame++);
            id++;
        }
    }
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->devices, sessions);
    /* every link and every departure was reported as it happened */
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), sessions - 1);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), sessions - 1);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_LIMIT), 0);
    /* the live one and the 16 latest that left are kept; the rest counted.
     * (The last link is only swept at the next record: the count lags one
     * at the end of a capture.) */
    size_t kept = dfs_decoder_device_count(t.d);
    assert_true(kept == DFS_DECODER_KEEP_RETIRED + 1 || kept == DFS_DECODER_KEEP_RETIRED + 2);
    assert_int_equal(st->devices_forgotten + kept, sessions);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, kept - 1, &info), DFS_OK);
    assert_int_equal(info.id, sessions);
    assert_false(info.gone);
    /* the oldest kept continues one that was forgotten: the link stays */
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_int_equal(info.id, st->devices_forgotten + 1);
    assert_int_equal(info.previous, st->devices_forgotten);
    assert_int_equal(info.lane, 1);
    stop(&t);
}

static void enumeration_without_set_address(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0x100, 0, DFS_DT_DEVICE, 0, 0, 64), 1);
    FEED(&t, done_in(0x100, 0, 0, dev_desc_df11, 18), 2);
    /* another device already on the bus, seen for the first time */
    FEED(&t, bulk('S', 0x300, 5, 0x81, EINPROGRESS_), 3);
    FEED(&t, get_descriptor(0x101, 9, DFS_DT_DEVICE, 0, 0, 18), 4);
    FEED(&t, done_in(0x101, 9, 0, dev_desc_df11, 18), 5);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_int_equal(info.id, 1);
    assert_int_equal(info.devnum, 9);
    assert_int_equal(info.first_frame, 1);
    assert_int_equal(info.last_frame, 5);
    assert_false(info.gone);
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.devnum, 5);
    assert_int_equal(t.r->urbs[2].u.device, 2);
    assert_int_equal(t.r->urbs[3].u.device, 1);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 0);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 0);
    /* identified once, on its new number */
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_IDENTIFIED), 1);
    stop(&t);
}

static void device_gone(void **state)
{
    (void)state;
    const int32_t statuses[] = {ENODEV_, ESHUTDOWN_};
    for (int i = 0; i < 2; i++) {
        for (int as_error = 0; as_error < 2; as_error++) {
            struct t t = start(NULL);
            enumerate(&t, 1, 0x100, 7, dev_desc_df11);
            FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
            struct dfs_urb c = bulk(as_error ? 'E' : 'C', 0x300, 7, 0x81, statuses[i]);
            FEED(&t, c, 8);
            assert_int_equal(rec_dev_count(t.r, DFS_DEV_GONE), 1);
            const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_GONE, 0);
            assert_int_equal(ev->device, 1);
            assert_int_equal(ev->frame, 8);
            assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
            const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0);
            assert_int_equal(f->frame, 8);
            assert_int_equal(f->device, 1);
            char want[96];
            snprintf(want, sizeof want, "Device 1.7 (0483:df11) left the bus at frame 8");
            assert_non_null(strstr(f->explanation, want));
            assert_non_null(strstr(f->explanation, i == 0 ? "ENODEV" : "ESHUTDOWN"));
            /* a second failing transfer does not report it again */
            FEED(&t, bulk('S', 0x301, 7, 0x81, EINPROGRESS_), 9);
            FEED(&t, bulk('C', 0x301, 7, 0x81, statuses[i]), 10);
            assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
            assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
            struct dfs_device_info info;
            assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
            assert_true(info.gone);
            assert_int_equal(info.gone_frame, 8);
            stop(&t);
        }
    }
}

static void reenumeration_linked(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
    FEED(&t, bulk('C', 0x300, 7, 0x81, ENODEV_), 8);
    /* the same VID:PID comes back with a new number */
    enumerate(&t, 9, 0x400, 8, dev_desc_df11);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 1);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_REENUMERATED, 0);
    assert_int_equal(ev->device, 2);
    assert_int_equal(ev->previous, 1);
    assert_int_equal(ev->lane, 1);
    assert_int_equal(ev->devnum, 8);
    assert_int_equal(ev->frame, 14);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.id, 2);
    assert_int_equal(info.previous, 1);
    assert_int_equal(info.lane, 1);
    assert_int_equal(info.first_frame, 9);
    assert_false(info.gone);
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_true(info.gone);
    assert_int_equal(info.gone_frame, 8);
    /* one disconnect note, for the first instance */
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
    stop(&t);
}

/* No disconnect evidence, but the old instance went quiet before the new
 * one appeared: the re-enumeration is linked and the old one marked gone. */
static void reenumeration_after_quiet(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    enumerate(&t, 7, 0x400, 8, dev_desc_df11);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_REENUMERATED, 0);
    assert_non_null(ev);
    assert_int_equal(ev->previous, 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "the same device (0483:df11) enumerated again on "
                                           "bus 1 at frame 7"));
    assert_int_equal(f->frame, 7);
    stop(&t);
}

static void new_device_on_address_of_gone_one(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
    FEED(&t, bulk('C', 0x300, 7, 0x81, ESHUTDOWN_), 8);
    /* a submit to 1.7 after the device left: a new instance */
    FEED(&t, get_descriptor(0x500, 7, DFS_DT_DEVICE, 0, 0, 18), 9);
    FEED(&t, done_in(0x500, 7, 0, dev_desc_other, 18), 10);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_NEW), 2);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_NEW, 1);
    assert_int_equal(ev->device, 2);
    assert_int_equal(ev->devnum, 7);
    assert_int_equal(ev->frame, 9);
    assert_int_equal(t.r->urbs[8].u.device, 2);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 0);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.desc.idVendor, 0x1234);
    assert_int_equal(info.lane, 2);
    assert_int_equal(info.previous, 0);
    assert_false(info.gone);
    stop(&t);
}

/* Requests the host still sends to a device that has just left (a driver
 * resubmitting, a host tool polling) fail the same way; they are the old
 * device's, not a new device on its address. */
static void leftovers_stay_with_gone_device(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
    FEED(&t, bulk('C', 0x300, 7, 0x81, -71 /* EPROTO */), 8);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 9);
    struct dfs_urb e = bulk('E', 0x300, 7, 0x81, ENODEV_);
    FEED(&t, e, 10);
    /* a DFU GETSTATUS sent after that */
    uint8_t s[8];
    setup8(s, 0xa1, 3, 0, 0, 6);
    FEED(&t, urb_ctl_submit(0x301, 1, 7, s, NULL, 0), 11);
    FEED(&t, done_in(0x301, 7, ENODEV_, NULL, 0), 12);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 1);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_NEW), 1);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
    assert_int_equal(REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0)->frame, 10);
    for (size_t i = 0; i < t.r->n_urbs; i++)
        assert_int_equal(t.r->urbs[i].u.device, 1);
    stop(&t);
}

/* SET_ADDRESS to a number still held by a device that never showed a
 * disconnect: that device is taken as gone. */
static void set_address_takes_over_number(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_other);
    enumerate(&t, 7, 0x400, 7, dev_desc_df11);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "a new device was given its address"));
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.devnum, 7);
    assert_int_equal(info.desc.idVendor, 0x0483);
    /* the last records on 1.7 are the new device's */
    assert_int_equal(t.r->urbs[t.r->n_urbs - 1].u.device, 2);
    stop(&t);
}

/* ---- rate limiting -------------------------------------------------------------------- */

static void capture_findings_rate_limited(void **state)
{
    (void)state;
    struct t t = start(NULL);
    uint8_t junk[10] = {0};
    for (uint64_t f = 1; f <= 25; f++) {
        struct dfs_record rec = {.frame = f, .linktype = 220, .caplen = 10, .origlen = 10,
                                 .data = junk};
        assert_int_equal(dfs_decoder_feed(t.d, &rec), DFS_OK);
    }
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_RECORD_SHORT), 20);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_RECORD_SHORT, 19);
    assert_int_equal(f->frame, 20);
    assert_string_equal(f->explanation, "frame 20: record of 10 bytes is shorter than the 64-byte "
                                        "usbmon header; record skipped");
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_RECORD_SHORT), 21);
    f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_RECORD_SHORT, 20);
    assert_int_equal(f->frame, 25);
    assert_int_equal(f->n_frames, 2);
    assert_int_equal(f->frames[0], 1);
    assert_int_equal(f->frames[1], 25);
    assert_string_equal(f->explanation, "5 more records had this problem after the first 20 "
                                        "reported (the first at frame 1, the last at frame 25)");
    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->records_skipped, 25);
    assert_int_equal(st->findings[DFS_SEV_WARNING], 21);
    stop(&t);
}

/* Reuse findings are rate limited on their own counter. */
static void reuse_findings_rate_limited(void **state)
{
    (void)state;
    struct t t = start(NULL);
    uint64_t frame = 1;
    FEED(&t, bulk('S', 0x9, 6, 0x81, EINPROGRESS_), frame++);
    for (int i = 0; i < 22; i++)
        FEED(&t, bulk('S', 0x9, 6, 0x81, EINPROGRESS_), frame++);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_URB_ID_REUSED), 20);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_URB_ID_REUSED), 21);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_CAPTURE_URB_ID_REUSED, 20);
    assert_non_null(strstr(f->explanation, "2 more records"));
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_pair),
        cmocka_unit_test(completion_without_submit),
        cmocka_unit_test(id_reused_after_completion),
        cmocka_unit_test(id_reused_while_outstanding),
        cmocka_unit_test(submit_error),
        cmocka_unit_test(many_outstanding),
        cmocka_unit_test(eviction_when_table_full),
        cmocka_unit_test(payload_limit),
        cmocka_unit_test(open_at_finish),
        cmocka_unit_test(control_from_submit_and_completion),
        cmocka_unit_test(sigrok_style),
        cmocka_unit_test(unsupported_linktype),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(feed_after_finish),
        cmocka_unit_test(callback_abort_is_sticky),
        cmocka_unit_test(callback_abort_in_finish),
        cmocka_unit_test(enumeration_on_address_0),
        cmocka_unit_test(enumeration_without_set_address),
        cmocka_unit_test(device_gone),
        cmocka_unit_test(reenumeration_linked),
        cmocka_unit_test(reenumerations_forgotten),
        cmocka_unit_test(reenumeration_after_quiet),
        cmocka_unit_test(new_device_on_address_of_gone_one),
        cmocka_unit_test(leftovers_stay_with_gone_device),
        cmocka_unit_test(set_address_takes_over_number),
        cmocka_unit_test(capture_findings_rate_limited),
        cmocka_unit_test(reuse_findings_rate_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
