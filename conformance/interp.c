/* The script interpreter: each step of a script sent as its requests,
 * judged against its expectation, and grouped into checks (a `check` line
 * opens a group; otherwise every request is a check of its own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define DEFAULT_REENUM_MS 5000

/* ---- the script interpreter ---------------------------------------------------------------------- */

struct step_result {
    enum dfs_xfer_status st;   /* of the decisive request */
    bool has_gs;
    struct dfs_run__getstatus gs;
    bool has_state;
    uint8_t state;
    uint8_t *data;             /* reply data */
    uint32_t len;
    bool sent;                 /* at least one request went out */
};

static void describe_gs(char *buf, size_t size, const struct dfs_run__getstatus *gs)
{
    const char *sn = dfs_dfu_status_name(gs->bStatus), *tn = dfs_dfu_state_name(gs->bState);
    dfs_run__catf(buf, size, "status %s, state %s, poll %u ms", sn ? sn : "?", tn ? tn : "?",
                  (unsigned)gs->poll_ms);
    if (!sn)
        dfs_run__catf(buf, size, " (status 0x%02x undefined)", gs->bStatus);
    if (!tn)
        dfs_run__catf(buf, size, " (state %u undefined)", gs->bState);
}

/* A DfuSe command: DNLOAD block 0 then GETSTATUS until not busy. */
static void dfuse_command(struct dfs_run__sess *s, const uint8_t *cmd, uint16_t len, uint16_t block,
                          bool nowait, struct step_result *r)
{
    r->st = dfs_run__dfu_out(s, DFS_DFU_DNLOAD, block, cmd, len, nowait);
    r->sent = r->st != DFS_XFER_REFUSED;
    if (r->st != DFS_XFER_OK)
        return;
    r->st = dfs_run__poll_idle(s, DFS_RUN__MAX_POLLS, 0, &r->gs);
    r->has_gs = r->st == DFS_XFER_OK;
}

/* A DfuSe command with an address (set-address or erase). */
static void dfuse_address_command(struct dfs_run__sess *s, uint8_t command, uint32_t addr,
                                  bool nowait, struct step_result *r)
{
    uint8_t cmd[5] = {command, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                      (uint8_t)(addr >> 24)};
    dfuse_command(s, cmd, 5, 0, nowait, r);
}

/* DfuSe read and write: set the address pointer to st->addr. False when the
 * request failed (r says how) or the device refused the address (msg says
 * how). */
static bool set_address_for(struct dfs_run__sess *s, const struct dfs_run__step *st,
                            struct step_result *r, char *msg, size_t msg_size)
{
    dfuse_address_command(s, DFS_DFUSE_SET_ADDRESS, st->addr, st->nowait, r);
    if (r->st != DFS_XFER_OK)
        return false;
    if (r->gs.bState != DFS_STATE_DNLOAD_IDLE || r->gs.bStatus != DFS_STATUS_OK) {
        char g[120] = "";
        describe_gs(g, sizeof g, &r->gs);
        dfs_run__fmt(msg, msg_size, "set-address 0x%08x was refused: %s", (unsigned)st->addr, g);
        return false;
    }
    return true;
}

static uint32_t xfer_size(const struct dfs_run__sess *s)
{
    uint32_t x = s->facts.transfer_size;
    return x ? x : 1024;
}

static bool wants_dfuse(enum dfs_run__step_kind k)
{
    return k == DFS_RUN__SK_SET_ADDRESS || k == DFS_RUN__SK_ERASE || k == DFS_RUN__SK_MASS_ERASE ||
           k == DFS_RUN__SK_READ_UNPROTECT || k == DFS_RUN__SK_LEAVE || k == DFS_RUN__SK_READ ||
           k == DFS_RUN__SK_WRITE;
}

