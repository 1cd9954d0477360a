/* pcapng files: any number of sections (each in its own byte order) and
 * interfaces (each with its own link type and time resolution).
 *
 * ng_frame() checks a block's framing (type, total length at both ends) and
 * makes the whole block available; the block's body then goes to the
 * function of its type in BLOCK_TYPES, which reads it through the bounded
 * cursor of cap_internal.h and its options through ng_option(). A block whose
 * framing is damaged is resynchronised on: the reader scans in steps of 4
 * bytes for the next block of a known type whose two lengths agree. A new
 * block type is a row in BLOCK_TYPES and a function. libc only. */
#include <stdio.h>
#include <stdlib.h>

#include "cap_internal.h"
#include "dfuscope/usb.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_NRB 4u
#define PCAPNG_ISB 5u
#define PCAPNG_EPB 6u
#define PCAPNG_DSB 0x0Au
#define PCAPNG_CB 0x00000BADu    /* custom block, may be copied */
#define PCAPNG_DCB 0x40000BADu   /* custom block, do not copy */
#define BLOCK_HDR 12             /* type, total length; the length again at the end */
#define SHB_MIN 28               /* with its byte-order mark, version, section length */
#define BLOCK_SLACK (256u << 10) /* room for options besides the packet data */

#define OPT_ENDOFOPT 0
#define IF_TSRESOL 9
#define IF_TSOFFSET 14
#define ISB_STARTTIME 2
#define ISB_ENDTIME 3
#define ISB_IFRECV 4
#define ISB_IFDROP 5

bool dfs_cap__pcapng_magic(uint32_t magic) { return magic == PCAPNG_SHB; }

/* ---- options --------------------------------------------------------------------- */

struct ng_option {
    uint16_t code, len;
    const uint8_t *value;
};

enum ng_opt { NG_OPT_END, NG_OPT_ONE, NG_OPT_OVERRUN };

/* The next option of a block's option list. NG_OPT_END: opt_endofopt, or no
 * room for another option header; NG_OPT_OVERRUN: the option's value runs
 * past the end of the block (o->code and o->len say which and how long).
 * The padding after the last value may be cut short by the block's end. */
static enum ng_opt ng_option(struct dfs_cap__cursor *c, struct ng_option *o)
{
    *o = (struct ng_option){0, 0, NULL};
    if (c->left < 4)
        return NG_OPT_END;
    dfs_cap__get16(c, &o->code);
    dfs_cap__get16(c, &o->len);
    if (o->code == OPT_ENDOFOPT)
        return NG_OPT_END;
    o->value = dfs_cap__take(c, o->len);
    if (!o->value)
        return NG_OPT_OVERRUN;
    size_t pad = (4 - (size_t)o->len % 4) % 4;
    dfs_cap__take(c, pad < c->left ? pad : c->left);
    return NG_OPT_ONE;
}

/* ---- time stamps ------------------------------------------------------------------ */

static void ng_ts(const struct dfs_cap__iface *ifc, uint64_t t, struct dfs_time *out)
{
    if (ifc->units_per_sec) {
        uint64_t u = ifc->units_per_sec;
        out->sec = t / u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(t / u);
        uint64_t frac = t % u;
        /* scale the fraction to nanoseconds without overflow */
        if (u <= 1000000000u)
            out->nsec = (uint32_t)(frac * (1000000000u / u));
        else
            out->nsec = (uint32_t)(frac / (u / 1000000000u));
    } else {
        unsigned k = ifc->pow2;
        uint64_t whole = k >= 64 ? 0 : t >> k;
        out->sec = whole > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)whole;
        uint64_t frac = k >= 64 ? t : t & ((1ull << k) - 1);
        if (k > 34) {
            /* keep the 34 most significant fraction bits; 2^-k goes to 2^-127 */
            unsigned drop = k - 34;
            frac = drop >= 64 ? 0 : frac >> drop;
            k = 34;
        }
        out->nsec = (uint32_t)((frac * 1000000000ull) >> k);
    }
    /* if_tsoffset and the time stamp are the file's: a sum out of range saturates */
    out->sec = dfs_sat_add_i64(out->sec, ifc->tsoffset);
}

