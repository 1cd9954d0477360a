/* The device models: chapter 9 answers, the DFU 1.1 and DfuSe state
 * machines driven through every request in every state, the timing rules
 * (bwPollTimeout against virtual time), the STM32G0C1 option-byte reset, the
 * faulty variants that belong to these stories (the others are in
 * test_model_faults.c), the options (dfu-facts.md sections 1-4,
 * dfu-quirks.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model_rig.h"

/* ---- chapter 9 and descriptors -------------------------------------------------- */

static void seed_descriptors(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", NULL, 0);
    /* dfu-facts.md section 4: the seed's lsusb block */
    static const uint8_t dev[18] = {0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x83,
                                    0x04, 0x11, 0xdf, 0x00, 0x02, 0x01, 0x02, 0x03, 0x01};
    static const uint8_t cfg[45] = {
        0x09, 0x02, 0x2d, 0x00, 0x01, 0x01, 0x02, 0xc0, 0x32,                /* config */
        0x09, 0x04, 0x00, 0x00, 0x00, 0xfe, 0x01, 0x02, 0x06,                /* alt 0 */
        0x09, 0x04, 0x00, 0x01, 0x00, 0xfe, 0x01, 0x02, 0x07,                /* alt 1 */
        0x09, 0x04, 0x00, 0x02, 0x00, 0xfe, 0x01, 0x02, 0x08,                /* alt 2 */
        0x09, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x04, 0x1a, 0x01};               /* functional */
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0100, 0, 64, NULL), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 18);
    assert_memory_equal(r.in, dev, 18);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 9, NULL), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 9);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 255, NULL), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 45);
    assert_memory_equal(r.in, cfg, 45);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0300, 0, 255, NULL), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 4);
    assert_int_equal(r.in[2] | r.in[3] << 8, 0x0409);
    static const struct {
        uint8_t index;
        const char *text;
    } strings[] = {{1, "STMicroelectronics"},
                   {2, "DFU in FS Mode"},
                   {6, "@Internal Flash /0x08000000/256*02Kg"},
                   {7, "@Internal Flash /0x08000000/256*02Kg"},
                   {8, "@Internal Flash /0x08000000/256*02Kg"}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0300 | strings[i].index, 0x0409,
                             255, NULL),
                         DFS_EMU_ACK);
        size_t n = strlen(strings[i].text);
        assert_int_equal(r.rp.len, 2 + 2 * n);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(r.in[2 + 2 * k], (uint8_t)strings[i].text[k]);
    }
    /* no string 4, no device qualifier (full speed only) */
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0304, 0x0409, 255, NULL),
                     DFS_EMU_STALL);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0600, 0, 10, NULL), DFS_EMU_STALL);
    /* GET_STATUS: self powered */
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_STATUS, 0, 0, 2, NULL), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 1);
    /* short reads are cut to wLength */
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0100, 0, 8, NULL), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 8);
    rig_free(&r);
}

static void chapter9_requests(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "dfuse-device", NULL, 0);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_CONFIGURATION, 0, 0, 1, NULL), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 1);
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 3, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(req(&r, 0x81, DFS_REQ_GET_INTERFACE, 0, 0, 1, NULL), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 3);
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 4, 0, 0, NULL), DFS_EMU_STALL);
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 0, 1, 0, NULL), DFS_EMU_STALL);
    assert_int_equal(req(&r, 0x00, DFS_REQ_SET_CONFIGURATION, 2, 0, 0, NULL), DFS_EMU_STALL);
    assert_int_equal(req(&r, 0x00, DFS_REQ_SET_FEATURE, DFS_FEATURE_DEVICE_REMOTE_WAKEUP, 0, 0,
                         NULL),
                     DFS_EMU_STALL);
    assert_int_equal(req(&r, 0x02, DFS_REQ_CLEAR_FEATURE, DFS_FEATURE_ENDPOINT_HALT, 0, 0, NULL),
                     DFS_EMU_ACK);
    assert_int_equal(req(&r, 0x40, 0x01, 0, 0, 0, NULL), DFS_EMU_STALL); /* vendor */
    /* class requests to another interface are not DFU */
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATUS, 0, 1, 6, NULL),
                     DFS_EMU_STALL);
    assert_int_equal(core(&r)->state, DFS_STATE_DFU_IDLE);
    /* unconfigured: no DFU */
    assert_int_equal(req(&r, 0x00, DFS_REQ_SET_CONFIGURATION, 0, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_STALL);
    rig_free(&r);
}

