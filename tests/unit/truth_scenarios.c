/* The scenarios of truth_scenarios.h. The bytes are the GD32VF103's
 * (dfu-quirks R21, R31; fixtures/captures/README.md), the rule USB 2.0
 * 9.6.7: strings other than descriptor 0 are UTF-16LE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "truth_scenarios.h"

const struct sess_dev_desc GD32_DEVICE = {
    .vid = 0x28e9, .pid = 0x0189, .bcd_dfu = 0x011a, .xfer = 2048, .attrs = 0x0b, .proto = 2,
    .alt_names = {"@Internal Flash  /0x08000000/512*002Kg", "@Option Bytes  /0x1FFFF800/01*016 g",
                  NULL},
};

uint64_t read_raw_string(struct sess *s, uint8_t index, const uint8_t *raw, uint32_t len)
{
    uint8_t st[8];
    setup8(st, 0x80, 6, (uint16_t)(0x0300 | index), 0x0409, 255);
    return sess_ctl(s, st, NULL, 0, 0, raw, len);
}

void sc_string_not_utf16(struct sess *s, struct expect *e)
{
    begin(s, &GD32_DEVICE, 0);
    static const uint8_t serial[] = {6, 3, '3', 'C', 'B', 'J'};
    uint64_t first = read_raw_string(s, 3, serial, sizeof serial);
    read_raw_string(s, 3, serial, sizeof serial); /* once per string */
    sess_finish(s);
    WANT(e, "desc.string-not-utf16", DONE(first), DONE(first));
    const struct dfs_finding *f = sess_find(s, "desc.string-not-utf16");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "string descriptor 3 (iSerialNumber)"));
    assert_non_null(strstr(f->explanation, "4 bytes of ASCII text, \"3CBJ\""));
    /* 0x4333 and 0x4a42: the bytes in pairs, low byte first */
    assert_non_null(strstr(f->explanation, "U+4333 U+4A42"));
    /* the quirk table names the GD32VF103's R31 */
    assert_non_null(strstr(f->explanation, "Known quirk R31"));
}
