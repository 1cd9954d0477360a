/* The rig of the DFU layer's tests (dfu_rig.h): what a scenario expects and
 * how it is checked, the enumeration's frames, the clean sessions and the
 * seed's write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dfu_rig.h"

uint8_t block[4096];

void fill_block(uint32_t seed)
{
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (uint8_t)(seed * 31 + i * 7);
}

struct enum_frames enumerate(struct sess *s, const struct sess_dev_desc *dd)
{
    struct enum_frames en;
    memset(&en, 0, sizeof en);
    unsigned nalt = 0;
    while (nalt < 8 && dd->alt_names[nalt])
        nalt++;
    uint64_t f0 = s->frame;
    sess_enumerate(s, dd);
    /* sess_enumerate's transfers, in order: device descriptor (64 bytes, at
     * address 0), SET_ADDRESS, device descriptor, configuration (9 bytes),
     * configuration (all of it), language ids, product string, the serial
     * number string when there is one, SET_CONFIGURATION, then one string
     * per alternate setting. Transfer i (from 1) completes at f0 + 2i. */
    unsigned before_alts = 8 + (dd->serial ? 1u : 0u);
    assert_true(s->frame == f0 + 2 * (before_alts + nalt));
    en.first = f0 + 1;
    en.config = f0 + 2 * 5;
    for (unsigned a = 0; a < nalt; a++)
        en.alt_name[a] = f0 + 2 * (before_alts + a + 1);
    return en;
}

struct enum_frames begin(struct sess *s, const struct sess_dev_desc *dd, uint8_t alt)
{
    sess_init(s, 1, 6);
    struct enum_frames en = enumerate(s, dd);
    sess_set_alt(s, alt);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    return en;
}

/* ---- what a scenario expects ------------------------------------------------------ */

void want_add(struct expect *e, const char *id, uint64_t frame, const uint64_t *frames,
                     size_t n)
{
    assert_true(e->n < 8 && n <= DFS_FINDING_MAX_FRAMES);
    struct want *w = &e->w[e->n++];
    w->id = id;
    w->frame = frame;
    for (size_t i = 0; i < n; i++)
        w->frames[i] = frames[i];
    w->n_frames = (unsigned)n;
}

static bool want_is(const struct want *w, const struct dfs_finding *f)
{
    if (strcmp(w->id, f->id) != 0 || w->frame != f->frame || w->n_frames != f->n_frames)
        return false;
    for (unsigned i = 0; i < w->n_frames; i++)
        if (w->frames[i] != f->frames[i])
            return false;
    return true;
}

static void print_finding(const char *what, const struct dfs_finding *f)
{
    print_message("  %s %s (%s) at frame %llu, frames", what, f->id,
                  dfs_severity_name(f->severity), (unsigned long long)f->frame);
    for (unsigned i = 0; i < f->n_frames; i++)
        print_message(" %llu", (unsigned long long)f->frames[i]);
    print_message(": %s\n", f->explanation);
}

/* Every finding expected fires once, with exactly its frames; nothing else
 * fires at warning or error severity, and no other finding of an expected id
 * (notes of other ids may come along). */
void check_findings(const struct sess *s, const struct expect *e)
{
    bool used[8] = {false};
    bool ok = true;
    for (int i = 0; i < s->n_findings; i++) {
        const struct dfs_finding *f = &s->findings[i];
        bool expected_id = false, matched = false;
        for (int k = 0; k < e->n; k++) {
            expected_id |= strcmp(e->w[k].id, f->id) == 0;
            if (!matched && !used[k] && want_is(&e->w[k], f))
                used[k] = matched = true;
        }
        if (!matched && (expected_id || f->severity >= DFS_SEV_WARNING)) {
            print_finding("unexpected", f);
            ok = false;
        }
    }
    for (int k = 0; k < e->n; k++) {
        if (used[k])
            continue;
        const struct want *w = &e->w[k];
        print_message("  missing %s at frame %llu, frames", w->id, (unsigned long long)w->frame);
        for (unsigned i = 0; i < w->n_frames; i++)
            print_message(" %llu", (unsigned long long)w->frames[i]);
        print_message("\n");
        ok = false;
    }
    if (!ok)
        fail_msg("the findings are not the ones the scenario proves");
}

void assert_no_warnings(const struct sess *s)
{
    for (int i = 0; i < s->n_findings; i++) {
        if (s->findings[i].severity >= DFS_SEV_WARNING)
            fail_msg("unexpected %s: %s", s->findings[i].id, s->findings[i].explanation);
    }
}

