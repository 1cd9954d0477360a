/* The DFU state a tool read with GETSTATUS and printed (dfu-util -v -v
 * "DFU state(10) = dfuERROR, status(3) = Device is unable to write memory",
 * fwupd's "refreshed status=err-write and state=dfu-error"): dfuERROR gives
 * the finding a capture would, with the lines that show it. After a request
 * of the session (a download block, an erase, an address) the device
 * refused that request: dfu.operation-failed, or dfuse.option-bytes-rejected
 * for a write to a known option-byte area; as the first state seen the
 * device was in dfuERROR before: dfu.error-state. */
#include <stdio.h>

#include "dfuscope/dfuse.h"
#include "log_internal.h"

#define STATE_ERROR 10
#define STATUS_STALLEDPKT 15

void dfs_log__state_reset(dfs_log *l)
{
    l->dstate.seen = false;
    l->dstate.in_error = false;
}

static void refused(dfs_log *l, const char *tool, int status, const char *words, uint64_t line,
                    const struct dfs_log__op *op)
{
    uint64_t lines[2] = {op->line, line};
    const struct dfs_ob_area *ob = op->have_addr ? dfs_ob_area_find(op->addr) : NULL;
    if (ob) {
        dfs_log__emit(l, DFS_F_DFUSE_OPTION_BYTES_REJECTED, false, lines, 2,
                      "The bootloader refused the option bytes and stayed: check the values "
                      "(reserved bits, read-protection level, a securable area the chip allows) "
                      "and write the whole area from its base address.",
                      "%s wrote option bytes at 0x%08x (line %llu, in the option-byte area of "
                      "%s) and then read state dfuERROR with status %d (%s): the bootloader "
                      "refused the write and stayed on the bus.",
                      tool, op->addr, (unsigned long long)op->line, ob->families, status, words);
        return;
    }
    char at[40] = "";
    if (op->have_addr)
        snprintf(at, sizeof at, " at 0x%08x", op->addr);
    dfs_log__emit(l, DFS_F_DFU_OPERATION_FAILED, false, lines, 2,
                  "Look at the status: errADDRESS or errTARGET is an address outside what the "
                  "device takes (check the file against its memory), errWRITE, errERASE, errPROG "
                  "or errVERIFY a flash that refused (write protection, a worn or locked "
                  "sector). Capture the session to see the request and its data.",
                  "After %s%s (line %llu), %s read state dfuERROR with status %d (%s): the "
                  "device refused that request.",
                  op->what, at, (unsigned long long)op->line, tool, status, words);
}

void dfs_log__dfu_error_state(dfs_log *l, const char *tool, int state, int status,
                              const char *status_words, uint64_t line, uint64_t stall_line,
                              const struct dfs_log__op *op)
{
    struct dfs_log__state *ds = &l->dstate;
    bool first = !ds->seen;
    ds->seen = true;
    if (state != STATE_ERROR) {
        ds->in_error = false;
        return;
    }
    if (ds->in_error)
        return;
    ds->in_error = true;
    /* the stall the tool reported put the device there, as DFU 1.1 says:
     * the stall is the finding, not the state that follows it */
    if (status == STATUS_STALLEDPKT && stall_line && stall_line <= line)
        return;
    if (!first && op && op->line && op->line < line) {
        refused(l, tool, status, status_words, line, op);
        return;
    }
    const char *remedy =
        first ? "Usually harmless: the device was in dfuERROR before this session (a failed "
                "earlier one, or its firmware check at power-on); hosts send CLRSTATUS and go "
                "on. If it comes back after every power-on, the firmware it checks is not valid."
              : "Look at the request just before: the device refused it with this status. "
                "Capture the session (dfuscope capture) to see the request and its data.";
    uint64_t lines[1] = {line};
    dfs_log__emit(l, DFS_F_DFU_ERROR_STATE, false, lines, 1, remedy,
                  "%s read state dfuERROR (10) with status %d (%s)%s.", tool, status,
                  status_words,
                  first ? ", the first state seen in its run: the device was in dfuERROR "
                          "before the session"
                        : " after requests of the session: the device refused one of them");
}
