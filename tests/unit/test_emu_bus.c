/* The emulated bus: the kernel's enumeration, the URB queue, cancel and
 * kill, a device leaving and coming back, and the virtual clock, with a
 * small test device whose vendor requests answer in every possible way.
 * The records it writes are fed to the decoder, which must see what a
 * kernel capture shows (dfu-facts.md section 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/dfuscope.h"
#include "dfuscope/emulator.h"

/* ---- a test device ---------------------------------------------------------------- */

enum { V_DATA = 1, V_SILENT, V_SLOW, V_RESET_BACK, V_RESET_GONE, V_WAIT };

static const uint8_t test_dev_desc[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x09, 0x12,
                                          0x34, 0x12, 0x00, 0x01, 1, 2, 0, 1};
static const uint8_t test_config[18] = {9, 2, 18, 0, 1, 1, 0, 0x80, 50,
                                        9, 4, 0, 0, 0, 0xff, 0, 0, 0};

static void test_control(void *state, const struct dfs_emu_request *rq, struct dfs_emu_reply *rp)
{
    (void)state;
    const struct dfs_setup *s = &rq->setup;
    rp->answer = DFS_EMU_STALL;
    if ((s->bmRequestType & DFS_REQTYPE_TYPE_MASK) == DFS_REQTYPE_STANDARD) {
        const uint8_t *p = NULL;
        size_t n = 0;
        static const uint8_t lang[4] = {4, 3, 0x09, 0x04};
        static const uint8_t s1[6] = {6, 3, 'h', 0, 'i', 0};
        if (s->bRequest == DFS_REQ_GET_DESCRIPTOR) {
            switch (s->wValue) {
            case 0x0100: p = test_dev_desc; n = 18; break;
            case 0x0200: p = test_config; n = 18; break;
            case 0x0300: p = lang; n = 4; break;
            case 0x0301: p = s1; n = 6; break;
            case 0x0302: p = s1; n = 6; break;
            default: return;
            }
            n = n < s->wLength ? n : s->wLength;
            memcpy(rp->data, p, n);
            rp->len = (uint32_t)n;
        }
        rp->answer = DFS_EMU_ACK;
        return;
    }
    switch (s->bRequest) {
    case V_DATA:
        memset(rp->data, 0xab, s->wLength);
        rp->len = s->wLength;
        rp->answer = DFS_EMU_ACK;
        break;
    case V_SILENT:
        rp->answer = DFS_EMU_NO_ANSWER;
        break;
    case V_SLOW:
        rp->answer = DFS_EMU_ACK;
        rp->busy_us = 50000;
        break;
    case V_RESET_BACK:
    case V_RESET_GONE:
        rp->answer = DFS_EMU_STALL;
        rp->leave_at_us = (int64_t)rq->now_us + 10000;
        rp->return_after_us = s->bRequest == V_RESET_BACK ? 100000 : DFS_EMU_NEVER;
        break;
    case V_WAIT:
        rp->answer = DFS_EMU_ACK;
        rp->wait_ms = 25;
        break;
    }
}

static dfs_result test_create(const struct dfs_emu_optset *o, void **st, char *err, size_t n)
{
    (void)o, (void)err, (void)n;
    *st = NULL;
    return DFS_OK;
}
static void test_destroy(void *st) { (void)st; }
static void test_attach(void *st, uint64_t now) { (void)st, (void)now; }

static const struct dfs_emu_option no_options[] = {{NULL, 0, NULL, NULL, 0, 0, false, NULL}};
static const struct dfs_emu_model test_model = {
    .name = "test", .summary = "test", .options = no_options, .address = 5,
    .create = test_create, .destroy = test_destroy, .attach = test_attach,
    .bus_reset = test_attach, .control = test_control,
};

/* ---- a recorder ----------------------------------------------------------------------- */

#define MAX_RECS 256

struct rec {
    struct dfs_urb u;
    uint8_t data[512];
};

struct world {
    struct dfs_emu_device dev;
    dfs_emu_bus *bus;
    struct rec recs[MAX_RECS];
    size_t n;
    int completions;
    uint64_t last_token;
    int32_t last_status;
    uint32_t last_len;
    int attached, detached;
    uint8_t last_address;
    size_t last_desc_len;
    char product[64];
};

