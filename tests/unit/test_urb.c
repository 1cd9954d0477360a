/* URB pairing, control transfer reconstruction, API states and device
 * tracking, all through the public decoder API (dfs_decoder_new / feed /
 * finish) with a sink that records every event. Records are hand-built with
 * dfs_usbmon_encode (records.h) in urb_rig.h. Device tracking is in
 * test_urb_devices.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "urb_rig.h"

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
        cmocka_unit_test(capture_findings_rate_limited),
        cmocka_unit_test(reuse_findings_rate_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
