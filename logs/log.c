/* Reading a log: lines out of bytes (bounded, sanitised), the prefixes
 * tools and forums add, the parsers, and what the log gives back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_internal.h"

bool dfs_log_sniff(const uint8_t *data, size_t len)
{
    if (len >= 4) {
        uint32_t be = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
                      (uint32_t)data[2] << 8 | data[3];
        if (be == 0xa1b2c3d4u || be == 0xd4c3b2a1u || be == 0xa1b23c4du || be == 0x4d3cb2a1u ||
            be == 0x0a0d0d0au)
            return false;
    }
    size_t text = 0, n = len < 4096 ? len : 4096;
    if (!n)
        return false;
    /* the bytes of lines that are text from end to end: binary pasted into
     * a post spoils its own lines, not the log around it */
    size_t line_start = 0, in_text_lines = 0;
    bool line_text = true;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        bool t = c == '\n' || c == '\r' || c == '\t' || c == 0x1b || (c >= 0x20 && c != 0x7f);
        text += t;
        line_text = line_text && t;
        if (c == '\n' || i + 1 == n) {
            if (line_text)
                in_text_lines += i + 1 - line_start;
            line_start = i + 1;
            line_text = true;
        }
    }
    /* UTF-8 bytes count as text; NULs and controls do not */
    return text * 10 >= n * 9 || in_text_lines * 2 >= n;
}

dfs_result dfs_log_new(dfs_log **out)
{
    if (!out)
        return DFS_E_INVAL;
    *out = NULL;
    dfs_log *l = calloc(1, sizeof *l);
    if (!l)
        return DFS_E_NOMEM;
    l->line = malloc(DFS_LOG_MAX_LINE + 1);
    if (!l->line) {
        free(l);
        return DFS_E_NOMEM;
    }
    l->du.alt = -1;
    l->ls.last_alt = -1;
    *out = l;
    return DFS_OK;
}

void dfs_log_free(dfs_log *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_rec; i++)
        free(l->rec[i].data);
    free(l->rec);
    free(l->f);
    free(l->usb.x);
    free(l->line);
    free(l);
}

/* Terminal escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or
 * ESC \), and two-byte ones. Returns the bytes to skip from s[i]. */
static size_t escape_len(const char *s, size_t len, size_t i)
{
    if (i + 1 >= len)
        return 1;
    char k = s[i + 1];
    size_t j = i + 2;
    if (k == '[') {
        while (j < len && !((unsigned char)s[j] >= 0x40 && (unsigned char)s[j] <= 0x7e))
            j++;
        return (j < len ? j + 1 : len) - i;
    }
    if (k == ']') {
        while (j < len && s[j] != '\a' && !(s[j] == 0x1b && j + 1 < len && s[j + 1] == '\\'))
            j++;
        if (j < len)
            j += s[j] == '\a' ? 1 : 2;
        return (j < len ? j : len) - i;
    }
    return 2;
}

/* The length of the valid UTF-8 sequence at s[i] (lead byte >= 0x80), 0
 * if it is not one */
static size_t utf8_len(const char *s, size_t len, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    size_t k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                                          : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!k || i + k > len)
        return 0;
    for (size_t j = 1; j < k; j++)
        if (((unsigned char)s[i + j] & 0xc0) != 0x80)
            return 0;
    return k;
}

/* Clean the line in place: escapes and control bytes out, tabs to spaces,
 * text after the last carriage return (what a terminal shows). Returns the
 * new length; *binary when much of it was not text (control bytes, bytes
 * that are not UTF-8). */
static size_t sanitise(dfs_log *l, char *s, size_t len, bool *binary)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r' && i + 1 < len)
            start = i + 1;
    size_t o = 0, bad = 0;
    for (size_t i = start; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x1b) {
            l->st.escapes++;
            i += escape_len(s, len, i);
            continue;
        }
        if (c == '\t')
            c = ' ';
        if (c < 0x20 || c == 0x7f) {
            if (c != '\r')
                bad++;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_len(s, len, i);
            if (!k) {
                bad++; /* kept (a Latin-1 letter, say), but counted */
                k = 1;
            }
            memmove(s + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        s[o++] = (char)c;
        i++;
    }
    *binary = bad * 4 > len - start && bad > 2;
    return o;
}

/* The prefixes in front of a tool's own words: CubeProgrammer's GUI time
 * stamps "15:07:53:868 : ", forum quotes "> ", leading blanks. */
