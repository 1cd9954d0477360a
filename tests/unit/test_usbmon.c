/* usbmon header parsing: every branch of dfs__usbmon_parse, both header
 * forms, both byte orders (dfu-facts.md section 5); and every field of both
 * header forms in both byte orders from bytes written by hand after the
 * usbmon documentation, through the decoder's public API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "records.h"

static const uint8_t get_dev_desc[8] = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00};

static enum dfs__parse_status parse(const uint8_t *buf, uint32_t len, int lt,
                                    enum dfs_byte_order order, struct dfs_urb *u, char *msg)
{
    return dfs__usbmon_parse(buf, len, lt, order, u, msg, 200);
}

static void control_submit_48(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct dfs_urb in = urb_ctl_submit(0xffff9689a8b2cc00ull, 1, 35, get_dev_desc, NULL, 0);
    in.urb_ts_sec = 1737511279;
    in.urb_ts_usec = 259851;
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(n, 48);
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_OK);
    assert_true(u.id == 0xffff9689a8b2cc00ull);
    assert_int_equal(u.type, 'S');
    assert_int_equal(u.xfer_type, DFS_XFER_CONTROL);
    assert_int_equal(u.endpoint, 0x80);
    assert_int_equal(u.devnum, 35);
    assert_int_equal(u.bus, 1);
    assert_true(u.has_setup);
    assert_memory_equal(u.setup, get_dev_desc, 8);
    assert_int_equal(u.flag_data, '<');
    assert_int_equal(u.status, -115);
    assert_int_equal(u.length, 18);
    assert_int_equal(u.len_cap, 0);
    assert_int_equal(u.data_len, 0);
    assert_true(u.urb_ts_sec == 1737511279);
    assert_int_equal(u.urb_ts_usec, 259851);
    assert_false(u.mmapped);
}

static void completion_64_with_data(void **state)
{
    (void)state;
    uint8_t data[18] = {18, 1, 0, 2, 0, 0, 0, 64, 0x83, 0x04, 0x11, 0xdf, 0, 2, 1, 2, 3, 1};
    uint8_t buf[128];
    struct dfs_urb in = urb_ctl_complete(7, 3, 6, 0x80, 0, data, 18, 18);
    in.interval = 5;
    in.start_frame = -1;
    in.xfer_flags = 0x200;
    size_t n =
        dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(n, 64 + 18);
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u,
                           msg),
                     DFS__PARSE_OK);
    assert_true(u.mmapped);
    assert_false(u.has_setup);
    assert_int_equal(u.interval, 5);
    assert_int_equal(u.start_frame, -1);
    assert_int_equal(u.xfer_flags, 0x200);
    assert_int_equal(u.ndesc, 0);
    assert_int_equal(u.data_len, 18);
    assert_memory_equal(u.data, data, 18);
}

static void foreign_byte_order(void **state)
{
    (void)state;
    /* Encode in each explicit order and parse back with the same order:
     * one of the two is the foreign order on any host. */
    enum dfs_byte_order orders[] = {DFS_ORDER_LITTLE, DFS_ORDER_BIG};
    for (int i = 0; i < 2; i++) {
        uint8_t buf[128];
        struct dfs_urb in = urb_ctl_complete(0x0102030405060708ull, 0x1234, 9, 0x80, -32, NULL,
                                             0, 0);
        in.urb_ts_sec = 0x11223344;
        in.urb_ts_usec = 999999;
        size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX_MMAPPED, orders[i], buf,
                                     sizeof buf);
        struct dfs_urb u;
        char msg[200];
        assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX_MMAPPED, orders[i], &u,
                               msg),
                         DFS__PARSE_OK);
        assert_true(u.id == 0x0102030405060708ull);
        assert_int_equal(u.bus, 0x1234);
        assert_int_equal(u.status, -32);
        assert_true(u.urb_ts_sec == 0x11223344);
        assert_int_equal(u.urb_ts_usec, 999999);
        /* big-endian id: first byte is the most significant */
        if (orders[i] == DFS_ORDER_BIG)
            assert_int_equal(buf[0], 0x01);
        else
            assert_int_equal(buf[0], 0x08);
    }
}

static void short_records(void **state)
{
    (void)state;
    uint8_t buf[64] = {0};
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, 47, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_SHORT);
    assert_string_equal(msg, "record of 47 bytes is shorter than the 48-byte usbmon header");
    assert_int_equal(parse(buf, 63, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_SHORT);
    assert_string_equal(msg, "record of 63 bytes is shorter than the 64-byte usbmon header");
    assert_int_equal(parse(buf, 0, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_SHORT);
}

static void bad_event_and_transfer_type(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct dfs_urb in = urb_ctl_submit(1, 1, 1, get_dev_desc, NULL, 0);
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    struct dfs_urb u;
    char msg[200];
    buf[8] = 'X';
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_BAD);
    assert_string_equal(msg, "usbmon event type 0x58 is none of 'S', 'C', 'E'");
    buf[8] = 'S';
    buf[9] = 4;
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_BAD);
    assert_non_null(strstr(msg, "transfer type 4"));
    buf[9] = DFS_XFER_CONTROL;
    buf[8] = 'E';
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_OK);
}

