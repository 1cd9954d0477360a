/* The memory map: for each device, the regions each alternate setting
 * advertises in its DfuSe layout string, and under them what the session
 * erased, wrote and read through that alternate setting. The address axis is
 * broken between distant areas (flash at 0x08000000, option bytes at
 * 0x1FFF7800), each area linear inside; accesses outside the advertised
 * layout are drawn in red stripes with a label, writes that were sent but
 * never confirmed with a dashed outline. A table below says the same in
 * words. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define W 1160.0
#define PX0 200.0
#define PX1 1140.0
#define BRK_W 30.0
#define MAX_CLUSTERS 8
#define MAX_IV 1024

struct iv {
    uint64_t a, b; /* [a, b) */
};

struct cluster {
    uint64_t a, b;
    double x0, x1;
};

struct amap {
    struct cluster c[MAX_CLUSTERS];
    size_t n;
};

static int cmp_iv(const void *x, const void *y)
{
    const struct iv *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a;
}

static double am_x(const struct amap *m, uint64_t addr)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct cluster *c = &m->c[i];
        if (addr < c->a)
            return i ? (m->c[i - 1].x1 + c->x0) / 2 : c->x0;
        if (addr <= c->b)
            return c->x0 + (c->x1 - c->x0) * (double)(addr - c->a) / (double)(c->b - c->a);
    }
    return m->n ? m->c[m->n - 1].x1 : PX0;
}

static void am_build(struct amap *m, struct iv *v, size_t n)
{
    memset(m, 0, sizeof *m);
    if (!n)
        return;
    cli_sort(v, n, sizeof *v, cmp_iv);
    struct cluster cur = {v[0].a, v[0].b, 0, 0};
    for (size_t i = 1; i <= n; i++) {
        uint64_t size = cur.b - cur.a;
        uint64_t thr = size / 4 > 4096 ? size / 4 : 4096;
        if (i < n && v[i].a <= cur.b + thr) {
            if (v[i].b > cur.b)
                cur.b = v[i].b;
            continue;
        }
        if (m->n < MAX_CLUSTERS) {
            m->c[m->n++] = cur;
        } else {
            /* too many areas: the last cluster reaches to the end */
            if (cur.b > m->c[m->n - 1].b)
                m->c[m->n - 1].b = cur.b;
        }
        if (i < n)
            cur = (struct cluster){v[i].a, v[i].b, 0, 0};
    }
    double wsum = 0, wt[MAX_CLUSTERS];
    for (size_t i = 0; i < m->n; i++) {
        uint64_t size = m->c[i].b - m->c[i].a;
        wt[i] = rp_log2((double)(size > 16 ? size : 16)) + 4;
        wsum += wt[i];
    }
    double avail = (PX1 - PX0) - (double)(m->n - 1) * BRK_W;
    double x = PX0;
    for (size_t i = 0; i < m->n; i++) {
        m->c[i].x0 = x;
        m->c[i].x1 = x + avail * wt[i] / wsum;
        x = m->c[i].x1 + BRK_W;
    }
}

/* ---- what is drawn for one device lane ------------------------------------------------------- */

struct alt_row {
    uint8_t alt;
    const struct dfs_dfu_alt_info *info; /* NULL when the lane has no DFU info for it */
};

static const char *kind_name(uint8_t kind)
{
    return kind == RP_EXT_ERASE ? "erased" : kind == RP_EXT_WRITE ? "written" : "read";
}

static const char *kind_verb(uint8_t kind)
{
    return kind == RP_EXT_ERASE ? "erase" : kind == RP_EXT_WRITE ? "write" : "read";
}

static const char *kind_class(uint8_t kind)
{
    return kind == RP_EXT_ERASE ? "x-erase" : kind == RP_EXT_WRITE ? "x-write" : "x-read";
}

/* the parts of [a, b) outside every region of the layout */
static size_t outside_parts(const struct dfs_layout *l, uint64_t a, uint64_t b, struct iv *out,
                            size_t max)
{
    size_t n = 0;
    uint64_t pos = a;
    while (pos < b && n < max) {
        const struct dfs_layout_region *hit = NULL;
        uint64_t next = b;
        for (unsigned r = 0; r < l->n_regions; r++) {
            const struct dfs_layout_region *rg = &l->regions[r];
            if (pos >= rg->start && pos < rg->end)
                hit = rg;
            else if (rg->start > pos && rg->start < next)
                next = rg->start;
        }
        if (hit) {
            pos = hit->end;
            continue;
        }
        out[n++] = (struct iv){pos, next};
        pos = next;
    }
    return n;
}

/* Was the device of the lane lost right after frame (a loss finding names it)? */
static bool lost_after(const struct rp_model *m, uint32_t lane, uint64_t frame)
{
    for (size_t i = 0; i < m->n_f; i++) {
        const struct dfs_finding *f = &m->f[i];
        if (!rp_finding_is_loss(f) || rp_lane_of(m, f->device) != lane)
            continue;
        for (unsigned k = 0; k < f->n_frames; k++)
            if (f->frames[k] == frame)
                return true;
    }
    return false;
}

