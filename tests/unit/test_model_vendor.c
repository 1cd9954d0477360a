/* Device models of vendor DFU stacks that do not follow the DFU 1.1 state
 * tables: st-middleware-dfu (ST's USB device middleware, dfu-quirks R15-R18),
 * each deviation and its switch, and zephyr-mcuboot (Zephyr's USB DFU class
 * with MCUboot's slots, dfu-quirks R29), and esp32s2-rom (the ESP32-S2 ROM's
 * download mode, dfu-quirks R26). The expected answers come from the
 * middleware's and Zephyr's documented behaviour (usbd_dfu.c and
 * usb_dfu.c as dfu-quirks.md describes them), from the ESP32-S2 ROM's code
 * and data as docs/quirks.md describes them, RFC 1321's MD5 test vectors,
 * and DFU 1.1 for the switched-off variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model_rig.h"

static void st_model(struct rig *r, const char *opt)
{
    const char *o[] = {opt};
    rig_new(r, "st-middleware-dfu", opt ? o : NULL, opt ? 1 : 0);
}

/* R15: CLRSTATUS in dfuIDLE is ACKed and leads to dfuERROR/errUNKNOWN; with
 * clrstatus-error=0 it is STALLed (dfuERROR/errSTALLEDPKT). */
static void st_clrstatus(void **state)
{
    (void)state;
    for (int on = 1; on >= 0; on--) {
        struct rig r;
        st_model(&r, on ? NULL : "clrstatus-error=0");
        assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                         on ? DFS_EMU_ACK : DFS_EMU_STALL);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_ERROR);
        assert_int_equal(r.in[0], on ? DFS_STATUS_ERR_UNKNOWN : DFS_STATUS_ERR_STALLEDPKT);
        assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                         DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE);
        rig_free(&r);
    }
}

/* R16: UPLOAD block 1 STALLs and bState reads 15; R18: a DNLOAD in
 * dfuUPLOAD-IDLE is STALLed and the state stays. Both switched off: dfuERROR. */
static void st_upload_and_stall(void **state)
{
    (void)state;
    struct rig r;
    st_model(&r, NULL);
    assert_int_equal(upload(&r, 1, 1024), DFS_EMU_STALL);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], 15);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_STALLEDPKT);
    abort_req(&r); /* ABORT is ACKed but does not leave that state */
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], 15);
    rig_free(&r);

    st_model(&r, "upload-block1-state=0");
    assert_int_equal(upload(&r, 1, 1024), DFS_EMU_STALL);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    rig_free(&r);

    for (int on = 1; on >= 0; on--) {
        st_model(&r, on ? NULL : "stall-keeps-state=0");
        assert_int_equal(upload(&r, 2, 1024), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 1024); /* never short: it reads what is there */
        uint8_t b[16] = {0};
        assert_int_equal(dnload(&r, 2, b, sizeof b), DFS_EMU_STALL);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], on ? DFS_STATE_UPLOAD_IDLE : DFS_STATE_ERROR);
        rig_free(&r);
    }
}

/* The command list is 00 21 41; R17: a 1-byte 0x41 is answered dfuDNBUSY
 * (50 ms) then dfuDNLOAD-IDLE and erases nothing; with mass-erase-ignored=0
 * it erases, and takes its time (the next request is NAKed). */
static void st_mass_erase(void **state)
{
    (void)state;
    for (int on = 1; on >= 0; on--) {
        struct rig r;
        static const char *const o[] = {"flash=app", "mass-erase-ignored=0"};
        rig_new(&r, "st-middleware-dfu", o, on ? 1 : 2);
        assert_int_equal(upload(&r, 0, 16), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, on ? 3 : 4);
        static const uint8_t cmds[] = {0x00, 0x21, 0x41, 0x92};
        assert_memory_equal(r.in, cmds, r.rp.len);
        uint8_t one = DFS_DFUSE_ERASE;
        assert_int_equal(dnload(&r, 0, &one, 1), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        assert_int_equal(poll_ms(&r), 50);
        r.now += 50000;
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
        assert_true(on ? r.rp.busy_us == 0 : r.rp.busy_us > 1000000);
        struct dfs_emu__region *app = dfs_emu__region_at(core(&r), 0x0800C000u);
        assert_non_null(app);
        assert_int_equal(app->mem[0] == 0xff, !on);
        rig_free(&r);
    }
}

/* A sector erase takes 250 ms inside the interrupt handler: the GETSTATUS
 * 50 ms later is NAKed until then. A write over data that is not erased
 * fails, and the device stays in dfuDNBUSY (USBD_FAIL). */
static void st_erase_and_write(void **state)
{
    (void)state;
    struct rig r;
    st_model(&r, "flash=app");
    assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_ERASE, 0x0800C000u), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
    r.now += 50000;
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.rp.busy_us, 200000);
    assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    r.now += 200000;
    uint8_t block[1024];
    memset(block, 0x5a, sizeof block);
    assert_int_equal(dnload(&r, 2, block, sizeof block), DFS_EMU_ACK);
    settle(&r);
    assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
    rig_free(&r);

    st_model(&r, "flash=app");
    dfuse_set_address(&r, 0x0800C000u);
    assert_int_equal(dnload(&r, 2, block, sizeof block), DFS_EMU_ACK);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        r.now += 50000;
    }
    rig_free(&r);
}

