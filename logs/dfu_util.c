/* dfu-util output, releases 0.7 to 0.11: the banner and command line, -l
 * ("Found DFU: ..."), download and upload transcripts, the -v and -v -v
 * lines, and every error message (messages.c). */
#include <stdio.h>
#include <string.h>

#include "dfuscope/dfuse.h"
#include "log_internal.h"

/* "* Device stalled USB pipe, reusing last poll timeout": dfu-util's way
 * around a device that stalls GETSTATUS while it is still busy */
static void flush_stalls(dfs_log *l)
{
    struct dfs_log__dfu_util *du = &l->du;
    if (!du->stalls)
        return;
    uint64_t lines[5] = {du->poll_line, du->stall_lines[0], du->stall_lines[1],
                         du->stall_lines[2], du->stall_lines[3]};
    dfs_log__emit(l, DFS_F_DFU_POLL_TIMEOUT_TOO_SHORT, true, lines, 5,
                  "The device's firmware should give a bwPollTimeout at least as long as the "
                  "operation takes (erase times are in the chip's datasheet). Until then, a host "
                  "can wait longer than asked; dfu-util retries as it did here.",
                  "dfu-util%s%s printed \"Device stalled USB pipe, reusing last poll timeout\" "
                  "%u time%s after the device asked for %u ms (\"Poll timeout\"): the device "
                  "stalled GETSTATUS because it was still busy. Most likely its bwPollTimeout is "
                  "shorter than the work takes; a capture would show the times.",
                  du->version[0] ? " " : "", du->version, du->stalls, du->stalls == 1 ? "" : "s",
                  du->poll_ms);
    du->stalls = 0;
}

void dfs_log__dfu_util_end(dfs_log *l)
{
    flush_stalls(l);
}

static void new_run(dfs_log *l)
{
    flush_stalls(l);
    struct dfs_log__dfu_util *du = &l->du;
    memset(du, 0, sizeof *du);
    du->alt = -1;
    du->active = true;
    l->cur_vid = l->cur_pid = 0;
    l->cur_bus = 0;
    l->cur_devnum = 0;
    dfs_log__state_reset(l);
    l->st.dfu_util_runs++;
}

static void device_ids(dfs_log *l, const char *s, size_t len);

/* "$ dfu-util -a 1 -s 0x1fff7870:4:force -U ob.bin": what the user asked */
static void command_line(dfs_log *l, const struct dfs_log__line *ln, const char *at)
{
    new_run(l);
    struct dfs_log__dfu_util *du = &l->du;
    du->cmd_line = ln->no;
    const char *end = ln->s + ln->len;
    const char *p = at;
    char prev[24] = "";
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *t = p;
        while (p < end && *p != ' ')
            p++;
        size_t n = (size_t)(p - t);
        if (!n)
            break;
        unsigned long v;
        if ((!strcmp(prev, "-a") || !strcmp(prev, "--alt")) && dfs_log__num(t, n, &v) && v < 256) {
            du->alt = (int)v;
            du->alt_line = ln->no;
        } else if (n > 2 && t[0] == '-' && t[1] == 'a' && dfs_log__num(t + 2, n - 2, &v) && v < 256) {
            du->alt = (int)v;
            du->alt_line = ln->no;
        }
        if (!strcmp(prev, "-s") || !strcmp(prev, "--dfuse-address")) {
            if (dfs_log__find(t, n, ":leave"))
                du->leave = true;
            if (dfs_log__num(t, n, &v)) {
                du->addr = (uint32_t)v;
                du->have_addr = true;
                du->addr_line = ln->no;
            }
        }
        /* -d VID:PID, or RUNTIME,DFU: the DFU mode's ids when given */
        if (!strcmp(prev, "-d") || !strcmp(prev, "--device")) {
            const char *comma = memchr(t, ',', n);
            if (comma && (size_t)(t + n - comma) > 9)
                device_ids(l, comma + 1, (size_t)(t + n - comma - 1));
            else if (!comma)
                device_ids(l, t, n);
        }
        if ((n == 2 && !memcmp(t, "-D", 2)) || (n == 10 && !memcmp(t, "--download", 10)))
            du->download = true;
        if ((n == 2 && !memcmp(t, "-U", 2)) || (n == 8 && !memcmp(t, "--upload", 8)))
            du->upload = true;
        dfs_log__copy(prev, sizeof prev, t, n);
    }
}