/* ---- state machine tables ---------------------------------------------------------- */

enum { A = 1, E, S }; /* ACK; STALL + dfuERROR/errSTALLEDPKT; STALL, state kept */

struct expect {
    uint8_t how, state; /* state after an ACK (ignored otherwise) */
};

struct dfu_req {
    const char *name;
    uint8_t type, bRequest;
    uint16_t wValue, wLength;
    int payload; /* 0 none, 1 16 bytes, 2 SET_ADDRESS 0x08000000, 3 ERASE 0x08000000 */
};

static const uint8_t payload16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static enum dfs_emu_answer send_req(struct rig *r, const struct dfu_req *q)
{
    uint8_t cmd[5] = {0, 0, 0, 0, 0x08};
    const uint8_t *p = NULL;
    if (q->payload == 1)
        p = payload16;
    else if (q->payload >= 2) {
        cmd[0] = q->payload == 2 ? DFS_DFUSE_SET_ADDRESS : DFS_DFUSE_ERASE;
        p = cmd;
    }
    return req(r, q->type, q->bRequest, q->wValue, 0, q->wLength, p);
}

static const char *state_name(uint8_t s)
{
    const char *n = dfs_dfu_state_name(s);
    return n ? n : "?";
}

static void check(struct rig *r, const char *where, const struct dfu_req *q, uint8_t before,
                  struct expect want, enum dfs_emu_answer got)
{
    uint8_t after = core(r)->state;
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s in %s: answer %d, state %s", where, q->name,
             state_name(before), (int)got, state_name(after));
    switch (want.how) {
    case A:
        if (got != DFS_EMU_ACK || after != want.state)
            fail_msg("%s; expected ACK and %s", msg, state_name(want.state));
        break;
    case E:
        if (got != DFS_EMU_STALL || after != DFS_STATE_ERROR ||
            core(r)->status != DFS_STATUS_ERR_STALLEDPKT)
            fail_msg("%s; expected STALL and dfuERROR/errSTALLEDPKT", msg);
        break;
    case S:
        if (got != DFS_EMU_STALL || after != before)
            fail_msg("%s; expected STALL, state kept", msg);
        break;
    }
}

