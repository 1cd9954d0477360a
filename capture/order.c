/* Rewriting a usbmon record's header into this host's byte order, so that
 * records read from a capture made on a host of the other byte order can be
 * written into a file of this host's order (the usbmon header is in the
 * file's order by convention: libpcap swaps it when reading a file of the
 * other order). Fields as in dfu-facts.md section 5. libc only. */
#include <string.h>

#include "dfuscope/live.h"
#include "dfuscope/usb.h"

static bool host_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Reverse n bytes at p + off when they are all inside len. */
static void swap_at(uint8_t *p, size_t len, size_t off, size_t n)
{
    if (off + n > len)
        return;
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = p[off + i];
        p[off + i] = p[off + n - 1 - i];
        p[off + n - 1 - i] = t;
    }
}

size_t dfs_usbmon_host_order(const struct dfs_record *rec, uint8_t *out, size_t out_size)
{
    if (!rec || !out || rec->caplen > out_size || (!rec->data && rec->caplen))
        return 0;
    size_t len = rec->caplen;
    if (len)
        memcpy(out, rec->data, len);
    bool little = host_little();
    bool swapped = (rec->order == DFS_ORDER_LITTLE && !little) ||
                   (rec->order == DFS_ORDER_BIG && little);
    bool mmapped = rec->linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED;
    if (!swapped || (!mmapped && rec->linktype != DFS_LINKTYPE_USB_LINUX))
        return len;
    swap_at(out, len, 0, 8);  /* id */
    swap_at(out, len, 12, 2); /* busnum */
    swap_at(out, len, 16, 8); /* ts_sec */
    swap_at(out, len, 24, 4); /* ts_usec */
    swap_at(out, len, 28, 4); /* status */
    swap_at(out, len, 32, 4); /* length */
    swap_at(out, len, 36, 4); /* len_cap */
    /* The iso fields share their place with the setup bytes: they are there
     * when flag_setup says no setup follows, as the header parser reads them
     * (setup bytes are in wire order and never swapped). */
    bool iso = len > 14 && out[9] == DFS_XFER_ISO && out[14] != 0;
    if (iso) {
        swap_at(out, len, 40, 4); /* error_count */
        swap_at(out, len, 44, 4); /* numdesc */
    }
    size_t off = DFS_USBMON_HDR_LEN;
    if (mmapped) {
        swap_at(out, len, 48, 4); /* interval */
        swap_at(out, len, 52, 4); /* start_frame */
        swap_at(out, len, 56, 4); /* xfer_flags */
        swap_at(out, len, 60, 4); /* ndesc */
        off = DFS_USBMON_MMAPPED_HDR_LEN;
    }
    if (!iso || len < off)
        return len;
    /* the descriptors before the data: ndesc of them in the 64-byte form;
     * in the 48-byte form one per packet (numdesc), at most 128, as the
     * header parser counts them (decoder/usbmon.c) */
    uint32_t ndesc;
    if (mmapped) {
        memcpy(&ndesc, out + 60, 4); /* now in host order */
    } else {
        int32_t numdesc;
        memcpy(&numdesc, out + 44, 4);
        ndesc = numdesc <= 0 ? 0 : numdesc > 128 ? 128 : (uint32_t)numdesc;
    }
    for (uint32_t i = 0; i < ndesc && off + DFS_USBMON_ISODESC_LEN <= len; i++) {
        for (size_t k = 0; k < DFS_USBMON_ISODESC_LEN; k += 4)
            swap_at(out, len, off + k, 4); /* status, offset, length, padding */
        off += DFS_USBMON_ISODESC_LEN;
    }
    return len;
}
