/* The file against what a session wrote: bytes missing, different or extra,
 * and where the session stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "texts.h"

#define SHOWN 6

/* Ranges of one kind, merged when contiguous. */
struct ranges {
    uint64_t bytes;
    unsigned n, shown;
    uint64_t end;          /* of the last range */
    char list[700];
    size_t list_len_at_last; /* where the last shown range's text ends (to extend it) */
    uint64_t last_start;
    char last_note[64];    /* of the last range: it keeps its first piece's */
    struct dfs_fw__ev ev;
};

static void range_text(struct ranges *r, uint64_t start, uint64_t end, const char *note)
{
    char n[64];
    dfs_fw__fmt_size(n, sizeof n, end - start);
    if (end - start == 1)
        dfs_fw__catf(r->list, sizeof r->list, "%s0x%08llx (%s%s)", r->shown ? ", " : "",
                     (unsigned long long)start, n, note);
    else
        dfs_fw__catf(r->list, sizeof r->list, "%s0x%08llx-0x%08llx (%s%s)", r->shown ? ", " : "",
                     (unsigned long long)start, (unsigned long long)(end - 1), n, note);
}

static void range_add(struct ranges *r, uint64_t start, uint64_t end, const char *note)
{
    r->bytes += end - start;
    if (r->n && r->end == start) {
        /* continues the last range: rewrite its text when it is shown */
        if (r->shown && r->shown <= SHOWN && r->n == r->shown) {
            r->list[r->list_len_at_last] = '\0';
            r->shown--;
            range_text(r, r->last_start, end, r->last_note);
            r->shown++;
        }
        r->end = end;
        return;
    }
    r->n++;
    r->end = end;
    if (r->shown < SHOWN) {
        r->list_len_at_last = strlen(r->list);
        r->last_start = start;
        snprintf(r->last_note, sizeof r->last_note, "%s", note);
        range_text(r, start, end, note);
        r->shown++;
    }
}

static void range_close(struct ranges *r)
{
    if (r->n > r->shown)
        dfs_fw__catf(r->list, sizeof r->list, " and %u more", r->n - r->shown);
}

struct cmp {
    dfs_fw_file *f;
    const dfs_fw_session *s;
    struct dfs_fw__map file;
    struct ranges missing, diff, extra;
    uint64_t same;
    bool first_diff;
    uint64_t diff_addr, diff_frame;
    uint8_t diff_file, diff_written;
    uint64_t diff_file_addr;     /* the address of that byte in the file */
    int64_t shift;               /* file address + shift = session address */
};

static void note_file(struct cmp *c, uint64_t session_addr, char *note, size_t size)
{
    struct dfs_fw_evidence w;
    note[0] = '\0';
    if (dfs_fw__where(c->f, (uint64_t)((int64_t)session_addr - c->shift), &w))
        snprintf(note, size, ", file %s %llu", dfs_fw_where_name(w.kind),
                 (unsigned long long)w.value);
}

static void piece_both(struct cmp *c, const struct dfs_fw__ext *fe, const struct dfs_fw__ext *se,
                       uint64_t a, uint64_t b)
{
    const uint8_t *p = fe->data + (a - fe->start), *q = se->data + (a - se->start);
    uint64_t n = b - a, k = 0;
    char note[64];
    snprintf(note, sizeof note, ", frame %llu", (unsigned long long)se->frame);
    while (k < n) {
        bool eq = p[k] == q[k];
        uint64_t s = k;
        while (k < n && (p[k] == q[k]) == eq)
            k++;
        if (eq) {
            c->same += k - s;
            continue;
        }
        if (!c->first_diff) {
            c->first_diff = true;
            c->diff_addr = a + s;
            c->diff_frame = se->frame;
            c->diff_file = p[s];
            c->diff_written = q[s];
            dfs_fw__ev_add(&c->diff.ev, DFS_FW_AT_FRAME, se->frame);
            struct dfs_fw_evidence w;
            if (dfs_fw__where(c->f, (uint64_t)((int64_t)(a + s) - c->shift), &w))
                dfs_fw__ev_add(&c->diff.ev, w.kind, w.value);
        } else {
            dfs_fw__ev_add(&c->diff.ev, DFS_FW_AT_FRAME, se->frame);
        }
        range_add(&c->diff, a + s, a + k, note);
    }
}

