/* Out-of-memory behaviour and memory limits of the decoder.
 *
 * The out-of-memory loop (libuv's loop-init OOM test, curl's torture
 * tests): decode a real capture with an allocator that fails allocation
 * number N, for N = 1, 2, ... until the run succeeds. Every failing run
 * must end in DFS_E_NOMEM from the call that hit it (and from every call
 * after it), with a message, must have emitted exactly a prefix of the
 * events of a normal run, and must leak nothing; the first run that no
 * longer fails must give exactly the events of a normal run.
 *
 * The limits (max_urbs, max_payload, max_devices) are exceeded on purpose:
 * a capture.limit-reached finding, never a crash, and memory that does not
 * grow with the capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capload.h"
#include "evlog.h"
#include "records.h"
#include "state.h"

/* ---- counting allocator ---------------------------------------------------- */

struct counting {
    long live;                 /* blocks not freed */
    size_t bytes, peak;        /* bytes live, most bytes live at once */
    unsigned long calls;       /* malloc + realloc calls */
    unsigned long fail_at;     /* fail this call (1-based), 0 = never */
    bool fail_all;             /* ... and every call after it */
    unsigned long failed;
};

#define HDR 16 /* size kept in front of each block */

static bool should_fail(struct counting *c)
{
    c->calls++;
    if (c->fail_at && (c->calls == c->fail_at || (c->fail_all && c->calls > c->fail_at))) {
        c->failed++;
        return true;
    }
    return false;
}

static void *c_malloc(void *ctx, size_t size)
{
    struct counting *c = ctx;
    if (should_fail(c))
        return NULL;
    uint8_t *p = malloc(HDR + size);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    c->live++;
    c->bytes += size;
    if (c->bytes > c->peak)
        c->peak = c->bytes;
    return p + HDR;
}

static void c_free(void *ctx, void *ptr)
{
    struct counting *c = ctx;
    if (!ptr)
        return;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof size);
    c->live--;
    c->bytes -= size;
    free(p);
}

static void *c_realloc(void *ctx, void *ptr, size_t size)
{
    struct counting *c = ctx;
    if (!ptr)
        return c_malloc(ctx, size);
    if (should_fail(c))
        return NULL;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t old;
    memcpy(&old, p, sizeof old);
    uint8_t *np = realloc(p, HDR + size);
    if (!np)
        return NULL;
    memcpy(np, &size, sizeof size);
    c->bytes = c->bytes - old + size;
    if (c->bytes > c->peak)
        c->peak = c->bytes;
    return np + HDR;
}

/* ---- one decoding run --------------------------------------------------------- */

struct run {
    dfs_result result;        /* first error, or DFS_OK */
    size_t fed_ok;            /* records fed before the first error */
    char msg[256];
};

static void decode(const struct capload *cap, struct counting *c, const struct dfs_options *base,
                   struct evlog *log, struct run *out)
{
    struct dfs_allocator al = {c_malloc, c_realloc, c_free, c};
    struct dfs_options opt;
    if (base)
        opt = *base;
    else
        dfs_options_init(&opt);
    opt.alloc = &al;
    struct dfs_sink sink = evlog_sink(log);
    memset(out, 0, sizeof *out);
    dfs_decoder *d = NULL;
    dfs_result r = dfs_decoder_new(&opt, &sink, &d);
    if (r != DFS_OK) {
        assert_int_equal(r, DFS_E_NOMEM);
        assert_null(d);
        out->result = r;
        snprintf(out->msg, sizeof out->msg, "dfs_decoder_new");
        return;
    }
    for (size_t i = 0; i < cap->n; i++) {
        r = dfs_decoder_feed(d, &cap->recs[i]);
        if (out->result != DFS_OK) {
            assert_int_equal(r, out->result); /* sticky */
            continue;
        }
        if (r != DFS_OK) {
            out->result = r;
            continue;
        }
        out->fed_ok++;
    }
    r = dfs_decoder_finish(d);
    if (out->result != DFS_OK)
        assert_int_equal(r, out->result);
    else
        out->result = r;
    const char *msg = NULL;
    assert_int_equal(dfs_decoder_error(d, &msg), out->result);
    snprintf(out->msg, sizeof out->msg, "%s", msg);
    dfs_decoder_free(d);
}

/* ---- the out-of-memory loop ------------------------------------------------------ */

/* The loop costs allocations x records: a capture that allocates on most
 * records (kept OUT data) is cut to its first OOM_MAX_RECORDS records. */
#define OOM_MAX_RECORDS 1000

