/* The Wireshark plugin's per-frame store (dissector/results.c): which frames
 * get which transaction and finding, in which order, known since when, and
 * which findings the plugin shows. Events go through the sink as the decoder
 * would send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "results.h"

struct fx {
    struct dfs__res *r;
    struct dfs_sink sink;
};

static int setup(void **state)
{
    static struct fx fx;
    fx.r = dfs__res_new();
    if (!fx.r)
        return -1;
    dfs__res_sink(fx.r, &fx.sink);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    dfs__res_free(fx->r);
    return 0;
}

static struct dfs_dfu_txn txn(uint32_t device, uint64_t frame, uint64_t reply, uint8_t req)
{
    struct dfs_dfu_txn t;
    memset(&t, 0, sizeof t);
    t.device = t.lane = device;
    t.frame = frame;
    t.reply_frame = reply;
    t.request = req;
    t.cmd = -1;
    t.state_before = t.state_after = DFS_STATE_UNKNOWN;
    t.poll_wait_us = -1;
    return t;
}

static struct dfs_finding finding(enum dfs_finding_code code, uint32_t device, uint64_t frame,
                                  const uint64_t *frames, unsigned n)
{
    struct dfs_finding f;
    memset(&f, 0, sizeof f);
    const struct dfs_finding_info *fi = dfs_finding_info(code);
    f.code = code;
    f.id = fi->id;
    f.title = fi->title;
    f.severity = fi->severity;
    f.group = fi->group;
    f.device = device;
    f.frame = frame;
    for (unsigned i = 0; i < n; i++)
        f.frames[i] = frames[i];
    f.n_frames = n;
    strcpy(f.explanation, "explanation with values");
    return f;
}

static unsigned count(const struct dfs__res *r, uint64_t frame)
{
    unsigned n = 0;
    for (const struct dfs__item *it = dfs__res_first(r, frame); it; it = dfs__res_next(r, it))
        n++;
    return n;
}

/* A transaction shows on its request frame and on its reply frame, and is
 * known (to a single pass) from the reply frame on. */
static void txn_on_request_and_reply(void **state)
{
    struct fx *fx = *state;
    dfs__res_at(fx->r, 12);
    struct dfs_dfu_txn t = txn(3, 11, 12, DFS_DFU_GETSTATUS);
    t.has_status = true;
    t.bState = DFS_STATE_DNBUSY;
    t.poll_timeout_ms = 40;
    assert_int_equal(fx->sink.on_dfu(fx->sink.user, &t), 0);

    const struct dfs__item *req = dfs__res_first(fx->r, 11);
    const struct dfs__item *rep = dfs__res_first(fx->r, 12);
    assert_non_null(req);
    assert_non_null(rep);
    assert_false(req->reply);
    assert_true(rep->reply);
    assert_true(req->known_at == 12 && rep->known_at == 12);
    assert_int_equal(dfs__res_txn(fx->r, req)->t.poll_timeout_ms, 40);
    assert_ptr_equal(dfs__res_txn(fx->r, req), dfs__res_txn(fx->r, rep));
    assert_null(dfs__res_txn(fx->r, req)->t.data);
    assert_null(dfs__res_first(fx->r, 10));
    assert_true(dfs__res_dfu_device(fx->r, 3));
    assert_true(dfs__res_has_dfu(fx->r));
    assert_int_equal(dfs__res_n_txns(fx->r), 1);
}

/* A transaction without a submit (capture started mid-transfer) shows once. */
static void txn_without_submit(void **state)
{
    struct fx *fx = *state;
    struct dfs_dfu_txn t = txn(1, 5, 5, DFS_DFU_UPLOAD);
    fx->sink.on_dfu(fx->sink.user, &t);
    assert_int_equal(count(fx->r, 5), 1);
    assert_true(dfs__res_first(fx->r, 5)->reply);
}

/* A finding is kept on every frame it names, once per frame, after the
 * transactions of that frame even when reported before them; it is shared. */
static void finding_on_every_named_frame(void **state)
{
    struct fx *fx = *state;
    uint64_t frames[] = {20, 21, 30, 30, 31};
    dfs__res_at(fx->r, 31);
    struct dfs_finding f = finding(DFS_F_USB_TRANSFER_CANCELLED, 2, 31, frames, 5);
    fx->sink.on_finding(fx->sink.user, &f);
    struct dfs_dfu_txn t = txn(2, 30, 31, DFS_DFU_GETSTATUS);
    fx->sink.on_dfu(fx->sink.user, &t);

    for (uint64_t fr = 20; fr <= 31; fr++) {
        bool named = fr == 20 || fr == 21 || fr == 30 || fr == 31;
        unsigned want = named ? 1u + (fr == 30 || fr == 31) : 0u;
        assert_int_equal(count(fx->r, fr), want);
    }
    const struct dfs__item *it = dfs__res_first(fx->r, 31);
    assert_int_equal(it->kind, DFS__ITEM_TXN);
    it = dfs__res_next(fx->r, it);
    assert_int_equal(it->kind, DFS__ITEM_FINDING);
    const struct dfs__finding *k = dfs__res_finding(fx->r, it);
    assert_string_equal(k->id, "usb.transfer-cancelled");
    assert_string_equal(k->explanation, "explanation with values");
    assert_string_equal(k->remedy, "");
    assert_int_equal(k->n_frames, 5);
    assert_ptr_equal(dfs__res_finding(fx->r, dfs__res_first(fx->r, 20)), k);
    assert_int_equal(dfs__res_n_findings(fx->r), 1);
}