static void len_cap_beyond_record(void **state)
{
    (void)state;
    uint8_t data[64];
    memset(data, 0xab, sizeof data);
    uint8_t buf[160];
    struct dfs_urb in = urb_ctl_complete(1, 1, 2, 0x80, 0, data, 64, 64);
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    struct dfs_urb u;
    char msg[200];
    /* the record is cut after 10 data bytes */
    assert_int_equal(parse(buf, (uint32_t)n - 54, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u,
                           msg),
                     DFS__PARSE_DAMAGED);
    assert_int_equal(u.data_len, 10);
    assert_int_equal(u.len_cap, 64);
    assert_string_equal(msg,
                        "usbmon header announces 64 data bytes (len_cap) but the record holds 10");
}

static void data_flag_contradicts_len_cap(void **state)
{
    (void)state;
    uint8_t data[4] = {1, 2, 3, 4};
    uint8_t buf[128];
    struct dfs_urb in = urb_ctl_complete(1, 1, 2, 0x80, 0, data, 4, 4);
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    buf[15] = '<';
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_int_equal(u.data_len, 0);
    assert_string_equal(msg, "len_cap 4 although the data flag '<' says no data follows");
}

static void iso_descriptors_skipped(void **state)
{
    (void)state;
    /* 64-byte form: len_cap counts 2 descriptors (32 bytes) and 8 data bytes */
    uint8_t payload[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    uint8_t buf[160];
    struct dfs_urb in;
    memset(&in, 0, sizeof in);
    in.id = 5;
    in.type = 'S';
    in.xfer_type = DFS_XFER_ISO;
    in.endpoint = 0x01;
    in.devnum = 2;
    in.bus = 4;
    in.flag_setup = '-';
    in.iso_numdesc = 2;
    in.ndesc = 2;
    in.length = 8;
    in.data = payload;
    in.data_len = 8;
    size_t n =
        dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(n, 64 + 32 + 8);
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u,
                           msg),
                     DFS__PARSE_OK);
    assert_int_equal(u.len_cap, 40);
    assert_int_equal(u.ndesc, 2);
    assert_int_equal(u.iso_numdesc, 2);
    assert_int_equal(u.data_len, 8);
    assert_memory_equal(u.data, payload, 8);
    /* ndesc larger than the data */
    uint32_t huge = 1000000;
    memcpy(buf + 60, &huge, 4);
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u,
                           msg),
                     DFS__PARSE_DAMAGED);
    assert_non_null(strstr(msg, "ndesc 1000000"));
}