/* ---- blocks -------------------------------------------------------------------------- */

/* A block whose framing is sound, all of it at buf[start]. */
struct ng_block {
    uint32_t type, len;
    uint64_t frame; /* the frame number a packet in it gets */
    uint64_t at;    /* file offset */
    struct dfs_cap__cursor body; /* between the length and the trailing length */
};

/* Interface description block: link type, snapshot length; of its options
 * if_tsresol and if_tsoffset. */
static bool read_idb(dfs_capreader *r, struct ng_block *b, struct dfs_record *rec)
{
    (void)rec;
    uint16_t linktype = 0, reserved = 0;
    uint32_t snaplen = 0;
    if (!dfs_cap__get16(&b->body, &linktype) || !dfs_cap__get16(&b->body, &reserved) ||
        !dfs_cap__get32(&b->body, &snaplen)) {
        r->damaged++;
        dfs_cap__warn(r, b->frame,
                      "interface description block of %u bytes is too short (20 minimum); "
                      "interface %u will be unknown",
                      b->len, r->n_ifaces);
        return false;
    }
    if (r->n_ifaces >= DFS_CAP__MAX_IFACES) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "more than %d interfaces in one section; ignoring the rest",
                      DFS_CAP__MAX_IFACES);
        return false;
    }
    struct dfs_cap__iface *n = realloc(r->ifaces, (r->n_ifaces + 1) * sizeof *n);
    if (!n)
        return false;
    r->ifaces = n;
    unsigned idx = r->n_ifaces++;
    struct dfs_cap__iface *ifc = &r->ifaces[idx];
    *ifc = (struct dfs_cap__iface){.linktype = linktype, .snaplen = snaplen,
                                   .units_per_sec = 1000000};
    if (r->linktype < 0)
        r->linktype = ifc->linktype;
    struct ng_option o;
    enum ng_opt st;
    while ((st = ng_option(&b->body, &o)) == NG_OPT_ONE) {
        struct dfs_cap__cursor v = dfs_cap__cursor_over(o.value, o.len, b->body.swapped);
        if (o.code == IF_TSRESOL && o.len >= 1) {
            uint8_t res = o.value[0];
            if (res & 0x80) {
                ifc->units_per_sec = 0;
                ifc->pow2 = res & 0x7f;
            } else if (res <= 19) {
                uint64_t u = 1;
                for (uint8_t i = 0; i < res; i++)
                    u *= 10;
                ifc->units_per_sec = u;
            } else {
                r->damaged++;
                dfs_cap__warn(r, b->frame,
                              "interface %u: time stamp resolution 10^-%u is out of range", idx,
                              res);
            }
        } else if (o.code == IF_TSOFFSET && o.len >= 8) {
            uint64_t off = 0;
            dfs_cap__get64(&v, &off);
            ifc->tsoffset = (int64_t)off;
        }
    }
    if (st == NG_OPT_OVERRUN) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "interface %u: option %u runs past the end of its block", idx,
                      o.code);
    }
    return false;
}

static const char *isb_option_name(uint16_t code)
{
    switch (code) {
    case ISB_STARTTIME: return "isb_starttime";
    case ISB_ENDTIME: return "isb_endtime";
    case ISB_IFRECV: return "isb_ifrecv";
    case ISB_IFDROP: return "isb_ifdrop";
    default: return "?";
    }
}

/* isb_starttime and isb_endtime: the earliest start, the latest end not
 * before the last record read so far. */
