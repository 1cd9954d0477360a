/* The verbose output of fwupd and fwupdtool (-v, -v -v, fwupd 1.x and 2.0)
 * and of dfu-tool -v (fwupd 1.x) for their dfu plugin: "16:17:31.612
 * FuPluginDfu     message" lines (dfu-tool: GLib's "(dfu-tool:1234):
 * FuPluginDfu-DEBUG: 16:17:31.612: message"), the
 * device dumps between them (LogicalId, AltSetting, the VID:PID in the
 * instance ids), the GETSTATUS replies fwupd logs ("refreshed status=ok and
 * state=dfu-dnbusy (dnload=40)"), the reads and writes, and the error chains
 * it ends with ("failed to write-firmware: cannot upload data: USB error:
 * Pipe error [-9]"), matched against messages.c. The messages and their
 * wording come from fwupd 2.0.20's plugins/dfu/ (fu-dfu-device.c,
 * fu-dfu-target.c, fu-dfu-target-stm.c); 1.7-1.9 print the same lines but
 * for a few words (messages.c), and dfu-tool prints no device dump: its
 * device is named by GUsb's errors ("USB error on device 0483:df11 : ..."). */
#include <stdio.h>
#include <string.h>

#include "log_internal.h"

/* fwupd's names of the DFU states and statuses (plugins/dfu/fu-dfu.rs, in
 * the order of their values) */
static const char *const state_names[] = {
    "app-idle",           "app-detach",  "dfu-idle",     "dfu-dnload-sync",
    "dfu-dnbusy",         "dfu-dnload-idle", "dfu-manifest-sync", "dfu-manifest",
    "dfu-manifest-wait-reset", "dfu-upload-idle", "dfu-error",
};
static const char *const status_names[] = {
    "ok",          "err-target", "err-file",  "err-write",   "err-erase",   "err-check-erased",
    "err-prog",    "err-verify", "err-address", "err-notdone", "err-firmware", "err-vendor",
    "err-usbr",    "err-por",    "err-unknown", "err-stalldpkt",
};

static int name_index(const char *const *names, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], s, len))
            return (int)i;
    return -1;
}

/* GLib's own handler, which dfu-tool (fwupd 1.x) leaves in place:
 * "(dfu-tool:1234): FuPluginDfu-DEBUG: 18:51:09.275: message", and
 * "Domain-WARNING **: " for a warning (glib's g_log_writer_format_fields).
 * The program's name in *prg. */
static bool split_glib(const struct dfs_log__line *ln, struct dfs_log__line *msg,
                       const char **dom, size_t *dom_len, const char **prg, size_t *prg_len)
{
    const char *s = ln->s, *end = ln->s + ln->len;
    if (ln->len < 40 || s[0] != '(')
        return false;
    const char *close = dfs_log__find(s, ln->len > 80 ? 80 : ln->len, "): ");
    const char *colon = close ? memchr(s, ':', (size_t)(close - s)) : NULL;
    if (!colon)
        return false;
    *prg = s + 1;
    *prg_len = (size_t)(colon - s - 1);
    const char *d = close + 3, *p = d;
    while (p < end && *p != ' ' && *p != ':')
        p++;
    /* Domain-LEVEL: the domain is what comes before the last '-' */
    const char *dash = NULL;
    for (const char *q = d; q < p; q++)
        if (*q == '-')
            dash = q;
    if (!dash || dash == d || (size_t)(end - p) < 4)
        return false;
    static const char *const levels[] = {"DEBUG", "INFO", "MESSAGE", "WARNING", "CRITICAL"};
    bool level = false;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if ((size_t)(p - dash - 1) == strlen(levels[i]) && !memcmp(dash + 1, levels[i], strlen(levels[i])))
            level = true;
    if (!level)
        return false;
    if (end - p >= 3 && !memcmp(p, " **", 3))
        p += 3;
    if (end - p < 2 || memcmp(p, ": ", 2))
        return false;
    p += 2;
    /* the time: "18:51:09.275: " */
    static const char shape[] = "00:00:00.000: ";
    if ((size_t)(end - p) >= sizeof shape - 1) {
        bool time = true;
        for (size_t i = 0; i + 1 < sizeof shape && time; i++)
            time = shape[i] == '0' ? (p[i] >= '0' && p[i] <= '9') : p[i] == shape[i];
        if (time)
            p += sizeof shape - 1;
    }
    *dom = d;
    *dom_len = (size_t)(dash - d);
    msg->s = p;
    msg->len = (size_t)(end - p);
    msg->no = ln->no;
    return true;
}