/* ndesc checks one at a time: more than len_cap, more than the record */
static void iso_descriptor_count_checks(void **state)
{
    (void)state;
    uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t buf[256];
    struct dfs_urb in;
    memset(&in, 0, sizeof in);
    in.id = 5;
    in.type = 'C';
    in.xfer_type = DFS_XFER_ISO;
    in.endpoint = 0x82;
    in.bus = 1;
    in.devnum = 3;
    in.flag_setup = '-';
    in.iso_numdesc = 2;
    in.ndesc = 2;
    in.length = 8;
    in.data = payload;
    in.data_len = 8;
    size_t n =
        dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(n, 64 + 32 + 8);
    struct dfs_urb u;
    char msg[200];
    /* 3 descriptors = 48 bytes: more than len_cap (40), fewer than the 56 present */
    uint32_t three = 3;
    memcpy(buf + 60, &three, 4);
    uint8_t big[256];
    memcpy(big, buf, n);
    memset(big + n, 0, 16);
    assert_int_equal(parse(big, (uint32_t)n + 16, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST,
                           &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_string_equal(msg, "ndesc 3 announces 48 bytes of isochronous descriptors but len_cap "
                             "is 40 and 56 bytes follow the header");
    /* 2 descriptors but the record ends inside them; len_cap agrees */
    uint32_t two = 2;
    memcpy(buf + 60, &two, 4);
    assert_int_equal(parse(buf, 64 + 20, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_non_null(strstr(msg, "and 20 bytes follow the header"));
    /* the record ends right after the descriptors: no data, header fine */
    assert_int_equal(parse(buf, 64 + 32, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_int_equal(u.data_len, 0);
    assert_int_equal(u.ndesc, 2);
    assert_string_equal(msg,
                        "usbmon header announces 40 data bytes (len_cap) but the record holds 32");
    /* and 3 of the 8 data bytes */
    assert_int_equal(parse(buf, 64 + 35, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_int_equal(u.data_len, 3);
    assert_memory_equal(u.data, payload, 3);
}

/* The 48-byte form has no ndesc field, but usbmon still puts the
 * isochronous descriptors before the data (its 48-byte read interface copies
 * the same buffer, len_cap counting them) and Wireshark reads them from
 * there: their number is iso_numdesc, at most 128 (usbmon's ISODESC_MAX). */
static void iso_descriptors_in_48_byte_form(void **state)
{
    (void)state;
    uint8_t payload[6] = {0xa, 0xb, 0xc, 0xd, 0xe, 0xf};
    uint8_t buf[256];
    struct dfs_urb in;
    memset(&in, 0, sizeof in);
    in.id = 9;
    in.type = 'C';
    in.xfer_type = DFS_XFER_ISO;
    in.endpoint = 0x82;
    in.bus = 1;
    in.devnum = 3;
    in.flag_setup = '-';
    in.iso_error_count = 1;
    in.iso_numdesc = 3;
    in.length = 6;
    in.data = payload;
    in.data_len = 6;
    for (int o = 0; o < 3; o++) {
        enum dfs_byte_order order = (enum dfs_byte_order)o;
        size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, order, buf, sizeof buf);
        assert_int_equal(n, 48 + 3 * 16 + 6);
        struct dfs_urb u;
        char msg[200];
        assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, order, &u, msg),
                         DFS__PARSE_OK);
        assert_int_equal(u.len_cap, 3 * 16 + 6);
        assert_int_equal(u.iso_numdesc, 3);
        assert_int_equal(u.iso_error_count, 1);
        assert_int_equal(u.ndesc, 3);
        assert_false(u.mmapped);
        assert_int_equal(u.data_len, 6);
        assert_memory_equal(u.data, payload, 6);
    }
    /* a negative count means none; more than 128 means 128 */
    in.iso_numdesc = -1;
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(n, 48 + 6);
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_OK);
    assert_int_equal(u.ndesc, 0);
    assert_int_equal(u.data_len, 6);
    static uint8_t huge[48 + 128 * 16 + 6];
    in.iso_numdesc = 200;
    n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, huge, sizeof huge);
    assert_int_equal(n, sizeof huge);
    assert_int_equal(parse(huge, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_OK);
    assert_int_equal(u.ndesc, 128);
    assert_int_equal(u.data_len, 6);
    assert_memory_equal(u.data, payload, 6);
    /* more descriptors than the record holds */
    in.iso_numdesc = 3;
    n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(parse(buf, 48 + 20, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_string_equal(msg, "iso_numdesc 3 announces 48 bytes of isochronous descriptors but "
                             "len_cap is 54 and 20 bytes follow the header");
    /* setup present (not the iso fields): no descriptors */
    in.flag_setup = 0;
    memset(in.setup, 0, 8);
    in.iso_numdesc = 0;
    n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(n, 48 + 6);
    buf[44] = 3; /* would read as iso_numdesc 3 (little-endian host) or more */
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_OK);
    assert_int_equal(u.data_len, 6);
    assert_int_equal(u.ndesc, 0);
}

/* Not every data flag is printable. */
static void data_flag_unprintable(void **state)
{
    (void)state;
    uint8_t data[2] = {1, 2};
    uint8_t buf[128];
    struct dfs_urb in = urb_ctl_complete(1, 1, 2, 0x80, 0, data, 2, 2);
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    buf[15] = 0x01;
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    assert_string_equal(msg, "len_cap 2 although the data flag '?' says no data follows");
    /* a flag without data is what submits of IN transfers look like */
    in = urb_ctl_complete(1, 1, 2, 0x80, 0, NULL, 0, 0);
    n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    assert_int_equal(parse(buf, (uint32_t)n, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_OK);
    assert_int_equal(u.flag_data, '>');
    assert_string_equal(msg, "");
}

/* No message buffer: the parser still works and writes nothing. */
static void no_message_buffer(void **state)
{
    (void)state;
    uint8_t buf[64] = {0};
    struct dfs_urb u;
    assert_int_equal(dfs__usbmon_parse(buf, 10, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, NULL,
                                       0),
                     DFS__PARSE_SHORT);
    buf[8] = 'Z';
    assert_int_equal(dfs__usbmon_parse(buf, 48, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, NULL,
                                       0),
                     DFS__PARSE_BAD);
}

/* Every header field survives encode + parse, in each byte order and form;
 * the raw bytes of a field written in one order read back swapped in the
 * other. */
static void round_trip_all_fields(void **state)
{
    (void)state;
    uint8_t data[5] = {0xde, 0xad, 0xbe, 0xef, 0x01};
    struct dfs_urb in;
    memset(&in, 0, sizeof in);
    in.id = 0x8877665544332211ull;
    in.type = 'C';
    in.xfer_type = DFS_XFER_INTERRUPT;
    in.endpoint = 0x83;
    in.devnum = 127;
    in.bus = 0xfedc;
    in.flag_setup = '-';
    in.flag_data = 0;
    in.urb_ts_sec = -2;
    in.urb_ts_usec = 123456;
    in.status = -71;
    in.length = 5;
    in.iso_error_count = -7;
    in.iso_numdesc = 0x01020304;
    in.interval = 8;
    in.start_frame = 0x7fffffff;
    in.xfer_flags = 0x80000201;
    in.data = data;
    in.data_len = 5;
    const int lts[2] = {DFS_LINKTYPE_USB_LINUX, DFS_LINKTYPE_USB_LINUX_MMAPPED};
    for (int l = 0; l < 2; l++) {
        uint8_t le[128], be[128];
        size_t nl = dfs_usbmon_encode(&in, lts[l], DFS_ORDER_LITTLE, le, sizeof le);
        size_t nb = dfs_usbmon_encode(&in, lts[l], DFS_ORDER_BIG, be, sizeof be);
        assert_int_equal(nl, (l ? 64u : 48u) + 5);
        assert_int_equal(nb, nl);
        /* one-byte fields and data identical, multi-byte fields reversed */
        assert_memory_equal(le + 8, be + 8, 4);
        assert_memory_equal(le + 14, be + 14, 2);
        assert_memory_equal(le + nl - 5, data, 5);
        assert_memory_equal(be + nb - 5, data, 5);
        assert_int_equal(le[0], 0x11);
        assert_int_equal(be[0], 0x88);
        assert_int_equal(le[12], 0xdc);
        assert_int_equal(be[12], 0xfe);
        for (int o = 0; o < 2; o++) {
            struct dfs_urb u;
            char msg[200];
            const uint8_t *b = o ? be : le;
            assert_int_equal(parse(b, (uint32_t)nl, lts[l], o ? DFS_ORDER_BIG : DFS_ORDER_LITTLE,
                                   &u, msg),
                             DFS__PARSE_OK);
            assert_true(u.id == in.id);
            assert_int_equal(u.type, 'C');
            assert_int_equal(u.xfer_type, DFS_XFER_INTERRUPT);
            assert_int_equal(u.endpoint, 0x83);
            assert_int_equal(u.devnum, 127);
            assert_int_equal(u.bus, 0xfedc);
            assert_int_equal(u.flag_setup, '-');
            assert_false(u.has_setup);
            assert_true(u.urb_ts_sec == -2);
            assert_int_equal(u.urb_ts_usec, 123456);
            assert_int_equal(u.status, -71);
            assert_int_equal(u.length, 5);
            assert_int_equal(u.len_cap, 5);
            assert_int_equal(u.iso_error_count, -7);
            assert_int_equal(u.iso_numdesc, 0x01020304);
            assert_int_equal(u.mmapped, l == 1);
            if (l) {
                assert_int_equal(u.interval, 8);
                assert_int_equal(u.start_frame, 0x7fffffff);
                assert_int_equal(u.xfer_flags, 0x80000201);
            } else {
                assert_int_equal(u.interval, 0);
                assert_int_equal(u.start_frame, 0);
                assert_int_equal(u.xfer_flags, 0);
            }
            assert_int_equal(u.ndesc, 0);
            assert_int_equal(u.data_len, 5);
            assert_memory_equal(u.data, data, 5);
        }
    }
}

static void encode_refusals(void **state)
{
    (void)state;
    uint8_t data[4] = {1, 2, 3, 4};
    uint8_t buf[128];
    struct dfs_urb in = urb_ctl_complete(1, 1, 2, 0x80, 0, data, 4, 4);
    assert_int_equal(dfs_usbmon_encode(NULL, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, 128), 0);
    assert_int_equal(dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, NULL, 128), 0);
    assert_int_equal(dfs_usbmon_encode(&in, 1, DFS_ORDER_HOST, buf, 128), 0);
    assert_int_equal(dfs_usbmon_encode(&in, 249, DFS_ORDER_HOST, buf, 128), 0);
    /* exactly enough room, one byte less */
    assert_int_equal(dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, 52), 52);
    assert_int_equal(dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, 51), 0);
    assert_int_equal(
        dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, 67), 0);
    /* data announced but missing */
    in.data = NULL;
    assert_int_equal(dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, 128), 0);
    /* descriptors that would overflow len_cap */
    in = urb_ctl_complete(1, 1, 2, 0x80, 0, NULL, 0, 0);
    in.xfer_type = DFS_XFER_ISO;
    in.ndesc = 0x10000000;
    assert_int_equal(
        dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, 128), 0);
}