static void exec_step(struct dfs_run__sess *s, const dfs_script *sc, const struct dfs_run__step *st,
                      struct step_result *r, char *msg, size_t msg_size)
{
    struct dfs_setup su = st->setup;
    if (st->setup_iface)
        su.wIndex = s->iface;
    const uint8_t *data = st->data_len ? dfs_run__script_data(sc, st->data_off) : NULL;
    uint8_t cmd[1];
    switch (st->kind) {
    DFS_RUN__SK_REQUEST_CASES : {
        bool in = su.bmRequestType & DFS_REQTYPE_DIR_IN;
        if (in && su.wLength) {
            r->data = malloc(su.wLength);
            if (!r->data) {
                r->st = DFS_XFER_REFUSED;
                dfs_run__fmt(msg, msg_size, "out of memory");
                return;
            }
        }
        r->st =
            dfs_run__xfer(s, &su, in ? NULL : data, r->data, st->timeout_ms, st->nowait, &r->len);
        r->sent = r->st != DFS_XFER_REFUSED;
        if (r->st == DFS_XFER_OK && st->kind == DFS_RUN__SK_GETSTATUS)
            r->has_gs = dfs_run__getstatus_parse(r->data, r->len, &r->gs);
        if (r->st == DFS_XFER_OK && st->kind == DFS_RUN__SK_GETSTATE && r->len >= 1) {
            r->has_state = true;
            r->state = r->data[0];
        }
        if (r->st == DFS_XFER_OK && st->kind == DFS_RUN__SK_SET_INTERFACE &&
            su.wIndex == s->iface) {
            s->alt = (uint8_t)su.wValue;
            s->alt_known = true;
        }
        return;
    }
    case DFS_RUN__SK_POLL:
        r->st = DFS_XFER_OK;
        for (uint32_t i = 0; i < st->addr; i++) {
            if (!st->nowait)
                dfs_run__wait_poll(s, 0);
            r->st = dfs_run__getstatus(s, true, &r->gs, NULL);
            r->sent = true;
            if (r->st != DFS_XFER_OK)
                break;
            r->has_gs = true;
            if (!dfs_run__state_busy(r->gs.bState))
                break;
        }
        return;
    case DFS_RUN__SK_SET_ADDRESS:
    case DFS_RUN__SK_ERASE:
        dfuse_address_command(
            s, st->kind == DFS_RUN__SK_SET_ADDRESS ? DFS_DFUSE_SET_ADDRESS : DFS_DFUSE_ERASE,
            st->addr, st->nowait, r);
        return;
    case DFS_RUN__SK_MASS_ERASE:
        cmd[0] = DFS_DFUSE_ERASE;
        dfuse_command(s, cmd, 1, 0, st->nowait, r);
        return;
    case DFS_RUN__SK_READ_UNPROTECT:
        cmd[0] = DFS_DFUSE_READ_UNPROTECT;
        dfuse_command(s, cmd, 1, 0, st->nowait, r);
        return;
    case DFS_RUN__SK_LEAVE:
        /* zero-length DNLOAD (as dfu-util sends it, block 2), then GETSTATUS */
        dfuse_command(s, NULL, 0, 2, st->nowait, r);
        return;
    case DFS_RUN__SK_READ: {
        if (!set_address_for(s, st, r, msg, msg_size))
            return;
        r->has_gs = false;
        r->st = dfs_run__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, false);
        if (r->st != DFS_XFER_OK)
            return;
        r->data = malloc(st->length);
        if (!r->data) {
            r->st = DFS_XFER_REFUSED;
            dfs_run__fmt(msg, msg_size, "out of memory");
            return;
        }
        uint32_t chunk = xfer_size(s);
        uint32_t block = 2;
        while (r->len < st->length) {
            uint32_t want = st->length - r->len < chunk ? st->length - r->len : chunk;
            uint32_t got = 0;
            if (block > 0xffff)
                break;
            r->st = dfs_run__dfu_in(s, DFS_DFU_UPLOAD, (uint16_t)block, r->data + r->len,
                                    (uint16_t)want, false, &got);
            if (r->st != DFS_XFER_OK)
                return;
            r->len += got;
            block++;
            if (got < want)
                break; /* short: the device has no more */
        }
        /* back to dfuIDLE: ABORT is allowed in dfuUPLOAD-IDLE and dfuIDLE */
        if (dfs_run__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, false) != DFS_XFER_OK)
            dfs_run__fmt(msg, msg_size, "the ABORT after the read failed");
        return;
    }
    case DFS_RUN__SK_WRITE: {
        if (!set_address_for(s, st, r, msg, msg_size))
            return;
        uint32_t chunk = xfer_size(s);
        uint32_t done = 0, block = 2;
        while (done < st->data_len) {
            uint32_t n = st->data_len - done < chunk ? st->data_len - done : chunk;
            if (block > 0xffff) {
                dfs_run__fmt(msg, msg_size, "more than 65533 blocks: split the write");
                r->st = DFS_XFER_REFUSED;
                return;
            }
            dfuse_command(s, data + done, (uint16_t)n, (uint16_t)block, false, r);
            if (r->st != DFS_XFER_OK)
                return;
            if (r->gs.bState != DFS_STATE_DNLOAD_IDLE || r->gs.bStatus != DFS_STATUS_OK)
                return; /* judged against the expectation */
            done += n;
            block++;
        }
        return;
    }
    case DFS_RUN__SK_WAIT:
        dfs_run__sleep_ms(s, st->addr);
        r->st = DFS_XFER_OK;
        return;
    case DFS_RUN__SK_WAIT_POLL:
        dfs_run__wait_poll(s, 0);
        r->st = DFS_XFER_OK;
        return;
    case DFS_RUN__SK_CHECK: return;
    }
}

