/* dfuscope Wireshark plugin: direct reader of classic pcap files of usbmon
 * records for the read-ahead pass (see pcap_fast.h).
 *
 * What wiretap 4.0 does with such a file, record by record, and so what this
 * reader must give: the 16-byte record header in the file's byte order (here
 * the machine's), caplen = incl_len, len = orig_len, the time ts_sec and
 * ts_usec * 1000 (32-bit arithmetic, as wiretap) or ts_nsec, and the data as
 * stored (usbmon headers are swapped only in files of the other byte order).
 * It reads in 64 KiB (more for a larger record), which stay in the cache
 * until the decoder and the digest have read them.
 * Records it leaves to wiretap: one larger than wiretap takes (an error
 * there), an isochronous record of link type 220 (wiretap may correct its
 * length), one shorter than its usbmon header, a truncated last record, and
 * any read error (wiretap's message names it).
 */
#include "pcap_fast.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define FILE_HEADER 24u
#define RECORD_HEADER 16u
#define MAX_CAPLEN 262144u     /* wiretap's limit for usbmon link types */
#define BUF_SIZE (1u << 16)    /* grown for a larger record (small: it stays in cache) */
#define USBMON_TRANSFER_TYPE 9 /* offset of the transfer type; 0: isochronous */

static uint32_t host32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint16_t host16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

bool dfs__fast_pcap_header(const uint8_t *hdr, uint32_t n, bool *nsec, int *linktype)
{
    if (n < FILE_HEADER)
        return false;
    uint32_t magic = host32(hdr);
    if (magic != PCAP_MAGIC_USEC && magic != PCAP_MAGIC_NSEC)
        return false;
    if (host16(hdr + 4) != 2 || host16(hdr + 6) != 4)
        return false;
    uint32_t network = host32(hdr + 20); /* no FCS bits: the link type alone */
    if (network != 189 && network != 220)
        return false;
    *nsec = magic == PCAP_MAGIC_NSEC;
    *linktype = (int)network;
    return true;
}

/* Fill buf from the file so that it holds at least `want` bytes from *pos
 * on (moving what is left to its start). False at the end of the file or on
 * an error (then *err is set). */
static bool refill(int fd, uint8_t **bufp, uint32_t *size, uint32_t *pos, uint32_t *end,
                   uint64_t *off, uint32_t want, bool *err)
{
    if (*end - *pos >= want)
        return true;
    if (want > *size) {
        uint8_t *b = realloc(*bufp, want);
        if (!b) {
            *err = true;
            return false;
        }
        *bufp = b;
        *size = want;
    }
    uint8_t *buf = *bufp;
    uint32_t left = *end - *pos;
    memmove(buf, buf + *pos, left);
    *pos = 0;
    *end = left;
    while (*end < want) {
        ssize_t n = pread(fd, buf + *end, *size - *end, (off_t)*off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *err = true;
            return false;
        }
        if (n == 0)
            return false;
        *end += (uint32_t)n;
        *off += (uint64_t)n;
    }
    return true;
}

enum dfs__fast_result dfs__fast_pcap_read(int fd, dfs__fast_fn fn, void *user)
{
    uint8_t *buf = malloc(BUF_SIZE);
    if (!buf)
        return DFS__FAST_WIRETAP;
    uint32_t pos = 0, end = 0, size = BUF_SIZE;
    uint64_t off = 0;
    bool err = false, nsec;
    int lt;
    enum dfs__fast_result res = DFS__FAST_WIRETAP;
    if (!refill(fd, &buf, &size, &pos, &end, &off, FILE_HEADER, &err) ||
        !dfs__fast_pcap_header(buf, end, &nsec, &lt))
        goto out;
    pos = FILE_HEADER;
    uint32_t min_len = lt == 220 ? 64u : 48u; /* the usbmon header */
    for (uint64_t frame = 1;; frame++) {
        if (!refill(fd, &buf, &size, &pos, &end, &off, RECORD_HEADER, &err)) {
            if (!err && end == pos)
                res = DFS__FAST_DONE; /* the end of the file, between records */
            goto out;
        }
        const uint8_t *h = buf + pos;
        uint32_t ts_sec = host32(h), ts_frac = host32(h + 4);
        uint32_t incl = host32(h + 8), orig = host32(h + 12);
        if (incl > MAX_CAPLEN || incl < min_len)
            goto out;
        if (!refill(fd, &buf, &size, &pos, &end, &off, RECORD_HEADER + incl, &err))
            goto out; /* a truncated record, or an error */
        const uint8_t *data = buf + pos + RECORD_HEADER;
        if (lt == 220 && data[USBMON_TRANSFER_TYPE] == 0)
            goto out;
        struct dfs__fast_rec r = {
            .frame = frame,
            .ts_sec = (int64_t)ts_sec,
            .ts_nsec = (int32_t)(nsec ? ts_frac : ts_frac * 1000u),
            .caplen = incl,
            .len = orig,
            .linktype = lt,
            .data = data,
        };
        if (!fn(user, &r)) {
            res = DFS__FAST_STOPPED;
            goto out;
        }
        pos += RECORD_HEADER + incl;
    }
out:
    free(buf);
    return res;
}
