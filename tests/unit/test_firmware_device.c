/* The firmware library against a device and a session, and its writers:
 * the cases of test_firmware.c's executable that check a file against a
 * device's layouts (dfs_fw_check_device), compare it with what a session
 * wrote (dfs_fw_compare_session) and build files (dfs_fw_build_dfuse,
 * dfs_fw_session_build). Inputs are built as fw_rig.h says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dfuscope/firmware.h"
#include "fw_rig.h"

/* ---- against a device -------------------------------------------------------------------------- */

static void layout_alt(struct dfs_fw_device *d, uint8_t alt, const char *s)
{
    struct dfs_fw_alt *a = &d->alts[d->n_alts++];
    a->alt = alt;
    a->has_name = true;
    snprintf(a->name, sizeof a->name, "%s", s);
    assert_int_equal(dfs_layout_parse(s, strlen(s), &a->layout, NULL, 0), DFS_OK);
    a->has_layout = true;
}

/* The dfuse-device model's layouts (docs/emulation.md). */
static void device_dfuse(struct dfs_fw_device *d)
{
    dfs_fw_device_init(d);
    snprintf(d->what, sizeof d->what, "the test device");
    d->has_id = true;
    d->vid = 0x0483;
    d->pid = 0xdf11;
    d->dfuse = 1;
    d->alts_known = true;
    layout_alt(d, 0, "@Internal Flash  /0x08000000/128*002Kg");
    layout_alt(d, 1, "@Option Bytes  /0x1FFF7800/01*128 e");
    layout_alt(d, 2, "@OTP Memory /0x1FFF7000/01*1024 e");
    layout_alt(d, 3, "@Device Feature/0xFFFF0000/01*004 e");
}

struct dcase {
    const char *name;
    void (*make)(struct buf *b);
    bool has_base;
    uint32_t base;
    int device;                /* 0 dfuse-device, 1 a DFU 1.1 device, 2 no device, 3 layouts only */
    const char *ids[6];
    const char *at_id;
    enum dfs_fw_where at_kind;
    uint64_t at_value;
    const char *text;          /* in at_id's explanation */
};

static void mk_d_ok(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 4096}};
    dfuse_file(b, el, 1);
}
static void mk_d_outside(struct buf *b)
{
    struct el el[] = {{0, 0x0803FF00, 0x200}};
    dfuse_file(b, el, 1);
}
static void mk_d_ram(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 2048}, {0, 0x20000000, 16}};
    dfuse_file(b, el, 2);
}
static void mk_d_too_big(struct buf *b)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 300000 + 16, 1);
    dfuse_target(b, 0, NULL, 8 + 300000, 1);
    dfuse_element(b, 0x08000000, 300000, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_d_erase(struct buf *b)
{
    struct el el[] = {{0, 0x08000100, 0x100}};
    dfuse_file(b, el, 1);
}
static void mk_d_ob(struct buf *b, uint8_t rdp)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 128 + 274 + 8 + 2048 + 16, 2);
    /* option bytes first: what follows is cut by the reset */
    dfuse_target(b, 1, "Option Bytes", 8 + 128, 1);
    put32(b, 0x1FFF7800);
    put32(b, 128);
    put8(b, rdp);
    putfill(b, 0xFF, 127);
    dfuse_target(b, 0, "Internal Flash", 8 + 2048, 1);
    dfuse_element(b, 0x08000000, 2048, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_d_ob_level0(struct buf *b) { mk_d_ob(b, 0xAA); }
static void mk_d_ob_level1(struct buf *b) { mk_d_ob(b, 0xBB); }
static void mk_d_ob_level2(struct buf *b) { mk_d_ob(b, 0xCC); }
static void mk_d_otp(struct buf *b)
{
    struct el el[] = {{2, 0x1FFF7000, 32}};
    dfuse_file(b, el, 1);
}
static void mk_d_alt_missing(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 16}, {7, 0x08000100, 16}};
    dfuse_file(b, el, 2);
}
static void mk_d_readonly(struct buf *b)
{
    /* the Device Feature region is type 'e' (readable, writable) on alt 3,
     * 'a' (read-only) in the layout of case "read-only" */
    struct el el[] = {{0, 0x08000000, 16}};
    dfuse_file(b, el, 1);
}
static void mk_d_other_id(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0x1209, 0x0001, 0xffff, 0x0100, 16);
}
static void mk_d_wildcard(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0xffff, 0xffff, 0xffff, 0x0100, 16);
}
static void mk_d_hex_ob(struct buf *b)
{
    ihex_ela(b, 0x1FFF);
    uint8_t d[16] = {0xCC};
    ihex(b, 0, 0x7800, d, 16);
    ihex(b, 1, 0, NULL, 0);
}