static const char *outcome_exp_str(enum dfs_run__outcome_exp o)
{
    switch (o) {
    case DFS_RUN__EX_STALL: return "stall";
    case DFS_RUN__EX_TIMEOUT: return "timeout";
    case DFS_RUN__EX_FAIL: return "fail";
    case DFS_RUN__EX_ANY: return "any";
    case DFS_RUN__EX_DEFAULT:
    case DFS_RUN__EX_OK: break;
    }
    return "ok";
}

static void expect_text(const dfs_script *sc, const struct dfs_run__expect *ex, char *buf,
                        size_t size)
{
    buf[0] = '\0';
    dfs_run__catf(buf, size, "%s", outcome_exp_str(ex->outcome));
    if (ex->has_status) {
        const char *n = dfs_dfu_status_name(ex->status);
        if (n)
            dfs_run__catf(buf, size, " status=%s", n);
        else
            dfs_run__catf(buf, size, " status=%u", ex->status);
    }
    if (ex->has_state) {
        const char *n = dfs_dfu_state_name(ex->state);
        if (n)
            dfs_run__catf(buf, size, " state=%s", n);
        else
            dfs_run__catf(buf, size, " state=%u", ex->state);
    }
    if (ex->has_length)
        dfs_run__catf(buf, size, " length%s%u", dfs_run__cmp_str(ex->length_op),
                      (unsigned)ex->length);
    if (ex->has_poll)
        dfs_run__catf(buf, size, " poll%s%u", dfs_run__cmp_str(ex->poll_op), (unsigned)ex->poll);
    if (ex->has_data) {
        char p[120];
        dfs_run__pattern_str(dfs_run__script_data(sc, ex->data_off),
                             dfs_run__script_data(sc, ex->mask_off), ex->data_len, ex->data_prefix,
                             p, sizeof p);
        dfs_run__catf(buf, size, " data=%s", p);
    }
    if (ex->reenum)
        dfs_run__catf(buf, size, " reenumerate %04x:%04x within %ums", ex->vid, ex->pid,
                      (unsigned)(ex->reenum_ms ? ex->reenum_ms : DEFAULT_REENUM_MS));
    else if (ex->disconnect)
        dfs_run__catf(buf, size, " disconnect%s", "");
}