/* "HH:MM:SS.mmm Domain   message", or the journal's "... fwupd[123]: "
 * in front of it. Returns the message, its domain in *dom. */
static bool split(const struct dfs_log__line *ln, struct dfs_log__line *msg, const char **dom,
                  size_t *dom_len)
{
    const char *s = ln->s;
    size_t len = ln->len;
    const char *j = dfs_log__find(s, len > 80 ? 80 : len, "fwupd[");
    if (j) {
        const char *c = dfs_log__find(j, len - (size_t)(j - s), "]: ");
        if (c) {
            len -= (size_t)(c + 3 - s);
            s = c + 3;
        }
    }
    static const char shape[] = "00:00:00.000 ";
    if (len < sizeof shape + 3)
        return false;
    for (size_t i = 0; i + 1 < sizeof shape; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == '0' ? !digit : s[i] != shape[i])
            return false;
    }
    size_t i = sizeof shape - 1;
    if (s[i] != 'F' || s[i + 1] != 'u')
        return false;
    size_t d = i;
    while (i < len && s[i] != ' ')
        i++;
    *dom = s + d;
    *dom_len = i - d;
    while (i < len && s[i] == ' ')
        i++;
    msg->s = s + i;
    msg->len = len - i;
    msg->no = ln->no;
    return true;
}

static const char *who(const struct dfs_log__fwupd *fw)
{
    return fw->dfu_tool ? "dfu-tool" : "fwupd";
}

static void new_run(dfs_log *l, uint64_t line, bool dfu_tool)
{
    struct dfs_log__fwupd *fw = &l->fw;
    memset(fw, 0, sizeof *fw);
    fw->active = true;
    fw->dfu_tool = dfu_tool;
    fw->first_line = line;
    fw->state = -1;
    fw->pend_alt = -1;
    l->cur_vid = l->cur_pid = 0;
    l->cur_bus = 0;
    l->cur_devnum = 0;
    dfs_log__state_reset(l);
    dfs_log__tool_seen(l, dfu_tool ? "dfu-tool" : "fwupd");
}

/* The device a GUsb error names (fwupd 1.x, libgusb 0.3: "USB error on
 * device 0483:df11 : Pipe error [-9]"), or dfu-tool's "no device matches
 * for 0483:df11" */
static void named_device(dfs_log *l, const char *s, size_t len, uint64_t line)
{
    struct dfs_log__fwupd *fw = &l->fw;
    static const char *const keys[] = {"USB error on device ", "no device matches for "};
    for (size_t k = 0; k < 2 && !fw->have_dev; k++) {
        const char *p = dfs_log__find(s, len, keys[k]);
        if (!p)
            continue;
        p += strlen(keys[k]);
        size_t rest = len - (size_t)(p - s);
        char v[7] = "0x", q[7] = "0x";
        unsigned long vid, pid;
        if (rest < 9 || p[4] != ':')
            continue;
        memcpy(v + 2, p, 4);
        memcpy(q + 2, p + 5, 4);
        if (!dfs_log__num(v, 6, &vid) || !dfs_log__num(q, 6, &pid) || vid > 0xffff ||
            pid > 0xffff)
            continue;
        fw->have_dev = true;
        fw->vid = (uint16_t)vid;
        fw->pid = (uint16_t)pid;
        fw->dev_line = line;
        l->cur_vid = fw->vid;
        l->cur_pid = fw->pid;
    }
}