/* One label for the accesses of a row that stand out, in the free stretch
 * of the row nearest to the first of them (with a leader line when apart). */
static void row_note(FILE *o, uint8_t kind, size_t n, char addr[][24], uint64_t len, bool out,
                     uint8_t status, bool lost, double near_x, double y, double *mk0, double *mk1,
                     size_t nmk)
{
    char label[200];
    size_t pos;
    char sz[32];
    rp_bytes(sz, sizeof sz, len);
    if (n == 1)
        pos = (size_t)snprintf(label, sizeof label, "%s %s (%s)", kind_verb(kind), addr[0], sz);
    else
        pos = (size_t)snprintf(label, sizeof label, "%zu %ss: %s, %s%s%s%s", n, kind_verb(kind), addr[0],
                               addr[1], n > 2 ? ", " : "", n > 2 ? addr[2] : "", n > 3 ? ", \xE2\x80\xA6" : "");
    if (pos < sizeof label && out)
        pos += (size_t)snprintf(label + pos, sizeof label - pos, " outside the layout");
    if (pos < sizeof label && status == RP_EXT_UNCONFIRMED)
        pos += (size_t)snprintf(label + pos, sizeof label - pos, lost ? ", then the device was lost"
                                                                       : ", never confirmed");
    else if (pos < sizeof label && status == RP_EXT_FAILED)
        snprintf(label + pos, sizeof label - pos, ", refused");
    double tw = 6.3 * (double)strlen(label);
    /* free stretches between the marks */
    double xs[513];
    size_t k = 0;
    const double *lo = mk0, *hi = mk1;
    double best_x = -1;
    bool best_right = true;
    double best_dist = 1e9;
    /* candidate places: right of each mark, and left of each mark */
    for (size_t i = 0; i < nmk && k + 2 < sizeof xs / sizeof xs[0]; i++) {
        xs[k++] = hi[i] + 6;         /* label starts here */
        xs[k++] = -(lo[i] - 6);      /* label ends here (negative: right-aligned) */
    }
    for (size_t c = 0; c < k; c++) {
        bool right = xs[c] >= 0;
        double a = right ? xs[c] : -xs[c] - tw, b = a + tw;
        if (a < PX0 || b > W - 4)
            continue;
        bool clash = false;
        for (size_t i = 0; i < nmk && !clash; i++)
            clash = a < hi[i] + 2 && b > lo[i] - 2;
        if (clash)
            continue;
        double anchor = right ? a : b;
        double dist = anchor > near_x ? anchor - near_x : near_x - anchor;
        if (dist < best_dist) {
            best_dist = dist;
            best_x = right ? a : b;
            best_right = right;
        }
    }
    if (best_x < 0) {
        best_x = PX0;
        best_right = true;
    }
    fprintf(o, "<text class=\"mlabel note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" style=\"fill:var(--m-out);"
               "font-weight:700\">",
            best_x, y + 14, best_right ? "start" : "end");
    html_text(o, label);
    fputs("</text>", o);
    if (best_dist > 12) {
        double lx = best_right ? best_x - 3 : best_x + 3;
        fprintf(o, "<path class=\"arrow\" d=\"M%.1f %.1f H%.1f\" style=\"stroke:var(--m-out)\"/>", lx, y + 10,
                near_x);
    }
}

/* ---- one figure: the memory map of one device lane ---------------------------------------- */

#define ROW_TOP 34.0 /* the first alternate setting's row */
#define ROW_H 28.0   /* an alternate setting's (or the chip's) row */
#define ACC_H 20.0   /* a row of accesses under it */
#define MAX_MARKS 256

struct lane_map {
    struct rp_page *p;
    uint32_t lane;
    bool dfuse;
    /* alternate settings: those advertised, and those used by accesses */
    struct alt_row rows[DFS_DFU_MAX_ALTS + 8];
    size_t nr;
    /* option byte areas written to, from the chip's reference manual */
    const struct dfs_ob_area *obs[8];
    size_t nob;
    struct amap am;
    double height;
    char dev[64];
};

/* The marks of one row of accesses (what stands out gets one label for the
 * row, placed in the widest free stretch next to it). */
struct acc_row {
    double mk0[MAX_MARKS], mk1[MAX_MARKS];
    size_t nmk;
    size_t n_note;
    double note_x;
    char note_addr[3][24];
    uint64_t note_len;
    uint8_t note_status;
    bool note_out, note_lost;
};

static void add_mark(struct acc_row *ar, double x0, double x1)
{
    if (ar->nmk < MAX_MARKS) {
        ar->mk0[ar->nmk] = x0;
        ar->mk1[ar->nmk++] = x1;
    }
}

