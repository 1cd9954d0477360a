/* The USBPcap record parser (link type 249) through the public decoder API:
 * records are written here byte by byte after the pseudo header USBPcap's
 * USBPcap.h declares (packed, little-endian; 27 bytes, 28 with the control
 * stage), not with any dfuscope encoder, so that the oracle is the format
 * and not the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "record_rig.h"

#define STALL_PID 0xC0000004u
#define CANCELED 0xC0010000u
#define DEVICE_GONE 0xC0007000u
#define XACT_ERROR 0xC0000011u

struct up {
    uint64_t irp;
    uint32_t status;
    uint16_t function;
    uint8_t info; /* 1: on the way back */
    uint8_t endpoint, transfer;
    int stage; /* -1: no stage byte */
    uint16_t hdr_len; /* 0: 27, or 28 with a stage */
    const uint8_t *data;
    uint32_t len;
    int32_t lie; /* added to dataLength */
    uint16_t size; /* 0: the header and the data; else the record's length */
};

static size_t put(uint8_t *b, const struct up *u)
{
    uint16_t hl = u->hdr_len ? u->hdr_len : (u->stage >= 0 ? 28 : 27);
    memset(b, 0, 256);
    b[0] = (uint8_t)hl;
    b[1] = (uint8_t)(hl >> 8);
    for (int i = 0; i < 8; i++)
        b[2 + i] = (uint8_t)(u->irp >> (8 * i));
    for (int i = 0; i < 4; i++)
        b[10 + i] = (uint8_t)(u->status >> (8 * i));
    b[14] = (uint8_t)u->function;
    b[15] = (uint8_t)(u->function >> 8);
    b[16] = u->info;
    b[17] = 1; /* bus 1 */
    b[19] = 5; /* device 5 */
    b[21] = u->endpoint;
    b[22] = u->transfer;
    uint32_t dl = (uint32_t)((int64_t)u->len + u->lie);
    for (int i = 0; i < 4; i++)
        b[23 + i] = (uint8_t)(dl >> (8 * i));
    if (u->stage >= 0 && hl >= 28)
        b[27] = (uint8_t)u->stage;
    if (u->size)
        return u->size;
    if (u->len)
        memcpy(b + hl, u->data, u->len);
    return hl + u->len;
}

static void feed(struct t *t, const struct up *u)
{
    uint8_t buf[512];
    size_t n = put(buf, u);
    feed_record(t, DFS_LINKTYPE_USBPCAP, buf, n);
}

/* USBPcap 1.5 and later: SETUP with the setup packet, COMPLETE with the IN
 * data; every header field lands where the format says. */
static void new_form_in(void **state)
{
    (void)state;
    struct t t = start();
    feed(&t, &(struct up){.irp = 0xffffc2832d498010u, .function = 0x000b, .transfer = 2,
                          .stage = 0, .data = get_dev_desc, .len = 8});
    feed(&t, &(struct up){.irp = 0xffffc2832d498010u, .function = 0x0008, .info = 1,
                          .endpoint = 0x80, .transfer = 2, .stage = 3, .data = dev_desc,
                          .len = 18});
    stop(&t);
    assert_int_equal(t.r->n_urbs, 2);
    const struct dfs_urb *s = &t.r->urbs[0].u, *c = &t.r->urbs[1].u;
    assert_int_equal(s->type, 'S');
    assert_int_equal(s->linktype, DFS_LINKTYPE_USBPCAP);
    assert_true(s->id == 0xffffc2832d498010u);
    assert_int_equal(s->bus, 1);
    assert_int_equal(s->devnum, 5);
    assert_int_equal(s->function, 0x000b);
    assert_int_equal(s->stage, 0);
    assert_int_equal(s->hdr_len, 28);
    assert_true(s->has_setup);
    assert_memory_equal(s->setup, get_dev_desc, 8);
    assert_int_equal(s->length, 18);
    assert_int_equal(c->type, 'C');
    assert_int_equal(c->stage, 3);
    assert_int_equal(c->link_frame, 1);
    assert_int_equal(c->data_len, 18);
    assert_int_equal(t.r->n_ctls, 1);
    const struct dfs_control *ctl = &t.r->ctls[0].c;
    assert_int_equal(ctl->end, DFS_CTL_COMPLETED);
    assert_int_equal(ctl->status, 0);
    assert_int_equal(ctl->actual_length, 18);
    assert_memory_equal(t.r->ctls[0].data, dev_desc, 18);
    assert_int_equal(t.r->n_devs >= 1, 1);
    free(t.r);
}

/* The old form: SETUP, DATA with the OUT data on the way down, STATUS on the
 * way back. The OUT data joins the transfer; the STATUS record completes it
 * with the wLength moved. */