static void isb_time(dfs_capreader *r, const struct dfs_cap__iface *ifc, uint16_t code,
                     struct dfs_cap__cursor *v, uint64_t at)
{
    uint64_t raw = 0;
    dfs_cap__get_ts(v, &raw);
    struct dfs_time t;
    ng_ts(ifc, raw, &t);
    if (code == ISB_STARTTIME) {
        if (!r->isb.has_start || dfs_cap__time_cmp(t, r->isb.start) < 0) {
            r->isb.has_start = true;
            r->isb.start = t;
        }
        return;
    }
    if (r->max_ts_valid && dfs_cap__time_cmp(t, r->max_ts) < 0) {
        int64_t us = dfs_time_diff_us(r->max_ts, t);
        dfs_cap__warn(r, 0,
                      "interface statistics block at offset %llu: isb_endtime is %lld.%06lld "
                      "s before the last record (frame %llu); end time ignored",
                      (unsigned long long)at, (long long)(us / 1000000),
                      (long long)(us % 1000000), (unsigned long long)r->max_ts_frame);
        return;
    }
    if (!r->isb.has_end || dfs_cap__time_cmp(t, r->isb.end) > 0) {
        r->isb.has_end = true;
        r->isb.end = t;
    }
}

/* Interface statistics block: interface id, time stamp, options. Only
 * isb_starttime, isb_endtime, isb_ifrecv and isb_ifdrop are used; a block
 * whose structure is broken is ignored as a whole. */
static bool read_isb(dfs_capreader *r, struct ng_block *b, struct dfs_record *rec)
{
    (void)rec;
    uint32_t ifid = 0;
    uint64_t ts = 0;
    if (!dfs_cap__get32(&b->body, &ifid) || !dfs_cap__get_ts(&b->body, &ts)) {
        r->damaged++;
        dfs_cap__warn(r, 0,
                      "interface statistics block at offset %llu: %u bytes, too short for its "
                      "fields (24 minimum); block ignored",
                      (unsigned long long)b->at, b->len);
        return false;
    }
    if (ifid >= r->n_ifaces) {
        r->damaged++;
        dfs_cap__warn(r, 0,
                      "interface statistics block at offset %llu refers to interface %u, but "
                      "the section describes %u; block ignored",
                      (unsigned long long)b->at, ifid, r->n_ifaces);
        return false;
    }
    struct dfs_cap__iface *ifc = &r->ifaces[ifid];
    /* first pass: the options must fit the block */
    struct dfs_cap__cursor check = b->body;
    struct ng_option o;
    enum ng_opt st;
    while ((st = ng_option(&check, &o)) == NG_OPT_ONE)
        continue;
    if (st == NG_OPT_OVERRUN) {
        r->damaged++;
        dfs_cap__warn(r, 0,
                      "interface statistics block at offset %llu: option %u (%u bytes) runs "
                      "past the end of the block; block ignored",
                      (unsigned long long)b->at, o.code, o.len);
        return false;
    }
    while (ng_option(&b->body, &o) == NG_OPT_ONE) {
        if (o.code < ISB_STARTTIME || o.code > ISB_IFDROP)
            continue; /* comments, filter counters, custom options */
        if (o.len != 8) {
            r->damaged++;
            dfs_cap__warn(r, 0,
                          "interface statistics block at offset %llu: option %s has %u bytes, "
                          "not 8; option ignored",
                          (unsigned long long)b->at, isb_option_name(o.code), o.len);
            continue;
        }
        struct dfs_cap__cursor v = dfs_cap__cursor_over(o.value, o.len, b->body.swapped);
        if (o.code == ISB_STARTTIME || o.code == ISB_ENDTIME) {
            isb_time(r, ifc, o.code, &v, b->at);
            continue;
        }
        uint64_t x = 0;
        dfs_cap__get64(&v, &x);
        if (o.code == ISB_IFRECV) {
            ifc->has_recv = true;
            ifc->recv = x;
        } else {
            ifc->has_drop = true;
            ifc->drop = x;
        }
    }
    return false;
}

/* What a packet block says, before it is checked against its interface. */
struct ng_packet {
    uint32_t ifid, caplen, origlen;
    bool has_ts;
    uint64_t ts;
    const uint8_t *data;
};

/* Enhanced and obsolete packet blocks: interface id (32 bits, or 16 bits
 * followed by a drop count), time stamp, captured and original length. */
