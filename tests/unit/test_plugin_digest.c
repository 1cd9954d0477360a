/* The Wireshark plugin's frame digest (dissector/digest.c): its CRC-32C
 * gives the check values of RFC 3720 (appendix B.4) and the standard check
 * value of "123456789"; a frame with one byte changed, at any place and in
 * frames of 0 to 300 bytes, always has another digest, and so has a frame
 * whose lengths or time stamp differ; the digest the plugin uses is the
 * CRC one wherever the processor has the instruction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "digest.h"

/* Without the CRC-32C instruction the plugin uses the multiply digest: its
 * CRC tests do not apply, except on x86-64, where every processor the
 * plugin runs on has had it since 2008. */
#if defined(__x86_64__)
#define no_crc() fail_msg("an x86-64 processor without SSE 4.2")
#else
#define no_crc() skip()
#endif

static void crc32c_check_values(void **state)
{
    (void)state;
    uint8_t b[32];
    uint32_t v;
    memset(b, 0, sizeof b);
    if (!dfs__crc32c(b, sizeof b, &v))
        no_crc();
    assert_int_equal(v, 0x8a9136aau);
    memset(b, 0xff, sizeof b);
    assert_true(dfs__crc32c(b, sizeof b, &v));
    assert_int_equal(v, 0x62a8ab43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    assert_true(dfs__crc32c(b, sizeof b, &v));
    assert_int_equal(v, 0x46dd794eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    assert_true(dfs__crc32c(b, sizeof b, &v));
    assert_int_equal(v, 0x113fdb5cu);
    assert_true(dfs__crc32c((const uint8_t *)"123456789", 9, &v));
    assert_int_equal(v, 0xe3069283u);
}

#define MAXLEN 300

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

typedef uint32_t (*digest_fn)(const uint8_t *, uint32_t, uint32_t, bool, int64_t, int32_t);

static uint32_t crc_or_fail(const uint8_t *d, uint32_t caplen, uint32_t len, bool has_ts,
                            int64_t sec, int32_t nsec)
{
    uint32_t v = 0;
    assert_true(dfs__frame_digest_crc(d, caplen, len, has_ts, sec, nsec, &v));
    return v;
}

/* Every byte of frames of 0 to MAXLEN bytes changed in turn (three ways),
 * then the lengths and the time: the digest differs each time. */
static void changes_told(digest_fn fn)
{
    uint8_t b[MAXLEN + 8];
    for (uint32_t n = 0; n <= MAXLEN; n++) {
        fill(b, sizeof b, n + 1);
        uint32_t d = fn(b, n, n + 100, true, 1700000000, 123456789);
        assert_int_equal(fn(b, n, n + 100, true, 1700000000, 123456789), d);
        for (uint32_t i = 0; i < n; i++) {
            static const uint8_t flips[] = {0x01, 0x80, 0xff};
            for (size_t f = 0; f < sizeof flips; f++) {
                b[i] ^= flips[f];
                uint32_t e = fn(b, n, n + 100, true, 1700000000, 123456789);
                b[i] ^= flips[f];
                if (e == d)
                    fail_msg("%u-byte frame, byte %u ^ 0x%02x: same digest", n, i, flips[f]);
            }
        }
        if (n > 0)
            assert_int_not_equal(fn(b, n - 1, n + 100, true, 1700000000, 123456789), d);
        assert_int_not_equal(fn(b, n + 1, n + 100, true, 1700000000, 123456789), d);
        assert_int_not_equal(fn(b, n, n + 101, true, 1700000000, 123456789), d);
        assert_int_not_equal(fn(b, n, n + 100, true, 1700000001, 123456789), d);
        assert_int_not_equal(fn(b, n, n + 100, true, 1700000000, 123456788), d);
        assert_int_not_equal(fn(b, n, n + 100, false, 0, 0), d);
    }
}

static void crc_changes_told(void **state)
{
    (void)state;
    uint32_t v;
    if (!dfs__frame_digest_crc((const uint8_t *)"", 0, 0, false, 0, 0, &v))
        no_crc();
    changes_told(crc_or_fail);
}

static void mul_changes_told(void **state)
{
    (void)state;
    changes_told(dfs__frame_digest_mul);
}

static void the_method_used(void **state)
{
    (void)state;
    uint8_t b[200];
    fill(b, sizeof b, 7);
    uint32_t crc;
    uint32_t d = dfs__frame_digest(b, sizeof b, sizeof b, true, -5, 999999999);
    if (dfs__frame_digest_crc(b, sizeof b, sizeof b, true, -5, 999999999, &crc)) {
        assert_int_equal(d, crc);
    } else {
        no_crc();
        assert_int_equal(d, dfs__frame_digest_mul(b, sizeof b, sizeof b, true, -5, 999999999));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_check_values),
        cmocka_unit_test(crc_changes_told),
        cmocka_unit_test(mul_changes_told),
        cmocka_unit_test(the_method_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
