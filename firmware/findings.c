/* Findings of a firmware file: emission with the per-id limit, evidence
 * lists, accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"

const char *dfs_fw_where_name(enum dfs_fw_where w)
{
    switch (w) {
    case DFS_FW_AT_BYTE: return "byte";
    case DFS_FW_AT_LINE: return "line";
    case DFS_FW_AT_FRAME: return "frame";
    }
    return "?";
}

void dfs_fw__ev_add(struct dfs_fw__ev *e, enum dfs_fw_where kind, uint64_t value)
{
    for (unsigned i = 0; i < e->n; i++)
        if (e->at[i].kind == kind && e->at[i].value == value)
            return;
    if (e->n < DFS_FW_MAX_EVIDENCE) {
        e->at[e->n].kind = kind;
        e->at[e->n].value = value;
        e->n++;
    }
}

struct dfs_fw_finding *dfs_fw__emit(dfs_fw_file *f, enum dfs_finding_code code,
                                    const struct dfs_fw_evidence *at, unsigned n_at,
                                    const char *fmt, ...)
{
    const struct dfs_finding_info *fi = dfs_finding_info(code);
    if (!fi)
        return NULL;
    f->sev[fi->severity <= DFS_SEV_ERROR ? fi->severity : DFS_SEV_ERROR]++;
    if (f->kept[code] >= DFS_FW_PER_ID) {
        f->more[code]++;
        return NULL;
    }
    if (f->n_f == f->cap_f) {
        size_t ncap = f->cap_f ? f->cap_f * 2 : 8;
        struct dfs_fw_finding *n = realloc(f->f, ncap * sizeof *n);
        if (!n) {
            f->nomem = true;
            return NULL;
        }
        f->f = n;
        f->cap_f = ncap;
    }
    struct dfs_fw_finding *fd = &f->f[f->n_f++];
    f->kept[code]++;
    memset(fd, 0, sizeof *fd);
    fd->code = code;
    fd->id = fi->id;
    fd->severity = fi->severity;
    fd->group = fi->group;
    fd->title = fi->title;
    if (n_at > DFS_FW_MAX_EVIDENCE)
        n_at = DFS_FW_MAX_EVIDENCE;
    if (at && n_at)
        memcpy(fd->at, at, n_at * sizeof *at);
    fd->n_at = at ? n_at : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fd->explanation, sizeof fd->explanation, fmt, ap);
    va_end(ap);
    snprintf(fd->remedy, sizeof fd->remedy, "%s", dfs_fw__remedy_text(code));
    return fd;
}

void dfs_fw__remedy(struct dfs_fw_finding *fd, const char *fmt, ...)
{
    if (!fd)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fd->remedy, sizeof fd->remedy, fmt, ap);
    va_end(ap);
}

size_t dfs_fw_finding_count(const dfs_fw_file *f) { return f ? f->n_f : 0; }

const struct dfs_fw_finding *dfs_fw_finding(const dfs_fw_file *f, size_t i)
{
    return f && i < f->n_f ? &f->f[i] : NULL;
}

uint64_t dfs_fw_finding_more(const dfs_fw_file *f, enum dfs_finding_code code)
{
    return f && (unsigned)code < DFS_F__COUNT ? f->more[code] : 0;
}

void dfs_fw_severity_counts(const dfs_fw_file *f, uint64_t counts[3])
{
    for (int i = 0; i < 3; i++)
        counts[i] = f ? f->sev[i] : 0;
}