static bool alt_has_kind(const struct rp_model *m, uint32_t lane, uint8_t alt, uint8_t kind)
{
    for (size_t i = 0; i < m->n_ext; i++)
        if (m->ext[i].lane == lane && m->ext[i].alt == alt && m->ext[i].kind == kind)
            return true;
    return false;
}

static void collect_alts(struct lane_map *lm, const struct dfs_dfu_info *dfu)
{
    const struct rp_model *m = lm->p->m;
    lm->dfuse = dfu && dfu->dfuse;
    if (dfu)
        for (unsigned a = 0; a < dfu->n_alts && lm->nr < DFS_DFU_MAX_ALTS; a++)
            lm->rows[lm->nr++] = (struct alt_row){dfu->alts[a].alt, &dfu->alts[a]};
    for (size_t i = 0; i < m->n_ext; i++) {
        const struct rp_ext_list *x = &m->ext[i];
        if (x->lane != lm->lane)
            continue;
        lm->dfuse |= x->dfuse;
        bool have = false;
        for (size_t k = 0; k < lm->nr; k++)
            have |= lm->rows[k].alt == x->alt;
        if (!have && lm->nr < sizeof lm->rows / sizeof lm->rows[0])
            lm->rows[lm->nr++] = (struct alt_row){x->alt, NULL};
    }
}

/* The address axis from the intervals of interest: advertised regions,
 * accesses, and the option byte areas accessed. False: nothing to draw. */
static bool build_axis(struct lane_map *lm)
{
    const struct rp_model *m = lm->p->m;
    struct iv *v = malloc(MAX_IV * sizeof *v);
    if (!v)
        return false;
    size_t nv = 0;
    for (size_t k = 0; k < lm->nr; k++)
        if (lm->rows[k].info && lm->rows[k].info->layout_parsed)
            for (unsigned r = 0; r < lm->rows[k].info->layout.n_regions && nv < MAX_IV; r++)
                v[nv++] = (struct iv){lm->rows[k].info->layout.regions[r].start,
                                      lm->rows[k].info->layout.regions[r].end};
    for (size_t i = 0; i < m->n_ext; i++) {
        const struct rp_ext_list *x = &m->ext[i];
        if (x->lane != lm->lane)
            continue;
        for (size_t e = 0; e < x->n && nv < MAX_IV; e++) {
            v[nv++] = (struct iv){x->e[e].start, x->e[e].end};
            const struct dfs_ob_area *ob = x->dfuse ? dfs_ob_area_find((uint32_t)x->e[e].start) : NULL;
            bool have = false;
            for (size_t k = 0; k < lm->nob; k++)
                have |= lm->obs[k] == ob;
            if (ob && !have && lm->nob < 8)
                lm->obs[lm->nob++] = ob;
        }
    }
    for (size_t k = 0; k < lm->nob && nv < MAX_IV; k++)
        v[nv++] = (struct iv){lm->obs[k]->start, lm->obs[k]->end};
    if (nv)
        am_build(&lm->am, v, nv);
    free(v);
    return nv > 0;
}

static double figure_height(const struct lane_map *lm)
{
    double height = ROW_TOP;
    for (size_t k = 0; k < lm->nr; k++) {
        height += ROW_H;
        for (uint8_t kind = 0; kind < RP_NEXT_KINDS; kind++)
            if (alt_has_kind(lm->p->m, lm->lane, lm->rows[k].alt, kind))
                height += ACC_H;
        height += 6;
    }
    if (lm->nob)
        height += ROW_H;
    return height + 40;
}

/* The figure's title and description (what a screen reader says). */
static void write_desc(const struct lane_map *lm, int figno)
{
    FILE *o = lm->p->out;
    const struct rp_model *m = lm->p->m;
    fprintf(o, "<title id=\"mm%d-title\">", figno);
    html_fmt(o, "Memory map of device %s", lm->dev);
    fprintf(o, "</title><desc id=\"mm%d-desc\">", figno);
    for (size_t k = 0; k < lm->nr; k++) {
        if (!lm->rows[k].info || !lm->rows[k].info->layout_parsed) {
            html_fmt(o, "Alternate setting %u advertises no memory layout. ", lm->rows[k].alt);
            continue;
        }
        const struct dfs_layout *l = &lm->rows[k].info->layout;
        html_fmt(o, "Alternate setting %u (%s) advertises", lm->rows[k].alt, l->name);
        for (unsigned r = 0; r < l->n_regions; r++) {
            char a[24], b[24];
            rp_addr(a, sizeof a, l->regions[r].start);
            rp_addr(b, sizeof b, l->regions[r].end - 1);
            html_fmt(o, "%s %s to %s", r ? "," : "", a, b);
        }
        fputs(". ", o);
    }
    for (size_t i = 0; i < m->n_ext; i++) {
        const struct rp_ext_list *x = &m->ext[i];
        if (x->lane != lm->lane)
            continue;
        char b[32];
        rp_bytes(b, sizeof b, x->bytes);
        if (x->mass_erase)
            html_fmt(o, "Mass erase through alternate setting %u. ", x->alt);
        else
            html_fmt(o, "%s %s through alternate setting %u in %zu area%s%s. ",
                     x->kind == RP_EXT_ERASE ? "Erased" : x->kind == RP_EXT_WRITE ? "Wrote" : "Read",
                     x->kind == RP_EXT_ERASE ? "pages" : b, x->alt, x->n, x->n == 1 ? "" : "s",
                     x->status == RP_EXT_UNCONFIRMED ? ", sent but never confirmed"
                     : x->status == RP_EXT_FAILED    ? ", refused by the device"
                                                     : "");
    }
    fputs("</desc>", o);
}