static bool read_epb_fields(dfs_capreader *r, struct ng_block *b, struct ng_packet *pk)
{
    struct dfs_cap__cursor *c = &b->body;
    if (c->left < 20) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "packet block of %u bytes is too short for its fields",
                      b->len);
        return false;
    }
    if (b->type == PCAPNG_EPB) {
        dfs_cap__get32(c, &pk->ifid);
    } else {
        uint16_t ifid = 0, drops = 0;
        dfs_cap__get16(c, &ifid);
        dfs_cap__get16(c, &drops);
        pk->ifid = ifid;
    }
    dfs_cap__get_ts(c, &pk->ts);
    pk->has_ts = true;
    dfs_cap__get32(c, &pk->caplen);
    dfs_cap__get32(c, &pk->origlen);
    uint32_t room = (uint32_t)c->left;
    if (pk->caplen > room) {
        r->damaged++;
        dfs_cap__warn(r, b->frame,
                      "packet block claims %u captured bytes but has room for %u; using %u",
                      pk->caplen, room, room);
        pk->caplen = room;
    }
    pk->data = dfs_cap__take(c, pk->caplen);
    return true;
}

/* Simple packet block: the original length, then the data (as much as the
 * block holds, at most the first interface's snapshot length). */
static bool read_spb_fields(dfs_capreader *r, struct ng_block *b, struct ng_packet *pk)
{
    struct dfs_cap__cursor *c = &b->body;
    if (!dfs_cap__get32(c, &pk->origlen)) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "simple packet block of %u bytes is too short", b->len);
        return false;
    }
    pk->ifid = 0;
    pk->has_ts = false;
    uint32_t room = (uint32_t)c->left;
    pk->caplen = pk->origlen < room ? pk->origlen : room;
    if (r->n_ifaces && r->ifaces[0].snaplen && pk->caplen > r->ifaces[0].snaplen)
        pk->caplen = r->ifaces[0].snaplen;
    pk->data = dfs_cap__take(c, pk->caplen);
    return true;
}

/* Any packet block: the record, once its interface is known. */
static bool read_packet(dfs_capreader *r, struct ng_block *b, struct dfs_record *rec)
{
    struct ng_packet pk = {0, 0, 0, false, 0, NULL};
    r->frame = b->frame;
    bool ok = b->type == PCAPNG_SPB ? read_spb_fields(r, b, &pk) : read_epb_fields(r, b, &pk);
    if (!ok)
        return false;
    if (pk.ifid >= r->n_ifaces) {
        r->damaged++;
        dfs_cap__warn(r, b->frame,
                      "packet block refers to interface %u, but the section describes %u; "
                      "record skipped",
                      pk.ifid, r->n_ifaces);
        return false;
    }
    const struct dfs_cap__iface *ifc = &r->ifaces[pk.ifid];
    if (ifc->snaplen && pk.caplen > ifc->snaplen) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "captured length %u exceeds interface %u's snapshot length %u",
                      pk.caplen, pk.ifid, ifc->snaplen);
    }
    if (pk.caplen > pk.origlen) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "captured length %u exceeds the original length %u",
                      pk.caplen, pk.origlen);
    }
    rec->frame = b->frame;
    if (pk.has_ts)
        ng_ts(ifc, pk.ts, &rec->ts);
    else
        rec->ts = (struct dfs_time){0, 0};
    rec->linktype = ifc->linktype;
    rec->order = r->order;
    rec->caplen = pk.caplen;
    rec->origlen = pk.origlen;
    rec->data = pk.data;
    return true;
}

/* A custom block is a frame of its own in Wireshark, so it takes a frame
 * number: the packets after it keep Wireshark's numbers. Packetry's bus
 * events (packetry src/file.rs: Private Enterprise Number 62392, then one
 * word with the format id 0x3343, its version 0 and the event code, the
 * interface id and a time stamp in the interface's units) become records of
 * DFS_RECORD_USB_EVENT holding the event code; other custom blocks are
 * skipped. */
#define GSG_PEN 62392u
#define GSG_EVENT_FORMAT 0x334300u /* the word's upper 24 bits */