/* "USB\VID_0483&PID_DF11" in an instance id or a GUID line */
static void vid_pid(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__fwupd *fw = &l->fw;
    const char *p = dfs_log__find(ln->s, ln->len, "USB\\VID_");
    if (!p || fw->have_dev)
        return;
    size_t rest = ln->len - (size_t)(p - ln->s);
    unsigned long vid, pid;
    if (rest < 21 || memcmp(p + 12, "&PID_", 5))
        return;
    char v[7] = "0x", q[7] = "0x";
    memcpy(v + 2, p + 8, 4);
    memcpy(q + 2, p + 17, 4);
    if (!dfs_log__num(v, 6, &vid) || !dfs_log__num(q, 6, &pid) || vid > 0xffff || pid > 0xffff)
        return;
    /* the DFU device: in a dump of the dfu plugin's device, or fwupdtool's
     * list ("GUID: ... <- USB\VID_0483&PID_DF11") */
    if (!fw->in_dfu_dump && !dfs_log__starts(ln, "GUID:"))
        return;
    fw->have_dev = true;
    fw->vid = (uint16_t)vid;
    fw->pid = (uint16_t)pid;
    fw->dev_line = ln->no;
    l->cur_vid = fw->vid;
    l->cur_pid = fw->pid;
}

/* A target in a device dump: "LogicalId: @Internal Flash /0x08000000/...",
 * later "AltSetting: 0x2" (left out for 0), then "AltIdx: 0x4". */
static bool dump_line(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__fwupd *fw = &l->fw;
    unsigned long v;
    if (dfs_log__starts(ln, "LogicalId: ")) {
        size_t k = 11;
        while (k < ln->len && ln->s[k] == ' ')
            k++;
        if (k < ln->len && ln->s[k] == '@') {
            dfs_log__copy(fw->pend_name, sizeof fw->pend_name, ln->s + k, ln->len - k);
            fw->pend_line = ln->no;
            fw->pend = true;
            fw->pend_alt = 0;
        }
        return true;
    }
    if (dfs_log__starts(ln, "AltSetting: ") && dfs_log__num(ln->s + 12, ln->len - 12, &v)) {
        if (fw->pend && v < DFS_LOG__MAX_ALTS)
            fw->pend_alt = (int)v;
        return true;
    }
    if (dfs_log__starts(ln, "AltIdx: ")) {
        if (fw->pend && fw->pend_alt >= 0 && !l->alts.have[fw->pend_alt]) {
            int a = fw->pend_alt;
            l->alts.have[a] = true;
            dfs_log__copy(l->alts.name[a], sizeof l->alts.name[0], fw->pend_name,
                          strlen(fw->pend_name));
            l->alts.line[a] = fw->pend_line;
        }
        fw->pend = false;
        return true;
    }
    if (dfs_log__starts(ln, "TransferSize: ") && dfs_log__num(ln->s + 14, ln->len - 14, &v)) {
        if (!fw->xfer) {
            fw->xfer = (unsigned)v;
            fw->xfer_line = ln->no;
        }
        return true;
    }
    if (dfs_log__find(ln->s, ln->len, "USB\\VID_")) {
        vid_pid(l, ln);
        return true;
    }
    static const char *const keys[] = {"FuDfuDevice:", "FuDfuTarget", "Idx", "State: ",
                                       "Status: ", "Vid: ", "Pid: ", "Name: ", "Protocol: "};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (dfs_log__starts(ln, keys[i])) {
            if (i < 2)
                fw->in_dfu_dump = true;
            return true;
        }
    return false;
}

/* "refreshed status=ok and state=dfu-dnbusy (dnload=40)": a GETSTATUS
 * reply as fwupd read it */
