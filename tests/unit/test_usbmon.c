/* usbmon header parsing: every branch of dfs__usbmon_parse, both header
 * forms, both byte orders (dfu-facts.md section 5). */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