/* key=value in "Found DFU: [0483:df11] ver=0200, devnum=6, ..., alt=1, name="..."" */
static const char *kv(const struct dfs_log__line *ln, const char *key, size_t *len)
{
    const char *p = dfs_log__find(ln->s, ln->len, key);
    if (!p)
        return NULL;
    p += strlen(key);
    const char *end = ln->s + ln->len;
    if (p < end && *p == '"') {
        p++;
        const char *q = p;
        while (q < end && *q != '"')
            q++;
        *len = (size_t)(q - p);
        return p;
    }
    const char *q = p;
    while (q < end && *q != ',' && *q != ' ')
        q++;
    *len = (size_t)(q - p);
    return p;
}

/* "[0483:df11]" in "Found DFU: [...]", or "Device ID 0483:df11": the device
 * the run speaks to (the last one found, the one opened) */
static void device_ids(dfs_log *l, const char *s, size_t len)
{
    unsigned long vid, pid;
    if (len < 9 || s[4] != ':')
        return;
    char v[7] = "0x", p[7] = "0x";
    memcpy(v + 2, s, 4);
    memcpy(p + 2, s + 5, 4);
    if (dfs_log__num(v, 6, &vid) && dfs_log__num(p, 6, &pid) && vid <= 0xffff && pid <= 0xffff) {
        l->cur_vid = (uint16_t)vid;
        l->cur_pid = (uint16_t)pid;
    }
}

static void found(dfs_log *l, const struct dfs_log__line *ln)
{
    const char *br = memchr(ln->s, '[', ln->len);
    if (br)
        device_ids(l, br + 1, ln->len - (size_t)(br + 1 - ln->s));
    size_t n, nn;
    /* devnum=6 and path="1-1" (0.8+: the bus, then the ports) */
    const char *dn = kv(ln, "devnum=", &n);
    const char *path = kv(ln, "path=\"", &nn);
    unsigned long devnum, bus;
    const char *dash = path ? memchr(path, '-', nn) : NULL;
    if (dn && dash && dfs_log__num(dn, n, &devnum) && devnum > 0 && devnum < 128 &&
        dfs_log__num(path, (size_t)(dash - path), &bus) && bus > 0 && bus <= 0xffff) {
        l->cur_bus = (uint16_t)bus;
        l->cur_devnum = (uint8_t)devnum;
        if (br && (l->cur_vid || l->cur_pid))
            dfs_log__addr_seen(l, l->cur_vid, l->cur_pid, l->cur_bus, l->cur_devnum);
    } else {
        l->cur_bus = 0;
        l->cur_devnum = 0;
    }
    const char *a = kv(ln, "alt=", &n);
    const char *name = kv(ln, "name=\"", &nn);
    unsigned long alt;
    if (!a || !name || !dfs_log__num(a, n, &alt) || alt >= DFS_LOG__MAX_ALTS)
        return;
    /* lsusb's lines, when the log has them, are the descriptors' own */
    if (l->alts.have[alt] && l->alts.line[alt] < ln->no &&
        strlen(l->alts.name[alt]) == nn && !memcmp(l->alts.name[alt], name, nn))
        return;
    l->alts.have[alt] = true;
    dfs_log__copy(l->alts.name[alt], sizeof l->alts.name[0], name, nn);
    l->alts.line[alt] = ln->no;
}

