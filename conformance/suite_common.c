/* What the suites share: the walk through a suite's table of checks, checks
 * recorded without steps, the steps of checks (requests with their replies
 * in short), the DfuSe steps the dfu11 and dfuse suites both take, and the
 * FLIP reads the dfu11 suite makes on an Atmel FLIP bootloader. */
#include <stdio.h>
#include <string.h>

#include "suite.h"

/* ---- the walk ----------------------------------------------------------------------------- */

/* The table index of the check that runs at position i. */
static size_t at(const struct dfs_run__suite *d, size_t i) { return d->order ? d->order[i] : i; }

static enum dfs_run__next run_check(struct dfs_run__suite_ctx *c, size_t i)
{
    size_t k = at(c->def, i);
    return c->def->checks[k].run(c, &c->def->info[k]);
}

/* The per_alt checks from position i: run them for each alternate setting
 * in turn. *end gets the position after them. False when one stopped the
 * suite. */
static bool walk_per_alt(struct dfs_run__suite_ctx *c, size_t i, size_t *end)
{
    const struct dfs_run__suite *d = c->def;
    size_t j = i;
    while (j < d->n && d->checks[at(d, j)].per_alt)
        j++;
    *end = j;
    for (unsigned a = 0; a < c->s->n_alts; a++) {
        c->alt = &c->s->alts[a];
        for (size_t k = i; k < j; k++) {
            enum dfs_run__next next = run_check(c, k);
            if (next == DFS_RUN__STOP)
                return false;
            if (next == DFS_RUN__NEXT_ALT)
                break;
        }
    }
    c->alt = NULL;
    return true;
}

bool dfs_run__suite_walk(struct dfs_run__suite_ctx *c)
{
    const struct dfs_run__suite *d = c->def;
    for (size_t i = 0; i < d->n;) {
        if (d->checks[at(d, i)].per_alt) {
            if (!walk_per_alt(c, i, &i))
                return false;
            continue;
        }
        if (run_check(c, i) == DFS_RUN__STOP)
            return false;
        i++;
    }
    return true;
}

/* ---- checks without steps ------------------------------------------------------------------ */

void dfs_run__record_check(struct dfs_run__sess *s, const char *suite,
                           const struct dfs_check_info *ci, const char *instance,
                           enum dfs_verdict v, bool notify, const char *fmt, ...)
{
    s->check = dfs_run__report_add_check(s->rep, suite, ci->id, ci->clause, ci->title);
    struct dfs_check_result *r = dfs_run__report_check_mut(s->rep, s->check);
    if (r) {
        if (instance)
            dfs_run__fmt(r->id, sizeof r->id, "%s[%s]", ci->id, instance);
        r->verdict = v;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msg, sizeof r->msg, fmt, ap);
        va_end(ap);
    }
    if (notify && s->o->on_check)
        s->o->on_check(s->o->user, s->rep, (size_t)s->check);
    s->check = -1;
}

void dfs_run__rest_not_run(struct dfs_run__suite_ctx *c, size_t from, size_t n,
                           enum dfs_verdict v, const char *why)
{
    for (size_t i = from; i < n; i++)
        dfs_run__record_check(c->s, c->suite, &c->def->info[i], NULL, v, true, "%s", why);
}

/* ---- steps -------------------------------------------------------------------------------- */

void dfs_run__suite_step(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                         const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dfs_run__step_begin(c->s, ci ? ci->id : c->suite, "%s", text);
}

void dfs_run__suite_step_done(struct dfs_run__suite_ctx *c, enum dfs_xfer_status st,
                              uint32_t got)
{
    if (st == DFS_XFER_OK && got)
        dfs_run__step_reply(c->s, "ok, %u byte%s", (unsigned)got, got == 1 ? "" : "s");
    else
        dfs_run__step_reply(c->s, "%s", dfs_xfer_status_name(st));
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
}

const char *dfs_run__state_text(uint8_t state)
{
    const char *n = dfs_dfu_state_name(state);
    return n ? n : "?";
}