/* A record cut short keeps its len_cap claim when written again. */
static void encode_keeps_truncation(void **state)
{
    (void)state;
    uint8_t data[64];
    memset(data, 0x5a, sizeof data);
    uint8_t buf[160];
    struct dfs_urb in = urb_ctl_complete(1, 1, 2, 0x80, 0, data, 64, 64);
    size_t n = dfs_usbmon_encode(&in, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, buf, sizeof buf);
    struct dfs_urb u;
    char msg[200];
    assert_int_equal(parse(buf, (uint32_t)n - 60, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_HOST, &u, msg),
                     DFS__PARSE_DAMAGED);
    uint8_t again[160];
    size_t m = dfs_usbmon_encode(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_BIG, again,
                                 sizeof again);
    assert_int_equal(m, 64 + 4);
    struct dfs_urb v;
    assert_int_equal(parse(again, (uint32_t)m, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_BIG, &v,
                           msg),
                     DFS__PARSE_DAMAGED);
    assert_int_equal(v.len_cap, 64);
    assert_int_equal(v.data_len, 4);
    assert_string_equal(msg,
                        "usbmon header announces 64 data bytes (len_cap) but the record holds 4");
}

/* ---- every header field, from bytes laid out by hand ----------------------------------- */
/* Records written byte by byte from the usbmon documentation (Linux
 * Documentation/usb/usbmon.rst, "Raw binary format and API": struct
 * usbmon_packet, 48 bytes for DLT_USB_LINUX, 64 with interval, start_frame,
 * xfer_flags and ndesc for DLT_USB_LINUX_MMAPPED; dfu-facts.md section 5):
 * each record in little- and big-endian order, the multi-byte fields in
 * that order, the setup bytes always in USB wire order. Every value is
 * different from its byte-swapped self, so a field read in the wrong order
 * or at the wrong offset shows. They are decoded through the decoder's
 * public API, independently of dfs_usbmon_encode. */

