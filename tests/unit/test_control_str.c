/* One-line summaries of control transfers: dfs_control_request_str and
 * dfs_control_data_str, for every request form they name (USB 2.0 table
 * 9-4, DFU 1.1 table 3.2) and every data form they decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/dfuscope.h"

static struct dfs_control ctl_of(uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                                 uint16_t length)
{
    struct dfs_control c;
    memset(&c, 0, sizeof c);
    c.has_setup = true;
    c.setup.bmRequestType = type;
    c.setup.bRequest = req;
    c.setup.wValue = value;
    c.setup.wIndex = index;
    c.setup.wLength = length;
    c.endpoint = type & 0x80;
    return c;
}

static void requests(void **state)
{
    (void)state;
    static const struct {
        uint8_t type, req;
        uint16_t value, index, length;
        bool dfu;
        const char *want;
    } cases[] = {
        /* standard, device */
        {0x80, 6, 0x0100, 0, 18, false, "GET_DESCRIPTOR DEVICE len 18"},
        {0x80, 6, 0x0200, 0, 9, false, "GET_DESCRIPTOR CONFIGURATION index 0 len 9"},
        {0x80, 6, 0x0201, 0, 9, false, "GET_DESCRIPTOR CONFIGURATION index 1 len 9"},
        {0x80, 6, 0x0300, 0, 255, false, "GET_DESCRIPTOR STRING len 255"},
        {0x80, 6, 0x0302, 0x0409, 255, false, "GET_DESCRIPTOR STRING 2 lang 0x0409 len 255"},
        {0x80, 6, 0x0600, 0, 10, false, "GET_DESCRIPTOR DEVICE_QUALIFIER len 10"},
        {0x80, 6, 0x0700, 0, 9, false, "GET_DESCRIPTOR OTHER_SPEED_CONFIGURATION len 9"},
        {0x80, 6, 0x0f00, 0, 5, false, "GET_DESCRIPTOR BOS len 5"},
        {0x80, 6, 0x7701, 0, 4, false, "GET_DESCRIPTOR type 0x77 index 1 len 4"},
        {0x81, 6, 0x2200, 0, 63, false, "GET_DESCRIPTOR REPORT (interface 0) len 63"},
        {0x82, 6, 0x3000, 1, 6, false,
         "GET_DESCRIPTOR SS_ENDPOINT_COMPANION (endpoint 1) len 6"},
        {0x00, 7, 0x0100, 0, 18, false, "SET_DESCRIPTOR DEVICE len 18"},
        {0x00, 5, 6, 0, 0, false, "SET_ADDRESS 6"},
        {0x00, 9, 1, 0, 0, false, "SET_CONFIGURATION 1"},
        {0x80, 8, 0, 0, 1, false, "GET_CONFIGURATION"},
        {0x01, 11, 2, 0, 0, false, "SET_INTERFACE if 0 alt 2"},
        {0x81, 10, 0, 3, 1, false, "GET_INTERFACE if 3"},
        {0x80, 0, 0, 0, 2, false, "GET_STATUS device"},
        {0x81, 0, 0, 1, 2, false, "GET_STATUS interface 1"},
        {0x82, 0, 0, 0x81, 2, false, "GET_STATUS endpoint 129"},
        {0x02, 1, 0, 0x81, 0, false, "CLEAR_FEATURE ENDPOINT_HALT endpoint 0x81"},
        {0x00, 3, 1, 0, 0, false, "SET_FEATURE DEVICE_REMOTE_WAKEUP device"},
        {0x00, 3, 2, 0x0400, 0, false, "SET_FEATURE TEST_MODE device"},
        {0x01, 3, 0, 0, 0, false, "SET_FEATURE feature 0 interface 0x00"},
        {0x00, 1, 0, 0, 0, false, "CLEAR_FEATURE feature 0 device"},
        {0x82, 12, 0, 0x83, 2, false, "SYNCH_FRAME ep 0x83"},
        {0x00, 2, 0x1234, 0x5678, 0, false,
         "STANDARD req 0x02 wValue 0x1234 wIndex 0x5678 wLength 0"},
        /* class, vendor, reserved; every recipient */
        {0x21, 1, 0x0100, 0x0900, 2, false,
         "CLASS interface OUT req 0x01 wValue 0x0100 wIndex 0x0900 wLength 2"},
        {0xa3, 0, 0, 1, 4, false, "CLASS other IN req 0x00 wValue 0x0000 wIndex 0x0001 wLength 4"},
        {0x22, 1, 0x0100, 0x81, 3, false,
         "CLASS endpoint OUT req 0x01 wValue 0x0100 wIndex 0x0081 wLength 3"},
        {0xc0, 0x33, 0, 0, 2, false,
         "VENDOR device IN req 0x33 wValue 0x0000 wIndex 0x0000 wLength 2"},
        {0x60, 0x01, 0, 0, 0, false,
         "RESERVED device OUT req 0x01 wValue 0x0000 wIndex 0x0000 wLength 0"},
        /* DFU requests, once the decoder says the interface is DFU */
        {0x21, 0, 1000, 0, 0, true, "DFU DETACH timeout 1000 ms if 0"},
        {0x21, 1, 2, 0, 1024, true, "DFU DNLOAD block 2 len 1024 if 0"},
        {0xa1, 2, 0, 1, 4096, true, "DFU UPLOAD block 0 len 4096 if 1"},
        {0xa1, 3, 0, 0, 6, true, "DFU GETSTATUS if 0"},
        {0x21, 4, 0, 0, 0, true, "DFU CLRSTATUS if 0"},
        {0xa1, 5, 0, 0, 1, true, "DFU GETSTATE if 0"},
        {0x21, 6, 0, 2, 0, true, "DFU ABORT if 2"},
        /* a class request number DFU does not have */
        {0x21, 7, 0, 0, 0, true,
         "CLASS interface OUT req 0x07 wValue 0x0000 wIndex 0x0000 wLength 0"},
        /* the same numbers, not DFU: the audio SET_CUR of usbrevue-handset */
        {0x21, 1, 0x0100, 0x0900, 2, false,
         "CLASS interface OUT req 0x01 wValue 0x0100 wIndex 0x0900 wLength 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dfs_control c = ctl_of(cases[i].type, cases[i].req, cases[i].value,
                                      cases[i].index, cases[i].length);
        c.dfu = cases[i].dfu;
        char buf[160];
        memset(buf, 'x', sizeof buf);
        size_t n = dfs_control_request_str(&c, buf, sizeof buf);
        if (strcmp(buf, cases[i].want) != 0)
            print_error("case %zu\n", i);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, strlen(buf));
    }
    struct dfs_control c;
    memset(&c, 0, sizeof c);
    char buf[64];
    assert_int_equal(dfs_control_request_str(&c, buf, sizeof buf), 20);
    assert_string_equal(buf, "(setup not captured)");
}

