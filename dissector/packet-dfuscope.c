/* dfuscope Wireshark plugin: a postdissector that runs the dfuscope decoder
 * on the usbmon records Wireshark reads and shows what it reported: DFU and
 * DfuSe transactions, DfuSe layouts, device events and findings, as fields
 * under the filter prefix "dfuscope.", expert infos and a packet-list
 * summary.
 *
 * The decoder is fed only on the first, in-order pass (!pinfo->fd->visited);
 * what it reports is kept per frame number (results.c) and later passes only
 * display it. When Wireshark reads a capture file, the whole file is decoded
 * before its first frame is shown (prepass.c), so that a single pass shows
 * everything; otherwise (pipes, live captures) each frame shows what was
 * known when it was read. docs/wireshark.md explains both.
 */
#include <wireshark.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <wiretap/wtap.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "packet-dfuscope.h"
#include "prepass.h"
#include "results.h"

static int proto_dfuscope = -1;

static int hf_request = -1;
static int hf_command = -1;
static int hf_address = -1;
static int hf_block = -1;
static int hf_length = -1;
static int hf_state = -1;
static int hf_state_before = -1;
static int hf_status = -1;
static int hf_poll_timeout = -1;
static int hf_outcome = -1;
static int hf_usb_status = -1;
static int hf_interface = -1;
static int hf_alt = -1;
static int hf_mass_erase = -1;
static int hf_leave = -1;
static int hf_poll_wait = -1;
static int hf_naks = -1;
static int hf_nak_ms = -1;
static int hf_finding = -1;
static int hf_finding_severity = -1;
static int hf_finding_group = -1;
static int hf_finding_title = -1;
static int hf_finding_explanation = -1;
static int hf_finding_remedy = -1;
static int hf_finding_at_end = -1;
static int hf_related_frame = -1;
static int hf_layout = -1;
static int hf_layout_interface = -1;
static int hf_layout_alt = -1;
static int hf_layout_string_index = -1;
static int hf_layout_name = -1;
static int hf_layout_error = -1;
static int hf_region_start = -1;
static int hf_region_end = -1;
static int hf_region_count = -1;
static int hf_region_size = -1;
static int hf_region_access = -1;
static int hf_mem_op = -1;
static int hf_mem_address = -1;
static int hf_mem_length = -1;
static int hf_mem_ok = -1;
static int hf_device = -1;
static int hf_device_event = -1;
static int hf_device_previous = -1;

static gint ett_dfuscope = -1;
static gint ett_txn = -1;
static gint ett_finding = -1;
static gint ett_layout = -1;
static gint ett_device = -1;
static gint ett_region = -1;
static gint ett_mem = -1;

static expert_field ei_finding[DFS_F__COUNT];
static expert_field ei_reread = EI_INIT;
static expert_field ei_incomplete = EI_INIT;

static gboolean pref_prepass = TRUE;

static const value_string state_vals[] = {
#define DFS_STATE_VAL(name, value, text) {value, text},
    DFS_DFU_STATE_MAP(DFS_STATE_VAL)
#undef DFS_STATE_VAL
    {0, NULL}};

static const value_string status_vals[] = {
#define DFS_STATUS_VAL(name, value, text, meaning) {value, text},
    DFS_DFU_STATUS_MAP(DFS_STATUS_VAL)
#undef DFS_STATUS_VAL
    {0, NULL}};

/* ---- per-capture state ----------------------------------------------------- */

enum mode {
    MODE_UNDECIDED = 0,
    MODE_FILE,   /* results of the pre-pass over the whole file */
    MODE_STREAM, /* results of feeding the frames as Wireshark reads them */
};

/* The results of the pre-pass, and the file they are of. Kept when
 * Wireshark dissects the capture again (its init routine runs again, after a
 * change of preferences or a reload): an unchanged file is not decoded
 * again. Freed when another file is read ahead, and at shutdown. */
static struct dfs__res *file_res;
static struct dfs__prepass pp;

static struct {
    enum mode mode;
    /* The stream decoder: in stream mode fed every frame of the first pass;
     * in file mode made only when the file turns out to differ from what
     * Wireshark shows (a file that grew, or changed, while read), then fed
     * the frames before that again from the file for full context. */
    struct dfs__res *stream_res;
    dfs_decoder *stream_dec;
    uint64_t stream_from;  /* frames from here on show the stream results */
    bool grown;            /* the file grew after the pre-pass: stream everywhere */
    uint64_t switch_frame; /* where the stream took over, with why */
    char switch_why[1024];
    bool feed_failed;
    char feed_error[300];
    uint64_t feed_error_frame;
    struct dfs_time last_ts; /* of the last packet: a Packetry bus event takes it */
} st;

static void state_free(void)
{
    if (st.stream_dec)
        dfs_decoder_free(st.stream_dec);
    dfs__res_free(st.stream_res);
    memset(&st, 0, sizeof st);
}

static void dfuscope_init(void)
{
    state_free();
    if (!file_res)
        file_res = dfs__res_new();
}

static void dfuscope_cleanup(void)
{
    state_free();
}

static void dfuscope_shutdown(void)
{
    state_free();
    dfs__res_free(file_res);
    file_res = NULL;
    dfs__prepass_clear(&pp);
}

/* Make the stream decoder; false when out of memory. */
static bool stream_new(void)
{
    st.stream_res = dfs__res_new();
    if (!st.stream_res)
        return false;
    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink;
    dfs__res_sink(st.stream_res, &sink);
    if (dfs_decoder_new(&opt, &sink, &st.stream_dec) != DFS_OK) {
        st.stream_dec = NULL;
        return false;
    }
    dfs__res_bind(st.stream_res, st.stream_dec);
    return true;
}

