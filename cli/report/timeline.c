/* The timeline: one lane per device (a re-enumerated device continues its
 * lane), DFU states as bands, each request as a tick, STALLs, errors, early
 * polls and lost devices as labelled marks, bwPollTimeout windows under the
 * band. Long idle stretches are cut out of the time axis (marked as breaks),
 * and above RP_EXACT_TXNS transactions the lanes are drawn from time buckets,
 * with notable transactions still drawn one by one (the time axis and the
 * label rows are axis.c's). Then the close-up: the transactions just before
 * the verdict, one box each. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../diag.h"
#include "axis.h"
#include "report.h"

#define W RP_TL_W
#define PX0 RP_TL_PX0
#define PX1 RP_TL_PX1
#define TOP 44.0
#define LH 100.0
/* inside a lane, from its top */
#define TICK_BASE 50.0 /* ticks stand on this line */
#define BAND_Y 52.0    /* DFU state band, 18 px */
#define POLL_Y 73.0    /* bwPollTimeout windows, 7 px */
#define DOT_Y 89.0     /* finding dots */

static void write_closeup(struct rp_page *p);

/* ---- what goes on a lane ----------------------------------------------------------------- */

struct lane_draw {
    uint32_t lane;
    const struct rp_lane *rl;
    double y;
    double lost_t;       /* < 0 if not lost */
    uint64_t lost_frame;
    size_t lost_finding; /* index + 1 */
    bool leave;          /* it left after a DfuSe leave request, as intended */
    struct rp_labels lab;
};

static void txn_title(FILE *o, const struct rp_model *m, const struct dfs_dfu_txn *t)
{
    char txn[400];
    dfs_dfu_txn_str(t, txn, sizeof txn);
    fprintf(o, "<title>");
    html_fmt(o, "frame %" PRIu64 ", %.6f s: %s%s", t->frame, rp_time(m, t->ts), txn,
             rp_row_is_early_poll(t) ? " (before bwPollTimeout had passed)" : "");
    fputs("</title>", o);
}

static const char *tick_class(uint8_t request)
{
    switch (rp_req_kind(request)) {
    case RP_REQ_DNLOAD: return "dn";
    case RP_REQ_UPLOAD: return "up";
    case RP_REQ_GETSTATUS: return "gs";
    default: return "other";
    }
}

static double tick_h(uint8_t request)
{
    switch (rp_req_kind(request)) {
    case RP_REQ_DNLOAD: return 22;
    case RP_REQ_UPLOAD: return 17;
    case RP_REQ_GETSTATUS: return 9;
    default: return 13;
    }
}

static void band(FILE *o, double x0, double x1, double y, uint8_t state, bool label)
{
    if (x1 - x0 < 0.3)
        return;
    const char *cls = rp_state_class(state);
    fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\"/>", cls, x0,
            y, x1 - x0);
    const char *pat = state == DFS_STATE_DNBUSY                                  ? "hatch"
                      : state == DFS_STATE_ERROR                                 ? "cross"
                      : state > DFS_STATE_ERROR || state == DFS_STATE_DNLOAD_SYNC ? "dots"
                                                                                 : NULL;
    if (pat)
        fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\"/>", pat,
                x0, y, x1 - x0);
    const char *name = state == DFS_STATE_UNKNOWN ? "unknown" : rp_state_short(state);
    if (label && x1 - x0 >= 7.0 * (double)strlen(name) + 6)
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                (x0 + x1) / 2, y + 13, name);
}

static void event_mark(FILE *o, struct lane_draw *ld, const char *cls, double x, const char *label,
                       const char *href, const char *title, uint64_t frame)
{
    double y = ld->y;
    fprintf(o, "<g class=\"ev %s\" data-frame=\"%" PRIu64 "\">", cls, frame);
    if (href)
        fprintf(o, "<a href=\"#%s\">", href);
    fputs("<title>", o);
    html_text(o, title);
    fputs("</title>", o);
    if (!strcmp(cls, "ev-stall") || !strcmp(cls, "ev-error"))
        fprintf(o, "<path d=\"M%.1f %.1f l8 8 m0 -8 l-8 8\"/>", x - 4, y + 29);
    else if (!strcmp(cls, "ev-early"))
        fprintf(o, "<path d=\"M%.1f %.1f l5 9 h-10 z\" style=\"fill:var(--warn)\"/>", x, y + 29);
    double tw = 6.2 * (double)strlen(label) + 4;
    double lx = x;
    int row = rp_label_room_near(&ld->lab, &lx, tw, false);
    if (row >= 0)
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", lx,
                y + rp_label_y(row), label);

    if (href)
        fputs("</a>", o);
    fputs("</g>", o);
}

