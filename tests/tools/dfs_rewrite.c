/* Test helper: rewrite a usbmon capture in another form, keeping its traffic.
 *
 *   dfs_rewrite IN OUT pcap|pcapng little|big 189|220|249|266
 *
 * Every record is parsed and encoded again with dfs_usbmon_encode() in the
 * chosen byte order and header form, and written with the capture writer in
 * the same byte order (readers take the usbmon headers to be in the file's
 * order). Time stamps, frame order, URB fields, isochronous descriptors
 * (their 32-bit fields converted to the new byte order) and data are kept.
 * Going from link type 220 to 189 drops what the 48-byte header has no room
 * for: the interval, start_frame, xfer_flags and ndesc fields. The
 * isochronous descriptors stay before the data, where usbmon's 48-byte
 * interface puts them too (their number is then iso_numdesc).
 *
 * With 249 or 266 each record is rendered as USBPcap (dfs_usbpcap_encode) or
 * USB_DARWIN (dfs_darwin_encode) would have it, one record for one, so that
 * the frames of the two files correspond.
 *
 * Exits 0 on success, 1 when a record cannot be rewritten (named by frame),
 * 2 on usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/capture.h"
#include "internal.h"

static uint32_t swap32(uint32_t v)
{
    return ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static enum dfs_byte_order concrete(enum dfs_byte_order o)
{
    return o != DFS_ORDER_HOST ? o : dfs_host_byte_order();
}

static int usage(void)
{
    fprintf(stderr, "usage: dfs_rewrite IN OUT pcap|pcapng little|big 189|220|249|266\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 6)
        return usage();
    const char *in = argv[1], *out = argv[2];
    enum dfs_capformat fmt;
    if (strcmp(argv[3], "pcap") == 0)
        fmt = DFS_CAPFMT_PCAP;
    else if (strcmp(argv[3], "pcapng") == 0)
        fmt = DFS_CAPFMT_PCAPNG;
    else
        return usage();
    enum dfs_byte_order order;
    if (strcmp(argv[4], "little") == 0)
        order = DFS_ORDER_LITTLE;
    else if (strcmp(argv[4], "big") == 0)
        order = DFS_ORDER_BIG;
    else
        return usage();
    int lt = atoi(argv[5]);
    if (lt != DFS_LINKTYPE_USB_LINUX && lt != DFS_LINKTYPE_USB_LINUX_MMAPPED &&
        lt != DFS_LINKTYPE_USBPCAP && lt != DFS_LINKTYPE_USB_DARWIN)
        return usage();

    char err[600];
    dfs_capreader *r;
    if (dfs_capreader_open(in, NULL, &r, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "dfs_rewrite: %s\n", err);
        return 1;
    }
    FILE *fp = fopen(out, "wb");
    if (!fp) {
        perror(out);
        dfs_capreader_close(r);
        return 1;
    }
    dfs_capwriter *w;
    if (dfs_capwriter_open_stream_order(fp, fmt, lt, order, &w) != DFS_OK) {
        fprintf(stderr, "dfs_rewrite: %s: cannot write\n", out);
        fclose(fp);
        dfs_capreader_close(r);
        return 1;
    }
    size_t cap = 1 << 16;
    uint8_t *buf = malloc(cap);
    int rc = 0;
    struct dfs_record rec;
    enum dfs_capnext n = DFS_CAP_EOF;
    uint64_t count = 0;
    while (buf && (n = dfs_capreader_next(r, &rec)) == DFS_CAP_RECORD) {
        if (rec.linktype != DFS_LINKTYPE_USB_LINUX &&
            rec.linktype != DFS_LINKTYPE_USB_LINUX_MMAPPED) {
            fprintf(stderr, "dfs_rewrite: %s: frame %llu: link type %d is not usbmon\n", in,
                    (unsigned long long)rec.frame, rec.linktype);
            rc = 1;
            break;
        }
        struct dfs_urb u;
        char msg[200];
        enum dfs__parse_status ps = dfs__usbmon_parse(rec.data, rec.caplen, rec.linktype,
                                                      rec.order, &u, msg, sizeof msg);
        if (ps == DFS__PARSE_SHORT || ps == DFS__PARSE_BAD) {
            fprintf(stderr, "dfs_rewrite: %s: frame %llu: %s\n", in,
                    (unsigned long long)rec.frame, msg);
            rc = 1;
            break;
        }
        size_t need = 64 + (size_t)u.ndesc * DFS_USBMON_ISODESC_LEN + u.data_len;
        if (need > cap) {
            uint8_t *nb = realloc(buf, need);
            if (!nb)
                break;
            buf = nb;
            cap = need;
        }
        size_t len = lt == DFS_LINKTYPE_USBPCAP      ? dfs_usbpcap_encode(&u, buf, cap)
                     : lt == DFS_LINKTYPE_USB_DARWIN ? dfs_darwin_encode(&u, buf, cap)
                                                     : dfs_usbmon_encode(&u, lt, order, buf, cap);
        if (len && (lt == DFS_LINKTYPE_USBPCAP || lt == DFS_LINKTYPE_USB_DARWIN)) {
            uint32_t lost = rec.origlen > rec.caplen ? rec.origlen - rec.caplen : 0;
            if (dfs_capwriter_write(w, rec.ts, buf, (uint32_t)len, (uint32_t)len + lost) !=
                DFS_OK) {
                fprintf(stderr, "dfs_rewrite: %s: cannot write\n", out);
                rc = 1;
                break;
            }
            count++;
            continue;
        }
        if (!len) {
            fprintf(stderr, "dfs_rewrite: %s: frame %llu: cannot encode\n", in,
                    (unsigned long long)rec.frame);
            rc = 1;
            break;
        }
        /* the encoder wrote zeroed iso descriptors: copy the real ones, each
         * four 32-bit fields in the capturing host's order */
        size_t hdr_out = lt == DFS_LINKTYPE_USB_LINUX ? DFS_USBMON_HDR_LEN
                                                      : DFS_USBMON_MMAPPED_HDR_LEN;
        size_t hdr_in = rec.linktype == DFS_LINKTYPE_USB_LINUX ? DFS_USBMON_HDR_LEN
                                                               : DFS_USBMON_MMAPPED_HDR_LEN;
        uint32_t written = (uint32_t)((len - hdr_out - u.data_len) / DFS_USBMON_ISODESC_LEN);
        uint32_t ndesc = ps == DFS__PARSE_OK && written < u.ndesc ? written
                         : ps == DFS__PARSE_OK                     ? u.ndesc
                                                                   : 0;
        bool sw = concrete(rec.order) != concrete(order);
        for (uint32_t i = 0; i < ndesc * DFS_USBMON_ISODESC_LEN / 4; i++) {
            uint32_t v;
            memcpy(&v, rec.data + hdr_in + 4 * i, 4);
            if (sw)
                v = swap32(v);
            memcpy(buf + hdr_out + 4 * i, &v, 4);
        }
        uint32_t lost = rec.origlen > rec.caplen ? rec.origlen - rec.caplen : 0;
        if (dfs_capwriter_write(w, rec.ts, buf, (uint32_t)len, (uint32_t)len + lost) != DFS_OK) {
            fprintf(stderr, "dfs_rewrite: %s: write error\n", out);
            rc = 1;
            break;
        }
        count++;
    }
    if (!buf) {
        fprintf(stderr, "dfs_rewrite: out of memory\n");
        rc = 1;
    } else if (rc == 0 && n == DFS_CAP_ERROR) {
        fprintf(stderr, "dfs_rewrite: %s\n", dfs_capreader_error(r));
        rc = 1;
    }
    free(buf);
    /* when the capture stopped goes along (pcapng only: pcap has no place for it) */
    struct dfs_capture_end end;
    dfs_capreader_capture_end(r, &end);
    dfs_capreader_close(r);
    if (dfs_capwriter_close_end(w, &end) != DFS_OK) {
        fprintf(stderr, "dfs_rewrite: %s: write error\n", out);
        rc = 1;
    }
    fclose(fp);
    if (rc == 0 && count == 0) {
        fprintf(stderr, "dfs_rewrite: %s: no records\n", in);
        rc = 1;
    }
    return rc;
}
