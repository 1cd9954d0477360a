/* Fuzz target: following one device through a record stream (the device
 * follower of capture/follow.c, used by `dfuscope capture --device` and
 * `dfuscope follow`), and rewriting records into this host's byte order
 * (dfs_usbmon_host_order, decoder/usbmon.c).
 *
 * Input: a follow target and options, then records as in fuzz_decoder.c.
 *   byte 0  bit 0 link type 220 (else 189); bits 1-2 header byte order
 *           (0 host, 1 little, 2 big, 3 foreign); bit 3 small hold-back
 *           limits from byte 1
 *   byte 1  argument of bit 3
 *   byte 2  bit 0 by bus/address, bit 1 by VID:PID, bit 2 known DFU device;
 *           bits 4-7 the bus
 *   byte 3  device address; bytes 4-7 VID and PID (little-endian)
 *   record  length (2 bytes, little-endian), time step (ms), flags (bit 0:
 *           the other link type), then the bytes; each in an exact-size
 *           heap buffer.
 *
 * Properties checked: every record popped is a record pushed, unchanged and
 * with its frame number, in capture order, each at most once; nothing stays
 * held after finish; the counters agree with what was popped. Host-order
 * rewriting keeps the length, and the rewritten record parses in host order
 * to the same fields as the original in its own order, isochronous
 * descriptors byte-swapped word by word.
 */
#include "fuzz.h"
#include "internal.h"

#include "dfuscope/live.h"

struct pushed {
    uint8_t *data;
    uint32_t caplen;
    int linktype;
    struct dfs_time ts;
};

