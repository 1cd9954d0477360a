/* The packet-level USB 2.0 parser (decoder/usbll.c, usbll_ctl.c) on packets
 * written by hand: the CRCs against worked examples that are not this
 * code's (Packetry's decodes of its test captures; a zero-length data
 * packet's CRC16 is 0x0000), each kind of bad packet as a finding naming
 * its frame with decoding going on after it, and a control transfer
 * rebuilt through NAKs, a retried data packet and a STALL, with the NAKs
 * that held its data stage counted and timed; a DFU device that holds a
 * GETSTATUS by NAKs past the bwPollTimeout it announced
 * (dfu.poll-timeout-too-short), and a slow host that does not make one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/decoder.h"
#include "dfuscope/usb.h"

struct got {
    char findings[16][1200];
    uint64_t finding_frames[16];
    uint64_t finding_list[16][4]; /* the first frames that prove it */
    unsigned finding_n[16];
    int n_findings;
    struct dfs_control ctl[8];
    uint8_t ctl_data[8][64];
    int n_ctl;
};

static int on_finding(void *u, const struct dfs_finding *f)
{
    struct got *g = u;
    if (g->n_findings < 16) {
        snprintf(g->findings[g->n_findings], sizeof g->findings[0], "%s %s", f->id,
                 f->explanation);
        for (unsigned k = 0; k < f->n_frames && k < 4; k++)
            g->finding_list[g->n_findings][k] = f->frames[k];
        g->finding_n[g->n_findings] = f->n_frames;
        g->finding_frames[g->n_findings++] = f->frame;
    }
    return 0;
}

static int on_control(void *u, const struct dfs_control *c)
{
    struct got *g = u;
    if (g->n_ctl < 8) {
        g->ctl[g->n_ctl] = *c;
        if (c->data_len && c->data_len <= 64)
            memcpy(g->ctl_data[g->n_ctl], c->data, c->data_len);
        g->n_ctl++;
    }
    return 0;
}

struct feed {
    dfs_decoder *d;
    struct got g;
    uint64_t frame;
    int64_t waited_ns; /* added to the 1 us per frame by wait_us() */
};

static void wait_us(struct feed *f, int64_t us) { f->waited_ns += us * 1000; }

static void start(struct feed *f)
{
    memset(f, 0, sizeof *f);
    struct dfs_options o;
    dfs_options_init(&o);
    struct dfs_sink s = {.user = &f->g, .on_finding = on_finding, .on_control = on_control};
    assert_int_equal(dfs_decoder_new(&o, &s, &f->d), DFS_OK);
}

static uint64_t pkt(struct feed *f, const uint8_t *p, uint32_t n, uint32_t origlen)
{
    int64_t ns = (int64_t)(f->frame + 1) * 1000 + f->waited_ns;
    struct dfs_record r = {.frame = ++f->frame,
                           .ts = {1700000000 + ns / 1000000000, (uint32_t)(ns % 1000000000)},
                           .linktype = DFS_LINKTYPE_USB_2_0_FULL_SPEED, .caplen = n,
                           .origlen = origlen ? origlen : n, .data = p};
    assert_int_equal(dfs_decoder_feed(f->d, &r), DFS_OK);
    return r.frame;
}

#define P(f, ...)                                                                             \
    do {                                                                                      \
        static const uint8_t b_[] = {__VA_ARGS__};                                            \
        pkt(f, b_, sizeof b_, 0);                                                             \
    } while (0)

static void finish(struct feed *f)
{
    assert_int_equal(dfs_decoder_finish(f->d), DFS_OK);
    dfs_decoder_free(f->d);
}

/* Packetry's hackrf capture: "SETUP packet on 11.0, CRC 04", "DATA0 packet
 * with CRC F4E0 and 8 data bytes: [80, 06, 00, 01, 00, 00, 12, 00]",
 * "DATA1 packet with CRC 8CA8 and 18 data bytes: [12, 01, ...]". */
