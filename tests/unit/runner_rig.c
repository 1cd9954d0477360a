/* The rig of the runner's tests (runner_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runner_rig.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

void rec_record(void *user, struct dfs_time ts, const uint8_t *rec, size_t len)
{
    struct recorder *r = user;
    /* records with their time stamp and length in front */
    size_t hdr = sizeof ts + 4;
    if (r->len + len + hdr > r->cap) {
        r->cap = (r->len + len + hdr) * 2;
        r->buf = realloc(r->buf, r->cap);
    }
    uint32_t n = (uint32_t)len;
    memcpy(r->buf + r->len, &ts, sizeof ts);
    memcpy(r->buf + r->len + sizeof ts, &n, 4);
    memcpy(r->buf + r->len + hdr, rec, len);
    r->len += len + hdr;
    r->records++;
}

void rec_step(void *user, const dfs_report *rep, size_t i)
{
    struct recorder *r = user;
    const struct dfs_step_info *s = dfs_report_step(rep, i);
    if (r->stop && r->stop_after_text && strcmp(s->text, r->stop_after_text) == 0)
        *r->stop = 1;
}

size_t n_opts(const struct device *d)
{
    size_t n = 0;
    while (n < 4 && d->opts[n])
        n++;
    return n;
}

unsigned dfu_requests(const struct run *r, uint8_t bRequest) { return r->watch.seen.dfu[bRequest]; }
bool present(const struct run *r) { return dfs_emu_transport_address(&r->emu) != 0; }

void run_setup(struct run *r, const struct device *dv, unsigned allow)
{
    memset(r, 0, sizeof *r);
    char err[600];
    if (dfs_emu_device_new(dfs_emu_model_find(dv->model), dv->opts, n_opts(dv), &r->dev, err,
                           sizeof err) != DFS_OK)
        fail_msg("%s", err);
    if (dfs_emu_transport_new(&r->dev, &r->emu, &r->clock, err, sizeof err) != DFS_OK)
        fail_msg("%s", err);
    watched_init(&r->watch, &r->emu, dv->vanish_after, &r->tp);
    dfs_run_options_init(&r->o);
    r->o.allow = allow;
    r->o.clock = &r->clock;
    r->o.on_record = rec_record;
    r->o.on_step = rec_step;
    r->o.user = &r->rec;
    r->o.stop = &r->stop;
    r->rec.stop = &r->stop;
}

void run_free(struct run *r)
{
    dfs_report_free(r->rep);
    dfs_emu_transport_free(&r->emu);
    dfs_emu_device_free(&r->dev);
    free(r->rec.buf);
}

void run_suites(struct run *r, unsigned suites)
{
    assert_int_equal(dfs_run_suites(suites, &r->o, &r->tp, &r->rep), DFS_OK);
}

dfs_script *parse(const char *text)
{
    dfs_script *s = NULL;
    struct dfs_script_error e;
    if (dfs_script_parse(text, strlen(text), "s.dfu", NULL, &s, &e) != DFS_OK)
        fail_msg("parse: %u:%u: %s", e.line, e.column, e.msg);
    return s;
}

void run_script(struct run *r, const char *text)
{
    dfs_script *s = parse(text);
    assert_int_equal(dfs_run_script(s, &r->o, &r->tp, &r->rep), DFS_OK);
    dfs_script_free(s);
}

void failed_ids(const dfs_report *rep, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < dfs_report_check_count(rep); i++) {
        const struct dfs_check_result *c = dfs_report_check(rep, i);
        if (c->verdict == DFS_VERDICT_FAIL || c->verdict == DFS_VERDICT_ERROR)
            dfs_run__catf(buf, size, "%s%s", buf[0] ? "," : "", c->id);
    }
}

void dump(const dfs_report *rep)
{
    dfs_report_write_text(rep, stderr, DFS_TEXT_ALL);
}

void expect_failed(const dfs_report *rep, const char *want, const char *what)
{
    char got[2000];
    failed_ids(rep, got, sizeof got);
    if (strcmp(got, want) != 0) {
        dump(rep);
        fail_msg("%s: failed checks '%s', expected '%s'", what, got, want);
    }
}

const struct dfs_check_result *find_check(const dfs_report *rep, const char *id)
{
    for (size_t i = 0; i < dfs_report_check_count(rep); i++)
        if (strcmp(dfs_report_check(rep, i)->id, id) == 0)
            return dfs_report_check(rep, i);
    return NULL;
}

/* ---- scripts ------------------------------------------------------------------------------------------ */

const char ob_write[] =
    "# the seed: SEC_SIZE option byte of an STM32G0C1 over DfuSe\n"
    "set-interface 0\n"
    "read 68 at 0x1FFF7800 expect length=68\n"
    "read 4 at 0x1FFF7870 expect length=4\n"
    "write hex:10000000 at 0x1FFF7870 expect disconnect\n";
