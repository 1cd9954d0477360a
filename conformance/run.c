/* The run entry points: a script or suites against the device a
 * transport reaches, from the options to the finished report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_DISCONNECT_MS 3000
#define URB_ID_BASE 0xffff8881c2a4e000ull

void dfs_run_options_init(struct dfs_run_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->alt = -1;
    o->interface = -1;
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->disconnect_ms = DEFAULT_DISCONNECT_MS;
    o->upload_limit = 1u << 20;
    o->busy_floor_ms = 50;
}

/* ---- the run ------------------------------------------------------------------------------------- */

static bool valid_options(const struct dfs_run_options *o, const struct dfs_transport *t)
{
    return o && o->size >= sizeof *o && o->clock && o->clock->now_us && o->clock->sleep_us && t &&
           t->ops && t->ops->open && t->ops->cached_descriptors && t->ops->claim &&
           t->ops->control && t->ops->present && t->ops->reopen && t->ops->close;
}

static void sess_init(struct dfs_run__sess *s, const struct dfs_run_options *o,
                      const struct dfs_transport *t, dfs_report *rep)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->t = t;
    s->clk = o->clock;
    s->rep = rep;
    s->t0 = o->clock->now_us(o->clock->ctx);
    if (o->clock->wall)
        s->wall0 = o->clock->wall(o->clock->ctx);
    s->urb_id = URB_ID_BASE;
    s->step = SIZE_MAX;
    s->check = -1;
    dfs_device_facts_init(&s->facts);
}

/* After the steps: ABORT when the user stopped the run and the state allows
 * it (DFU 1.1 A.2: dfuIDLE, dfuDNLOAD-IDLE, dfuUPLOAD-IDLE), then close. */
static void finish(struct dfs_run__sess *s, const char *where)
{
    if (s->stopping) {
        if (s->open && !s->gone && s->have_dfu && s->state_known &&
            (s->state == DFS_STATE_DFU_IDLE || s->state == DFS_STATE_DNLOAD_IDLE ||
             s->state == DFS_STATE_UPLOAD_IDLE)) {
            s->check = -1;
            dfs_run__step_begin(s, "interrupt", "abort");
            enum dfs_xfer_status st = dfs_run__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, true);
            dfs_run__step_reply(s, "%s", dfs_xfer_status_name(st));
            dfs_run__step_end(s, DFS_VERDICT_NONE, "sent because the run was interrupted");
        } else if (s->open && !s->gone && s->have_dfu) {
            const char *n = s->state_known ? dfs_dfu_state_name(s->state) : NULL;
            dfs_run__note(s,
                          "not sending ABORT: the device is in %s, where DFU 1.1 does not allow it",
                          n ? n : "an unknown state");
        }
        dfs_run__report_set_outcome(s->rep, DFS_RUN_INTERRUPTED, "stopped by the user%s%s%s",
                                    where ? " during the " : "", where ? where : "",
                                    where ? " suite" : "");
    }
    if (s->open)
        s->t->ops->close(s->t->ctx);
    s->open = false;
    dfs_run__report_set_duration(s->rep, dfs_run__now(s));
}


