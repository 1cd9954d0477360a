/* Descriptor parsing (include/dfuscope/descriptors.h): device and qualifier
 * descriptors, the configuration/BOS walker and string descriptors, every
 * branch, on hand-built bytes. USB 2.0 chapter 9.6; DFU 1.1 section 4.1.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/dfuscope.h"
#include "dfuscope/quirks.h"

/* Copies the bytes into an allocation of exactly their size, so that
 * AddressSanitizer catches a read one byte past the end. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    memcpy(b, p, n);
    return b;
}

/* STM32 system bootloader device descriptor (dfu-facts.md section 4) */
static const uint8_t dev18[18] = {18,   1,    0x00, 0x02, 0x00, 0x00, 0x00, 64, 0x83,
                                  0x04, 0x11, 0xdf, 0x00, 0x02, 1,    2,    3,  1};

/* ---- device descriptor ----------------------------------------------------------- */

static void device_full(void **state)
{
    (void)state;
    uint8_t *b = exact(dev18, 18);
    struct dfs_desc_device d;
    bool complete = false;
    struct dfs_desc_problem pr;
    assert_int_equal(dfs_desc_parse_device(b, 18, &d, &complete, &pr), DFS_OK);
    assert_true(complete);
    assert_int_equal(pr.code, DFS_DESC_OK);
    assert_int_equal(d.bLength, 18);
    assert_int_equal(d.bDescriptorType, 1);
    assert_int_equal(d.bcdUSB, 0x0200);
    assert_int_equal(d.bMaxPacketSize0, 64);
    assert_int_equal(d.idVendor, 0x0483);
    assert_int_equal(d.idProduct, 0xdf11);
    assert_int_equal(d.bcdDevice, 0x0200);
    assert_int_equal(d.iManufacturer, 1);
    assert_int_equal(d.iProduct, 2);
    assert_int_equal(d.iSerialNumber, 3);
    assert_int_equal(d.bNumConfigurations, 1);
    /* complete and problem are optional */
    assert_int_equal(dfs_desc_parse_device(b, 18, &d, NULL, NULL), DFS_OK);
    free(b);
    /* more bytes than the descriptor (a GET_DESCRIPTOR with wLength 64) */
    uint8_t more[40] = {0};
    memcpy(more, dev18, 18);
    memset(more + 18, 0xee, 22);
    b = exact(more, 40);
    assert_int_equal(dfs_desc_parse_device(b, 40, &d, &complete, &pr), DFS_OK);
    assert_true(complete);
    assert_int_equal(d.bNumConfigurations, 1);
    free(b);
}

static void device_first_8_bytes(void **state)
{
    (void)state;
    /* the first GET_DESCRIPTOR of an enumeration asks for 8 (or 64) bytes */
    for (size_t n = 8; n < 18; n++) {
        uint8_t *b = exact(dev18, n);
        struct dfs_desc_device d;
        memset(&d, 0xff, sizeof d);
        bool complete = true;
        struct dfs_desc_problem pr;
        assert_int_equal(dfs_desc_parse_device(b, n, &d, &complete, &pr), DFS_OK);
        assert_false(complete);
        assert_int_equal(pr.code, DFS_DESC_OK);
        assert_int_equal(d.bMaxPacketSize0, 64);
        /* fields past the end, or cut by it, read as zero */
        assert_int_equal(d.bNumConfigurations, 0);
        assert_int_equal(d.idVendor, n >= 10 ? 0x0483 : 0);
        assert_int_equal(d.idProduct, n >= 12 ? 0xdf11 : 0);
        assert_int_equal(d.bcdDevice, n >= 14 ? 0x0200 : 0);
        assert_int_equal(d.iManufacturer, n >= 15 ? 1 : 0);
        assert_int_equal(d.iSerialNumber, n >= 17 ? 3 : 0);
        free(b);
    }
}