static const struct dcase dcases[] = {
    {"fits", mk_d_ok, false, 0, 0, {""}, NULL, 0, 0, NULL},
    {"past the flash", mk_d_outside, false, 0, 0, {"file.outside-layout", "file.erase-beyond", ""},
     "file.outside-layout", DFS_FW_AT_BYTE, 285, "Last page at 0x080400ff is not writeable"},
    {"an element in RAM", mk_d_ram, false, 0, 0, {"file.outside-layout", ""},
     "file.outside-layout", DFS_FW_AT_BYTE, 11 + 274 + 8 + 2048, "0x20000000"},
    {"larger than the flash", mk_d_too_big, false, 0, 0, {"file.larger-than-memory", ""},
     "file.larger-than-memory", DFS_FW_AT_BYTE, 285, "256 KiB (262144 bytes) writable"},
    {"erase around the element", mk_d_erase, false, 0, 0, {"file.erase-beyond", ""},
     "file.erase-beyond", DFS_FW_AT_BYTE, 285,
     "0x08000000-0x080000ff (256 bytes), 0x08000200-0x080007ff (1536 bytes)"},
    {"option bytes, level 0", mk_d_ob_level0, false, 0, 0, {"file.option-bytes", ""},
     "file.option-bytes", DFS_FW_AT_BYTE, 285, "level 0"},
    {"option bytes, level 1", mk_d_ob_level1, false, 0, 0, {"file.option-bytes", ""},
     "file.option-bytes", DFS_FW_AT_BYTE, 285, "2048 bytes come after it"},
    {"option bytes, level 2", mk_d_ob_level2, false, 0, 0,
     {"file.option-bytes", "file.option-bytes-lock", ""}, "file.option-bytes-lock",
     DFS_FW_AT_BYTE, 285, "0xcc: level 2"},
    {"OTP", mk_d_otp, false, 0, 0, {"file.otp", ""}, "file.otp", DFS_FW_AT_BYTE, 285,
     "the one-time-programmable memory the layout names"},
    {"a target for alternate setting 7", mk_d_alt_missing, false, 0, 0,
     {"file.target-alt-missing", "file.erase-beyond", ""}, "file.target-alt-missing",
     DFS_FW_AT_BYTE,
     11 + 274 + 24 + 6, "No alternate setting 7"},
    {"a target for alternate setting 7, layouts given", mk_d_alt_missing, false, 0, 3,
     {"file.erase-beyond", ""}, NULL, 0, 0, NULL},
    {"read-only memory", mk_d_readonly, false, 0, 4, {"file.not-writable", ""},
     "file.not-writable", DFS_FW_AT_BYTE, 285, "type 'a'"},
    {"suffix for another device", mk_d_other_id, true, 0x08000000, 0,
     {"file.id-mismatch", "file.raw-for-dfuse", "file.erase-beyond", ""}, "file.id-mismatch",
     DFS_FW_AT_BYTE, 104,
     "1209:0001"},
    {"suffix wildcard", mk_d_wildcard, true, 0x08000000, 0,
     {"file.raw-for-dfuse", "file.erase-beyond", ""},
     "file.raw-for-dfuse", DFS_FW_AT_BYTE, 0, "--dfuse-address"},
    {"raw binary placed at the layout's start", mk_bin, false, 0, 0,
     {"file.raw-for-dfuse", "file.erase-beyond", ""}, "file.erase-beyond", DFS_FW_AT_BYTE, 0,
     "0x080003e8-0x080007ff"},
    {"raw binary at --address past the flash", mk_bin, true, 0x0803FF00, 0,
     {"file.raw-for-dfuse", "file.outside-layout", "file.erase-beyond", ""}, "file.outside-layout",
     DFS_FW_AT_BYTE,
     256, "0x08040000"},
    {"DfuSe file for a DFU 1.1 device", mk_d_ok, false, 0, 1, {"file.dfuse-for-dfu11", ""},
     "file.dfuse-for-dfu11", DFS_FW_AT_BYTE, 0, "plain DFU 1.1"},
    {"binary for a DFU 1.1 device", mk_bin_suffix, false, 0, 1, {""}, NULL, 0, 0, NULL},
    {"option bytes in a hex, no device", mk_d_hex_ob, false, 0, 2,
     {"file.option-bytes", "file.option-bytes-lock", "file.otp", ""}, "file.option-bytes-lock",
     DFS_FW_AT_LINE, 2, "STM32G0/G4/L4"},
};