static void stream_failed(uint64_t frame, dfs_result rc)
{
    const char *msg = NULL;
    if (st.stream_dec)
        dfs_decoder_error(st.stream_dec, &msg);
    st.feed_failed = true;
    st.feed_error_frame = frame;
    snprintf(st.feed_error, sizeof st.feed_error, "%s%s%s", dfs_result_str(rc),
             msg ? ": " : "", msg ? msg : "");
}

/* ---- first pass -------------------------------------------------------------- */

static int frame_linktype(const packet_info *pinfo)
{
    if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return 0;
    return dfs__encap_linktype(pinfo->rec->rec_header.packet_header.pkt_encap);
}

static bool frame_has_ts(const packet_info *pinfo)
{
    return pinfo->rec && (pinfo->rec->presence_flags & WTAP_HAS_TS) != 0;
}

static void decide_mode(tvbuff_t *tvb, packet_info *pinfo, int lt)
{
    st.mode = MODE_STREAM;
    st.stream_from = 1;
    if (pref_prepass && pinfo->num == 1 && lt && file_res) {
        struct dfs__first_frame first = {
            .data = tvb_get_ptr(tvb, 0, -1),
            .caplen = tvb_captured_length(tvb),
            .len = tvb_reported_length(tvb),
            .encap = pinfo->rec->rec_header.packet_header.pkt_encap,
            .has_ts = frame_has_ts(pinfo),
            .ts_sec = (int64_t)pinfo->abs_ts.secs,
            .ts_nsec = (int32_t)pinfo->abs_ts.nsecs,
        };
        bool reused;
        if (dfs__prepass_run(&first, file_res, &pp, &reused)) {
            if (pp.decoder_result == DFS_OK && !dfs__res_failed(file_res)) {
                st.mode = MODE_FILE;
                st.stream_from = UINT64_MAX;
                return;
            }
            /* the read-ahead could not be completed (out of memory): decode
             * the frames as Wireshark reads them instead, and say so on
             * frame 1 */
            snprintf(st.switch_why, sizeof st.switch_why,
                     "decoding %s ahead failed (%s): frames are decoded as Wireshark reads "
                     "them",
                     pp.path,
                     pp.decoder_result != DFS_OK ? dfs_result_str(pp.decoder_result)
                                                 : "out of memory");
            st.switch_frame = 1;
            dfs__res_clear(file_res);
            dfs__prepass_clear(&pp);
        }
    }
    if (!stream_new())
        stream_failed(pinfo->num, DFS_E_NOMEM);
}

/* From frame `frame` on, show the frames as Wireshark reads them: a stream
 * decoder fed the frames before it again from the file read ahead (they
 * were checked to be the frames Wireshark read), so that it has their
 * context. */
static void switch_to_stream(uint64_t frame, const char *why)
{
    st.stream_from = frame;
    st.switch_frame = frame;
    snprintf(st.switch_why, sizeof st.switch_why, "%s", why);
    if (!stream_new()) {
        stream_failed(frame, DFS_E_NOMEM);
        return;
    }
    int rc = DFS_OK;
    uint64_t at = 0;
    uint64_t fed = dfs__prepass_replay(&pp, frame - 1, st.stream_dec, st.stream_res, &rc, &at);
    if (rc != DFS_OK) {
        stream_failed(at, (dfs_result)rc);
    } else if (fed < frame - 1) {
        size_t n = strlen(st.switch_why);
        snprintf(st.switch_why + n, sizeof st.switch_why - n,
                 " (%s could be read again only up to frame %" PRIu64
                 ": what depends on frames %" PRIu64 " to %" PRIu64 " is missing)",
                 pp.path, fed, fed + 1, frame - 1);
    }
}

static void check_file_frame(tvbuff_t *tvb, packet_info *pinfo)
{
    uint64_t num = pinfo->num;
    char why[1024];
    if (num > pp.frames) {
        st.grown = true;
        snprintf(why, sizeof why,
                 "%s had %" PRIu64 " frames when dfuscope read it and has grown since: "
                 "frames from %" PRIu64 " on are decoded as Wireshark reads them, and "
                 "results that need the end of the capture are not shown",
                 pp.path, pp.frames, num);
        switch_to_stream(num, why);
        return;
    }
    if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return;
    uint32_t caplen = tvb_captured_length(tvb);
    uint32_t d = dfs__frame_digest(tvb_get_ptr(tvb, 0, -1), caplen, tvb_reported_length(tvb),
                                   frame_has_ts(pinfo), (int64_t)pinfo->abs_ts.secs,
                                   (int32_t)pinfo->abs_ts.nsecs);
    if (d != pp.digest[num - 1]) {
        snprintf(why, sizeof why,
                 "frame %" PRIu64 " differs from frame %" PRIu64 " of %s as dfuscope read it "
                 "(was the file changed?): from here on results come from the frames as "
                 "Wireshark reads them",
                 num, num, pp.path);
        switch_to_stream(num, why);
    }
}