static void crcs(void **state)
{
    (void)state;
    assert_int_equal(dfs_usb_crc5(11, 11), 0x04);
    static const uint8_t setup[8] = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00};
    assert_int_equal(dfs_usb_crc16(setup, 8), 0xF4E0);
    static const uint8_t dev[18] = {0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0xC9,
                                    0x1F, 0x0C, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01};
    assert_int_equal(dfs_usb_crc16(dev, 18), 0x8CA8);
    assert_int_equal(dfs_usb_crc16(NULL, 0), 0x0000);
    /* split-enum: "SPLIT packet ... hub 12 port 2" is 78 0C 82 C8 (CRC5 0x19 over 19 bits) */
    assert_int_equal(dfs_usb_crc5(0x820C & 0x7FFFF, 19) , 0x19);
}

/* A GET_DESCRIPTOR(DEVICE, 18) to device 11 as on the wire, with a NAK
 * and a retried DATA1 (the host's ACK lost): one control transfer with the
 * 18 bytes once. */
static void control_with_naks_and_retry(void **state)
{
    (void)state;
    struct feed f;
    start(&f);
    P(&f, 0x2D, 0x0B, 0x20);                                        /* SETUP 11.0 */
    P(&f, 0xC3, 0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00, 0xE0, 0xF4);
    P(&f, 0xD2);                                                    /* ACK */
    P(&f, 0x69, 0x0B, 0x20);                                        /* IN */
    P(&f, 0x5A);                                                    /* NAK */
    for (int k = 0; k < 2; k++) { /* DATA1 twice: the second is a retry */
        P(&f, 0x69, 0x0B, 0x20);
        P(&f, 0x4B, 0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0xC9, 0x1F, 0x0C, 0x00,
          0x00, 0x01, 0x01, 0x02, 0x03, 0x01, 0xA8, 0x8C);
        P(&f, 0xD2);
    }
    P(&f, 0xE1, 0x0B, 0x20);                                        /* status: OUT */
    P(&f, 0x4B, 0x00, 0x00);                                        /* DATA1, no data */
    P(&f, 0xD2);
    finish(&f);
    assert_int_equal(f.g.n_findings, 0);
    assert_int_equal(f.g.n_ctl, 1);
    const struct dfs_control *c = &f.g.ctl[0];
    assert_int_equal(c->end, DFS_CTL_COMPLETED);
    assert_int_equal(c->status, 0);
    assert_int_equal(c->devnum, 11);
    assert_int_equal(c->setup.wLength, 18);
    assert_int_equal(c->data_len, 18);
    assert_int_equal(f.g.ctl_data[0][8], 0xC9);
    assert_int_equal(c->submit_frame, 1);
    assert_int_equal(c->complete_frame, 14);
    /* one NAK (the IN of frame 4, 4 us) until the IN of frame 6 brought the
     * data (6 us): 2 us; the retry's IN is not a NAK */
    assert_int_equal(c->naks, 1);
    assert_int_equal(c->nak_us, 2);
}

/* A GETSTATUS whose data stage the device NAKs three times and then
 * STALLs: the NAKs held it from the first NAKed IN (frame 4, 4 us) to the
 * last NAK (frame 9, 9 us); a NAK of the status stage is not counted. */