/* The row of an alternate setting: its name and the regions it advertises. */
static void write_alt_row(const struct lane_map *lm, const struct alt_row *row, double y)
{
    FILE *o = lm->p->out;
    const struct dfs_dfu_alt_info *ai = row->info;
    const struct dfs_layout *l = ai && ai->layout_parsed ? &ai->layout : NULL;
    fprintf(o, "<g class=\"alt\" data-alt=\"%u\"><text x=\"8\" y=\"%.1f\" style=\"font-weight:600\">",
            row->alt, y + 17);
    if (lm->dfuse || l)
        html_fmt(o, "alt %u", row->alt);
    else
        html_fmt(o, "image");
    if (l && l->name[0]) {
        char nm[40];
        size_t ln = strlen(l->name);
        if (ln > 22) {
            /* cut at a character boundary, then an ellipsis */
            ln = 21;
            while (ln && ((unsigned char)l->name[ln] & 0xC0) == 0x80)
                ln--;
            memcpy(nm, l->name, ln);
            memcpy(nm + ln, "\xE2\x80\xA6", 4);
        } else {
            memcpy(nm, l->name, ln + 1);
        }
        fputs(" \xC2\xB7 ", o);
        html_text(o, nm);
    }
    fputs("</text>", o);
    if (l) {
        for (unsigned r = 0; r < l->n_regions; r++) {
            const struct dfs_layout_region *rg = &l->regions[r];
            double x0 = am_x(&lm->am, rg->start), x1 = am_x(&lm->am, rg->end);
            if (x1 - x0 < 2)
                x1 = x0 + 2;
            char a[24], b[24], sz[32];
            rp_addr(a, sizeof a, rg->start);
            rp_addr(b, sizeof b, rg->end - 1);
            rp_bytes(sz, sizeof sz, rg->size);
            fprintf(o, "<g class=\"adv\"><title>");
            html_fmt(o, "alt %u advertises %s\xE2\x80\x93%s: %u \xC3\x97 %s, %s%s%s", row->alt, a, b,
                     rg->count, sz, (rg->flags & DFS_MEM_READABLE) ? "r" : "-",
                     (rg->flags & DFS_MEM_ERASABLE) ? "e" : "-", (rg->flags & DFS_MEM_WRITABLE) ? "w" : "-");
            fprintf(o, "</title><rect class=\"region\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"22\"/>",
                    x0, y + 2, x1 - x0);
            char label[64];
            snprintf(label, sizeof label, "%u \xC3\x97 %s %s%s%s", rg->count, sz,
                     (rg->flags & DFS_MEM_READABLE) ? "r" : "", (rg->flags & DFS_MEM_ERASABLE) ? "e" : "",
                     (rg->flags & DFS_MEM_WRITABLE) ? "w" : "");
            if (x1 - x0 > 6.5 * (double)strlen(label))
                fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", (x0 + x1) / 2,
                        y + 17, label);
            fputs("</g>", o);
        }
    } else {
        fprintf(o, "<text class=\"muted\" x=\"%.1f\" y=\"%.1f\">", PX0 + 4, y + 17);
        if (!lm->dfuse)
            fputs("DFU 1.1: no addresses, only offsets in the image", o);
        else if (ai && ai->layout_error[0]) {
            fputs("layout string does not parse: ", o);
            html_text(o, ai->layout_error);
        } else
            fputs("no layout string in the capture", o);
        fputs("</text>", o);
    }
    fputs("</g>", o);
}

static const char *status_class(uint8_t st)
{
    return st == RP_EXT_FAILED        ? " x-failed"
           : st == RP_EXT_UNCONFIRMED ? " x-unconfirmed"
                                      : "";
}

