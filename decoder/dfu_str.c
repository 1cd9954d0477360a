/* A DFU transaction in words, the same for every front end: the command
 * line's decode and diagnose, the HTML report and the Wireshark plugin all
 * print a transaction through these functions (dfs_dfu_txn_*_str). Two
 * forms: the line form ("DNLOAD block 2 -> 0x08000000 (2048 B)" with its
 * reply "dfuDNBUSY, poll 40 ms") and the brief form of Wireshark's packet
 * list ("DNLOAD block 2 → 0x08000000 (2048 B)" on the request's frame,
 * "GETSTATUS dfuDNBUSY poll 40 ms" on the reply's). */
#include "internal.h"

#define RIGHT_ARROW "\xE2\x86\x92" /* U+2192, UTF-8 */
#define LEFT_ARROW "\xE2\x86\x90"  /* U+2190 */

const char *dfs_dfu_outcome_name(enum dfs_dfu_outcome o)
{
    switch (o) {
    case DFS_DFU_ACK: return "ACK";
    case DFS_DFU_STALLED: return "STALL";
    case DFS_DFU_BUS_ERROR: return "bus error";
    case DFS_DFU_CANCELLED: return "cancelled";
    case DFS_DFU_NO_DEVICE: return "no device";
    case DFS_DFU_NO_REPLY: return "no reply";
    }
    return "unknown";
}

static const char *name_or(const char *name, const char *otherwise)
{
    return name ? name : otherwise;
}

/* ---- Atmel FLIP command blocks (both forms) --------------------------------------------- */

static const char *flip_info_name(uint32_t which)
{
    switch (which) {
    case 0x0000: return "bootloader version";
    case 0x0001: return "bootloader ID1";
    case 0x0002: return "bootloader ID2";
    case 0x0130: return "manufacturer code";
    case 0x0131: return "family code";
    case 0x0160: return "product name";
    case 0x0161: return "product revision";
    default: return NULL;
    }
}

/* " FLIP program flash 0x0000-0x03ff (1024 B)", " FLIP chip erase", ... */
static size_t flip_dnload(const struct dfs_dfu_txn *t, char *buf, size_t size, size_t pos)
{
    if (t->wLength == 0)
        return dfs__appendf(buf, size, pos, " block %u, zero length (%s)", t->wValue,
                            t->leave ? "start application" : "end of download");
    const char *cn = dfs_flip_cmd_name(t->flip_cmd);
    if (!cn)
        return dfs__appendf(buf, size, pos, " block %u (%u B)", t->wValue, t->wLength);
    pos = dfs__appendf(buf, size, pos, " FLIP %s", cn);
    switch (t->flip_cmd) {
    case DFS_FLIP_PROGRAM_FLASH:
    case DFS_FLIP_PROGRAM_EEPROM:
        return dfs__appendf(buf, size, pos, " 0x%04x-0x%04x (%u B)", t->flip_start, t->flip_end,
                            t->flip_end >= t->flip_start ? t->flip_end - t->flip_start + 1 : 0);
    case DFS_FLIP_READ_FLASH:
    case DFS_FLIP_READ_EEPROM:
    case DFS_FLIP_BLANK_CHECK:
        return dfs__appendf(buf, size, pos, " 0x%04x-0x%04x", t->flip_start, t->flip_end);
    case DFS_FLIP_START_JUMP:
        return dfs__appendf(buf, size, pos, " to 0x%04x", t->flip_start);
    case DFS_FLIP_SELECT_PAGE:
        return dfs__appendf(buf, size, pos, " %u", t->flip_start);
    case DFS_FLIP_READ_INFO: {
        const char *what = flip_info_name(t->flip_start);
        return what ? dfs__appendf(buf, size, pos, " %s", what)
                    : dfs__appendf(buf, size, pos, " byte %02x %02x", t->flip_start >> 8 & 0xff,
                                   t->flip_start & 0xff);
    }
    case DFS_FLIP_UNKNOWN:
        return dfs__appendf(buf, size, pos, " 0x%02x (%u B)", t->data_len ? t->data[0] : 0,
                            t->wLength);
    default:
        return pos;
    }
}

/* ---- the line form ---------------------------------------------------------------- */