static bool read_custom(dfs_capreader *r, struct ng_block *b, struct dfs_record *rec)
{
    r->frame = b->frame;
    struct dfs_cap__cursor *c = &b->body;
    uint32_t pen = 0, word = 0, ifid = 0;
    uint64_t ts = 0;
    if (!dfs_cap__get32(c, &pen) || pen != GSG_PEN)
        return false;
    if (!dfs_cap__get32(c, &word) || (word >> 8) != GSG_EVENT_FORMAT)
        return false;
    if (!dfs_cap__get32(c, &ifid) || !dfs_cap__get_ts(c, &ts)) {
        r->damaged++;
        dfs_cap__warn(r, b->frame, "Packetry event block of %u bytes is too short for its "
                      "fields; skipped", b->len);
        return false;
    }
    if (ifid >= r->n_ifaces) {
        r->damaged++;
        dfs_cap__warn(r, b->frame,
                      "Packetry event block refers to interface %u, but the section describes "
                      "%u; skipped", ifid, r->n_ifaces);
        return false;
    }
    r->event_code = (uint8_t)word;
    rec->frame = b->frame;
    ng_ts(&r->ifaces[ifid], ts, &rec->ts);
    rec->linktype = DFS_RECORD_USB_EVENT;
    rec->order = r->order;
    rec->caplen = rec->origlen = 1;
    rec->data = &r->event_code;
    return true;
}

/* The block types the reader knows. read: returns true when it filled *rec;
 * NULL: skipped. packet: the block is a frame (numbered, as Wireshark does).
 * Only blocks of these types are trusted when resynchronising. */
static const struct block_type {
    uint32_t type;
    bool packet;
    bool (*read)(dfs_capreader *r, struct ng_block *b, struct dfs_record *rec);
} BLOCK_TYPES[] = {
    {PCAPNG_SHB, false, NULL}, /* read by ng_frame(): it sets the byte order */
    {PCAPNG_IDB, false, read_idb},
    {PCAPNG_OPB, true, read_packet},
    {PCAPNG_SPB, true, read_packet},
    {PCAPNG_NRB, false, NULL},
    {PCAPNG_ISB, false, read_isb},
    {PCAPNG_EPB, true, read_packet},
    {PCAPNG_DSB, false, NULL},
    {PCAPNG_CB, true, read_custom},
    {PCAPNG_DCB, true, read_custom},
};

static const struct block_type *block_type(uint32_t type)
{
    for (size_t i = 0; i < sizeof BLOCK_TYPES / sizeof BLOCK_TYPES[0]; i++)
        if (BLOCK_TYPES[i].type == type)
            return &BLOCK_TYPES[i];
    return NULL;
}

static bool is_packet(uint32_t type)
{
    const struct block_type *bt = block_type(type);
    return bt && bt->packet;
}

/* ---- sections ------------------------------------------------------------------------- */

/* A new section: its interfaces are new; keep the counters of the old ones. */
static void section_done(dfs_capreader *r)
{
    for (unsigned i = 0; i < r->n_ifaces; i++) {
        if (r->ifaces[i].has_recv) {
            r->recv_done_valid = true;
            r->recv_done += r->ifaces[i].recv;
        }
        if (r->ifaces[i].has_drop) {
            r->drop_done_valid = true;
            r->drop_done += r->ifaces[i].drop;
        }
    }
    r->n_ifaces = 0;
}

/* ---- resynchronisation ------------------------------------------------------------------ */

static uint32_t max_block(const dfs_capreader *r) { return r->opt.max_record + BLOCK_SLACK; }

/* Byte order of a section header block from its byte-order mark: 1 as the
 * host's, -1 swapped, 0 not a byte-order mark. */
static int shb_order(const uint8_t *b)
{
    uint32_t bom;
    memcpy(&bom, b + 8, 4);
    return bom == PCAPNG_BOM ? 1 : dfs_cap__swap32(bom) == PCAPNG_BOM ? -1 : 0;
}

/* Plausible block at buf[start]: known type, sane length and the trailing
 * copy of the length matches. Returns 1 (plausible), 0 (not), or -1 when
 * the header looks right but the block is not all there yet. */