static void on_record(void *user, const struct dfs_urb *u)
{
    struct world *w = user;
    assert_true(w->n < MAX_RECS);
    struct rec *r = &w->recs[w->n++];
    r->u = *u;
    assert_true(u->data_len <= sizeof r->data);
    if (u->data_len)
        memcpy(r->data, u->data, u->data_len);
    r->u.data = r->data;
    if (w->n > 1) { /* time never goes back */
        const struct dfs_urb *p = &w->recs[w->n - 2].u;
        assert_true(p->ts.sec < u->ts.sec || (p->ts.sec == u->ts.sec && p->ts.nsec <= u->ts.nsec));
    }
}

static void on_complete(void *user, uint64_t token, int32_t status, const uint8_t *d, uint32_t n)
{
    (void)d;
    struct world *w = user;
    w->completions++;
    w->last_token = token;
    w->last_status = status;
    w->last_len = n;
}

static void on_attached(void *user, const struct dfs_emu_attach *a)
{
    struct world *w = user;
    w->attached++;
    w->last_address = a->address;
    w->last_desc_len = a->descriptors_len;
    snprintf(w->product, sizeof w->product, "%s", a->product ? a->product : "");
}

static void on_detached(void *user, uint8_t address)
{
    struct world *w = user;
    w->detached++;
    w->last_address = address;
}

/* Most tests look at the device's traffic only: no root hub records. */
static struct world *world_new_hub(bool hub)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->dev.model = &test_model;
    struct dfs_emu_bus_ops ops = {on_record, on_complete, on_attached, on_detached, w};
    struct dfs_emu_bus_config cfg = {.no_hub = !hub};
    assert_int_equal(dfs_emu_bus_new(&cfg, &w->dev, &ops, &w->bus), DFS_OK);
    return w;
}

static struct world *world_new(void) { return world_new_hub(false); }

static void world_free(struct world *w)
{
    dfs_emu_bus_free(w->bus);
    free(w);
}

static int64_t vt(const struct dfs_urb *u) { return u->ts.sec * 1000000 + u->ts.nsec / 1000; }

static const struct dfs_urb *last(struct world *w, size_t back)
{
    assert_true(w->n > back);
    return &w->recs[w->n - 1 - back].u;
}

static dfs_result vendor(struct world *w, int64_t real, uint64_t token, uint8_t req, bool in)
{
    uint8_t setup[8] = {in ? 0xc0 : 0x40, req, 0, 0, 0, 0, in ? 4 : 0, 0};
    return dfs_emu_bus_submit(w->bus, real, token, dfs_emu_bus_address(w->bus), setup, NULL, 0);
}

/* ---- decoding what the bus wrote ------------------------------------------------------ */

struct seen {
    int identified, reenumerated, gone;
    uint16_t vid;
    int controls;
};

static int on_dev(void *user, const struct dfs_device_event *ev)
{
    struct seen *s = user;
    if (ev->change == DFS_DEV_IDENTIFIED) {
        s->identified++;
        s->vid = ev->vid;
    }
    if (ev->change == DFS_DEV_REENUMERATED)
        s->reenumerated++;
    if (ev->change == DFS_DEV_GONE)
        s->gone++;
    return 0;
}
static int on_ctl(void *user, const struct dfs_control *c)
{
    struct seen *s = user;
    assert_int_equal(c->end, DFS_CTL_COMPLETED);
    s->controls++;
    return 0;
}