static void run_dcase(void **state)
{
    const struct dcase *c = *state;
    struct buf b = {0};
    c->make(&b);
    struct dfs_fw_options o;
    dfs_fw_options_init(&o);
    o.has_base = c->has_base;
    o.base = c->base;
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, &o, &copy);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    struct dfs_fw_device *d = calloc(1, sizeof *d);
    assert_non_null(d);
    device_dfuse(d);
    if (c->device == 1) {
        dfs_fw_device_init(d);
        d->has_id = true;
        d->vid = 0x0483;
        d->pid = 0xdf11;
        d->dfuse = 0;
        d->alts_known = true;
        d->n_alts = 1;
    } else if (c->device == 3) {
        d->alts_known = false;
    } else if (c->device == 4) {
        dfs_fw_device_init(d);
        d->dfuse = 1;
        layout_alt(d, 0, "@Internal Flash  /0x08000000/1*4Ka");
    }
    assert_int_equal(dfs_fw_check_device(f, c->device == 2 ? NULL : d), DFS_OK);
    expect_ids(f, c->ids);
    if (c->at_id) {
        expect_at(f, c->at_id, c->at_kind, c->at_value);
        const char *e = find_id(f, c->at_id)->explanation;
        if (!strstr(e, c->text))
            fail_msg("\"%s\" not in: %s", c->text, e);
    }
    free(d);
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* ---- against a session ---------------------------------------------------------------------------- */

static struct dfs_mem_op wop(uint32_t addr, const uint8_t *data, uint32_t n, uint64_t frame,
                             bool ok)
{
    struct dfs_mem_op op = {0};
    op.kind = DFS_MEM_OP_WRITE;
    op.dfuse = true;
    op.address = addr;
    op.length = n;
    op.data = data;
    op.data_len = n;
    op.ok = ok;
    op.bStatus = ok ? 0 : 0x03;
    op.frame = frame;
    op.exec_frame = frame + 2;
    op.lane = op.device = 1;
    return op;
}

