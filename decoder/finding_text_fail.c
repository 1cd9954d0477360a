/* The words of the findings about a request the device refused with a
 * STALL where it was expected to take it (see finding_text.c). */
#include "dfuscope/quirks.h"
#include "finding_text.h"

/* "block 3, 2048 bytes" or "DfuSe command ERASE 0x08000000" */
static void dnload_words(const struct dfs_dfu_txn *t, char *buf, size_t size)
{
    if (t->dfuse && t->wValue == 0 && t->data && t->data_len >= 1) {
        size_t pos = dfs__appendf(buf, size, 0, "DfuSe command %s",
                                  dfs_dfuse_cmd_name(t->data[0]));
        if (t->data_len >= 5)
            dfs__appendf(buf, size, pos, " 0x%08x", dfs__le32(t->data + 1));
        return;
    }
    dfs__appendf(buf, size, 0, "block %u, %u bytes", t->wValue, t->wLength);
}

static void say_after_clrstatus(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs__frames *fr, const struct dfs_dfu_txn *t,
                                const char *what, const struct dfs__clr_before *clr)
{
    char before[96], why[400];
    if (clr->state == DFS_STATE_UNKNOWN)
        dfs__appendf(before, sizeof before, 0, "before any GETSTATUS had told the state");
    else
        dfs__appendf(before, sizeof before, 0, "in %s", dfs_dfu_state_name(clr->state));
    if (clr->r15)
        dfs__appendf(why, sizeof why, 0,
                     "the %s, one of the devices with VID:PID %04x:%04x, goes to "
                     "dfuERROR/errUNKNOWN on a CLRSTATUS outside dfuERROR (known quirk R15, "
                     "`dfuscope quirks %04x:%04x`), and in dfuERROR it stalls every DNLOAD",
                     clr->r15->name, dev->vid, dev->pid, dev->vid, dev->pid);
    else
        dfs__appendf(why, sizeof why, 0,
                     "a device that takes a CLRSTATUS outside dfuERROR may go to dfuERROR "
                     "(dfu-quirks R15: ST's USB device middleware does), and in dfuERROR a "
                     "DNLOAD is stalled");
    dfs__emit_finding(
        d, DFS_F_DFU_DNLOAD_STALL, dev->id, t->frame, fr,
        "Send CLRSTATUS only after a GETSTATUS that reports dfuERROR; from any other state "
        "ABORT leads to dfuIDLE. After this STALL, read GETSTATUS: it tells the state and "
        "status, and from dfuERROR a CLRSTATUS brings the device back to dfuIDLE.",
        "%s: the DNLOAD at frame %llu (%s) was STALLed right after the CLRSTATUS at frame "
        "%llu, which the device acknowledged %s, and no GETSTATUS came between: the "
        "state the DNLOAD met is not known. DFU 1.1 accepts CLRSTATUS in dfuERROR only, "
        "and leads it to dfuIDLE, where a DNLOAD is allowed; but %s.",
        dfs__who(dev, 0).s, (unsigned long long)t->frame, what, (unsigned long long)clr->frame,
        before, why);
}

void dfs__say_dnload_stall(dfs_decoder *d, const struct dfs__device *dev,
                           const struct dfs__frames *fr, const struct dfs_dfu_txn *t,
                           uint16_t size, const struct dfs__clr_before *clr)
{
    char what[64];
    dnload_words(t, what, sizeof what);
    if (clr->frame) {
        say_after_clrstatus(d, dev, fr, t, what, clr);
        return;
    }
    bool full = size && t->wLength == size && t->wValue >= (t->dfuse ? 2 : 0);
    char within[96] = "", remedy[DFS_FINDING_TEXT_SIZE];
    if (size)
        dfs__appendf(within, sizeof within, 0,
                     ", and its %u bytes are within the wTransferSize %u its functional "
                     "descriptor announces",
                     t->wLength, size);
    size_t pos = dfs__appendf(
        remedy, sizeof remedy, 0,
        "Read GETSTATUS after the STALL: its status says why the device refused the request "
        "(errSTALLEDPKT: the request itself; errTARGET, errADDRESS, errWRITE, errVERIFY: the "
        "data or the memory).");
    if (full && size >= 16)
        dfs__appendf(remedy, sizeof remedy, pos,
                     " A device that stalls a full block it announces it can take may have a "
                     "smaller buffer than its wTransferSize says (dfu-quirks R9): try smaller "
                     "blocks (dfu-util -t %u), and fix wTransferSize in the device.",
                     size / 2);
    dfs__emit_finding(d, DFS_F_DFU_DNLOAD_STALL, dev->id, t->frame, fr, remedy,
                      "%s: the DNLOAD at frame %llu (%s) was STALLed in %s, where DFU 1.1 "
                      "allows a DNLOAD%s: the device refused it, and the download stops "
                      "there unless the host recovers.",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame, what,
                      dfs_dfu_state_name(t->state_before), within);
}