static void decode(struct world *w, struct seen *s)
{
    memset(s, 0, sizeof *s);
    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink = {.user = s, .on_device = on_dev, .on_control = on_ctl};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, &sink, &d), DFS_OK);
    for (size_t i = 0; i < w->n; i++) {
        uint8_t buf[DFS_USBMON_MMAPPED_HDR_LEN + 512];
        size_t n = dfs_usbmon_encode(&w->recs[i].u, DFS_LINKTYPE_USB_LINUX_MMAPPED,
                                     DFS_ORDER_HOST, buf, sizeof buf);
        assert_true(n >= DFS_USBMON_MMAPPED_HDR_LEN);
        struct dfs_record rec = {.frame = i + 1, .ts = w->recs[i].u.ts,
                                 .linktype = DFS_LINKTYPE_USB_LINUX_MMAPPED,
                                 .caplen = (uint32_t)n, .origlen = (uint32_t)n, .data = buf};
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(d);
    assert_int_equal(st->records_damaged, 0);
    assert_int_equal(st->records_skipped, 0);
    assert_int_equal(st->urbs_unmatched, 0);
    dfs_decoder_free(d);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void clock_rules(void **state)
{
    (void)state;
    static const struct {
        int64_t real;
        uint32_t wait_ms;
        bool first;
        int64_t want;
    } cases[] = {
        {123456789, 0, true, DFS_EMU_FIRST_US},          /* after an enumeration */
        {0, 0, false, DFS_EMU_THINK_US},                  /* at once */
        {3000, 0, false, DFS_EMU_THINK_US},               /* scheduling noise */
        {499999, 0, false, DFS_EMU_THINK_US},
        {1004000, 0, false, 1000000 + DFS_EMU_THINK_US},  /* a deliberate 1 s sleep */
        {1049000, 0, false, 1000000 + DFS_EMU_THINK_US},
        {25000, 25, false, 25000 + DFS_EMU_THINK_US},     /* honoured bwPollTimeout */
        {31000, 25, false, 25000 + DFS_EMU_THINK_US},
        {24999, 25, false, DFS_EMU_THINK_US},             /* polled early */
        {1020000 + 1500, 20, false, 20000 + 1000000 + DFS_EMU_THINK_US}, /* dfu-util manifest */
        {-5, 0, false, DFS_EMU_THINK_US},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = dfs_emu_host_gap_us(cases[i].real, cases[i].wait_ms, cases[i].first);
        if (got != cases[i].want)
            fail_msg("case %zu: real %lld wait %u: got %lld, want %lld", i,
                     (long long)cases[i].real, cases[i].wait_ms, (long long)got,
                     (long long)cases[i].want);
    }
    assert_int_equal(dfs_emu_cancel_age_us(5003000), 5000000);
    assert_int_equal(dfs_emu_cancel_age_us(5049000), 5000000);
    assert_int_equal(dfs_emu_cancel_age_us(1000000), 1000000);
    assert_int_equal(dfs_emu_cancel_age_us(503000), 500000);
    assert_int_equal(dfs_emu_cancel_age_us(-1), 0);
}

static void enumeration(void **state)
{
    (void)state;
    struct world *w = world_new();
    assert_int_equal(dfs_emu_bus_plug(w->bus, 0), DFS_OK);
    assert_int_equal(w->attached, 1);
    assert_int_equal(w->last_address, 5);
    assert_int_equal(w->last_desc_len, 36);
    assert_string_equal(w->product, "hi");
    assert_int_equal(dfs_emu_bus_address(w->bus), 5);
    /* the kernel's order: 64-byte read and SET_ADDRESS on device 0, then
     * device, configuration (9, total), strings, SET_CONFIGURATION */
    static const struct {
        uint8_t dev, bRequest;
        uint16_t wValue, wLength;
    } want[] = {
        {0, 6, 0x0100, 64}, {0, 5, 5, 0}, {5, 6, 0x0100, 18}, {5, 6, 0x0200, 9},
        {5, 6, 0x0200, 18}, {5, 6, 0x0300, 255}, {5, 6, 0x0302, 255}, {5, 6, 0x0301, 255},
        {5, 9, 1, 0},
    };
    assert_int_equal(w->n, 2 * sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct dfs_urb *s = &w->recs[2 * i].u, *c = &w->recs[2 * i + 1].u;
        assert_int_equal(s->type, 'S');
        assert_int_equal(c->type, 'C');
        assert_true(s->id == c->id);
        assert_int_equal(s->devnum, want[i].dev);
        assert_int_equal(s->setup[1], want[i].bRequest);
        assert_int_equal(s->setup[2] | s->setup[3] << 8, want[i].wValue);
        assert_int_equal(s->setup[6] | s->setup[7] << 8, want[i].wLength);
        assert_int_equal(s->status, -115);
        assert_int_equal(c->status, 0);
        assert_true(s->mmapped);
        assert_int_equal(s->xfer_flags, (s->setup[0] & 0x80) ? 0x200u : 0u);
        assert_int_equal(s->flag_data, (s->setup[0] & 0x80) ? '<' : 0);
        assert_int_equal(c->flag_setup, '-');
    }
    assert_true(vt(&w->recs[0].u) == DFS_EMU_DEFAULT_START_US + 60000); /* after a port reset */
    struct seen s;
    decode(w, &s);
    assert_int_equal(s.identified, 1);
    assert_int_equal(s.vid, 0x1209);
    assert_int_equal(s.controls, 9);
    world_free(w);
}

static void host_requests_and_time(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    int64_t end_enum = vt(last(w, 0));
    size_t n0 = w->n;
    assert_int_equal(vendor(w, 700000, 11, V_DATA, true), DFS_OK);
    assert_int_equal(w->n, n0 + 2);
    assert_int_equal(vt(last(w, 1)) - end_enum, DFS_EMU_FIRST_US); /* whatever the real delay */
    assert_int_equal(last(w, 0)->length, 4);
    assert_int_equal(last(w, 0)->data_len, 4);
    assert_int_equal(w->completions, 1);
    assert_true(w->last_token == 11);
    assert_int_equal(w->last_status, 0);
    assert_int_equal(w->last_len, 4);
    /* a reply asking for 25 ms; the host waits 31 ms (real) */
    assert_int_equal(vendor(w, 700100, 12, V_WAIT, false), DFS_OK);
    int64_t done = vt(last(w, 0));
    assert_int_equal(vendor(w, 731100, 13, V_DATA, true), DFS_OK);
    assert_int_equal(vt(last(w, 1)) - done, 25000 + DFS_EMU_THINK_US);
    /* a STALL */
    assert_int_equal(vendor(w, 731200, 14, 99, true), DFS_OK);
    assert_int_equal(last(w, 0)->status, -32);
    assert_int_equal(w->last_status, -32);
    assert_int_equal(last(w, 0)->length, 0);
    /* to a device number that is not there */
    uint8_t setup[8] = {0xc0, V_DATA, 0, 0, 0, 0, 4, 0};
    assert_int_equal(dfs_emu_bus_submit(w->bus, 731300, 15, 9, setup, NULL, 0), DFS_E_NOTFOUND);
    /* OUT data must match wLength */
    uint8_t out_setup[8] = {0x40, V_DATA, 0, 0, 0, 0, 4, 0};
    assert_int_equal(dfs_emu_bus_submit(w->bus, 731300, 16, 5, out_setup, NULL, 0), DFS_E_INVAL);
    struct seen s;
    decode(w, &s);
    world_free(w);
}

static void slow_device(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    assert_int_equal(vendor(w, 1000000, 21, V_SLOW, false), DFS_OK);
    assert_int_equal(w->completions, 0); /* 50 ms of work: later, also in real time */
    int64_t due = dfs_emu_bus_poll(w->bus, 1000000);
    assert_true(due > 1000000 && due <= 1000000 + 50500);
    assert_int_equal(dfs_emu_bus_poll(w->bus, due - 1), due);
    assert_int_equal(w->completions, 0);
    assert_int_equal(dfs_emu_bus_poll(w->bus, due), -1);
    assert_int_equal(w->completions, 1);
    assert_true(vt(last(w, 0)) - vt(last(w, 1)) >= 50000);
    world_free(w);
}

static void cancel_and_kill(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    assert_int_equal(vendor(w, 1000000, 31, V_SILENT, true), DFS_OK);
    assert_int_equal(w->completions, 0);
    assert_int_equal(dfs_emu_bus_poll(w->bus, 9000000), -1); /* nothing will happen */
    /* the host's 5 s timeout: cancelled, -ECONNRESET */
    int64_t submitted = vt(last(w, 0));
    assert_int_equal(dfs_emu_bus_discard(w->bus, 6003700, 31), DFS_OK);
    assert_int_equal(last(w, 0)->status, -104);
    assert_int_equal(vt(last(w, 0)) - submitted, 5000000);
    assert_int_equal(w->last_status, -104);
    assert_int_equal(dfs_emu_bus_discard(w->bus, 6003800, 31), DFS_E_NOTFOUND);
    /* a file closed with an URB pending: killed, -ENOENT, no completion */
    assert_int_equal(vendor(w, 6004000, 32, V_SILENT, true), DFS_OK);
    int c = w->completions;
    dfs_emu_bus_kill(w->bus, 6014000, 32);
    assert_int_equal(last(w, 0)->status, -2);
    assert_int_equal(w->completions, c);
    /* an URB queued behind a silent one waits for it */
    assert_int_equal(vendor(w, 6020000, 33, V_SILENT, true), DFS_OK);
    assert_int_equal(vendor(w, 6020100, 34, V_DATA, true), DFS_OK);
    assert_int_equal(last(w, 0)->type, 'S');
    assert_int_equal(dfs_emu_bus_discard(w->bus, 6120000, 33), DFS_OK);
    assert_int_equal(dfs_emu_bus_poll(w->bus, 6120000), -1);
    assert_true(w->last_token == 34);
    assert_int_equal(w->last_status, 0);
    struct seen s;
    decode(w, &s);
    world_free(w);
}

static void leave_and_return(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    assert_int_equal(vendor(w, 1000000, 41, V_RESET_BACK, false), DFS_OK);
    assert_int_equal(w->last_status, -32);
    int64_t stall = vt(last(w, 1)); /* the request reached the device here */
    /* an URB sent right after: pending when the device leaves */
    assert_int_equal(vendor(w, 1000200, 42, V_SILENT, true), DFS_OK);
    int64_t due = dfs_emu_bus_poll(w->bus, 1000300);
    assert_true(due > 1000300 && due <= 1011000);
    assert_int_equal(w->detached, 0);
    due = dfs_emu_bus_poll(w->bus, due);
    assert_int_equal(w->detached, 1);
    assert_int_equal(w->last_address, 5);
    assert_true(w->last_token == 42);
    assert_int_equal(w->last_status, -108); /* -ESHUTDOWN */
    assert_int_equal(last(w, 0)->status, -108);
    assert_int_equal(vt(last(w, 0)) - stall, 10000);
    assert_int_equal(dfs_emu_bus_address(w->bus), 0);
    assert_int_equal(vendor(w, 1015000, 43, V_DATA, true), DFS_E_NOTFOUND);
    /* back 100 ms later with a new device number */
    assert_true(due > 1015000);
    assert_int_equal(dfs_emu_bus_poll(w->bus, due), -1);
    assert_int_equal(w->attached, 2);
    assert_int_equal(w->last_address, 6);
    assert_int_equal(dfs_emu_bus_address(w->bus), 6);
    uint8_t setup[8] = {0xc0, V_DATA, 0, 0, 0, 0, 4, 0};
    assert_int_equal(dfs_emu_bus_submit(w->bus, due + 10, 44, 5, setup, NULL, 0),
                     DFS_E_NOTFOUND);
    assert_int_equal(dfs_emu_bus_submit(w->bus, due + 10, 45, 6, setup, NULL, 0), DFS_OK);
    struct seen s;
    decode(w, &s);
    assert_int_equal(s.identified, 2);
    assert_int_equal(s.reenumerated, 1);
    assert_true(s.gone >= 1);
    world_free(w);
}

/* A host request whose virtual time is past the device's leaving finds it
 * gone, whatever the real timer did. */
static void leave_by_virtual_time(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    assert_int_equal(vendor(w, 1000000, 51, V_RESET_GONE, false), DFS_OK);
    /* the host sleeps 2 s; no poll happened meanwhile */
    assert_int_equal(vendor(w, 3000000, 52, V_DATA, true), DFS_E_NOTFOUND);
    assert_int_equal(w->detached, 1);
    assert_int_equal(dfs_emu_bus_poll(w->bus, 9000000), -1);
    assert_int_equal(w->attached, 1);
    world_free(w);
}

static void kernel_requests(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    uint8_t si[8] = {0x01, DFS_REQ_SET_INTERFACE, 0, 0, 0, 0, 0, 0};
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, 1000, 5, si, NULL, 0), 0);
    assert_int_equal(last(w, 1)->setup[1], DFS_REQ_SET_INTERFACE);
    uint8_t in[8] = {0xc0, V_DATA, 0, 0, 0, 0, 4, 0};
    uint8_t buf[4];
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, 2000, 5, in, buf, 0), 4);
    assert_int_equal(buf[0], 0xab);
    uint8_t stall[8] = {0xc0, 99, 0, 0, 0, 0, 4, 0};
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, 3000, 5, stall, buf, 0), -32);
    uint8_t silent[8] = {0xc0, V_SILENT, 0, 0, 0, 0, 4, 0};
    int64_t before = vt(last(w, 0));
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, 4000, 5, silent, buf, 1000), -110);
    assert_int_equal(last(w, 0)->status, -2); /* usb_kill_urb after the timeout */
    assert_true(vt(last(w, 0)) - before >= 1000000);
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, 5000, 9, in, buf, 0), -19);
    size_t n = w->n;
    assert_int_equal(dfs_emu_bus_port_reset(w->bus, 6000, 5), 0);
    assert_true(w->n > n);
    assert_int_equal(w->recs[n].u.devnum, 0); /* hub_port_init at address 0 */
    assert_int_equal(w->recs[n + 2].u.setup[1], DFS_REQ_SET_ADDRESS);
    assert_int_equal(w->recs[n + 2].u.setup[2], 5);
    assert_int_equal(dfs_emu_bus_port_reset(w->bus, 7000, 7), -19);
    struct seen s;
    decode(w, &s);
    world_free(w);
}