size_t dfs_dfu_txn_request_str(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    if (!t)
        return 0;
    size_t pos = dfs__appendf(buf, size, 0, "%s", name_or(dfs_dfu_request_name(t->request), "?"));
    switch (t->request) {
    case DFS_DFU_DNLOAD:
        if (t->flip)
            return flip_dnload(t, buf, size, pos);
        if (t->cmd >= 0) {
            const char *cn = name_or(dfs_dfuse_cmd_name((uint8_t)t->cmd), "command");
            if (t->mass_erase)
                return dfs__appendf(buf, size, pos, " MASS_ERASE");
            if (t->has_address)
                return dfs__appendf(buf, size, pos, " %s 0x%08x", cn, t->address);
            return dfs__appendf(buf, size, pos, " %s (0x%02x)", cn, (unsigned)t->cmd);
        }
        if (t->wLength == 0)
            return dfs__appendf(buf, size, pos, " block %u, zero length (%s)", t->wValue,
                                t->dfuse ? "leave" : "end of download");
        if (t->has_address)
            return dfs__appendf(buf, size, pos, " block %u -> 0x%08x (%u B)", t->wValue,
                                t->address, t->wLength);
        return dfs__appendf(buf, size, pos, " block %u (%u B)", t->wValue, t->wLength);
    case DFS_DFU_UPLOAD:
        if (t->cmd == DFS_DFUSE_GET_COMMANDS)
            return dfs__appendf(buf, size, pos, " block 0 GET_COMMANDS (%u B)", t->wLength);
        if (t->has_address)
            return dfs__appendf(buf, size, pos, " block %u <- 0x%08x (%u B)", t->wValue,
                                t->address, t->wLength);
        return dfs__appendf(buf, size, pos, " block %u (%u B)", t->wValue, t->wLength);
    case DFS_DFU_DETACH:
        return dfs__appendf(buf, size, pos, " timeout %u ms", t->wValue);
    default:
        return pos;
    }
}

/* A GETSTATUS reply: "dfuDNBUSY, poll 40 ms (polled after 41.2 ms, asked 40)" */
static size_t status_reply(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    size_t pos = dfs__appendf(buf, size, 0, "%s", name_or(dfs_dfu_state_name(t->bState),
                                                          "bState?"));
    if (t->bStatus)
        pos = dfs__appendf(buf, size, pos, " %s",
                           name_or(dfs_dfu_status_name(t->bStatus), "bStatus?"));
    if (t->poll_timeout_ms || t->bState == DFS_STATE_DNBUSY)
        pos = dfs__appendf(buf, size, pos, ", poll %u ms", t->poll_timeout_ms);
    if (t->poll_wait_us >= 0)
        pos = dfs__appendf(buf, size, pos, " (polled after %.1f ms, asked %u)",
                           (double)t->poll_wait_us / 1000.0, t->poll_asked_ms);
    return pos;
}

static size_t reply_body(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    size_t pos = 0;
    const char *after = t->state_after == DFS_STATE_UNKNOWN
                            ? NULL
                            : name_or(dfs_dfu_state_name(t->state_after), "?");
    if (t->outcome != DFS_DFU_ACK) {
        if (t->outcome == DFS_DFU_STALLED)
            pos = dfs__appendf(buf, size, 0, "STALL");
        else if (t->outcome == DFS_DFU_NO_REPLY)
            pos = dfs__appendf(buf, size, 0, "no reply");
        else
            pos = dfs__appendf(buf, size, 0, "failed %d %s", (int)t->usb_status,
                               name_or(dfs_errno_name(t->usb_status), ""));
        return after ? dfs__appendf(buf, size, pos, " (now %s)", after) : pos;
    }
    if (t->has_status)
        return status_reply(t, buf, size);
    if (t->has_state)
        return dfs__appendf(buf, size, 0, "%s", name_or(dfs_dfu_state_name(t->bState),
                                                        "bState?"));
    if (t->request == DFS_DFU_UPLOAD)
        pos = dfs__appendf(buf, size, 0, "%u B%s", t->length,
                           t->length < t->wLength ? " (short: end of upload)" : "");
    else
        pos = dfs__appendf(buf, size, 0, "ACK");
    return after ? dfs__appendf(buf, size, pos, " -> %s", after) : pos;
}

/* The reply, and on a packet-level capture the NAKs that held its data
 * stage: "dfuDNLOAD-IDLE, held 32.0 ms by 250 NAKs" */