/* A: control submit, GET_DESCRIPTOR(DEVICE), 48-byte header */
static const uint8_t A_LE[] = {
    /*  0 id              */ 0x00, 0xcc, 0xb2, 0xa8, 0x89, 0x96, 0xff, 0xff,
    /*  8 type            */ 0x53,
    /*  9 xfer_type       */ 0x02,
    /* 10 epnum           */ 0x80,
    /* 11 devnum          */ 0x23,
    /* 12 busnum          */ 0x03, 0x01,
    /* 14 flag_setup      */ 0x00,
    /* 15 flag_data       */ 0x3c,
    /* 16 ts_sec          */ 0x6f, 0x51, 0x90, 0x67, 0x00, 0x00, 0x00, 0x00,
    /* 24 ts_usec         */ 0x0b, 0xf7, 0x03, 0x00,
    /* 28 status          */ 0x8d, 0xff, 0xff, 0xff,
    /* 32 length          */ 0x12, 0x00, 0x00, 0x00,
    /* 36 len_cap         */ 0x00, 0x00, 0x00, 0x00,
    /* 40 setup           */ 0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00,
};
static const uint8_t A_BE[] = {
    /*  0 id              */ 0xff, 0xff, 0x96, 0x89, 0xa8, 0xb2, 0xcc, 0x00,
    /*  8 type            */ 0x53,
    /*  9 xfer_type       */ 0x02,
    /* 10 epnum           */ 0x80,
    /* 11 devnum          */ 0x23,
    /* 12 busnum          */ 0x01, 0x03,
    /* 14 flag_setup      */ 0x00,
    /* 15 flag_data       */ 0x3c,
    /* 16 ts_sec          */ 0x00, 0x00, 0x00, 0x00, 0x67, 0x90, 0x51, 0x6f,
    /* 24 ts_usec         */ 0x00, 0x03, 0xf7, 0x0b,
    /* 28 status          */ 0xff, 0xff, 0xff, 0x8d,
    /* 32 length          */ 0x00, 0x00, 0x00, 0x12,
    /* 36 len_cap         */ 0x00, 0x00, 0x00, 0x00,
    /* 40 setup           */ 0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00,
};

/* B: control completion with 18 bytes of data, status -EREMOTEIO, 64-byte header */
static const uint8_t B_LE[] = {
    /*  0 id              */ 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    /*  8 type            */ 0x43,
    /*  9 xfer_type       */ 0x02,
    /* 10 epnum           */ 0x80,
    /* 11 devnum          */ 0x07,
    /* 12 busnum          */ 0x03, 0x02,
    /* 14 flag_setup      */ 0x2d,
    /* 15 flag_data       */ 0x00,
    /* 16 ts_sec          */ 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00,
    /* 24 ts_usec         */ 0x3f, 0x42, 0x0f, 0x00,
    /* 28 status          */ 0x87, 0xff, 0xff, 0xff,
    /* 32 length          */ 0x12, 0x00, 0x00, 0x00,
    /* 36 len_cap         */ 0x12, 0x00, 0x00, 0x00,
    /* 40 setup           */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 48 interval        */ 0x0a, 0x00, 0x00, 0x00,
    /* 52 start_frame     */ 0x02, 0x01, 0x00, 0x00,
    /* 56 xfer_flags      */ 0x01, 0x02, 0x00, 0x00,
    /* 60 ndesc           */ 0x00, 0x00, 0x00, 0x00,
    /* 64 data: a device descriptor */
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x83, 0x04, 0x11, 0xdf, 0x00, 0x02, 0x01, 0x02,
    0x03, 0x01,
};
static const uint8_t B_BE[] = {
    /*  0 id              */ 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    /*  8 type            */ 0x43,
    /*  9 xfer_type       */ 0x02,
    /* 10 epnum           */ 0x80,
    /* 11 devnum          */ 0x07,
    /* 12 busnum          */ 0x02, 0x03,
    /* 14 flag_setup      */ 0x2d,
    /* 15 flag_data       */ 0x00,
    /* 16 ts_sec          */ 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89,
    /* 24 ts_usec         */ 0x00, 0x0f, 0x42, 0x3f,
    /* 28 status          */ 0xff, 0xff, 0xff, 0x87,
    /* 32 length          */ 0x00, 0x00, 0x00, 0x12,
    /* 36 len_cap         */ 0x00, 0x00, 0x00, 0x12,
    /* 40 setup           */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 48 interval        */ 0x00, 0x00, 0x00, 0x0a,
    /* 52 start_frame     */ 0x00, 0x00, 0x01, 0x02,
    /* 56 xfer_flags      */ 0x00, 0x00, 0x02, 0x01,
    /* 60 ndesc           */ 0x00, 0x00, 0x00, 0x00,
    /* 64 data: a device descriptor */
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x83, 0x04, 0x11, 0xdf, 0x00, 0x02, 0x01, 0x02,
    0x03, 0x01,
};

/* C: isochronous completion, two descriptors then 8 data bytes, 64-byte
 * header (ndesc says how many descriptors) */