static void draw_row_event(FILE *o, const struct rp_page *p, struct lane_draw *ld,
                           const struct rp_axis *a, const struct rp_row *r)
{
    const struct dfs_dfu_txn *t = &r->t;
    double x = rp_ax_x(a, rp_time(p->m, t->ts));
    char href[40], title[480], txn[400];
    snprintf(href, sizeof href, "f%" PRIu64, t->frame);
    dfs_dfu_txn_str(t, txn, sizeof txn);
    if (t->outcome == DFS_DFU_STALLED) {
        snprintf(title, sizeof title, "STALL at frame %" PRIu64 ": %s",
                 t->reply_frame ? t->reply_frame : t->frame, txn);
        event_mark(o, ld, "ev-stall", x, "STALL", href, title, t->reply_frame ? t->reply_frame : t->frame);
    } else if (t->outcome != DFS_DFU_ACK) {
        const char *l = t->outcome == DFS_DFU_NO_REPLY    ? "no reply"
                        : t->outcome == DFS_DFU_NO_DEVICE ? "no device"
                        : t->outcome == DFS_DFU_CANCELLED ? "cancelled"
                                                          : "bus error";
        snprintf(title, sizeof title, "%s at frame %" PRIu64 ": %s", l, t->frame, txn);
        event_mark(o, ld, "ev-error", x, l, href, title, t->frame);
    } else if (t->has_status && (t->bStatus || t->bState == DFS_STATE_ERROR)) {
        snprintf(title, sizeof title, "dfuERROR at frame %" PRIu64 ": %s", t->frame, txn);
        event_mark(o, ld, "ev-error", x, "dfuERROR", href, title, t->frame);
    } else if (rp_row_is_early_poll(t)) {
        snprintf(title, sizeof title,
                 "GETSTATUS at frame %" PRIu64 " sent %.1f ms after a bwPollTimeout of %u ms",
                 t->frame, (double)t->poll_wait_us / 1000.0, t->poll_asked_ms);
        event_mark(o, ld, "ev-early", x, "early poll", href, title, t->frame);
    }
}

static bool row_has_event(const struct rp_row *r)
{
    const struct dfs_dfu_txn *t = &r->t;
    return r->kind == RP_ROW_DFU &&
           (t->outcome != DFS_DFU_ACK || (t->has_status && (t->bStatus || t->bState == DFS_STATE_ERROR)) ||
            rp_row_is_early_poll(t));
}

static void poll_window(FILE *o, double x0, double x1, double y, bool early, uint64_t frame)
{
    if (x1 - x0 < 1)
        x1 = x0 + 1;
    fprintf(o, "<g class=\"pw%s\" data-frame=\"%" PRIu64 "\"><rect class=\"poll-win\" x=\"%.1f\" "
               "y=\"%.1f\" width=\"%.1f\" height=\"7\"/><line class=\"poll\" x1=\"%.1f\" y1=\"%.1f\" "
               "x2=\"%.1f\" y2=\"%.1f\"/></g>",
            early ? " early" : "", frame, x0, y, x1 - x0, x1, y - 2, x1, y + 9);
}

/* Exact drawing: every transaction of the lane. */
static void lane_exact(FILE *o, const struct rp_page *p, struct lane_draw *ld, const struct rp_axis *a)
{
    const struct rp_model *m = p->m;
    double y = ld->y;
    /* state bands, merged */
    bool open = false;
    double bx0 = 0;
    uint8_t bst = 0;
    uint32_t bdev = 0;
    const struct rp_row *last = NULL;
    fputs("<g class=\"bands\">", o);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->kind != RP_ROW_DFU || r->t.lane != ld->lane)
            continue;
        double x = rp_ax_x(a, rp_time(m, r->t.ts));
        if (open && (r->t.device != bdev || r->t.state_after != bst)) {
            if (r->t.device == bdev)
                band(o, bx0, x, y + BAND_Y, bst, true);
            else
                band(o, bx0, rp_ax_x(a, rp_time(m, last->t.reply_ts.sec ? last->t.reply_ts : last->t.ts)),
                     y + BAND_Y, bst, true);
            open = false;
        }
        if (!open) {
            open = true;
            bx0 = x;
            bst = r->t.state_after;
            bdev = r->t.device;
        }
        last = r;
    }
    if (open && last) {
        double end = m->end_t;
        if (ld->lost_t >= 0 && ld->lost_t >= rp_time(m, last->t.ts))
            end = ld->lost_t;
        else if (ld->lost_t >= 0)
            end = rp_time(m, last->t.reply_ts.sec ? last->t.reply_ts : last->t.ts);
        for (size_t k = 0; k < m->n_devev; k++) {
            const struct dfs_device_event *ev = &m->devev[k].ev;
            if (ev->change == DFS_DEV_GONE && ev->device == last->t.device &&
                m->devev[k].t >= rp_time(m, last->t.ts) && m->devev[k].t < end)
                end = rp_time(m, last->t.reply_ts.sec ? last->t.reply_ts : last->t.ts);
        }
        band(o, bx0, rp_ax_x(a, end), y + BAND_Y, bst, true);
    }
    fputs("</g>", o);
    /* poll windows */
    fputs("<g class=\"polls\">", o);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct dfs_dfu_txn *t = &p->rows[i]->t;
        if (p->rows[i]->kind != RP_ROW_DFU || t->lane != ld->lane)
            continue;
        if (t->has_status && t->bState == DFS_STATE_DNBUSY && t->poll_timeout_ms) {
            double t0 = rp_time(m, t->reply_ts.sec ? t->reply_ts : t->ts);
            poll_window(o, rp_ax_x(a, t0), rp_ax_x(a, t0 + t->poll_timeout_ms / 1000.0), y + POLL_Y, false,
                        t->frame);
        }
        if (rp_row_is_early_poll(t)) {
            double t1 = rp_time(m, t->ts);
            double t0 = t1 - (double)t->poll_wait_us / 1e6;
            poll_window(o, rp_ax_x(a, t0), rp_ax_x(a, t0 + t->poll_asked_ms / 1000.0), y + POLL_Y, true,
                        t->frame);
        }
    }
    fputs("</g>", o);
    /* ticks */
    fputs("<g class=\"ticks\">", o);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct dfs_dfu_txn *t = &p->rows[i]->t;
        if (p->rows[i]->kind != RP_ROW_DFU || t->lane != ld->lane)
            continue;
        double x = rp_ax_x(a, rp_time(m, t->ts));
        fprintf(o, "<a href=\"#f%" PRIu64 "\"><line class=\"tick tick-%s\" x1=\"%.1f\" y1=\"%.1f\" "
                   "x2=\"%.1f\" y2=\"%.1f\"/>",
                t->frame, tick_class(t->request), x, y + TICK_BASE - tick_h(t->request), x,
                y + TICK_BASE);
        txn_title(o, m, t);
        fputs("</a>", o);
    }
    fputs("</g>", o);
}