static int plausible(dfs_capreader *r)
{
    size_t avail = dfs_cap__ensure(r, BLOCK_HDR);
    if (avail < BLOCK_HDR)
        return -1;
    const uint8_t *b = dfs_cap__at(r, 0);
    bool sw = r->swapped;
    uint32_t type = dfs_cap__u32(sw, b), min = BLOCK_HDR;
    if (type == PCAPNG_SHB) {
        int order = shb_order(b);
        if (!order)
            return 0;
        sw = order < 0;
        min = SHB_MIN;
    } else if (!block_type(type)) {
        return 0;
    }
    uint32_t len = dfs_cap__u32(sw, b + 4);
    if (len < min || len % 4 || len > max_block(r))
        return 0;
    avail = dfs_cap__ensure(r, len);
    if (avail < len)
        return -1;
    return dfs_cap__u32(sw, dfs_cap__at(r, len - 4)) == len;
}

/* Scan (in steps of 4 bytes, blocks are 4-aligned) for the next valid
 * block. DFS_CAP_RECORD: one starts at buf[start]; DFS_CAP_AGAIN (follow
 * mode): out of data, resume later. */
static enum dfs_capnext resync_go(dfs_capreader *r)
{
    for (;;) {
        size_t avail = dfs_cap__ensure(r, BLOCK_HDR);
        if (avail < BLOCK_HDR) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            r->resyncing = false;
            r->skipped += r->rs_skipped + avail;
            dfs_cap__warn(r, r->rs_frame,
                          "%s at offset %llu; no further block before the end of the file (%zu "
                          "bytes skipped)",
                          r->rs_why, (unsigned long long)r->rs_bad_at, r->rs_skipped + avail);
            dfs_cap__consume(r, avail);
            return DFS_CAP_EOF;
        }
        int p = plausible(r);
        if (p < 0 && r->opt.follow)
            return DFS_CAP_AGAIN; /* may be a block still being written */
        if (p > 0) {
            r->resyncing = false;
            r->skipped += r->rs_skipped;
            r->damaged++;
            dfs_cap__warn(r, r->rs_frame,
                          "%s at offset %llu; resuming at the next valid block, offset %llu (%zu "
                          "bytes skipped)",
                          r->rs_why, (unsigned long long)r->rs_bad_at,
                          (unsigned long long)dfs_cap__offset(r), r->rs_skipped);
            return DFS_CAP_RECORD;
        }
        dfs_cap__consume(r, 4);
        r->rs_skipped += 4;
        if (r->rs_skipped > DFS_CAP__RESYNC_LIMIT) {
            r->resyncing = false;
            return dfs_cap__fail(r,
                                 "%s: frame %llu: %s at offset %llu, and no valid block in the "
                                 "next %u bytes; giving up",
                                 r->name, (unsigned long long)r->rs_frame, r->rs_why,
                                 (unsigned long long)r->rs_bad_at, DFS_CAP__RESYNC_LIMIT);
        }
    }
}

static enum dfs_capnext resync(dfs_capreader *r, uint64_t frame, const char *why)
{
    dfs_cap__resync_begin(r, frame, why);
    dfs_cap__consume(r, 4);
    r->rs_skipped = 4;
    return resync_go(r);
}

/* ---- framing ------------------------------------------------------------------------------ */

enum ng_framed {
    NG_BLOCK,  /* *b is a whole block at buf[start] */
    NG_LOOK,   /* resynchronised: look at buf[start] again */
    NG_RETURN, /* return *n to the caller */
};

/* Resynchronise after a block whose framing is damaged. */
static enum ng_framed damaged_block(dfs_capreader *r, uint64_t frame, uint32_t type,
                                    const char *why, enum dfs_capnext *n)
{
    if (is_packet(type))
        r->frame = frame;
    *n = resync(r, frame, why);
    return *n == DFS_CAP_RECORD ? NG_LOOK : NG_RETURN;
}

/* The block at buf[start]: its header (a section header block sets the
 * byte order for the blocks after it), its total length at both ends, all
 * of it read into the buffer. */