static void device_rejected(void **state)
{
    (void)state;
    struct dfs_desc_device d, sentinel;
    memset(&sentinel, 0x5a, sizeof sentinel);
    struct dfs_desc_problem pr;
    bool complete = true;

    /* fewer than 8 bytes */
    uint8_t *b = exact(dev18, 7);
    d = sentinel;
    assert_int_equal(dfs_desc_parse_device(b, 7, &d, &complete, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_TRUNCATED);
    assert_string_equal(pr.msg, "device descriptor of 7 bytes; at least 8 are needed");
    assert_memory_equal(&d, &sentinel, sizeof d); /* untouched */
    assert_true(complete);
    free(b);

    /* wrong type */
    uint8_t bad[18];
    memcpy(bad, dev18, 18);
    bad[1] = 2;
    b = exact(bad, 18);
    assert_int_equal(dfs_desc_parse_device(b, 18, &d, &complete, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_BAD_TYPE);
    assert_int_equal(pr.offset, 1);
    assert_string_equal(pr.msg, "bDescriptorType 2 where a DEVICE descriptor (1) was expected");
    assert_memory_equal(&d, &sentinel, sizeof d);
    free(b);

    /* bLength < 18 */
    memcpy(bad, dev18, 18);
    bad[0] = 17;
    b = exact(bad, 18);
    assert_int_equal(dfs_desc_parse_device(b, 18, &d, &complete, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_BAD_LENGTH);
    assert_string_equal(pr.msg, "device descriptor bLength 17; it must be 18");
    free(b);
    bad[0] = 0;
    b = exact(bad, 18);
    assert_int_equal(dfs_desc_parse_device(b, 18, &d, NULL, NULL), DFS_E_FORMAT);
    free(b);

    /* bLength > 18: parsed, but said */
    bad[0] = 20;
    b = exact(bad, 18);
    assert_int_equal(dfs_desc_parse_device(b, 18, &d, &complete, &pr), DFS_OK);
    assert_int_equal(pr.code, DFS_DESC_BAD_LENGTH);
    assert_string_equal(pr.msg, "device descriptor bLength 20; it must be 18");
    assert_int_equal(d.bLength, 20);
    assert_int_equal(d.idVendor, 0x0483);
    free(b);

    assert_int_equal(dfs_desc_parse_device(NULL, 18, &d, NULL, &pr), DFS_E_INVAL);
    assert_int_equal(dfs_desc_parse_device(dev18, 18, NULL, NULL, &pr), DFS_E_INVAL);
}

/* ---- device qualifier -------------------------------------------------------------- */

static void qualifier(void **state)
{
    (void)state;
    const uint8_t q[10] = {10, 6, 0x00, 0x02, 0xef, 0x02, 0x01, 64, 1, 0};
    uint8_t *b = exact(q, 10);
    struct dfs_desc_qualifier d, sentinel;
    struct dfs_desc_problem pr;
    assert_int_equal(dfs_desc_parse_qualifier(b, 10, &d, &pr), DFS_OK);
    assert_int_equal(pr.code, DFS_DESC_OK);
    assert_int_equal(d.bLength, 10);
    assert_int_equal(d.bDescriptorType, 6);
    assert_int_equal(d.bcdUSB, 0x0200);
    assert_int_equal(d.bDeviceClass, 0xef);
    assert_int_equal(d.bDeviceSubClass, 2);
    assert_int_equal(d.bDeviceProtocol, 1);
    assert_int_equal(d.bMaxPacketSize0, 64);
    assert_int_equal(d.bNumConfigurations, 1);
    assert_int_equal(d.bReserved, 0);
    free(b);

    memset(&sentinel, 0x5a, sizeof sentinel);
    d = sentinel;
    b = exact(q, 9);
    assert_int_equal(dfs_desc_parse_qualifier(b, 9, &d, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_TRUNCATED);
    assert_string_equal(pr.msg, "device qualifier of 9 bytes; 10 are needed");
    assert_memory_equal(&d, &sentinel, sizeof d);
    free(b);

    uint8_t bad[10];
    memcpy(bad, q, 10);
    bad[1] = 1;
    b = exact(bad, 10);
    assert_int_equal(dfs_desc_parse_qualifier(b, 10, &d, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_BAD_TYPE);
    assert_string_equal(pr.msg, "not a device qualifier (bLength 10, bDescriptorType 1)");
    free(b);

    memcpy(bad, q, 10);
    bad[0] = 9;
    b = exact(bad, 10);
    assert_int_equal(dfs_desc_parse_qualifier(b, 10, &d, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_BAD_LENGTH);
    assert_memory_equal(&d, &sentinel, sizeof d);
    free(b);

    assert_int_equal(dfs_desc_parse_qualifier(NULL, 10, &d, &pr), DFS_E_INVAL);
    assert_int_equal(dfs_desc_parse_qualifier(q, 10, NULL, NULL), DFS_E_INVAL);
    assert_int_equal(dfs_desc_parse_qualifier(q, 10, &d, NULL), DFS_OK);
}

/* ---- walker ---------------------------------------------------------------------------- */

struct walked {
    struct dfs_desc_item items[32];
    struct dfs_desc_problem problems[32];
    int n;
    int end;                        /* the final return value: 0 or -1 */
    struct dfs_desc_problem final; /* the problem with the final return */
};

static void walk(const uint8_t *blob, size_t len, struct walked *w)
{
    uint8_t *b = exact(blob, len);
    struct dfs_desc_walker wk;
    dfs_desc_walk_init(&wk, b, len);
    memset(w, 0, sizeof *w);
    int rc;
    while ((rc = dfs_desc_walk_next(&wk, &w->items[w->n], &w->problems[w->n])) == 1) {
        w->items[w->n].raw = NULL; /* points into b */
        assert_true(++w->n < 32);
    }
    w->end = rc;
    w->final = w->problems[w->n];
    /* after the end, the walker stays at the end */
    struct dfs_desc_item it;
    assert_int_equal(dfs_desc_walk_next(&wk, &it, NULL), 0);
    free(b);
}

/* A DfuSe device in DFU mode: one interface, two alternate settings, the
 * functional descriptor after the last (as the STM32 bootloaders do). */
static const uint8_t dfu_config[] = {
    9,  2,    36,   0,    1,    1,    0,    0xc0, 50,   /* config, wTotalLength 36 */
    9,  4,    0,    0,    0,    0xfe, 0x01, 0x02, 4,    /* if 0 alt 0, DFU mode */
    9,  4,    0,    1,    0,    0xfe, 0x01, 0x02, 5,    /* if 0 alt 1 */
    9,  0x21, 0x0b, 0xff, 0x00, 0x00, 0x04, 0x1a, 0x01, /* functional, 1024, 1.1a */
};

static void walk_dfu_configuration(void **state)
{
    (void)state;
    struct walked w;
    walk(dfu_config, sizeof dfu_config, &w);
    assert_int_equal(w.end, 0);
    assert_int_equal(w.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(w.problems[i].code, DFS_DESC_OK);
    assert_int_equal(w.items[0].kind, DFS_DK_CONFIG);
    assert_int_equal(w.items[0].offset, 0);
    assert_false(w.items[0].in_interface);
    assert_int_equal(w.items[0].u.config.wTotalLength, 36);
    assert_int_equal(w.items[0].u.config.bNumInterfaces, 1);
    assert_int_equal(w.items[0].u.config.bConfigurationValue, 1);
    assert_int_equal(w.items[0].u.config.bmAttributes, 0xc0);
    assert_int_equal(w.items[0].u.config.bMaxPower, 50);
    assert_int_equal(w.items[1].kind, DFS_DK_INTERFACE);
    assert_false(w.items[1].in_interface); /* an interface is not inside one */
    assert_int_equal(w.items[1].u.interface.bInterfaceClass, 0xfe);
    assert_int_equal(w.items[1].u.interface.iInterface, 4);
    assert_int_equal(w.items[2].u.interface.bAlternateSetting, 1);
    assert_int_equal(w.items[2].offset, 18);
    const struct dfs_desc_item *f = &w.items[3];
    assert_int_equal(f->kind, DFS_DK_DFU_FUNCTIONAL);
    assert_int_equal(f->offset, 27);
    assert_int_equal(f->bLength, 9);
    assert_int_equal(f->bDescriptorType, 0x21);
    assert_true(f->in_interface);
    assert_int_equal(f->iface.bAlternateSetting, 1);
    assert_int_equal(f->u.dfu.bmAttributes, 0x0b);
    assert_int_equal(f->u.dfu.wDetachTimeOut, 255);
    assert_int_equal(f->u.dfu.wTransferSize, 1024);
    assert_true(f->u.dfu.has_version);
    assert_int_equal(f->u.dfu.bcdDFUVersion, DFS_DFU_VERSION_DFUSE);
}

/* ---- DFU interface search ----------------------------------------------------------- */

static void find_dfu_functional_after_last_alt(void **state)
{
    (void)state;
    uint8_t *b = exact(dfu_config, sizeof dfu_config);
    struct dfs_dfu_interface f[4];
    assert_int_equal(dfs_desc_find_dfu(b, sizeof dfu_config, f, 4), 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f[i].bConfigurationValue, 1);
        assert_int_equal(f[i].iface.bInterfaceNumber, 0);
        assert_int_equal(f[i].iface.bAlternateSetting, i);
        assert_int_equal(f[i].iface.bInterfaceProtocol, 2);
        assert_int_equal(f[i].iface.iInterface, 4 + i);
        assert_int_equal(f[i].offset, 9 + 9 * (size_t)i);
        /* the functional descriptor after alt 1 applies to alt 0 too */
        assert_true(f[i].has_functional);
        assert_int_equal(f[i].functional.wTransferSize, 1024);
        assert_int_equal(f[i].functional.bcdDFUVersion, DFS_DFU_VERSION_DFUSE);
    }
    /* counting only, and a smaller array: the count is still the whole */
    assert_int_equal(dfs_desc_find_dfu(b, sizeof dfu_config, NULL, 0), 2);
    assert_int_equal(dfs_desc_find_dfu(b, sizeof dfu_config, f, 1), 2);
    assert_int_equal(f[0].iface.bAlternateSetting, 0);
    assert_true(f[0].has_functional);
    assert_int_equal(dfs_desc_find_dfu(NULL, 10, f, 4), 0);
    assert_int_equal(dfs_desc_find_dfu(b, sizeof dfu_config, NULL, 4), 0);
    free(b);
}

/* A composite device in its application: CDC-ACM (interfaces 0 and 1) and a
 * DFU run-time interface 2 with its functional descriptor right after it,
 * then a vendor interface: only interface 2 is DFU. */
static void find_dfu_runtime_in_composite(void **state)
{
    (void)state;
    const uint8_t blob[] = {
        9, 2,    67,   0,    4,    2,    0,    0x80, 50,   /* config 2, 4 interfaces */
        9, 4,    0,    0,    1,    0x02, 0x02, 0x01, 0,    /* CDC control */
        7, 5,    0x82, 3,    8,    0,    16,               /* interrupt IN */
        9, 4,    1,    0,    0,    0x0a, 0x00, 0x00, 0,    /* CDC data */
        9, 4,    2,    0,    0,    0xfe, 0x01, 0x01, 7,    /* DFU run-time */
        9, 0x21, 0x0d, 0xe8, 0x03, 0x00, 0x08, 0x10, 0x01, /* functional 2048, 1.1 */
        9, 4,    3,    0,    0,    0xff, 0x01, 0x02, 0,    /* vendor, 0xff/01/02 */
        6, 0x21, 1,    2,    3,    4,                      /* not DFU: vendor's own */
    };
    uint8_t *b = exact(blob, sizeof blob);
    struct dfs_dfu_interface f[4];
    assert_int_equal(dfs_desc_find_dfu(b, sizeof blob, f, 4), 1);
    assert_int_equal(f[0].bConfigurationValue, 2);
    assert_int_equal(f[0].iface.bInterfaceNumber, 2);
    assert_int_equal(f[0].iface.bInterfaceProtocol, 1);
    assert_int_equal(f[0].offset, 34);
    assert_true(f[0].has_functional);
    assert_int_equal(f[0].functional.bmAttributes, 0x0d);
    assert_int_equal(f[0].functional.wDetachTimeOut, 1000);
    assert_int_equal(f[0].functional.wTransferSize, 2048);
    assert_int_equal(f[0].functional.bcdDFUVersion, 0x0110);
    free(b);
}

/* No functional descriptor, and a blob cut in the middle of the second
 * interface descriptor: the first is found, the walk stops at the damage. */
static void find_dfu_missing_functional_and_damage(void **state)
{
    (void)state;
    uint8_t blob[9 + 9 + 5];
    memcpy(blob, dfu_config, sizeof blob);
    blob[2] = 36; /* wTotalLength still claims more */
    uint8_t *b = exact(blob, sizeof blob);
    struct dfs_dfu_interface f[4];
    assert_int_equal(dfs_desc_find_dfu(b, sizeof blob, f, 4), 1);
    assert_int_equal(f[0].iface.bAlternateSetting, 0);
    assert_false(f[0].has_functional);
    free(b);
}

/* DFU 1.0 layout: 7 bytes, no bcdDFUVersion (dfu-quirks.md R7) */
static void walk_functional_7_bytes(void **state)
{
    (void)state;
    uint8_t blob[25];
    memcpy(blob, dfu_config, 18);
    const uint8_t fd7[7] = {7, 0x21, 0x07, 0x64, 0x00, 0x00, 0x08};
    memcpy(blob + 18, fd7, 7);
    blob[2] = 25;
    struct walked w;
    walk(blob, sizeof blob, &w);
    assert_int_equal(w.end, 0);
    assert_int_equal(w.n, 3);
    const struct dfs_desc_item *f = &w.items[2];
    assert_int_equal(f->kind, DFS_DK_DFU_FUNCTIONAL);
    assert_false(f->u.dfu.has_version);
    assert_int_equal(f->u.dfu.bcdDFUVersion, 0);
    assert_int_equal(f->u.dfu.wDetachTimeOut, 100);
    assert_int_equal(f->u.dfu.wTransferSize, 2048);
    assert_int_equal(w.problems[2].code, DFS_DESC_FUNCTIONAL_SHORT);
    assert_int_equal(w.problems[2].offset, 18);
    assert_string_equal(w.problems[2].msg, "DFU functional descriptor at offset 18 has bLength 7 "
                                           "(the DFU 1.0 layout): bcdDFUVersion is missing");
    /* 8 bytes: still no room for the 16-bit version */
    blob[18] = 8;
    uint8_t blob8[26];
    memcpy(blob8, blob, 25);
    blob8[25] = 0x01;
    walk(blob8, sizeof blob8, &w);
    assert_int_equal(w.items[2].kind, DFS_DK_DFU_FUNCTIONAL);
    assert_false(w.items[2].u.dfu.has_version);
    assert_int_equal(w.problems[2].code, DFS_DESC_FUNCTIONAL_SHORT);
    /* shorter than 7 inside a DFU interface: raw, with the same problem */
    const uint8_t fd5[5] = {5, 0x21, 0x07, 0x64, 0x00};
    memcpy(blob + 18, fd5, 5);
    walk(blob, 23, &w);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.items[2].kind, DFS_DK_OTHER);
    assert_int_equal(w.problems[2].code, DFS_DESC_FUNCTIONAL_SHORT);
    assert_string_equal(w.problems[2].msg, "HID descriptor at offset 18 has bLength 5; at least 7 "
                                           "expected");
}

/* Type 0x21 is the HID descriptor outside a DFU interface */
static void walk_type_0x21_outside_dfu(void **state)
{
    (void)state;
    const uint8_t blob[] = {
        9, 2,    34,   0, 1, 1, 0, 0xa0, 50,   /* config */
        9, 0x21, 0x11, 1, 0, 1, 0x22, 63, 0,   /* 0x21 before any interface */
        9, 4,    0,    0, 1, 3, 1, 1, 0,       /* HID keyboard */
        9, 0x21, 0x11, 1, 0, 1, 0x22, 63, 0,   /* HID descriptor */
        7, 5,    0x81, 3, 8, 0, 10,            /* interrupt IN */
    };
    struct walked w;
    walk(blob, sizeof blob, &w);
    assert_int_equal(w.end, 0);
    assert_int_equal(w.n, 5);
    assert_int_equal(w.items[1].kind, DFS_DK_OTHER);
    assert_false(w.items[1].in_interface);
    assert_int_equal(w.problems[1].code, DFS_DESC_OK);
    assert_int_equal(w.items[3].kind, DFS_DK_OTHER);
    assert_true(w.items[3].in_interface);
    assert_int_equal(w.items[3].iface.bInterfaceClass, 3);
    assert_int_equal(w.problems[3].code, DFS_DESC_OK);
    assert_int_equal(w.items[4].kind, DFS_DK_ENDPOINT);
    assert_int_equal(w.items[4].u.endpoint.bEndpointAddress, 0x81);
    assert_int_equal(w.items[4].u.endpoint.bmAttributes, 3);
    assert_int_equal(w.items[4].u.endpoint.wMaxPacketSize, 8);
    assert_int_equal(w.items[4].u.endpoint.bInterval, 10);
    /* a DFU run-time interface (protocol 1) also carries the functional descriptor */
    uint8_t rt[sizeof blob];
    memcpy(rt, blob, sizeof blob);
    rt[18 + 5] = 0xfe;
    rt[18 + 6] = 0x01;
    rt[18 + 7] = 0x01;
    walk(rt, sizeof rt, &w);
    assert_int_equal(w.items[3].kind, DFS_DK_DFU_FUNCTIONAL);
    assert_true(w.items[3].u.dfu.has_version);
    assert_int_equal(w.items[3].u.dfu.bmAttributes, 0x11);
    assert_int_equal(w.items[3].u.dfu.wDetachTimeOut, 0x0001);
    assert_int_equal(w.items[3].u.dfu.wTransferSize, 0x2201);
    assert_int_equal(w.items[3].u.dfu.bcdDFUVersion, 0x003f);
}

/* An interface association starts a function: what follows it, up to the
 * next interface, is not part of the interface before it. */
static void walk_iad(void **state)
{
    (void)state;
    const uint8_t blob[] = {
        9, 2,    40, 0, 2, 1, 0, 0x80, 50, /* config */
        9, 4,    0,  0, 0, 0xff, 0, 0, 0,  /* vendor interface */
        8, 0x0b, 1,  1, 0xfe, 1, 1, 7,     /* IAD: interface 1, DFU run-time */
        5, 0x24, 0,  0x10, 1,              /* class-specific, before its interface */
        9, 4,    1,  0, 0, 0xfe, 1, 1, 0,  /* DFU run-time */
    };
    struct walked w;
    walk(blob, sizeof blob, &w);
    assert_int_equal(w.end, 0);
    assert_int_equal(w.n, 5);
    assert_int_equal(w.items[2].kind, DFS_DK_IAD);
    assert_int_equal(w.items[2].u.iad.bLength, 8);
    assert_int_equal(w.items[2].u.iad.bFirstInterface, 1);
    assert_int_equal(w.items[2].u.iad.bInterfaceCount, 1);
    assert_int_equal(w.items[2].u.iad.bFunctionClass, 0xfe);
    assert_int_equal(w.items[2].u.iad.bFunctionSubClass, 1);
    assert_int_equal(w.items[2].u.iad.bFunctionProtocol, 1);
    assert_int_equal(w.items[2].u.iad.iFunction, 7);
    assert_false(w.items[2].in_interface);
    assert_int_equal(w.items[3].kind, DFS_DK_OTHER);
    assert_false(w.items[3].in_interface);
    assert_int_equal(w.items[4].kind, DFS_DK_INTERFACE);
}

static void walk_bos(void **state)
{
    (void)state;
    const uint8_t blob[] = {
        5, 0x0f, 12, 0, 1,          /* BOS, one capability */
        7, 0x10, 2,  2, 0, 0, 0,    /* USB 2.0 extension, LPM */
    };
    struct walked w;
    walk(blob, sizeof blob, &w);
    assert_int_equal(w.end, 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.items[0].kind, DFS_DK_BOS);
    assert_int_equal(w.items[0].u.bos.wTotalLength, 12);
    assert_int_equal(w.items[0].u.bos.bNumDeviceCaps, 1);
    assert_int_equal(w.items[1].kind, DFS_DK_DEVICE_CAPABILITY);
    assert_int_equal(w.items[1].bLength, 7);
    assert_false(w.items[1].in_interface);
}

static void walk_below_minimum_length(void **state)
{
    (void)state;
    static const struct {
        uint8_t type;
        uint8_t len;    /* one below the minimum */
        const char *name;
    } cases[] = {
        {DFS_DT_CONFIGURATION, 8, "CONFIGURATION"},
        {DFS_DT_OTHER_SPEED_CONFIGURATION, 8, "OTHER_SPEED_CONFIGURATION"},
        {DFS_DT_INTERFACE, 8, "INTERFACE"},
        {DFS_DT_ENDPOINT, 6, "ENDPOINT"},
        {DFS_DT_INTERFACE_ASSOCIATION, 7, "INTERFACE_ASSOCIATION"},
        {DFS_DT_BOS, 4, "BOS"},
        {DFS_DT_DEVICE_CAPABILITY, 2, "DEVICE_CAPABILITY"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the short one, then a good endpoint: the walk goes on */
        uint8_t blob[32] = {0};
        blob[0] = cases[i].len;
        blob[1] = cases[i].type;
        const uint8_t ep[7] = {7, 5, 0x81, 2, 64, 0, 0};
        memcpy(blob + cases[i].len, ep, 7);
        struct walked w;
        walk(blob, cases[i].len + 7u, &w);
        assert_int_equal(w.end, 0);
        assert_int_equal(w.n, 2);
        assert_int_equal(w.items[0].kind, DFS_DK_OTHER);
        assert_int_equal(w.items[0].bLength, cases[i].len);
        assert_int_equal(w.problems[0].code, DFS_DESC_BAD_LENGTH);
        assert_int_equal(w.problems[0].offset, 0);
        char want[120];
        snprintf(want, sizeof want, "%s descriptor at offset 0 has bLength %u; at least %u expected",
                 cases[i].name, cases[i].len, cases[i].len + 1u);
        assert_string_equal(w.problems[0].msg, want);
        assert_int_equal(w.items[1].kind, DFS_DK_ENDPOINT);
        assert_int_equal(w.problems[1].code, DFS_DESC_OK);
    }
    /* a short interface does not open an interface */
    const uint8_t blob[] = {9, 2, 26, 0, 1, 1, 0, 0x80, 50, 8, 4, 0, 0, 0, 0xfe, 1, 2,
                            9, 0x21, 0x0b, 0xff, 0, 0, 4, 0x1a, 1};
    struct walked w;
    walk(blob, sizeof blob, &w);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.items[2].kind, DFS_DK_OTHER);
    assert_false(w.items[2].in_interface);
}

static void walk_cannot_go_on(void **state)
{
    (void)state;
    struct walked w;
    /* a stray byte */
    const uint8_t stray[] = {9, 2, 10, 0, 1, 1, 0, 0x80, 50, 0x09};
    walk(stray, sizeof stray, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.end, -1);
    assert_int_equal(w.final.code, DFS_DESC_TRUNCATED);
    assert_int_equal(w.final.offset, 9);
    assert_string_equal(w.final.msg, "1 stray byte at offset 9, too short for a descriptor");
    /* bLength 0 and 1 */
    for (uint8_t bl = 0; bl < 2; bl++) {
        const uint8_t z[] = {9, 2, 13, 0, 1, 1, 0, 0x80, 50, bl, 4, 0, 0};
        walk(z, sizeof z, &w);
        assert_int_equal(w.n, 1);
        assert_int_equal(w.end, -1);
        assert_int_equal(w.final.code, DFS_DESC_BAD_LENGTH);
        assert_int_equal(w.final.offset, 9);
        char want[100];
        snprintf(want, sizeof want,
                 "descriptor at offset 9 has bLength %u; the rest (4 bytes) cannot be walked", bl);
        assert_string_equal(w.final.msg, want);
    }
    /* bLength beyond the data */
    const uint8_t beyond[] = {9, 2, 18, 0, 1, 1, 0, 0x80, 50, 9, 4, 0, 0, 0, 0xfe};
    walk(beyond, sizeof beyond, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.end, -1);
    assert_int_equal(w.final.code, DFS_DESC_BAD_LENGTH);
    assert_string_equal(w.final.msg,
                        "INTERFACE descriptor at offset 9 has bLength 9 but only 6 bytes are left");
    const uint8_t unknown[] = {0x10, 0x77, 1};
    walk(unknown, sizeof unknown, &w);
    assert_int_equal(w.end, -1);
    assert_string_equal(w.final.msg,
                        "unknown descriptor at offset 0 has bLength 16 but only 3 bytes are left");
    /* nothing to walk, and bad arguments */
    walk(unknown, 0, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(w.end, 0);
    struct dfs_desc_walker wk;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&wk, NULL, 100);
    assert_int_equal(dfs_desc_walk_next(&wk, &it, NULL), 0);
    dfs_desc_walk_init(&wk, dfu_config, sizeof dfu_config);
    assert_int_equal(dfs_desc_walk_next(&wk, NULL, NULL), 0);
    assert_int_equal(dfs_desc_walk_next(NULL, &it, NULL), 0);
    /* problem is optional */
    assert_int_equal(dfs_desc_walk_next(&wk, &it, NULL), 1);
}

/* ---- strings ----------------------------------------------------------------------------- */

/* A string descriptor from UTF-16 code units. */
static size_t string_desc(uint8_t *out, const uint16_t *units, size_t n)
{
    out[0] = (uint8_t)(2 + 2 * n);
    out[1] = 3;
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = (uint8_t)units[i];
        out[3 + 2 * i] = (uint8_t)(units[i] >> 8);
    }
    return 2 + 2 * n;
}

static dfs_result utf8(const uint8_t *desc, size_t len, char *out, size_t size,
                       struct dfs_desc_problem *pr)
{
    uint8_t *b = exact(desc, len);
    dfs_result r = dfs_desc_string_utf8(b, len, out, size, pr);
    free(b);
    return r;
}

static void string_plain_and_surrogates(void **state)
{
    (void)state;
    uint8_t d[64];
    char out[64];
    struct dfs_desc_problem pr;
    const uint16_t dfu[] = {'D', 'F', 'U', ' ', 0x00e9, 0x20ac};
    size_t n = string_desc(d, dfu, 6);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "DFU \xc3\xa9\xe2\x82\xac");
    assert_int_equal(pr.code, DFS_DESC_OK);
    /* U+1F600 as a surrogate pair, U+10FFFF at the top */
    const uint16_t pairs[] = {'a', 0xd83d, 0xde00, 0xdbff, 0xdfff, 'b'};
    n = string_desc(d, pairs, 6);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "a\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf" "b");
    assert_int_equal(pr.code, DFS_DESC_OK);
    /* a genuine U+FFFD is not an encoding error */
    const uint16_t repl[] = {0xfffd, 'x'};
    n = string_desc(d, repl, 2);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "\xef\xbf\xbdx");
    assert_int_equal(pr.code, DFS_DESC_OK);
    /* empty string */
    n = string_desc(d, NULL, 0);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "");
    assert_int_equal(pr.code, DFS_DESC_OK);
    /* problem is optional */
    n = string_desc(d, dfu, 3);
    assert_int_equal(utf8(d, n, out, sizeof out, NULL), DFS_OK);
    assert_string_equal(out, "DFU");
}