/* Findings about devices without DFU, and capture-wide findings of a capture
 * without DFU, are kept but not shown (no dfuscope fields on such captures). */
static void relevance(void **state)
{
    struct fx *fx = *state;
    struct dfs_finding about_mouse = finding(DFS_F_USB_TRANSFER_CANCELLED, 4, 7, NULL, 0);
    struct dfs_finding capture = finding(DFS_F_CAPTURE_STARTS_MID_TRANSFER, 0, 1, NULL, 0);
    fx->sink.on_finding(fx->sink.user, &about_mouse);
    fx->sink.on_finding(fx->sink.user, &capture);
    const struct dfs__finding *m = dfs__res_finding(fx->r, dfs__res_first(fx->r, 7));
    const struct dfs__finding *c = dfs__res_finding(fx->r, dfs__res_first(fx->r, 1));
    assert_false(dfs__res_finding_relevant(fx->r, m));
    assert_false(dfs__res_finding_relevant(fx->r, c));

    /* device 9 re-enumerates as 10 (same lane); a DFU request to 10 makes
     * the whole lane DFU, and the capture a DFU capture */
    struct dfs_device_event ev = {.change = DFS_DEV_NEW, .frame = 40, .device = 9, .lane = 9};
    fx->sink.on_device(fx->sink.user, &ev);
    struct dfs_device_event ev2 = {
        .change = DFS_DEV_REENUMERATED, .frame = 50, .device = 10, .lane = 9, .previous = 9};
    fx->sink.on_device(fx->sink.user, &ev2);
    struct dfs_dfu_txn t = txn(10, 51, 52, DFS_DFU_GETSTATE);
    t.lane = 9;
    fx->sink.on_dfu(fx->sink.user, &t);
    assert_true(dfs__res_dfu_device(fx->r, 9));
    assert_true(dfs__res_dfu_device(fx->r, 10));
    assert_false(dfs__res_dfu_device(fx->r, 4));
    assert_false(dfs__res_dfu_device(fx->r, 0));
    assert_true(dfs__res_finding_relevant(fx->r, c));
    assert_false(dfs__res_finding_relevant(fx->r, m));
    /* only GONE and REENUMERATED events are kept */
    assert_null(dfs__res_first(fx->r, 40));
    const struct dfs__item *d = dfs__res_first(fx->r, 50);
    assert_int_equal(d->kind, DFS__ITEM_DEVICE);
    assert_int_equal(dfs__res_device(fx->r, d)->ev.previous, 9);
}

/* Findings of dfs_decoder_finish() are known only at the end. */
static void known_at_end(void **state)
{
    struct fx *fx = *state;
    dfs__res_at(fx->r, 3);
    struct dfs_dfu_txn t = txn(1, 2, 3, DFS_DFU_DNLOAD);
    fx->sink.on_dfu(fx->sink.user, &t);
    dfs__res_at(fx->r, DFS__KNOWN_AT_END);
    uint64_t frames[] = {2, 3};
    struct dfs_finding f = finding(DFS_F_USB_DEVICE_DISCONNECTED, 1, 3, frames, 2);
    fx->sink.on_finding(fx->sink.user, &f);
    const struct dfs__item *it = dfs__res_next(fx->r, dfs__res_first(fx->r, 2));
    assert_int_equal(it->kind, DFS__ITEM_FINDING);
    assert_true(it->known_at == DFS__KNOWN_AT_END);
    assert_true(dfs__res_first(fx->r, 2)->known_at == 3);
}

/* Many frames: the frame index grows and every frame is still found. */
static void many_frames(void **state)
{
    struct fx *fx = *state;
    for (uint64_t i = 1; i <= 20000; i++) {
        struct dfs_dfu_txn t = txn(1, 2 * i, 2 * i + 1, DFS_DFU_DNLOAD);
        t.wValue = (uint16_t)i;
        fx->sink.on_dfu(fx->sink.user, &t);
    }
    for (uint64_t i = 1; i <= 20000; i++) {
        const struct dfs__item *a = dfs__res_first(fx->r, 2 * i);
        const struct dfs__item *b = dfs__res_first(fx->r, 2 * i + 1);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(dfs__res_txn(fx->r, a)->t.wValue, (uint16_t)i);
        assert_ptr_equal(dfs__res_txn(fx->r, a), dfs__res_txn(fx->r, b));
    }
    assert_null(dfs__res_first(fx->r, 1));
    assert_null(dfs__res_first(fx->r, 40002));
    assert_false(dfs__res_failed(fx->r));
    dfs__res_clear(fx->r);
    assert_null(dfs__res_first(fx->r, 2));
    assert_int_equal(dfs__res_n_txns(fx->r), 0);
    assert_false(dfs__res_has_dfu(fx->r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(txn_on_request_and_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(txn_without_submit, setup, teardown),
        cmocka_unit_test_setup_teardown(finding_on_every_named_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(relevance, setup, teardown),
        cmocka_unit_test_setup_teardown(known_at_end, setup, teardown),
        cmocka_unit_test_setup_teardown(many_frames, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