void dfs_run__gs_text(char *buf, size_t size, const struct dfs_run__getstatus *gs)
{
    const char *a = dfs_dfu_status_name(gs->bStatus), *b = dfs_dfu_state_name(gs->bState);
    dfs_run__fmt(buf, size, "status %s, state %s, poll %u ms", a ? a : "?", b ? b : "?",
                 (unsigned)gs->poll_ms);
}

enum dfs_xfer_status dfs_run__gs_step(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci, bool nowait,
                                      struct dfs_run__getstatus *gs)
{
    dfs_run__suite_step(c, ci, "getstatus%s", nowait ? " nowait" : "");
    bool short_reply = false;
    enum dfs_xfer_status st = dfs_run__getstatus(c->s, nowait, gs, &short_reply);
    if (st == DFS_XFER_OK) {
        char t[120];
        dfs_run__gs_text(t, sizeof t, gs);
        dfs_run__step_reply(c->s, "ok: %s", t);
    } else {
        dfs_run__step_reply(c->s, "%s%s", dfs_xfer_status_name(st),
                            short_reply ? " (reply shorter than 6 bytes)" : "");
    }
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
    return st;
}

enum dfs_xfer_status dfs_run__out_step(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci, uint8_t req,
                                       uint16_t wValue, const uint8_t *data, uint16_t len,
                                       const char *text)
{
    dfs_run__suite_step(c, ci, "%s", text);
    enum dfs_xfer_status st = dfs_run__dfu_out(c->s, req, wValue, data, len, false);
    dfs_run__suite_step_done(c, st, 0);
    return st;
}

enum dfs_xfer_status dfs_run__in_step(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci, uint8_t req,
                                      uint16_t wValue, uint8_t *buf, uint16_t len, uint32_t *got,
                                      const char *text)
{
    dfs_run__suite_step(c, ci, "%s", text);
    enum dfs_xfer_status st = dfs_run__dfu_in(c->s, req, wValue, buf, len, false, got);
    dfs_run__suite_step_done(c, st, *got);
    return st;
}

bool dfs_run__to_idle(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    dfs_run__suite_step(c, ci, "bring the device to dfuIDLE");
    bool ok = dfs_run__ensure_idle(c->s, c->s->o->busy_floor_ms);
    dfs_run__step_reply(c->s, ok ? "dfuIDLE" : "could not");
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
    return ok;
}

bool dfs_run__device_lost(struct dfs_run__suite_ctx *c)
{
    if (!c->s->gone)
        return dfs_run__interrupted(c->s);
    if (!c->s->fatal) {
        dfs_run__report_set_outcome(c->s->rep, DFS_RUN_DEVICE_LOST,
                                    "the device %04x:%04x left the bus during the %s suite; the "
                                    "checks after it were not run",
                                    c->s->id.vid, c->s->id.pid, c->suite);
        c->s->fatal = true;
    }
    return true;
}

/* ---- DfuSe steps ------------------------------------------------------------------------------ */

bool dfs_run__first_readable(const struct dfs_run__sess *s, uint8_t alt, uint32_t *addr,
                             uint32_t *len)
{
    const struct dfs_run__alt *a = dfs_run__alt_info(s, alt);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < s->n_alts; i++) {
            const struct dfs_run__alt *b = pass == 0 ? a : &s->alts[i];
            if (!b || !b->layout_ok)
                continue;
            for (unsigned r = 0; r < b->layout.n_regions; r++)
                if (b->layout.regions[r].flags & DFS_MEM_READABLE) {
                    *addr = b->layout.regions[r].start;
                    uint64_t l = b->layout.regions[r].end - b->layout.regions[r].start;
                    *len = l > 0xffffffffu ? 0xffffffffu : (uint32_t)l;
                    return true;
                }
            if (pass == 0)
                break;
        }
    }
    return false;
}