/* Aggregated drawing: one column per 2 px from the lane's time buckets. */
#define COLW 2.0
#define NCOLS ((size_t)((PX1 - PX0) / COLW) + 1)

struct col {
    uint32_t n[RP_NREQ];
    uint32_t failed, early;
    uint64_t f0, f1;
    float st[RP_NSTATES];
};

static void lane_buckets(FILE *o, const struct rp_page *p, struct lane_draw *ld, const struct rp_axis *a)
{
    const struct rp_model *m = p->m;
    const struct rp_lane *rl = ld->rl;
    size_t ncols = NCOLS;
    struct col *c = calloc(ncols, sizeof *c);
    if (!c)
        return;
    for (size_t k = 0; k < RP_BUCKETS; k++) {
        const struct rp_bucket *b = &rl->b[k];
        double t0 = (double)k * m->bw, t1 = t0 + m->bw;
        double x0 = rp_ax_x(a, t0), x1 = rp_ax_x(a, t1);
        size_t c0 = (size_t)((x0 - PX0) / COLW), c1 = (size_t)((x1 - PX0) / COLW);
        if (c0 >= ncols)
            c0 = ncols - 1;
        if (c1 >= ncols)
            c1 = ncols - 1;
        uint32_t nreq = b->n[0] + b->n[1] + b->n[2] + b->n[3];
        /* counts go to the column where the bucket starts; state time is spread */
        struct col *x = &c[c0];
        for (int r = 0; r < RP_NREQ; r++)
            x->n[r] += b->n[r];
        x->failed += b->failed;
        x->early += b->early;
        if (nreq) {
            if (!x->f0 || b->first_frame < x->f0)
                x->f0 = b->first_frame;
            if (b->last_frame > x->f1)
                x->f1 = b->last_frame;
        }
        for (size_t j = c0; j <= c1; j++)
            for (int s = 0; s < RP_NSTATES; s++)
                c[j].st[s] += b->state_s[s] / (float)(c1 - c0 + 1);
    }
    uint32_t nmax = 1;
    for (size_t j = 0; j < ncols; j++) {
        uint32_t n = c[j].n[0] + c[j].n[1] + c[j].n[2] + c[j].n[3];
        if (n > nmax)
            nmax = n;
    }
    double y = ld->y;
    /* bands: dominant state per column, merged */
    fputs("<g class=\"bands\">", o);
    int cur = -1;
    size_t start = 0;
    for (size_t j = 0; j <= ncols; j++) {
        int dom = -1;
        if (j < ncols) {
            float best = 0;
            for (int s = 0; s < RP_NSTATES; s++)
                if (c[j].st[s] > best) {
                    best = c[j].st[s];
                    dom = s;
                }
        }
        if (dom != cur) {
            if (cur >= 0)
                band(o, PX0 + (double)start * COLW, PX0 + (double)j * COLW, y + BAND_Y,
                     cur == RP_STATE_UNKNOWN ? DFS_STATE_UNKNOWN : (uint8_t)cur, true);
            cur = dom;
            start = j;
        }
    }
    fputs("</g><g class=\"bars\">", o);
    for (size_t j = 0; j < ncols; j++) {
        const struct col *x = &c[j];
        uint32_t n = x->n[0] + x->n[1] + x->n[2] + x->n[3];
        if (!n)
            continue;
        int dom = 0;
        for (int r = 1; r < RP_NREQ; r++)
            if (x->n[r] > x->n[dom])
                dom = r;
        static const char *const cls[RP_NREQ] = {"dn", "up", "gs", "other"};
        double h = 3 + 19 * rp_log2(1.0 + n) / rp_log2(1.0 + nmax);
        fprintf(o, "<rect class=\"bar-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                   "<title>",
                cls[dom], PX0 + (double)j * COLW, y + TICK_BASE - h, COLW, h);
        html_fmt(o, "frames %" PRIu64 "\xE2\x80\x93%" PRIu64 ": %u requests (%u DNLOAD, %u UPLOAD, %u GETSTATUS, %u other)%s",
                 x->f0, x->f1, n, x->n[0], x->n[1], x->n[2], x->n[3],
                 x->failed ? ", some failed" : "");
        fputs("</title></rect>", o);
    }
    fputs("</g>", o);
    free(c);
    /* early polls from the rows kept */
    fputs("<g class=\"polls\">", o);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct dfs_dfu_txn *t = &p->rows[i]->t;
        if (p->rows[i]->kind != RP_ROW_DFU || t->lane != ld->lane || !rp_row_is_early_poll(t))
            continue;
        double t1 = rp_time(m, t->ts);
        double t0 = t1 - (double)t->poll_wait_us / 1e6;
        poll_window(o, rp_ax_x(a, t0), rp_ax_x(a, t0 + t->poll_asked_ms / 1000.0), y + POLL_Y, true, t->frame);
    }
    fputs("</g>", o);
}

