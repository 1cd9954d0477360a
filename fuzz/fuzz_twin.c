/* Fuzz target: the twin of a captured device (fixtures/models/twin*.c), the
 * way `dfuscope emulate --from-capture` builds it: a capture file read by
 * the capture reader, decoded, collected by the twin's sink, the device
 * chosen and built; then driven like a host would (descriptors, the DFU
 * requests of a DfuSe and a DFU 1.1 session, a leave and the return).
 *
 * Input: a capture file, as is.
 *
 * Properties checked: building ends with DFS_OK or DFS_E_NOTFOUND (with a
 * message naming the file); the device memory stays within the bound it
 * was given; every reply is within wLength; the made-up list and the notes
 * are terminated strings; the collected data is bounded by the twin's
 * limits; nothing leaks (ASan).
 */
#include "fuzz.h"

#include "dfuscope/capture.h"
#include "dfuscope/emulator.h"
#include "twin.h"

#define NAME "fuzz.pcap"
#define MEMORY (1u << 20)

static void request(struct dfs_emu_device *dev, uint64_t *now, uint8_t rt, uint8_t req,
                    uint16_t wValue, uint16_t wIndex, uint16_t wLength, const uint8_t *out)
{
    static uint8_t in[4096];
    struct dfs_emu_request rq = {
        .setup = {rt, req, wValue, wIndex, wLength},
        .data = (rt & 0x80) ? NULL : out,
        .now_us = *now,
    };
    struct dfs_emu_reply rp = {.data = in};
    dfs_emu_device_control(dev, &rq, &rp);
    FUZZ_CHECK(rp.len <= wLength);
    if (rp.leave_at_us != DFS_EMU_NEVER) {
        FUZZ_CHECK(rp.leave_at_us >= (int64_t)*now);
        if (rp.return_after_us != DFS_EMU_NEVER)
            dev->model->attach(dev->state, (uint64_t)(rp.leave_at_us + rp.return_after_us));
    }
    *now += 1000 + (uint64_t)rp.busy_us + rp.wait_ms * 1000ull;
}

static void dfu(struct dfs_emu_device *dev, uint64_t *now, uint8_t req, uint16_t wValue,
                uint16_t wLength, const uint8_t *out)
{
    request(dev, now, (uint8_t)((req == 0 || req == 1 || req == 4 || req == 6) ? 0x21 : 0xa1), req,
            wValue, 0, wLength, out);
}

static void drive(struct dfs_emu_device *dev)
{
    static uint8_t block[2048];
    uint64_t now = 1000000;
    dev->model->attach(dev->state, now);
    dev->model->bus_reset(dev->state, now);
    request(dev, &now, 0x80, 6, 0x0100, 0, 64, NULL);
    request(dev, &now, 0x80, 6, 0x0200, 0, 255, NULL);
    for (uint16_t i = 0; i < 10; i++)
        request(dev, &now, 0x80, 6, (uint16_t)(0x0300 | i), 0x0409, 255, NULL);
    request(dev, &now, 0x80, 6, 0x0600, 0, 10, NULL);
    request(dev, &now, 0x00, 9, 1, 0, 0, NULL);
    request(dev, &now, 0x01, 11, 0, 0, 0, NULL);
    request(dev, &now, 0xc0, 0x42, 0, 0, 8, NULL);
    dfu(dev, &now, 3, 0, 6, NULL);                   /* GETSTATUS */
    dfu(dev, &now, 4, 0, 0, NULL);                   /* CLRSTATUS */
    dfu(dev, &now, 5, 0, 1, NULL);                   /* GETSTATE */
    static const uint32_t places[] = {0x08000000u, 0x1FFF7800u, 0x1FFF7870u, 0x20000000u};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        uint8_t cmd[5] = {0x21, (uint8_t)places[i], (uint8_t)(places[i] >> 8),
                          (uint8_t)(places[i] >> 16), (uint8_t)(places[i] >> 24)};
        dfu(dev, &now, 1, 0, 5, cmd);                /* SET_ADDRESS */
        dfu(dev, &now, 3, 0, 6, NULL);
        dfu(dev, &now, 3, 0, 6, NULL);
        cmd[0] = 0x41;
        dfu(dev, &now, 1, 0, 5, cmd);                /* ERASE */
        dfu(dev, &now, 3, 0, 6, NULL);
        dfu(dev, &now, 3, 0, 6, NULL);
        dfu(dev, &now, 1, 2, 64, block);             /* a data block */
        dfu(dev, &now, 3, 0, 6, NULL);
        dfu(dev, &now, 3, 0, 6, NULL);
        dfu(dev, &now, 6, 0, 0, NULL);               /* ABORT */
        dfu(dev, &now, 2, 2, 1024, NULL);            /* UPLOAD */
        dfu(dev, &now, 2, 3, 2048, NULL);
        dfu(dev, &now, 6, 0, 0, NULL);
        dfu(dev, &now, 4, 0, 0, NULL);
    }
    dfu(dev, &now, 2, 0, 4096, NULL);                /* DFU 1.1 upload, DfuSe commands */
    dfu(dev, &now, 2, 1, 4096, NULL);
    dfu(dev, &now, 1, 0, 0, NULL);                   /* leave / end of download */
    dfu(dev, &now, 3, 0, 6, NULL);
    dfu(dev, &now, 3, 0, 6, NULL);
    request(dev, &now, 0x80, 6, 0x0100, 0, 18, NULL);
}

