/* What a run of the runner leaves behind, against the emulated devices
 * (runner_rig.h): the usbmon records it writes, decoded again by the
 * decoder (which must see the option-byte reset); capture-to-script round
 * trips; the report writers and the announcement of every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runner_rig.h"

/* ---- the capture a run writes ------------------------------------------------------------------------ */

struct seen {
    unsigned controls, stalls, dfu, ob_reset, findings_err;
};

static int s_control(void *u, const struct dfs_control *c)
{
    struct seen *s = u;
    s->controls++;
    s->stalls += c->status == -32;
    return 0;
}
static int s_dfu(void *u, const struct dfs_dfu_txn *t)
{
    (void)t;
    ((struct seen *)u)->dfu++;
    return 0;
}
static int s_finding(void *u, const struct dfs_finding *f)
{
    struct seen *s = u;
    s->ob_reset += f->code == DFS_F_DFUSE_OPTION_BYTES_RESET;
    s->findings_err += f->severity == DFS_SEV_ERROR;
    return 0;
}

static void decode_records(const struct recorder *rec, const struct dfs_sink *sink)
{
    struct dfs_options opt;
    dfs_options_init(&opt);
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, sink, &d), DFS_OK);
    size_t off = 0;
    uint64_t frame = 0;
    size_t hdr = sizeof(struct dfs_time) + 4;
    while (off + hdr <= rec->len) {
        uint32_t n;
        struct dfs_time ts;
        memcpy(&ts, rec->buf + off, sizeof ts);
        memcpy(&n, rec->buf + off + sizeof ts, 4);
        struct dfs_record r = {++frame, ts, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, n, n,
                               rec->buf + off + hdr};
        assert_int_equal(dfs_decoder_feed(d, &r), DFS_OK);
        off += hdr + n;
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(d);
    assert_int_equal(st->records_skipped, 0);
    assert_int_equal(st->records_damaged, 0);
    assert_int_equal(st->urbs_unmatched, 0);
    dfs_decoder_free(d);
}