/* "Page at 0x%08x is not readable": dfu-util refused the request itself */
static void page_refused(dfs_log *l, const struct dfs_log__line *ln, const char *what)
{
    const char *p = dfs_log__find(ln->s, ln->len, "at 0x");
    unsigned long addr;
    if (!p || !dfs_log__num(p + 3, ln->len - (size_t)(p + 3 - ln->s), &addr))
        return;
    struct dfs_log__dfu_util *du = &l->du;
    int alt = du->alt;
    char lay[600] = "";
    uint64_t lines[3] = {ln->no, du->alt_line, 0};
    if (alt >= 0 && alt < DFS_LOG__MAX_ALTS && l->alts.have[alt]) {
        snprintf(lay, sizeof lay, " The layout of alternate setting %d is \"%s\" (line %llu).",
                 alt, l->alts.name[alt], (unsigned long long)l->alts.line[alt]);
        lines[2] = l->alts.line[alt];
    }
    bool readable = !strcmp(what, "readable");
    bool erase = !strcmp(what, "erasable");
    const struct dfs_ob_area *ob = dfs_ob_area_find((uint32_t)addr);
    char ob_words[200] = "";
    if (ob)
        snprintf(ob_words, sizeof ob_words,
                 " 0x%08lx is in the option-byte area of %s, which ST's bootloaders serve even "
                 "when their layout strings do not name it.",
                 addr, ob->families);
    char remedy[DFS_FINDING_TEXT_SIZE];
    if (readable)
        snprintf(remedy, sizeof remedy,
                 "If the address is right for the chip (check its reference manual), add the "
                 ":force modifier with the length: dfu-util -a %d -s 0x%08lx:force:4 -U file "
                 "(dfu-util 0.9 accepts :force for uploads only together with a length).",
                 alt >= 0 ? alt : 0, addr);
    else
        snprintf(remedy, sizeof remedy,
                 "If the address is right for the chip, add :force to the address (dfu-util "
                 "-s 0x%08lx:force%s): dfu-util then skips its layout check. For option bytes "
                 "start at the option-byte base and add :will-reset (dfu-util 0.10+).",
                 addr, erase ? ":mass-erase" : "");
    dfs_log__emit(l, DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT, false, lines, 3, remedy,
                  "dfu-util%s%s refused the %s at 0x%08lx itself (\"%.*s\"): the alternate "
                  "setting's memory layout has no %s page there, so the request never reached "
                  "the device and says nothing about it.%s%s",
                  du->version[0] ? " " : "", du->version,
                  readable ? "upload" : erase ? "erase" : "download", addr, (int)ln->len, ln->s,
                  what, lay, ob_words);
}

static void known_message(dfs_log *l, const struct dfs_log__line *ln,
                          const struct dfs_log__msg *m)
{
    if (m->code < 0)
        return;
    uint64_t lines[2] = {ln->no, l->du.cmd_line};
    dfs_log__emit(l, (enum dfs_finding_code)m->code, true, lines, 2, m->remedy,
                  "dfu-util%s%s printed \"%.*s\". Most likely %s.", l->du.version[0] ? " " : "",
                  l->du.version, (int)(ln->len > 300 ? 300 : ln->len), ln->s, m->cause);
}

/* "Error during download get_status": harmless after the last block with
 * :leave (the device left to run its application), a failure otherwise */
/* What libusb's debug log said of the last control transfer, if it is
 * there and close before this line */
static void libusb_words(const dfs_log *l, uint64_t line, char *out, size_t size)
{
    out[0] = '\0';
    if (!l->usb.last_line || l->usb.last_line + 40 < line || l->usb.last_line > line)
        return;
    int32_t st = l->usb.last_status;
    snprintf(out, size, " libusb's debug log shows the last control transfer ending with status "
                        "%d%s (line %llu).",
             (int)st, st == -32 ? " (a STALL: the device was still there)"
                      : st == -19 || st == -108 ? " (no device: it had left the bus)"
                      : st == -71 ? " (no handshake)" : "",
             (unsigned long long)l->usb.last_line);
}