/* A mass erase: every erasable region of the layout. */
static void write_mass_erase(const struct lane_map *lm, const struct rp_ext_list *x,
                             const struct dfs_layout *l, double y, struct acc_row *ar)
{
    FILE *o = lm->p->out;
    for (unsigned r = 0; r < l->n_regions; r++) {
        const struct dfs_layout_region *rg = &l->regions[r];
        if (!(rg->flags & DFS_MEM_ERASABLE))
            continue;
        double x0 = am_x(&lm->am, rg->start), x1 = am_x(&lm->am, rg->end);
        fprintf(o, "<g class=\"xt mass\" data-frame=\"%" PRIu64 "\"><title>mass erase at frame %" PRIu64
                   "</title><rect class=\"%s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\"/>"
                   "<rect class=\"hatch\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\"/></g>",
                x->mass_frame, x->mass_frame, kind_class(x->kind), status_class(x->status), x0, y + 3,
                x1 - x0, x0, y + 3, x1 - x0);
        add_mark(ar, x0, x1);
    }
}

/* One merged extent of accesses, with red stripes over what lies outside
 * the layout; what stands out is noted for the row's label. */
static void write_extent(const struct lane_map *lm, const struct rp_ext_list *x,
                         const struct rp_extent *ex, const struct dfs_layout *l, double y,
                         struct acc_row *ar)
{
    FILE *o = lm->p->out;
    uint8_t kind = x->kind, st = x->status;
    double x0 = am_x(&lm->am, ex->start), x1 = am_x(&lm->am, ex->end);
    if (x1 - x0 < 3) {
        double c = (x0 + x1) / 2;
        x0 = c - 1.5;
        x1 = c + 1.5;
    }
    char a[24], b[24], sz[32];
    rp_addr(a, sizeof a, ex->start);
    rp_addr(b, sizeof b, ex->end - 1);
    rp_bytes(sz, sizeof sz, ex->end - ex->start);
    struct iv out[8];
    size_t nout = l && x->dfuse ? outside_parts(l, ex->start, ex->end, out, 8) : 0;
    bool lost = st == RP_EXT_UNCONFIRMED && lost_after(lm->p->m, lm->lane, ex->first_frame);
    char fr[40];
    bool link = rp_frame_anchor(lm->p, ex->first_frame, fr, sizeof fr);
    fprintf(o, "<g class=\"xt%s%s\" data-addr=\"%s\" data-len=\"%" PRIu64 "\" "
               "data-frame=\"%" PRIu64 "\">",
            nout ? " outside" : "", lost ? " lost" : "", a, ex->end - ex->start, ex->first_frame);
    if (link)
        fprintf(o, "<a href=\"#%s\">", fr);
    fputs("<title>", o);
    if (kind == RP_EXT_ERASE && ex->end - ex->start <= 1)
        html_fmt(o, "erase of the page at %s", a);
    else
        html_fmt(o, "%s %s\xE2\x80\x93%s (%s)", kind_verb(kind), a, b, sz);
    html_fmt(o, " through alt %u, %u operation%s from frame %" PRIu64 "%s%s%s", x->alt, ex->ops,
             ex->ops == 1 ? "" : "s", ex->first_frame,
             st == RP_EXT_UNCONFIRMED ? "; sent, but the device never confirmed it"
             : st == RP_EXT_FAILED    ? "; the device refused it"
                                      : "",
             lost ? "; the device was lost right after it" : "",
             nout ? "; OUTSIDE the layout this alternate setting advertises" : "");
    fprintf(o, "</title><rect class=\"%s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
               "height=\"14\"/>",
            kind_class(kind), status_class(st), x0, y + 3, x1 - x0);
    for (size_t q = 0; q < nout; q++) {
        double o0 = am_x(&lm->am, out[q].a), o1 = am_x(&lm->am, out[q].b);
        if (o1 - o0 < 6) {
            double c = (o0 + o1) / 2;
            o0 = c - 3;
            o1 = c + 3;
        }
        fprintf(o, "<rect class=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\"/>",
                o0, y + 1, o1 - o0);
        if (o0 < x0)
            x0 = o0;
        if (o1 > x1)
            x1 = o1;
    }
    if (link)
        fputs("</a>", o);
    fputs("</g>", o);
    add_mark(ar, x0, x1);
    if (nout || st != RP_EXT_OK) {
        if (ar->n_note < 3)
            snprintf(ar->note_addr[ar->n_note], sizeof ar->note_addr[0], "%s", a);
        if (!ar->n_note) {
            ar->note_x = (x0 + x1) / 2;
            ar->note_len = ex->end - ex->start;
        }
        ar->n_note++;
        ar->note_out |= nout > 0;
        ar->note_lost |= lost;
        if (st > ar->note_status)
            ar->note_status = st;
    }
}

/* The accesses of one kind through one alternate setting: done ones first,
 * then refused, then unconfirmed; one label for the row. */
