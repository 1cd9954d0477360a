/* dfs-gencap: write scripted DFU/DfuSe sessions as usbmon captures, for the
 * integration tests of the commands that read whole captures (report).
 *
 *   dfs-gencap SCENARIO OUT.pcap [N]
 *
 * Scenarios (dfu-facts.md section 4 for the seed):
 *   seed        STM32CubeProgrammer writing SEC_SIZE at 0x1FFF7870 on the
 *               STM32G0C1 bootloader: the GETSTATUS after the DNLOAD stalls,
 *               the chip resets and does not come back within 10 s
 *   seed-back   the same, but the chip re-enumerates in DFU mode 1.2 s later
 *   seed-silent the same as seed, but nothing is recorded after the failure:
 *               only the capture's end time (pcapng) says it went on 10 s
 *   clean       a well-formed DfuSe device: erase, download 8 KiB, read back
 *   dfu11       a plain DFU 1.1 download and upload
 *   faults      early GETSTATUS polls, a GETSTATUS stall with the device
 *               staying on the bus, and CLRSTATUS
 *   hostile     device strings with markup, quotes and control characters
 *   two         two devices at once: a DfuSe download on 1.6 and a DFU 1.1
 *               download on 1.9, their requests interleaved
 *   large [N]   a DfuSe download of N 2 KiB pages (default 340, 680 KiB):
 *               30 transactions a page, so more than 10,000 by default
 *
 * The records go through the decoder as they are written, so a scenario that
 * the decoder would reject aborts here. */
#include <stdio.h>
#include <string.h>

#include "session.h"

static uint8_t block[4096];

static void fill_block(uint32_t seed, uint32_t len)
{
    for (uint32_t i = 0; i < len && i < sizeof block; i++)
        block[i] = (uint8_t)(seed * 31 + i * 7);
}

static void begin(struct sess *s, const struct sess_dev_desc *dd, uint8_t alt)
{
    sess_enumerate(s, dd);
    sess_set_alt(s, alt);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

/* DfuSe: SET_ADDRESS, executed, then ABORT back to dfuIDLE */
static void set_address(struct sess *s, uint32_t addr)
{
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, addr, true);
    sess_execute(s, 5);
    sess_simple(s, DFS_DFU_ABORT, 0);
}

/* DfuSe: read len bytes at addr (one block) the way STM32CubeProgrammer does */
static void cube_read(struct sess *s, uint32_t addr, uint16_t len)
{
    set_address(s, addr);
    fill_block(addr, len);
    sess_upload(s, 2, len, block, len);
    sess_simple(s, DFS_DFU_ABORT, 0);
}

enum seed_end { SEED_GONE, SEED_BACK, SEED_SILENT };

static void seed(struct sess *s, enum seed_end how)
{
    begin(s, &SEED_DEVICE, 0);
    /* connect: device id and flash size */
    set_address(s, 0x08000000);
    set_address(s, 0x08000000);
    cube_read(s, 0x1FFF7800, 68);
    cube_read(s, 0x1FFF7800, 68);
    cube_read(s, 0x1FFF75E0, 4);
    /* option bytes: both banks */
    cube_read(s, 0x1FFF7800, 68);
    cube_read(s, 0x1FFF7870, 4);
    /* 16 s later: -ob SEC_SIZE=0x10 */
    sess_advance_us(s, 16 * 1000000);
    cube_read(s, 0x1FFF7800, 68);
    cube_read(s, 0x1FFF75E0, 4);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x1FFF7870, true);
    sess_execute(s, 5);
    static const uint8_t sec[4] = {0x10, 0x00, 0x00, 0x00};
    sess_dnload(s, 2, sec, 4, 0);
    sess_getstatus_fail(s, -32);
    sess_advance_us(s, 2000);
    sess_getstatus_fail(s, -32);
    if (how == SEED_SILENT) {
        sess_advance_us(s, 10 * 1000000); /* waited for, in vain */
    } else if (how == SEED_BACK) {
        sess_advance_us(s, 1200 * 1000);
        s->dev = 7;
        sess_enumerate(s, &SEED_DEVICE);
        sess_set_alt(s, 0);
        sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
        cube_read(s, 0x1FFF7870, 4);
    } else {
        /* "Reconnecting...": the capture goes on for 10 s, the root hub's
         * port status shows nothing connected */
        uint8_t st[8], ps[4] = {0x00, 0x01, 0x00, 0x00};
        for (int i = 0; i < 10; i++) {
            sess_advance_us(s, 1000000);
            setup8(st, 0xA3, 0, 0, 1, 4);
            sess_ctl_at(s, 1, st, NULL, 0, 0, ps, 4);
        }
    }
}