static void first_pass(tvbuff_t *tvb, packet_info *pinfo)
{
    int lt = frame_linktype(pinfo);
    if (st.mode == MODE_UNDECIDED)
        decide_mode(tvb, pinfo, lt);
    if (st.mode == MODE_FILE && pinfo->num < st.stream_from)
        check_file_frame(tvb, pinfo);
    uint8_t code;
    bool event = !lt && pinfo->rec && pinfo->rec->rec_type == REC_TYPE_CUSTOM_BLOCK &&
                 dfs__packetry_event(pinfo->rec->rec_header.custom_block_header.pen,
                                     tvb_get_ptr(tvb, 0, -1), tvb_captured_length(tvb), &code);
    struct dfs_time ts = {.sec = (int64_t)pinfo->abs_ts.secs,
                          .nsec = (uint32_t)pinfo->abs_ts.nsecs};
    if (lt)
        st.last_ts = ts;
    if (event && st.stream_dec && !st.feed_failed && pinfo->num >= st.stream_from) {
        /* wiretap gives a custom block no time: the packet's before it */
        struct dfs_record rec = {.frame = pinfo->num, .ts = st.last_ts,
                                 .linktype = DFS_RECORD_USB_EVENT, .order = DFS_ORDER_HOST,
                                 .caplen = 1, .origlen = 1, .data = &code};
        dfs__res_at(st.stream_res, pinfo->num);
        dfs_result rc = dfs_decoder_feed(st.stream_dec, &rec);
        if (rc != DFS_OK && rc != DFS_E_LINKTYPE)
            stream_failed(pinfo->num, rc);
    }
    if (lt && st.stream_dec && !st.feed_failed && pinfo->num >= st.stream_from) {
        struct dfs_record rec = {
            .frame = pinfo->num,
            .ts = {.sec = (int64_t)pinfo->abs_ts.secs, .nsec = (uint32_t)pinfo->abs_ts.nsecs},
            .linktype = lt,
            .order = DFS_ORDER_HOST, /* Wireshark swapped the usbmon header already */
            .caplen = tvb_captured_length(tvb),
            .origlen = tvb_reported_length(tvb),
            .data = tvb_get_ptr(tvb, 0, -1),
        };
        dfs__res_at(st.stream_res, pinfo->num);
        dfs_result rc = dfs_decoder_feed(st.stream_dec, &rec);
        if (rc != DFS_OK && rc != DFS_E_LINKTYPE)
            stream_failed(pinfo->num, rc);
    }
}

/* ---- display ----------------------------------------------------------------- */

static const struct dfs__res *results_for(uint64_t frame)
{
    if (st.mode == MODE_FILE && !st.grown && frame < st.stream_from)
        return file_res;
    return st.stream_res;
}

static bool item_shown(const struct dfs__res *r, const struct dfs__item *it)
{
    switch (it->kind) {
    case DFS__ITEM_TXN:
    case DFS__ITEM_LAYOUT:
    case DFS__ITEM_MEM:
        return true;
    case DFS__ITEM_DEVICE:
        return dfs__res_dfu_device(r, dfs__res_device(r, it)->ev.device);
    case DFS__ITEM_FINDING:
        return dfs__res_finding_relevant(r, dfs__res_finding(r, it));
    }
    return false;
}

static const char *request_name(uint8_t req, char *buf, size_t size)
{
    const char *n = dfs_dfu_request_name(req);
    if (n)
        return n;
    snprintf(buf, size, "request %u", req);
    return buf;
}

/* The most severe shown finding of a frame, for the packet list. */
static const struct dfs__finding *worst_finding(const struct dfs__res *r,
                                                const struct dfs__item *first)
{
    const struct dfs__finding *w = NULL;
    for (const struct dfs__item *it = first; it; it = dfs__res_next(r, it)) {
        if (it->kind != DFS__ITEM_FINDING || !item_shown(r, it))
            continue;
        const struct dfs__finding *f = dfs__res_finding(r, it);
        if (!w || f->severity > w->severity)
            w = f;
    }
    return w;
}

/* The packet-list summary of a transaction's request or reply frame (the
 * decoder's words), with the title of the frame's worst finding (among its
 * results from first on) when the reply failed. */
static void txn_summary(const struct dfs__res *r, const struct dfs__item *it,
                        const struct dfs__item *first, char *buf, size_t size)
{
    const struct dfs_dfu_txn *t = &dfs__res_txn(r, it)->t;
    size_t n = dfs_dfu_txn_brief_str(t, it->reply, buf, size);
    if (!it->reply || t->outcome == DFS_DFU_ACK)
        return;
    const struct dfs__finding *w = worst_finding(r, first);
    if (w && w->severity >= DFS_SEV_WARNING)
        snprintf(buf + n, size - n, ": %s", w->title);
}

static proto_item *add_generated(proto_item *pi)
{
    if (pi)
        proto_item_set_generated(pi);
    return pi;
}

static void add_related(proto_tree *tree, tvbuff_t *tvb, uint64_t frame, uint64_t self)
{
    if (frame && frame != self && frame <= UINT32_MAX)
        add_generated(proto_tree_add_uint(tree, hf_related_frame, tvb, 0, 0, (guint32)frame));
}

/* A transaction's subtree; `info` is its summary when already made for the
 * packet list (NULL: made here if the tree is shown). */