/* The root hub's port traffic around a connect and a disconnect
 * (hub_port_connect_change, hub_port_debounce, hub_port_reset). */
static void root_hub_traffic(void **state)
{
    (void)state;
    struct world *w = world_new_hub(true);
    dfs_emu_bus_plug(w->bus, 0);
    /* first the pending status-change URB, then its completion for port 1 */
    assert_int_equal(w->recs[0].u.type, 'S');
    assert_int_equal(w->recs[0].u.xfer_type, DFS_XFER_INTERRUPT);
    assert_int_equal(w->recs[0].u.endpoint, 0x81);
    assert_int_equal(w->recs[0].u.devnum, 1);
    assert_int_equal(w->recs[1].u.type, 'C');
    assert_int_equal(w->recs[1].u.data_len, 1);
    assert_int_equal(w->recs[1].data[0], 0x02);
    assert_true(w->recs[1].u.id == w->recs[0].u.id);
    assert_int_equal(w->recs[2].u.type, 'S'); /* resubmitted */
    /* GET_STATUS(port 1): connected, powered, connection changed */
    const struct dfs_urb *gs = &w->recs[3].u;
    assert_int_equal(gs->setup[0], 0xa3);
    assert_int_equal(gs->setup[1], DFS_REQ_GET_STATUS);
    assert_int_equal(gs->setup[4], 1);
    static const uint8_t connected[4] = {0x01, 0x01, 0x01, 0x00};
    assert_memory_equal(w->recs[4].data, connected, 4);
    /* the device's first request comes after a port reset */
    size_t first = 0;
    while (first < w->n && w->recs[first].u.devnum != 0)
        first++;
    assert_true(first < w->n);
    const struct dfs_urb *reset_status = &w->recs[first - 3].u; /* GET_STATUS after the reset */
    assert_int_equal(reset_status->type, 'C');
    static const uint8_t enabled[4] = {0x03, 0x01, 0x10, 0x00};
    assert_memory_equal(w->recs[first - 3].data, enabled, 4);
    assert_int_equal(w->recs[first - 2].u.setup[2], 20); /* CLEAR_FEATURE C_PORT_RESET */

    /* now it leaves with an URB pending */
    assert_int_equal(vendor(w, 1000000, 61, V_RESET_GONE, false), DFS_OK);
    assert_int_equal(vendor(w, 1000100, 62, V_SILENT, true), DFS_OK);
    size_t before = w->n;
    int64_t due = dfs_emu_bus_poll(w->bus, 1000200);
    dfs_emu_bus_poll(w->bus, due);
    assert_int_equal(w->detached, 1);
    /* status change, GET_STATUS: not connected, connection and enable changed */
    assert_int_equal(w->recs[before].u.xfer_type, DFS_XFER_INTERRUPT);
    static const uint8_t gone[4] = {0x00, 0x01, 0x03, 0x00};
    assert_memory_equal(w->recs[before + 3].data, gone, 4);
    /* then the device's URB is flushed: -ESHUTDOWN */
    size_t flushed = before;
    while (flushed < w->n && w->recs[flushed].u.status != -108)
        flushed++;
    assert_true(flushed < w->n);
    assert_true(flushed > before + 3);
    assert_int_equal(w->recs[flushed].u.devnum, 5);
    assert_int_equal(w->last_status, -108);
    struct seen s;
    decode(w, &s);
    assert_true(s.gone >= 1);
    world_free(w);
}