static void getstatus_error(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__dfu_util *du = &l->du;
    char usb[200];
    libusb_words(l, ln->no, usb, sizeof usb);
    const struct dfs_ob_area *ob = du->have_addr ? dfs_ob_area_find(du->addr) : NULL;
    if (ob && !(du->leave && du->done)) {
        uint64_t lines[4] = {du->addr_line, ln->no, du->cmd_line, l->usb.last_line};
        dfs_log__emit(l, DFS_F_DFUSE_OPTION_BYTES_RESET, true, lines, usb[0] ? 4 : 3,
                      "Do not read the error as a failed write. Once the chip is in its "
                      "bootloader again, read the option bytes back (dfu-util -s "
                      "0xADDRESS:force:LENGTH -U ob.bin) and compare them with what was written; "
                      "dfu-util 0.10+ expects the reset with -s ...:will-reset. If the chip does "
                      "not come back in DFU mode, its new option bytes no longer select the "
                      "system bootloader: power-cycle it with BOOT0 high, or use SWD.",
                      "dfu-util%s%s wrote option bytes at 0x%08x (in the option-byte area of %s) "
                      "and then printed \"%.*s\". Most likely the bootloader loaded the new "
                      "option bytes and reset the chip, as ST system bootloaders do after an "
                      "option-byte write: the error is the reset, not a refused write.%s A log "
                      "cannot show the device leaving the bus; a capture would.",
                      du->version[0] ? " " : "", du->version, du->addr, ob->families,
                      (int)(ln->len > 200 ? 200 : ln->len), ln->s, usb);
        return;
    }
    uint64_t lines[4] = {ln->no, du->done_line, du->cmd_line, usb[0] ? l->usb.last_line : 0};
    if (du->leave && du->done) {
        dfs_log__emit(l, DFS_F_DFUSE_LEAVE_RESET, true, lines, 4,
                      "Nothing, if the device now runs its application: the error is the leave "
                      "working. If it comes back in DFU mode instead, the application at the "
                      "leave address did not start.",
                      "dfu-util%s%s printed \"%.*s\" after the whole file was sent (line %llu) "
                      "with the :leave modifier: most likely the device left the bus to start "
                      "its application, as asked, before it answered GETSTATUS. A log cannot "
                      "show that the device left; a capture would.",
                      du->version[0] ? " " : "", du->version, (int)ln->len, ln->s,
                      (unsigned long long)du->done_line);
        return;
    }
    dfs_log__emit(l, DFS_F_DFU_GETSTATUS_FAILED, true, lines, 4,
                  "Capture the session (dfuscope capture) to see whether the device stalled "
                  "GETSTATUS or left the bus; dfu-util -v -v shows the state before.",
                  "dfu-util%s%s printed \"%.*s\"%s: GETSTATUS after a DNLOAD failed. Most likely "
                  "the device refused the block (a stall) or reset; the log does not say which."
                  "%s",
                  du->version[0] ? " " : "", du->version, (int)(ln->len > 200 ? 200 : ln->len),
                  ln->s, du->done ? " after the last block" : " in the middle of the download",
                  usb);
}

/* "DFU state(10) = dfuERROR, status(3) = Device is unable to write memory"
 * (-v -v, and after " failed!"), or the older status line "state =
 * dfuERROR, status = 10" */
static bool state_line(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__dfu_util *du = &l->du;
    unsigned long st, status;
    char words[160] = "";
    const char *s = ln->s;
    size_t len = ln->len;
    if (dfs_log__starts(ln, "Determining device status: ")) {
        s += 27;
        len -= 27;
    }
    struct dfs_log__line t = {s, len, ln->no};
    if (dfs_log__starts(&t, "DFU state(")) {
        const char *p = dfs_log__find(s, len, ", status(");
        if (!dfs_log__num(s + 10, len - 10, &st) || !p ||
            !dfs_log__num(p + 9, len - (size_t)(p + 9 - s), &status))
            return false;
        const char *w = dfs_log__find(p, len - (size_t)(p - s), ") = ");
        if (w)
            dfs_log__copy(words, sizeof words, w + 4, len - (size_t)(w + 4 - s));
    } else if (dfs_log__starts(&t, "state = ")) {
        const char *p = dfs_log__find(s, len, ", status = ");
        if (!p || !dfs_log__num(p + 11, len - (size_t)(p + 11 - s), &status))
            return false;
        st = p - (s + 8) == 8 && !memcmp(s + 8, "dfuERROR", 8) ? 10 : 2;
    } else {
        return false;
    }
    if (st > 255 || status > 255)
        return true;
    dfs_log__libusb_request(l, DFS_LOG_REQ_GETSTATUS, ln->no, false);
    if (!words[0])
        snprintf(words, sizeof words, "%s", "its words not printed");
    char tool[40];
    snprintf(tool, sizeof tool, "dfu-util%s%s", du->version[0] ? " " : "", du->version);
    struct dfs_log__op op = {du->op_what[0] ? du->op_what
                             : du->download ? "the download"
                                            : "the last request",
                             du->op_line, du->have_addr, du->addr};
    dfs_log__dfu_error_state(l, tool, (int)st, (int)status, words, ln->no, 0, &op);
    return true;
}