static void lane_events(FILE *o, const struct rp_page *p, struct lane_draw *ld, const struct rp_axis *a)
{
    const struct rp_model *m = p->m;
    double y = ld->y;
    char title[400], dev[64];
    /* the device lost: the strongest mark, placed first so its label wins */
    if (ld->lost_t >= 0) {
        const struct dfs_finding *f = &m->f[ld->lost_finding - 1];
        double x = rp_ax_x(a, ld->lost_t);
        double xe = rp_ax_x(a, m->end_t);
        /* after the loss: absent until the lane's next instance, or the end */
        double next_t = -1;
        for (size_t k = 0; k < m->n_devev; k++) {
            const struct rp_devev *d = &m->devev[k];
            if (d->ev.change == DFS_DEV_REENUMERATED && d->ev.lane == ld->lane && d->t > ld->lost_t &&
                (next_t < 0 || d->t < next_t))
                next_t = d->t;
        }
        fprintf(o, "<line class=\"absent\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
                y + BAND_Y + 9, next_t >= 0 ? rp_ax_x(a, next_t) : xe, y + BAND_Y + 9);
        snprintf(title, sizeof title, "%s at frame %" PRIu64 " (%s): %s",
                 ld->leave ? "Left the bus" : "Device lost", ld->lost_frame, f->id, f->title);
        fprintf(o, "<g class=\"ev %s\" data-frame=\"%" PRIu64 "\"><a href=\"#finding-%zu\"><title>",
                ld->leave ? "ev-leave" : "ev-lost", ld->lost_frame, ld->lost_finding);
        html_text(o, title);
        fprintf(o, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<path d=\"M%.1f %.1f l6 -9 h-12 z\"/>",
                x, y + 16, x, y + POLL_Y + 9, x, y + 25);
        const char *label = ld->leave ? "left (leave request)" : next_t >= 0 ? "device reset" : "device lost";
        double tw = 6.6 * (double)strlen(label) + 4;
        /* right of the line if there is room, else left of it */
        bool right = x + 4 + tw < W - 4;
        int row = rp_label_room_at(&ld->lab, right ? x + 4 + tw / 2 : x - 4 - tw / 2, tw);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text></a></g>",
                right ? x + 4 : x - 4, y + rp_label_y(row < 0 ? 0 : row), right ? "start" : "end", label);
        if (next_t < 0 && xe - x > 90 && !ld->leave) {
            char d[32];
            rp_secs(d, sizeof d, m->end_t - ld->lost_t);
            fprintf(o, "<text class=\"muted\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
                       "not back after %s</text>",
                    xe - 2, y + TICK_BASE - 3, d);
        }
    }
    /* device events of the lane */
    for (size_t k = 0; k < m->n_devev; k++) {
        const struct rp_devev *d = &m->devev[k];
        if (d->ev.lane != ld->lane)
            continue;
        double x = rp_ax_x(a, d->t);
        rp_device_label(p->dec, d->ev.device, dev, sizeof dev);
        if (d->ev.change == DFS_DEV_REENUMERATED) {
            char prev[64];
            rp_device_label(p->dec, d->ev.previous, prev, sizeof prev);
            snprintf(title, sizeof title, "Frame %" PRIu64 ": %s enumerated again as %s", d->ev.frame,
                     prev, dev);
            fprintf(o, "<g class=\"ev ev-back\" data-frame=\"%" PRIu64 "\"><title>", d->ev.frame);
            html_text(o, title);
            fprintf(o, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y + 16, x,
                    y + POLL_Y + 9);
            /* the address it ends up with (the event comes before SET_ADDRESS) */
            struct dfs_device_info now;
            uint8_t devnum = d->ev.devnum;
            for (size_t j = 0; j < dfs_decoder_device_count(p->dec); j++)
                if (dfs_decoder_device_info(p->dec, j, &now) == DFS_OK && now.id == d->ev.device)
                    devnum = now.devnum;
            char label[48];
            snprintf(label, sizeof label, "back as %u.%u", d->ev.bus, devnum);
            double tw = 6.2 * (double)strlen(label) + 4;
            double lc = x + tw / 2 + 2;
            int row = rp_label_room_near(&ld->lab, &lc, tw, true);
            if (row >= 0) {
                fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">", lc - tw / 2 + 2, y + rp_label_y(row));
                html_text(o, label);
                fputs("</text>", o);
            }
            fputs("</g>", o);
        } else if (d->ev.change == DFS_DEV_GONE) {
            snprintf(title, sizeof title, "Frame %" PRIu64 ": %s left the bus", d->ev.frame, dev);
            fprintf(o, "<g class=\"ev ev-gone\" data-frame=\"%" PRIu64 "\"><title>", d->ev.frame);
            html_text(o, title);
            fprintf(o, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y + 16, x,
                    y + POLL_Y + 9);
            double lc = x;
            int row = rp_label_room_near(&ld->lab, &lc, 70, false);
            if (row >= 0)
                fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">left the bus</text>",
                        lc, y + rp_label_y(row));
            fputs("</g>", o);
        }
    }
    /* failures and early polls, from the rows (all of them in exact mode) */
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->t.lane == ld->lane && row_has_event(r))
            draw_row_event(o, p, ld, a, r);
    }
    /* finding dots */
    for (size_t i = 0; i < m->n_f; i++) {
        const struct dfs_finding *f = &m->f[i];
        if (!f->device || rp_lane_of(m, f->device) != ld->lane)
            continue;
        double x = rp_ax_x(a, rp_frame_time(m, f->frame));
        fprintf(o, "<g class=\"ev ev-finding sev-%s\" data-id=\"", dfs_severity_name(f->severity));
        html_text(o, f->id);
        fprintf(o, "\"><a href=\"#finding-%zu\"><title>", i + 1);
        html_fmt(o, "%s at frame %" PRIu64 ": %s (%s)", dfs_severity_name(f->severity), f->frame,
                 f->title, f->id);
        fprintf(o, "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/></a></g>", x, y + DOT_Y);
    }
}