static void show_txn(proto_tree *tree, tvbuff_t *tvb, const struct dfs__res *r,
                     const struct dfs__item *it, uint64_t frame, const struct dfs__item *first,
                     const char *info)
{
    const struct dfs_dfu_txn *t = &dfs__res_txn(r, it)->t;
    char sum[200] = "", nb[24];
    /* the subtree's text is only shown in a visible tree (not to -T fields) */
    if (tree && PTREE_DATA(tree)->visible) {
        if (info)
            snprintf(sum, sizeof sum, "%s", info);
        else
            txn_summary(r, it, first, sum, sizeof sum);
    }
    proto_tree *tt = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_txn, NULL, "%s %s: %s",
                                                   t->dfuse ? "DfuSe" : "DFU",
                                                   it->reply ? "reply" : "request", sum);
    add_generated(proto_tree_add_string(tt, hf_request, tvb, 0, 0,
                                        request_name(t->request, nb, sizeof nb)));
    if (t->cmd >= 0) {
        const char *cmd = dfs_dfuse_cmd_name((uint8_t)t->cmd);
        add_generated(proto_tree_add_string(tt, hf_command, tvb, 0, 0, cmd ? cmd : "unknown"));
    }
    if (t->has_address)
        add_generated(proto_tree_add_uint(tt, hf_address, tvb, 0, 0, t->address));
    if (t->request == DFS_DFU_DNLOAD || t->request == DFS_DFU_UPLOAD)
        add_generated(proto_tree_add_uint(tt, hf_block, tvb, 0, 0, t->wValue));
    if (t->mass_erase)
        add_generated(proto_tree_add_boolean(tt, hf_mass_erase, tvb, 0, 0, TRUE));
    if (t->leave)
        add_generated(proto_tree_add_boolean(tt, hf_leave, tvb, 0, 0, TRUE));
    add_generated(proto_tree_add_uint(tt, hf_length, tvb, 0, 0, t->length));
    if (t->state_before != DFS_STATE_UNKNOWN)
        add_generated(proto_tree_add_uint(tt, hf_state_before, tvb, 0, 0, t->state_before));
    if (t->state_after != DFS_STATE_UNKNOWN)
        add_generated(proto_tree_add_uint(tt, hf_state, tvb, 0, 0, t->state_after));
    else if (t->has_state)
        add_generated(proto_tree_add_uint(tt, hf_state, tvb, 0, 0, t->bState));
    if (t->has_status) {
        add_generated(proto_tree_add_uint(tt, hf_status, tvb, 0, 0, t->bStatus));
        add_generated(proto_tree_add_uint_format_value(tt, hf_poll_timeout, tvb, 0, 0,
                                                       t->poll_timeout_ms, "%u ms",
                                                       t->poll_timeout_ms));
    }
    if (t->poll_wait_us >= 0)
        add_generated(proto_tree_add_uint_format_value(
            tt, hf_poll_wait, tvb, 0, 0, (guint32)(t->poll_wait_us > UINT32_MAX ? UINT32_MAX : t->poll_wait_us),
            "%.3f ms after a reply that asked for %u ms", t->poll_wait_us / 1000.0,
            t->poll_asked_ms));
    if (t->naks) { /* packet-level captures: the NAKs that held the data stage */
        add_generated(proto_tree_add_uint(tt, hf_naks, tvb, 0, 0, t->naks));
        add_generated(proto_tree_add_double_format_value(tt, hf_nak_ms, tvb, 0, 0,
                                                         (double)t->nak_us / 1000.0, "%.3f ms",
                                                         (double)t->nak_us / 1000.0));
    }
    if (t->reply_frame)
        add_generated(proto_tree_add_string(tt, hf_outcome, tvb, 0, 0, dfs_dfu_outcome_name(t->outcome)));
    if (t->reply_frame)
        add_generated(proto_tree_add_int(tt, hf_usb_status, tvb, 0, 0, t->usb_status));
    add_generated(proto_tree_add_uint(tt, hf_interface, tvb, 0, 0, t->interface));
    add_generated(proto_tree_add_uint(tt, hf_alt, tvb, 0, 0, t->alt));
    add_generated(proto_tree_add_uint(tt, hf_device, tvb, 0, 0, t->device));
    add_related(tt, tvb, it->reply ? t->frame : t->reply_frame, frame);
}

static void show_layout(proto_tree *tree, tvbuff_t *tvb, const struct dfs__res *r,
                        const struct dfs__item *it)
{
    const struct dfs__layout *l = dfs__res_layout(r, it);
    proto_tree *lt = proto_tree_add_subtree_format(
        tree, tvb, 0, 0, ett_layout, NULL, "DfuSe layout of interface %u alt %u: %s",
        l->interface, l->alt, l->text);
    add_generated(proto_tree_add_string(lt, hf_layout, tvb, 0, 0, l->text));
    add_generated(proto_tree_add_uint(lt, hf_layout_interface, tvb, 0, 0, l->interface));
    add_generated(proto_tree_add_uint(lt, hf_layout_alt, tvb, 0, 0, l->alt));
    add_generated(proto_tree_add_uint(lt, hf_layout_string_index, tvb, 0, 0, l->string_index));
    add_generated(proto_tree_add_uint(lt, hf_device, tvb, 0, 0, l->device));
    if (!l->parsed) {
        if (l->error[0])
            add_generated(proto_tree_add_string(lt, hf_layout_error, tvb, 0, 0, l->error));
        return;
    }
    add_generated(proto_tree_add_string(lt, hf_layout_name, tvb, 0, 0, l->layout.name));
    for (unsigned i = 0; i < l->layout.n_regions && i < DFS_LAYOUT_MAX_REGIONS; i++) {
        const struct dfs_layout_region *g = &l->layout.regions[i];
        char access[48] = "";
        if (g->flags & DFS_MEM_READABLE)
            g_strlcat(access, "readable", sizeof access);
        if (g->flags & DFS_MEM_ERASABLE)
            g_strlcat(access, access[0] ? ", erasable" : "erasable", sizeof access);
        if (g->flags & DFS_MEM_WRITABLE)
            g_strlcat(access, access[0] ? ", writable" : "writable", sizeof access);
        if (!access[0])
            g_strlcat(access, "no access", sizeof access);
        const char *unit = g->size % 1048576 == 0 ? "MiB" : g->size % 1024 == 0 ? "KiB" : "B";
        uint32_t usize = g->size % 1048576 == 0 ? g->size / 1048576
                         : g->size % 1024 == 0  ? g->size / 1024
                                                : g->size;
        proto_tree *rt = proto_tree_add_subtree_format(
            lt, tvb, 0, 0, ett_region, NULL, "0x%08x-0x%08" PRIx64 ": %u x %u %s, %s (%c)",
            g->start, g->end - 1, g->count, usize, unit, access, g->type);
        add_generated(proto_tree_add_uint(rt, hf_region_start, tvb, 0, 0, g->start));
        add_generated(proto_tree_add_uint64(rt, hf_region_end, tvb, 0, 0, g->end));
        add_generated(proto_tree_add_uint(rt, hf_region_count, tvb, 0, 0, g->count));
        add_generated(proto_tree_add_uint(rt, hf_region_size, tvb, 0, 0, g->size));
        add_generated(proto_tree_add_string(rt, hf_region_access, tvb, 0, 0, access));
    }
}

