/* Fuzz target: the usbmon record decoder (dfs_decoder_feed and everything
 * behind it: URB pairing, control transfers, device tracking, descriptor
 * bookkeeping, the DFU layer, the text summaries).
 *
 * Input: two option bytes, then records.
 *   byte 0  bit 0     link type 220 (else 189)
 *           bits 1-2  header byte order: 0 host, 1 little, 2 big, 3 foreign
 *           bit 3     small limits taken from byte 1 (max_urbs 1-8,
 *                     max_payload 64 B-8 KiB, max_devices 1-4)
 *           bit 4     fail allocation number byte1 + 1 (out-of-memory path)
 *           bit 5     a callback asks to stop after byte1 events
 *           bit 6     reset the decoder after half the records, then go on
 *   byte 1  argument of bits 3-5
 *   record  length (2 bytes, little-endian), time step, flags, then the
 *           record bytes (the length is cut to what is left).
 *           time step: milliseconds, or seconds with flags bit 2
 *           flags bit 0: the other usbmon link type for this record
 *                 bit 1: origlen larger than caplen (snapshot length cut)
 *                 bit 3: the frame number jumps by 1000
 *                 bit 4: a link type the decoder does not read (must be refused)
 *                 bit 5: a Windows USBPcap record (249)
 *                 bit 6: a macOS USB_DARWIN record (266; with bit 5: 249)
 * Each record is fed from a heap buffer of exactly its length.
 *
 * Properties checked: feed/finish return only the documented codes, errors
 * are sticky, an allocation failure is never swallowed (some call returns
 * DFS_E_NOMEM), nothing leaks, every event names frames already fed, every
 * string the library writes is terminated, and every URB event re-encodes
 * (dfs_usbmon_encode) to a record that parses back to the same fields; a
 * USBPcap or USB_DARWIN event renders (dfs_usbpcap_encode, dfs_darwin_encode)
 * to a record its parser reads back with the same id, transfer type,
 * endpoint, device and data.
 */
#include "fuzz.h"
#include "internal.h"

struct ctx {
    uint64_t frame;            /* frame being fed */
    int linktype;
    enum dfs_byte_order order;
    unsigned long events;
    unsigned long stop_after;  /* 0: never */
    unsigned long sink;        /* bytes touched, so reads are not optimised away */
};

static int count_event(struct ctx *c)
{
    c->events++;
    return c->stop_after && c->events >= c->stop_after;
}

static void touch(struct ctx *c, const uint8_t *p, uint32_t n)
{
    FUZZ_CHECK(!n || p);
    for (uint32_t i = 0; i < n; i++)
        c->sink += p[i];
}

/* Encode the URB again and parse it back: same fields. */
static void check_reencode(const struct ctx *c, const struct dfs_urb *u)
{
    uint64_t desc = (uint64_t)u->ndesc * DFS_USBMON_ISODESC_LEN;
    uint64_t need = DFS_USBMON_MMAPPED_HDR_LEN + desc + u->data_len;
    if (need > (1u << 20))
        return;
    uint8_t *buf = malloc((size_t)need);
    if (!buf)
        abort();
    int lt = u->mmapped ? DFS_LINKTYPE_USB_LINUX_MMAPPED : DFS_LINKTYPE_USB_LINUX;
    size_t n = dfs_usbmon_encode(u, lt, c->order, buf, (size_t)need);
    FUZZ_CHECK(n > 0);
    uint8_t *exact = fuzz_dup(buf, n);
    free(buf);
    struct dfs_urb v;
    char msg[200];
    enum dfs__parse_status ps = dfs__usbmon_parse(exact, (uint32_t)n, lt, c->order, &v, msg,
                                                  sizeof msg);
    FUZZ_CHECK(ps == DFS__PARSE_OK || ps == DFS__PARSE_DAMAGED);
    FUZZ_CHECK(fuzz_terminated(msg, sizeof msg));
    FUZZ_CHECK(v.id == u->id && v.type == u->type && v.xfer_type == u->xfer_type);
    FUZZ_CHECK(v.endpoint == u->endpoint && v.devnum == u->devnum && v.bus == u->bus);
    FUZZ_CHECK(v.flag_setup == u->flag_setup && v.flag_data == u->flag_data);
    FUZZ_CHECK(v.urb_ts_sec == u->urb_ts_sec && v.urb_ts_usec == u->urb_ts_usec);
    FUZZ_CHECK(v.status == u->status && v.length == u->length);
    FUZZ_CHECK(v.has_setup == u->has_setup);
    if (u->has_setup)
        FUZZ_CHECK(memcmp(v.setup, u->setup, 8) == 0);
    else
        FUZZ_CHECK(v.iso_error_count == u->iso_error_count &&
                   v.iso_numdesc == u->iso_numdesc);
    FUZZ_CHECK(v.mmapped == u->mmapped);
    if (u->mmapped)
        FUZZ_CHECK(v.interval == u->interval && v.start_frame == u->start_frame &&
                   v.xfer_flags == u->xfer_flags && v.ndesc == u->ndesc);
    if (u->len_cap >= desc + u->data_len)
        FUZZ_CHECK(v.len_cap == u->len_cap);
    FUZZ_CHECK(v.data_len == u->data_len);
    FUZZ_CHECK(!u->data_len || memcmp(v.data, u->data, u->data_len) == 0);
    free(exact);
}