static void write_access_row(const struct lane_map *lm, const struct alt_row *row, uint8_t kind,
                             double y)
{
    FILE *o = lm->p->out;
    const struct rp_model *m = lm->p->m;
    const struct dfs_dfu_alt_info *ai = row->info;
    const struct dfs_layout *l = ai && ai->layout_parsed ? &ai->layout : NULL;
    fprintf(o, "<g class=\"acc acc-%s\"><text x=\"24\" y=\"%.1f\" class=\"muted\">%s</text>",
            kind_verb(kind), y + 14, kind_name(kind));
    struct acc_row row_marks;
    struct acc_row *ar = &row_marks;
    memset(ar, 0, sizeof *ar);
    ar->note_status = RP_EXT_OK;
    for (uint8_t st = 0; st < RP_NEXT_STATUS; st++)
        for (size_t i = 0; i < m->n_ext; i++) {
            const struct rp_ext_list *x = &m->ext[i];
            if (x->lane != lm->lane || x->alt != row->alt || x->kind != kind || x->status != st)
                continue;
            if (x->mass_erase && l)
                write_mass_erase(lm, x, l, y, ar);
            for (size_t e = 0; e < x->n; e++)
                write_extent(lm, x, &x->e[e], l, y, ar);
        }
    if (ar->n_note)
        row_note(o, kind, ar->n_note, ar->note_addr, ar->note_len, ar->note_out, ar->note_status,
                 ar->note_lost, ar->note_x, y, ar->mk0, ar->mk1, ar->nmk);
    fputs("</g>", o);
}

/* The option byte areas accessed, which no alternate setting advertises. */
static void write_chip_row(const struct lane_map *lm, double y)
{
    FILE *o = lm->p->out;
    fprintf(o, "<g class=\"chip\"><text x=\"8\" y=\"%.1f\" class=\"muted\">chip (reference manual)</text>",
            y + 17);
    for (size_t k = 0; k < lm->nob; k++) {
        const struct dfs_ob_area *ob = lm->obs[k];
        double x0 = am_x(&lm->am, ob->start), x1 = am_x(&lm->am, ob->end);
        char a[24], b[24];
        rp_addr(a, sizeof a, ob->start);
        rp_addr(b, sizeof b, ob->end - 1);
        fputs("<g><title>", o);
        html_fmt(o, "option bytes %s\xE2\x80\x93%s (%s), not advertised by any alternate setting", a, b,
                 ob->families);
        fprintf(o, "</title><rect class=\"region-ob\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"22\"/>", x0,
                y + 2, x1 - x0);
        if (x1 - x0 >= 80)
            fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">option bytes</text></g>",
                    (x0 + x1) / 2, y + 17);
        else
            fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">option bytes</text></g>", x0 - 4,
                    y + 17);
    }
    fputs("</g>", o);
}

/* The address axis, broken between the areas. */
static void write_addr_axis(FILE *o, const struct amap *am, double ya)
{
    fputs("<g class=\"axis\">", o);
    for (size_t i = 0; i < am->n; i++) {
        const struct cluster *c = &am->c[i];
        char a[24], b[24];
        rp_addr(a, sizeof a, c->a);
        rp_addr(b, sizeof b, c->b);
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", c->x0, ya, c->x1, ya);
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                   "class=\"mono\">%s</text>",
                c->x0, ya, c->x0, ya + 5, c->x0, ya + 17, a);
        if (c->x1 - c->x0 > 150)
            fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"end\" class=\"mono\">%s</text>",
                    c->x1, ya, c->x1, ya + 5, c->x1, ya + 28, b);
        if (i + 1 < am->n) {
            double x0 = c->x1;
            char gap[32];
            rp_bytes(gap, sizeof gap, am->c[i + 1].a - c->b);
            fprintf(o, "<g class=\"brk\"><title>%s not shown</title><path class=\"arrow\" d=\"M%.1f %.1f l4 -5 "
                       "l4 10 l4 -10 l4 10 l4 -5\"/></g>",
                    gap, x0 + 5, ya);
        }
    }
    fputs("</g></svg>", o);
}

static void write_legend(FILE *o, bool option_bytes)
{
    fputs("<figcaption>Addresses run left to right; the axis is broken (zigzag) between areas far apart, "
          "each linear inside. Shaded bars: the regions each alternate setting advertises. Under them, "
          "what the session erased, wrote and read through it; red stripes mark what lies outside the "
          "advertised layout, a dashed outline what was sent but never confirmed.</figcaption>",
          o);
    fputs("<ul class=\"legend\">"
          "<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\"><rect class=\"region\" x=\"1\" y=\"1\" width=\"24\" "
          "height=\"12\"/></svg>advertised region</li>"
          "<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\"><rect class=\"x-erase\" x=\"1\" y=\"1\" width=\"24\" "
          "height=\"12\"/></svg>erased</li>"
          "<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\"><rect class=\"x-write\" x=\"1\" y=\"1\" width=\"24\" "
          "height=\"12\"/></svg>written</li>"
          "<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\"><rect class=\"x-read\" x=\"1\" y=\"1\" width=\"24\" "
          "height=\"12\"/></svg>read</li>"
          "<li><svg width=\"26\" height=\"16\" aria-hidden=\"true\"><g class=\"outside\"><rect class=\"mark\" x=\"1\" "
          "y=\"1\" width=\"24\" height=\"14\"/></g></svg>outside the advertised layout</li>"
          "<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\"><rect class=\"x-write x-unconfirmed\" x=\"1\" "
          "y=\"1\" width=\"24\" height=\"12\"/></svg>sent, never confirmed</li>",
          o);
    if (option_bytes)
        fputs("<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\"><rect class=\"region-ob\" x=\"1\" y=\"1\" "
              "width=\"24\" height=\"12\"/></svg>option bytes, from the chip's reference manual</li>",
              o);
    fputs("</ul></figure>\n", o);
}