static void build(const uint8_t *data, size_t size, bool strict)
{
    uint8_t *copy = fuzz_dup(data, size);
    FILE *fp = fmemopen(copy, size, "rb");
    if (!fp) {
        free(copy);
        return;
    }
    struct dfs_capreader_options opt = {.max_record = 1u << 16};
    dfs_capreader *r = NULL;
    char err[1024];
    if (dfs_capreader_open_stream(fp, NAME, &opt, &r, err, sizeof err) != DFS_OK) {
        fclose(fp);
        free(copy);
        return;
    }
    struct dfs_emu_twin_config cfg = {.source = NAME, .strict = strict, .max_memory = MEMORY};
    dfs_emu_twin *t = NULL;
    FUZZ_CHECK(dfs_emu_twin_new(&cfg, &t) == DFS_OK);
    struct dfs_sink sink;
    dfs_emu_twin_sink(t, &sink);
    struct dfs_options dopt;
    dfs_options_init(&dopt);
    dfs_decoder *d = NULL;
    FUZZ_CHECK(dfs_decoder_new(&dopt, &sink, &d) == DFS_OK);
    struct dfs_record rec;
    while (dfs_capreader_next(r, &rec) == DFS_CAP_RECORD) {
        dfs_result fr = dfs_decoder_feed(d, &rec);
        FUZZ_CHECK(fr == DFS_OK || fr == DFS_E_LINKTYPE);
    }
    FUZZ_CHECK(dfs_decoder_finish(d) == DFS_OK);
    dfs_decoder_free(d);
    dfs_capreader_close(r);
    fclose(fp);
    free(copy);

    FUZZ_CHECK(t->n_inst <= TWIN_MAX_INSTANCES);
    for (size_t i = 0; i < t->n_inst; i++) {
        FUZZ_CHECK(t->inst[i]->n_answers <= TWIN_MAX_ANSWERS);
        FUZZ_CHECK(t->inst[i]->extent_bytes <= TWIN_EXTENT_BYTES);
        FUZZ_CHECK(t->inst[i]->n_rules <= TWIN_MAX_RULES);
    }
    err[0] = '\0';
    dfs_result b = dfs_emu_twin_build(t, err, sizeof err);
    FUZZ_CHECK(b == DFS_OK || b == DFS_E_NOTFOUND);
    if (b == DFS_OK) {
        FUZZ_CHECK(t->memory <= MEMORY);
        struct dfs_emu_device dev;
        dfs_emu_twin_device(t, &dev);
        drive(&dev);
        char buf[4096], what[4096];
        dfs_emu_twin_made_up(t, buf, sizeof buf);
        FUZZ_CHECK(fuzz_terminated(buf, sizeof buf));
        dfs_emu_twin_describe(t, what, sizeof what);
        FUZZ_CHECK(fuzz_terminated(what, sizeof what));
        FUZZ_CHECK(fuzz_terminated(dfs_emu_twin_notes(t), 4096));
    } else {
        FUZZ_CHECK(strncmp(err, NAME ": ", strlen(NAME) + 2) == 0);
    }
    dfs_emu_twin_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    build(data, size, false);
    build(data, size, true);
    return 0;
}