static void lane_label(FILE *o, const struct rp_page *p, const struct lane_draw *ld)
{
    /* the instances of the lane, in order */
    size_t n = dfs_decoder_device_count(p->dec);
    char names[160] = "";
    size_t len = 0;
    char vidpid[16] = "";
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(p->dec, i, &info) != DFS_OK || info.lane != ld->lane)
            continue;
        if (len + 16 < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%u.%u",
                                    len ? " \xE2\x86\x92 " : "", info.bus, info.devnum);
        if (!vidpid[0] && info.has_device_desc && info.device_desc_complete)
            snprintf(vidpid, sizeof vidpid, "%04x:%04x", info.desc.idVendor, info.desc.idProduct);
    }
    if (!len)
        snprintf(names, sizeof names, "device #%u", ld->lane);
    double y = ld->y;
    fputs("<g class=\"lane-label\">", o);
    fprintf(o, "<text x=\"8\" y=\"%.1f\" style=\"font-weight:700;font-size:12px\">", y + 24);
    html_text(o, names);
    fputs("</text>", o);
    if (vidpid[0])
        fprintf(o, "<text x=\"8\" y=\"%.1f\">%s</text>", y + 40, vidpid);
    fprintf(o, "<text x=\"8\" y=\"%.1f\" class=\"muted\">%" PRIu64 " transaction%s</text>", y + 56,
            ld->rl->n_txns, ld->rl->n_txns == 1 ? "" : "s");
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"muted\" text-anchor=\"end\">requests</text>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"muted\" text-anchor=\"end\">state</text>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"muted\" text-anchor=\"end\">poll wait</text>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"muted\" text-anchor=\"end\">findings</text>",
            PX0 - 6, y + TICK_BASE - 4, PX0 - 6, y + BAND_Y + 13, PX0 - 6, y + POLL_Y + 8, PX0 - 6,
            y + DOT_Y + 4);
    fputs("</g>", o);
}

static void legend(FILE *o, bool aggregated)
{
    static const uint8_t states[] = {DFS_STATE_DFU_IDLE,    DFS_STATE_DNLOAD_SYNC, DFS_STATE_DNBUSY,
                                     DFS_STATE_DNLOAD_IDLE, DFS_STATE_MANIFEST,    DFS_STATE_UPLOAD_IDLE,
                                     DFS_STATE_ERROR,       DFS_STATE_APP_IDLE,    DFS_STATE_UNKNOWN};
    fputs("<ul class=\"legend\" aria-label=\"Legend of the timeline\">", o);
    for (size_t i = 0; i < sizeof states; i++) {
        fputs("<li><svg width=\"26\" height=\"14\" aria-hidden=\"true\">", o);
        band(o, 0, 26, -2, states[i], false);
        fputs("</svg>", o);
        const char *n = states[i] == DFS_STATE_UNKNOWN ? "state unknown" : dfs_dfu_state_name(states[i]);
        fputs(n, o);
        fputs("</li>", o);
    }
    fputs("</ul><ul class=\"legend\">", o);
    static const char *const ticks[][2] = {{"dn", "DNLOAD (tall tick)"},
                                           {"up", "UPLOAD (medium)"},
                                           {"gs", "GETSTATUS (short)"},
                                           {"other", "other request"}};
    for (size_t i = 0; i < 4; i++)
        fprintf(o, "<li><svg width=\"10\" height=\"16\" aria-hidden=\"true\"><line class=\"tick tick-%s\" "
                   "x1=\"5\" y1=\"1\" x2=\"5\" y2=\"15\"/></svg>%s</li>",
                ticks[i][0], ticks[i][1]);
    fputs("<li><svg width=\"26\" height=\"12\" aria-hidden=\"true\"><g class=\"pw\"><rect class=\"poll-win\" "
          "x=\"1\" y=\"2\" width=\"22\" height=\"7\"/><line class=\"poll\" x1=\"23\" y1=\"0\" x2=\"23\" "
          "y2=\"11\"/></g></svg>bwPollTimeout window</li>"
          "<li><svg width=\"26\" height=\"12\" aria-hidden=\"true\"><g class=\"pw early\"><rect class=\"poll-win\" "
          "x=\"1\" y=\"2\" width=\"22\" height=\"7\"/><line class=\"poll\" x1=\"23\" y1=\"0\" x2=\"23\" "
          "y2=\"11\"/></g></svg>window a GETSTATUS did not wait out (\xE2\x96\xB2 early poll)</li>"
          "<li><svg width=\"14\" height=\"14\" aria-hidden=\"true\" class=\"ev-stall\"><g class=\"ev-stall\">"
          "<path d=\"M3 3 l8 8 m0 -8 l-8 8\"/></g></svg>STALL or error</li>"
          "<li><svg width=\"14\" height=\"16\" aria-hidden=\"true\"><g class=\"ev-lost\"><line x1=\"7\" y1=\"0\" "
          "x2=\"7\" y2=\"16\"/><path d=\"M7 9 l6 -9 h-12 z\"/></g></svg>device lost</li>"
          "<li><svg width=\"40\" height=\"8\" aria-hidden=\"true\"><line class=\"absent\" x1=\"0\" y1=\"4\" "
          "x2=\"40\" y2=\"4\"/></svg>device absent</li>"
          "<li><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><g class=\"sev-error\"><circle cx=\"5\" "
          "cy=\"5\" r=\"4\"/></g></svg>finding (error, warning, note)</li>",
          o);
    if (aggregated)
        fputs("<li>Dense stretches: one bar per 2 pixels, its height the number of requests "
              "(logarithmic), the band the state the device spent most time in</li>",
              o);
    fputs("</ul>\n", o);
}