size_t dfs_dfu_txn_reply_str(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    if (!t)
        return 0;
    size_t pos = reply_body(t, buf, size);
    if (!t->naks)
        return pos;
    return dfs__appendf(buf, size, pos, ", held %.1f ms by %u NAK%s", (double)t->nak_us / 1000.0,
                        t->naks, t->naks == 1 ? "" : "s");
}

size_t dfs_dfu_txn_str(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    size_t pos = dfs_dfu_txn_request_str(t, buf, size);
    if (!t || !size)
        return pos;
    pos = dfs__appendf(buf, size, pos, " " RIGHT_ARROW " ");
    return pos + dfs_dfu_txn_reply_str(t, buf + pos, size - pos);
}

/* ---- the brief form ----------------------------------------------------------------- */

/* "DNLOAD", or "request 9" for a number DFU does not define */
static size_t request_name(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    const char *n = dfs_dfu_request_name(t->request);
    return n ? dfs__appendf(buf, size, 0, "%s", n)
             : dfs__appendf(buf, size, 0, "request %u", t->request);
}

static size_t brief_request(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    size_t pos = request_name(t, buf, size);
    bool dn = t->request == DFS_DFU_DNLOAD, up = t->request == DFS_DFU_UPLOAD;
    if (dn && t->flip)
        return flip_dnload(t, buf, size, pos);
    if ((dn || up) && t->cmd >= 0) {
        const char *cn = name_or(dfs_dfuse_cmd_name((uint8_t)t->cmd), "command");
        if (t->mass_erase)
            return dfs__appendf(buf, size, pos, " ERASE (mass erase)");
        if (t->has_address)
            return dfs__appendf(buf, size, pos, " %s 0x%08x", cn, t->address);
        return dfs__appendf(buf, size, pos, " %s", cn);
    }
    if (dn && t->leave)
        return t->has_address
                   ? dfs__appendf(buf, size, pos, " leave " RIGHT_ARROW " 0x%08x", t->address)
                   : dfs__appendf(buf, size, pos, " leave");
    if (dn || up) {
        uint32_t len = t->length ? t->length : t->wLength;
        if (t->has_address)
            return dfs__appendf(buf, size, pos, " block %u %s 0x%08x (%u B)", t->wValue,
                                dn ? RIGHT_ARROW : LEFT_ARROW, t->address, len);
        return dfs__appendf(buf, size, pos, " block %u (%u B)", t->wValue, len);
    }
    return pos;
}

static size_t brief_reply(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    if (t->outcome != DFS_DFU_ACK) {
        size_t pos = request_name(t, buf, size);
        if (t->outcome == DFS_DFU_STALLED)
            return dfs__appendf(buf, size, pos, " STALL");
        return dfs__appendf(buf, size, pos, " %s (%d %s)", dfs_dfu_outcome_name(t->outcome),
                            (int)t->usb_status, name_or(dfs_errno_name(t->usb_status), ""));
    }
    if (t->request == DFS_DFU_GETSTATUS && t->has_status) {
        const char *s = dfs_dfu_state_name(t->bState), *e = dfs_dfu_status_name(t->bStatus);
        size_t pos = dfs__appendf(buf, size, 0, "GETSTATUS");
        pos = s ? dfs__appendf(buf, size, pos, " %s", s)
                : dfs__appendf(buf, size, pos, " state %u", t->bState);
        if (t->bStatus != DFS_STATUS_OK)
            pos = e ? dfs__appendf(buf, size, pos, " %s", e)
                    : dfs__appendf(buf, size, pos, " status %u", t->bStatus);
        return dfs__appendf(buf, size, pos, " poll %u ms", t->poll_timeout_ms);
    }
    if (t->request == DFS_DFU_GETSTATE && t->has_state) {
        const char *s = dfs_dfu_state_name(t->bState);
        return s ? dfs__appendf(buf, size, 0, "GETSTATE %s", s)
                 : dfs__appendf(buf, size, 0, "GETSTATE state %u", t->bState);
    }
    size_t pos = brief_request(t, buf, size);
    return dfs__appendf(buf, size, pos, " ACK");
}

size_t dfs_dfu_txn_brief_str(const struct dfs_dfu_txn *t, bool reply, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    if (!t)
        return 0;
    return reply ? brief_reply(t, buf, size) : brief_request(t, buf, size);
}