static void clean(struct sess *s)
{
    begin(s, &GOOD_DFUSE, 0);
    for (uint32_t p = 0; p < 4; p++) {
        sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000 + p * 2048, true);
        sess_execute(s, 25);
    }
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    for (uint16_t b = 0; b < 4; b++) {
        fill_block(b, 2048);
        sess_dnload(s, (uint16_t)(2 + b), block, 2048, 0);
        sess_execute(s, 40);
    }
    sess_simple(s, DFS_DFU_ABORT, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    sess_simple(s, DFS_DFU_ABORT, 0);
    for (uint16_t b = 0; b < 4; b++) {
        fill_block(b, 2048);
        sess_upload(s, (uint16_t)(2 + b), 2048, block, 2048);
    }
    sess_upload(s, 6, 2048, block, 0); /* short: end of upload */
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

static void dfu11(struct sess *s)
{
    begin(s, &GOOD_DFU11, 0);
    static const uint32_t sizes[4] = {256, 256, 256, 100};
    for (uint16_t b = 0; b < 4; b++) {
        fill_block(b, sizes[b]);
        sess_dnload(s, b, block, sizes[b], 0);
        sess_getstatus(s, 0, 10, DFS_STATE_DNBUSY);
        sess_advance_us(s, 10000);
        sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    }
    sess_dnload(s, 4, NULL, 0, 0);
    sess_getstatus(s, 0, 20, DFS_STATE_MANIFEST);
    sess_advance_us(s, 20000);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    for (uint16_t b = 0; b < 4; b++) {
        fill_block(b, sizes[b]);
        sess_upload(s, b, 256, block, sizes[b]);
    }
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

static void faults(struct sess *s)
{
    begin(s, &GOOD_DFUSE, 0);
    /* erase polled after 10 ms of the 100 ms asked for */
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_getstatus(s, 0, 100, DFS_STATE_DNBUSY);
    sess_advance_us(s, 10000);
    sess_getstatus(s, 0, 100, DFS_STATE_DNBUSY);
    sess_advance_us(s, 100000);
    sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    /* a write the device rejects with a STALL, and stays on the bus */
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    fill_block(9, 2048);
    sess_dnload(s, 2, block, 2048, 0);
    sess_getstatus_fail(s, -32);
    sess_advance_us(s, 5000);
    sess_getstatus(s, DFS_STATUS_ERR_STALLEDPKT, 0, DFS_STATE_ERROR);
    sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

static void hostile(struct sess *s)
{
    static const struct sess_dev_desc evil = {
        .vid = 0x0483, .pid = 0xdf11, .bcd_dfu = 0x011a, .xfer = 2048, .attrs = 0x0b,
        .proto = 2,
        .product = "<script>alert(1)</script>\"'&amp;\x01\x7f ]]> <!-- http://x",
        .alt_names = {"@Internal Flash<img src=x onerror=alert(2)> /0x08000000/256*02Kg",
                      "@Option Bytes \"'</svg><script>alert(3)</script> /0x1FFF7800/01*128 e",
                      "<b>not a layout</b> //evil.example", NULL},
    };
    begin(s, &evil, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_execute(s, 25);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    fill_block(1, 2048);
    sess_dnload(s, 2, block, 2048, 0);
    sess_execute(s, 40);
    sess_simple(s, DFS_DFU_ABORT, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

static void two(struct sess *s)
{
    s->dev = 6;
    begin(s, &GOOD_DFUSE, 0);
    s->dev = 9;
    begin(s, &GOOD_DFU11, 0);
    s->dev = 6;
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_execute(s, 25);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    for (uint16_t b = 0; b < 3; b++) {
        s->dev = 6;
        fill_block(b, 2048);
        sess_dnload(s, (uint16_t)(2 + b), block, 2048, 0);
        sess_execute(s, 20);
        s->dev = 9;
        fill_block(b, 256);
        sess_dnload(s, b, block, 256, 0);
        sess_getstatus(s, 0, 10, DFS_STATE_DNBUSY);
        sess_advance_us(s, 10000);
        sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    }
    s->dev = 9;
    sess_dnload(s, 3, NULL, 0, 0);
    sess_getstatus(s, 0, 20, DFS_STATE_MANIFEST);
    sess_advance_us(s, 20000);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    s->dev = 6;
    sess_simple(s, DFS_DFU_ABORT, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

static uint32_t large_pages = 340;

static void large(struct sess *s)
{
    static const struct sess_dev_desc big = {
        .vid = 0x0483, .pid = 0xdf11, .bcd_dfu = 0x011a, .xfer = 256, .attrs = 0x0b, .proto = 2,
        .alt_names = {"@Internal Flash /0x08000000/8192*02Kg", "@Option Bytes /0x1FFF7800/01*128 e",
                      NULL},
    };
    begin(s, &big, 0);
    for (uint32_t p = 0; p < large_pages; p++) {
        uint32_t page = 0x08000000 + p * 2048;
        sess_dfuse_cmd(s, DFS_DFUSE_ERASE, page, true);
        sess_execute(s, 25);
        sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, page, true);
        sess_execute(s, 2);
        for (uint16_t b = 0; b < 8; b++) {
            fill_block(p * 8 + b, 256);
            sess_dnload(s, (uint16_t)(2 + b), block, 256, 0);
            sess_execute(s, 3);
        }
    }
    sess_simple(s, DFS_DFU_ABORT, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
}

static const struct {
    const char *name;
    void (*run)(struct sess *s);
} scenarios[] = {
    {"seed", NULL},  {"seed-back", NULL}, {"seed-silent", NULL}, {"clean", clean},
    {"dfu11", dfu11},
    {"faults", faults}, {"hostile", hostile}, {"two", two}, {"large", large},
};

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "large") == 0) {
        char *end;
        unsigned long n = strtoul(argv[3], &end, 10);
        if (*end || !n || n > 8192) {
            fprintf(stderr, "%s: large: pages between 1 and 8192\n", argv[0]);
            return 2;
        }
        large_pages = (uint32_t)n;
        argc = 3;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s SCENARIO OUT.pcap [N]\nscenarios:", argv[0]);
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
            fprintf(stderr, " %s", scenarios[i].name);
        fputc('\n', stderr);
        return 2;
    }
    size_t k = 0;
    while (k < sizeof scenarios / sizeof scenarios[0] && strcmp(scenarios[k].name, argv[1]))
        k++;
    if (k == sizeof scenarios / sizeof scenarios[0]) {
        fprintf(stderr, "%s: unknown scenario '%s'\n", argv[0], argv[1]);
        return 2;
    }
    struct sess *s = malloc(sizeof *s);
    if (!s)
        return 1;
    sess_init(s, 1, 6);
    char err[256];
    if (dfs_capwriter_open(argv[2], s->linktype, &s->writer, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 1;
    }
    struct dfs_time start = s->now;
    if (k <= 2)
        seed(s, k == 0 ? SEED_GONE : k == 1 ? SEED_BACK : SEED_SILENT);
    else
        scenarios[k].run(s);
    sess_finish(s);
    /* pcapng: the capture ran until the scenario's clock stopped */
    struct dfs_capture_end ce = {.has_end = true, .end = s->now, .has_start = true,
                                 .start = start};
    int rc = dfs_capwriter_close_end(s->writer, &ce) == DFS_OK ? 0 : 1;
    if (rc)
        fprintf(stderr, "%s: error writing %s\n", argv[0], argv[2]);
    sess_free(s);
    free(s);
    return rc;
}