/* The leave: dfuMANIFEST, then the chip resets (not manifestation tolerant). */
static void st_leave(void **state)
{
    (void)state;
    struct rig r;
    st_model(&r, NULL);
    dfuse_set_address(&r, 0x0800C000u);
    assert_int_equal(dnload(&r, 2, NULL, 0), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_MANIFEST);
    assert_true(r.rp.leave_at_us > 0);
    assert_int_equal(r.rp.return_after_us, DFS_EMU_NEVER);
    assert_true(core(&r)->resetting);
    rig_free(&r);
}

static enum dfs_emu_answer set_alt(struct rig *r, uint16_t alt)
{
    return req(r, DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_INTERFACE, DFS_REQ_SET_INTERFACE, alt,
               0, 0, NULL);
}

/* R29: a DNLOAD on alt 0 is ACKed (no STALL) and leaves dfuERROR/errWRITE;
 * CLRSTATUS returns to dfuIDLE. */
static void zephyr_alt0(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "zephyr-mcuboot", NULL, 0);
    assert_int_equal(set_alt(&r, 0), DFS_EMU_ACK);
    uint8_t block[1024] = {1, 2, 3};
    assert_int_equal(dnload(&r, 0, block, sizeof block), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_WRITE);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                     DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE);
    rig_free(&r);
}

/* alt 1: the first block erases the slot (16 pages of 25 ms) while
 * GETSTATUS says dfuDNBUSY with 8 ms; the zero-length DNLOAD flushes, and
 * after it dfuIDLE (manifestation tolerant), or dfuMANIFEST-WAIT-RESET and a
 * reboot with reboot=1. Upload is off by default. */
static void zephyr_alt1(void **state)
{
    (void)state;
    for (int reboot = 0; reboot <= 1; reboot++) {
        static const char *const o[] = {"reboot=1"};
        struct rig r;
        rig_new(&r, "zephyr-mcuboot", o, (size_t)reboot);
        assert_int_equal(set_alt(&r, 1), DFS_EMU_ACK);
        uint8_t block[1024];
        memset(block, 0xa5, sizeof block);
        assert_int_equal(dnload(&r, 0, block, sizeof block), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        assert_int_equal(poll_ms(&r), 8);
        r.now += 390000;
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        r.now += 20000;
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
        assert_int_equal(dnload(&r, 1, NULL, 0), DFS_EMU_ACK);
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
        r.now += 100000;
        assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], reboot ? DFS_STATE_MANIFEST_WAIT_RESET : DFS_STATE_DFU_IDLE);
        assert_int_equal(r.rp.leave_at_us > 0, reboot);
        if (!reboot)
            assert_int_equal(upload(&r, 0, 1024), DFS_EMU_STALL);
        rig_free(&r);
    }
}

/* upload=1: the slot of the alternate setting, blocks in sequence from 0; a
 * block out of sequence STALLs with dfuERROR/errUNKNOWN. DETACH in DFU mode
 * STALLs and leaves appIDLE, where a second DETACH re-attaches. */
static void zephyr_upload_detach(void **state)
{
    (void)state;
    static const char *const o[] = {"upload=1", "slot-kib=8"};
    struct rig r;
    rig_new(&r, "zephyr-mcuboot", o, 2);
    assert_int_equal(set_alt(&r, 0), DFS_EMU_ACK);
    for (uint16_t b = 0; b < 8; b++) {
        assert_int_equal(upload(&r, b, 1024), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 1024);
    }
    assert_int_equal(upload(&r, 8, 1024), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 0);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE);
    assert_int_equal(upload(&r, 3, 1024), DFS_EMU_STALL);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_UNKNOWN);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DETACH, 100, 0, 0, NULL),
                     DFS_EMU_STALL);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, 0, NULL), DFS_EMU_STALL);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_APP_IDLE);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DETACH, 100, 0, 0, NULL),
                     DFS_EMU_ACK);
    assert_int_equal(r.rp.return_after_us, 10000);
    rig_free(&r);
}

/* ---- esp32s2-rom ---- */

#define ESP_OUT (DFS_REQTYPE_CLASS | DFS_REQTYPE_RECIP_INTERFACE)
#define ESP_IN (DFS_REQTYPE_DIR_IN | ESP_OUT)