static void string_bad_utf16(void **state)
{
    (void)state;
    uint8_t d[64];
    char out[64];
    struct dfs_desc_problem pr;
    /* high surrogate at the end */
    const uint16_t a[] = {'x', 0xd800};
    size_t n = string_desc(d, a, 2);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "x\xef\xbf\xbd");
    assert_int_equal(pr.code, DFS_DESC_BAD_ENCODING);
    assert_int_equal(pr.offset, 4);
    assert_string_equal(pr.msg, "invalid UTF-16 code unit 0xd800 at offset 4");
    /* high surrogate followed by something else: that one is kept */
    const uint16_t b[] = {0xd800, 'y'};
    n = string_desc(d, b, 2);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "\xef\xbf\xbdy");
    assert_int_equal(pr.offset, 2);
    /* two high surrogates: both replaced */
    const uint16_t c[] = {0xd800, 0xd801, 0xdc00};
    n = string_desc(d, c, 3);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "\xef\xbf\xbd\xf0\x90\x90\x80");
    /* a lone low surrogate */
    const uint16_t e[] = {0xdc00, 'z'};
    n = string_desc(d, e, 2);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "\xef\xbf\xbdz");
    assert_int_equal(pr.code, DFS_DESC_BAD_ENCODING);
    assert_string_equal(pr.msg, "invalid UTF-16 code unit 0xdc00 at offset 2");
    /* an embedded NUL would cut the C string: replaced, the rest kept */
    const uint16_t f[] = {'a', 0, 'b'};
    n = string_desc(d, f, 3);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "a\xef\xbf\xbd" "b");
    assert_int_equal(pr.code, DFS_DESC_BAD_ENCODING);
    assert_int_equal(pr.offset, 4);
    /* the first problem is the one reported */
    const uint16_t g[] = {0xdc00, 0};
    n = string_desc(d, g, 2);
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_int_equal(pr.offset, 2);
}