static void oom_loop(const char *path, bool fail_all)
{
    struct capload cap;
    assert_int_equal(capload_read(path, &cap), 0);
    assert_true(cap.n > 0);
    size_t all = cap.n;
    if (cap.n > OOM_MAX_RECORDS)
        cap.n = OOM_MAX_RECORDS;

    struct counting ref_c = {0};
    struct evlog ref = {0};
    struct run run;
    decode(&cap, &ref_c, NULL, &ref, &run);
    assert_int_equal(run.result, DFS_OK);
    assert_int_equal(ref_c.live, 0);
    assert_true(ref_c.calls > 0);
    assert_true(ref.lines > 0);

    struct evlog log = {0};
    unsigned long n;
    for (n = 1;; n++) {
        struct counting c = {.fail_at = n, .fail_all = fail_all};
        evlog_clear(&log);
        decode(&cap, &c, NULL, &log, &run);
        if (c.live != 0)
            fail_msg("%s: allocation %lu failed: %ld blocks leaked", path, n, c.live);
        if (!c.failed) {
            /* past the last allocation: a normal run */
            assert_int_equal(run.result, DFS_OK);
            unsigned long line = evlog_first_diff(ref.buf, log.buf ? log.buf : "");
            if (line)
                fail_msg("%s: run with allocation %lu not failed differs at event %lu", path,
                         n, line);
            break;
        }
        if (run.result != DFS_E_NOMEM)
            fail_msg("%s: allocation %lu failed but the run returned %s (failure swallowed)",
                     path, n, dfs_result_name(run.result));
        if (strcmp(run.msg, "dfs_decoder_new") != 0 && !strstr(run.msg, "out of memory"))
            fail_msg("%s: allocation %lu: message \"%s\" does not say out of memory", path, n,
                     run.msg);
        /* what was emitted before the failure is what a normal run emits */
        if (log.len && strncmp(ref.buf, log.buf, log.len) != 0) {
            unsigned long line = evlog_first_diff(ref.buf, log.buf);
            char want[600], got[600];
            fail_msg("%s: allocation %lu: events before the failure differ from a normal run "
                     "at event %lu\n  normal: %s\n  failed: %s",
                     path, n, line, evlog_line(ref.buf, line, want, sizeof want),
                     evlog_line(log.buf, line, got, sizeof got));
        }
    }
    /* every allocation of a normal run was failed once */
    assert_int_equal(n, ref_c.calls + 1);
    evlog_free(&log);
    evlog_free(&ref);
    cap.n = all;
    capload_free(&cap);
}

static void oom_each(void **state)
{
    oom_loop(*state, false);
}

static void oom_from_then_on(void **state)
{
    oom_loop(*state, true);
}

/* ---- limits ----------------------------------------------------------------------- */

struct tally {
    unsigned long limit_findings, never_completed, partial_controls, controls;
    char first_limit[DFS_FINDING_TEXT_SIZE];
    uint64_t first_limit_frame;
};

static int t_finding(void *user, const struct dfs_finding *f)
{
    struct tally *t = user;
    if (f->code == DFS_F_CAPTURE_LIMIT) {
        if (!t->limit_findings++) {
            snprintf(t->first_limit, sizeof t->first_limit, "%s", f->explanation);
            t->first_limit_frame = f->frame;
        }
    }
    return 0;
}

static int t_control(void *user, const struct dfs_control *c)
{
    struct tally *t = user;
    t->controls++;
    if (c->end == DFS_CTL_NEVER_COMPLETED)
        t->never_completed++;
    if (c->data_partial)
        t->partial_controls++;
    return 0;
}

static const uint8_t get_status_setup[8] = {0x80, 0x00, 0, 0, 0, 0, 2, 0};

/* n control submits that never complete (distinct URB ids), then the last
 * `completed` of them complete. Returns the decoder's stats; *peak gets the
 * most bytes the decoder held at once. */