/* The figure of one lane: for each alternate setting its row and the rows
 * of its accesses, then the chip's option bytes, the axis and the legend. */
static void write_lane_map(struct rp_page *p, uint32_t lane, const struct dfs_dfu_info *dfu,
                           uint32_t instance, int *figno)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    struct lane_map map;
    struct lane_map *lm = &map;
    memset(lm, 0, sizeof *lm);
    lm->p = p;
    lm->lane = lane;
    collect_alts(lm, dfu);
    if (!build_axis(lm))
        return;
    lm->height = figure_height(lm);
    double height = lm->height;
    rp_device_label(p->dec, instance, lm->dev, sizeof lm->dev);
    (*figno)++;
    fprintf(o, "<figure><svg class=\"chart memmap\" data-lane=\"%u\" role=\"img\" "
               "aria-labelledby=\"mm%d-title mm%d-desc\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">",
            lane, *figno, *figno, W, height, W, height);
    write_desc(lm, *figno);
    fprintf(o, "<text x=\"8\" y=\"18\" style=\"font-weight:700;font-size:12px\">");
    bool offsets = false;
    for (size_t i = 0; i < m->n_ext; i++)
        offsets |= m->ext[i].lane == lane && !m->ext[i].dfuse;
    html_fmt(o, "Device %s%s", lm->dev, offsets ? " \xE2\x80\x94 offsets in the firmware image" : "");
    fputs("</text>", o);

    /* the areas' backgrounds */
    for (size_t i = 0; i < lm->am.n; i++)
        fprintf(o, "<rect class=\"lane-bg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                lm->am.c[i].x0, ROW_TOP - 4, lm->am.c[i].x1 - lm->am.c[i].x0, height - ROW_TOP - 32);
    double y = ROW_TOP;
    for (size_t k = 0; k < lm->nr; k++) {
        write_alt_row(lm, &lm->rows[k], y);
        y += ROW_H;
        /* accesses through this alternate setting */
        for (uint8_t kind = 0; kind < RP_NEXT_KINDS; kind++) {
            if (!alt_has_kind(m, lane, lm->rows[k].alt, kind))
                continue;
            write_access_row(lm, &lm->rows[k], kind, y);
            y += ACC_H;
        }
        y += 6;
    }
    if (lm->nob)
        write_chip_row(lm, y);
    write_addr_axis(o, &lm->am, height - 30);
    write_legend(o, lm->nob > 0);
}