dfs_result dfs_run_script(const dfs_script *sc, const struct dfs_run_options *o,
                          const struct dfs_transport *t, dfs_report **out)
{
    if (!sc || !out || !valid_options(o, t))
        return DFS_E_INVAL;
    const char *name = sc->n_files ? sc->files[0] : "script";
    dfs_report *rep = dfs_run__report_new("script", name, o->allow);
    if (!rep)
        return DFS_E_NOMEM;
    struct dfs_run__sess *s = malloc(sizeof *s);
    if (!s) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    sess_init(s, o, t, rep);
    char why[1200];
    /* 1. before the device is opened: what the script needs in any case */
    unsigned miss = dfs_script_needs(sc, NULL, o->allow, why, sizeof why);
    if (miss) {
        dfs_run__report_set_outcome(
            rep, DFS_RUN_NOT_MADE,
            "refused before sending anything: %s. Add the flag%s if this is "
            "what you mean to do.",
            why, (miss & (miss - 1)) ? "s" : "");
        goto done;
    }
    if (!dfs_run__open_device(s))
        goto done;
    /* 2. with the descriptors the host holds: DfuSe or not, wTransferSize */
    miss = dfs_script_needs(sc, &s->facts, o->allow, why, sizeof why);
    if (miss) {
        dfs_run__report_set_outcome(
            rep, DFS_RUN_NOT_MADE,
            "refused before sending anything: %s. Add the flag%s if this is "
            "what you mean to do.",
            why, (miss & (miss - 1)) ? "s" : "");
        goto done;
    }
    dfs_run__identify(s);
    if (s->gone) {
        dfs_run__report_set_outcome(rep, DFS_RUN_DEVICE_LOST,
                                    "the device left the bus while its descriptors were read");
        goto done;
    }
    /* 3. with the layout strings: option-byte and OTP regions they name */
    miss = dfs_script_needs(sc, &s->facts, o->allow, why, sizeof why);
    if (miss) {
        dfs_run__report_set_outcome(
            rep, DFS_RUN_NOT_MADE,
            "refused before any request of the script was sent (only "
            "descriptors were read): %s. Add the flag%s if this is what you "
            "mean to do.",
            why, (miss & (miss - 1)) ? "s" : "");
        goto done;
    }
    if (!dfs_run__claim(s) || !dfs_run__select_alt(s))
        goto done;
    dfs_run__script_steps(s, sc, name);
done:
    if (dfs_report_outcome(rep) != DFS_RUN_COMPLETE && dfs_report_check_count(rep) == 0) {
        /* every step is still listed, as not run */
        for (size_t i = 0; i < sc->n_steps; i++) {
            const struct dfs_run__step *st = &sc->steps[i];
            if (!dfs_run__step_sends_request(st->kind) && st->kind != DFS_RUN__SK_CHECK)
                continue;
            char origin[300];
            dfs_run__fmt(origin, sizeof origin, "%s:%u", dfs_run__step_file(sc, st), st->line);
            long c = dfs_run__report_add_check(
                rep, name,
                st->kind == DFS_RUN__SK_CHECK ? dfs_run__script_str(sc, st->check_id_off) : origin,
                "", st->text);
            struct dfs_check_result *cr = dfs_run__report_check_mut(rep, c);
            if (cr) {
                cr->verdict = DFS_VERDICT_ERROR;
                dfs_run__fmt(cr->msg, sizeof cr->msg, "not run: %s", dfs_report_message(rep));
            }
        }
    }
    finish(s, NULL);
    free(s);
    if (dfs_run__report_nomem(rep)) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    *out = rep;
    return DFS_OK;
}

dfs_result dfs_run_suites(unsigned suites, const struct dfs_run_options *o,
                          const struct dfs_transport *t, dfs_report **out)
{
    if (!out || !valid_options(o, t) || !suites || suites >= (1u << DFS_SUITE__COUNT))
        return DFS_E_INVAL;
    char name[80] = "";
    for (int k = 0; k < DFS_SUITE__COUNT; k++)
        if (suites & (1u << k))
            dfs_run__catf(name, sizeof name, "%s%s", name[0] ? "," : "",
                          dfs_suite_name((enum dfs_suite)k));
    dfs_report *rep = dfs_run__report_new("suites", name, o->allow);
    if (!rep)
        return DFS_E_NOMEM;
    struct dfs_run__sess *s = malloc(sizeof *s);
    if (!s) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    sess_init(s, o, t, rep);
    const char *where = NULL;
    if (dfs_run__open_device(s)) {
        dfs_run__identify(s);
        if (s->gone)
            dfs_run__report_set_outcome(rep, DFS_RUN_DEVICE_LOST,
                                        "the device left the bus while its descriptors were read");
        else if (dfs_run__claim(s) && dfs_run__select_alt(s)) {
            for (int k = 0; k < DFS_SUITE__COUNT; k++) {
                if (!(suites & (1u << k)))
                    continue;
                if (s->fatal || s->stopping) {
                    dfs_run__suite_list_not_run(s, (enum dfs_suite)k,
                                                s->stopping ? "the run was interrupted"
                                                            : dfs_report_message(rep));
                    continue;
                }
                if (!s->stopping)
                    where = dfs_suite_name((enum dfs_suite)k);
                dfs_run__suite_run(s, (enum dfs_suite)k);
            }
        }
    }
    if (dfs_report_outcome(rep) != DFS_RUN_COMPLETE && dfs_report_check_count(rep) == 0)
        for (int k = 0; k < DFS_SUITE__COUNT; k++)
            if (suites & (1u << k))
                dfs_run__suite_list_not_run(s, (enum dfs_suite)k, dfs_report_message(rep));
    finish(s, s->stopping ? where : NULL);
    free(s);
    if (dfs_run__report_nomem(rep)) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    *out = rep;
    return DFS_OK;
}