static void refreshed(dfs_log *l, const struct dfs_log__line *m)
{
    struct dfs_log__fwupd *fw = &l->fw;
    const char *st = m->s + 17;
    const char *and = dfs_log__find(m->s, m->len, " and state=");
    if (!and)
        return;
    const char *state = and + 11;
    const char *end = state;
    while (end < m->s + m->len && *end != ' ')
        end++;
    int status = name_index(status_names, sizeof status_names / sizeof status_names[0], st,
                            (size_t)(and - st));
    int sv = name_index(state_names, sizeof state_names / sizeof state_names[0], state,
                        (size_t)(end - state));
    if (sv < 0 || status < 0)
        return;
    fw->state = sv;
    fw->state_line = m->no;
    if (sv == 7)
        fw->manifest_line = m->no;
    struct dfs_log__op op = {fw->dfu_tool ? "dfu-tool's last request" : "fwupd's last request",
                             fw->last_op_line, false, 0};
    dfs_log__dfu_error_state(l, who(fw), sv, status, status_names[status], m->no,
                             fw->stall_line, &op);
}

/* "cannot upload data: ..." after the last chunk of a read that reached the
 * end of the layout, or in dfuMANIFEST */
static struct dfs_log_finding *upload_failed(dfs_log *l, const char *chain, size_t n, uint64_t line)
{
    struct dfs_log__fwupd *fw = &l->fw;
    uint64_t lines[4] = {line, fw->state_line, fw->up_line, fw->chunk_line};
    if (fw->state == 7 && fw->manifest_line && !fw->chunk_after_manifest) {
        lines[1] = fw->manifest_line;
        return dfs_log__emit(l, DFS_F_DFU_STATE_VIOLATION, true, lines, 2,
                      "Nothing on the device's side: DFU 1.1 allows no UPLOAD in dfuMANIFEST. "
                      "The host should wait for manifestation to end (and the reset a "
                      "manifestation-intolerant device needs) before it reads the image back.",
                      "%s asked for an UPLOAD while the device reported dfuMANIFEST (line "
                      "%llu) and failed with \"%.*s\": DFU 1.1 allows no UPLOAD in that state, "
                      "so the device stalled it. Most likely %s read the firmware back to "
                      "verify it before manifestation ended; a capture would show the request "
                      "and the stall.",
                      who(fw), (unsigned long long)fw->manifest_line, (int)n, chain, who(fw));
    }
    if (fw->up_size && fw->have_chunk &&
        (uint64_t)fw->chunk_addr + fw->chunk_size >= (uint64_t)fw->up_start + fw->up_size) {
        uint32_t next = fw->chunk_addr + fw->chunk_size;
        char lay[DFS_LOG__NAME_SIZE + 80] = "", lo[12], up[12];
        snprintf(lo, sizeof lo, "0x%08x", (unsigned)fw->up_start);
        snprintf(up, sizeof up, "0x%08X", (unsigned)fw->up_start);
        for (int a = 0; a < DFS_LOG__MAX_ALTS && !lay[0]; a++)
            if (l->alts.have[a] && (strstr(l->alts.name[a], lo) || strstr(l->alts.name[a], up)))
                snprintf(lay, sizeof lay, " The layout is \"%s\" (line %llu).", l->alts.name[a],
                         (unsigned long long)l->alts.line[a]);
        return dfs_log__emit(l, DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT, true, lines, 4,
                      "Nothing on the device's side: it refused to read past its memory. To "
                      "read the memory, ask for its size at most; fwupd reads on until a block "
                      "comes back short, which a DfuSe bootloader never sends.",
                      "%s read 0x%x bytes from 0x%08x, the whole memory of the layout, and "
                      "then asked for the block at 0x%08x, past its end: \"%.*s\". Most likely "
                      "the device stalled the UPLOAD outside its memory, as it should.%s",
                      who(fw), (unsigned)fw->up_size, (unsigned)fw->up_start, (unsigned)next, (int)n,
                      chain, lay);
    }
    return NULL;
}

/* "cannot get device state: ...Pipe error" while the device was busy, after
 * fwupd slept the time the device asked for */