static enum dfs_emu_answer esp_req(struct rig *r, uint8_t type, uint8_t bRequest,
                                   uint16_t wValue, uint16_t wLength, const uint8_t *out)
{
    return req(r, type, bRequest, wValue, 2, wLength, out); /* the DFU interface is 2 */
}

static void esp_status(struct rig *r, uint8_t state, uint8_t status)
{
    assert_int_equal(esp_req(r, ESP_IN, DFS_DFU_GETSTATUS, 0, 6, NULL), DFS_EMU_ACK);
    assert_int_equal(r->in[4], state);
    assert_int_equal(r->in[0], status);
    assert_int_equal(r->in[1] | r->in[2] << 8 | r->in[3] << 16, 256); /* always 256 ms */
}

/* Download p in 64-byte blocks, then the zero-length DNLOAD. */
static void esp_download(struct rig *r, const uint8_t *p, size_t n)
{
    uint16_t block = 0;
    for (size_t off = 0; off < n; off += 64, block++) {
        uint16_t k = (uint16_t)(n - off < 64 ? n - off : 64);
        assert_int_equal(esp_req(r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, block, k, p + off),
                         DFS_EMU_ACK);
        assert_int_equal(esp_req(r, ESP_IN, DFS_DFU_GETSTATUS, 0, 6, NULL), DFS_EMU_ACK);
        if (r->in[4] != DFS_STATE_DNLOAD_IDLE)
            return; /* the archive failed: the caller looks at the state */
    }
    assert_int_equal(esp_req(r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, block, 0, NULL),
                     DFS_EMU_ACK);
}

/* One newc member appended at a[*n]. */
static void cpio_add(uint8_t *a, size_t *n, const char *name, const uint8_t *p, uint32_t len)
{
    char h[111];
    snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u,
             0100644u, 0u, 0u, 1u, 0u, len, 0u, 0u, 0u, 0u, (unsigned)strlen(name) + 1, 0u);
    memcpy(a + *n, h, 110);
    *n += 110;
    memcpy(a + *n, name, strlen(name) + 1);
    *n += strlen(name) + 1;
    while (*n % 4)
        a[(*n)++] = 0;
    if (len)
        memcpy(a + *n, p, len);
    *n += len;
    while (*n % 4)
        a[(*n)++] = 0;
}

/* dfuinfo0.dat's entry: address, flags, 64-byte name, MD5. */
static void info_entry(uint8_t *e, uint32_t addr, uint32_t flags, const char *name,
                       const uint8_t md5[16])
{
    memset(e, 0, 88);
    for (int i = 0; i < 4; i++) {
        e[i] = (uint8_t)(addr >> (8 * i));
        e[4 + i] = (uint8_t)(flags >> (8 * i));
    }
    memcpy(e + 8, name, strlen(name));
    memcpy(e + 72, md5, 16);
}

/* RFC 1321's test vector: MD5("abc") */
static const uint8_t md5_abc[16] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
                                    0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72};

/* An archive of dfuinfo0.dat and "app.bin" ("abc" at 0x10000), padded to
 * 1024 bytes; md5 is what dfuinfo0.dat says of it; with_app false leaves
 * the file out. */
static size_t esp_archive(uint8_t *a, const uint8_t md5[16], bool with_app)
{
    uint8_t info[88];
    info_entry(info, 0x10000, 0, "app.bin", md5);
    size_t n = 0;
    cpio_add(a, &n, "dfuinfo0.dat", info, sizeof info);
    if (with_app)
        cpio_add(a, &n, "app.bin", (const uint8_t *)"abc", 3);
    cpio_add(a, &n, "TRAILER!!!", NULL, 0);
    memset(a + n, 0, 1024 - n);
    return 1024;
}

/* The run-time device: interface 2 protocol 1, GETSTATUS appIDLE with
 * 256 ms, DNLOAD STALLed; a DETACH takes it off the bus inside the request
 * (no status stage) and it comes back 10 ms later with protocol 2, in
 * dfuIDLE after the first USB reset. */
