/* What the parsers share: records made from control transfers, findings
 * (one per id and explanation, citing every line), text helpers. A leaf:
 * it calls no parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_internal.h"

void dfs_log__tool_seen(dfs_log *l, const char *name)
{
    if (dfs_log__find(l->tools, strlen(l->tools), name))
        return;
    size_t n = strlen(l->tools);
    snprintf(l->tools + n, sizeof l->tools - n, "%s%s", n ? ", " : "", name);
}

void dfs_log__addr_seen(dfs_log *l, uint16_t vid, uint16_t pid, uint16_t bus, uint8_t devnum)
{
    for (unsigned i = 0; i < l->n_addr; i++)
        if (l->addr[i].vid == vid && l->addr[i].pid == pid) {
            if (l->addr[i].bus != bus || l->addr[i].devnum != devnum)
                l->addr[i].ambiguous = true;
            return;
        }
    if (l->n_addr == sizeof l->addr / sizeof l->addr[0])
        return;
    unsigned i = l->n_addr++;
    l->addr[i].vid = vid;
    l->addr[i].pid = pid;
    l->addr[i].bus = bus;
    l->addr[i].devnum = devnum;
    l->addr[i].ambiguous = false;
}

void dfs_log__addr_fill(dfs_log *l)
{
    for (size_t k = 0; k < l->n_f; k++) {
        struct dfs_log_finding *f = &l->f[k];
        if (f->bus || f->devnum || (!f->vid && !f->pid))
            continue;
        for (unsigned i = 0; i < l->n_addr; i++)
            if (l->addr[i].vid == f->vid && l->addr[i].pid == f->pid && !l->addr[i].ambiguous) {
                f->bus = l->addr[i].bus;
                f->devnum = l->addr[i].devnum;
            }
    }
}

static void add_record(dfs_log *l, const struct dfs_urb *u, uint64_t a, uint64_t b)
{
    if (l->n_rec >= DFS_LOG_MAX_RECORDS) {
        l->st.records_dropped++;
        return;
    }
    if (l->n_rec == l->cap_rec) {
        size_t nc = l->cap_rec ? l->cap_rec * 2 : 64;
        struct dfs_log__rec *n = realloc(l->rec, nc * sizeof *n);
        if (!n) {
            l->nomem = true;
            return;
        }
        l->rec = n;
        l->cap_rec = nc;
    }
    size_t need = 64 + u->data_len;
    uint8_t *buf = malloc(need);
    if (!buf) {
        l->nomem = true;
        return;
    }
    size_t n = dfs_usbmon_encode(u, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, need);
    if (!n) {
        free(buf);
        return;
    }
    l->rec[l->n_rec++] = (struct dfs_log__rec){.data = buf, .len = (uint32_t)n, .line_a = a,
                                               .line_b = b};
    l->st.records++;
}

void dfs_log__control(dfs_log *l, uint16_t bus, uint8_t devnum, const uint8_t setup[8],
                      const uint8_t *data, uint32_t len, int32_t status, uint64_t line_a,
                      uint64_t line_b)
{
    bool in = setup[0] & 0x80;
    uint16_t wlength = (uint16_t)(setup[6] | setup[7] << 8);
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = 0x1000 + (++l->urb_id) * 0x40;
    u.type = 'S';
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = in ? 0x80 : 0x00;
    u.devnum = devnum;
    u.bus = bus;
    u.flag_setup = 0;
    u.has_setup = true;
    memcpy(u.setup, setup, 8);
    u.status = -115;
    u.length = wlength;
    u.mmapped = true;
    if (!in && len) {
        u.flag_data = 0;
        u.data = data;
        u.data_len = u.len_cap = len;
    } else {
        u.flag_data = in ? '<' : '>';
    }
    add_record(l, &u, line_a, 0);
    struct dfs_urb c = u;
    c.type = 'C';
    c.has_setup = false;
    c.flag_setup = '-';
    c.status = status;
    c.length = status ? 0 : len;
    if (in && len && !status) {
        c.flag_data = 0;
        c.data = data;
        c.data_len = c.len_cap = len;
    } else {
        c.flag_data = in ? '<' : '>';
        c.data = NULL;
        c.data_len = c.len_cap = 0;
    }
    add_record(l, &c, line_b ? line_b : line_a, 0);
}

static void add_line(struct dfs_log_finding *f, uint64_t line)
{
    if (!line)
        return;
    unsigned i = 0;
    while (i < f->n_lines && f->lines[i] < line)
        i++;
    if (i < f->n_lines && f->lines[i] == line)
        return;
    if (f->n_lines == DFS_FINDING_MAX_FRAMES)
        return;
    memmove(&f->lines[i + 1], &f->lines[i], (f->n_lines - i) * sizeof f->lines[0]);
    f->lines[i] = line;
    f->n_lines++;
}

struct dfs_log_finding *dfs_log__emit(dfs_log *l, enum dfs_finding_code code, bool likely,
                                      const uint64_t *lines, unsigned n_lines, const char *remedy,
                                      const char *fmt, ...)
{
    const struct dfs_finding_info *fi = dfs_finding_info(code);
    if (!fi)
        return NULL;
    char text[DFS_FINDING_TEXT_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* the same finding again (a tool's log pasted twice, a retry): one
     * finding citing every place */
    for (size_t i = 0; i < l->n_f; i++) {
        struct dfs_log_finding *o = &l->f[i];
        if (o->f.code == code && !strcmp(o->f.explanation, text)) {
            for (unsigned k = 0; k < n_lines; k++)
                add_line(o, lines[k]);
            return NULL;
        }
    }
    if (l->n_f >= DFS_LOG_MAX_FINDINGS || l->kept[code] >= 20) {
        l->st.findings_dropped++;
        return NULL;
    }
    if (l->n_f == l->cap_f) {
        size_t nc = l->cap_f ? l->cap_f * 2 : 8;
        struct dfs_log_finding *n = realloc(l->f, nc * sizeof *n);
        if (!n) {
            l->nomem = true;
            return NULL;
        }
        l->f = n;
        l->cap_f = nc;
    }
    struct dfs_log_finding *f = &l->f[l->n_f++];
    l->kept[code]++;
    memset(f, 0, sizeof *f);
    f->f.code = code;
    f->f.id = fi->id;
    f->f.severity = fi->severity;
    f->f.group = fi->group;
    f->f.title = fi->title;
    f->likely = likely;
    f->vid = l->cur_vid;
    f->pid = l->cur_pid;
    f->bus = l->cur_bus;
    f->devnum = l->cur_devnum;
    memcpy(f->f.explanation, text, sizeof text);
    snprintf(f->f.remedy, sizeof f->f.remedy, "%s", remedy ? remedy : "");
    for (unsigned k = 0; k < n_lines; k++)
        add_line(f, lines[k]);
    return f;
}