static void walk(struct cmp *c)
{
    const struct dfs_fw__map *F = &c->file, *S = &c->s->map;
    size_t i = 0, j = 0;
    uint64_t cur = 0;
    for (;;) {
        while (i < F->n && F->e[i].end <= cur)
            i++;
        while (j < S->n && S->e[j].end <= cur)
            j++;
        if (i >= F->n && j >= S->n)
            break;
        uint64_t fs = i < F->n ? (F->e[i].start > cur ? F->e[i].start : cur) : UINT64_MAX;
        uint64_t ss = j < S->n ? (S->e[j].start > cur ? S->e[j].start : cur) : UINT64_MAX;
        cur = fs < ss ? fs : ss;
        bool in_f = fs == cur, in_s = ss == cur;
        uint64_t stop;
        char note[64];
        if (in_f && in_s) {
            stop = F->e[i].end < S->e[j].end ? F->e[i].end : S->e[j].end;
            piece_both(c, &F->e[i], &S->e[j], cur, stop);
        } else if (in_f) {
            stop = F->e[i].end < ss ? F->e[i].end : ss;
            note_file(c, cur, note, sizeof note);
            if (!c->missing.n) {
                struct dfs_fw_evidence w;
                if (dfs_fw__where(c->f, (uint64_t)((int64_t)cur - c->shift), &w))
                    dfs_fw__ev_add(&c->missing.ev, w.kind, w.value);
            }
            range_add(&c->missing, cur, stop, note);
        } else {
            stop = S->e[j].end < fs ? S->e[j].end : fs;
            snprintf(note, sizeof note, ", frame %llu", (unsigned long long)S->e[j].frame);
            dfs_fw__ev_add(&c->extra.ev, DFS_FW_AT_FRAME, S->e[j].frame);
            range_add(&c->extra, cur, stop, note);
        }
        cur = stop;
    }
    range_close(&c->missing);
    range_close(&c->diff);
    range_close(&c->extra);
}

/* Where the session stopped, in words, with its frames as evidence. */
static void stopped(const dfs_fw_session *s, char *buf, size_t size, struct dfs_fw__ev *ev)
{
    buf[0] = '\0';
    const char *unit = s->any_dfuse ? "at" : "at offset";
    if (s->has_last_ok) {
        const struct dfs_mem_op *o = &s->last_ok;
        dfs_fw__catf(buf, size, TX_STOPPED_LAST, (unsigned long long)o->frame, o->data_len,
                     unit, o->address);
        if (o->exec_frame)
            dfs_fw__catf(buf, size, TX_STOPPED_EXEC, (unsigned long long)o->exec_frame);
        dfs_fw__catf(buf, size, ".");
        dfs_fw__ev_add(ev, DFS_FW_AT_FRAME, o->frame);
    } else {
        dfs_fw__catf(buf, size, TX_STOPPED_NONE);
    }
    if (s->failed_ops) {
        const struct dfs_mem_op *o = &s->first_failed;
        const char *st = dfs_dfu_status_name(o->bStatus);
        const char *mean = dfs_dfu_status_meaning(o->bStatus);
        char why[160];
        if (o->bStatus && st)
            snprintf(why, sizeof why, TX_FAILED_STATUS, st, mean ? mean : "");
        else
            snprintf(why, sizeof why, TX_FAILED_BUS);
        dfs_fw__catf(buf, size, TX_STOPPED_FAILED, (unsigned long long)s->failed_ops,
                     s->failed_ops == 1 ? "" : "s", (unsigned long long)o->frame, o->length,
                     unit, o->address, why);
        dfs_fw__ev_add(ev, DFS_FW_AT_FRAME, o->frame);
    }
    uint32_t lane = s->has_last_ok ? s->last_ok.lane : s->first_failed.lane;
    for (unsigned i = 0; i < s->n_gone; i++)
        if (s->gone[i].lane == lane && (s->ops || s->failed_ops)) {
            dfs_fw__catf(buf, size, TX_STOPPED_GONE, (unsigned long long)s->gone[i].frame);
            dfs_fw__ev_add(ev, DFS_FW_AT_FRAME, s->gone[i].frame);
        }
    if (s->errors) {
        dfs_fw__catf(buf, size, TX_STOPPED_ERRORS, (unsigned long long)s->errors,
                     s->errors == 1 ? "" : "s", s->first_error_id,
                     (unsigned long long)s->first_error_frame, s->first_error_title);
        dfs_fw__ev_add(ev, DFS_FW_AT_FRAME, s->first_error_frame);
    }
}