static const uint8_t C_LE[] = {
    /*  0 id              */ 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    /*  8 type            */ 0x43,
    /*  9 xfer_type       */ 0x00,
    /* 10 epnum           */ 0x82,
    /* 11 devnum          */ 0x09,
    /* 12 busnum          */ 0x04, 0x01,
    /* 14 flag_setup      */ 0x2d,
    /* 15 flag_data       */ 0x00,
    /* 16 ts_sec          */ 0x00, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
    /* 24 ts_usec         */ 0x45, 0x23, 0x01, 0x00,
    /* 28 status          */ 0x00, 0x00, 0x00, 0x00,
    /* 32 length          */ 0x08, 0x00, 0x00, 0x00,
    /* 36 len_cap         */ 0x28, 0x00, 0x00, 0x00,
    /* 40 iso error_count */ 0x01, 0x00, 0x00, 0x00,
    /* 44 iso numdesc     */ 0x02, 0x00, 0x00, 0x00,
    /* 48 interval        */ 0x01, 0x00, 0x00, 0x00,
    /* 52 start_frame     */ 0xe8, 0x03, 0x00, 0x00,
    /* 56 xfer_flags      */ 0x02, 0x00, 0x00, 0x00,
    /* 60 ndesc           */ 0x02, 0x00, 0x00, 0x00,
    /* 64 iso descriptor 0: status, offset, length, padding */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 80 iso descriptor 1 */
    0xee, 0xff, 0xff, 0xff, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 96 data */
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
};
static const uint8_t C_BE[] = {
    /*  0 id              */ 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    /*  8 type            */ 0x43,
    /*  9 xfer_type       */ 0x00,
    /* 10 epnum           */ 0x82,
    /* 11 devnum          */ 0x09,
    /* 12 busnum          */ 0x01, 0x04,
    /* 14 flag_setup      */ 0x2d,
    /* 15 flag_data       */ 0x00,
    /* 16 ts_sec          */ 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,
    /* 24 ts_usec         */ 0x00, 0x01, 0x23, 0x45,
    /* 28 status          */ 0x00, 0x00, 0x00, 0x00,
    /* 32 length          */ 0x00, 0x00, 0x00, 0x08,
    /* 36 len_cap         */ 0x00, 0x00, 0x00, 0x28,
    /* 40 iso error_count */ 0x00, 0x00, 0x00, 0x01,
    /* 44 iso numdesc     */ 0x00, 0x00, 0x00, 0x02,
    /* 48 interval        */ 0x00, 0x00, 0x00, 0x01,
    /* 52 start_frame     */ 0x00, 0x00, 0x03, 0xe8,
    /* 56 xfer_flags      */ 0x00, 0x00, 0x00, 0x02,
    /* 60 ndesc           */ 0x00, 0x00, 0x00, 0x02,
    /* 64 iso descriptor 0: status, offset, length, padding */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* 80 iso descriptor 1 */
    0xff, 0xff, 0xff, 0xee, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* 96 data */
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
};

/* D: isochronous completion, one descriptor then 4 data bytes, 48-byte
 * header (no ndesc: the descriptors are counted by iso numdesc) */
static const uint8_t D_LE[] = {
    /*  0 id              */ 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    /*  8 type            */ 0x43,
    /*  9 xfer_type       */ 0x00,
    /* 10 epnum           */ 0x83,
    /* 11 devnum          */ 0x04,
    /* 12 busnum          */ 0x05, 0x01,
    /* 14 flag_setup      */ 0x2d,
    /* 15 flag_data       */ 0x00,
    /* 16 ts_sec          */ 0x01, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
    /* 24 ts_usec         */ 0x21, 0x43, 0x05, 0x00,
    /* 28 status          */ 0xee, 0xff, 0xff, 0xff,
    /* 32 length          */ 0x04, 0x00, 0x00, 0x00,
    /* 36 len_cap         */ 0x14, 0x00, 0x00, 0x00,
    /* 40 iso error_count */ 0x00, 0x00, 0x00, 0x00,
    /* 44 iso numdesc     */ 0x01, 0x00, 0x00, 0x00,
    /* 48 iso descriptor 0: status, offset, length, padding */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 64 data */
    0xe0, 0xe1, 0xe2, 0xe3,
};
static const uint8_t D_BE[] = {
    /*  0 id              */ 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    /*  8 type            */ 0x43,
    /*  9 xfer_type       */ 0x00,
    /* 10 epnum           */ 0x83,
    /* 11 devnum          */ 0x04,
    /* 12 busnum          */ 0x01, 0x05,
    /* 14 flag_setup      */ 0x2d,
    /* 15 flag_data       */ 0x00,
    /* 16 ts_sec          */ 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x01,
    /* 24 ts_usec         */ 0x00, 0x05, 0x43, 0x21,
    /* 28 status          */ 0xff, 0xff, 0xff, 0xee,
    /* 32 length          */ 0x00, 0x00, 0x00, 0x04,
    /* 36 len_cap         */ 0x00, 0x00, 0x00, 0x14,
    /* 40 iso error_count */ 0x00, 0x00, 0x00, 0x00,
    /* 44 iso numdesc     */ 0x00, 0x00, 0x00, 0x01,
    /* 48 iso descriptor 0: status, offset, length, padding */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* 64 data */
    0xe0, 0xe1, 0xe2, 0xe3,
};