void dfs_log__cite(dfs_log *l, size_t i, uint64_t line)
{
    if (i < l->n_f)
        add_line(&l->f[i], line);
}

/* ---- text helpers ---- */

bool dfs_log__starts(const struct dfs_log__line *ln, const char *prefix)
{
    size_t n = strlen(prefix);
    return ln->len >= n && !memcmp(ln->s, prefix, n);
}

bool dfs_log__num(const char *s, size_t len, unsigned long *out)
{
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    int base = 10;
    if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    unsigned long v = 0;
    size_t d = 0;
    for (; i < len; i++, d++) {
        int c = (unsigned char)s[i], x;
        if (c >= '0' && c <= '9')
            x = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            x = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            x = c - 'A' + 10;
        else
            break;
        if (v > (0xfffffffful - (unsigned long)x) / (unsigned long)base)
            return false; /* past 32 bits: no value of a USB log */
        v = v * (unsigned long)base + (unsigned long)x;
    }
    if (!d)
        return false;
    *out = v;
    return true;
}

void dfs_log__copy(char *dst, size_t size, const char *s, size_t len)
{
    if (!size)
        return;
    if (len >= size)
        len = size - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

const char *dfs_log__find(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (!n || n > len)
        return NULL;
    for (size_t i = 0; i + n <= len; i++)
        if (s[i] == needle[0] && !memcmp(s + i, needle, n))
            return s + i;
    return NULL;
}