/* The session writes what the file holds, block by block, with changes. */
static void session_compare(void **state)
{
    (void)state;
    struct buf b = {0};
    struct el el[] = {{0, 0x08000000, 4096}};
    dfuse_file(&b, el, 1);
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    const uint8_t *img = dfs_fw_segment(f, 0)->data;
    struct {
        const char *name;
        int variant;
        const char *ids[4];
        uint64_t same, missing, different, extra;
        const char *text;
        uint64_t at_frame; /* the first evidence frame of the first id */
    } cases[] = {
        {"identical", 0, {""}, 4096, 0, 0, 0, NULL, 0},
        {"stopped after 2 blocks", 1, {"file.session-missing", ""}, 2048, 2048, 0, 0,
         "0x08000800-0x08000fff (2 KiB (2048 bytes), file byte 2341)", 0},
        {"a failed block", 2, {"file.session-missing", ""}, 3072, 1024, 0, 0,
         "the first at frame 30 (1024 bytes at 0x08000800): the device answered errWRITE", 0},
        {"other data", 3, {"file.session-mismatch", ""}, 4095, 0, 1, 0,
         "at 0x08000c05: the file has 0x", 40},
        {"more memory", 4, {"file.session-extra", ""}, 4096, 0, 0, 16,
         "0x20000000-0x2000000f (16 bytes, frame 50)", 50},
        {"a later write repairs", 5, {""}, 4096, 0, 0, 0, NULL, 0},
    };
    uint8_t changed[1024];
    memcpy(changed, img + 3072, 1024);
    changed[5] ^= 0xFF;
    uint8_t ram[16] = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        dfs_fw_file *g = NULL;
        assert_int_equal(dfs_fw_read(copy, b.n, NULL, &g), DFS_OK);
        dfs_fw_session *s = NULL;
        assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
        int v = cases[k].variant;
        for (uint32_t blk = 0; blk < 4; blk++) {
            if (v == 1 && blk >= 2)
                break;
            bool ok = !(v == 2 && blk == 2);
            const uint8_t *d = v == 3 && blk == 3 ? changed : img + blk * 1024;
            if (v == 5 && blk == 1)
                d = changed;
            struct dfs_mem_op op = wop(0x08000000 + blk * 1024, d, 1024, 10 + blk * 10, ok);
            assert_int_equal(dfs_fw_session_on_mem(s, &op), 0);
        }
        if (v == 4) {
            struct dfs_mem_op op = wop(0x20000000, ram, 16, 50, true);
            dfs_fw_session_on_mem(s, &op);
        }
        if (v == 5) {
            struct dfs_mem_op op = wop(0x08000400, img + 1024, 1024, 60, true);
            dfs_fw_session_on_mem(s, &op);
        }
        struct dfs_fw_compare m;
        assert_int_equal(dfs_fw_check_session(g, s, &m), DFS_OK);
        expect_ids(g, cases[k].ids);
        assert_int_equal(m.same, cases[k].same);
        assert_int_equal(m.missing, cases[k].missing);
        assert_int_equal(m.different, cases[k].different);
        assert_int_equal(m.extra, cases[k].extra);
        if (cases[k].text) {
            const char *e = find_id(g, cases[k].ids[0])->explanation;
            if (!strstr(e, cases[k].text))
                fail_msg("%s: \"%s\" not in: %s", cases[k].name, cases[k].text, e);
        }
        if (cases[k].at_frame) {
            const struct dfs_fw_finding *fd = find_id(g, cases[k].ids[0]);
            assert_int_equal(fd->at[0].kind, DFS_FW_AT_FRAME);
            assert_int_equal(fd->at[0].value, cases[k].at_frame);
        }
        dfs_fw_session_free(s);
        dfs_fw_free(g);
    }
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* A DFU 1.1 session compares image offsets; a raw binary without an
 * address goes to the session's lowest address. */
static void session_offsets(void **state)
{
    (void)state;
    struct buf b = {0};
    mk_bin_suffix(&b);
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    dfs_fw_session *s = NULL;
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    struct dfs_mem_op op = wop(0, copy, 1000, 5, true);
    op.dfuse = false;
    dfs_fw_session_on_mem(s, &op);
    struct dfs_fw_compare m;
    assert_int_equal(dfs_fw_check_session(f, s, &m), DFS_OK);
    assert_true(m.offsets);
    assert_int_equal(m.same, 1000);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    dfs_fw_session_free(s);
    dfs_fw_free(f);
    /* DfuSe session: the binary placed at its lowest address */
    f = NULL;
    assert_int_equal(dfs_fw_read(copy, b.n, NULL, &f), DFS_OK);
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    op = wop(0x08004000, copy, 1000, 5, true);
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_check_session(f, s, &m), DFS_OK);
    assert_true(m.base_assumed);
    assert_int_equal(m.base, 0x08004000);
    assert_int_equal(m.same, 1000);
    struct dfs_fw_session_info info;
    dfs_fw_session_get_info(s, &info);
    assert_true(info.dfuse);
    assert_int_equal(info.bytes, 1000);
    assert_int_equal(info.low, 0x08004000);
    dfs_fw_session_free(s);
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* ---- writing ------------------------------------------------------------------------------------- */