static struct dfs_log_finding *busy_stall(dfs_log *l, const char *chain, size_t n, uint64_t line)
{
    struct dfs_log__fwupd *fw = &l->fw;
    if (fw->state != 4 || !fw->poll_line || fw->busy_reported)
        return NULL;
    fw->busy_reported = true;
    uint64_t lines[3] = {line, fw->state_line, fw->poll_line};
    return dfs_log__emit(l, DFS_F_DFU_GETSTATUS_STALL, true, lines, 3,
                  "The device's firmware should give a bwPollTimeout at least as long as the "
                  "operation takes (erase times are in the chip's datasheet) and answer "
                  "GETSTATUS while it is busy.",
                  "The device reported dfuDNBUSY and asked for %u ms (line %llu); %s waited "
                  "that long and its next GETSTATUS failed: \"%.*s\". Most likely the device "
                  "stalled GETSTATUS because it was still busy: its bwPollTimeout is shorter "
                  "than the work takes. A capture would show the stall and the times.",
                  fw->poll_ms, (unsigned long long)fw->state_line, who(fw), (int)n, chain);
}

/* An error chain ("a: b: c"): the first part that is a known message */
static bool error_chain(dfs_log *l, const char *s, size_t len, uint64_t line, bool final)
{
    struct dfs_log__fwupd *fw = &l->fw;
    named_device(l, s, len, line);
    /* what fwupd does after a failed update (attach, clean up, wait for the
     * device) fails in turn: recognised, no finding of its own */
    if (dfs_log__find(s, len, "after failed update"))
        return true;
    /* the same failure printed again (by the engine, then at the end) */
    if (fw->failed && fw->failed_len && len >= fw->failed_len &&
        !memcmp(s + len - fw->failed_len, fw->failed_chain, fw->failed_len)) {
        dfs_log__cite(l, fw->failed_finding, line);
        return true;
    }
    for (size_t k = 0; k < len; k++) {
        if (k && !(k >= 2 && s[k - 1] == ' ' && s[k - 2] == ':'))
            continue;
        const struct dfs_log__msg *m = dfs_log__msg_find(DFS_LOG__FWUPD, s + k, len - k);
        if (!m)
            continue;
        const char *c = s + k;
        size_t n = len - k > 300 ? 300 : len - k;
        struct dfs_log__line cl = {c, n, line};
        bool pipe = dfs_log__find(c, n, "Pipe error") != NULL;
        if (pipe)
            fw->stall_line = line;
        struct dfs_log_finding *f = NULL;
        if (dfs_log__starts(&cl, "cannot upload data"))
            f = upload_failed(l, c, n, line);
        if (!f && pipe && dfs_log__starts(&cl, "cannot get device state"))
            f = busy_stall(l, c, n, line);
        if (!f && m->code >= 0) {
            uint64_t lines[2] = {line, fw->last_op_line};
            f = dfs_log__emit(l, (enum dfs_finding_code)m->code, true, lines, 2, m->remedy,
                              "%s printed \"%.*s\". Most likely %s.", who(fw), (int)n, c,
                              m->cause);
        }
        if (final && !fw->failed && m->code >= 0) {
            fw->failed = true;
            fw->failed_len = n < sizeof fw->failed_chain ? n : sizeof fw->failed_chain - 1;
            memcpy(fw->failed_chain, c + n - fw->failed_len, fw->failed_len);
            fw->failed_finding = f ? (size_t)(f - l->f) : (size_t)-1;
        }
        return true;
    }
    return false;
}

/* The dfu plugin's own lines: the device, the transfer size, the states,
 * the reads and writes */