static const char *mem_kind_name(enum dfs_mem_kind k)
{
    switch (k) {
    case DFS_MEM_OP_READ: return "read";
    case DFS_MEM_OP_WRITE: return "write";
    case DFS_MEM_OP_ERASE: return "erase";
    case DFS_MEM_OP_MASS_ERASE: return "mass erase";
    }
    return "unknown";
}

static void mem_summary(const struct dfs_mem_op *op, char *buf, size_t size)
{
    if (op->kind == DFS_MEM_OP_MASS_ERASE)
        snprintf(buf, size, "mass erase%s", op->ok ? "" : " failed");
    else if (op->length)
        snprintf(buf, size, "%s %u B at %s0x%08x%s", mem_kind_name(op->kind), op->length,
                 op->dfuse ? "" : "offset ", op->address, op->ok ? "" : " failed");
    else
        snprintf(buf, size, "%s at %s0x%08x%s", mem_kind_name(op->kind),
                 op->dfuse ? "" : "offset ", op->address, op->ok ? "" : " failed");
}

static void show_mem(proto_tree *tree, tvbuff_t *tvb, const struct dfs__res *r,
                     const struct dfs__item *it, uint64_t frame)
{
    const struct dfs_mem_op *op = &dfs__res_mem(r, it)->op;
    char sum[120] = "";
    /* the subtree's text is only shown in a visible tree */
    if (tree && PTREE_DATA(tree)->visible)
        mem_summary(op, sum, sizeof sum);
    proto_tree *mt = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_mem, NULL,
                                                   "Memory %s", sum);
    add_generated(proto_tree_add_string(mt, hf_mem_op, tvb, 0, 0, mem_kind_name(op->kind)));
    add_generated(proto_tree_add_uint(mt, hf_mem_address, tvb, 0, 0, op->address));
    add_generated(proto_tree_add_uint(mt, hf_mem_length, tvb, 0, 0, op->length));
    add_generated(proto_tree_add_boolean(mt, hf_mem_ok, tvb, 0, 0, op->ok));
    add_related(mt, tvb, op->frame, frame);
    add_related(mt, tvb, op->exec_frame, frame);
}

static void show_device(proto_tree *tree, tvbuff_t *tvb, const struct dfs__res *r,
                        const struct dfs__item *it)
{
    const struct dfs_device_event *ev = &dfs__res_device(r, it)->ev;
    const char *what = ev->change == DFS_DEV_GONE ? "left the bus" : "re-enumerated";
    proto_tree *dt = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_device, NULL,
                                                   "Device %u.%u (instance %u) %s", ev->bus,
                                                   ev->devnum, ev->device, what);
    add_generated(proto_tree_add_uint(dt, hf_device, tvb, 0, 0, ev->device));
    add_generated(proto_tree_add_string(dt, hf_device_event, tvb, 0, 0, what));
    if (ev->change == DFS_DEV_REENUMERATED && ev->previous)
        add_generated(proto_tree_add_uint(dt, hf_device_previous, tvb, 0, 0, ev->previous));
}

static void show_finding(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                         const struct dfs__res *r, const struct dfs__item *it, uint64_t frame)
{
    const struct dfs__finding *f = dfs__res_finding(r, it);
    proto_item *fi = add_generated(proto_tree_add_string(tree, hf_finding, tvb, 0, 0, f->id));
    proto_item_append_text(fi, " (%s): %s", dfs_severity_name(f->severity), f->title);
    proto_tree *ft = proto_item_add_subtree(fi, ett_finding);
    add_generated(proto_tree_add_string(ft, hf_finding_severity, tvb, 0, 0,
                                        dfs_severity_name(f->severity)));
    add_generated(proto_tree_add_string(ft, hf_finding_group, tvb, 0, 0,
                                        dfs_group_name(f->group)));
    add_generated(proto_tree_add_string(ft, hf_finding_title, tvb, 0, 0, f->title));
    add_generated(proto_tree_add_string(ft, hf_finding_explanation, tvb, 0, 0, f->explanation));
    if (f->remedy[0])
        add_generated(proto_tree_add_string(ft, hf_finding_remedy, tvb, 0, 0, f->remedy));
    add_generated(proto_tree_add_boolean(ft, hf_finding_at_end, tvb, 0, 0,
                                         it->known_at == DFS__KNOWN_AT_END));
    add_related(ft, tvb, f->frame, frame);
    for (unsigned i = 0; i < f->n_frames; i++)
        if (f->frames[i] != f->frame)
            add_related(ft, tvb, f->frames[i], frame);
    /* One expert info per finding, on the frame it is reported on. */
    uint64_t at = f->frame ? f->frame : (f->n_frames ? f->frames[0] : 0);
    if (at == frame && (unsigned)f->code < DFS_F__COUNT)
        expert_add_info_format(pinfo, fi, &ei_finding[f->code], "%s: %s", f->title,
                               f->explanation);
}