/* The same in words. */
static void write_access_table(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    if (!dfu)
        return;
    fputs("<details class=\"accesses\" open><summary>Memory accesses in words</summary><table><thead><tr>"
          "<th scope=\"col\">Device</th><th scope=\"col\">Alt</th><th scope=\"col\">Operation</th>"
          "<th scope=\"col\">Addresses</th><th scope=\"col\">Bytes</th><th scope=\"col\">Result</th>"
          "<th scope=\"col\">In the layout</th><th scope=\"col\">From frame</th></tr></thead><tbody>\n",
          o);
    size_t rows = 0;
    for (size_t i = 0; i < m->n_ext && rows < 400; i++) {
        const struct rp_ext_list *x = &m->ext[i];
        const struct dfs_layout *l = NULL;
        /* the layout of the alt, from the newest instance of the lane that has it */
        size_t nd = dfs_decoder_device_count(p->dec);
        for (size_t k = 0; k < nd; k++) {
            struct dfs_device_info info;
            if (dfs_decoder_device_info(p->dec, k, &info) != DFS_OK || info.lane != x->lane)
                continue;
            if (dfs_decoder_dfu_info(p->dec, info.id, dfu) != DFS_OK || !dfu->present)
                continue;
            for (unsigned a = 0; a < dfu->n_alts; a++)
                if (dfu->alts[a].alt == x->alt && dfu->alts[a].layout_parsed)
                    l = &dfu->alts[a].layout;
        }
        char dev[64];
        rp_device_label(p->dec, x->lane, dev, sizeof dev);
        const char *result = x->status == RP_EXT_OK       ? "done"
                             : x->status == RP_EXT_FAILED ? "refused by the device"
                                                          : "sent, never confirmed";
        if (x->mass_erase) {
            fprintf(o, "<tr class=\"%s\"><td>", x->status == RP_EXT_OK ? "" : "bad");
            html_text(o, dev);
            fprintf(o, "</td><td>%u</td><td>mass erase</td><td>all</td><td></td><td>%s</td><td></td><td>", x->alt,
                    result);
            fprintf(o, "%" PRIu64 "</td></tr>\n", x->mass_frame);
            rows++;
        }
        for (size_t e = 0; e < x->n && rows < 400; e++, rows++) {
            const struct rp_extent *ex = &x->e[e];
            char a[24], b[24], sz[32];
            rp_addr(a, sizeof a, ex->start);
            rp_addr(b, sizeof b, ex->end - 1);
            rp_bytes(sz, sizeof sz, ex->end - ex->start);
            struct iv out[8];
            size_t nout = l && x->dfuse ? outside_parts(l, ex->start, ex->end, out, 8) : 0;
            fprintf(o, "<tr class=\"%s\"><td>", nout || x->status != RP_EXT_OK ? "bad" : "");
            html_text(o, dev);
            fprintf(o, "</td><td>%u</td><td>%s</td><td class=\"mono\">%s", x->alt, kind_verb(x->kind), a);
            if (!(x->kind == RP_EXT_ERASE && ex->end - ex->start <= 1))
                fprintf(o, "\xE2\x80\x93%s", b);
            bool lost = x->status == RP_EXT_UNCONFIRMED && lost_after(m, x->lane, ex->first_frame);
            fprintf(o, "</td><td>%s</td><td>%s</td><td>%s</td><td>",
                    x->kind == RP_EXT_ERASE && ex->end - ex->start <= 1 ? "page" : sz,
                    lost ? "sent; the device was lost right after" : result,
                    !x->dfuse ? "(image offset)" : !l ? "no layout" : nout ? "<strong>no: outside</strong>" : "yes");
            char fr[40];
            if (rp_frame_anchor(p, ex->first_frame, fr, sizeof fr))
                fprintf(o, "<a href=\"#%s\">%" PRIu64 "</a>", fr, ex->first_frame);
            else
                fprintf(o, "%" PRIu64, ex->first_frame);
            fputs("</td></tr>\n", o);
        }
    }
    fputs("</tbody></table>", o);
    if (rows >= 400)
        fputs("<p class=\"note\">Only the first 400 areas are listed.</p>", o);
    fputs("</details>\n", o);
    free(dfu);
}

void rp_write_memmap(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    fputs("<section id=\"memory\" aria-labelledby=\"h-mem\"><h2 id=\"h-mem\">Memory map</h2>\n", o);
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    if (!dfu) {
        fputs("</section>\n", o);
        return;
    }
    /* one figure per lane: DFU lanes with a layout, and lanes with accesses */
    uint32_t done[64];
    size_t nd = 0;
    int figno = 0;
    size_t n = dfs_decoder_device_count(p->dec);
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            struct dfs_device_info info;
            if (dfs_decoder_device_info(p->dec, i, &info) != DFS_OK)
                continue;
            if (m->filter && m->filter->active && !dev_filter_match(m->filter, info.bus, info.devnum, info.id))
                continue;
            bool seen = false;
            for (size_t k = 0; k < nd; k++)
                seen |= done[k] == info.lane;
            if (seen || nd == sizeof done / sizeof done[0])
                continue;
            bool has_ext = false;
            for (size_t k = 0; k < m->n_ext; k++)
                has_ext |= m->ext[k].lane == info.lane;
            bool is_dfu = dfs_decoder_dfu_info(p->dec, info.id, dfu) == DFS_OK && dfu->present && !dfu->runtime;
            /* first pass: the instance of the lane that carries the DFU interface and
             * its layouts (the newest one wins: look ahead) */
            if (pass == 0) {
                if (!is_dfu)
                    continue;
                bool later = false;
                for (size_t j = i + 1; j < n; j++) {
                    struct dfs_device_info nx;
                    struct dfs_dfu_info *d2 = malloc(sizeof *d2);
                    if (!d2)
                        break;
                    if (dfs_decoder_device_info(p->dec, j, &nx) == DFS_OK && nx.lane == info.lane &&
                        dfs_decoder_dfu_info(p->dec, nx.id, d2) == DFS_OK && d2->present && !d2->runtime &&
                        d2->n_alts >= dfu->n_alts)
                        later = true;
                    free(d2);
                    if (later)
                        break;
                }
                if (later)
                    continue;
                done[nd++] = info.lane;
                write_lane_map(p, info.lane, dfu, info.id, &figno);
            } else if (has_ext) {
                done[nd++] = info.lane;
                write_lane_map(p, info.lane, is_dfu ? dfu : NULL, info.id, &figno);
            }
        }
    if (!figno)
        fputs("<p>Nothing to draw: no DfuSe layout and no memory access in the capture.</p>\n", o);
    else
        write_access_table(p);
    free(dfu);
    fputs("</section>\n", o);
}