/* After the host program ends, what the device started still happens. */
static void finish_runs_what_is_scheduled(void **state)
{
    (void)state;
    struct world *w = world_new();
    dfs_emu_bus_plug(w->bus, 0);
    assert_int_equal(vendor(w, 1000000, 71, V_RESET_BACK, false), DFS_OK);
    assert_int_equal(w->detached, 0);
    dfs_emu_bus_finish(w->bus, 1000100); /* real time has not come yet */
    assert_int_equal(w->detached, 1);
    assert_int_equal(w->attached, 2);
    assert_int_equal(dfs_emu_bus_address(w->bus), 6);
    assert_int_equal(dfs_emu_bus_poll(w->bus, 99000000), -1);
    world_free(w);
}

/* The same host behaviour with different real timings gives the same bytes. */
static void run_script(struct world *w, int64_t jitter)
{
    dfs_emu_bus_plug(w->bus, 0);
    int64_t t = 5000000 + 37 * jitter;
    vendor(w, t, 1, V_DATA, true);
    vendor(w, t += 100 + jitter, 2, V_WAIT, false);
    vendor(w, t += 25000 + 3 * jitter, 3, V_DATA, true);
    vendor(w, t += 10 + jitter, 4, V_SLOW, false);
    t = dfs_emu_bus_poll(w->bus, t + jitter);
    dfs_emu_bus_poll(w->bus, t + jitter);
    vendor(w, t += 2 * jitter, 5, V_SILENT, true);
    dfs_emu_bus_discard(w->bus, t + 5000000 + 20 * jitter, 5);
    vendor(w, t += 5000000 + 21 * jitter, 6, V_RESET_BACK, false);
    int64_t due;
    while ((due = dfs_emu_bus_poll(w->bus, t)) >= 0)
        t = due + jitter;
    vendor(w, t + 40 * jitter, 7, V_DATA, true);
}