void rp_write_timeline(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    fputs("<section id=\"timeline\" aria-labelledby=\"h-tl\"><h2 id=\"h-tl\">Timeline</h2>\n", o);
    /* lanes with DFU transactions, in order of their first appearance */
    struct lane_draw *ld = calloc(RP_MAX_LANES, sizeof *ld);
    size_t nl = 0;
    if (!ld) {
        fputs("</section>\n", o);
        return;
    }
    for (size_t i = 0; i < m->n_lanes; i++) {
        if (!m->lanes[i].n_txns)
            continue;
        struct lane_draw *d = &ld[nl++];
        d->lane = m->lanes[i].lane;
        d->rl = &m->lanes[i];
        d->lost_t = -1;
        for (int leave = 0; leave < 2 && d->lost_t < 0; leave++)
            for (size_t k = 0; k < m->n_f; k++) {
                const struct dfs_finding *f = &m->f[k];
                bool match = leave ? f->code == DFS_F_DFUSE_LEAVE_RESET : rp_finding_is_loss(f);
                if (match && rp_lane_of(m, f->device) == d->lane &&
                    (d->lost_t < 0 || rp_frame_time(m, f->frame) < d->lost_t)) {
                    d->lost_t = rp_frame_time(m, f->frame);
                    d->lost_frame = f->frame;
                    d->lost_finding = k + 1;
                    d->leave = leave;
                }
            }
    }
    if (!nl) {
        fputs("<p>No DFU transactions to draw.</p>\n", o);
        write_closeup(p);
        fputs("</section>\n", o);
        free(ld);
        return;
    }
    bool exact = rp_rows_complete(m) && m->n_dfu <= RP_EXACT_TXNS;
    /* activity times, for the axis */
    size_t cap = 16 + (exact ? 2 * p->n_rows : RP_BUCKETS * nl) + m->n_devev + m->n_f + p->n_rows;
    double *t = malloc(cap * sizeof *t);
    size_t nt = 0;
    if (!t) {
        free(ld);
        fputs("</section>\n", o);
        return;
    }
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->kind != RP_ROW_DFU || !rp_lane_find(m, r->t.lane))
            continue;
        if (exact || r->notable) {
            t[nt++] = rp_time(m, r->t.ts);
            if (r->t.has_status && r->t.poll_timeout_ms && r->t.bState == DFS_STATE_DNBUSY)
                t[nt++] = rp_time(m, r->t.reply_ts.sec ? r->t.reply_ts : r->t.ts) +
                          r->t.poll_timeout_ms / 1000.0;
        }
    }
    if (!exact)
        for (size_t i = 0; i < nl; i++)
            for (size_t k = 0; k < RP_BUCKETS; k++) {
                const struct rp_bucket *b = &ld[i].rl->b[k];
                if (b->n[0] + b->n[1] + b->n[2] + b->n[3])
                    t[nt++] = ((double)k + 0.5) * m->bw;
            }
    for (size_t k = 0; k < m->n_devev; k++)
        for (size_t i = 0; i < nl; i++)
            if (m->devev[k].ev.lane == ld[i].lane && m->devev[k].ev.change != DFS_DEV_NEW)
                t[nt++] = m->devev[k].t;
    for (size_t i = 0; i < nl; i++)
        if (ld[i].lost_t >= 0)
            t[nt++] = ld[i].lost_t;
    t[nt++] = m->end_t;
    double focus = -1;
    if (m->n_f && m->f[0].severity > DFS_SEV_NOTE)
        focus = rp_frame_time(m, m->f[0].frame);
    struct rp_axis a;
    rp_ax_build(&a, t, nt, focus);
    free(t);

    double height = TOP + (double)nl * LH + 8;
    fprintf(o, "<figure><svg class=\"chart timeline%s\" role=\"img\" aria-labelledby=\"tl-title tl-desc\" "
               "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">",
            exact ? "" : " aggregated", W, height, W, height);
    fputs("<title id=\"tl-title\">Timeline of the session, one lane per device</title><desc id=\"tl-desc\">", o);
    for (size_t i = 0; i < nl; i++) {
        char dev[64];
        rp_device_label(p->dec, ld[i].lane, dev, sizeof dev);
        html_fmt(o, "Lane of device %s: %" PRIu64 " DFU transactions, %" PRIu64 " failed. ", dev,
                 ld[i].rl->n_txns, ld[i].rl->n_failed);
        if (ld[i].lost_t >= 0)
            html_fmt(o, "The device %s at frame %" PRIu64 ", %.3f s into the capture. ",
                     ld[i].leave ? "left the bus after the DfuSe leave request" : "was lost",
                     ld[i].lost_frame, ld[i].lost_t);
    }
    for (size_t i = 0; i + 1 < a.n; i++)
        html_fmt(o, "The axis leaves out %.1f s without activity after %.3f s. ", a.s[i + 1].t0 - a.s[i].t1,
                 a.s[i].t1);
    fputs("</desc>", o);
    rp_write_axis(o, &a, TOP - 14, (double)nl * LH + 14);
    for (size_t i = 0; i < nl; i++) {
        struct lane_draw *d = &ld[i];
        d->y = TOP + (double)i * LH;
        fprintf(o, "<g class=\"lane\" data-lane=\"%u\">", d->lane);
        fprintf(o, "<rect class=\"lane-bg\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\"/>", d->y + 2,
                W, LH - 4);
        lane_label(o, p, d);
        if (exact)
            lane_exact(o, p, d, &a);
        else
            lane_buckets(o, p, d, &a);
        lane_events(o, p, d, &a);
        fputs("</g>", o);
    }
    fputs("</svg>", o);
    fprintf(o, "<figcaption>Time runs left to right, in seconds from the first record; "
               "idle stretches longer than a second are cut out (zigzag). %s "
               "Each mark links to its row in the transaction table.</figcaption>",
            exact ? "Every DFU request is a tick."
                  : "The session is dense, so requests are aggregated into columns; STALLs, "
                    "errors and early polls are still marked one by one.");
    if (m->txns_without_lane)
        fprintf(o, "<p class=\"note\">%" PRIu64 " DFU transactions of further devices are not drawn: "
                   "the timeline shows the first %d devices (use --device to pick one).</p>",
                m->txns_without_lane, RP_MAX_LANES);
    legend(o, !exact);
    fputs("</figure>\n", o);
    free(ld);
    write_closeup(p);
    fputs("</section>\n", o);
}