/* A USBPcap or USB_DARWIN event, rendered again in its format, parses back
 * to the same fields. */
static void check_native(const struct dfs_urb *u)
{
    if (u->type == DFS_URB_PART || u->xfer_type > DFS_XFER_BULK)
        return;
    size_t need = 64 + (size_t)u->data_len;
    uint8_t *buf = malloc(need);
    if (!buf)
        abort();
    bool pcap = u->linktype == DFS_LINKTYPE_USBPCAP;
    size_t n = pcap ? dfs_usbpcap_encode(u, buf, need) : dfs_darwin_encode(u, buf, need);
    FUZZ_CHECK(n > 0);
    uint8_t *exact = fuzz_dup(buf, n);
    free(buf);
    struct dfs_urb v;
    char msg[200];
    enum dfs__parse_status ps = pcap ? dfs__usbpcap_parse(exact, (uint32_t)n, &v, msg, sizeof msg)
                                     : dfs__darwin_parse(exact, (uint32_t)n, &v, msg, sizeof msg);
    FUZZ_CHECK(fuzz_terminated(msg, sizeof msg));
    /* a control completion is rendered without a setup packet, which a
     * control submit without one cannot be */
    if (!(u->xfer_type == DFS_XFER_CONTROL && u->type == DFS_URB_SUBMIT && !u->has_setup)) {
        FUZZ_CHECK(ps == DFS__PARSE_OK);
        FUZZ_CHECK(v.id == u->id && v.xfer_type == u->xfer_type && v.endpoint == u->endpoint);
        FUZZ_CHECK(v.devnum == u->devnum && v.bus == u->bus);
        FUZZ_CHECK(v.has_setup == (u->has_setup && u->type == DFS_URB_SUBMIT &&
                                   u->xfer_type == DFS_XFER_CONTROL));
        FUZZ_CHECK(v.data_len == u->data_len);
        FUZZ_CHECK(!u->data_len || memcmp(v.data, u->data, u->data_len) == 0);
    }
    free(exact);
}

static int on_urb(void *user, const struct dfs_urb *u)
{
    struct ctx *c = user;
    FUZZ_CHECK(u->frame == c->frame);
    FUZZ_CHECK(u->link_frame < u->frame);
    touch(c, u->data, u->data_len);
    if (c->linktype == DFS_LINKTYPE_USBPCAP || c->linktype == DFS_LINKTYPE_USB_DARWIN) {
        FUZZ_CHECK(u->linktype == c->linktype);
        FUZZ_CHECK(u->type == 'S' || u->type == 'C' || u->type == 'P');
        FUZZ_CHECK(u->xfer_type <= DFS_XFER_BULK || (u->type == 'P' &&
                                                     u->xfer_type == DFS_USBPCAP_XFER_IRP_INFO));
        check_native(u);
    } else {
        FUZZ_CHECK(u->type == 'S' || u->type == 'C' || u->type == 'E');
        FUZZ_CHECK(u->xfer_type <= DFS_XFER_BULK);
        check_reencode(c, u);
    }
    return count_event(c);
}

static int on_control(void *user, const struct dfs_control *ctl)
{
    struct ctx *c = user;
    FUZZ_CHECK(ctl->submit_frame <= c->frame && ctl->complete_frame <= c->frame);
    FUZZ_CHECK(ctl->submit_frame || ctl->complete_frame);
    touch(c, ctl->data, ctl->data_len);
    static const size_t sizes[] = {1, 2, 9, 40, 400};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char buf[400];
        size_t n = dfs_control_request_str(ctl, buf, sizes[i]);
        FUZZ_CHECK(n < sizes[i] && fuzz_terminated(buf, sizes[i]) && strlen(buf) == n);
        n = dfs_control_data_str(ctl, buf, sizes[i]);
        FUZZ_CHECK(n < sizes[i] && fuzz_terminated(buf, sizes[i]) && strlen(buf) == n);
    }
    return count_event(c);
}

