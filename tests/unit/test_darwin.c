/* The USB_DARWIN record parser (link type 266) through the public decoder
 * API: records written here byte by byte after the header Wireshark's
 * packet-usb.c reads (dissect_darwin_buffer_packet_header: little-endian,
 * 32 bytes in version 1.0, its length in byte 2), not with any dfuscope
 * encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "record_rig.h"

#define PIPE_STALLED 0xE000404Fu      /* kIOUSBPipeStalled */
#define HOST_PIPE_STALLED 0xE0005000u /* kUSBHostReturnPipeStalled */
#define ABORTED 0xE00002EBu           /* kIOReturnAborted */

struct dw {
    uint8_t req; /* 0 submit, 1 complete */
    uint32_t io_len, status;
    uint64_t id;
    uint8_t endpoint, type; /* macOS endpoint type: 0 control, 2 bulk */
    uint8_t hdr_len;        /* 0: 32 */
    uint16_t version;       /* 0: 0x0100 */
    const uint8_t *data;
    uint32_t len;
    uint16_t size; /* 0: header and data */
};

static size_t put(uint8_t *b, const struct dw *u)
{
    uint8_t hl = u->hdr_len ? u->hdr_len : 32;
    memset(b, 0, 256);
    uint16_t v = u->version ? u->version : 0x0100;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = hl;
    b[3] = u->req;
    for (int i = 0; i < 4; i++) {
        b[4 + i] = (uint8_t)(u->io_len >> (8 * i));
        b[8 + i] = (uint8_t)(u->status >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        b[16 + i] = (uint8_t)(u->id >> (8 * i));
    b[27] = 0x14; /* location 0x14100000: bus 20, port 1 */
    b[26] = 0x10;
    b[28] = 1;    /* full speed */
    b[29] = 26;
    b[30] = u->endpoint;
    b[31] = u->type;
    if (u->size)
        return u->size;
    if (u->len)
        memcpy(b + hl, u->data, u->len);
    return (size_t)hl + u->len;
}

static void feed(struct t *t, const struct dw *u)
{
    uint8_t buf[512];
    size_t n = put(buf, u);
    feed_record(t, DFS_LINKTYPE_USB_DARWIN, buf, n);
}

/* A control transfer: the submit holds the setup, the completion the data;
 * the I/O id pairs them; the location id's top byte is the bus. */
static void control_in(void **state)
{
    (void)state;
    struct t t = start();
    feed(&t, &(struct dw){.io_len = 18, .id = 0x19806c6, .endpoint = 0x80,
                          .data = get_dev_desc, .len = 8});
    feed(&t, &(struct dw){.req = 1, .io_len = 18, .id = 0x19806c6, .endpoint = 0x80,
                          .data = dev_desc, .len = 18});
    stop(&t);
    assert_int_equal(t.r->n_urbs, 2);
    const struct dfs_urb *s = &t.r->urbs[0].u, *c = &t.r->urbs[1].u;
    assert_int_equal(s->type, 'S');
    assert_int_equal(s->linktype, DFS_LINKTYPE_USB_DARWIN);
    assert_int_equal(s->bus, 20);
    assert_int_equal(s->location, 0x14100000u);
    assert_int_equal(s->devnum, 26);
    assert_int_equal(s->speed, 1);
    assert_int_equal(s->xfer_type, DFS_XFER_CONTROL);
    assert_true(s->has_setup);
    assert_memory_equal(s->setup, get_dev_desc, 8);
    assert_int_equal(c->type, 'C');
    assert_int_equal(c->link_frame, 1);
    assert_int_equal(t.r->n_ctls, 1);
    assert_int_equal(t.r->ctls[0].c.actual_length, 18);
    assert_memory_equal(t.r->ctls[0].data, dev_desc, 18);
    free(t.r);
}

/* Both stall codes are a STALL; the IOReturn stays; bulk types map to
 * usbmon's numbering; version 1.1's longer header is skipped. */
static void statuses_and_types(void **state)
{
    (void)state;
    assert_int_equal(dfs_ioreturn_errno(PIPE_STALLED), -32);
    assert_int_equal(dfs_ioreturn_errno(HOST_PIPE_STALLED), -32);
    assert_int_equal(dfs_ioreturn_errno(ABORTED), -2);
    assert_string_equal(dfs_ioreturn_name(HOST_PIPE_STALLED), "kUSBHostReturnPipeStalled");
    assert_string_equal(dfs_ioreturn_name(PIPE_STALLED), "kIOUSBPipeStalled");
    assert_null(dfs_ioreturn_name(0xE0001234u));
    assert_int_equal(dfs_ioreturn_errno(0xE0001234u), -5);

    static const uint8_t getstatus[8] = {0xa1, 3, 0, 0, 0, 0, 6, 0};
    static const uint8_t csw[4] = {1, 2, 3, 4};
    struct t t = start();
    feed(&t, &(struct dw){.io_len = 6, .id = 5, .endpoint = 0x80, .data = getstatus, .len = 8});
    feed(&t, &(struct dw){.req = 1, .status = HOST_PIPE_STALLED, .id = 5, .endpoint = 0x80});
    feed(&t, &(struct dw){.version = 0x0101, .hdr_len = 40, .io_len = 4, .id = 6,
                          .endpoint = 0x82, .type = 2});
    feed(&t, &(struct dw){.version = 0x0101, .hdr_len = 40, .req = 1, .io_len = 4, .id = 6,
                          .endpoint = 0x82, .type = 2, .data = csw, .len = 4});
    stop(&t);
    assert_int_equal(t.r->n_ctls, 1);
    assert_int_equal(t.r->ctls[0].c.status, -32);
    assert_int_equal(t.r->urbs[1].u.os_status, HOST_PIPE_STALLED);
    assert_int_equal(t.r->urbs[2].u.xfer_type, DFS_XFER_BULK);
    assert_int_equal(t.r->urbs[3].u.link_frame, 3);
    assert_int_equal(t.r->urbs[3].u.data_len, 4);
    assert_memory_equal(t.r->urbs[3].data, csw, 4);
    assert_int_equal(t.r->n_findings, 0);
    free(t.r);
}

/* Bad headers: a named finding with the frame; the next record is decoded. */
static void bad_headers(void **state)
{
    (void)state;
    static const struct {
        struct dw u;
        const char *id, *text;
    } cases[] = {
        {{.size = 20}, "capture.record-short",
         "frame 1: record of 20 bytes is shorter than the 32-byte USB_DARWIN header"},
        {{.hdr_len = 24, .endpoint = 0x80, .data = get_dev_desc, .len = 8},
         "capture.bad-header", "frame 1: USB_DARWIN header length 24 is shorter"},
        {{.hdr_len = 200, .size = 40}, "capture.record-short",
         "frame 1: USB_DARWIN header length 200 is longer than the record (40 bytes)"},
        {{.req = 2, .data = get_dev_desc, .len = 8}, "capture.bad-header",
         "frame 1: USB_DARWIN request type 2"},
        {{.type = 9, .data = get_dev_desc, .len = 8}, "capture.bad-header",
         "frame 1: USB_DARWIN endpoint type 9"},
        {{.endpoint = 0x80, .data = get_dev_desc, .len = 4}, "capture.bad-header",
         "frame 1: USB_DARWIN control submit holds 4 bytes"},
        {{.req = 1, .io_len = 2, .endpoint = 0x80, .data = dev_desc, .len = 18},
         "capture.record-truncated", "frame 1: USB_DARWIN I/O length 2 but the record holds 18"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct t t = start();
        feed(&t, &cases[i].u);
        feed(&t, &(struct dw){.io_len = 18, .id = 99, .endpoint = 0x80, .data = get_dev_desc,
                              .len = 8});
        stop(&t);
        assert_true(t.r->n_findings >= 1);
        assert_string_equal(t.r->findings[0].id, cases[i].id);
        if (strncmp(t.r->findings[0].explanation, cases[i].text, strlen(cases[i].text)) != 0)
            fail_msg("case %zu: %s", i, t.r->findings[0].explanation);
        const struct rec_urb *last = &t.r->urbs[t.r->n_urbs - 1];
        assert_int_equal(last->u.frame, 2);
        assert_int_equal(last->u.type, 'S');
        free(t.r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(control_in),
        cmocka_unit_test(statuses_and_types),
        cmocka_unit_test(bad_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