/* What dfs_fw_build_dfuse writes reads back as the same elements, without
 * findings, and as the byte layout of UM0391. */
static void build_roundtrip(void **state)
{
    (void)state;
    uint8_t a[300], c[40];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 3);
    memset(c, 0x5A, sizeof c);
    struct dfs_fw_element_in el[] = {
        {0, 0x08000000, a, sizeof a, "Internal Flash"},
        {1, 0x1FFF7800, c, 16, NULL},
        {0, 0x08001000, c, sizeof c, NULL},
    };
    struct dfs_fw_ids ids = {0x0483, 0xdf11, 0x2200};
    uint8_t *out;
    size_t n;
    assert_int_equal(dfs_fw_build_dfuse(el, 3, &ids, &out, &n), DFS_OK);
    assert_int_equal(n, 11 + 2 * 274 + 3 * 8 + 300 + 16 + 40 + 16);
    assert_memory_equal(out, "DfuSe\x01", 6);
    assert_int_equal(out[10], 2);
    assert_int_equal(out[11 + 6], 0);                          /* alt of target 0 */
    assert_string_equal((const char *)out + 11 + 11, "Internal Flash");
    assert_int_equal(out[n - 5], 16);                           /* bLength */
    assert_int_equal(crc_bitwise(out, n - 4),
                     (uint32_t)out[n - 4] | (uint32_t)out[n - 3] << 8 |
                         (uint32_t)out[n - 2] << 16 | (uint32_t)out[n - 1] << 24);
    struct buf b = {out, n, n};
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    assert_int_equal(dfs_fw_segment_count(f), 3);
    /* targets by alternate setting: alt 0's two elements, then alt 1's */
    assert_int_equal(dfs_fw_segment(f, 1)->address, 0x08001000);
    assert_memory_equal(dfs_fw_segment(f, 1)->data, c, sizeof c);
    assert_int_equal(dfs_fw_segment(f, 2)->address, 0x1FFF7800);
    assert_int_equal(dfs_fw_suffix(f)->bcdDevice, 0x2200);
    assert_int_equal(dfs_fw_suffix(f)->bcdDFU, 0x011a);
    dfs_fw_free(f);
    free(copy);
    free(out);
    /* refused */
    struct dfs_fw_element_in zero = {0, 0x08000000, a, 0, NULL};
    assert_int_equal(dfs_fw_build_dfuse(&zero, 1, &ids, &out, &n), DFS_E_INVAL);
    struct dfs_fw_element_in past = {0, 0xFFFFFF00, a, 0x101, NULL};
    assert_int_equal(dfs_fw_build_dfuse(&past, 1, &ids, &out, &n), DFS_E_INVAL);
    struct dfs_fw_element_in *many = calloc(256, sizeof *many);
    for (unsigned i = 0; i < 256; i++)
        many[i] = (struct dfs_fw_element_in){(uint8_t)i, i * 16, a, 1, NULL};
    assert_int_equal(dfs_fw_build_dfuse(many, 256, &ids, &out, &n), DFS_E_LIMIT);
    assert_int_equal(dfs_fw_build_dfuse(many, 255, &ids, &out, &n), DFS_OK);
    free(out);
    free(many);
    /* a DFU file */
    assert_int_equal(dfs_fw_build_dfu(a, sizeof a, &ids, 0x0100, &out, &n), DFS_OK);
    b = (struct buf){out, n, n};
    f = read_opts(&b, NULL, &copy);
    assert_true(dfs_fw_suffix(f)->crc_ok);
    assert_int_equal(dfs_fw_suffix(f)->idVendor, 0x0483);
    assert_int_equal(dfs_fw_data_bytes(f), sizeof a);
    dfs_fw_free(f);
    free(copy);
    free(out);
}