static void strip_prefixes(struct dfs_log__line *ln)
{
    for (int round = 0; round < 4; round++) {
        while (ln->len && *ln->s == ' ') {
            ln->s++;
            ln->len--;
        }
        if (ln->len >= 2 && ln->s[0] == '>' && ln->s[1] == ' ') {
            ln->s += 2;
            ln->len -= 2;
            continue;
        }
        /* hh:mm:ss:mmm : */
        size_t i = 0, groups = 0;
        while (groups < 4) {
            size_t d = 0;
            while (i < ln->len && ln->s[i] >= '0' && ln->s[i] <= '9' && d < 3) {
                i++;
                d++;
            }
            if (!d)
                break;
            groups++;
            if (groups < 4 && i < ln->len && ln->s[i] == ':')
                i++;
            else
                break;
        }
        if (groups == 4 && i + 2 < ln->len && ln->s[i] == ' ' && ln->s[i + 1] == ':' &&
            ln->s[i + 2] == ' ') {
            ln->s += i + 3;
            ln->len -= i + 3;
            continue;
        }
        break;
    }
    while (ln->len && ln->s[ln->len - 1] == ' ')
        ln->len--;
}

static void one_line(dfs_log *l)
{
    l->lineno++;
    l->st.lines++;
    if (l->line_cut)
        l->st.long_lines++;
    bool binary;
    size_t len = sanitise(l, l->line, l->line_len, &binary);
    l->line[len] = '\0';
    if ((binary || l->line_cut) && l->n_bad < DFS_FINDING_MAX_FRAMES)
        l->bad_lines[l->n_bad++] = l->lineno;
    if (binary) {
        l->st.binary_lines++;
        return;
    }
    struct dfs_log__line ln = {.s = l->line, .len = len, .no = l->lineno};
    strip_prefixes(&ln);
    if (!ln.len)
        return;
    bool ok = false;
    ok |= dfs_log__lsusb_line(l, &ln);
    ok |= dfs_log__dfu_util_line(l, &ln);
    ok |= dfs_log__cube_line(l, &ln);
    ok |= dfs_log__fwupd_line(l, &ln);
    if (!ok)
        ok = dfs_log__libusb_line(l, &ln);
    if (ok)
        l->st.recognised++;
}

dfs_result dfs_log_feed(dfs_log *l, const uint8_t *data, size_t len)
{
    if (!l || (!data && len))
        return DFS_E_INVAL;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            one_line(l);
            l->line_len = 0;
            l->line_cut = false;
            continue;
        }
        if (l->line_len < DFS_LOG_MAX_LINE)
            l->line[l->line_len++] = (char)data[i];
        else
            l->line_cut = true;
    }
    return l->nomem ? DFS_E_NOMEM : DFS_OK;
}

dfs_result dfs_log_finish(dfs_log *l)
{
    if (!l)
        return DFS_E_INVAL;
    if (l->line_len || l->line_cut)
        one_line(l);
    l->line_len = 0;
    l->line_cut = false;
    dfs_log__lsusb_end(l);
    dfs_log__cube_end(l);
    dfs_log__dfu_util_end(l);
    dfs_log__addr_fill(l);
    if (l->st.binary_lines || l->st.long_lines)
        dfs_log__emit(l, DFS_F_LOG_UNREADABLE, false, l->bad_lines, l->n_bad,
                      "If these lines matter, paste the tool's output again as plain text (no "
                      "screenshots turned into text, no binary files in between).",
                      "%llu line%s of bytes no tool prints (binary data) skipped, %llu line%s "
                      "longer than %d bytes cut; the rest of the log was read.",
                      (unsigned long long)l->st.binary_lines, l->st.binary_lines == 1 ? "" : "s",
                      (unsigned long long)l->st.long_lines, l->st.long_lines == 1 ? "" : "s",
                      DFS_LOG_MAX_LINE);
    return l->nomem ? DFS_E_NOMEM : DFS_OK;
}

const struct dfs_log_stats *dfs_log_stats(const dfs_log *l)
{
    return l ? &l->st : NULL;
}

const char *dfs_log_tools(const dfs_log *l)
{
    return l ? l->tools : "";
}

bool dfs_log_record(const dfs_log *l, size_t i, struct dfs_record *out)
{
    if (!l || !out || i >= l->n_rec)
        return false;
    memset(out, 0, sizeof *out);
    out->frame = i + 1;
    /* a millisecond apart: a log gives no bus times */
    out->ts.sec = (int64_t)(i / 1000);
    out->ts.nsec = (uint32_t)(i % 1000) * 1000000u;
    out->linktype = DFS_LINKTYPE_USB_LINUX_MMAPPED;
    out->order = DFS_ORDER_HOST;
    out->caplen = out->origlen = l->rec[i].len;
    out->data = l->rec[i].data;
    return true;
}

size_t dfs_log_frame_lines(const dfs_log *l, uint64_t frame, uint64_t *lines, size_t max)
{
    if (!l || !frame || frame > l->n_rec || !max)
        return 0;
    const struct dfs_log__rec *r = &l->rec[frame - 1];
    size_t n = 0;
    if (r->line_a)
        lines[n++] = r->line_a;
    if (r->line_b && r->line_b != r->line_a && n < max)
        lines[n++] = r->line_b;
    return n;
}

size_t dfs_log_finding_count(const dfs_log *l)
{
    return l ? l->n_f : 0;
}

const struct dfs_log_finding *dfs_log_finding(const dfs_log *l, size_t i)
{
    return l && i < l->n_f ? &l->f[i] : NULL;
}