/* Bring a fresh plain DFU 1.1 device into a state. */
static void dfu11_to(struct rig *r, uint8_t st)
{
    switch (st) {
    case DFS_STATE_DFU_IDLE:
        return;
    case DFS_STATE_ERROR:
        assert_int_equal(req(r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                         DFS_EMU_STALL);
        break;
    case DFS_STATE_UPLOAD_IDLE:
        assert_int_equal(upload(r, 0, 64), DFS_EMU_ACK);
        break;
    default:
        assert_int_equal(dnload(r, 0, payload16, 16), DFS_EMU_ACK); /* DNLOAD-SYNC */
        if (st == DFS_STATE_DNLOAD_SYNC)
            break;
        assert_int_equal(getstatus(r), DFS_EMU_ACK); /* DNBUSY */
        if (st == DFS_STATE_DNBUSY)
            break;
        r->now += 20000;
        settle(r); /* DNLOAD-IDLE */
        if (st == DFS_STATE_DNLOAD_IDLE)
            break;
        assert_int_equal(dnload(r, 1, NULL, 0), DFS_EMU_ACK); /* MANIFEST-SYNC */
        if (st == DFS_STATE_MANIFEST_SYNC)
            break;
        assert_int_equal(getstatus(r), DFS_EMU_ACK); /* MANIFEST */
        if (st == DFS_STATE_MANIFEST)
            break;
        r->now += 100000;
        assert_int_equal(getstatus(r), DFS_EMU_ACK); /* done: WAIT-RESET (not tolerant) */
        break;
    }
    assert_int_equal(core(r)->state, st);
}

static void dfu11_state_table(void **state)
{
    (void)state;
    static const struct dfu_req reqs[] = {
        {"DETACH", DFS_DFU_REQTYPE_OUT, DFS_DFU_DETACH, 1000, 0, 0},
        {"DNLOAD(16)", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 2, 16, 1},
        {"DNLOAD(0)", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 2, 0, 0},
        {"UPLOAD(64)", DFS_DFU_REQTYPE_IN, DFS_DFU_UPLOAD, 0, 64, 0},
        {"GETSTATUS", DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATUS, 0, 6, 0},
        {"CLRSTATUS", DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0},
        {"GETSTATE", DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATE, 0, 1, 0},
        {"ABORT", DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, 0},
        {"GETSTATUS as OUT", DFS_DFU_REQTYPE_OUT, DFS_DFU_GETSTATUS, 0, 0, 0},
        {"request 7", DFS_DFU_REQTYPE_OUT, 7, 0, 0, 0},
    };
    enum { I = DFS_STATE_DFU_IDLE, DS = DFS_STATE_DNLOAD_SYNC, DB = DFS_STATE_DNBUSY,
           DI = DFS_STATE_DNLOAD_IDLE, MS = DFS_STATE_MANIFEST_SYNC, M = DFS_STATE_MANIFEST,
           MW = DFS_STATE_MANIFEST_WAIT_RESET, UI = DFS_STATE_UPLOAD_IDLE,
           ER = DFS_STATE_ERROR };
    /* DFU 1.1 appendix A, dfu-facts.md section 1 */
    static const struct {
        uint8_t state;
        struct expect e[10];
    } table[] = {
        {I, {{E, 0}, {A, DS}, {E, 0}, {A, UI}, {A, I}, {E, 0}, {A, I}, {A, I}, {E, 0}, {E, 0}}},
        {DS, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, DB}, {E, 0}, {A, DS}, {A, I}, {E, 0}, {E, 0}}},
        {DB, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, DB}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}}},
        {DI, {{E, 0}, {A, DS}, {A, MS}, {E, 0}, {A, DI}, {E, 0}, {A, DI}, {A, I}, {E, 0}, {E, 0}}},
        {MS, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, M}, {E, 0}, {A, MS}, {A, I}, {E, 0}, {E, 0}}},
        {M, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, M}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}}},
        {MW, {{S, 0}, {S, 0}, {S, 0}, {S, 0}, {A, MW}, {S, 0}, {A, MW}, {S, 0}, {S, 0}, {S, 0}}},
        {UI, {{E, 0}, {E, 0}, {E, 0}, {A, UI}, {A, UI}, {E, 0}, {A, UI}, {A, I}, {E, 0}, {E, 0}}},
        {ER, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, ER}, {A, I}, {A, ER}, {E, 0}, {E, 0}, {E, 0}}},
    };
    static const char *const not_tolerant[] = {"manifestation-tolerant=0"};
    for (size_t s = 0; s < sizeof table / sizeof table[0]; s++) {
        for (size_t q = 0; q < sizeof reqs / sizeof reqs[0]; q++) {
            struct rig r;
            rig_new(&r, "dfu11-device", not_tolerant, 1);
            dfu11_to(&r, table[s].state);
            uint8_t before = core(&r)->state;
            check(&r, "dfu11-device", &reqs[q], before, table[s].e[q], send_req(&r, &reqs[q]));
            rig_free(&r);
        }
    }
}