static void check_host_order(const struct dfs_record *rec)
{
    uint8_t *out = malloc(rec->caplen ? rec->caplen : 1);
    if (!out)
        abort();
    FUZZ_CHECK(rec->caplen == 0 || dfs_usbmon_host_order(rec, out, rec->caplen - 1) == 0);
    size_t n = dfs_usbmon_host_order(rec, out, rec->caplen);
    FUZZ_CHECK(n == rec->caplen);
    struct dfs_urb a, b;
    char msg[200];
    enum dfs__parse_status pa =
        dfs__usbmon_parse(rec->data, rec->caplen, rec->linktype, rec->order, &a, msg, sizeof msg);
    enum dfs__parse_status pb =
        dfs__usbmon_parse(out, rec->caplen, rec->linktype, DFS_ORDER_HOST, &b, msg, sizeof msg);
    FUZZ_CHECK(pa == pb);
    if (pa == DFS__PARSE_SHORT) {
        free(out);
        return;
    }
    FUZZ_CHECK(a.id == b.id && a.type == b.type && a.xfer_type == b.xfer_type);
    FUZZ_CHECK(a.endpoint == b.endpoint && a.devnum == b.devnum && a.bus == b.bus);
    FUZZ_CHECK(a.flag_setup == b.flag_setup && a.flag_data == b.flag_data);
    FUZZ_CHECK(a.urb_ts_sec == b.urb_ts_sec && a.urb_ts_usec == b.urb_ts_usec);
    FUZZ_CHECK(a.status == b.status && a.length == b.length && a.len_cap == b.len_cap);
    if (pa == DFS__PARSE_BAD) {
        free(out);
        return;
    }
    if (a.has_setup)
        FUZZ_CHECK(memcmp(a.setup, b.setup, 8) == 0);
    if (a.xfer_type == DFS_XFER_ISO && !a.has_setup)
        FUZZ_CHECK(a.iso_error_count == b.iso_error_count && a.iso_numdesc == b.iso_numdesc);
    if (a.mmapped)
        FUZZ_CHECK(a.interval == b.interval && a.start_frame == b.start_frame &&
                   a.xfer_flags == b.xfer_flags);
    FUZZ_CHECK(a.ndesc == b.ndesc && a.data_len == b.data_len);
    FUZZ_CHECK(!a.data_len || memcmp(a.data, b.data, a.data_len) == 0);
    /* the isochronous descriptors: four 32-bit words each, swapped when the
     * record is not in host order */
    size_t hdr = a.mmapped ? DFS_USBMON_MMAPPED_HDR_LEN : DFS_USBMON_HDR_LEN;
    const uint16_t one = 1;
    uint8_t little;
    memcpy(&little, &one, 1);
    bool swapped = (rec->order == DFS_ORDER_LITTLE && !little) ||
                   (rec->order == DFS_ORDER_BIG && little);
    if (a.xfer_type == DFS_XFER_ISO && pa == DFS__PARSE_OK) {
        for (size_t off = hdr; off + 4 <= hdr + (size_t)a.ndesc * DFS_USBMON_ISODESC_LEN;
             off += 4) {
            const uint8_t *x = rec->data + off, *y = out + off;
            if (swapped)
                FUZZ_CHECK(x[0] == y[3] && x[1] == y[2] && x[2] == y[1] && x[3] == y[0]);
            else
                FUZZ_CHECK(memcmp(x, y, 4) == 0);
        }
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint8_t mode = data[0], arg = data[1], tb = data[2];
    struct dfs_follow_target t = {
        .by_addr = tb & 1,
        .bus = (uint16_t)(tb >> 4),
        .devnum = data[3],
        .by_id = (tb & 2) != 0,
        .vid = (uint16_t)(data[4] | (data[5] << 8)),
        .pid = (uint16_t)(data[6] | (data[7] << 8)),
        .dfu = (tb & 4) != 0,
    };
    data += 8;
    size -= 8;
    struct dfs_follower_options o;
    dfs_follower_options_init(&o);
    if (mode & 0x08) {
        o.max_held = 1u + (arg & 15);
        o.max_held_bytes = (size_t)512 << ((arg >> 4) & 7);
    }
    const uint16_t one = 1;
    uint8_t little;
    memcpy(&little, &one, 1);
    static const enum dfs_byte_order orders[4] = {DFS_ORDER_HOST, DFS_ORDER_LITTLE,
                                                   DFS_ORDER_BIG, DFS_ORDER_HOST};
    enum dfs_byte_order order = orders[(mode >> 1) & 3];
    if (((mode >> 1) & 3) == 3)
        order = little ? DFS_ORDER_BIG : DFS_ORDER_LITTLE;
    int base_lt = (mode & 1) ? DFS_LINKTYPE_USB_LINUX_MMAPPED : DFS_LINKTYPE_USB_LINUX;

    dfs_follower *f = NULL;
    dfs_result r = dfs_follower_new(&t, &o, NULL, NULL, &f);
    if (r != DFS_OK) {
        FUZZ_CHECK(r == DFS_E_INVAL || r == DFS_E_NOMEM);
        return 0;
    }

    size_t n_recs = 0;
    for (size_t off = 0; off + 4 <= size; n_recs++) {
        size_t len = (size_t)data[off] | ((size_t)data[off + 1] << 8);
        off += 4;
        off += len < size - off ? len : size - off;
    }
    struct pushed *pushed = calloc(n_recs + 1, sizeof *pushed);
    if (!pushed)
        abort();
    uint64_t last_popped = 0, popped = 0, frame = 0;
    struct dfs_time ts = {1700000000, 0};
    bool failed = false;
    for (size_t off = 0; off + 4 <= size;) {
        size_t len = (size_t)data[off] | ((size_t)data[off + 1] << 8);
        uint8_t step = data[off + 2], flags = data[off + 3];
        off += 4;
        if (len > size - off)
            len = size - off;
        frame++;
        ts.nsec += (uint32_t)step * 1000000u;
        ts.sec += ts.nsec / 1000000000u;
        ts.nsec %= 1000000000u;
        struct pushed *p = &pushed[frame];
        p->data = fuzz_dup(data + off, len);
        p->caplen = (uint32_t)len;
        p->linktype = (flags & 1) ? (base_lt == DFS_LINKTYPE_USB_LINUX
                                         ? DFS_LINKTYPE_USB_LINUX_MMAPPED
                                         : DFS_LINKTYPE_USB_LINUX)
                                  : base_lt;
        p->ts = ts;
        off += len;
        struct dfs_record rec = {.frame = frame, .ts = ts, .linktype = p->linktype,
                                 .order = order, .caplen = p->caplen, .origlen = p->caplen,
                                 .data = p->data};
        check_host_order(&rec);
        if (failed)
            continue;
        r = dfs_follower_push(f, &rec);
        if (r != DFS_OK) {
            FUZZ_CHECK(r == DFS_E_NOMEM);
            failed = true;
            continue;
        }
        struct dfs_record out;
        while (dfs_follower_pop(f, &out)) {
            FUZZ_CHECK(out.frame > last_popped && out.frame <= frame);
            const struct pushed *q = &pushed[out.frame];
            FUZZ_CHECK(out.caplen == q->caplen && out.linktype == q->linktype);
            FUZZ_CHECK(out.ts.sec == q->ts.sec && out.ts.nsec == q->ts.nsec);
            FUZZ_CHECK(!out.caplen || memcmp(out.data, q->data, out.caplen) == 0);
            last_popped = out.frame;
            popped++;
        }
        struct dfs_follower_stats st;
        dfs_follower_stats(f, &st);
        if (mode & 0x08)
            FUZZ_CHECK(st.held <= o.max_held);
    }
    if (!failed) {
        FUZZ_CHECK(dfs_follower_finish(f) == DFS_OK);
        struct dfs_record out;
        while (dfs_follower_pop(f, &out)) {
            FUZZ_CHECK(out.frame > last_popped && out.frame <= frame);
            const struct pushed *q = &pushed[out.frame];
            FUZZ_CHECK(out.caplen == q->caplen && (!out.caplen ||
                                                   memcmp(out.data, q->data, out.caplen) == 0));
            last_popped = out.frame;
            popped++;
        }
        struct dfs_follower_stats st;
        dfs_follower_stats(f, &st);
        FUZZ_CHECK(st.records == frame && st.kept == popped && st.held == 0);
        FUZZ_CHECK(st.kept + st.dropped <= st.records);
    }
    dfs_follower_free(f);
    for (size_t i = 0; i <= n_recs; i++)
        free(pushed[i].data);
    free(pushed);
    return 0;
}