static void getstatus_naked_then_stalled(void **state)
{
    (void)state;
    struct feed f;
    start(&f);
    P(&f, 0x2D, 0x0B, 0x20);                   /* 1-3: SETUP of a DFU GETSTATUS */
    P(&f, 0xC3, 0xA1, 0x03, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x44, 0xE0);
    P(&f, 0xD2);
    for (int k = 0; k < 3; k++) {              /* 4-9: IN, NAK three times */
        P(&f, 0x69, 0x0B, 0x20);
        P(&f, 0x5A);
    }
    P(&f, 0x69, 0x0B, 0x20);                   /* 10-11: IN, STALL */
    P(&f, 0x1E);
    P(&f, 0x2D, 0x0B, 0x20);                   /* 12-14: SETUP of a DFU CLRSTATUS */
    P(&f, 0xC3, 0x21, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x39, 0xE0);
    P(&f, 0xD2);
    P(&f, 0x69, 0x0B, 0x20);                   /* 15-16: status stage IN, NAK */
    P(&f, 0x5A);
    P(&f, 0x69, 0x0B, 0x20);                   /* 17-19: IN, DATA1 empty, ACK */
    P(&f, 0x4B, 0x00, 0x00);
    P(&f, 0xD2);
    finish(&f);
    assert_int_equal(f.g.n_findings, 0);
    assert_int_equal(f.g.n_ctl, 2);
    const struct dfs_control *c = &f.g.ctl[0];
    assert_int_equal(c->status, -DFS_LINUX_EPIPE);
    assert_int_equal(c->complete_frame, 11);
    assert_int_equal(c->naks, 3);
    assert_int_equal(c->nak_us, 5);
    assert_int_equal(f.g.ctl[1].setup.bRequest, 4);
    assert_int_equal(f.g.ctl[1].status, 0);
    assert_int_equal(f.g.ctl[1].naks, 0);
    assert_int_equal(f.g.ctl[1].nak_us, 0);
}

/* Every kind of bad packet: a finding with its frame; the transfer after
 * them still decodes, and a STALL ends it. */
static void bad_packets_then_stall(void **state)
{
    (void)state;
    struct feed f;
    start(&f);
    P(&f, 0x69, 0xB7, 0xDB);                   /* 1: CRC5 0x1B where 0x19 is due */
    P(&f, 0x4B, 0x01, 0x02, 0x00, 0x00);       /* 2: CRC16 0x0000, not 0x1E7E */
    P(&f, 0xFF);                               /* 3: check bits wrong */
    P(&f, 0x69, 0x0B);                         /* 4: a token of 2 bytes */
    static const uint8_t cut[3] = {0x69, 0x0B, 0x20};
    pkt(&f, cut, 2, 3);                        /* 5: captured short */
    P(&f, 0xD2);                               /* 6: ACK without a token */
    P(&f, 0x2D, 0x0B, 0x20);                   /* 7-9: SETUP of a DFU GETSTATUS */
    P(&f, 0xC3, 0xA1, 0x03, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x44, 0xE0);
    P(&f, 0xD2);
    P(&f, 0x69, 0x0B, 0x20);                   /* 10-11: IN, STALL */
    P(&f, 0x1E);
    finish(&f);
    static const char *const want[] = {
        "capture.bad-packet frame 1: IN packet with CRC5 0x1B where 0x19 is due; record skipped",
        "capture.bad-packet frame 2: DATA1 packet of 2 data bytes with CRC16 0x0000 where "
        "0x1E7E is due; record skipped",
        "capture.bad-packet frame 3: PID byte 0xFF is no USB 2.0 PID (its check bits are wrong); "
        "record skipped",
        "capture.bad-packet frame 4: IN packet of 2 bytes where a token has 3; record skipped",
        "capture.bad-packet frame 5: packet of 3 bytes captured with only 2; record skipped",
        "capture.half-transaction frame 6: ACK handshake with no token before it; left out; "
        "decoding what is there",
    };
    assert_int_equal(f.g.n_findings, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(f.g.findings[i], want[i]);
        assert_int_equal(f.g.finding_frames[i], (uint64_t)i + 1);
    }
    assert_int_equal(f.g.n_ctl, 1);
    const struct dfs_control *c = &f.g.ctl[0];
    assert_int_equal(c->end, DFS_CTL_COMPLETED);
    assert_int_equal(c->status, -DFS_LINUX_EPIPE);
    assert_int_equal(c->setup.bRequest, 3);
    assert_int_equal(c->submit_frame, 7);
    assert_int_equal(c->complete_frame, 11);
}

/* A GETSTATUS on device 11 as on the wire: SETUP, `naks` NAKed INs `gap_us`
 * apart, the IN with the 6-byte reply (data: the DATA1 packet with its
 * CRC16), the status stage; 9 + 2 * naks frames. */