/* Bring a fresh DfuSe device into a state. */
static void dfuse_to(struct rig *r, uint8_t st)
{
    switch (st) {
    case DFS_STATE_DFU_IDLE:
        return;
    case DFS_STATE_ERROR:
        assert_int_equal(req(r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                         DFS_EMU_STALL);
        break;
    case DFS_STATE_UPLOAD_IDLE:
        assert_int_equal(upload(r, 2, 16), DFS_EMU_ACK);
        break;
    default:
        assert_int_equal(dfuse_cmd(r, DFS_DFUSE_ERASE, 0x08000000), DFS_EMU_ACK);
        if (st == DFS_STATE_DNLOAD_SYNC)
            break;
        assert_int_equal(getstatus(r), DFS_EMU_ACK);
        if (st == DFS_STATE_DNBUSY)
            break;
        r->now += 50000;
        settle(r);
        if (st == DFS_STATE_DNLOAD_IDLE)
            break;
        assert_int_equal(dnload(r, 2, NULL, 0), DFS_EMU_ACK);
        break;
    }
    assert_int_equal(core(r)->state, st);
}

static void dfuse_state_table(void **state)
{
    (void)state;
    static const struct dfu_req reqs[] = {
        {"DETACH", DFS_DFU_REQTYPE_OUT, DFS_DFU_DETACH, 1000, 0, 0},
        {"SET_ADDRESS", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 0, 5, 2},
        {"DNLOAD block 2", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 2, 16, 1},
        {"DNLOAD block 1", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 1, 16, 1},
        {"DNLOAD(0)", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 2, 0, 0},
        {"UPLOAD block 0", DFS_DFU_REQTYPE_IN, DFS_DFU_UPLOAD, 0, 4, 0},
        {"UPLOAD block 1", DFS_DFU_REQTYPE_IN, DFS_DFU_UPLOAD, 1, 16, 0},
        {"UPLOAD block 2", DFS_DFU_REQTYPE_IN, DFS_DFU_UPLOAD, 2, 16, 0},
        {"GETSTATUS", DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATUS, 0, 6, 0},
        {"CLRSTATUS", DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0},
        {"GETSTATE", DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATE, 0, 1, 0},
        {"ABORT", DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, 0},
    };
    enum { I = DFS_STATE_DFU_IDLE, DS = DFS_STATE_DNLOAD_SYNC, DB = DFS_STATE_DNBUSY,
           DI = DFS_STATE_DNLOAD_IDLE, MS = DFS_STATE_MANIFEST_SYNC, M = DFS_STATE_MANIFEST,
           UI = DFS_STATE_UPLOAD_IDLE, ER = DFS_STATE_ERROR };
    /* DFU 1.1 appendix A with the DfuSe commands of AN3156 (dfu-facts.md 2);
     * the leave (zero-length DNLOAD) is taken in dfuIDLE as well as in
     * dfuDNLOAD-IDLE, as the flow chart of ST's download request has it
     * (AN2662, AN3156) and fwupd relies on */
    static const struct {
        uint8_t state;
        struct expect e[12];
    } table[] = {
        {I, {{E, 0}, {A, DS}, {A, DS}, {E, 0}, {A, MS}, {A, UI}, {E, 0}, {A, UI}, {A, I}, {E, 0}, {A, I}, {A, I}}},
        {DS, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, DB}, {E, 0}, {A, DS}, {A, I}}},
        {DB, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, DB}, {E, 0}, {E, 0}, {E, 0}}},
        {DI, {{E, 0}, {A, DS}, {A, DS}, {E, 0}, {A, MS}, {E, 0}, {E, 0}, {E, 0}, {A, DI}, {E, 0}, {A, DI}, {A, I}}},
        {MS, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, M}, {E, 0}, {A, MS}, {A, I}}},
        {UI, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, UI}, {E, 0}, {A, UI}, {A, UI}, {E, 0}, {A, UI}, {A, I}}},
        {ER, {{E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {E, 0}, {A, ER}, {A, I}, {A, ER}, {E, 0}}},
    };
    static const char *const models[] = {"stm32g0c1-bootloader", "dfuse-device"};
    for (size_t m = 0; m < 2; m++) {
        for (size_t s = 0; s < sizeof table / sizeof table[0]; s++) {
            for (size_t q = 0; q < sizeof reqs / sizeof reqs[0]; q++) {
                struct rig r;
                rig_new(&r, models[m], NULL, 0);
                dfuse_to(&r, table[s].state);
                uint8_t before = core(&r)->state;
                check(&r, models[m], &reqs[q], before, table[s].e[q], send_req(&r, &reqs[q]));
                rig_free(&r);
            }
        }
    }
}

/* ---- timing ------------------------------------------------------------------------ */

static void dfuse_erase_timing(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", NULL, 0);
    /* write something, then erase its page */
    dfuse_set_address(&r, 0x08000800);
    assert_int_equal(dnload(&r, 2, payload16, 16), DFS_EMU_ACK);
    settle(&r);
    abort_req(&r);
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_ERASE, 0x08000810), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
    assert_int_equal(poll_ms(&r), 25); /* announced; the work takes 22 ms */
    assert_int_equal(r.rp.wait_ms, 25);
    r.now += 10000; /* polled early: still busy, 12 ms left */
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
    assert_int_equal(poll_ms(&r), 12);
    r.now += 12000;
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    assert_int_equal(r.in[0], DFS_STATUS_OK);
    abort_req(&r);
    dfuse_set_address(&r, 0x08000800);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 16), DFS_EMU_ACK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(r.in[i], 0xff);
    rig_free(&r);
}

/* hold-getstatus=1: a GETSTATUS polled while the work runs is NAKed until
 * the work is done (reply busy_us) and then answers dfuDNLOAD-IDLE, the
 * sequence pydfu.py expects (DNLOAD, GETSTATUS dfuDNBUSY, GETSTATUS at once
 * dfuDNLOAD-IDLE); without it the same poll says dfuDNBUSY. */
