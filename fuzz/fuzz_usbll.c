/* Fuzz target: the packet-level USB 2.0 parser (decoder/usbll.c,
 * usbll_ctl.c: packet checks, transactions, control transfers rebuilt and
 * handed to the rest of the decoder) and its bus events.
 *
 * Input: packets, each one length byte then that many bytes (cut to what is
 * left). Length 0xFF: a bus event instead, its code the next byte. The
 * first byte chooses the link type (288 + 0, 5, 6 or 7 by its low 2 bits).
 * Each record is fed from a heap buffer of exactly its length.
 *
 * Properties checked: feed and finish return DFS_OK only (a bad packet is a
 * finding, never an error), every finding and URB event names a frame
 * already fed, every finding's explanation is terminated, a URB's data is
 * inside what it claims, and every control transfer handed on has its
 * setup packet.
 */
#include "fuzz.h"
#include "dfuscope/usb.h"

struct ctx {
    uint64_t frame;
    unsigned long sink;
};

static int on_finding(void *user, const struct dfs_finding *f)
{
    struct ctx *c = user;
    FUZZ_CHECK(f->frame <= c->frame);
    FUZZ_CHECK(fuzz_terminated(f->explanation, sizeof f->explanation));
    return 0;
}

static int on_urb(void *user, const struct dfs_urb *u)
{
    struct ctx *c = user;
    FUZZ_CHECK(u->frame <= c->frame);
    FUZZ_CHECK(u->xfer_type == DFS_XFER_CONTROL);
    FUZZ_CHECK(u->data_len <= u->len_cap && (!u->data_len || u->data));
    FUZZ_CHECK(u->type != DFS_URB_SUBMIT || u->has_setup);
    for (uint32_t i = 0; i < u->data_len; i++)
        c->sink += u->data[i];
    return 0;
}

static int on_control(void *user, const struct dfs_control *ctl)
{
    struct ctx *c = user;
    FUZZ_CHECK(ctl->submit_frame <= c->frame && ctl->complete_frame <= c->frame);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int types[4] = {DFS_LINKTYPE_USB_2_0, DFS_LINKTYPE_USB_2_0_LOW_SPEED,
                                 DFS_LINKTYPE_USB_2_0_FULL_SPEED,
                                 DFS_LINKTYPE_USB_2_0_HIGH_SPEED};
    int linktype = types[data[0] & 3];
    struct ctx c = {0, 0};
    struct dfs_sink sink = {.user = &c, .on_finding = on_finding, .on_urb = on_urb,
                            .on_control = on_control};
    struct dfs_options opt;
    dfs_options_init(&opt);
    dfs_decoder *d = NULL;
    if (dfs_decoder_new(&opt, &sink, &d) != DFS_OK)
        abort();
    size_t i = 1;
    struct dfs_time ts = {1700000000, 0};
    while (i < size) {
        uint8_t len = data[i++];
        struct dfs_record rec = {.frame = ++c.frame, .linktype = linktype};
        size_t n = len;
        if (len == 0xFF) {
            rec.linktype = DFS_RECORD_USB_EVENT;
            n = 1;
        }
        if (n > size - i)
            n = size - i;
        ts.nsec = (ts.nsec + 1000 * (uint32_t)(1 + (n & 7))) % 1000000000u;
        rec.ts = ts;
        uint8_t *p = fuzz_dup(data + i, n);
        rec.data = p;
        rec.caplen = rec.origlen = (uint32_t)n;
        FUZZ_CHECK(dfs_decoder_feed(d, &rec) == DFS_OK);
        free(p);
        i += n;
    }
    FUZZ_CHECK(dfs_decoder_finish(d) == DFS_OK);
    dfs_decoder_free(d);
    return 0;
}
