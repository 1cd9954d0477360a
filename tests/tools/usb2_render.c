/* Test helper: a usbmon capture rendered as a packet-level USB 2.0 capture
 * (link type 288) by dfs_usb2_render, the renderer `dfuscope emulate
 * --link-type usb2` uses, so that a test can diagnose the same session in
 * both forms:
 *
 *   dfs_usb2_render IN OUT
 *
 * OUT is pcapng (with bus reset events) when it ends in ".pcapng", else
 * pcap. The URB events come from the decoder's on_urb callback, in the order
 * of the capture. Exits 0, 1 when IN cannot be read or OUT written, 2 on
 * usage errors. */
#include <stdio.h>
#include <string.h>

#include "dfuscope/capture.h"
#include "dfuscope/usb.h"

struct ctx {
    dfs_usb2_render *r;
    dfs_result err;
};

static int on_urb(void *user, const struct dfs_urb *u)
{
    struct ctx *c = user;
    if (c->err == DFS_OK)
        c->err = dfs_usb2_render_urb(c->r, u);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dfs_usb2_render IN OUT\n");
        return 2;
    }
    char err[600];
    dfs_capreader *in = NULL;
    struct dfs_capreader_options copt = {0};
    if (dfs_capreader_open(argv[1], &copt, &in, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    dfs_capwriter *w = NULL;
    if (dfs_capwriter_open(argv[2], DFS_LINKTYPE_USB_2_0, &w, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        dfs_capreader_close(in);
        return 1;
    }
    size_t n = strlen(argv[2]);
    bool ng = n > 7 && strcmp(argv[2] + n - 7, ".pcapng") == 0;
    struct ctx c = {NULL, DFS_OK};
    dfs_decoder *d = NULL;
    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink = {.user = &c, .on_urb = on_urb};
    if (dfs_usb2_render_new(w, ng, &c.r) != DFS_OK || dfs_decoder_new(&opt, &sink, &d) != DFS_OK)
        return 1;
    struct dfs_record rec;
    while (dfs_capreader_next(in, &rec) == DFS_CAP_RECORD)
        dfs_decoder_feed(d, &rec);
    dfs_decoder_free(d);
    dfs_result e = dfs_usb2_render_free(c.r, NULL);
    if (c.err == DFS_OK)
        c.err = e;
    if (dfs_capwriter_close(w) != DFS_OK && c.err == DFS_OK)
        c.err = DFS_E_IO;
    dfs_capreader_close(in);
    if (c.err != DFS_OK) {
        fprintf(stderr, "%s: %s\n", argv[2], dfs_result_str(c.err));
        return 1;
    }
    return 0;
}
