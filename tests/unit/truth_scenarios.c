/* The scenarios of truth_scenarios.h. The bytes are the GD32VF103's
 * (dfu-quirks R21, R31; fixtures/captures/README.md), the rule USB 2.0
 * 9.6.7: strings other than descriptor 0 are UTF-16LE; the stalls those of
 * the oversized-transfer-size fault (R9) and of ST's middleware after an
 * initial CLRSTATUS (R15), against DFU 1.1's state diagram. */
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

uint64_t erase_stalled(struct sess *s, uint32_t addr)
{
    uint8_t b[5] = {DFS_DFUSE_ERASE, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                    (uint8_t)(addr >> 24)};
    return sess_dnload(s, 0, b, 5, -32);
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

void sc_dnload_stall(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFU11, 0); /* wTransferSize 256 */
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    fill_block(3);
    uint64_t dn = sess_dnload(s, 0, block, 256, -32);
    sess_finish(s);
    WANT(e, "dfu.dnload-stall", dn, dn);
    const struct dfs_finding *f = sess_find(s, "dfu.dnload-stall");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "STALLed in dfuIDLE"));
    assert_non_null(strstr(f->explanation, "within the wTransferSize 256"));
    assert_non_null(strstr(f->remedy, "R9"));
}

void sc_dnload_stall_after_clrstatus(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0); /* 0483:df11, shared by ST's ROM and middleware */
    uint64_t clr = sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    uint64_t erase = erase_stalled(s, 0x08000000);
    sess_finish(s);
    WANT(e, "dfu.dnload-stall", erase, clr, erase);
    WANT(e, "dfu.clrstatus-outside-error", clr, clr); /* begin() left it in dfuIDLE */
    const struct dfs_finding *f = sess_find(s, "dfu.dnload-stall");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "ERASE 0x08000000"));
    assert_non_null(strstr(f->explanation, "acknowledged in dfuIDLE"));
    assert_non_null(strstr(f->explanation, "not known"));
    assert_non_null(strstr(f->explanation, "known quirk R15"));
}