static void old_form_out(void **state)
{
    (void)state;
    struct t t = start();
    static const uint8_t dnload[8] = {0x21, 1, 2, 0, 0, 0, 4, 0};
    static const uint8_t block[4] = {0xde, 0xad, 0xbe, 0xef};
    feed(&t, &(struct up){.irp = 7, .function = 0x001b, .transfer = 2, .stage = 0,
                          .data = dnload, .len = 8});
    feed(&t, &(struct up){.irp = 7, .function = 0x001b, .transfer = 2, .stage = 1,
                          .data = block, .len = 4});
    feed(&t, &(struct up){.irp = 7, .function = 0x0008, .info = 1, .transfer = 2, .stage = 2});
    stop(&t);
    assert_int_equal(t.r->n_urbs, 3);
    assert_int_equal(t.r->urbs[0].u.type, 'S');
    assert_int_equal(t.r->urbs[1].u.type, 'P');
    assert_int_equal(t.r->urbs[1].u.link_frame, 1);
    assert_int_equal(t.r->urbs[2].u.type, 'C');
    assert_int_equal(t.r->n_ctls, 1);
    const struct dfs_control *ctl = &t.r->ctls[0].c;
    assert_int_equal(ctl->submit_frame, 1);
    assert_int_equal(ctl->complete_frame, 3);
    assert_int_equal(ctl->actual_length, 4);
    assert_int_equal(ctl->data_len, 4);
    assert_memory_equal(t.r->ctls[0].data, block, 4);
    free(t.r);
}

/* The old form of an IN transfer: DATA on the way back completes it, the
 * STATUS record after it is a part. */
static void old_form_in_status_is_part(void **state)
{
    (void)state;
    struct t t = start();
    feed(&t, &(struct up){.irp = 9, .function = 0x000b, .transfer = 2, .stage = 0,
                          .data = get_dev_desc, .len = 8});
    feed(&t, &(struct up){.irp = 9, .function = 0x0008, .info = 1, .endpoint = 0x80,
                          .transfer = 2, .stage = 1, .data = dev_desc, .len = 18});
    feed(&t, &(struct up){.irp = 9, .function = 0x0008, .info = 1, .endpoint = 0x80,
                          .transfer = 2, .stage = 2});
    stop(&t);
    assert_int_equal(t.r->urbs[1].u.type, 'C');
    assert_int_equal(t.r->urbs[2].u.type, 'P');
    assert_int_equal(t.r->n_ctls, 1);
    assert_int_equal(t.r->ctls[0].c.data_len, 18);
    assert_int_equal(t.r->n_findings, 0);
    free(t.r);
}

/* USBD_STATUS codes become the errno a Linux host reports; the code stays. */
static void statuses(void **state)
{
    (void)state;
    static const struct {
        uint32_t code;
        int32_t err;
        const char *name;
    } cases[] = {
        {STALL_PID, -32, "USBD_STATUS_STALL_PID"},
        {CANCELED, -2, "USBD_STATUS_CANCELED"},
        {DEVICE_GONE, -19, "USBD_STATUS_DEVICE_GONE"},
        {XACT_ERROR, -71, "USBD_STATUS_XACT_ERROR"},
        {0xC0000005u, -71, "USBD_STATUS_DEV_NOT_RESPONDING"},
        {0xC0000030u, -32, "USBD_STATUS_ENDPOINT_HALTED"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dfs_usbd_status_errno(cases[i].code), cases[i].err);
        assert_string_equal(dfs_usbd_status_name(cases[i].code), cases[i].name);
    }
    assert_null(dfs_usbd_status_name(0xC0ABCDEFu));
    assert_int_equal(dfs_usbd_status_errno(0xC0ABCDEFu), -5);

    struct t t = start();
    static const uint8_t getstatus[8] = {0xa1, 3, 0, 0, 0, 0, 6, 0};
    feed(&t, &(struct up){.irp = 3, .function = 0x001b, .transfer = 2, .stage = 0,
                          .data = getstatus, .len = 8});
    feed(&t, &(struct up){.irp = 3, .status = STALL_PID, .function = 0x0008, .info = 1,
                          .endpoint = 0x80, .transfer = 2, .stage = 3});
    stop(&t);
    assert_int_equal(t.r->n_ctls, 1);
    assert_int_equal(t.r->ctls[0].c.status, -32);
    assert_int_equal(t.r->urbs[1].u.os_status, STALL_PID);
    free(t.r);
}

static const char *first_finding(const struct recorder *r)
{
    return r->n_findings ? r->findings[0].explanation : "";
}