static struct dfs_stats outstanding(uint32_t n, uint32_t completed, struct tally *t,
                                    size_t *peak)
{
    struct counting c = {0};
    struct dfs_allocator al = {c_malloc, c_realloc, c_free, &c};
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.alloc = &al;
    struct dfs_sink sink = {.user = t, .on_control = t_control, .on_finding = t_finding};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, &sink, &d), DFS_OK);
    uint8_t buf[128];
    uint64_t frame = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct dfs_urb u = urb_ctl_submit(0x10000 + (uint64_t)i * 0x40, 1, 5, get_status_setup,
                                          NULL, 0);
        struct dfs_record rec = rec_of(&u, DFS_LINKTYPE_USB_LINUX, ++frame, buf, sizeof buf);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
    static const uint8_t two[2] = {1, 0};
    for (uint32_t i = n - completed; i < n; i++) {
        struct dfs_urb u = urb_ctl_complete(0x10000 + (uint64_t)i * 0x40, 1, 5, 0x80, 0, two,
                                            2, 2);
        struct dfs_record rec = rec_of(&u, DFS_LINKTYPE_USB_LINUX, ++frame, buf, sizeof buf);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    struct dfs_stats st = *dfs_decoder_stats(d);
    dfs_decoder_free(d);
    assert_int_equal(c.live, 0);
    *peak = c.peak;
    return st;
}

/* 100k outstanding URBs with the default limit of 4096 */
static void limit_outstanding_urbs(void **state)
{
    (void)state;
    struct tally t = {0};
    size_t peak_big;
    struct dfs_stats st = outstanding(100000, 10, &t, &peak_big);
    assert_int_equal(st.records, 100010);
    assert_int_equal(st.urbs_evicted, 100000 - 4096);
    assert_int_equal(st.urbs_paired, 10);
    assert_int_equal(st.urbs_unmatched, 0);
    assert_int_equal(st.urbs_open, 4096 - 10);
    /* every submit is accounted for: paired, evicted or open at the end */
    assert_int_equal(t.controls, 100000);
    assert_int_equal(t.never_completed, 100000 - 10);
    /* the first eviction is reported at the submit that hit the limit, then
     * rate-limited, with a summary at the end */
    assert_int_equal(t.first_limit_frame, 4097);
    assert_string_equal(t.first_limit,
                        "frame 4097: 4096 URBs are outstanding (the limit); the oldest, "
                        "submitted at frame 1, is dropped and its completion will not be "
                        "paired");
    assert_int_equal(t.limit_findings, 20 + 1);

    /* bounded: ten times fewer URBs, the same memory */
    struct tally t2 = {0};
    size_t peak_small;
    outstanding(10000, 10, &t2, &peak_small);
    assert_int_equal(peak_big, peak_small);
}

/* Most bytes held by a decoder with the default options fed nothing. */
static size_t idle_peak(void)
{
    struct counting c = {0};
    struct dfs_allocator al = {c_malloc, c_realloc, c_free, &c};
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.alloc = &al;
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, NULL, &d), DFS_OK);
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    dfs_decoder_free(d);
    return c.peak;
}

/* OUT data of outstanding control transfers beyond max_payload */
static void limit_payload(void **state)
{
    (void)state;
    struct counting c = {0};
    struct dfs_allocator al = {c_malloc, c_realloc, c_free, &c};
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.alloc = &al;
    opt.max_payload = 1000;
    struct tally t = {0};
    struct dfs_sink sink = {.user = &t, .on_control = t_control, .on_finding = t_finding};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, &sink, &d), DFS_OK);
    uint8_t data[600], buf[1024];
    memset(data, 0xa5, sizeof data);
    static const uint8_t setup[8] = {0x21, 0x01, 2, 0, 0, 0, 0x58, 0x02}; /* OUT, 600 bytes */
    uint64_t frame = 0;
    for (uint64_t id = 1; id <= 3; id++) {
        struct dfs_urb u = urb_ctl_submit(id, 1, 7, setup, data, sizeof data);
        struct dfs_record rec = rec_of(&u, DFS_LINKTYPE_USB_LINUX, ++frame, buf, sizeof buf);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
    for (uint64_t id = 1; id <= 3; id++) {
        struct dfs_urb u = urb_ctl_complete(id, 1, 7, 0x00, 0, NULL, 0, 600);
        struct dfs_record rec = rec_of(&u, DFS_LINKTYPE_USB_LINUX, ++frame, buf, sizeof buf);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    dfs_decoder_free(d);
    assert_int_equal(c.live, 0);
    /* the decoder's tables, its one bus (allocated at the bus's first
     * record), one device and the one 600-byte block it kept */
    assert_int_equal(c.peak,
                     idle_peak() + sizeof(struct dfs__bus) + sizeof(struct dfs__device) + 600);
    assert_int_equal(t.controls, 3);
    /* the first 600 bytes fit; the second and third do not */
    assert_int_equal(t.limit_findings, 2);
    assert_int_equal(t.first_limit_frame, 2);
    assert_string_equal(t.first_limit, "frame 2: 600 bytes of OUT data not kept: outstanding "
                                       "URBs already hold 600 bytes (limit 1000)");
    assert_int_equal(t.partial_controls, 2);
}

/* more devices than max_devices */
static void limit_devices(void **state)
{
    (void)state;
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.max_devices = 8;
    struct tally t = {0};
    struct dfs_sink sink = {.user = &t, .on_control = t_control, .on_finding = t_finding};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, &sink, &d), DFS_OK);
    uint8_t buf[128];
    uint64_t frame = 0;
    for (uint8_t dev = 1; dev <= 20; dev++) {
        struct dfs_urb u = urb_ctl_submit(dev, 2, dev, get_status_setup, NULL, 0);
        struct dfs_record rec = rec_of(&u, DFS_LINKTYPE_USB_LINUX, ++frame, buf, sizeof buf);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
        static const uint8_t two[2] = {1, 0};
        u = urb_ctl_complete(dev, 2, dev, 0x80, 0, two, 2, 2);
        rec = rec_of(&u, DFS_LINKTYPE_USB_LINUX, ++frame, buf, sizeof buf);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(d), 8);
    assert_int_equal(dfs_decoder_stats(d)->devices, 20);
    assert_int_equal(t.controls, 20);
    assert_int_equal(t.limit_findings, 12);
    assert_int_equal(t.first_limit_frame, 17);
    assert_string_equal(t.first_limit, "frame 17: more than 8 devices; forgetting device 2.1 "
                                       "(first seen at frame 1)");
    dfs_decoder_free(d);
}