static void dfuse_hold_getstatus(void **state)
{
    (void)state;
    static const char *const o[] = {"hold-getstatus=1"};
    for (int hold = 0; hold < 2; hold++) {
        struct rig r;
        rig_new(&r, "dfuse-device", o, hold ? 1 : 0);
        assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_ERASE, 0x08000000), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK); /* starts the 32 ms erase */
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        assert_int_equal(r.rp.busy_us, 0);
        assert_int_equal(poll_ms(&r), 40);
        r.now += 1000; /* polled at once */
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        if (!hold) {
            assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
            assert_int_equal(r.rp.busy_us, 0);
            rig_free(&r);
            continue;
        }
        assert_int_equal(r.rp.busy_us, 31000); /* held until the erase is done */
        assert_int_equal(r.in[0], DFS_STATUS_OK);
        assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
        r.now += r.rp.busy_us;
        /* a write, polled the same way */
        abort_req(&r);
        dfuse_set_address(&r, 0x08000000);
        assert_int_equal(dnload(&r, 2, payload16, 16), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        r.now += 150;
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.rp.busy_us, 10000 - 150);
        assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
        r.now += r.rp.busy_us;
        /* a poll after the work is done is not held */
        assert_int_equal(dnload(&r, 3, payload16, 16), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        r.now += 20000;
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.rp.busy_us, 0);
        assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
        abort_req(&r);
        dfuse_set_address(&r, 0x08000000);
        abort_req(&r);
        assert_int_equal(upload(&r, 2, 16), DFS_EMU_ACK);
        assert_memory_equal(r.in, payload16, 16);
        rig_free(&r);
    }
}

static void zero_poll_timeout(void **state)
{
    (void)state;
    static const char *const o[] = {"zero-poll-timeout=1"};
    struct rig r;
    rig_new(&r, "dfuse-device", o, 1);
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_ERASE, 0x08000000), DFS_EMU_ACK);
    int busy = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(poll_ms(&r), 0);
        if (r.in[4] != DFS_STATE_DNBUSY)
            break;
        busy++;
        r.now += 1000;
    }
    assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    assert_true(busy >= 30); /* erase takes 32 ms */
    rig_free(&r);
}

static void short_poll_timeout(void **state)
{
    (void)state;
    static const char *const o[] = {"short-poll-timeout=1"};
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", o, 1);
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_ERASE, 0x08000000), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
    assert_int_equal(poll_ms(&r), 1);
    r.now += 1200; /* honours the 1 ms, but the erase takes 22 ms */
    assert_int_equal(getstatus(&r), DFS_EMU_STALL);
    assert_int_equal(core(&r)->state, DFS_STATE_DNBUSY); /* no dfuERROR: just busy */
    r.now += 25000;
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    rig_free(&r);
}

/* ---- STM32G0C1 memory and option bytes ------------------------------------------- */

static void g0_reads(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", NULL, 0);
    /* UPLOAD block 0: the DfuSe command list */
    assert_int_equal(upload(&r, 0, 16), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 4);
    static const uint8_t cmds[4] = {0x00, 0x21, 0x41, 0x92};
    assert_memory_equal(r.in, cmds, 4);
    /* option bytes: factory FLASH_OPTR and its complement */
    dfuse_set_address(&r, 0x1FFF7800);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 68), DFS_EMU_ACK);
    static const uint8_t optr[8] = {0xaa, 0xfe, 0xff, 0xff, 0x55, 0x01, 0x00, 0x00};
    assert_memory_equal(r.in, optr, 8);
    abort_req(&r);
    /* flash size word: 512 KiB */
    dfuse_set_address(&r, 0x1FFF75E0);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 2), DFS_EMU_ACK);
    assert_int_equal(r.in[0] | r.in[1] << 8, 512);
    abort_req(&r);
    /* a read that runs past the option bytes: dfuERROR/errADDRESS */
    dfuse_set_address(&r, 0x1FFF7870);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 1024), DFS_EMU_STALL);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_ADDRESS);
    /* set address outside memory: errTARGET */
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_SET_ADDRESS, 0x40000000), DFS_EMU_ACK);
    settle(&r);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_TARGET);
    rig_free(&r);
}