/* Judge a step; returns its verdict, msg says why it failed. */
static enum dfs_verdict judge(struct dfs_run__sess *s, const dfs_script *sc,
                              const struct dfs_run__step *st, const struct step_result *r,
                              char *msg, size_t msg_size)
{
    const struct dfs_run__expect *ex = &st->ex;
    enum dfs_run__outcome_exp want = ex->given ? ex->outcome : DFS_RUN__EX_OK;
    if (st->kind == DFS_RUN__SK_LEAVE && !ex->given)
        want = DFS_RUN__EX_ANY; /* the device may be gone before it answers */
    if (r->st == DFS_XFER_REFUSED)
        return DFS_VERDICT_ERROR;
    bool ok;
    switch (want) {
    case DFS_RUN__EX_STALL: ok = r->st == DFS_XFER_STALL; break;
    case DFS_RUN__EX_TIMEOUT: ok = r->st == DFS_XFER_TIMEOUT; break;
    case DFS_RUN__EX_FAIL: ok = r->st != DFS_XFER_OK; break;
    case DFS_RUN__EX_ANY: ok = true; break;
    default: ok = r->st == DFS_XFER_OK; break;
    }
    if (!ok) {
        if (!msg[0])
            dfs_run__fmt(msg, msg_size, "expected %s, got %s", outcome_exp_str(want),
                         dfs_xfer_status_name(r->st));
        return DFS_VERDICT_FAIL;
    }
    if (msg[0])
        return DFS_VERDICT_FAIL; /* the step itself found a problem */
    bool reply = r->st == DFS_XFER_OK;
    if (reply && ex->has_status) {
        if (!r->has_gs) {
            dfs_run__fmt(msg, msg_size, "no GETSTATUS reply to check status= against");
            return DFS_VERDICT_FAIL;
        }
        if (r->gs.bStatus != ex->status) {
            const char *a = dfs_dfu_status_name(r->gs.bStatus), *b = dfs_dfu_status_name(ex->status);
            dfs_run__fmt(msg, msg_size, "status %s (0x%02x), expected %s (0x%02x)", a ? a : "?",
                         r->gs.bStatus, b ? b : "?", ex->status);
            return DFS_VERDICT_FAIL;
        }
    }
    if (reply && ex->has_state) {
        bool have = r->has_gs || r->has_state;
        uint8_t state = r->has_gs ? r->gs.bState : r->state;
        if (!have) {
            dfs_run__fmt(msg, msg_size, "no GETSTATUS or GETSTATE reply to check state= against");
            return DFS_VERDICT_FAIL;
        }
        if (state != ex->state) {
            const char *a = dfs_dfu_state_name(state), *b = dfs_dfu_state_name(ex->state);
            dfs_run__fmt(msg, msg_size, "state %s (%u), expected %s (%u)", a ? a : "?", state,
                         b ? b : "?", ex->state);
            return DFS_VERDICT_FAIL;
        }
    }
    if (reply && ex->has_poll) {
        if (!r->has_gs) {
            dfs_run__fmt(msg, msg_size, "no GETSTATUS reply to check poll= against");
            return DFS_VERDICT_FAIL;
        }
        if (!dfs_run__cmp_ok(ex->poll_op, r->gs.poll_ms, ex->poll)) {
            dfs_run__fmt(msg, msg_size, "bwPollTimeout %u ms, expected %s%u",
                         (unsigned)r->gs.poll_ms, dfs_run__cmp_str(ex->poll_op),
                         (unsigned)ex->poll);
            return DFS_VERDICT_FAIL;
        }
    }
    if (reply && ex->has_length && !dfs_run__cmp_ok(ex->length_op, r->len, ex->length)) {
        dfs_run__fmt(msg, msg_size, "reply of %u bytes, expected %s%u", (unsigned)r->len,
                     dfs_run__cmp_str(ex->length_op), (unsigned)ex->length);
        return DFS_VERDICT_FAIL;
    }
    if (reply && ex->has_data) {
        const uint8_t *pat = dfs_run__script_data(sc, ex->data_off);
        const uint8_t *mask = dfs_run__script_data(sc, ex->mask_off);
        if (!dfs_run__data_match(pat, mask, ex->data_len, ex->data_prefix, r->data, r->len)) {
            char got[100], p[100];
            dfs_run__hex_str(r->data, r->len, got, sizeof got);
            dfs_run__pattern_str(pat, mask, ex->data_len, ex->data_prefix, p, sizeof p);
            /* name the first differing byte */
            uint32_t k = 0;
            while (k < ex->data_len && k < r->len &&
                   (r->data[k] & mask[k]) == (pat[k] & mask[k]))
                k++;
            dfs_run__fmt(msg, msg_size,
                         "reply %s (%u bytes) does not match %s (first difference at "
                         "byte %u)",
                         got[0] ? got : "(empty)", (unsigned)r->len, p, (unsigned)k);
            return DFS_VERDICT_FAIL;
        }
    }
    if (ex->disconnect) {
        uint32_t ms = ex->disconnect_ms ? ex->disconnect_ms : s->o->disconnect_ms;
        if (!dfs_run__wait_gone(s, ms)) {
            dfs_run__fmt(msg, msg_size, "the device did not leave the bus within %u ms",
                         (unsigned)ms);
            return DFS_VERDICT_FAIL;
        }
        if (ex->reenum) {
            char m[600];
            uint32_t within = ex->reenum_ms ? ex->reenum_ms : DEFAULT_REENUM_MS;
            if (!dfs_run__reopen(s, ex->vid, ex->pid, within, m, sizeof m)) {
                dfs_run__fmt(msg, msg_size,
                             "left the bus, but %04x:%04x did not come back within "
                             "%u ms: %s",
                             ex->vid, ex->pid, (unsigned)within, m);
                return DFS_VERDICT_FAIL;
            }
            dfs_run__fmt(msg, msg_size, "left the bus and came %s", m);
            return DFS_VERDICT_PASS;
        }
        dfs_run__fmt(msg, msg_size, "the device left the bus, as expected");
    }
    return DFS_VERDICT_PASS;
}