/* A block, an erase (what a dfuERROR after it refers to), " failed!", the
 * device opened ("Device ID 0483:df11", 0.9's "ID 0483:df11"). True when the
 * line needs nothing more. */
static bool track_op(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__dfu_util *du = &l->du;
    if (dfs_log__starts(ln, "Download") || dfs_log__starts(ln, "Erasing page") ||
        dfs_log__starts(ln, "Erase ") || dfs_log__starts(ln, "Performing mass erase")) {
        du->op_line = ln->no;
        du->download |= dfs_log__starts(ln, "Download");
        /* "Download [=====   ]  92%        65536 bytes" */
        const char *b = dfs_log__find(ln->s, ln->len, " bytes");
        const char *n = b;
        while (n && n > ln->s && n[-1] >= '0' && n[-1] <= '9')
            n--;
        unsigned long sent;
        du->op_what[0] = '\0';
        if (n && n < b && dfs_log__num(n, (size_t)(b - n), &sent))
            snprintf(du->op_what, sizeof du->op_what, "the download block at offset %lu", sent);
        return false; /* the progress lines below see it too */
    }
    if (dfs_log__starts(ln, "failed!")) {
        du->failed_line = ln->no;
        return true;
    }
    if (dfs_log__starts(ln, "Device ID ") || dfs_log__starts(ln, "ID ")) {
        size_t k = ln->s[0] == 'D' ? 10 : 3;
        device_ids(l, ln->s + k, ln->len - k);
        return true;
    }
    return false;
}

static bool version_banner(const struct dfs_log__line *ln)
{
    return dfs_log__starts(ln, "dfu-util ") && ln->len > 9 && ln->s[9] >= '0' && ln->s[9] <= '9' &&
           ln->len < 20;
}