/* What the decoder must read from each record: every field of the header. */
struct hand_record {
    const char *name;
    int linktype;
    enum dfs_byte_order order;
    const uint8_t *bytes;
    size_t len;
    struct dfs_urb want; /* the header's fields; data is an offset into bytes */
    size_t data_off;
};

#define HAND(nm, lt, ord, arr, off, ...)                                                           \
    {.name = nm, .linktype = lt, .order = ord, .bytes = arr, .len = sizeof arr,                    \
     .data_off = off, .want = {__VA_ARGS__}}

#define WANT_A(iso_ec, iso_nd)                                                                     \
    .id = 0xffff9689a8b2cc00ull, .type = 'S', .xfer_type = DFS_XFER_CONTROL, .endpoint = 0x80,    \
    .devnum = 35, .bus = 0x0103, .flag_setup = 0, .flag_data = '<', .urb_ts_sec = 1737511279,     \
    .urb_ts_usec = 259851, .status = -115, .length = 18, .len_cap = 0, .has_setup = true,        \
    .setup = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00}, .iso_error_count = iso_ec,        \
    .iso_numdesc = iso_nd, .mmapped = false, .interval = 0, .start_frame = 0, .xfer_flags = 0,    \
    .ndesc = 0, .data_len = 0

#define WANT_B                                                                                     \
    .id = 0x0102030405060708ull, .type = 'C', .xfer_type = DFS_XFER_CONTROL, .endpoint = 0x80,    \
    .devnum = 7, .bus = 0x0203, .flag_setup = '-', .flag_data = 0,                               \
    .urb_ts_sec = 0x123456789ll, .urb_ts_usec = 999999, .status = -121, .length = 18,            \
    .len_cap = 18, .has_setup = false, .setup = {0}, .iso_error_count = 0, .iso_numdesc = 0,     \
    .mmapped = true, .interval = 10, .start_frame = 0x102, .xfer_flags = 0x201, .ndesc = 0,      \
    .data_len = 18

#define WANT_C                                                                                     \
    .id = 0x1122334455667788ull, .type = 'C', .xfer_type = DFS_XFER_ISO, .endpoint = 0x82,        \
    .devnum = 9, .bus = 0x0104, .flag_setup = '-', .flag_data = 0, .urb_ts_sec = 1700000000,     \
    .urb_ts_usec = 0x12345, .status = 0, .length = 8, .len_cap = 40, .has_setup = false,         \
    .iso_error_count = 1, .iso_numdesc = 2, .mmapped = true, .interval = 1, .start_frame = 1000, \
    .xfer_flags = 2, .ndesc = 2, .data_len = 8

#define WANT_D                                                                                     \
    .id = 0x8877665544332211ull, .type = 'C', .xfer_type = DFS_XFER_ISO, .endpoint = 0x83,        \
    .devnum = 4, .bus = 0x0105, .flag_setup = '-', .flag_data = 0, .urb_ts_sec = 1700000001,     \
    .urb_ts_usec = 0x54321, .status = -18, .length = 4, .len_cap = 20, .has_setup = false,       \
    .iso_error_count = 0, .iso_numdesc = 1, .mmapped = false, .interval = 0, .start_frame = 0,   \
    .xfer_flags = 0, .ndesc = 1, .data_len = 4

static const struct hand_record HAND_RECORDS[] = {
    /* the setup bytes read as the iso fields of the union, in each order */
    HAND("A 48 little", DFS_LINKTYPE_USB_LINUX, DFS_ORDER_LITTLE, A_LE, 48,
         WANT_A(0x01000680, 0x00120000)),
    HAND("A 48 big", DFS_LINKTYPE_USB_LINUX, DFS_ORDER_BIG, A_BE, 48,
         WANT_A((int32_t)0x80060001u, 0x00001200)),
    HAND("B 64 little", DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_LITTLE, B_LE, 64, WANT_B),
    HAND("B 64 big", DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_BIG, B_BE, 64, WANT_B),
    HAND("C 64 iso little", DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_LITTLE, C_LE, 96, WANT_C),
    HAND("C 64 iso big", DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_BIG, C_BE, 96, WANT_C),
    HAND("D 48 iso little", DFS_LINKTYPE_USB_LINUX, DFS_ORDER_LITTLE, D_LE, 64, WANT_D),
    HAND("D 48 iso big", DFS_LINKTYPE_USB_LINUX, DFS_ORDER_BIG, D_BE, 64, WANT_D),
};

struct urb_seen {
    int n;
    struct dfs_urb u;
    int problems; /* findings of warning or error severity */
};

static int seen_urb(void *user, const struct dfs_urb *u)
{
    struct urb_seen *s = user;
    s->n++;
    s->u = *u;
    return 0;
}

static int seen_finding(void *user, const struct dfs_finding *f)
{
    struct urb_seen *s = user;
    if (f->severity >= DFS_SEV_WARNING) {
        print_message("  %s: %s\n", f->id, f->explanation);
        s->problems++;
    }
    return 0;
}