static void reply_text(const struct step_result *r, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!r->sent && r->st == DFS_XFER_REFUSED) {
        dfs_run__catf(buf, size, "not sent");
        return;
    }
    dfs_run__catf(buf, size, "%s", dfs_xfer_status_name(r->st));
    if (r->has_gs) {
        dfs_run__catf(buf, size, ": ");
        describe_gs(buf, size, &r->gs);
    } else if (r->has_state) {
        const char *n = dfs_dfu_state_name(r->state);
        dfs_run__catf(buf, size, ": state %s", n ? n : "?");
    } else if (r->len && r->data) {
        char h[60];
        dfs_run__hex_str(r->data, r->len, h, sizeof h);
        dfs_run__catf(buf, size, ": %u bytes %s", (unsigned)r->len, h);
    }
}


static void close_group(struct dfs_run__sess *s, long group, enum dfs_verdict v, const char *msg)
{
    struct dfs_check_result *c = dfs_run__report_check_mut(s->rep, group);
    if (!c)
        return;
    c->verdict = v == DFS_VERDICT_NONE ? DFS_VERDICT_PASS : v;
    if (msg && msg[0])
        dfs_run__fmt(c->msg, sizeof c->msg, "%s", msg);
    if (s->o->on_check)
        s->o->on_check(s->o->user, s->rep, (size_t)group);
}