static int on_device(void *user, const struct dfs_device_event *ev)
{
    struct ctx *c = user;
    FUZZ_CHECK(ev->device >= 1 && ev->lane >= 1 && ev->lane <= ev->device);
    FUZZ_CHECK(ev->frame <= c->frame);
    return count_event(c);
}

static int on_dfu(void *user, const struct dfs_dfu_txn *t)
{
    struct ctx *c = user;
    FUZZ_CHECK(t->frame <= c->frame && t->reply_frame <= c->frame);
    touch(c, t->data, t->data_len);
    return count_event(c);
}

static int on_mem(void *user, const struct dfs_mem_op *op)
{
    struct ctx *c = user;
    FUZZ_CHECK(op->frame <= c->frame && op->exec_frame <= c->frame);
    FUZZ_CHECK(op->kind <= DFS_MEM_OP_MASS_ERASE);
    touch(c, op->data, op->data_len);
    return count_event(c);
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    struct ctx *c = user;
    const struct dfs_finding_info *info = dfs_finding_info(f->code);
    FUZZ_CHECK(info && f->id == info->id && f->severity == info->severity);
    FUZZ_CHECK(f->n_frames <= DFS_FINDING_MAX_FRAMES);
    for (unsigned i = 0; i < f->n_frames; i++) {
        FUZZ_CHECK(f->frames[i] >= 1 && f->frames[i] <= c->frame);
        FUZZ_CHECK(i == 0 || f->frames[i - 1] < f->frames[i]);
    }
    FUZZ_CHECK(f->frame <= c->frame);
    FUZZ_CHECK(fuzz_terminated(f->explanation, sizeof f->explanation));
    FUZZ_CHECK(fuzz_terminated(f->remedy, sizeof f->remedy));
    return count_event(c);
}