static void g0_otp_write_once(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", NULL, 0);
    uint8_t v[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    dfuse_set_address(&r, 0x1FFF7000);
    assert_int_equal(dnload(&r, 2, v, 8), DFS_EMU_ACK);
    settle(&r);
    assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    abort_req(&r);
    dfuse_set_address(&r, 0x1FFF7000);
    v[0] = 0x00; /* programmed cells do not change again */
    assert_int_equal(dnload(&r, 2, v, 8), DFS_EMU_ACK);
    settle(&r);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_PROG);
    rig_free(&r);
}

/* The seed: 4 bytes into FLASH_SECR; the GETSTATUS after it STALLs, the
 * device stays silent and then leaves the bus. */
static void ob_write(struct rig *r)
{
    uint8_t v[4] = {0x10, 0, 0, 0};
    dfuse_set_address(r, 0x1FFF7870);
    assert_int_equal(dnload(r, 2, v, 4), DFS_EMU_ACK);
    assert_int_equal(getstatus(r), DFS_EMU_STALL);
}

static int64_t ob_write_returns(const char *const *opts, size_t n)
{
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", opts, n);
    ob_write(&r);
    int64_t back = r.rp.return_after_us;
    rig_free(&r);
    return back;
}

static void g0_option_byte_reset(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", NULL, 0);
    uint64_t t = r.now;
    ob_write(&r);
    assert_true(r.rp.leave_at_us >= (int64_t)t);
    assert_int_equal(r.rp.leave_at_us - (int64_t)r.now, 200000); /* reset-ms */
    assert_int_equal(r.rp.return_after_us, DFS_EMU_NEVER);      /* as in the seed */
    /* everything after it STALLs too (the seed's second LIBUSB_ERROR_PIPE) */
    assert_int_equal(getstatus(&r), DFS_EMU_STALL);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0100, 0, 18, NULL), DFS_EMU_STALL);
    /* the option bytes were written before the reset */
    assert_int_equal(core(&r)->regions[3].mem[0x70], 0x10);
    /* back in DFU mode after power-on, option bytes kept */
    r.dev.model->attach(r.dev.state, r.now + 2000000);
    assert_int_equal(req(&r, 0x00, DFS_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), DFS_EMU_ACK);
    dfuse_set_address(&r, 0x1FFF7870);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 4), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 0x10);
    rig_free(&r);

    static const char *const bus_error[] = {"reset-answer=bus-error"};
    rig_new(&r, "stm32g0c1-bootloader", bus_error, 1);
    uint8_t v[4] = {0x10, 0, 0, 0};
    dfuse_set_address(&r, 0x1FFF7870);
    assert_int_equal(dnload(&r, 2, v, 4), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_BUS_ERROR);
    rig_free(&r);
}

static void g0_after_ob_reset(void **state)
{
    (void)state;
    static const char *const dfu[] = {"after-ob-reset=dfu", "return-ms=1500"};
    assert_int_equal(ob_write_returns(dfu, 2), 1500000);
    /* boot-config: factory options select the BOOT0 pin; pin low and an
     * empty flash: the empty check enters the bootloader */
    static const char *const bc_empty[] = {"after-ob-reset=boot-config"};
    assert_int_equal(ob_write_returns(bc_empty, 1), 1000000);
    /* pin low, an application in flash: it runs, no DFU */
    static const char *const bc_app[] = {"after-ob-reset=boot-config", "flash=app"};
    assert_int_equal(ob_write_returns(bc_app, 2), DFS_EMU_NEVER);
    /* pin high, nBOOT1 = 1: system memory */
    static const char *const bc_pin[] = {"after-ob-reset=boot-config", "flash=app",
                                         "boot0-pin=1"};
    assert_int_equal(ob_write_returns(bc_pin, 3), 1000000);

    /* BOOT_LOCK written: boot forced to the main flash */
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", bc_empty, 1);
    uint8_t v[4] = {0x00, 0x00, 0x01, 0x00};
    dfuse_set_address(&r, 0x1FFF7870);
    assert_int_equal(dnload(&r, 2, v, 4), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_STALL);
    assert_int_equal(r.rp.return_after_us, DFS_EMU_NEVER);
    rig_free(&r);
}