static void show(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    uint64_t frame = pinfo->num;
    const struct dfs__res *r = results_for(frame);
    if (!r)
        return;
    /* the frame's results are looked up once (most frames have none) */
    const struct dfs__item *first = dfs__res_first(r, frame);
    bool any = false;
    for (const struct dfs__item *it = first; it && !any; it = dfs__res_next(r, it))
        any = item_shown(r, it);
    bool note_switch = st.switch_frame == frame && st.stream_res &&
                       dfs__res_has_dfu(st.stream_res);
    bool note_feed = st.feed_failed && st.feed_error_frame == frame;
    bool note_store = frame == 1 && dfs__res_failed(r);
    if (!any && !note_switch && !note_feed && !note_store)
        return;

    proto_item *top = proto_tree_add_item(tree, proto_dfuscope, tvb, 0, 0, ENC_NA);
    add_generated(top);
    proto_tree *dt = proto_item_add_subtree(top, ett_dfuscope);
    if (note_switch)
        expert_add_info_format(pinfo, top, &ei_reread, "%s", st.switch_why);
    if (note_store)
        expert_add_info_format(pinfo, top, &ei_incomplete,
                               "out of memory while keeping the decoder's results: some "
                               "frames show less than the decoder found");
    if (note_feed)
        expert_add_info_format(pinfo, top, &ei_incomplete,
                               "the decoder stopped at this frame (%s): later frames are not "
                               "decoded",
                               st.feed_error);

    char info[256] = "", mem_info[120] = "";
    bool dfuse = false, have_txn = false;
    for (const struct dfs__item *it = first; it; it = dfs__res_next(r, it)) {
        if (!item_shown(r, it))
            continue;
        switch (it->kind) {
        case DFS__ITEM_TXN:
            if (!have_txn) {
                /* no columns (tshark -T fields): no Info text; the summary
                 * is made once for the Info column and the subtree */
                if (pinfo->cinfo)
                    txn_summary(r, it, first, info, sizeof info);
                show_txn(dt, tvb, r, it, frame, first, pinfo->cinfo ? info : NULL);
                dfuse = dfs__res_txn(r, it)->t.dfuse;
                have_txn = true;
            } else {
                show_txn(dt, tvb, r, it, frame, first, NULL);
            }
            break;
        case DFS__ITEM_LAYOUT:
            show_layout(dt, tvb, r, it);
            if (!have_txn && !info[0])
                snprintf(info, sizeof info, "DfuSe layout of alt %u: %.200s",
                         dfs__res_layout(r, it)->alt, dfs__res_layout(r, it)->text);
            break;
        case DFS__ITEM_MEM:
            show_mem(dt, tvb, r, it, frame);
            /* no columns (tshark -T fields): no Info text */
            if (pinfo->cinfo && !mem_info[0] && dfs__res_mem(r, it)->op.exec_frame == frame)
                mem_summary(&dfs__res_mem(r, it)->op, mem_info, sizeof mem_info);
            break;
        case DFS__ITEM_DEVICE:
            show_device(dt, tvb, r, it);
            break;
        case DFS__ITEM_FINDING:
            show_finding(dt, tvb, pinfo, r, it, frame);
            break;
        }
    }
    if (!pinfo->cinfo)
        return;
    if (have_txn) {
        col_set_str(pinfo->cinfo, COL_PROTOCOL, dfuse ? "DfuSe" : "DFU");
        col_clear(pinfo->cinfo, COL_INFO);
        col_add_str(pinfo->cinfo, COL_INFO, info);
    } else if (info[0]) {
        col_append_fstr(pinfo->cinfo, COL_INFO, " [%s]", info);
    }
    if (mem_info[0])
        col_append_fstr(pinfo->cinfo, COL_INFO, " [%s]", mem_info);
    const struct dfs__finding *w = worst_finding(r, first);
    if (w && (!have_txn || !strstr(info, w->title)))
        col_append_fstr(pinfo->cinfo, COL_INFO, " [%s]", w->title);
}

static int dissect_dfuscope(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    if (!pinfo->fd->visited)
        first_pass(tvb, pinfo);
    show(tvb, pinfo, tree);
    return 0;
}

/* ---- registration -------------------------------------------------------------- */

static int pi_group(enum dfs_group g)
{
    switch (g) {
    case DFS_GROUP_PROTOCOL: return PI_PROTOCOL;
    case DFS_GROUP_SEQUENCE: return PI_SEQUENCE;
    case DFS_GROUP_MALFORMED: return PI_MALFORMED;
    case DFS_GROUP_RESPONSE_CODE: return PI_RESPONSE_CODE;
    case DFS_GROUP_COMMENT: return PI_COMMENTS_GROUP;
    }
    return PI_PROTOCOL;
}

static int pi_severity(enum dfs_severity s)
{
    switch (s) {
    case DFS_SEV_NOTE: return PI_NOTE;
    case DFS_SEV_WARNING: return PI_WARN;
    case DFS_SEV_ERROR: return PI_ERROR;
    }
    return PI_NOTE;
}