static void string_lengths(void **state)
{
    (void)state;
    uint8_t d[64];
    char out[64];
    struct dfs_desc_problem pr;
    const uint16_t s[] = {'A', 'B', 'C'};
    size_t n = string_desc(d, s, 3);
    /* odd bLength: the last byte is ignored */
    d[0] = 7;
    assert_int_equal(utf8(d, 7, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "AB");
    assert_int_equal(pr.code, DFS_DESC_ODD_LENGTH);
    assert_string_equal(pr.msg, "string descriptor of odd length 7");
    /* bLength beyond the bytes returned (dfu-quirks.md R21): what is there */
    d[0] = 40;
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "ABC");
    assert_int_equal(pr.code, DFS_DESC_TRUNCATED);
    assert_string_equal(pr.msg, "string descriptor bLength 40 but only 8 bytes were returned");
    /* fewer bytes than bLength, cutting a character: only whole ones */
    d[0] = 8;
    assert_int_equal(utf8(d, 7, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "AB");
    assert_int_equal(pr.code, DFS_DESC_TRUNCATED);
    /* bLength shorter than the bytes returned: bLength wins */
    d[0] = 4;
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "A");
    assert_int_equal(pr.code, DFS_DESC_OK);
    /* bLength 0 and 1 are not descriptors */
    for (uint8_t bl = 0; bl < 2; bl++) {
        d[0] = bl;
        assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
        assert_string_equal(out, "");
        assert_int_equal(pr.code, DFS_DESC_BAD_LENGTH);
    }
    /* rejected */
    d[0] = 8;
    assert_int_equal(utf8(d, 1, out, sizeof out, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_TRUNCATED);
    assert_string_equal(out, "");
    d[1] = 2;
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_E_FORMAT);
    assert_int_equal(pr.code, DFS_DESC_BAD_TYPE);
    assert_string_equal(pr.msg, "bDescriptorType 2 where a STRING descriptor (3) was expected");
    assert_string_equal(out, "");
    d[1] = 3;
    assert_int_equal(dfs_desc_string_utf8(NULL, n, out, sizeof out, &pr), DFS_E_INVAL);
    assert_int_equal(dfs_desc_string_utf8(d, n, NULL, 10, &pr), DFS_E_INVAL);
    assert_int_equal(dfs_desc_string_utf8(d, n, out, 0, &pr), DFS_E_INVAL);
}