bool dfs_log__dfu_util_line(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__dfu_util *du = &l->du;
    const char *cmd = dfs_log__find(ln->s, ln->len > 40 ? 40 : ln->len, "dfu-util -");
    if (cmd && (cmd == ln->s || cmd[-1] == ' ') && !version_banner(ln)) {
        command_line(l, ln, cmd + 8);
        return true;
    }
    if (version_banner(ln)) {
        if (!du->active || du->version[0])
            new_run(l);
        dfs_log__copy(du->version, sizeof du->version, ln->s + 9, ln->len - 9);
        char tool[40];
        snprintf(tool, sizeof tool, "dfu-util %s", du->version);
        dfs_log__tool_seen(l, tool);
        return true;
    }
    if (dfs_log__starts(ln, "Found DFU: [") || dfs_log__starts(ln, "Found Runtime: [")) {
        if (!du->active)
            new_run(l);
        dfs_log__tool_seen(l, "dfu-util");
        found(l, ln);
        return true;
    }
    if (!du->active)
        return false;
    unsigned long v;
    if ((dfs_log__starts(ln, "Setting Alternate Setting #") ||
         dfs_log__starts(ln, "Setting Alternate Interface #")) &&
        dfs_log__num(ln->s + (ln->s[18] == 'I' ? 29 : 27),
                     ln->len - (ln->s[18] == 'I' ? 29u : 27u), &v) &&
        v < 256) {
        du->alt = (int)v;
        du->alt_line = ln->no;
        return true;
    }
    if (dfs_log__starts(ln, "DfuSe interface name: \"")) {
        dfs_log__copy(du->iface_name, sizeof du->iface_name, ln->s + 23, ln->len - 23);
        return true;
    }
    const char *ap = dfs_log__find(ln->s, ln->len > 60 ? 60 : ln->len, "address pointer to 0x");
    if (!ap)
        ap = dfs_log__find(ln->s, ln->len > 60 ? 60 : ln->len, "to address = 0x");
    if (ap) {
        const char *x = strstr(ap, "0x");
        if (x && dfs_log__num(x, ln->len - (size_t)(x - ln->s), &v)) {
            du->addr = (uint32_t)v;
            du->have_addr = true;
            du->addr_line = ln->no;
        }
        du->op_line = ln->no;
        return true;
    }
    if (state_line(l, ln))
        return true;
    if (track_op(l, ln))
        return true;
    if (dfs_log__starts(ln, "Poll timeout ") && dfs_log__num(ln->s + 13, ln->len - 13, &v)) {
        du->poll_ms = (unsigned)v;
        du->poll_line = ln->no;
        dfs_log__libusb_request(l, DFS_LOG_REQ_GETSTATUS, ln->no, false);
        return true;
    }
    if (dfs_log__find(ln->s, ln->len > 40 ? 40 : ln->len, "Device stalled USB pipe")) {
        if (du->stalls < 4)
            du->stall_lines[du->stalls] = ln->no;
        du->stalls++;
        dfs_log__libusb_request(l, DFS_LOG_REQ_GETSTATUS, ln->no, true);
        return true;
    }
    if (dfs_log__starts(ln, "Copying data from PC to DFU device"))
        du->download = true;
    if (dfs_log__starts(ln, "Submitting leave request")) {
        du->leave = true;
        return true;
    }
    if ((dfs_log__find(ln->s, ln->len, "100%") &&
         (dfs_log__starts(ln, "Download") || dfs_log__starts(ln, "Upload") ||
          dfs_log__starts(ln, "Erase"))) ||
        dfs_log__starts(ln, "Download done") || dfs_log__starts(ln, "File downloaded successfully") ||
        dfs_log__starts(ln, "Done!")) {
        if (!dfs_log__starts(ln, "Erase")) {
            du->done = true;
            du->done_line = ln->no;
        }
        return true;
    }
    const char *msg = ln->s;
    size_t mlen = ln->len;
    if (dfs_log__starts(ln, "dfu-util: ")) {
        msg += 10;
        mlen -= 10;
    }
    if (mlen > 7 && !memcmp(msg, "Error: ", 7)) {
        msg += 7;
        mlen -= 7;
    }
    struct dfs_log__line m = {.s = msg, .len = mlen, .no = ln->no};
    if (dfs_log__find(m.s, m.len, "get_status"))
        dfs_log__libusb_request(l, DFS_LOG_REQ_GETSTATUS, ln->no, true);
    if (dfs_log__starts(&m, "Error during download get_status")) {
        getstatus_error(l, ln);
        return true;
    }
    if ((dfs_log__starts(&m, "Page at 0x") || dfs_log__starts(&m, "Last page at 0x"))) {
        const char *what = dfs_log__find(m.s, m.len, "not readable")    ? "readable"
                           : dfs_log__find(m.s, m.len, "not writeable") ? "writeable"
                           : dfs_log__find(m.s, m.len, "can not be erased") ? "erasable"
                                                                              : NULL;
        if (what) {
            page_refused(l, &m, what);
            return true;
        }
    }
    const struct dfs_log__msg *km = dfs_log__msg_find(DFS_LOG__DFU_UTIL, ln->s, ln->len);
    if (km) {
        known_message(l, ln, km);
        return true;
    }
    /* the ordinary lines of a transcript */
    static const char *const plain[] = {
        "Opening DFU capable USB device", "ID ", "Device ID ", "Run-time device DFU version",
        "Run-Time device DFU version", "Claiming USB DFU", "Determining device status",
        "state = ", "DFU state(", "dfuIDLE, continuing", "DFU mode device DFU version",
        "Device returned transfer size", "Copying data from", "Download\t", "Download ",
        "Upload ", "Erase ", "Received a total of", "Sent a total of", "Transitioning to",
        "Resetting USB", "Copyright ", "This program is Free Software", "Please report bugs",
        "Match vendor ID", "Match product ID", "Memory segment at", "Deducing device DFU",
        "Opening DFU USB Device", "Setting Configuration", "Detected interfaces",
        "Filter on vendor", "Poll timeout", "Downloading element", "Downloading to address",
        "Erasing page", "Setting timeout", "DfuSe command mode", "Limiting upload",
        "Limiting default upload", "Clearing status", "Aborting previous", "aborting previous",
        "Waiting for device", "DFU attributes", "Detach timeout", "Device really in",
        "Device will detach", "Parsing DFU image", "File contains", "Done parsing",
        "Target name", "Image for alternate setting", "Performing mass erase",
        "Adjusted transfer size", "Limited transfer size", "Transfer size",
        "Device DFU version", "Download from image offset", "Upload from memory",
        "Device returned", "DFU state", "Sending", "Erase ", "Executing",
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (dfs_log__starts(ln, plain[i]))
            return true;
    return false;
}