static void query_devices(struct ctx *c, const dfs_decoder *d)
{
    size_t n = dfs_decoder_device_count(d);
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info di;
        FUZZ_CHECK(dfs_decoder_device_info(d, i, &di) == DFS_OK);
        touch(c, di.config, (uint32_t)di.config_len);
        touch(c, di.bos, (uint32_t)di.bos_len);
        touch(c, di.qualifier, (uint32_t)di.qualifier_len);
        struct dfs_dfu_info dfu;
        FUZZ_CHECK(dfs_decoder_dfu_info(d, di.id, &dfu) == DFS_OK);
        FUZZ_CHECK(dfu.n_alts <= DFS_DFU_MAX_ALTS);
        for (unsigned a = 0; a < dfu.n_alts; a++) {
            FUZZ_CHECK(fuzz_terminated(dfu.alts[a].name, sizeof dfu.alts[a].name));
            FUZZ_CHECK(fuzz_terminated(dfu.alts[a].layout_error,
                                       sizeof dfu.alts[a].layout_error));
            FUZZ_CHECK(dfu.alts[a].layout.n_regions <= DFS_LAYOUT_MAX_REGIONS);
        }
        for (unsigned idx = 0; idx < 256; idx++) {
            const uint8_t *raw;
            size_t len;
            if (dfs_decoder_device_string(d, di.id, (uint8_t)idx, 0, &raw, &len) == DFS_OK)
                touch(c, raw, (uint32_t)len);
        }
    }
    struct dfs_device_info di;
    FUZZ_CHECK(dfs_decoder_device_info(d, n, &di) == DFS_E_NOTFOUND);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0], arg = data[1];
    data += 2;
    size -= 2;

    struct fuzz_alloc fa = {0};
    struct dfs_allocator al = fuzz_allocator(&fa);
    struct dfs_options opt;
    dfs_options_init(&opt);
    opt.alloc = &al;
    if (mode & 0x08) {
        opt.max_urbs = 1u + (arg & 7);
        opt.max_payload = (size_t)64 << ((arg >> 3) & 7);
        opt.max_devices = 1u + (arg >> 6);
    }
    bool oom = mode & 0x10, stop = mode & 0x20, reset = mode & 0x40;
    if (oom)
        fa.fail_at = (unsigned long)arg + 1;

    static const enum dfs_byte_order orders[4] = {DFS_ORDER_HOST, DFS_ORDER_LITTLE,
                                                   DFS_ORDER_BIG, DFS_ORDER_HOST};
    struct ctx c = {.stop_after = stop ? (unsigned long)arg + 1 : 0};
    c.order = orders[(mode >> 1) & 3];
    if (((mode >> 1) & 3) == 3) { /* the order this host does not use */
        const uint16_t one = 1;
        uint8_t b;
        memcpy(&b, &one, 1);
        c.order = b ? DFS_ORDER_BIG : DFS_ORDER_LITTLE;
    }
    int base_lt = (mode & 1) ? DFS_LINKTYPE_USB_LINUX_MMAPPED : DFS_LINKTYPE_USB_LINUX;
    struct dfs_sink sink = {.user = &c,
                            .on_urb = on_urb,
                            .on_control = on_control,
                            .on_device = on_device,
                            .on_dfu = on_dfu,
                            .on_mem = on_mem,
                            .on_finding = on_finding};

    dfs_decoder *d = NULL;
    dfs_result r = dfs_decoder_new(&opt, &sink, &d);
    if (r != DFS_OK) {
        FUZZ_CHECK(r == DFS_E_NOMEM && fa.failed);
        FUZZ_CHECK(fa.live == 0);
        return 0;
    }

    /* count the records first, for the reset in the middle */
    size_t n_records = 0;
    for (size_t off = 0; off + 4 <= size; n_records++) {
        size_t len = (size_t)data[off] | ((size_t)data[off + 1] << 8);
        off += 4;
        off += len < size - off ? len : size - off;
    }

    dfs_result sticky = DFS_OK;
    bool saw_nomem = false;
    uint64_t frame = 0, fed = 0;
    struct dfs_time ts = {1700000000, 0};
    size_t i = 0;
    for (size_t off = 0; off + 4 <= size; i++) {
        size_t len = (size_t)data[off] | ((size_t)data[off + 1] << 8);
        uint8_t step = data[off + 2], flags = data[off + 3];
        off += 4;
        if (len > size - off)
            len = size - off;
        uint8_t *rec_bytes = fuzz_dup(data + off, len);
        off += len;

        frame += (flags & 0x08) ? 1000 : 1;
        if (flags & 0x04)
            ts.sec += step;
        else {
            ts.nsec += (uint32_t)step * 1000000u;
            ts.sec += ts.nsec / 1000000000u;
            ts.nsec %= 1000000000u;
        }
        struct dfs_record rec = {
            .frame = frame,
            .ts = ts,
            .linktype = base_lt,
            .order = c.order,
            .caplen = (uint32_t)len,
            .origlen = (uint32_t)len + ((flags & 0x02) ? 100 : 0),
            .data = rec_bytes,
        };
        if (flags & 0x01)
            rec.linktype = base_lt == DFS_LINKTYPE_USB_LINUX ? DFS_LINKTYPE_USB_LINUX_MMAPPED
                                                             : DFS_LINKTYPE_USB_LINUX;
        if (flags & 0x60)
            rec.linktype = (flags & 0x20) ? DFS_LINKTYPE_USBPCAP : DFS_LINKTYPE_USB_DARWIN;
        if (flags & 0x10)
            rec.linktype = 1; /* Ethernet */
        c.frame = frame;
        c.linktype = rec.linktype;
        r = dfs_decoder_feed(d, &rec);
        free(rec_bytes);
        if (sticky != DFS_OK) {
            FUZZ_CHECK(r == sticky);
        } else if (r == DFS_E_LINKTYPE) {
            FUZZ_CHECK(rec.linktype == 1);
            fed++;
        } else {
            FUZZ_CHECK(rec.linktype != 1 || r != DFS_OK);
            FUZZ_CHECK(r == DFS_OK || (r == DFS_E_NOMEM && oom) || (r == DFS_E_ABORTED && stop));
            if (r == DFS_OK || r == DFS_E_ABORTED || r == DFS_E_NOMEM)
                fed++;
            sticky = r;
            saw_nomem |= r == DFS_E_NOMEM;
        }
        if (sticky != DFS_OK) {
            const char *msg = NULL;
            FUZZ_CHECK(dfs_decoder_error(d, &msg) == sticky && msg && *msg);
        }
        if (reset && i + 1 == n_records / 2) {
            dfs_decoder_reset(d);
            r = dfs_decoder_error(d, NULL);
            FUZZ_CHECK(r == DFS_OK || (r == DFS_E_NOMEM && oom));
            sticky = r;
            saw_nomem |= r == DFS_E_NOMEM;
            fed = 0;
            frame = 0;
        }
    }
    if (sticky == DFS_OK)
        FUZZ_CHECK(dfs_decoder_stats(d)->records == fed);
    r = dfs_decoder_finish(d);
    if (sticky != DFS_OK)
        FUZZ_CHECK(r == sticky);
    else
        FUZZ_CHECK(r == DFS_OK || (r == DFS_E_NOMEM && oom) || (r == DFS_E_ABORTED && stop));
    saw_nomem |= r == DFS_E_NOMEM;
    if (r == DFS_OK)
        FUZZ_CHECK(dfs_decoder_finish(d) == DFS_E_STATE);
    query_devices(&c, d);
    dfs_decoder_free(d);
    /* an allocation that failed must have been reported, not swallowed */
    FUZZ_CHECK(!fa.failed || saw_nomem);
    FUZZ_CHECK(fa.live == 0);
    return 0;
}