static void getstatus(struct feed *f, int naks, int64_t gap_us, const uint8_t *data)
{
    P(f, 0x2D, 0x0B, 0x20);
    P(f, 0xC3, 0xA1, 0x03, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x44, 0xE0);
    P(f, 0xD2);
    for (int k = 0; k < naks; k++) {
        P(f, 0x69, 0x0B, 0x20);
        P(f, 0x5A);
        wait_us(f, gap_us);
    }
    P(f, 0x69, 0x0B, 0x20);
    pkt(f, data, 9, 0);
    P(f, 0xD2);
    P(f, 0xE1, 0x0B, 0x20);
    P(f, 0x4B, 0x00, 0x00);
    P(f, 0xD2);
}

/* dfuDNBUSY, bwPollTimeout 1 ms; dfuDNLOAD-IDLE */
static const uint8_t busy_1ms[9] = {0x4B, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00, 0xC0, 0xE4};
static const uint8_t dnload_idle[9] = {0x4B, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0xFC, 0xB4};

static int count_id(const struct got *g, const char *id, int *at)
{
    int n = 0;
    for (int i = 0; i < g->n_findings; i++)
        if (!strncmp(g->findings[i], id, strlen(id)) && g->findings[i][strlen(id)] == ' ') {
            *at = i;
            n++;
        }
    return n;
}

/* A device announces 1 ms in its dfuDNBUSY reply (frames 1-9); the host
 * polls 1.5 ms later (frame 10) and the device NAKs that GETSTATUS 20 times,
 * 1 ms apart, before it answers dfuDNLOAD-IDLE: the NAKs held it from frame
 * 13 (the first NAKed IN) to frame 53 (the IN its data answered), 20 ms
 * and 40 frames: dfu.poll-timeout-too-short naming frames 1 and 10. */
static void getstatus_held_past_poll_timeout(void **state)
{
    (void)state;
    struct feed f;
    start(&f);
    getstatus(&f, 0, 0, busy_1ms);
    wait_us(&f, 1500);
    getstatus(&f, 20, 1000, dnload_idle);
    finish(&f);
    int at = -1;
    assert_int_equal(count_id(&f.g, "dfu.poll-timeout-too-short", &at), 1);
    assert_int_equal(f.g.finding_frames[at], 10);
    assert_int_equal(f.g.finding_n[at], 2);
    assert_int_equal(f.g.finding_list[at][0], 1);
    assert_int_equal(f.g.finding_list[at][1], 10);
    assert_non_null(strstr(f.g.findings[at], "over 1 poll (frames 1-10) while announcing at "
                                             "most 1 ms per poll. On the wire the device held "
                                             "the GETSTATUS polls by 20 NAKs for 20.0 ms"));
    assert_int_equal(f.g.ctl[1].naks, 20);
    assert_int_equal(f.g.ctl[1].nak_us, 20000 + 40); /* 40 frames of 1 us */
}

/* The same device with a host that sleeps 50 ms before the second poll,
 * which the device NAKs twice (0.2 ms): the device may have been done long
 * before; the busy time is the host's, and no finding says otherwise. */
static void getstatus_slow_host_short_hold(void **state)
{
    (void)state;
    struct feed f;
    start(&f);
    getstatus(&f, 0, 0, busy_1ms);
    wait_us(&f, 50000);
    getstatus(&f, 2, 100, dnload_idle);
    finish(&f);
    int at = -1;
    assert_int_equal(count_id(&f.g, "dfu.poll-timeout-too-short", &at), 0);
    assert_int_equal(f.g.ctl[1].naks, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crcs),
        cmocka_unit_test(control_with_naks_and_retry),
        cmocka_unit_test(bad_packets_then_stall),
        cmocka_unit_test(getstatus_naked_then_stalled),
        cmocka_unit_test(getstatus_held_past_poll_timeout),
        cmocka_unit_test(getstatus_slow_host_short_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