static void g0_ob_write_rejected(void **state)
{
    (void)state;
    static const char *const o[] = {"ob-write=reject"};
    struct rig r;
    rig_new(&r, "stm32g0c1-bootloader", o, 1);
    uint8_t v[4] = {0x10, 0, 0, 0};
    dfuse_set_address(&r, 0x1FFF7870);
    assert_int_equal(dnload(&r, 2, v, 4), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
    assert_int_equal(r.rp.leave_at_us, DFS_EMU_NEVER);
    r.now += (uint64_t)poll_ms(&r) * 1000;
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_WRITE);
    assert_int_equal(core(&r)->regions[3].mem[0x70], 0x00); /* unchanged */
    rig_free(&r);
}

/* ---- the correct DfuSe device -------------------------------------------------------- */

static void dfuse_alternate_settings(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "dfuse-device", NULL, 0);
    /* alt 0 reaches the flash only */
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_SET_ADDRESS, 0x1FFF7800), DFS_EMU_ACK);
    settle(&r);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_TARGET);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
    /* alt 1: the option bytes */
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 1, 0, 0, NULL), DFS_EMU_ACK);
    dfuse_set_address(&r, 0x1FFF7800);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 4), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 0xed);
    abort_req(&r);
    /* alt 3: the device feature word */
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 3, 0, 0, NULL), DFS_EMU_ACK);
    dfuse_set_address(&r, 0xFFFF0000);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 4), DFS_EMU_ACK);
    rig_free(&r);
}

static void dfuse_leave(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "dfuse-device", NULL, 0);
    dfuse_set_address(&r, 0x08000000);
    assert_int_equal(dnload(&r, 2, NULL, 0), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_MANIFEST);
    assert_true(r.rp.leave_at_us > (int64_t)r.now);
    assert_int_equal(r.rp.return_after_us, DFS_EMU_NEVER);
    assert_int_equal(getstatus(&r), DFS_EMU_BUS_ERROR); /* it jumped away */
    rig_free(&r);

    static const char *const o[] = {"after-leave=dfu"};
    rig_new(&r, "dfuse-device", o, 1);
    dfuse_set_address(&r, 0x08000000);
    assert_int_equal(dnload(&r, 2, NULL, 0), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.rp.return_after_us, 500000);
    rig_free(&r);
}

/* ---- the plain DFU 1.1 device --------------------------------------------------------- */

static void dfu11_download_upload(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "dfu11-device", NULL, 0);
    uint8_t image[3000];
    dfs_emu__fill_pattern(image, sizeof image, 7);
    for (uint16_t block = 0, off = 0; off < sizeof image; block++, off += 1024) {
        uint16_t n = sizeof image - off < 1024 ? (uint16_t)(sizeof image - off) : 1024;
        assert_int_equal(dnload(&r, block, image + off, n), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        assert_int_equal(poll_ms(&r), 10);
        r.now += 10000;
        settle(&r);
        assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    }
    assert_int_equal(dnload(&r, 3, NULL, 0), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_MANIFEST);
    r.now += 20000;
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE); /* manifestation tolerant */
    uint8_t back[4096];
    uint32_t got = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(upload(&r, (uint16_t)i, 1024), DFS_EMU_ACK);
        memcpy(back + got, r.in, r.rp.len);
        got += r.rp.len;
        if (r.rp.len < 1024)
            break;
    }
    assert_int_equal(got, sizeof image);
    assert_memory_equal(back, image, sizeof image);
    assert_int_equal(core(&r)->state, DFS_STATE_DFU_IDLE); /* short block ended it */
    /* the descriptor says DFU 1.1 */
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 255, NULL), DFS_EMU_ACK);
    assert_int_equal(r.in[r.rp.len - 9], 9);
    assert_int_equal(r.in[r.rp.len - 8], DFS_DT_DFU_FUNCTIONAL);
    assert_int_equal(r.in[r.rp.len - 2] | r.in[r.rp.len - 1] << 8, DFS_DFU_VERSION_1_1);
    rig_free(&r);
}

/* ---- the other memory map of dfuse-device ----------------------------------------- */

/* dfuse-device memory-map=f4: the memories where an STM32F401 has them,
 * each reached through its own alternate setting. */