/* ---- the close-up ------------------------------------------------------------------------------- */

#define STEP_W 94.0
#define STEP_GAP 14.0
#define MAX_STEPS 10

static void step_text(const struct dfs_dfu_txn *t, char *l1, char *l2, char *l3, size_t size)
{
    const char *rn = dfs_dfu_request_name(t->request);
    snprintf(l1, size, "%s", rn ? rn : "?");
    l2[0] = '\0';
    bool data = false;
    if (t->request == DFS_DFU_DNLOAD) {
        if (t->cmd == DFS_DFUSE_SET_ADDRESS)
            snprintf(l1, size, "SET ADDRESS");
        else if (t->cmd == DFS_DFUSE_ERASE)
            snprintf(l1, size, t->mass_erase ? "MASS ERASE" : "ERASE");
        else if (t->cmd == DFS_DFUSE_READ_UNPROTECT)
            snprintf(l1, size, "UNPROTECT");
        else if (t->wLength == 0)
            snprintf(l1, size, t->dfuse ? "LEAVE" : "DNLOAD end");
        else
            data = true;
        if (t->has_address)
            snprintf(l2, size, "0x%08x", t->address);
        else if (data)
            snprintf(l2, size, "block %u", t->wValue);
    } else if (t->request == DFS_DFU_UPLOAD) {
        data = true;
        if (t->has_address)
            snprintf(l2, size, "0x%08x", t->address);
        else
            snprintf(l2, size, "block %u", t->wValue);
    }
    char r[32];
    switch (t->outcome) {
    case DFS_DFU_STALLED: snprintf(r, sizeof r, "STALL"); break;
    case DFS_DFU_NO_REPLY: snprintf(r, sizeof r, "no reply"); break;
    case DFS_DFU_NO_DEVICE: snprintf(r, sizeof r, "no device"); break;
    case DFS_DFU_CANCELLED: snprintf(r, sizeof r, "cancelled"); break;
    case DFS_DFU_BUS_ERROR: snprintf(r, sizeof r, "bus error"); break;
    case DFS_DFU_ACK:
        if (t->has_status && t->bStatus)
            snprintf(r, sizeof r, "%s",
                     dfs_dfu_status_name(t->bStatus) ? dfs_dfu_status_name(t->bStatus) : "error");
        else if (t->has_status && t->bState == DFS_STATE_DNBUSY)
            snprintf(r, sizeof r, "BUSY %u ms", t->poll_timeout_ms);
        else if (t->has_status || t->has_state)
            snprintf(r, sizeof r, "%s", rp_state_short(t->bState));
        else
            snprintf(r, sizeof r, "ACK");
        break;
    }
    if (data && t->outcome == DFS_DFU_ACK)
        snprintf(l3, size, "%u B", t->request == DFS_DFU_UPLOAD ? t->length : t->wLength);
    else if (data)
        snprintf(l3, size, "%u B %s", t->wLength, r);
    else
        snprintf(l3, size, "%s", r);
}