void dfs_run__script_steps(struct dfs_run__sess *s, const dfs_script *sc, const char *suite)
{
    long group = -1;
    enum dfs_verdict group_v = DFS_VERDICT_NONE;
    char group_msg[600] = "";
    size_t i = 0;
    char stop_reason[700] = "";
    for (; i < sc->n_steps; i++) {
        const struct dfs_run__step *st = &sc->steps[i];
        if (s->fatal)
            break;
        if (dfs_run__interrupted(s)) {
            dfs_run__fmt(stop_reason, sizeof stop_reason, "stopped by the user");
            break;
        }
        char origin[300];
        dfs_run__fmt(origin, sizeof origin, "%s:%u", dfs_run__step_file(sc, st), st->line);
        if (st->kind == DFS_RUN__SK_CHECK) {
            if (group >= 0)
                close_group(s, group, group_v, group_msg);
            const char *clause = st->clause_off ? dfs_run__script_str(sc, st->clause_off - 1) : "";
            const char *title = st->title_off ? dfs_run__script_str(sc, st->title_off - 1) : "";
            group =
                dfs_run__report_add_check(s->rep, suite, dfs_run__script_str(sc, st->check_id_off),
                                          clause, title[0] ? title : st->text);
            group_v = DFS_VERDICT_NONE;
            group_msg[0] = '\0';
            continue;
        }
        bool req = dfs_run__step_sends_request(st->kind);
        long chk = -1;
        if (req)
            chk =
                group >= 0 ? group : dfs_run__report_add_check(s->rep, suite, origin, "", st->text);
        s->check = chk;
        dfs_run__step_begin(s, origin, "%s", st->text);
        char exp[200] = "";
        if (req) {
            if (st->ex.given)
                expect_text(sc, &st->ex, exp, sizeof exp);
            else
                dfs_run__fmt(exp, sizeof exp, "%s", st->kind == DFS_RUN__SK_LEAVE ? "any" : "ok");
            dfs_run__step_expect(s, "%s", exp);
        }
        struct step_result r;
        memset(&r, 0, sizeof r);
        char msg[600] = "";
        if (wants_dfuse(st->kind) && s->facts.dfuse == 0) {
            dfs_run__fmt(msg, sizeof msg, "'%s' is a DfuSe command; this device is plain DFU 1.1",
                         st->text);
            r.st = DFS_XFER_REFUSED;
        } else if (req && st->setup_iface && !s->have_dfu) {
            dfs_run__fmt(msg, sizeof msg, "the device has no DFU interface");
            r.st = DFS_XFER_REFUSED;
        } else {
            exec_step(s, sc, st, &r, msg, sizeof msg);
        }
        enum dfs_verdict v = DFS_VERDICT_NONE;
        if (req) {
            v = judge(s, sc, st, &r, msg, sizeof msg);
            char rt[200];
            reply_text(&r, rt, sizeof rt);
            dfs_run__step_reply(s, "%s", rt);
        }
        /* the device left when nothing said it would */
        bool lost = false;
        if (req && !st->ex.disconnect && st->kind != DFS_RUN__SK_LEAVE && !s->fatal &&
            (r.st == DFS_XFER_NO_DEVICE ||
             (r.st != DFS_XFER_OK && r.st != DFS_XFER_REFUSED && !s->t->ops->present(s->t->ctx)))) {
            s->gone = true;
            lost = true;
            v = DFS_VERDICT_FAIL;
            dfs_run__fmt(msg, sizeof msg, "the device left the bus (%s); no step expected it",
                         dfs_xfer_status_name(r.st));
        }
        free(r.data);
        dfs_run__step_end(s, v, "%s", msg);
        if (req) {
            if (group >= 0) {
                group_v = dfs_run__verdict_worst(group_v, v);
                if ((v == DFS_VERDICT_FAIL || v == DFS_VERDICT_ERROR) && !group_msg[0])
                    dfs_run__fmt(group_msg, sizeof group_msg, "%s: %s", origin, msg);
            } else {
                close_group(s, chk, v, msg);
            }
        }
        s->check = -1;
        if (lost) {
            dfs_run__report_set_outcome(
                s->rep, DFS_RUN_DEVICE_LOST,
                "%s: the device %04x:%04x left the bus during '%s' (%s); the "
                "steps after it were not run",
                origin, s->id.vid, s->id.pid, st->text, dfs_xfer_status_name(r.st));
            s->fatal = true;
            dfs_run__fmt(stop_reason, sizeof stop_reason, "the device left the bus at %s", origin);
            i++;
            break;
        }
        if (s->fatal) {
            dfs_run__fmt(stop_reason, sizeof stop_reason, "%s", dfs_report_message(s->rep));
            i++;
            break;
        }
        if ((v == DFS_VERDICT_FAIL || v == DFS_VERDICT_ERROR) && !s->o->keep_going) {
            dfs_run__fmt(stop_reason, sizeof stop_reason,
                         "an earlier step failed (%s); use --keep-going to run on", origin);
            i++;
            break;
        }
    }
    if (group >= 0)
        close_group(s, group, group_v, group_msg);
    /* what was not run is still listed */
    long last_group = -1;
    for (; i < sc->n_steps; i++) {
        const struct dfs_run__step *st = &sc->steps[i];
        char origin[300];
        dfs_run__fmt(origin, sizeof origin, "%s:%u", dfs_run__step_file(sc, st), st->line);
        long c = -1;
        if (st->kind == DFS_RUN__SK_CHECK) {
            const char *clause = st->clause_off ? dfs_run__script_str(sc, st->clause_off - 1) : "";
            const char *title = st->title_off ? dfs_run__script_str(sc, st->title_off - 1) : "";
            last_group =
                dfs_run__report_add_check(s->rep, suite, dfs_run__script_str(sc, st->check_id_off),
                                          clause, title[0] ? title : st->text);
            c = last_group;
        } else if (dfs_run__step_sends_request(st->kind) && last_group < 0) {
            c = dfs_run__report_add_check(s->rep, suite, origin, "", st->text);
        }
        struct dfs_check_result *cr = dfs_run__report_check_mut(s->rep, c);
        if (cr) {
            cr->verdict = DFS_VERDICT_SKIP;
            dfs_run__fmt(cr->msg, sizeof cr->msg, "not run: %s", stop_reason);
        }
    }
}