/* Where the file's bytes go in the session's address space. */
static bool place(struct cmp *c, struct dfs_fw_compare *out)
{
    dfs_fw_file *f = c->f;
    const dfs_fw_session *s = c->s;
    uint64_t low = UINT64_MAX;
    for (size_t i = 0; i < f->n_seg; i++)
        if (f->seg[i].address < low)
            low = f->seg[i].address;
    if (!f->n_seg)
        low = 0;
    c->shift = 0;
    if (!s->any_dfuse) {
        out->offsets = true;
        c->shift = -(int64_t)low;
    } else if (f->format == DFS_FW_BINARY && !f->opt.has_base && s->map.n) {
        out->base_assumed = true;
        out->base = (uint32_t)s->map.e[0].start;
        c->shift = (int64_t)out->base;
    }
    for (size_t i = 0; i < f->n_seg; i++) {
        const struct dfs_fw_segment *g = &f->seg[i];
        int64_t a = (int64_t)g->address + c->shift;
        uint64_t start = (uint64_t)a, end = start + g->length;
        if (end > DFS_FW__4G)
            end = DFS_FW__4G;
        struct dfs_fw__ext x = {start, end, g->data, 0, 0, (uint32_t)i};
        if (start < end && !dfs_fw__map_put(&c->file, &x))
            return false;
    }
    return true;
}

static void emit(struct cmp *c, const struct dfs_fw_compare *out)
{
    dfs_fw_file *f = c->f;
    const dfs_fw_session *s = c->s;
    char total[64], n[64], where[1000];
    dfs_fw__fmt_size(total, sizeof total, c->file.bytes);
    char base_note[200] = "";
    if (out->base_assumed)
        snprintf(base_note, sizeof base_note, TX_SESSION_BASE_ASSUMED, out->base);
    else if (out->offsets)
        snprintf(base_note, sizeof base_note, "%s", TX_SESSION_OFFSETS);
    if (c->missing.bytes) {
        struct dfs_fw__ev ev = c->missing.ev;
        stopped(s, where, sizeof where, &ev);
        dfs_fw__fmt_size(n, sizeof n, c->missing.bytes);
        dfs_fw__emit(f, DFS_F_FILE_SESSION_MISSING, ev.at, ev.n, TX_SESSION_MISSING, n, total,
                     c->missing.bytes == 1 ? "was" : "were", base_note, c->missing.n, c->missing.n == 1 ? "" : "s", c->missing.list,
                     s->full ? TX_SESSION_FULL : "", where);
    }
    if (c->diff.bytes) {
        dfs_fw__fmt_size(n, sizeof n, c->diff.bytes);
        dfs_fw__emit(f, DFS_F_FILE_SESSION_MISMATCH, c->diff.ev.at, c->diff.ev.n,
                     TX_SESSION_MISMATCH, n, c->diff.bytes == 1 ? "was" : "were", base_note, c->diff.n, c->diff.n == 1 ? "" : "s",
                     c->diff.list, (unsigned long long)c->diff_addr, c->diff_file,
                     c->diff_written, (unsigned long long)c->diff_frame);
    }
    if (c->extra.bytes) {
        dfs_fw__fmt_size(n, sizeof n, c->extra.bytes);
        dfs_fw__emit(f, DFS_F_FILE_SESSION_EXTRA, c->extra.ev.at, c->extra.ev.n,
                     TX_SESSION_EXTRA, n, base_note, c->extra.n, c->extra.n == 1 ? "" : "s",
                     c->extra.list);
    }
}

dfs_result dfs_fw_check_session(dfs_fw_file *f, const dfs_fw_session *s,
                                struct dfs_fw_compare *out)
{
    if (!f || !s)
        return DFS_E_INVAL;
    struct dfs_fw_compare local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    struct cmp *c = calloc(1, sizeof *c);
    if (!c)
        return DFS_E_NOMEM;
    c->f = f;
    c->s = s;
    if (!place(c, out)) {
        dfs_fw__map_free(&c->file);
        free(c);
        return DFS_E_NOMEM;
    }
    walk(c);
    out->same = c->same;
    out->missing = c->missing.bytes;
    out->different = c->diff.bytes;
    out->extra = c->extra.bytes;
    out->missing_ranges = c->missing.n;
    out->different_ranges = c->diff.n;
    out->extra_ranges = c->extra.n;
    emit(c, out);
    dfs_fw__map_free(&c->file);
    free(c);
    return f->nomem ? DFS_E_NOMEM : DFS_OK;
}