/* The output is cut at a whole character: never a partial UTF-8 sequence,
 * and never a later character after one that did not fit. */
/* 8-bit ASCII text where USB 2.0 9.6.7 wants UTF-16LE (the GD32VF103's
 * serial, dfu-quirks R21/R31) */
static void string_8bit(void **state)
{
    (void)state;
    static const uint8_t gd32[] = {6, 3, '3', 'C', 'B', 'J'};
    static const uint8_t odd[] = {5, 3, 'a', 'b', 'c'};
    static const uint8_t utf16[] = {10, 3, '3', 0, 'C', 0, 'B', 0, 'J', 0};
    static const uint8_t cjk[] = {6, 3, 0x2d, 0x4e, 0x67, 0x65};  /* U+4E2D U+6567 */
    static const uint8_t kana[] = {4, 3, 0x42, 0x30};              /* U+3042 */
    static const uint8_t one[] = {3, 3, 'A'};
    static const uint8_t ctrl[] = {6, 3, '3', 'C', 0x01, 'J'};
    static const uint8_t cut[] = {8, 3, '3', 'C', 'B', 'J'};      /* bLength past the bytes */
    static const uint8_t config[] = {6, 2, '3', 'C', 'B', 'J'};
    assert_true(dfs_desc_string_8bit(gd32, sizeof gd32));
    assert_true(dfs_desc_string_8bit(odd, sizeof odd));
    assert_true(dfs_desc_string_8bit(cut, sizeof cut));
    assert_false(dfs_desc_string_8bit(utf16, sizeof utf16));
    assert_false(dfs_desc_string_8bit(cjk, sizeof cjk));
    assert_false(dfs_desc_string_8bit(kana, sizeof kana));
    assert_false(dfs_desc_string_8bit(one, sizeof one));
    assert_false(dfs_desc_string_8bit(ctrl, sizeof ctrl));
    assert_false(dfs_desc_string_8bit(config, sizeof config));
    assert_false(dfs_desc_string_8bit(gd32, 3));
    assert_false(dfs_desc_string_8bit(NULL, 6));
}