/* ---- clean sessions ------------------------------------------------------------- */

void clean_dfuse(struct sess *s)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_execute(s, 25);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000800, true);
    sess_execute(s, 25);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    fill_block(1);
    sess_dnload(s, 2, block, 2048, 0);
    sess_execute(s, 40);
    fill_block(2);
    sess_dnload(s, 3, block, 1000, 0);
    sess_execute(s, 40);
    sess_simple(s, DFS_DFU_ABORT, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    /* read it back */
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    sess_simple(s, DFS_DFU_ABORT, 0);
    fill_block(1);
    sess_upload(s, 2, 2048, block, 2048);
    fill_block(2);
    sess_upload(s, 3, 2048, block, 1000); /* short: end of upload */
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
}

void clean_dfu11(struct sess *s)
{
    begin(s, &GOOD_DFU11, 0);
    uint32_t sizes[4] = {256, 256, 256, 100};
    for (uint16_t b = 0; b < 4; b++) {
        fill_block(b);
        sess_dnload(s, b, block, sizes[b], 0);
        sess_getstatus(s, 0, 10, DFS_STATE_DNBUSY);
        sess_advance_us(s, 10000);
        sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    }
    sess_dnload(s, 4, NULL, 0, 0);
    sess_getstatus(s, 0, 20, DFS_STATE_MANIFEST);
    sess_advance_us(s, 20000);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    for (uint16_t b = 0; b < 4; b++) {
        fill_block(b);
        sess_upload(s, b, 256, block, sizes[b]);
    }
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
}

/* ---- the seed: STM32CubeProgrammer writing SEC_SIZE at 0x1FFF7870 ------------- */

/* The seed up to the failure; nothing is recorded after it. */
void seed_write(struct sess *s, struct seed_frames *sf)
{
    sf->en = begin(s, &SEED_DEVICE, 0);
    static const uint8_t ob[68] = {0xaa, 0xfe, 0xff, 0xfe};
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x1FFF7800, true);
    sess_execute(s, 5);
    sess_simple(s, DFS_DFU_ABORT, 0);
    sf->upload = sess_upload(s, 2, 68, ob, 68);
    sess_simple(s, DFS_DFU_ABORT, 0);
    sf->set_address = sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x1FFF7870, true);
    sess_execute(s, 5);
    static const uint8_t sec[4] = {0x10, 0x00, 0x00, 0x00};
    sf->dnload = sess_dnload(s, 2, sec, 4, 0);
    sf->fail = sess_getstatus_fail(s, -32);
}

/* What the seed's device and accesses raise whatever happens after the
 * failure: the three alternate settings advertise the same layout (their
 * strings), and both accesses to the option bytes lie outside the layout
 * of alternate setting 0, the one in use (its string, and the access); the
 * write is at an offset inside the option bytes (its SET_ADDRESS, and the
 * DNLOAD). */
void want_seed_common(struct expect *e, const struct seed_frames *sf)
{
    const struct enum_frames *en = &sf->en;
    WANT(e, "desc.duplicate-alt-layouts", en->alt_name[2], en->alt_name[0], en->alt_name[1],
         en->alt_name[2]);
    WANT(e, "dfuse.address-outside-layout", sf->upload, en->alt_name[0], sf->upload);
    WANT(e, "dfuse.address-outside-layout", sf->dnload, en->alt_name[0], sf->dnload);
    WANT(e, "dfuse.option-bytes-offset-write", sf->dnload, sf->set_address, sf->dnload);
}

/* The device reset during the write: the DNLOAD and its acknowledgement,
 * the GETSTATUS and its failure. */
void want_seed_reset(struct expect *e, const struct seed_frames *sf)
{
    WANT(e, "dfuse.option-bytes-reset", DONE(sf->fail), sf->dnload, DONE(sf->dnload), sf->fail,
         DONE(sf->fail));
}

/* ---- the capture's end time -------------------------------------------------------- */

struct dfs_time later(struct dfs_time t, int64_t us)
{
    int64_t ns = (int64_t)t.nsec + us * 1000;
    int64_t s = ns / 1000000000, r = ns % 1000000000;
    if (r < 0) { /* earlier: borrow a second */
        r += 1000000000;
        s--;
    }
    t.sec += s;
    t.nsec = (uint32_t)r;
    return t;
}