/* Always NUL-terminated within size, the return value the length written. */
static void small_buffers(void **state)
{
    (void)state;
    struct dfs_control c = ctl_of(0x80, 6, 0x0302, 0x0409, 255);
    const char *full = "GET_DESCRIPTOR STRING 2 lang 0x0409 len 255";
    for (size_t size = 1; size <= strlen(full) + 1; size++) {
        char *buf = malloc(size);
        assert_non_null(buf);
        size_t n = dfs_control_request_str(&c, buf, size);
        assert_int_equal(n, size - 1);
        assert_int_equal(strlen(buf), size - 1);
        assert_memory_equal(buf, full, size - 1);
        free(buf);
    }
    const uint8_t data[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    c = ctl_of(0x21, 9, 0, 0, 20);
    c.data = data;
    c.data_len = 20;
    char tiny[7];
    assert_int_equal(dfs_control_data_str(&c, tiny, sizeof tiny), 6);
    assert_string_equal(tiny, "01 02 ");
    char buf[8];
    assert_int_equal(dfs_control_request_str(&c, NULL, 8), 0);
    assert_int_equal(dfs_control_request_str(&c, buf, 0), 0);
    assert_int_equal(dfs_control_request_str(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(dfs_control_data_str(&c, NULL, 8), 0);
    assert_int_equal(dfs_control_data_str(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

static void data_summaries(void **state)
{
    (void)state;
    char buf[600];
    struct dfs_control c;

    /* device descriptor, whole and the first 8 bytes */
    const uint8_t dev[18] = {18, 1, 0x10, 0x02, 0, 0, 0, 9, 0x83, 0x04,
                             0x11, 0xdf, 0x00, 0x22, 1, 2, 3, 1};
    c = ctl_of(0x80, 6, 0x0100, 0, 18);
    c.data = dev;
    c.data_len = 18;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "USB 2.10 ep0 9 0483:df11 rev 22.00");
    c.data_len = 8;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "USB 2.10 ep0 9");
    /* not a device descriptor after all: bytes */
    uint8_t bad[18];
    memcpy(bad, dev, 18);
    bad[0] = 9;
    c.data = bad;
    c.data_len = 9;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "09 01 10 02 00 00 00 09 83");

    /* configuration and other-speed configuration headers */
    const uint8_t cfg[9] = {9, 2, 0x65, 0, 4, 1, 0, 0x80, 50};
    c = ctl_of(0x80, 6, 0x0200, 0, 9);
    c.data = cfg;
    c.data_len = 9;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "wTotalLength 101, 4 interfaces, config 1");
    const uint8_t osc[9] = {9, 7, 0x20, 0, 1, 2, 0, 0x80, 50};
    c = ctl_of(0x80, 6, 0x0700, 0, 9);
    c.data = osc;
    c.data_len = 9;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "wTotalLength 32, 1 interface, config 2");
    c.data_len = 8; /* too short for the header: bytes */
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "09 07 20 00 01 02 00 80");

    /* string 0 and a string */
    const uint8_t langs[6] = {6, 3, 0x09, 0x04, 0x07, 0x04};
    c = ctl_of(0x80, 6, 0x0300, 0, 255);
    c.data = langs;
    c.data_len = 6;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "LANGID 0x0409 0x0407");
    const uint8_t name[12] = {12, 3, 'N', 0, 'u', 0, 't', 0, 't', 0, 'X', 0};
    c = ctl_of(0x80, 6, 0x0301, 0x0409, 255);
    c.data = name;
    c.data_len = 12;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "\"NuttX\"");
    /* the longest string descriptor, 126 characters of 3 UTF-8 bytes each */
    uint8_t longest[254];
    longest[0] = 254;
    longest[1] = 3;
    for (int i = 0; i < 126; i++) {
        longest[2 + 2 * i] = 0xac; /* U+20AC */
        longest[3 + 2 * i] = 0x20;
    }
    c.data = longest;
    c.data_len = sizeof longest;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_int_equal(strlen(buf), 2 + 126 * 3);
    assert_memory_equal(buf, "\"\xe2\x82\xac", 4);
    assert_memory_equal(buf + strlen(buf) - 4, "\xe2\x82\xac\"", 4);
    /* a reply of the wrong type: bytes */
    const uint8_t notstr[4] = {4, 2, 0x41, 0};
    c.data = notstr;
    c.data_len = 4;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "04 02 41 00");

    /* anything else: up to 16 bytes */
    uint8_t bytes[17];
    for (int i = 0; i < 17; i++)
        bytes[i] = (uint8_t)(0xf0 + i);
    c = ctl_of(0x21, 1, 2, 0, 17);
    c.data = bytes;
    c.data_len = 16;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff");
    c.data_len = 17;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff ...");
    /* no setup: bytes, direction from the endpoint */
    memset(&c, 0, sizeof c);
    c.endpoint = 0x80;
    c.data = dev;
    c.data_len = 4;
    dfs_control_data_str(&c, buf, sizeof buf);
    assert_string_equal(buf, "12 01 10 02");
    /* nothing */
    c.data_len = 0;
    assert_int_equal(dfs_control_data_str(&c, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests),
        cmocka_unit_test(small_buffers),
        cmocka_unit_test(data_summaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