static void plugin_line(dfs_log *l, const struct dfs_log__line *m)
{
    struct dfs_log__fwupd *fw = &l->fw;
    unsigned long v;
    const char *p;
    if (dfs_log__starts(m, "refreshed status=")) {
        refreshed(l, m);
    } else if (dfs_log__starts(m, "sleeping for ") && dfs_log__num(m->s + 13, m->len - 13, &v)) {
        fw->poll_ms = (unsigned)v;
        fw->poll_line = m->no;
    } else if ((dfs_log__starts(m, "using DFU transfer size ") ||
                dfs_log__starts(m, "forcing DFU transfer size ")) &&
               (p = dfs_log__find(m->s, m->len, "0x")) &&
               dfs_log__num(p, m->len - (size_t)(p - m->s), &v)) {
        fw->xfer = (unsigned)v;
        fw->xfer_line = m->no;
    } else if (dfs_log__starts(m, "starting upload from 0x") &&
               dfs_log__num(m->s + 21, m->len - 21, &v) && (p = dfs_log__find(m->s, m->len, "(0x"))) {
        unsigned long size;
        if (dfs_log__num(p + 1, m->len - (size_t)(p + 1 - m->s), &size)) {
            fw->up_start = (uint32_t)v;
            fw->up_size = (uint32_t)size;
            fw->up_line = m->no;
        }
    } else if (dfs_log__starts(m, "got #") && (p = dfs_log__find(m->s, m->len, "@0x")) &&
               dfs_log__num(p + 1, m->len - (size_t)(p + 1 - m->s), &v)) {
        const char *sz = dfs_log__find(m->s, m->len, "of size ");
        unsigned long size;
        if (sz && dfs_log__num(sz + 8, m->len - (size_t)(sz + 8 - m->s), &size)) {
            fw->chunk_addr = (uint32_t)v;
            fw->chunk_size = (uint32_t)size;
            fw->have_chunk = true;
            fw->chunk_line = fw->last_op_line = m->no;
            if (fw->manifest_line)
                fw->chunk_after_manifest = true;
        }
    } else if (dfs_log__starts(m, "writing ") || dfs_log__starts(m, "erasing sector") ||
               dfs_log__starts(m, "setting address") || dfs_log__starts(m, "setting DfuSe") ||
               dfs_log__starts(m, "uploading from")) {
        fw->last_op_line = m->no;
    } else {
        error_chain(l, m->s, m->len, m->no, false);
    }
}