static void write_closeup(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    const struct dfs_finding *v = m->n_f ? &m->f[0] : NULL;
    if (!v || v->severity == DFS_SEV_NOTE || !v->device)
        return;
    uint32_t lane = rp_lane_of(m, v->device);
    /* the row the verdict is about: the last DFU row of its lane at or before its frame */
    size_t anchor = SIZE_MAX;
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->kind == RP_ROW_DFU && r->t.lane == lane && r->t.frame <= v->frame)
            anchor = i;
    }
    if (anchor == SIZE_MAX)
        return;
    const struct dfs_finding *loss = NULL;
    for (size_t k = 0; k < m->n_f; k++)
        if (rp_finding_is_loss(&m->f[k]) && rp_lane_of(m, m->f[k].device) == lane) {
            loss = &m->f[k];
            break;
        }
    size_t idx[MAX_STEPS];
    size_t n = 0;
    size_t after_max = 2, before_max = MAX_STEPS - after_max - (loss ? 2 : 1);
    for (size_t i = anchor + 1; i-- > 0 && n < before_max + 1;) {
        const struct rp_row *r = p->rows[i];
        if (r->kind == RP_ROW_DFU && r->t.lane == lane)
            idx[n++] = i;
    }
    /* reverse into time order */
    for (size_t i = 0; i < n / 2; i++) {
        size_t x = idx[i];
        idx[i] = idx[n - 1 - i];
        idx[n - 1 - i] = x;
    }
    size_t added = 0;
    uint32_t instance = p->rows[anchor]->t.device;
    for (size_t i = anchor + 1; i < p->n_rows && added < after_max; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->kind == RP_ROW_DFU && r->t.device == instance) {
            idx[n++] = i;
            added++;
        }
    }
    /* re-enumeration right after the loss */
    const struct rp_devev *back = NULL;
    if (loss)
        for (size_t k = 0; k < m->n_devev; k++)
            if (m->devev[k].ev.change == DFS_DEV_REENUMERATED && m->devev[k].ev.lane == lane &&
                m->devev[k].ev.frame > loss->frame) {
                back = &m->devev[k];
                break;
            }
    size_t nsteps = n + (loss ? 1 : 0);
    double width = 20 + (double)nsteps * (STEP_W + STEP_GAP);
    if (width < 400)
        width = 400;
    double h = 96;
    char dev[64];
    rp_device_label(p->dec, v->device, dev, sizeof dev);
    fputs("<h3 id=\"closeup-h\">Just before the verdict</h3>\n", o);
    fprintf(o, "<figure><svg class=\"chart closeup\" role=\"img\" aria-labelledby=\"cu-title cu-desc\" "
               "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">",
            width, h, width, h);
    fputs("<title id=\"cu-title\">The DFU requests of device ", o);
    html_text(o, dev);
    fputs(" that lead to the verdict</title><desc id=\"cu-desc\">", o);
    for (size_t i = 0; i < n; i++) {
        char l1[48], l2[48], l3[48];
        step_text(&p->rows[idx[i]]->t, l1, l2, l3, sizeof l1);
        html_fmt(o, "%sframe %" PRIu64 " %s %s: %s", i ? "; " : "", p->rows[idx[i]]->t.frame, l1, l2, l3);
    }
    if (loss)
        html_fmt(o, "; then the device was lost%s.", back ? " and came back" : "");
    fputs("</desc>", o);
    double x = 10;
    for (size_t i = 0; i < n; i++) {
        const struct rp_row *r = p->rows[idx[i]];
        const struct dfs_dfu_txn *t = &r->t;
        char l1[48], l2[48], l3[48];
        step_text(t, l1, l2, l3, sizeof l1);
        bool bad = t->outcome != DFS_DFU_ACK || (t->has_status && t->bStatus);
        bool warn = !bad && rp_row_is_early_poll(t);
        if (i && r->seq != p->rows[idx[i - 1]]->seq + 1) {
            /* rows left out between two steps */
            fprintf(o, "<text x=\"%.1f\" y=\"44\" text-anchor=\"middle\" class=\"muted\">\xE2\x80\xA6</text>",
                    x - STEP_GAP / 2);
        }
        fprintf(o, "<g class=\"step%s\" data-frame=\"%" PRIu64 "\"><a href=\"#f%" PRIu64 "\">",
                bad ? " bad" : warn ? " warn" : "", t->frame, t->frame);
        txn_title(o, m, t);
        fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"14\" width=\"%.1f\" height=\"60\" rx=\"5\"/>",
                rp_state_class(t->state_after), x, STEP_W);
        fprintf(o, "<text x=\"%.1f\" y=\"30\" text-anchor=\"middle\" style=\"font-weight:700\">", x + STEP_W / 2);
        html_text(o, l1);
        fprintf(o, "</text><text class=\"sub\" x=\"%.1f\" y=\"45\" text-anchor=\"middle\">", x + STEP_W / 2);
        html_text(o, l2);
        fprintf(o, "</text><text x=\"%.1f\" y=\"62\" text-anchor=\"middle\"%s>", x + STEP_W / 2,
                bad ? " style=\"font-weight:700;fill:var(--err)\"" : "");
        html_text(o, l3);
        fprintf(o, "</text><text class=\"muted\" x=\"%.1f\" y=\"88\" text-anchor=\"middle\">frame %" PRIu64
                   "</text></a></g>",
                x + STEP_W / 2, t->frame);
        if (i + 1 < nsteps)
            fprintf(o, "<path class=\"arrow\" d=\"M%.1f 44 h%.1f m-4 -4 l4 4 l-4 4\"/>", x + STEP_W + 2,
                    STEP_GAP - 4);
        x += STEP_W + STEP_GAP;
    }
    if (loss) {
        size_t fi = (size_t)(loss - m->f) + 1;
        fprintf(o, "<g class=\"terminal\" data-frame=\"%" PRIu64 "\"><a href=\"#finding-%zu\"><title>", loss->frame,
                fi);
        html_text(o, loss->title);
        fprintf(o, "</title><rect x=\"%.1f\" y=\"14\" width=\"%.1f\" height=\"60\" rx=\"5\"/>", x, STEP_W);
        fprintf(o, "<text x=\"%.1f\" y=\"36\" text-anchor=\"middle\">DEVICE</text>"
                   "<text x=\"%.1f\" y=\"52\" text-anchor=\"middle\">%s</text>",
                x + STEP_W / 2, x + STEP_W / 2, back ? "RESET" : "LOST");
        if (back) {
            char d[32];
            rp_secs(d, sizeof d, back->t - rp_frame_time(m, loss->frame));
            fprintf(o, "<text class=\"sub\" x=\"%.1f\" y=\"67\" text-anchor=\"middle\">back after ", x + STEP_W / 2);
            html_text(o, d);
            fputs("</text>", o);
        } else {
            fprintf(o, "<text class=\"sub\" x=\"%.1f\" y=\"67\" text-anchor=\"middle\">not back</text>",
                    x + STEP_W / 2);
        }
        fputs("</a></g>", o);
    }
    fputs("</svg><figcaption>", o);
    html_fmt(o, "The last DFU requests of device %s up to frame %" PRIu64
                " and just after; the fill is the state each request left the device in.",
             dev, v->frame);
    fputs("</figcaption></figure>\n", o);
}