static void string_small_buffer(void **state)
{
    (void)state;
    uint8_t d[64];
    struct dfs_desc_problem pr;
    const uint16_t s[] = {'a', 0x20ac, 'b', 0xd83d, 0xde00, 'c'}; /* a € b 😀 c */
    size_t n = string_desc(d, s, 6);
    static const struct {
        size_t size;
        const char *want;
    } cases[] = {
        {1, ""},
        {2, "a"},
        {3, "a"},
        {4, "a"},
        {5, "a\xe2\x82\xac"},
        {6, "a\xe2\x82\xac" "b"},
        {9, "a\xe2\x82\xac" "b"},
        {10, "a\xe2\x82\xac" "b\xf0\x9f\x98\x80"},
        {11, "a\xe2\x82\xac" "b\xf0\x9f\x98\x80" "c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = malloc(cases[i].size);
        assert_non_null(out);
        assert_int_equal(utf8(d, n, out, cases[i].size, &pr), DFS_OK);
        assert_string_equal(out, cases[i].want);
        free(out);
    }
    /* a problem after the cut is still found */
    const uint16_t t[] = {'a', 'b', 'c', 0xdc00};
    n = string_desc(d, t, 4);
    char out[2];
    assert_int_equal(utf8(d, n, out, sizeof out, &pr), DFS_OK);
    assert_string_equal(out, "a");
    assert_int_equal(pr.code, DFS_DESC_BAD_ENCODING);
    assert_int_equal(pr.offset, 8);
}

static void langids(void **state)
{
    (void)state;
    const uint8_t two[6] = {6, 3, 0x09, 0x04, 0x07, 0x04};
    uint16_t ids[4] = {0};
    uint8_t *b = exact(two, 6);
    assert_int_equal(dfs_desc_langids(b, 6, ids, 4), 2);
    assert_int_equal(ids[0], 0x0409);
    assert_int_equal(ids[1], 0x0407);
    assert_int_equal(dfs_desc_langids(b, 6, ids, 1), 1); /* max */
    assert_int_equal(dfs_desc_langids(b, 5, ids, 4), 1); /* bytes present */
    assert_int_equal(dfs_desc_langids(b, 1, ids, 4), 0);
    free(b);
    const uint8_t short_bl[6] = {4, 3, 0x09, 0x04, 0x07, 0x04}; /* bLength wins */
    assert_int_equal(dfs_desc_langids(short_bl, 6, ids, 4), 1);
    const uint8_t wrong[4] = {4, 2, 0x09, 0x04};
    assert_int_equal(dfs_desc_langids(wrong, 4, ids, 4), 0);
    const uint8_t none[2] = {2, 3};
    assert_int_equal(dfs_desc_langids(none, 2, ids, 4), 0);
    assert_int_equal(dfs_desc_langids(NULL, 4, ids, 4), 0);
}

/* The quirk table's view of the DFU interface (dfs_quirk_find_dfu): a FLIP
 * bootloader's class 0/0/0 interface (dfu-quirks R25, as dfu-programmer
 * takes it) for a family that shows R25 only; class 0xFE/1 first. */
static void quirk_find_dfu_flip(void **state)
{
    (void)state;
    /* ATmega32U4's DFU bootloader: one interface of class 0/0/0, two alternate
     * settings here to see both taken, then a second interface */
    static const uint8_t flip[] = {
        9, 2, 36, 0, 2, 1, 0, 0x80, 50,
        9, 4, 0, 0, 0, 0, 0, 0, 0,
        9, 4, 0, 1, 0, 0, 0, 0, 0,
        9, 4, 1, 0, 0, 0xff, 0, 0, 0,
    };
    struct dfs_dfu_interface f[4];
    unsigned q = 99;
    assert_int_equal(dfs_quirk_find_dfu(0x03eb, 0x2ff4, 0, flip, sizeof flip, f, 4, &q), 2);
    assert_int_equal(q, 25);
    assert_int_equal(f[0].iface.bInterfaceNumber, 0);
    assert_int_equal(f[1].iface.bAlternateSetting, 1);
    assert_false(f[0].has_functional);
    assert_int_equal(dfs_quirk_find_dfu(0x03eb, 0x2ff4, 0, flip, sizeof flip, NULL, 0, NULL), 2);
    /* the same bytes from a device of no such family: no DFU interface */
    assert_int_equal(dfs_quirk_find_dfu(0x1209, 0x0001, 0, flip, sizeof flip, f, 4, &q), 0);
    assert_int_equal(q, 0);
    /* a real DFU interface wins, and no quirk is needed to find it */
    uint8_t b[sizeof dfu_config];
    memcpy(b, dfu_config, sizeof b);
    assert_int_equal(dfs_quirk_find_dfu(0x03eb, 0x2ff4, 0, b, sizeof b, f, 4, &q), 2);
    assert_int_equal(q, 0);
    assert_int_equal(f[0].iface.bInterfaceClass, 0xfe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_full),
        cmocka_unit_test(device_first_8_bytes),
        cmocka_unit_test(device_rejected),
        cmocka_unit_test(qualifier),
        cmocka_unit_test(walk_dfu_configuration),
        cmocka_unit_test(walk_functional_7_bytes),
        cmocka_unit_test(walk_type_0x21_outside_dfu),
        cmocka_unit_test(walk_iad),
        cmocka_unit_test(walk_bos),
        cmocka_unit_test(walk_below_minimum_length),
        cmocka_unit_test(walk_cannot_go_on),
        cmocka_unit_test(string_plain_and_surrogates),
        cmocka_unit_test(string_bad_utf16),
        cmocka_unit_test(string_lengths),
        cmocka_unit_test(string_small_buffer),
        cmocka_unit_test(string_8bit),
        cmocka_unit_test(langids),
        cmocka_unit_test(find_dfu_functional_after_last_alt),
        cmocka_unit_test(find_dfu_runtime_in_composite),
        cmocka_unit_test(find_dfu_missing_functional_and_damage),
        cmocka_unit_test(quirk_find_dfu_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