enum dfs_xfer_status dfs_run__dfuse_command(struct dfs_run__suite_ctx *c,
                                            const struct dfs_check_info *ci, uint8_t command,
                                            uint32_t addr, const char *note)
{
    uint8_t cmd[5] = {command, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                      (uint8_t)(addr >> 24)};
    char t[80];
    dfs_run__fmt(t, sizeof t, "%s 0x%08x%s", command == DFS_DFUSE_ERASE ? "erase" : "set-address",
                 (unsigned)addr, note);
    return dfs_run__out_step(c, ci, DFS_DFU_DNLOAD, 0, cmd, 5, t);
}

enum dfs_xfer_status dfs_run__set_address(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci, uint32_t addr,
                                          uint32_t floor_ms, struct dfs_run__getstatus *gs)
{
    enum dfs_xfer_status st = dfs_run__dfuse_command(c, ci, DFS_DFUSE_SET_ADDRESS, addr, "");
    if (st != DFS_XFER_OK)
        return st;
    dfs_run__suite_step(c, ci, "poll");
    st = dfs_run__poll_idle(c->s, DFS_RUN__MAX_POLLS, floor_ms, gs);
    if (st == DFS_XFER_OK) {
        char g[120];
        dfs_run__gs_text(g, sizeof g, gs);
        dfs_run__step_reply(c->s, "ok: %s", g);
    } else {
        dfs_run__step_reply(c->s, "%s", dfs_xfer_status_name(st));
    }
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
    return st;
}

/* ---- Atmel FLIP reads (dfu-quirks R25) ---- */

/* The display-data command block for flash 0..len-1 (doc7618; dfu-programmer's
 * atmel.c sends 03 00 start end before every read): a read, which the safety
 * rule lets through without a flag. */
bool dfs_run__flip_display(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                           uint16_t len, struct dfs_run__getstatus *gs)
{
    uint16_t end = (uint16_t)(len - 1);
    const uint8_t block[6] = {0x03, 0x00, 0x00, 0x00, (uint8_t)(end >> 8), (uint8_t)end};
    char t[80];
    dfs_run__fmt(t, sizeof t, "dnload 0 hex:03000000%04x (FLIP display data, flash 0x0000-0x%04x)",
                 (unsigned)end, (unsigned)end);
    if (dfs_run__out_step(c, ci, DFS_DFU_DNLOAD, 0, block, sizeof block, t) != DFS_XFER_OK)
        return false;
    return dfs_run__gs_step(c, ci, false, gs) == DFS_XFER_OK &&
           gs->bState == DFS_STATE_UPLOAD_IDLE;
}

void dfs_run__flip_upload_short(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfs_run__getstatus gs;
    enum { RANGE = 64, ASKED = 2 * RANGE };
    if (!dfs_run__flip_display(c, ci, RANGE, &gs)) {
        char g[120] = "no reply";
        if (!s->gone)
            dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "the FLIP display command did not reach dfuUPLOAD-IDLE (%s)", g);
        return;
    }
    uint8_t buf[ASKED];
    uint32_t got = 0;
    enum dfs_xfer_status st =
        dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, 0, buf, ASKED, &got, "upload 0 128");
    enum dfs_xfer_status st2 = st == DFS_XFER_OK ? dfs_run__gs_step(c, ci, false, &gs) : st;
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD after a FLIP display of %u bytes: %s",
                           (unsigned)RANGE, dfs_xfer_status_name(st));
    else if (got != RANGE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "UPLOAD of %u bytes after a FLIP display of %u returned %u: %s",
                           (unsigned)ASKED, (unsigned)RANGE, (unsigned)got,
                           got > RANGE ? "past the range asked for, no short packet ends it"
                                       : "less than the range asked for");
    else if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "after the UPLOAD: %s, state %s",
                           dfs_xfer_status_name(st2),
                           st2 == DFS_XFER_OK ? dfs_run__state_text(gs.bState) : "?");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS,
                           "a FLIP display of %u bytes, then UPLOAD: %u bytes, then dfuIDLE",
                           (unsigned)RANGE, (unsigned)got);
}