static void esp_detach(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "esp32s2-rom", NULL, 0);
    struct dfs_emu__dev *d = core(&r);
    assert_int_equal(d->config_len, 93);
    assert_int_equal(d->config[77], 2);    /* bInterfaceNumber of the DFU interface */
    assert_int_equal(d->config[82], 1);    /* run-time protocol */
    assert_int_equal(d->config[86], 0x0f); /* bmAttributes */
    assert_int_equal(d->config[87] | d->config[88] << 8, 700);
    assert_int_equal(d->config[89] | d->config[90] << 8, 64);
    esp_status(&r, DFS_STATE_APP_IDLE, DFS_STATUS_OK);
    uint8_t b[64] = {0};
    assert_int_equal(esp_req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 0, 64, b), DFS_EMU_STALL);
    assert_int_equal(esp_req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DETACH, 1000, 0, NULL),
                     DFS_EMU_BUS_ERROR);
    assert_int_equal(r.rp.leave_at_us, (int64_t)r.now);
    assert_int_equal(r.rp.return_after_us, 10000);
    struct dfs_emu_device *dev = &r.dev;
    dev->model->attach(dev->state, r.now + 20000);
    dev->model->bus_reset(dev->state, r.now + 30000);
    assert_int_equal(d->config[82], 2); /* DFU mode */
    assert_int_equal(req(&r, 0x00, DFS_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), DFS_EMU_ACK);
    esp_status(&r, DFS_STATE_DFU_IDLE, DFS_STATUS_OK);
    /* a USB reset now restarts the ROM: it leaves and comes back run-time */
    dev->model->bus_reset(dev->state, r.now);
    assert_int_equal(esp_req(&r, ESP_IN, DFS_DFU_GETSTATUS, 0, 6, NULL), DFS_EMU_BUS_ERROR);
    assert_true(r.rp.leave_at_us >= 0);
    dev->model->attach(dev->state, r.now + 400000);
    assert_int_equal(d->config[82], 1);
    rig_free(&r);
}

/* start=dfu, over an older firmware: a good archive (dfuIDLE after the
 * zero-length DNLOAD, status OK, the file in the flash with the rest of its
 * 4 KiB sector erased: UPLOAD reads it back), a wrong MD5
 * (errFIRMWARE), a listed file that never came (errTARGET), a download that
 * is no archive (written raw from address 0); CLRSTATUS clears the error,
 * ABORT does not. */
static void esp_archives(void **state)
{
    (void)state;
    static const char *const o[] = {"start=dfu", "flash=firmware"};
    uint8_t a[1024], bad[16];
    memset(bad, 0x11, sizeof bad);
    struct rig r;
    rig_new(&r, "esp32s2-rom", o, 2);
    esp_status(&r, DFS_STATE_DFU_IDLE, DFS_STATUS_OK);
    esp_download(&r, a, esp_archive(a, md5_abc, true));
    esp_status(&r, DFS_STATE_DFU_IDLE, DFS_STATUS_OK);
    /* UPLOAD from address 0 in 64-byte blocks: block 1024 starts at 0x10000 */
    assert_int_equal(esp_req(&r, ESP_IN, DFS_DFU_UPLOAD, 0, 64, NULL), DFS_EMU_ACK);
    for (uint16_t blk = 1; blk <= 1024; blk++)
        assert_int_equal(esp_req(&r, ESP_IN, DFS_DFU_UPLOAD, blk, 64, NULL), DFS_EMU_ACK);
    assert_memory_equal(r.in, "abc\xff", 4);
    assert_int_equal(esp_req(&r, ESP_IN, DFS_DFU_UPLOAD, 7, 64, NULL), DFS_EMU_ACK);
    esp_status(&r, DFS_STATE_ERROR, DFS_STATUS_ERR_UNKNOWN); /* out of sequence, no STALL */
    assert_int_equal(esp_req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, NULL),
                     DFS_EMU_ACK);

    esp_download(&r, a, esp_archive(a, bad, true));
    esp_status(&r, DFS_STATE_ERROR, DFS_STATUS_ERR_FIRMWARE);
    assert_int_equal(esp_req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, NULL), DFS_EMU_ACK);
    esp_status(&r, DFS_STATE_ERROR, DFS_STATUS_ERR_FIRMWARE); /* ABORT keeps it */
    assert_int_equal(esp_req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, NULL),
                     DFS_EMU_ACK);
    esp_status(&r, DFS_STATE_DFU_IDLE, DFS_STATUS_OK);

    esp_download(&r, a, esp_archive(a, md5_abc, false));
    esp_status(&r, DFS_STATE_ERROR, DFS_STATUS_ERR_TARGET);
    assert_int_equal(esp_req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, NULL),
                     DFS_EMU_ACK);

    memset(a, 0x5a, 300); /* no archive: raw from 0 */
    esp_download(&r, a, 300);
    esp_status(&r, DFS_STATE_DFU_IDLE, DFS_STATUS_OK);
    assert_int_equal(esp_req(&r, ESP_IN, DFS_DFU_UPLOAD, 0, 64, NULL), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 0x5a);
    assert_int_equal(r.in[63], 0x5a);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(st_clrstatus),
        cmocka_unit_test(st_upload_and_stall),
        cmocka_unit_test(st_mass_erase),
        cmocka_unit_test(st_erase_and_write),
        cmocka_unit_test(st_leave),
        cmocka_unit_test(zephyr_alt0),
        cmocka_unit_test(zephyr_alt1),
        cmocka_unit_test(zephyr_upload_detach),
        cmocka_unit_test(esp_detach),
        cmocka_unit_test(esp_archives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