static void deterministic(void **state)
{
    (void)state;
    struct world *a = world_new_hub(true), *b = world_new_hub(true);
    run_script(a, 1);
    run_script(b, 1500);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        uint8_t ba[600], bb[600];
        size_t na = dfs_usbmon_encode(&a->recs[i].u, DFS_LINKTYPE_USB_LINUX_MMAPPED,
                                      DFS_ORDER_HOST, ba, sizeof ba);
        size_t nb = dfs_usbmon_encode(&b->recs[i].u, DFS_LINKTYPE_USB_LINUX_MMAPPED,
                                      DFS_ORDER_HOST, bb, sizeof bb);
        assert_int_equal(na, nb);
        if (memcmp(ba, bb, na) != 0)
            fail_msg("record %zu differs", i);
    }
    assert_int_equal(a->attached, 2);
    world_free(a);
    world_free(b);
}

/* The host on the bus's virtual clock: a request reaches the device when
 * the host makes it, a device leaves and comes back exactly when it says. */
static void virtual_host(void **state)
{
    (void)state;
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->dev.model = &test_model;
    struct dfs_emu_bus_ops ops = {on_record, on_complete, on_attached, on_detached, w};
    struct dfs_emu_bus_config cfg = {.no_hub = true, .virtual_host = true};
    assert_int_equal(dfs_emu_bus_new(&cfg, &w->dev, &ops, &w->bus), DFS_OK);
    int64_t t = dfs_emu_bus_start_us(w->bus);
    assert_int_equal(dfs_emu_bus_plug(w->bus, t), DFS_OK);
    t = dfs_emu_bus_now(w->bus) + 3000; /* the host waits 3 ms after the enumeration */
    uint8_t in[8] = {0xc0, V_DATA, 0, 0, 0, 0, 4, 0}, buf[64];
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, t, 5, in, buf, 0), 4);
    assert_int_equal(vt(last(w, 1)), t); /* no think time, no first-request delay */
    assert_int_equal(vt(last(w, 0)), t + 150); /* one packet */
    /* a short wait counts as it is (the real-time rules would drop it) */
    t = dfs_emu_bus_now(w->bus) + 20000;
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, t, 5, in, buf, 0), 4);
    assert_int_equal(vt(last(w, 1)), t);
    /* the device resets 10 ms after the request and is back 100 ms later */
    uint8_t reset[8] = {0x40, V_RESET_BACK, 0, 0, 0, 0, 0, 0};
    t = dfs_emu_bus_now(w->bus) + 1000;
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, t, 5, reset, NULL, 0), -32);
    assert_int_equal(dfs_emu_bus_poll(w->bus, t + 9999), t + 10000);
    assert_int_equal(dfs_emu_bus_address(w->bus), 5);
    int64_t back = dfs_emu_bus_poll(w->bus, t + 10000);
    assert_int_equal(dfs_emu_bus_address(w->bus), 0);
    assert_int_equal(w->detached, 1);
    assert_int_equal(back, t + 10000 + 100000);
    assert_int_equal(dfs_emu_bus_sync_control(w->bus, back - 1, 5, in, buf, 0), -19);
    assert_int_equal(dfs_emu_bus_poll(w->bus, back), -1);
    assert_int_equal(w->attached, 2);
    assert_int_equal(dfs_emu_bus_address(w->bus), 6);
    world_free(w);
}