static enum ng_framed ng_frame(dfs_capreader *r, struct ng_block *b, enum dfs_capnext *n)
{
    size_t avail = dfs_cap__ensure(r, BLOCK_HDR);
    if (avail == 0) {
        *n = r->opt.follow ? DFS_CAP_AGAIN : DFS_CAP_EOF;
        return NG_RETURN;
    }
    uint64_t frame = r->frame + 1;
    if (avail < BLOCK_HDR) {
        *n = DFS_CAP_AGAIN;
        if (r->opt.follow)
            return NG_RETURN;
        r->damaged++;
        dfs_cap__warn(r, frame, "file ends inside a block header (%zu of 12 bytes)", avail);
        dfs_cap__consume(r, avail);
        *n = DFS_CAP_EOF;
        return NG_RETURN;
    }
    const uint8_t *h = dfs_cap__at(r, 0);
    uint32_t type;
    memcpy(&type, h, 4); /* the SHB's type reads the same in either order */
    if (type == PCAPNG_SHB) {
        int order = shb_order(h);
        if (!order)
            return damaged_block(r, frame, type,
                                 "section header block with an invalid byte-order mark", n);
        r->swapped = order < 0;
        r->order = (dfs_cap__host_little() != r->swapped) ? DFS_ORDER_LITTLE : DFS_ORDER_BIG;
        section_done(r); /* interfaces are per section */
        r->in_section = true;
    } else {
        type = dfs_cap__u32(r->swapped, h);
        if (!r->in_section) {
            *n = dfs_cap__fail(r, "%s: pcapng file does not start with a section header block",
                               r->name);
            return NG_RETURN;
        }
    }
    uint32_t len = dfs_cap__u32(r->swapped, h + 4);
    if (len < BLOCK_HDR || len % 4 || len > max_block(r) || (type == PCAPNG_SHB && len < SHB_MIN)) {
        char why[200];
        snprintf(why, sizeof why, "%s block of type 0x%08x has an invalid total length %u",
                 is_packet(type) ? "packet" : "pcapng", type, len);
        return damaged_block(r, frame, type, why, n);
    }
    avail = dfs_cap__ensure(r, len);
    if (avail < len) {
        *n = DFS_CAP_AGAIN;
        if (r->opt.follow)
            return NG_RETURN;
        r->damaged++;
        if (is_packet(type))
            r->frame = frame;
        dfs_cap__warn(r, frame, "file ends inside a block of type 0x%08x (%zu of %u bytes)", type,
                      avail, len);
        dfs_cap__consume(r, avail);
        *n = DFS_CAP_EOF;
        return NG_RETURN;
    }
    h = dfs_cap__at(r, 0);
    uint32_t trail = dfs_cap__u32(r->swapped, h + len - 4);
    if (trail != len) {
        char why[200];
        snprintf(why, sizeof why,
                 "block of type 0x%08x: total length %u at its start but %u at its end", type,
                 len, trail);
        return damaged_block(r, frame, type, why, n);
    }
    *b = (struct ng_block){.type = type, .len = len, .frame = frame, .at = dfs_cap__offset(r),
                           .body = dfs_cap__cursor_over(h + 8, len - BLOCK_HDR, r->swapped)};
    return NG_BLOCK;
}

enum dfs_capnext dfs_cap__pcapng_next(dfs_capreader *r, struct dfs_record *rec)
{
    for (;;) {
        if (r->resyncing) {
            enum dfs_capnext n = resync_go(r);
            if (n != DFS_CAP_RECORD)
                return n;
        }
        struct ng_block b;
        enum dfs_capnext n = DFS_CAP_ERROR;
        enum ng_framed f = ng_frame(r, &b, &n);
        if (f == NG_RETURN)
            return n;
        if (f == NG_LOOK)
            continue;
        const struct block_type *bt = block_type(b.type);
        bool got = bt && bt->read && bt->read(r, &b, rec);
        /* the record's data stays valid: consume() only moves indexes */
        dfs_cap__consume(r, b.len);
        if (got)
            return DFS_CAP_RECORD;
    }
}