static bool progress_line(const struct dfs_log__line *ln)
{
    /* "Writing…: 46%" (or "?" for the ellipsis in another charset);
     * dfu-tool: "device-write:<tab>46%" (the status as fwupd 1.x names it) */
    if (!ln->len || ln->s[ln->len - 1] != '%' || ln->len > 40)
        return false;
    const char *c = dfs_log__find(ln->s, ln->len, ": ");
    if (!c || c == ln->s)
        return false;
    if (c[-1] == '?' || (unsigned char)c[-1] == 0xa6)
        return true;
    for (const char *p = ln->s; p < c; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
            return false;
    for (const char *p = c + 2; p < ln->s + ln->len - 1; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* "$ dfu-tool -v -d 0483:df11 read dump.dfu": a dfu-tool run starts; its
 * -d names the device */
static bool dfu_tool_command(dfs_log *l, const struct dfs_log__line *ln)
{
    const char *cmd = dfs_log__find(ln->s, ln->len > 40 ? 40 : ln->len, "dfu-tool ");
    if (!cmd || (cmd != ln->s && cmd[-1] != ' '))
        return false;
    if (cmd != ln->s && !(cmd - ln->s >= 2 && (cmd[-2] == '$' || cmd[-2] == '#')))
        return false;
    new_run(l, ln->no, true);
    const char *end = ln->s + ln->len, *p = cmd + 9;
    bool want = false;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *t = p;
        while (p < end && *p != ' ')
            p++;
        size_t n = (size_t)(p - t);
        if (!n)
            break;
        if (n > 9 && !memcmp(t, "--device=", 9)) {
            t += 9;
            n -= 9;
            want = true;
        }
        if (want && n == 9 && t[4] == ':') {
            char v[7] = "0x", q[7] = "0x";
            unsigned long vid, pid;
            memcpy(v + 2, t, 4);
            memcpy(q + 2, t + 5, 4);
            if (dfs_log__num(v, 6, &vid) && dfs_log__num(q, 6, &pid) && vid <= 0xffff &&
                pid <= 0xffff) {
                l->fw.have_dev = true;
                l->fw.vid = (uint16_t)vid;
                l->fw.pid = (uint16_t)pid;
                l->fw.dev_line = ln->no;
                l->cur_vid = l->fw.vid;
                l->cur_pid = l->fw.pid;
            }
        }
        want = (n == 2 && !memcmp(t, "-d", 2)) || (n == 8 && !memcmp(t, "--device", 8));
    }
    return true;
}

/* What dfu-tool prints itself (fwupd 1.x, plugins/dfu/fu-dfu-tool.c) */
static bool dfu_tool_line(const struct dfs_log__line *ln)
{
    static const char *const done[] = {
        "Successfully downloaded to device", "Successfully uploaded from device",
        "successfully uploaded from device", "WARNING: Using default firmware image",
        "Handling SIGINT"};
    for (size_t i = 0; i < sizeof done / sizeof done[0]; i++)
        if (dfs_log__starts(ln, done[i]))
            return true;
    const char *p = dfs_log__find(ln->s, ln->len, " bytes successfully downloaded to device");
    return p && p + 40 == ln->s + ln->len;
}

/* "failed write-firmware 'CHAIN': FuDfuDevice:" */
static void quoted_chain(dfs_log *l, const struct dfs_log__line *m)
{
    const char *c = m->s + 23;
    size_t n = m->len - 23;
    const char *q = memchr(c, '\'', n);
    error_chain(l, c, q ? (size_t)(q - c) : n, m->no, true);
}

bool dfs_log__fwupd_line(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__fwupd *fw = &l->fw;
    struct dfs_log__line m;
    const char *dom, *prg;
    size_t dl, pl;
    bool ours = split(ln, &m, &dom, &dl), dfu_tool = false;
    if (!ours && split_glib(ln, &m, &dom, &dl, &prg, &pl)) {
        dfu_tool = pl == 8 && !memcmp(prg, "dfu-tool", 8);
        ours = dfu_tool || (dl > 2 && !memcmp(dom, "Fu", 2)) || (dl == 4 && !memcmp(dom, "GUsb", 4));
        if (ours && fw->active && fw->dfu_tool != dfu_tool)
            fw->active = false; /* another program's log follows */
    }
    if (ours) {
        if (!fw->active)
            new_run(l, ln->no, dfu_tool);
        fw->in_dfu_dump = false;
        if (dfs_log__starts(&m, "verbose to ") && dl == 7 && !memcmp(dom, "FuDebug", 7))
            new_run(l, ln->no, false); /* the first line fwupdtool -v prints */
        bool dfu = (dl == 11 && !memcmp(dom, "FuPluginDfu", 11)) ||
                   (dl > 5 && !memcmp(dom, "FuDfu", 5));
        if (dfu)
            plugin_line(l, &m);
        else if (dfs_log__starts(&m, "failed write-firmware '"))
            quoted_chain(l, &m);
        else if (dfs_log__find(m.s, m.len, "did not come back") ||
                 dfs_log__find(m.s, m.len, "failed to "))
            error_chain(l, m.s, m.len, m.no, true);
        if (dfs_log__find(m.s, m.len, "FuDfuDevice:"))
            fw->in_dfu_dump = true;
        return true;
    }
    if (dfu_tool_command(l, ln))
        return true;
    if (!fw->active)
        return false;
    if (dump_line(l, ln) || progress_line(ln) || (fw->dfu_tool && dfu_tool_line(ln)))
        return true;
    /* what fwupdtool prints at the end: "failed to write-firmware: ..." or
     * the bare error */
    if (dfs_log__starts(ln, "failed to ") || dfs_log__msg_find(DFS_LOG__FWUPD, ln->s, ln->len)) {
        error_chain(l, ln->s, ln->len, ln->no, true);
        return true;
    }
    /* dfu-tool's last line is the error alone: "cannot erase address
     * 0x8000000: cannot wait for busy: cannot get device state: ..." */
    return fw->dfu_tool && error_chain(l, ln->s, ln->len, ln->no, true);
}