/* A device pulled off the bus: gone now, back (as a new device) when said. */
static void unplug(void **state)
{
    (void)state;
    struct world *w = world_new();
    assert_int_equal(dfs_emu_bus_unplug(w->bus, 0, DFS_EMU_NEVER), DFS_E_NOTFOUND);
    dfs_emu_bus_plug(w->bus, 0);
    /* a pending URB ends with -ESHUTDOWN */
    assert_int_equal(vendor(w, 1000000, 61, V_SILENT, true), DFS_OK);
    assert_int_equal(dfs_emu_bus_unplug(w->bus, 1100000, 50000), DFS_OK);
    assert_int_equal(w->detached, 1);
    assert_int_equal(w->last_token, 61);
    assert_int_equal(w->last_status, -108);
    assert_int_equal(dfs_emu_bus_address(w->bus), 0);
    assert_int_equal(vendor(w, 1120000, 62, V_DATA, true), DFS_E_NOTFOUND);
    assert_int_equal(dfs_emu_bus_poll(w->bus, 1160000), -1);
    assert_int_equal(w->attached, 2);
    assert_int_equal(dfs_emu_bus_address(w->bus), 6);
    /* for good */
    assert_int_equal(dfs_emu_bus_unplug(w->bus, 1200000, DFS_EMU_NEVER), DFS_OK);
    assert_int_equal(dfs_emu_bus_poll(w->bus, 99000000), -1);
    assert_int_equal(w->attached, 2);
    assert_int_equal(dfs_emu_bus_address(w->bus), 0);
    struct seen s;
    decode(w, &s);
    assert_int_equal(s.identified, 2);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clock_rules),
        cmocka_unit_test(enumeration),
        cmocka_unit_test(host_requests_and_time),
        cmocka_unit_test(slow_device),
        cmocka_unit_test(cancel_and_kill),
        cmocka_unit_test(leave_and_return),
        cmocka_unit_test(leave_by_virtual_time),
        cmocka_unit_test(kernel_requests),
        cmocka_unit_test(root_hub_traffic),
        cmocka_unit_test(finish_runs_what_is_scheduled),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(virtual_host),
        cmocka_unit_test(unplug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