/* A session as a file: DfuSe elements per extent and alternate setting,
 * DFU with the gaps filled. */
static void session_build(void **state)
{
    (void)state;
    uint8_t d[64];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)i;
    dfs_fw_session *s = NULL;
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    uint8_t *out;
    size_t n;
    char why[200];
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFUSE, 0xff, 0, &out, &n, why, sizeof why),
                     DFS_E_NOTFOUND);
    struct dfs_mem_op op = wop(0x08000000, d, 32, 1, true);
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x08000020, d + 32, 32, 2, true); /* continues the first */
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x08000100, d, 16, 3, true);      /* a gap before it */
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x1FFF7800, d, 8, 4, true);
    op.alt = 1;
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFUSE, 0xff, 0, &out, &n, why, sizeof why),
                     DFS_OK);
    struct buf b = {out, n, n};
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    assert_int_equal(dfs_fw_target_count(f), 2);
    assert_int_equal(dfs_fw_segment_count(f), 3);
    assert_int_equal(dfs_fw_segment(f, 0)->length, 64);
    assert_memory_equal(dfs_fw_segment(f, 0)->data, d, 64);
    assert_int_equal(dfs_fw_segment(f, 1)->address, 0x08000100);
    assert_int_equal(dfs_fw_target(f, 1)->alt, 1);
    assert_int_equal(dfs_fw_suffix(f)->idVendor, 0xffff); /* device not learnt */
    dfs_fw_free(f);
    free(copy);
    free(out);
    /* as one image: only alt 0, gap filled */
    dfs_fw_session_free(s);
    struct dfs_fw_session_options so;
    dfs_fw_session_options_init(&so);
    so.alt = 0;
    assert_int_equal(dfs_fw_session_new(&so, &s), DFS_OK);
    op = wop(0x08000000, d, 32, 1, true);
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x08000100, d, 16, 3, true);
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x1FFF7800, d, 8, 4, true);
    op.alt = 1;
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFU, 0xEE, 0, &out, &n, why, sizeof why),
                     DFS_OK);
    assert_int_equal(n, 0x110 + 16);
    assert_int_equal(out[0x20], 0xEE);
    assert_memory_equal(out + 0x100, d, 16);
    free(out);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFU, 0xEE, 0x100, &out, &n, why, sizeof why),
                     DFS_E_LIMIT);
    dfs_fw_session_free(s);
    /* a DFU 1.1 session has no addresses for a DfuSe file */
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    op = wop(0, d, 32, 1, true);
    op.dfuse = false;
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFUSE, 0xff, 0, &out, &n, why, sizeof why),
                     DFS_E_INVAL);
    assert_non_null(strstr(why, "--format dfu"));
    dfs_fw_session_free(s);
}

size_t fw_device_tests(struct CMUnitTest *out)
{
    enum { ND = sizeof dcases / sizeof dcases[0] };
    if (out) {
        size_t n = 0;
        for (size_t i = 0; i < ND; i++)
            out[n++] = (struct CMUnitTest){dcases[i].name, run_dcase, NULL, NULL,
                                           (void *)&dcases[i]};
        out[n++] = (struct CMUnitTest)cmocka_unit_test(session_compare);
        out[n++] = (struct CMUnitTest)cmocka_unit_test(session_offsets);
        out[n++] = (struct CMUnitTest)cmocka_unit_test(build_roundtrip);
        out[n++] = (struct CMUnitTest)cmocka_unit_test(session_build);
    }
    return ND + 4;
}
