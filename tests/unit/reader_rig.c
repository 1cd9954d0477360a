/* The rig of the capture reader's tests (reader_rig.h): pcap and pcapng
 * files built byte by byte, and reading them back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "reader_rig.h"
#include "records.h"

/* ---- building files ----------------------------------------------------------- */

void put(struct out *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->p = realloc(o->p, o->cap);
        assert_non_null(o->p);
    }
    memcpy(o->p + o->n, p, n);
    o->n += n;
}

void put8(struct out *o, uint8_t v) { put(o, &v, 1); }

void put16(struct out *o, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    if (o->big) {
        b[0] = (uint8_t)(v >> 8);
        b[1] = (uint8_t)v;
    }
    put(o, b, 2);
}

void put32(struct out *o, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[o->big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    put(o, b, 4);
}

void put64(struct out *o, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[o->big ? 7 - i : i] = (uint8_t)(v >> (8 * i));
    put(o, b, 8);
}

void pad4(struct out *o)
{
    while (o->n % 4)
        put8(o, 0);
}

void set32(struct out *o, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        o->p[off + (o->big ? 3 - (size_t)i : (size_t)i)] = (uint8_t)(v >> (8 * i));
}

size_t usbmon(uint8_t *buf, size_t size, uint64_t id, int lt, bool big)
{
    static const uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    struct dfs_urb u = urb_ctl_submit(id, 3, 7, setup, NULL, 0);
    size_t n = dfs_usbmon_encode(&u, lt, big ? DFS_ORDER_BIG : DFS_ORDER_LITTLE, buf, size);
    assert_true(n > 0);
    return n;
}

void pcap_header(struct out *o, bool nsec, uint32_t snaplen, uint32_t lt)
{
    put32(o, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
    put16(o, 2);
    put16(o, 4);
    put32(o, 0);
    put32(o, 0);
    put32(o, snaplen);
    put32(o, lt);
}

void pcap_record(struct out *o, uint32_t sec, uint32_t frac, const uint8_t *data,
                 uint32_t caplen, uint32_t origlen)
{
    put32(o, sec);
    put32(o, frac);
    put32(o, caplen);
    put32(o, origlen);
    put(o, data, caplen);
}

size_t block_start(struct out *o, uint32_t type)
{
    put32(o, type);
    size_t at = o->n;
    put32(o, 0); /* length, set by block_end */
    return at - 4;
}

void block_end(struct out *o, size_t start)
{
    pad4(o);
    uint32_t len = (uint32_t)(o->n - start + 4);
    set32(o, start + 4, len);
    put32(o, len);
}

void option(struct out *o, uint16_t code, const void *v, uint16_t len)
{
    put16(o, code);
    put16(o, len);
    put(o, v, len);
    pad4(o);
}

void shb(struct out *o, bool big)
{
    o->big = big;
    size_t b = block_start(o, 0x0A0D0D0A);
    put32(o, 0x1A2B3C4D);
    put16(o, 1);
    put16(o, 0);
    put64(o, UINT64_MAX); /* section length unknown */
    const char app[] = "test_reader";
    option(o, 4, app, sizeof app - 1); /* shb_userappl */
    put32(o, 0);                        /* opt_endofopt */
    block_end(o, b);
}

void idb(struct out *o, uint16_t lt, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t b = block_start(o, 1);
    put16(o, lt);
    put16(o, 0);
    put32(o, snaplen);
    const char name[] = "usbmon3";
    option(o, 2, name, sizeof name - 1); /* if_name, 7 bytes: padded */
    if (tsresol >= 0) {
        uint8_t r = (uint8_t)tsresol;
        option(o, 9, &r, 1);
    }
    if (tsoffset) {
        put16(o, 14);
        put16(o, 8);
        put64(o, (uint64_t)tsoffset);
    }
    put32(o, 0);
    block_end(o, b);
}

void epb(struct out *o, uint32_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen,
         uint32_t origlen, bool options)
{
    size_t b = block_start(o, 6);
    put32(o, ifid);
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    put32(o, caplen);
    put32(o, origlen);
    put(o, data, caplen);
    pad4(o);
    if (options) {
        const char c[] = "a comment";
        option(o, 1, c, sizeof c - 1);
        put16(o, 2); /* epb_flags: inbound */
        put16(o, 4);
        put32(o, 1);
        put32(o, 0);
    }
    block_end(o, b);
}

void spb(struct out *o, const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
    size_t b = block_start(o, 3);
    put32(o, origlen);
    put(o, data, caplen);
    block_end(o, b);
}

void opb(struct out *o, uint16_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen)
{
    size_t b = block_start(o, 2);
    put16(o, ifid);
    put16(o, 0); /* drops */
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    put32(o, caplen);
    put32(o, caplen);
    put(o, data, caplen);
    block_end(o, b);
}

void other_block(struct out *o, uint32_t type, size_t body)
{
    size_t b = block_start(o, type);
    for (size_t i = 0; i < body; i++)
        put8(o, (uint8_t)(0x40 + i));
    block_end(o, b);
}

void isb(struct out *o, uint32_t ifid, uint64_t ts, int64_t start, int64_t end,
         int64_t recv, int64_t drop)
{
    size_t b = block_start(o, 5);
    put32(o, ifid);
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    const char c[] = "stats";
    option(o, 1, c, sizeof c - 1); /* opt_comment: skipped */
    const int64_t v[4] = {start, end, recv, drop};
    for (int i = 0; i < 4; i++) {
        if (v[i] == NONE)
            continue;
        put16(o, (uint16_t)(2 + i));
        put16(o, 8);
        if (i < 2) { /* time stamps: high word, then low word */
            put32(o, (uint32_t)((uint64_t)v[i] >> 32));
            put32(o, (uint32_t)v[i]);
        } else {
            put64(o, (uint64_t)v[i]);
        }
    }
    put32(o, 0);
    block_end(o, b);
}

/* ---- reading ------------------------------------------------------------------------ */

void on_warn(void *user, uint64_t frame, const char *msg)
{
    struct got *g = user;
    (void)frame;
    g->warnings++;
    snprintf(g->last_warning, sizeof g->last_warning, "%s", msg);
}

void read_all_from(dfs_capreader *r, struct got *g)
{
    struct dfs_record rec;
    enum dfs_capnext n;
    while ((n = dfs_capreader_next(r, &rec)) == DFS_CAP_RECORD) {
        assert_true(g->n < 16);
        g->rec[g->n] = rec;
        assert_true(rec.caplen <= sizeof g->data[0]);
        memcpy(g->data[g->n], rec.data, rec.caplen);
        g->rec[g->n].data = g->data[g->n];
        g->offset[g->n] = dfs_capreader_offset(r);
        g->n++;
    }
    assert_int_equal(n, DFS_CAP_EOF);
    g->end_offset = dfs_capreader_offset(r);
    g->damaged = dfs_capreader_damaged(r);
    g->skipped = dfs_capreader_skipped_bytes(r);
    g->format = dfs_capreader_format(r);
    g->linktype = dfs_capreader_linktype(r);
}

void read_all(const struct out *o, struct got *g)
{
    memset(g, 0, sizeof *g);
    FILE *fp = fmemopen(o->p, o->n, "rb");
    assert_non_null(fp);
    struct dfs_capreader_options opt = {.warn = on_warn, .warn_user = g};
    dfs_capreader *r = NULL;
    char err[256];
    assert_int_equal(dfs_capreader_open_stream(fp, "built", &opt, &r, err, sizeof err), DFS_OK);
    read_all_from(r, g);
    dfs_capreader_close(r);
    fclose(fp);
    if (g->warnings)
        print_error("warning: %s\n", g->last_warning);
    assert_int_equal(g->warnings, 0);
    assert_int_equal(g->damaged, 0);
    assert_int_equal(g->skipped, 0);
}

int on_urb_seen(void *user, const struct dfs_urb *u)
{
    *(struct dfs_urb *)user = *u;
    return 0;
}

int on_finding_seen(void *user, const struct dfs_finding *f)
{
    (void)user;
    fail_msg("the record decodes with a finding: %s: %s", f->id, f->explanation);
    return 0;
}

void assert_urb_id(const struct dfs_record *rec, uint64_t id)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    struct dfs_options o;
    dfs_options_init(&o);
    struct dfs_sink sink = {.user = &u, .on_urb = on_urb_seen, .on_finding = on_finding_seen};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&o, &sink, &d), DFS_OK);
    assert_int_equal(dfs_decoder_feed(d, rec), DFS_OK);
    dfs_decoder_free(d);
    assert_true(u.id == id);
    assert_int_equal(u.bus, 3);
}