/* Decode one record alone through the public API: the URB it gives. */
static struct urb_seen decode_alone(const uint8_t *bytes, size_t len, int linktype,
                                    enum dfs_byte_order order)
{
    struct urb_seen s;
    memset(&s, 0, sizeof s);
    struct dfs_options o;
    dfs_options_init(&o);
    struct dfs_sink sink = {.user = &s, .on_urb = seen_urb, .on_finding = seen_finding};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&o, &sink, &d), DFS_OK);
    struct dfs_record r = {.frame = 42, .ts = {1800000000, 123456789}, .linktype = linktype,
                           .order = order, .caplen = (uint32_t)len, .origlen = (uint32_t)len,
                           .data = bytes};
    assert_int_equal(dfs_decoder_feed(d, &r), DFS_OK);
    dfs_decoder_free(d);
    return s;
}

static void hand_written_headers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof HAND_RECORDS / sizeof HAND_RECORDS[0]; i++) {
        const struct hand_record *h = &HAND_RECORDS[i];
        const struct dfs_urb *w = &h->want;
        print_message("%s\n", h->name);
        struct urb_seen s = decode_alone(h->bytes, h->len, h->linktype, h->order);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.problems, 0);
        const struct dfs_urb *u = &s.u;
        /* from the record */
        assert_int_equal(u->frame, 42);
        assert_true(u->ts.sec == 1800000000 && u->ts.nsec == 123456789);
        /* the header, field by field */
        assert_true(u->id == w->id);
        assert_int_equal(u->type, w->type);
        assert_int_equal(u->xfer_type, w->xfer_type);
        assert_int_equal(u->endpoint, w->endpoint);
        assert_int_equal(u->devnum, w->devnum);
        assert_int_equal(u->bus, w->bus);
        assert_int_equal(u->flag_setup, w->flag_setup);
        assert_int_equal(u->flag_data, w->flag_data);
        assert_true(u->urb_ts_sec == w->urb_ts_sec);
        assert_int_equal(u->urb_ts_usec, w->urb_ts_usec);
        assert_int_equal(u->status, w->status);
        assert_int_equal(u->length, w->length);
        assert_int_equal(u->len_cap, w->len_cap);
        assert_int_equal(u->has_setup, w->has_setup);
        if (w->has_setup)
            assert_memory_equal(u->setup, w->setup, 8);
        assert_int_equal(u->iso_error_count, w->iso_error_count);
        assert_int_equal(u->iso_numdesc, w->iso_numdesc);
        assert_int_equal(u->mmapped, w->mmapped);
        assert_int_equal(u->interval, w->interval);
        assert_int_equal(u->start_frame, w->start_frame);
        assert_int_equal(u->xfer_flags, w->xfer_flags);
        assert_int_equal(u->ndesc, w->ndesc);
        /* the data: after the header and the isochronous descriptors */
        assert_int_equal(u->data_len, w->data_len);
        assert_true(u->data == h->bytes + h->data_off);
        assert_int_equal(h->data_off + w->data_len, h->len);
    }
}

/* The same bytes read in the other byte order give the swapped values: the
 * order of the record, not the host's, decides. */
static void hand_written_headers_other_order(void **state)
{
    (void)state;
    struct urb_seen s = decode_alone(A_LE, sizeof A_LE, DFS_LINKTYPE_USB_LINUX, DFS_ORDER_BIG);
    assert_int_equal(s.n, 1);
    assert_true(s.u.id == 0x00ccb2a88996ffffull);
    assert_int_equal(s.u.bus, 0x0301);
    assert_int_equal(s.u.status, (int32_t)0x8dffffffu);
    assert_int_equal(s.u.length, 0x12000000u);
    assert_memory_equal(s.u.setup, A_BE + 40, 8); /* wire order in both */
    assert_int_equal(s.problems, 0);
    s = decode_alone(B_BE, sizeof B_BE, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_LITTLE);
    assert_int_equal(s.n, 1);
    /* len_cap 0x12000000: far more data than the record holds */
    assert_int_equal(s.u.len_cap, 0x12000000u);
    assert_int_equal(s.problems, 1);
    assert_int_equal(s.u.bus, 0x0302);
    assert_int_equal(s.u.interval, 0x0a000000);
    assert_int_equal(s.u.xfer_flags, 0x01020000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(control_submit_48),
        cmocka_unit_test(completion_64_with_data),
        cmocka_unit_test(foreign_byte_order),
        cmocka_unit_test(short_records),
        cmocka_unit_test(bad_event_and_transfer_type),
        cmocka_unit_test(len_cap_beyond_record),
        cmocka_unit_test(data_flag_contradicts_len_cap),
        cmocka_unit_test(iso_descriptors_skipped),
        cmocka_unit_test(iso_descriptor_count_checks),
        cmocka_unit_test(iso_descriptors_in_48_byte_form),
        cmocka_unit_test(data_flag_unprintable),
        cmocka_unit_test(no_message_buffer),
        cmocka_unit_test(round_trip_all_fields),
        cmocka_unit_test(encode_refusals),
        cmocka_unit_test(encode_keeps_truncation),
        cmocka_unit_test(hand_written_headers),
        cmocka_unit_test(hand_written_headers_other_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
