/* The runner against devices that answer anything: random outcomes and
 * reply bytes (replay_transport.c), with well-formed and random
 * descriptors. Whatever comes back, a run ends with a report, the writers
 * work, and without --allow flags nothing but a DfuSe set-address is ever
 * downloaded (the safety rule holds whatever the device says). Run under
 * ASan/UBSan by the sanitizer build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"
#include "replay_transport.h"

static uint32_t rng = 12345;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* the seed's STM32G0C1 (DfuSe) and a plain DFU 1.1 device */
static const uint8_t dev_g0[18] = {18, 1, 0, 2, 0, 0, 0, 64, 0x83, 0x04, 0x11, 0xdf, 0, 2, 1, 2, 3, 1};
static const uint8_t cfg_g0[45] = {
    9, 2, 45, 0, 1, 1, 2, 0xc0, 50,
    9, 4, 0, 0, 0, 0xfe, 1, 2, 6,
    9, 4, 0, 1, 0, 0xfe, 1, 2, 7,
    9, 4, 0, 2, 0, 0xfe, 1, 2, 8,
    9, 0x21, 0x0b, 255, 0, 0, 4, 0x1a, 0x01};
static const uint8_t cfg_dfu[27] = {
    9, 2, 27, 0, 1, 1, 0, 0xc0, 50,
    9, 4, 0, 0, 0, 0xfe, 1, 2, 4,
    9, 0x21, 0x07, 255, 0, 0, 4, 0x10, 0x01};

static const char script_text[] =
    "get-descriptor device\nget-descriptor string 6\nset-interface 1\n"
    "getstatus expect status=OK state=dfuIDLE\nclrstatus expect stall\nabort\n"
    "set-address 0x1FFF7800 expect status=OK\nread 68 at 0x1FFF7800 expect length=68\n"
    "upload 0 1024 expect data=00214192\npoll max=5\n"
    "write hex:10000000 at 0x1FFF7870 expect reenumerate 0483:df11 within 1s\n"
    "erase 0x08000000\nmass-erase\ndnload 2 hex:00112233\ngetstate expect state=dfuIDLE\n"
    "leave\nget-status\ncontrol 0xc0 1 0 0 8 expect any\n";

static size_t make_input(uint8_t *buf, size_t cap, int kind)
{
    size_t n = 0;
    const uint8_t *cfg = kind == 0 ? cfg_g0 : cfg_dfu;
    size_t cfg_len = kind == 0 ? sizeof cfg_g0 : sizeof cfg_dfu;
    memcpy(buf, dev_g0, 18);
    n = 18;
    if (kind == 2) {
        /* random descriptors */
        size_t l = next() % 80;
        buf[n++] = (uint8_t)l;
        buf[n++] = 0;
        for (size_t i = 0; i < l; i++)
            buf[n++] = (uint8_t)next();
        buf[2 + (next() % 16)] = (uint8_t)next();
    } else {
        buf[n++] = (uint8_t)cfg_len;
        buf[n++] = 0;
        memcpy(buf + n, cfg, cfg_len);
        n += cfg_len;
        if (next() % 4 == 0)
            buf[20 + next() % cfg_len] = (uint8_t)next(); /* one byte off */
    }
    size_t replies = 20 + next() % 400;
    for (size_t k = 0; k < replies && n + 300 < cap; k++) {
        uint32_t r = next();
        /* mostly ok, with plausible DFU replies */
        buf[n++] = (uint8_t)(r % 10 < 7 ? 0 : r % 8);
        size_t len = (r >> 8) % 3 == 0 ? 6 : (r >> 12) % 70;
        buf[n++] = (uint8_t)len;
        buf[n++] = 0;
        for (size_t i = 0; i < len; i++) {
            uint32_t v = next();
            /* GETSTATUS-like: small status, states 0..11, poll mostly small */
            buf[n++] = (uint8_t)(len == 6 ? (i == 4 ? v % 12 : i == 0 ? v % 17 : i == 1 ? v % 60
                                                                : i < 4 ? 0 : v)
                                          : v);
        }
    }
    return n;
}

