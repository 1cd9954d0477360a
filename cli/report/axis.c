/* The timeline's broken time axis: long idle stretches are cut out (drawn
 * as breaks) and each stretch of activity gets a width from its share of
 * the time and of the activity. And the label rows of a lane, where labels
 * are placed so that they do not overlap. A leaf: it calls only words.c. */
#include <stdlib.h>
#include <string.h>

#include "axis.h"
#include "report.h"

#define W RP_TL_W
#define PX0 RP_TL_PX0
#define PX1 RP_TL_PX1
#define BRK_W RP_TL_BRK_W
#define MAX_BREAKS RP_TL_MAX_BREAKS
#define MAX_SEGS RP_TL_MAX_SEGS
#define MAX_LABELS RP_TL_MAX_LABELS

double rp_ax_x(const struct rp_axis *a, double t)
{
    if (!a->n)
        return PX0;
    if (t <= a->s[0].t0)
        return a->s[0].x0;
    for (size_t i = 0; i < a->n; i++) {
        const struct rp_seg *s = &a->s[i];
        if (t <= s->t1) {
            if (t < s->t0) {
                /* in the break before s */
                const struct rp_seg *p = &a->s[i - 1];
                return p->x1 + (s->x0 - p->x1) * (t - p->t1) / (s->t0 - p->t1);
            }
            double pad = s->x1 - s->x0 > 24 ? 6 : 0;
            if (s->t1 <= s->t0)
                return (s->x0 + s->x1) / 2;
            return s->x0 + pad + (s->x1 - s->x0 - 2 * pad) * (t - s->t0) / (s->t1 - s->t0);
        }
    }
    return a->s[a->n - 1].x1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct gap {
    double t0, t1;
};

static int cmp_gap_len(const void *a, const void *b)
{
    const struct gap *x = a, *y = b;
    double lx = x->t1 - x->t0, ly = y->t1 - y->t0;
    return lx > ly ? -1 : lx < ly;
}

static int cmp_gap_t(const void *a, const void *b)
{
    const struct gap *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* Build the broken time axis from the activity times. Each stretch gets a
 * width from its share of the time and of the activity, the one holding
 * `focus` (the verdict) twice that. */
void rp_ax_build(struct rp_axis *a, double *t, size_t n, double focus)
{
    memset(a, 0, sizeof *a);
    if (!n) {
        a->n = 1;
        a->s[0] = (struct rp_seg){0, 1, PX0, PX1};
        return;
    }
    qsort(t, n, sizeof *t, cmp_double);
    double span = t[n - 1] - t[0];
    double thr = span * 0.02 > 1.0 ? span * 0.02 : 1.0;
    struct gap g[MAX_BREAKS + 1];
    size_t ng = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (t[i + 1] - t[i] <= thr)
            continue;
        struct gap x = {t[i], t[i + 1]};
        if (ng < MAX_BREAKS + 1)
            g[ng++] = x;
        else
            g[MAX_BREAKS] = x;
        cli_sort(g, ng, sizeof *g, cmp_gap_len);
        if (ng > MAX_BREAKS)
            ng = MAX_BREAKS;
    }
    cli_sort(g, ng, sizeof *g, cmp_gap_t);
    double start = t[0];
    for (size_t i = 0; i < ng; i++) {
        a->s[a->n++] = (struct rp_seg){start, g[i].t0, 0, 0};
        start = g[i].t1;
    }
    a->s[a->n++] = (struct rp_seg){start, t[n - 1], 0, 0};
    /* weights */
    double wt[MAX_SEGS], wsum = 0, total = 0;
    size_t cnt[MAX_SEGS] = {0};
    for (size_t i = 0, k = 0; i < n; i++) {
        while (k + 1 < a->n && t[i] > a->s[k].t1)
            k++;
        cnt[k]++;
    }
    for (size_t i = 0; i < a->n; i++)
        total += a->s[i].t1 - a->s[i].t0;
    for (size_t i = 0; i < a->n; i++) {
        double d = a->s[i].t1 - a->s[i].t0;
        wt[i] = 0.5 * (total > 0 ? d / total : 1.0 / (double)a->n) + 0.5 * (double)cnt[i] / (double)n;
        if (focus >= a->s[i].t0 && focus <= a->s[i].t1)
            wt[i] *= 2;
        wsum += wt[i];
    }
    /* widths, at least minw each */
    double avail = (PX1 - PX0) - (double)ng * BRK_W;
    double minw = avail / (double)a->n < 90 ? avail / (double)a->n : 90;
    double w[MAX_SEGS];
    bool fixed[MAX_SEGS] = {false};
    for (int round = 0; round < MAX_SEGS; round++) {
        double free_w = avail, free_wt = 0;
        for (size_t i = 0; i < a->n; i++) {
            if (fixed[i])
                free_w -= minw;
            else
                free_wt += wt[i];
        }
        bool changed = false;
        for (size_t i = 0; i < a->n; i++) {
            if (fixed[i]) {
                w[i] = minw;
                continue;
            }
            w[i] = free_wt > 0 ? free_w * wt[i] / free_wt : free_w / (double)a->n;
            if (w[i] < minw) {
                fixed[i] = true;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    (void)wsum;
    double x = PX0;
    for (size_t i = 0; i < a->n; i++) {
        a->s[i].x0 = x;
        a->s[i].x1 = x + w[i];
        x += w[i] + BRK_W;
    }
}

/* "16.05 s", "52.3 ms" for a time on the axis, with digits for the step */
static void fmt_at(char *buf, size_t size, double t, double step)
{
    if (step >= 1 || t >= 100) {
        int dec = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
        snprintf(buf, size, "%.*f s", dec, t);
    } else if (t >= 1) {
        int dec = step >= 0.01 ? 2 : 3;
        snprintf(buf, size, "%.*f s", dec, t);
    } else {
        int dec = step >= 0.001 ? 0 : 1;
        snprintf(buf, size, "%.*f ms", dec, t * 1000);
    }
}

static double nice_step(double raw)
{
    double e = rp_pow10_below(raw);
    double f = raw / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

void rp_write_axis(FILE *o, const struct rp_axis *a, double y, double height)
{
    fprintf(o, "<g class=\"axis\" aria-hidden=\"true\">");
    for (size_t i = 0; i < a->n; i++) {
        const struct rp_seg *s = &a->s[i];
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", s->x0, y, s->x1, y);
        double d = s->t1 - s->t0;
        double width = s->x1 - s->x0;
        if (d <= 0) {
            char b[32];
            fmt_at(b, sizeof b, s->t0, 0.001);
            fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"muted\">%s</text>",
                    rp_ax_x(a, s->t0), y, rp_ax_x(a, s->t0), y + height, rp_ax_x(a, s->t0), y - 6, b);
            continue;
        }
        double step = nice_step(d / (width / 95 > 1 ? width / 95 : 1));
        double first = rp_ceil(s->t0 / step) * step;
        for (double t = first; t <= s->t1 + 1e-12; t += step) {
            double x = rp_ax_x(a, t);
            char b[32];
            fmt_at(b, sizeof b, t, step);
            fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"muted\">%s</text>",
                    x, y, x, y + height, x, y - 6, b);
        }
    }
    fputs("</g>", o);
    for (size_t i = 0; i + 1 < a->n; i++) {
        double x0 = a->s[i].x1, x1 = a->s[i + 1].x0;
        char d[32];
        rp_secs(d, sizeof d, a->s[i + 1].t0 - a->s[i].t1);
        fprintf(o, "<g class=\"brk\"><title>%s without activity, left out of the axis</title>"
                   "<rect class=\"break\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
                   "<path class=\"arrow\" d=\"M%.1f %.1f l4 -5 l4 10 l4 -10 l4 10 l4 -5\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"muted\">%s</text></g>",
                d, x0 + 2, y + 4, x1 - x0 - 4, height - 4, x0 + 7, y, (x0 + x1) / 2, y + 16, d);
    }
}

/* ---- labels that must not overlap ---------------------------------------------------------- */

/* A free label row for [x - width/2, x + width/2]: 0 or 1, -1 if none. */
int rp_label_room_at(struct rp_labels *l, double x, double width)
{
    double a = x - width / 2, b = x + width / 2;
    for (int row = 0; row < 2; row++) {
        bool free_row = true;
        for (size_t i = 0; i < l->n[row] && free_row; i++)
            if (a < l->x1[row][i] + 4 && b > l->x0[row][i] - 4)
                free_row = false;
        if (!free_row)
            continue;
        if (l->n[row] < MAX_LABELS) {
            l->x0[row][l->n[row]] = a;
            l->x1[row][l->n[row]] = b;
            l->n[row]++;
        }
        return row;
    }
    return -1;
}

/* The same, moving the label up to 36 px away from x when it does not fit;
 * *x is updated to the centre used. */
int rp_label_room_near(struct rp_labels *l, double *x, double width, bool only_right)
{
    static const double shift[] = {0, 12, -12, 24, -24, 36, -36};
    for (size_t i = 0; i < sizeof shift / sizeof shift[0]; i++) {
        if (only_right && shift[i] < 0)
            continue;
        double c = *x + shift[i];
        if (c - width / 2 < PX0 - 20 || c + width / 2 > W - 2)
            continue;
        int row = rp_label_room_at(l, c, width);
        if (row >= 0) {
            *x = c;
            return row;
        }
    }
    return -1;
}

double rp_label_y(int row)
{
    return row == 0 ? 13 : 25;
}
