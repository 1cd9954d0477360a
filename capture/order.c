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
    bool iso = len > 9 && out[9] == DFS_XFER_ISO;
    if (iso) {
        swap_at(out, len, 40, 4); /* error_count */
        swap_at(out, len, 44, 4); /* numdesc */
    }
    if (!mmapped)
        return len;
    swap_at(out, len, 48, 4); /* interval */
    swap_at(out, len, 52, 4); /* start_frame */
    swap_at(out, len, 56, 4); /* xfer_flags */
    swap_at(out, len, 60, 4); /* ndesc */
    if (!iso || len < DFS_USBMON_MMAPPED_HDR_LEN)
        return len;
    uint32_t ndesc;
    memcpy(&ndesc, out + 60, 4); /* now in host order */
    size_t off = DFS_USBMON_MMAPPED_HDR_LEN;
    for (uint32_t i = 0; i < ndesc && off + DFS_USBMON_ISODESC_LEN <= len; i++) {
        for (size_t k = 0; k < DFS_USBMON_ISODESC_LEN; k += 4)
            swap_at(out, len, off + k, 4); /* status, offset, length, padding */
        off += DFS_USBMON_ISODESC_LEN;
    }
    return len;
}