static void test_records_decode(void **state)
{
    (void)state;
    struct device dv = {G0C1, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    run_script(&r, ob_write);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    assert_int_equal(r.rec.records, 2 * dfs_report_exchange_count(r.rep));
    struct seen s = {0};
    struct dfs_sink sink = {.user = &s, .on_control = s_control, .on_dfu = s_dfu,
                            .on_finding = s_finding};
    decode_records(&r.rec, &sink);
    assert_int_equal(s.controls, dfs_report_exchange_count(r.rep));
    assert_int_equal(s.stalls, 1);
    assert_true(s.dfu > 10);
    /* the decoder reads the run as dfuscope diagnose would: the write reset the chip */
    assert_int_equal(s.ob_reset, 1);
    run_free(&r);
}

/* ---- capture to script --------------------------------------------------------------------------------- */

static char *script_from_records(const struct recorder *rec, bool standard)
{
    struct dfs_scriptgen_options go = {.standard = standard, .source = "run.pcap"};
    dfs_scriptgen *g;
    assert_int_equal(dfs_scriptgen_new(&go, &g), DFS_OK);
    struct dfs_sink sink;
    dfs_scriptgen_sink(g, &sink);
    decode_records(rec, &sink);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char msg[300];
    dfs_result res = dfs_scriptgen_finish(g, f, msg, sizeof msg);
    fclose(f);
    if (res != DFS_OK)
        fail_msg("scriptgen: %s", msg);
    dfs_scriptgen_free(g);
    return buf;
}

static void test_script_from_roundtrip(void **state)
{
    (void)state;
    static const struct {
        struct device dv;
        unsigned allow;
        const char *script;
        bool standard;
        const char *contains;
    } cases[] = {
        {{G0C1, {NULL}, 0}, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES, ob_write, false,
         "expect disconnect"},
        {{DFUSE, {"memory-map=f4", NULL}, 0}, 0,
         "set-interface 1\nread 16 at 0x1FFFC000\nclrstatus expect stall\n"
         "getstatus\nclrstatus\n",
         true, "get-descriptor string 0"},
        {{DFU11, {NULL}, 0}, DFS_ALLOW_WRITE,
         "upload 0 1024\nabort\ndnload 0 hex:00112233\n"
         "getstatus\npoll\ndnload 1\npoll\n",
         false, "dnload 0 hex:00112233"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r;
        run_setup(&r, &cases[i].dv, cases[i].allow);
        run_script(&r, cases[i].script);
        if (dfs_report_exit_code(r.rep) != 0)
            dump(r.rep);
        assert_int_equal(dfs_report_exit_code(r.rep), 0);
        char *gen = script_from_records(&r.rec, cases[i].standard);
        if (!strstr(gen, cases[i].contains))
            fail_msg("case %zu: the script lacks '%s':\n%s", i, cases[i].contains, gen);
        run_free(&r);
        /* replayed against the same model: passes */
        run_setup(&r, &cases[i].dv, cases[i].allow);
        run_script(&r, gen);
        if (dfs_report_exit_code(r.rep) != 0) {
            fprintf(stderr, "%s", gen);
            dump(r.rep);
            fail_msg("case %zu: the replay failed", i);
        }
        run_free(&r);
        /* and without the flags it needs, it is refused */
        if (cases[i].allow) {
            run_setup(&r, &cases[i].dv, 0);
            run_script(&r, gen);
            assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_NOT_MADE);
            assert_int_equal(r.watch.seen.data_dnloads, 0);
            run_free(&r);
        }
        free(gen);
    }
}

/* The replay fails where the device behaves otherwise than in the capture. */
static void test_script_from_detects_change(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_script(&r, "getstatus\nclrstatus expect stall\ngetstatus\nclrstatus\n");
    char *gen = script_from_records(&r.rec, false);
    run_free(&r);
    struct device faulty = {DFUSE, {"no-error-after-stall=1", NULL}, 0};
    run_setup(&r, &faulty, 0);
    run_script(&r, gen);
    assert_int_equal(dfs_report_exit_code(r.rep), 1);
    run_free(&r);
    free(gen);
}

/* ---- report writers ------------------------------------------------------------------------------------- */

/* on_step_begin: every step is announced once, before it ends, with its
 * origin and text already set and no verdict yet; a script's steps name
 * their line. */
struct begin_log {
    size_t begun, ended;
    long open;        /* the step begun and not yet ended, -1 */
    bool bad;
    char first_script_origin[sizeof ((struct dfs_step_info *)0)->origin];
};

static void log_begin(void *user, const dfs_report *rep, size_t i)
{
    struct begin_log *b = user;
    const struct dfs_step_info *s = dfs_report_step(rep, i);
    if (b->open != -1 || i != b->begun || !s || !s->origin[0] || !s->text[0] ||
        s->verdict != DFS_VERDICT_NONE)
        b->bad = true;
    if (s && !b->first_script_origin[0] && strncmp(s->origin, "s.dfu:", 6) == 0)
        snprintf(b->first_script_origin, sizeof b->first_script_origin, "%s", s->origin);
    b->open = (long)i;
    b->begun++;
}

static void log_end(void *user, const dfs_report *rep, size_t i)
{
    struct begin_log *b = user;
    (void)rep;
    if (b->open != (long)i)
        b->bad = true;
    b->open = -1;
    b->ended++;
}

static void test_step_begin(void **state)
{
    (void)state;
    for (int script = 0; script < 2; script++) {
        struct device dv = {DFUSE, {NULL}, 0};
        struct run r;
        run_setup(&r, &dv, 0);
        struct begin_log b = {.open = -1};
        r.o.on_step_begin = log_begin;
        r.o.on_step = log_end;
        r.o.on_record = NULL; /* its user is the recorder */
        r.o.user = &b;
        if (script)
            run_script(&r, "getstatus\ngetstate expect state=dfuIDLE\n");
        else
            run_suites(&r, ALL_SUITES);
        size_t steps = dfs_report_step_count(r.rep);
        assert_true(steps > (script ? 1u : 10u));
        assert_false(b.bad);
        assert_int_equal(b.begun, steps);
        assert_int_equal(b.ended, steps);
        assert_int_equal(b.open, -1);
        if (script)
            assert_string_equal(b.first_script_origin, "s.dfu:1");
        run_free(&r);
    }
}

static void test_writers(void **state)
{
    (void)state;
    struct device dv = {G0C1, {"qualifier-answered=1", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_suites(&r, 1u << DFS_SUITE_DESCRIPTORS);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_text(r.rep, f, DFS_TEXT_ALL), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "device 0483:df11 on bus 1 device 6"));
    assert_non_null(strstr(buf, "FAIL  desc.qualifier [USB 2.0 9.6.2]"));
    assert_non_null(strstr(buf, "known-quirk desc.dfuse.layout-unique [ST AN3156"));
    assert_non_null(strstr(buf, "several alternate settings advertise"));
    assert_non_null(strstr(buf, "known quirk R10 "));
    assert_non_null(
        strstr(buf, "summary: 17 checks: 14 passed, 1 failed, 1 known quirk, 1 not checked, 0 skipped, 0 errors"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_json(r.rep, f), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"id\":\"desc.dfuse.layout-unique\""));
    assert_non_null(strstr(buf, "\"verdict\":\"known-quirk\""));
    assert_non_null(strstr(buf, "\"quirk\":{\"id\":\"R10\""));
    assert_non_null(strstr(buf, "\"known_quirks\":1,\"not_checked\":1"));
    assert_non_null(strstr(buf, "\"exit_code\":1"));
    assert_non_null(strstr(buf, "\"request\":\"GET_DESCRIPTOR DEVICE_QUALIFIER 0\""));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_junit(r.rep, f, "dfuscope"), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "<testsuite name=\"descriptors\" tests=\"17\" failures=\"1\""));
    assert_non_null(strstr(buf, "<failure message=\"a full-speed-only device must STALL"));
    free(buf);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_decode),
        cmocka_unit_test(test_script_from_roundtrip),
        cmocka_unit_test(test_script_from_detects_change),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_step_begin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