static void check_no_unallowed_download(const dfs_report *r)
{
    for (size_t i = 0; i < dfs_report_exchange_count(r); i++) {
        const struct dfs_exchange *x = dfs_report_exchange(r, i);
        if (x->setup.bmRequestType != DFS_DFU_REQTYPE_OUT || x->setup.bRequest != DFS_DFU_DNLOAD ||
            x->setup.wLength == 0)
            continue;
        /* the only download a read-only run sends: a DfuSe set-address */
        if (!(x->setup.wValue == 0 && x->setup.wLength == 5 && x->out &&
              x->out[0] == DFS_DFUSE_SET_ADDRESS))
            fail_msg("a read-only run sent DNLOAD block %u of %u bytes", x->setup.wValue,
                     x->setup.wLength);
    }
}

static void run_one(const uint8_t *in, size_t len, unsigned allow, const dfs_script *script,
                    FILE *sink)
{
    struct dfs_transport tp;
    struct dfs_clock clock;
    assert_int_equal(replay_transport_new(in, len, &tp, &clock), DFS_OK);
    struct dfs_run_options o;
    dfs_run_options_init(&o);
    o.allow = allow;
    o.clock = &clock;
    o.upload_limit = 16384;
    dfs_report *r = NULL;
    dfs_result res = script ? dfs_run_script(script, &o, &tp, &r)
                            : dfs_run_suites((1u << DFS_SUITE__COUNT) - 1, &o, &tp, &r);
    assert_int_equal(res, DFS_OK);
    int ex = dfs_report_exit_code(r);
    assert_true(ex >= 0 && ex <= 2);
    assert_true(dfs_report_check_count(r) > 0);
    assert_int_equal(dfs_report_write_text(r, sink, DFS_TEXT_ALL | DFS_TEXT_EXCHANGES), DFS_OK);
    assert_int_equal(dfs_report_write_json(r, sink), DFS_OK);
    assert_int_equal(dfs_report_write_junit(r, sink, "x"), DFS_OK);
    if (!allow)
        check_no_unallowed_download(r);
    dfs_report_free(r);
    replay_transport_free(&tp);
}

static void test_random_replies(void **state)
{
    (void)state;
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    dfs_script *s = NULL;
    struct dfs_script_error e;
    assert_int_equal(dfs_script_parse(script_text, strlen(script_text), "r.dfu", NULL, &s, &e),
                     DFS_OK);
    size_t cap = 65536;
    uint8_t *buf = malloc(cap);
    for (int i = 0; i < 900; i++) {
        size_t n = make_input(buf, cap, i % 3);
        /* an exact-size copy, so that an overread is caught */
        uint8_t *in = malloc(n);
        memcpy(in, buf, n);
        run_one(in, n, 0, NULL, sink);
        run_one(in, n, 0, s, sink);
        run_one(in, n, (1u << 6) - 1, NULL, sink);
        run_one(in, n, (1u << 6) - 1, s, sink);
        /* and every prefix length of a short one */
        if (i < 40)
            for (size_t k = 0; k < n && k < 200; k++)
                run_one(in, k, 0, NULL, sink);
        free(in);
    }
    free(buf);
    dfs_script_free(s);
    fclose(sink);
}

/* A device whose replies are all well formed but say it is always busy
 * with bwPollTimeout 0 must not make the runner loop for ever. */
static void test_always_busy(void **state)
{
    (void)state;
    size_t cap = 200000, n = 0;
    uint8_t *buf = malloc(cap);
    memcpy(buf, dev_g0, 18);
    n = 18;
    buf[n++] = sizeof cfg_g0;
    buf[n++] = 0;
    memcpy(buf + n, cfg_g0, sizeof cfg_g0);
    n += sizeof cfg_g0;
    while (n + 9 < cap) {
        uint8_t busy[9] = {0, 6, 0, 0, 0, 0, 0, DFS_STATE_DNBUSY, 0};
        memcpy(buf + n, busy, 9);
        n += 9;
    }
    FILE *sink = fopen("/dev/null", "w");
    run_one(buf, n, 0, NULL, sink);
    fclose(sink);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_replies),
        cmocka_unit_test(test_always_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