static void dfuse_f4_memory_map(void **state)
{
    (void)state;
    static const char *const o[] = {"memory-map=f4"};
    struct rig r;
    rig_new(&r, "dfuse-device", o, 1);
    static const struct {
        uint8_t index;
        const char *text;
    } names[] = {{4, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,01*128Kg"},
                 {5, "@Option Bytes  /0x1FFFC000/01*016 e"},
                 {6, "@OTP Memory /0x1FFF7800/01*512 e,01*016 e"},
                 {7, "@Device Feature/0xFFFF0000/01*004 e"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0300 | names[i].index, 0x0409,
                             255, NULL),
                         DFS_EMU_ACK);
        size_t n = strlen(names[i].text);
        assert_int_equal(r.rp.len, 2 + 2 * n);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(r.in[2 + 2 * k], (uint8_t)names[i].text[k]);
    }
    /* each sector size of the flash, from alternate setting 0 */
    static const uint32_t starts[] = {0x08000000, 0x0800C000, 0x08010000, 0x08020000};
    for (size_t i = 0; i < 4; i++) {
        dfuse_set_address(&r, starts[i]);
        assert_int_equal(r.in[0], DFS_STATUS_OK);
        abort_req(&r);
        assert_int_equal(upload(&r, 2, 16), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 16);
        abort_req(&r);
    }
    /* 0x1FFF7800 is OTP here, on alternate setting 2 only */
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_SET_ADDRESS, 0x1FFF7800), DFS_EMU_ACK);
    settle(&r);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_TARGET);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 2, 0, 0, NULL), DFS_EMU_ACK);
    dfuse_set_address(&r, 0x1FFF7800);
    assert_int_equal(r.in[0], DFS_STATUS_OK);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 528), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 528);
    abort_req(&r);
    /* the option bytes at 0x1FFFC000 on alternate setting 1 */
    assert_int_equal(req(&r, 0x01, DFS_REQ_SET_INTERFACE, 1, 0, 0, NULL), DFS_EMU_ACK);
    dfuse_set_address(&r, 0x1FFFC000);
    abort_req(&r);
    assert_int_equal(upload(&r, 2, 16), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 0xED);
    assert_int_equal(r.in[1], 0xAA);
    rig_free(&r);
}

/* ---- options ------------------------------------------------------------------------ */

static void options(void **state)
{
    (void)state;
    const struct dfs_emu_model *m = dfs_emu_model_find("stm32g0c1-bootloader");
    struct dfs_emu_device d;
    char err[600];
    static const char *const bad[][1] = {
        {"nosuch=1"}, {"reset-ms=-1"}, {"reset-ms=10001"}, {"reset-ms=1x"},
        {"after-ob-reset=maybe"}, {"zero-poll-timeout=2"}, {"serial"}, {"reset-ms"},
    };
    static const char *const why[] = {"unknown option 'nosuch'", "number from 0 to 10000",
                                      "number from 0 to 10000", "number from 0 to 10000",
                                      "one of gone|dfu|boot-config", "takes 0 or 1",
                                      "needs a value", "needs a value"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(dfs_emu_device_new(m, bad[i], 1, &d, err, sizeof err), DFS_OK);
        if (!strstr(err, why[i]))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], err, why[i]);
    }
    static const char *const good[] = {"reset-ms=0x10", "serial=ABC", "boot0-pin=on",
                                       "short-poll-timeout"};
    assert_int_equal(dfs_emu_device_new(m, good, 4, &d, err, sizeof err), DFS_OK);
    dfs_emu_device_free(&d);
    assert_null(dfs_emu_model_find("nosuch"));
    size_t n;
    dfs_emu_models(&n);
    assert_int_equal(n, 10);
    char text[8192];
    dfs_emu_model_describe(m, text, sizeof text);
    assert_non_null(strstr(text, "after-ob-reset=gone|dfu|boot-config"));
    assert_non_null(strstr(text, "faulty variants"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_descriptors),
        cmocka_unit_test(chapter9_requests),
        cmocka_unit_test(dfu11_state_table),
        cmocka_unit_test(dfuse_state_table),
        cmocka_unit_test(dfuse_erase_timing),
        cmocka_unit_test(dfuse_hold_getstatus),
        cmocka_unit_test(zero_poll_timeout),
        cmocka_unit_test(short_poll_timeout),
        cmocka_unit_test(g0_reads),
        cmocka_unit_test(g0_otp_write_once),
        cmocka_unit_test(g0_option_byte_reset),
        cmocka_unit_test(g0_after_ob_reset),
        cmocka_unit_test(g0_ob_write_rejected),
        cmocka_unit_test(dfuse_alternate_settings),
        cmocka_unit_test(dfuse_leave),
        cmocka_unit_test(dfu11_download_upload),
        cmocka_unit_test(dfuse_f4_memory_map),
        cmocka_unit_test(options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
