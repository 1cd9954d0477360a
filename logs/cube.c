/* STM32CubeProgrammer logs, CLI (-vb 1..3) and GUI (time-stamped lines):
 * the device information block, "setting the address pointer", "sending /
 * receiving packet nbr", erase and programming lines, and errors. An
 * option-byte write followed by a failed GETSTATUS and a device that does
 * not come back is the option-byte reset (dfuse.option-bytes-reset). */
#include <stdio.h>
#include <string.h>

#include "dfuscope/dfuse.h"
#include "log_internal.h"

static void new_session(dfs_log *l)
{
    memset(&l->cube, 0, sizeof l->cube);
    l->cube.active = true;
    l->cur_vid = l->cur_pid = 0; /* its log names the chip, not the USB ids */
    l->cur_bus = 0;
    l->cur_devnum = 0;
    l->st.cube_runs++;
}

static void report_reset(dfs_log *l, uint64_t gone_line, const char *gone, size_t gone_len)
{
    struct dfs_log__cube *c = &l->cube;
    if (c->reported || !c->failed)
        return;
    const struct dfs_ob_area *ob = c->have_addr ? dfs_ob_area_find(c->addr) : NULL;
    if (!ob && !c->ob_phase)
        return;
    c->reported = true;
    uint64_t lines[5] = {c->ob_line, c->addr_line, c->send_line, c->fail_line, gone_line};
    char area[160] = "";
    if (ob)
        snprintf(area, sizeof area, " (0x%08x is in the option-byte area of %s)", c->addr,
                 ob->families);
    char seen[200] = "";
    if (gone_len)
        snprintf(seen, sizeof seen, " and the device did not come back (\"%.*s\")",
                 (int)(gone_len > 120 ? 120 : gone_len), gone);
    dfs_log__emit(
        l, DFS_F_DFUSE_OPTION_BYTES_RESET, true, lines, 5,
        "Do not read the pipe error as a failed write. Once the chip is in its bootloader again, "
        "read the option bytes back (STM32_Programmer_CLI -c port=usb1 -ob displ) and compare "
        "them with what was written. If it does not come back in DFU mode, its new option "
        "bytes (nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK, the securable area SEC_SIZE) no longer "
        "select the system bootloader: power-cycle it with BOOT0 high (if nBOOT_SEL lets the "
        "pin decide) or connect over SWD to correct them.",
        "STM32CubeProgrammer wrote option bytes at 0x%08x with a DNLOAD%s; the GETSTATUS after "
        "it failed with LIBUSB_ERROR_PIPE%s. Most likely the bootloader loaded the new option "
        "bytes and reset the chip, as ST system bootloaders do after an option-byte write: the "
        "pipe error is the reset, not a refused write. A log cannot show the device leaving "
        "the bus; a capture would.",
        c->addr, area, seen);
}

static const char *const plain[] = {
    "USB speed", "Manuf. ID", "Product ID", "SN ", "DFU protocol", "Board ", "Device ID",
    "Device name", "Flash size", "Device type", "Revision ID", "Device CPU", "Database:",
    "Bank ", "Address ", "Size ", "UPLOADING", "UpLoading data", "sending an abort request",
    "receiving packet nbr", "Read progress", "Data read successfully", "Time elapsed",
    "Option byte command", "qCmd", "Reconnecting", "Disconnected from device", "downloading data",
    "Memory Programming", "Opening and parsing file", "File ", "Erasing memory", "erasing sector",
    "Erasing internal memory", "Download in Progress", "File download complete",
    "Start operation achieved successfully", "RUNNING Program", "Mass erase", "Erase ",
    "Read Out Protection", "OPTION BYTES BANK", "UPLOADING OPTION BYTES", "Warning: ",
    "An error occured", "An error occurred", "DFU Interface", "ST-LINK", "Memory erased",
    "Flash memory erased", "Verifying", "Download verified successfully", "Data Path",
    "Program Path", "Log output file",
};

bool dfs_log__cube_line(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__cube *c = &l->cube;
    if (dfs_log__starts(ln, "STM32CubeProgrammer v") || dfs_log__starts(ln, "STM32CubeProgrammer V")) {
        bool cmdline = c->active && !c->version[0] && !c->have_addr;
        if (!cmdline)
            new_session(l);
        dfs_log__copy(c->version, sizeof c->version, ln->s + 20, ln->len - 20);
        char tool[48];
        snprintf(tool, sizeof tool, "STM32CubeProgrammer %s", c->version);
        dfs_log__tool_seen(l, tool);
        return true;
    }
    if (dfs_log__find(ln->s, ln->len > 60 ? 60 : ln->len, "STM32_Programmer_CLI")) {
        new_session(l);
        return true;
    }
    const char *ap = "setting the address pointer to address:";
    if (dfs_log__starts(ln, ap)) {
        if (!c->active) {
            new_session(l);
            dfs_log__tool_seen(l, "STM32CubeProgrammer");
        }
        unsigned long a;
        if (dfs_log__num(ln->s + strlen(ap), ln->len - strlen(ap), &a)) {
            c->addr = (uint32_t)a;
            c->have_addr = true;
            c->addr_line = ln->no;
            c->sending = false;
        }
        return true;
    }
    if (!c->active)
        return false;
    if (dfs_log__starts(ln, "PROGRAMMING OPTION BYTES AREA")) {
        c->ob_phase = true;
        c->ob_line = ln->no;
        return true;
    }
    if (dfs_log__starts(ln, "sending packet nbr")) {
        c->sending = true;
        c->send_line = ln->no;
        return true;
    }
    if (dfs_log__find(ln->s, ln->len, "get status error")) {
        if (c->sending && !c->failed) {
            c->failed = true;
            c->fail_line = ln->no;
        }
        return true;
    }
    if (dfs_log__find(ln->s, ln->len, "nable to reconnect") ||
        (dfs_log__starts(ln, "Warning: Connection to device") &&
         dfs_log__find(ln->s, ln->len, "is lost"))) {
        report_reset(l, ln->no, ln->s, ln->len);
        return true;
    }
    const struct dfs_log__msg *m = dfs_log__msg_find(DFS_LOG__CUBE, ln->s, ln->len);
    if (m) {
        if (m->code >= 0) {
            uint64_t lines[1] = {ln->no};
            dfs_log__emit(l, (enum dfs_finding_code)m->code, true, lines, 1, m->remedy,
                          "STM32CubeProgrammer printed \"%.*s\". Most likely %s.",
                          (int)(ln->len > 300 ? 300 : ln->len), ln->s, m->cause);
        }
        return true;
    }
    if (dfs_log__starts(ln, "Error: "))
        return true;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (dfs_log__starts(ln, plain[i]))
            return true;
    return false;
}

void dfs_log__cube_end(dfs_log *l)
{
    if (l->cube.active)
        report_reset(l, 0, NULL, 0);
}