/* Bad headers: a named finding with the frame; the next record is decoded. */
static void bad_headers(void **state)
{
    (void)state;
    static const struct {
        struct up u;
        const char *id, *text;
    } cases[] = {
        {{.transfer = 2, .stage = 0, .hdr_len = 20, .size = 28}, "capture.bad-header",
         "frame 1: USBPcap headerLen 20 is shorter than the 27-byte header"},
        {{.transfer = 2, .stage = 0, .hdr_len = 200, .size = 28}, "capture.record-short",
         "frame 1: USBPcap headerLen 200 is longer than the record (28 bytes)"},
        {{.transfer = 7}, "capture.bad-header", "frame 1: USBPcap transfer type 0x07"},
        {{.transfer = 2, .stage = -1}, "capture.bad-header",
         "frame 1: USBPcap control record with headerLen 27 has no stage byte"},
        {{.transfer = 2, .stage = 9}, "capture.bad-header", "frame 1: USBPcap control stage 9"},
        {{.transfer = 3, .stage = -1, .endpoint = 0x81, .info = 1, .data = dev_desc, .len = 4,
          .lie = 100},
         "capture.record-truncated", "frame 1: USBPcap dataLength 104 but the record holds 4"},
        {{.transfer = 3, .stage = -1, .endpoint = 0x81, .info = 1, .data = dev_desc, .len = 4,
          .lie = -2},
         "capture.record-truncated", "frame 1: USBPcap dataLength 2 but 4 bytes follow"},
        {{.transfer = 2, .stage = 0, .data = dev_desc, .len = 4}, "capture.bad-header",
         "frame 1: USBPcap SETUP record holds 4 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct t t = start();
        feed(&t, &cases[i].u);
        feed(&t, &(struct up){.irp = 1, .function = 0x000b, .transfer = 2, .stage = 0,
                              .data = get_dev_desc, .len = 8});
        stop(&t);
        assert_true(t.r->n_findings >= 1);
        assert_string_equal(t.r->findings[0].id, cases[i].id);
        if (strncmp(first_finding(t.r), cases[i].text, strlen(cases[i].text)) != 0)
            fail_msg("case %zu: %s", i, first_finding(t.r));
        assert_int_equal(t.r->findings[0].frame, 1);
        /* the good record after it is decoded */
        const struct rec_urb *last = &t.r->urbs[t.r->n_urbs - 1];
        assert_int_equal(last->u.frame, 2);
        assert_int_equal(last->u.type, 'S');
        free(t.r);
    }
}

/* USBPcap before 1.5: bulk OUT submits and IN completions alone, one IRP
 * reused for both: parts, never paired, no URB-id findings. Once an IN submit
 * shows both directions are written, submits and completions pair. */
static void bulk_forms(void **state)
{
    (void)state;
    struct t t = start();
    static const uint8_t cbw[4] = {0x55, 0x53, 0x42, 0x43};
    feed(&t, &(struct up){.irp = 4, .function = 9, .endpoint = 0x01, .transfer = 3,
                          .stage = -1, .data = cbw, .len = 4});
    feed(&t, &(struct up){.irp = 4, .function = 9, .info = 1, .endpoint = 0x82, .transfer = 3,
                          .stage = -1, .data = cbw, .len = 4});
    feed(&t, &(struct up){.irp = 4, .function = 9, .endpoint = 0x01, .transfer = 3,
                          .stage = -1, .data = cbw, .len = 4});
    feed(&t, &(struct up){.irp = 5, .function = 9, .endpoint = 0x82, .transfer = 3,
                          .stage = -1});
    feed(&t, &(struct up){.irp = 5, .function = 9, .info = 1, .endpoint = 0x82, .transfer = 3,
                          .stage = -1, .data = cbw, .len = 4});
    feed(&t, &(struct up){.irp = 6, .function = 0x1e, .info = 1,
                          .transfer = DFS_USBPCAP_XFER_IRP_INFO, .stage = -1});
    stop(&t);
    assert_int_equal(t.r->n_urbs, 6);
    assert_int_equal(t.r->urbs[0].u.type, 'P');
    assert_int_equal(t.r->urbs[1].u.type, 'P');
    assert_int_equal(t.r->urbs[2].u.type, 'P');
    assert_int_equal(t.r->urbs[3].u.type, 'S');
    assert_int_equal(t.r->urbs[4].u.type, 'C');
    assert_int_equal(t.r->urbs[4].u.link_frame, 4);
    assert_int_equal(t.r->urbs[5].u.type, 'P');
    assert_int_equal(t.r->urbs[5].u.function, 0x1e);
    assert_int_equal(t.r->n_findings, 0);
    free(t.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_form_in),   cmocka_unit_test(old_form_out),
        cmocka_unit_test(old_form_in_status_is_part), cmocka_unit_test(statuses),
        cmocka_unit_test(bad_headers),   cmocka_unit_test(bulk_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