void dfs__proto_register(void)
{
    static hf_register_info hf[] = {
        {&hf_request, {"Request", "dfuscope.request", FT_STRING, BASE_NONE, NULL, 0,
                       "DFU class request", HFILL}},
        {&hf_command, {"DfuSe command", "dfuscope.command", FT_STRING, BASE_NONE, NULL, 0,
                       "DfuSe command of a DNLOAD (or UPLOAD) with block 0", HFILL}},
        {&hf_address, {"Address", "dfuscope.address", FT_UINT32, BASE_HEX, NULL, 0,
                       "DfuSe command address, or memory address of a data block", HFILL}},
        {&hf_block, {"Block", "dfuscope.block", FT_UINT16, BASE_DEC, NULL, 0,
                     "Block number (wValue) of a DNLOAD or UPLOAD", HFILL}},
        {&hf_length, {"Length", "dfuscope.length", FT_UINT32, BASE_DEC, NULL, 0,
                      "Bytes transferred", HFILL}},
        {&hf_state, {"State", "dfuscope.state", FT_UINT8, BASE_DEC, VALS(state_vals), 0,
                     "DFU state after the request (reported or tracked)", HFILL}},
        {&hf_state_before, {"State before", "dfuscope.state_before", FT_UINT8, BASE_DEC,
                            VALS(state_vals), 0, "DFU state before the request", HFILL}},
        {&hf_status, {"Status", "dfuscope.status", FT_UINT8, BASE_HEX, VALS(status_vals), 0,
                      "bStatus of a GETSTATUS reply", HFILL}},
        {&hf_poll_timeout, {"Poll timeout", "dfuscope.poll_timeout", FT_UINT32, BASE_DEC, NULL,
                            0, "bwPollTimeout of a GETSTATUS reply, in ms", HFILL}},
        {&hf_poll_wait, {"Polled after", "dfuscope.poll_wait", FT_UINT32, BASE_DEC, NULL, 0,
                         "Time since the previous busy reply, in microseconds", HFILL}},
        {&hf_naks, {"NAKs", "dfuscope.naks", FT_UINT32, BASE_DEC, NULL, 0,
                    "NAK handshakes the device answered the data stage with before it "
                    "answered (packet-level USB 2.0 captures)", HFILL}},
        {&hf_nak_ms, {"Held by NAKs", "dfuscope.nak_ms", FT_DOUBLE, BASE_NONE, NULL, 0,
                      "Time from the first token the device NAKed to the one it answered, "
                      "in ms (packet-level USB 2.0 captures)", HFILL}},
        {&hf_outcome, {"Outcome", "dfuscope.outcome", FT_STRING, BASE_NONE, NULL, 0,
                       "How the request ended on the bus", HFILL}},
        {&hf_usb_status, {"URB status", "dfuscope.usb_status", FT_INT32, BASE_DEC, NULL, 0,
                          "Completion status (negative errno)", HFILL}},
        {&hf_interface, {"Interface", "dfuscope.interface", FT_UINT8, BASE_DEC, NULL, 0, NULL,
                         HFILL}},
        {&hf_alt, {"Alternate setting", "dfuscope.alt", FT_UINT8, BASE_DEC, NULL, 0, NULL,
                   HFILL}},
        {&hf_mass_erase, {"Mass erase", "dfuscope.mass_erase", FT_BOOLEAN, BASE_NONE, NULL, 0,
                          NULL, HFILL}},
        {&hf_leave, {"Leave", "dfuscope.leave", FT_BOOLEAN, BASE_NONE, NULL, 0,
                     "Zero-length DNLOAD that makes a DfuSe device leave DFU mode", HFILL}},
        {&hf_finding, {"Finding", "dfuscope.finding", FT_STRING, BASE_NONE, NULL, 0,
                       "Id of a diagnosis finding naming this frame", HFILL}},
        {&hf_finding_severity, {"Severity", "dfuscope.finding.severity", FT_STRING, BASE_NONE,
                                NULL, 0, NULL, HFILL}},
        {&hf_finding_group, {"Group", "dfuscope.finding.group", FT_STRING, BASE_NONE, NULL, 0,
                             NULL, HFILL}},
        {&hf_finding_title, {"Title", "dfuscope.finding.title", FT_STRING, BASE_NONE, NULL, 0,
                             NULL, HFILL}},
        {&hf_finding_explanation, {"Explanation", "dfuscope.finding.explanation", FT_STRING,
                                   BASE_NONE, NULL, 0, NULL, HFILL}},
        {&hf_finding_remedy, {"Remedy", "dfuscope.finding.remedy", FT_STRING, BASE_NONE, NULL,
                              0, NULL, HFILL}},
        {&hf_finding_at_end, {"Concluded at the end of the capture", "dfuscope.finding.at_end",
                              FT_BOOLEAN, BASE_NONE, NULL, 0,
                              "Only known once the whole capture was read: shown when the "
                              "file is decoded first, not when decoding frame by frame",
                              HFILL}},
        {&hf_related_frame, {"Related frame", "dfuscope.related_frame", FT_FRAMENUM, BASE_NONE,
                             NULL, 0,
                             "The request or reply of this transaction, or another frame of "
                             "this finding",
                             HFILL}},
        {&hf_layout, {"DfuSe layout", "dfuscope.layout", FT_STRING, BASE_NONE, NULL, 0,
                      "Memory layout string of a DfuSe alternate setting", HFILL}},
        {&hf_layout_interface, {"Interface", "dfuscope.layout.interface", FT_UINT8, BASE_DEC,
                                NULL, 0, NULL, HFILL}},
        {&hf_layout_alt, {"Alternate setting", "dfuscope.layout.alt", FT_UINT8, BASE_DEC, NULL,
                          0, NULL, HFILL}},
        {&hf_layout_string_index, {"String index", "dfuscope.layout.string_index", FT_UINT8,
                                   BASE_DEC, NULL, 0, NULL, HFILL}},
        {&hf_layout_name, {"Name", "dfuscope.layout.name", FT_STRING, BASE_NONE, NULL, 0,
                           "Memory name of the layout", HFILL}},
        {&hf_layout_error, {"Layout error", "dfuscope.layout.error", FT_STRING, BASE_NONE,
                            NULL, 0, "Why the layout string does not parse", HFILL}},
        {&hf_region_start, {"Start", "dfuscope.layout.region.start", FT_UINT32, BASE_HEX,
                            NULL, 0, NULL, HFILL}},
        {&hf_region_end, {"End", "dfuscope.layout.region.end", FT_UINT64, BASE_HEX, NULL, 0,
                          "First address after the region", HFILL}},
        {&hf_region_count, {"Sectors", "dfuscope.layout.region.count", FT_UINT32, BASE_DEC,
                            NULL, 0, NULL, HFILL}},
        {&hf_region_size, {"Sector size", "dfuscope.layout.region.size", FT_UINT32, BASE_DEC,
                           NULL, 0, "Bytes per sector", HFILL}},
        {&hf_region_access, {"Access", "dfuscope.layout.region.access", FT_STRING, BASE_NONE,
                             NULL, 0, NULL, HFILL}},
        {&hf_mem_op, {"Memory operation", "dfuscope.mem.op", FT_STRING, BASE_NONE, NULL, 0,
                      "Memory operation the device executed: read, write, erase, mass erase",
                      HFILL}},
        {&hf_mem_address, {"Memory address", "dfuscope.mem.address", FT_UINT32, BASE_HEX,
                           NULL, 0, "DfuSe address, or offset in a DFU 1.1 image", HFILL}},
        {&hf_mem_length, {"Memory length", "dfuscope.mem.length", FT_UINT32, BASE_DEC, NULL, 0,
                          NULL, HFILL}},
        {&hf_mem_ok, {"Executed", "dfuscope.mem.ok", FT_BOOLEAN, BASE_NONE, NULL, 0,
                      "Executed without error", HFILL}},
        {&hf_device, {"Device instance", "dfuscope.device", FT_UINT32, BASE_DEC, NULL, 0,
                      "dfuscope's device instance (a new one after re-enumeration)", HFILL}},
        {&hf_device_event, {"Device event", "dfuscope.device.event", FT_STRING, BASE_NONE, NULL,
                            0, NULL, HFILL}},
        {&hf_device_previous, {"Previous instance", "dfuscope.device.previous", FT_UINT32,
                               BASE_DEC, NULL, 0, "The instance this device continues", HFILL}},
    };
    static gint *ett[] = {&ett_dfuscope, &ett_txn,    &ett_finding, &ett_layout,
                          &ett_device,   &ett_region, &ett_mem};

    /* One expert item per finding code a capture can give, generated from
     * DFS_FINDING_MAP (the file.* and log.* findings are about firmware files
     * and tool logs, which the decoder never reports). */
    static ei_register_info ei[DFS_F__COUNT + 2];
    int n_ei = 0;
    for (int c = 0; c < DFS_F__COUNT; c++) {
        const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)c);
        ei_finding[c].ei = EI_INIT_EI;
        ei_finding[c].hf = EI_INIT_HF;
        if (strncmp(fi->id, "file.", 5) == 0 || strncmp(fi->id, "log.", 4) == 0)
            continue;
        ei_register_info e = {
            &ei_finding[c],
            {g_strdup_printf("dfuscope.expert.%s", fi->id), pi_group(fi->group),
             pi_severity(fi->severity), fi->title, EXPFILL}};
        ei[n_ei++] = e;
    }
    ei_register_info reread = {
        &ei_reread,
        {"dfuscope.expert.reread", PI_SEQUENCE, PI_WARN,
         "Capture file differs from what dfuscope decoded; decoding frame by frame", EXPFILL}};
    ei_register_info incomplete = {
        &ei_incomplete,
        {"dfuscope.expert.incomplete", PI_MALFORMED, PI_ERROR,
         "dfuscope results incomplete (the decoder stopped, or out of memory)", EXPFILL}};
    ei[n_ei++] = reread;
    ei[n_ei++] = incomplete;

    proto_dfuscope = proto_register_protocol("dfuscope USB DFU/DfuSe analysis", "dfuscope",
                                             "dfuscope");
    proto_register_field_array(proto_dfuscope, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_module_t *em = expert_register_protocol(proto_dfuscope);
    expert_register_field_array(em, ei, n_ei);

    module_t *m = prefs_register_protocol(proto_dfuscope, NULL);
    prefs_register_bool_preference(
        m, "prepass", "Decode the whole capture file first",
        "Before the first frame of a capture file is shown, decode the whole file, so that "
        "even a single pass (tshark without -2) shows what is only known later in the "
        "capture. Off: frames are decoded as Wireshark reads them.",
        &pref_prepass);

    register_init_routine(dfuscope_init);
    register_cleanup_routine(dfuscope_cleanup);
    register_shutdown_routine(dfuscope_shutdown);
}

void dfs__proto_reg_handoff(void)
{
    dissector_handle_t h = create_dissector_handle(dissect_dfuscope, proto_dfuscope);
    register_postdissector(h);
}