/* Peak bytes held while decoding a real capture `times` times in a row
 * (frames renumbered, an hour apart). */
static size_t peak_repeated(const struct capload *cap, int times, uint32_t max_devices)
{
    struct counting c = {0};
    struct dfs_allocator al = {c_malloc, c_realloc, c_free, &c};
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.alloc = &al;
    opt.max_devices = max_devices;
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, NULL, &d), DFS_OK);
    uint64_t frame = 0;
    for (int rep = 0; rep < times; rep++) {
        for (size_t i = 0; i < cap->n; i++) {
            struct dfs_record rec = cap->recs[i];
            rec.frame = ++frame;
            rec.ts.sec += rep * 3600;
            assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
        }
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    assert_int_equal(dfs_decoder_stats(d)->records, (uint64_t)times * cap->n);
    assert_true(dfs_decoder_device_count(d) <= max_devices);
    dfs_decoder_free(d);
    assert_int_equal(c.live, 0);
    return c.peak;
}

/* Memory is bounded by the options, not by the capture: once the device
 * table is full (re-enumerations make new device instances), decoding the
 * capture more times needs no more memory. */
static void memory_bounded_on_repeat(void **state)
{
    const char *path = *state;
    struct capload cap;
    assert_int_equal(capload_read(path, &cap), 0);
    size_t p10 = peak_repeated(&cap, 10, 4), p30 = peak_repeated(&cap, 30, 4);
    if (p10 != p30)
        fail_msg("%s: peak %zu bytes for 10 passes, %zu bytes for 30", path, p10, p30);
    capload_free(&cap);
}

#define REAL(name) "real/" name

int main(void)
{
    static const char *captures[] = {
        REAL("stm32_dfu_install.pcap"), REAL("nuttx-adb.pcapng"),
        REAL("umockdev-usbkbd.pcapng"), REAL("usbmon-tools-test1.pcap"),
        REAL("usbrevue-handset.pcap"),  REAL("usbrevue-mouse.pcap"),
    };
    enum { NCAP = sizeof captures / sizeof captures[0] };
    static char names[NCAP][3][80];
    struct CMUnitTest tests[3 * NCAP + 3];
    size_t n = 0;
    for (size_t i = 0; i < NCAP; i++) {
        snprintf(names[i][0], sizeof names[i][0], "oom_each %s", captures[i]);
        snprintf(names[i][1], sizeof names[i][1], "oom_from_then_on %s", captures[i]);
        snprintf(names[i][2], sizeof names[i][2], "memory_bounded_on_repeat %s", captures[i]);
        tests[n++] = (struct CMUnitTest){names[i][0], oom_each, NULL, NULL, (void *)captures[i]};
        tests[n++] = (struct CMUnitTest){names[i][1], oom_from_then_on, NULL, NULL,
                                         (void *)captures[i]};
        tests[n++] = (struct CMUnitTest){names[i][2], memory_bounded_on_repeat, NULL, NULL,
                                         (void *)captures[i]};
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(limit_outstanding_urbs);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(limit_payload);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(limit_devices);
    return _cmocka_run_group_tests("test_oom", tests, n, NULL, NULL);
}
