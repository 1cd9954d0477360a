/* The report's model: a sink that keeps what the page needs, in bounded
 * memory however long the capture is. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct rp_model *rp_model_new(struct dev_filter *filter)
{
    struct rp_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->filter = filter;
    m->bw = 0.001;
    m->ti_stride = 1;
    host_init(&m->host);
    m->head = calloc(RP_HEAD_ROWS, sizeof *m->head);
    m->tail = calloc(RP_TAIL_ROWS, sizeof *m->tail);
    m->kept = calloc(RP_KEPT_ROWS, sizeof *m->kept);
    m->ti = calloc(RP_TIME_INDEX, sizeof *m->ti);
    m->devev = calloc(RP_MAX_DEVEVENTS, sizeof *m->devev);
    m->f = calloc(RP_MAX_FINDINGS, sizeof *m->f);
    if (!m->head || !m->tail || !m->kept || !m->ti || !m->devev || !m->f) {
        rp_model_free(m);
        return NULL;
    }
    return m;
}

void rp_model_free(struct rp_model *m)
{
    if (!m)
        return;
    free(m->head);
    free(m->tail);
    free(m->kept);
    free(m->ti);
    free(m->devev);
    free(m->f);
    free(m->dev_lane);
    for (size_t i = 0; i < m->n_lanes; i++)
        free(m->lanes[i].b);
    for (size_t i = 0; i < m->n_ext; i++)
        free(m->ext[i].e);
    free(m);
}

/* ---- time ------------------------------------------------------------------------- */

double rp_time(const struct rp_model *m, struct dfs_time ts)
{
    if (!m->have_start)
        return 0;
    return ((double)ts.sec - (double)m->start.sec) + ((double)ts.nsec - (double)m->start.nsec) / 1e9;
}

static void time_sample(struct rp_model *m, uint64_t frame, double t)
{
    if (m->ti_n && frame < m->ti[m->ti_n - 1].frame + m->ti_stride)
        return;
    if (m->ti_n == RP_TIME_INDEX) {
        /* keep every other sample: resolution halves, memory stays */
        size_t k = 0;
        for (size_t i = 0; i < m->ti_n; i += 2)
            m->ti[k++] = m->ti[i];
        m->ti_n = k;
        m->ti_stride *= 2;
    }
    m->ti[m->ti_n].frame = frame;
    m->ti[m->ti_n].t = t;
    m->ti_n++;
}

double rp_frame_time(const struct rp_model *m, uint64_t frame)
{
    if (!m->ti_n)
        return 0;
    size_t lo = 0, hi = m->ti_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ti[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->ti_n && m->ti[lo].frame == frame)
        return m->ti[lo].t;
    if (lo == 0)
        return m->ti[0].t;
    if (lo == m->ti_n)
        return m->ti[m->ti_n - 1].t;
    const struct rp_time_sample *a = &m->ti[lo - 1], *b = &m->ti[lo];
    return a->t + (b->t - a->t) * (double)(frame - a->frame) / (double)(b->frame - a->frame);
}

/* ---- lanes ------------------------------------------------------------------------- */

uint32_t rp_lane_of(const struct rp_model *m, uint32_t device)
{
    if (device < m->dev_lane_cap && m->dev_lane[device])
        return m->dev_lane[device];
    return device;
}

static void set_lane(struct rp_model *m, uint32_t device, uint32_t lane)
{
    if (device >= (1u << 22))
        return;
    if (device >= m->dev_lane_cap) {
        size_t ncap = m->dev_lane_cap ? m->dev_lane_cap : 64;
        while (ncap <= device)
            ncap *= 2;
        uint32_t *n = realloc(m->dev_lane, ncap * sizeof *n);
        if (!n) {
            m->oom = true;
            return;
        }
        memset(n + m->dev_lane_cap, 0, (ncap - m->dev_lane_cap) * sizeof *n);
        m->dev_lane = n;
        m->dev_lane_cap = ncap;
    }
    m->dev_lane[device] = lane;
}

const struct rp_lane *rp_lane_find(const struct rp_model *m, uint32_t lane)
{
    for (size_t i = 0; i < m->n_lanes; i++)
        if (m->lanes[i].lane == lane)
            return &m->lanes[i];
    return NULL;
}

static struct rp_lane *lane_get(struct rp_model *m, uint32_t lane)
{
    for (size_t i = 0; i < m->n_lanes; i++)
        if (m->lanes[i].lane == lane)
            return &m->lanes[i];
    if (m->n_lanes == RP_MAX_LANES)
        return NULL;
    struct rp_bucket *b = calloc(RP_BUCKETS, sizeof *b);
    if (!b) {
        m->oom = true;
        return NULL;
    }
    struct rp_lane *l = &m->lanes[m->n_lanes++];
    memset(l, 0, sizeof *l);
    l->lane = lane;
    l->b = b;
    return l;
}

/* Double the bucket width until t fits (all lanes share the columns). */
static void buckets_fit(struct rp_model *m, double t)
{
    while (t >= m->bw * RP_BUCKETS) {
        for (size_t i = 0; i < m->n_lanes; i++) {
            struct rp_bucket *b = m->lanes[i].b;
            for (size_t k = 0; k < RP_BUCKETS / 2; k++) {
                struct rp_bucket x = b[2 * k], y = b[2 * k + 1];
                for (int r = 0; r < RP_NREQ; r++)
                    x.n[r] += y.n[r];
                x.failed += y.failed;
                x.early += y.early;
                if (!x.first_frame || (y.first_frame && y.first_frame < x.first_frame))
                    x.first_frame = y.first_frame;
                if (y.last_frame > x.last_frame)
                    x.last_frame = y.last_frame;
                for (int s = 0; s < RP_NSTATES; s++)
                    x.state_s[s] += y.state_s[s];
                b[k] = x;
            }
            memset(b + RP_BUCKETS / 2, 0, RP_BUCKETS / 2 * sizeof *b);
        }
        m->bw *= 2;
    }
}

static size_t bucket_of(const struct rp_model *m, double t)
{
    if (t <= 0)
        return 0;
    size_t k = (size_t)(t / m->bw);
    return k < RP_BUCKETS ? k : RP_BUCKETS - 1;
}

/* Time from prev_t to t spent in state */
static void add_state_time(struct rp_model *m, struct rp_lane *l, double from, double to,
                           uint8_t state)
{
    if (to <= from)
        return;
    int s = state <= DFS_STATE_ERROR ? state : RP_STATE_UNKNOWN;
    buckets_fit(m, to);
    size_t a = bucket_of(m, from), b = bucket_of(m, to);
    for (size_t k = a; k <= b; k++) {
        double lo = (double)k * m->bw, hi = lo + m->bw;
        double x = from > lo ? from : lo, y = to < hi ? to : hi;
        if (y > x)
            l->b[k].state_s[s] += (float)(y - x);
    }
}

enum rp_req_kind rp_req_kind(uint8_t request)
{
    switch (request) {
    case DFS_DFU_DNLOAD: return RP_REQ_DNLOAD;
    case DFS_DFU_UPLOAD: return RP_REQ_UPLOAD;
    case DFS_DFU_GETSTATUS: return RP_REQ_GETSTATUS;
    default: return RP_REQ_OTHER;
    }
}

bool rp_row_is_early_poll(const struct dfs_dfu_txn *t)
{
    return t->request == DFS_DFU_GETSTATUS && t->poll_wait_us >= 0 &&
           t->poll_wait_us < (int64_t)t->poll_asked_ms * 1000;
}

static void lane_txn(struct rp_model *m, const struct dfs_dfu_txn *t)
{
    struct rp_lane *l = lane_get(m, t->lane);
    if (!l) {
        m->txns_without_lane++;
        return;
    }
    double t0 = rp_time(m, t->ts);
    if (t0 < 0)
        t0 = 0;
    buckets_fit(m, t0);
    if (l->have_prev && l->prev_device == t->device)
        add_state_time(m, l, l->prev_t, t0, l->prev_state);
    struct rp_bucket *b = &l->b[bucket_of(m, t0)];
    b->n[rp_req_kind(t->request)]++;
    if (t->outcome != DFS_DFU_ACK)
        b->failed++;
    if (rp_row_is_early_poll(t))
        b->early++;
    if (!b->first_frame || t->frame < b->first_frame)
        b->first_frame = t->frame;
    if (t->frame > b->last_frame)
        b->last_frame = t->frame;
    if (!l->n_txns)
        l->first_t = t0;
    l->last_t = t0;
    l->n_txns++;
    l->n_failed += t->outcome != DFS_DFU_ACK;
    l->have_prev = true;
    l->prev_t = t0;
    l->prev_device = t->device;
    l->prev_state = t->state_after;
}

/* ---- rows ---------------------------------------------------------------------------- */

static void keep_row(struct rp_model *m, const struct rp_row *r)
{
    if (r->seq <= m->last_kept_seq && m->n_kept)
        return;
    if (m->n_kept == RP_KEPT_ROWS) {
        m->kept_missed++;
        return;
    }
    m->kept[m->n_kept++] = *r;
    m->last_kept_seq = r->seq;
}

static const struct rp_row *tail_at(const struct rp_model *m, size_t back)
{
    /* back = 0: the newest */
    if (back >= m->n_tail)
        return NULL;
    size_t i = (m->tail_pos + RP_TAIL_ROWS - 1 - back) % RP_TAIL_ROWS;
    return &m->tail[i];
}

static void add_row(struct rp_model *m, struct rp_row *r)
{
    r->seq = ++m->seq;
    if (m->n_head < RP_HEAD_ROWS)
        m->head[m->n_head++] = *r;
    if (r->notable) {
        /* the rows just before it, then it */
        for (size_t back = RP_CONTEXT_ROWS; back-- > 0;) {
            const struct rp_row *p = tail_at(m, back);
            if (p)
                keep_row(m, p);
        }
        keep_row(m, r);
        m->after = RP_CONTEXT_ROWS;
    } else if (m->after) {
        keep_row(m, r);
        m->after--;
    }
    m->tail[m->tail_pos] = *r;
    m->tail_pos = (m->tail_pos + 1) % RP_TAIL_ROWS;
    if (m->n_tail < RP_TAIL_ROWS)
        m->n_tail++;
}

static int cmp_row_seq(const void *a, const void *b)
{
    const struct rp_row *x = *(const struct rp_row *const *)a, *y = *(const struct rp_row *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

const struct rp_row **rp_rows(const struct rp_model *m, size_t *n)
{
    size_t total = m->n_head + m->n_tail + m->n_kept;
    const struct rp_row **v = malloc((total ? total : 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < m->n_head; i++)
        v[k++] = &m->head[i];
    for (size_t i = 0; i < m->n_kept; i++)
        v[k++] = &m->kept[i];
    for (size_t i = 0; i < m->n_tail; i++)
        v[k++] = &m->tail[i];
    qsort(v, k, sizeof *v, cmp_row_seq);
    size_t o = 0;
    for (size_t i = 0; i < k; i++)
        if (!o || v[o - 1]->seq != v[i]->seq)
            v[o++] = v[i];
    *n = o;
    return v;
}

bool rp_rows_complete(const struct rp_model *m)
{
    return m->seq <= RP_HEAD_ROWS || m->seq <= (uint64_t)m->n_head + RP_TAIL_ROWS;
}

/* ---- memory extents ---------------------------------------------------------------------- */

static struct rp_ext_list *ext_list(struct rp_model *m, uint32_t lane, uint8_t alt, bool dfuse,
                                    uint8_t kind, uint8_t status)
{
    for (size_t i = 0; i < m->n_ext; i++) {
        struct rp_ext_list *x = &m->ext[i];
        if (x->lane == lane && x->alt == alt && x->dfuse == dfuse && x->kind == kind &&
            x->status == status)
            return x;
    }
    if (m->n_ext == RP_MAX_EXT_LISTS)
        return NULL;
    struct rp_ext_list *x = &m->ext[m->n_ext++];
    memset(x, 0, sizeof *x);
    x->lane = lane;
    x->alt = alt;
    x->dfuse = dfuse;
    x->kind = kind;
    x->status = status;
    return x;
}

/* Insert [start, end) keeping the list sorted and merged (touching extents join). */
static void ext_add(struct rp_model *m, uint32_t lane, uint8_t alt, bool dfuse, uint8_t kind,
                    uint8_t status, uint64_t start, uint64_t len, uint64_t frame)
{
    struct rp_ext_list *x = ext_list(m, lane, alt, dfuse, kind, status);
    if (!x) {
        m->ext_missed++;
        return;
    }
    x->ops++;
    x->bytes += len;
    uint64_t end = start + (len ? len : 1);
    /* first extent that ends at or after start */
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->e[mid].end < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t i = lo;
    if (i < x->n && x->e[i].start <= end) {
        /* overlaps or touches: grow it, then swallow the ones it reaches */
        struct rp_extent *e = &x->e[i];
        if (start < e->start)
            e->start = start;
        if (end > e->end)
            e->end = end;
        if (frame < e->first_frame)
            e->first_frame = frame;
        e->ops++;
        size_t j = i + 1;
        while (j < x->n && x->e[j].start <= e->end) {
            if (x->e[j].end > e->end)
                e->end = x->e[j].end;
            if (x->e[j].first_frame < e->first_frame)
                e->first_frame = x->e[j].first_frame;
            e->ops += x->e[j].ops;
            j++;
        }
        memmove(&x->e[i + 1], &x->e[j], (x->n - j) * sizeof *x->e);
        x->n -= j - (i + 1);
        return;
    }
    if (x->n == x->cap) {
        if (x->cap >= RP_MAX_EXTENTS) {
            /* full: join the two neighbours with the smallest gap */
            size_t best = 0;
            uint64_t gap = UINT64_MAX;
            for (size_t k = 0; k + 1 < x->n; k++)
                if (x->e[k + 1].start - x->e[k].end < gap) {
                    gap = x->e[k + 1].start - x->e[k].end;
                    best = k;
                }
            x->e[best].end = x->e[best + 1].end;
            x->e[best].ops += x->e[best + 1].ops;
            if (x->e[best + 1].first_frame < x->e[best].first_frame)
                x->e[best].first_frame = x->e[best + 1].first_frame;
            memmove(&x->e[best + 1], &x->e[best + 2], (x->n - best - 2) * sizeof *x->e);
            x->n--;
            x->coarse = true;
            if (best < i)
                i--;
        } else {
            size_t ncap = x->cap ? x->cap * 2 : 16;
            struct rp_extent *n = realloc(x->e, ncap * sizeof *n);
            if (!n) {
                m->oom = true;
                return;
            }
            x->e = n;
            x->cap = ncap;
        }
    }
    memmove(&x->e[i + 1], &x->e[i], (x->n - i) * sizeof *x->e);
    x->e[i] = (struct rp_extent){.start = start, .end = end, .first_frame = frame, .ops = 1};
    x->n++;
}

static void pending_flush(struct rp_model *m, struct rp_pending *p)
{
    if (!p->used)
        return;
    ext_add(m, p->lane, p->alt, p->dfuse, p->kind, RP_EXT_UNCONFIRMED, p->addr, p->len, p->frame);
    p->used = false;
}

static struct rp_pending *pending_of(struct rp_model *m, uint32_t device, bool create)
{
    struct rp_pending *free_slot = NULL;
    for (size_t i = 0; i < sizeof m->pend / sizeof m->pend[0]; i++) {
        if (m->pend[i].used && m->pend[i].device == device)
            return &m->pend[i];
        if (!m->pend[i].used && !free_slot)
            free_slot = &m->pend[i];
    }
    if (!create)
        return NULL;
    if (!free_slot) {
        free_slot = &m->pend[0];
        pending_flush(m, free_slot);
    }
    return free_slot;
}

/* A DNLOAD that asks the device to write or erase: remembered until the
 * GETSTATUS that executes it reports (on_mem); if that never comes (the
 * device stalled or vanished), it is an unconfirmed write. */
static void track_pending(struct rp_model *m, const struct dfs_dfu_txn *t)
{
    if (t->request == DFS_DFU_DNLOAD) {
        struct rp_pending *old = pending_of(m, t->device, false);
        if (old)
            pending_flush(m, old);
        bool erase = t->cmd == DFS_DFUSE_ERASE && t->has_address && !t->mass_erase;
        bool write = t->cmd < 0 && t->wLength > 0 && (t->has_address || !t->dfuse);
        if (t->outcome != DFS_DFU_ACK || (!erase && !write))
            return;
        struct rp_pending *p = pending_of(m, t->device, true);
        *p = (struct rp_pending){.used = true,
                                 .device = t->device,
                                 .lane = t->lane,
                                 .alt = t->alt,
                                 .kind = erase ? RP_EXT_ERASE : RP_EXT_WRITE,
                                 .dfuse = t->dfuse,
                                 .addr = t->address,
                                 .len = erase ? 0 : t->wLength,
                                 .frame = t->frame};
    }
}

/* ---- sink ---------------------------------------------------------------------------------- */

static int on_urb(void *user, const struct dfs_urb *u)
{
    struct rp_model *m = user;
    if (!m->have_start) {
        m->start = u->ts;
        m->have_start = true;
    }
    double t = rp_time(m, u->ts);
    if (t > m->end_t)
        m->end_t = t;
    m->records++;
    m->last_frame = u->frame;
    time_sample(m, u->frame, t);
    return 0;
}

static bool row_notable(const struct dfs_dfu_txn *t)
{
    return t->outcome != DFS_DFU_ACK || (t->has_status && t->bStatus != 0) ||
           (t->has_state && t->bState == DFS_STATE_ERROR) || rp_row_is_early_poll(t) ||
           t->leave;
}

static int on_dfu(void *user, const struct dfs_dfu_txn *t)
{
    struct rp_model *m = user;
    if (m->filter && !dev_filter_match(m->filter, t->bus, t->devnum, t->device))
        return 0;
    m->n_dfu++;
    outcome_on_dfu(&m->oc, t);
    host_on_dfu(&m->host, t);
    struct rp_row r;
    memset(&r, 0, sizeof r);
    r.kind = RP_ROW_DFU;
    r.t = *t;
    r.t.data = NULL;
    r.t.data_len = 0;
    r.notable = row_notable(t);
    add_row(m, &r);
    lane_txn(m, t);
    track_pending(m, t);
    return 0;
}

static int on_control(void *user, const struct dfs_control *c)
{
    struct rp_model *m = user;
    if (m->filter && !dev_filter_match(m->filter, c->bus, c->devnum, c->device))
        return 0;
    host_on_control(&m->host, c);
    if (c->dfu)
        return 0; /* on_dfu has it */
    m->n_usb++;
    struct rp_row r;
    memset(&r, 0, sizeof r);
    r.kind = RP_ROW_USB;
    r.t.device = c->device;
    r.t.lane = rp_lane_of(m, c->device);
    r.t.bus = c->bus;
    r.t.devnum = c->devnum;
    r.t.frame = c->submit_frame ? c->submit_frame : c->complete_frame;
    r.t.reply_frame = c->complete_frame;
    r.t.ts = c->submit_frame ? c->submit_ts : c->complete_ts;
    r.t.reply_ts = c->complete_ts;
    r.t.usb_status = c->status;
    r.t.state_before = r.t.state_after = DFS_STATE_UNKNOWN;
    r.t.cmd = -1;
    r.t.poll_wait_us = -1;
    if (c->end == DFS_CTL_NEVER_COMPLETED)
        r.t.outcome = DFS_DFU_NO_REPLY;
    else if (c->status == 0)
        r.t.outcome = DFS_DFU_ACK;
    else if (c->status == -32)
        r.t.outcome = DFS_DFU_STALLED;
    else
        r.t.outcome = DFS_DFU_BUS_ERROR;
    dfs_control_request_str(c, r.req, sizeof r.req);
    char data[64] = "";
    dfs_control_data_str(c, data, sizeof data);
    char st[48];
    if (c->end == DFS_CTL_NEVER_COMPLETED)
        snprintf(r.rep, sizeof r.rep, "no reply");
    else if (c->status)
        snprintf(r.rep, sizeof r.rep, "%s", status_str(c->status, st, sizeof st));
    else
        snprintf(r.rep, sizeof r.rep, "%s", data[0] ? data : "OK");
    r.notable = r.t.outcome != DFS_DFU_ACK;
    add_row(m, &r);
    return 0;
}

static int on_mem(void *user, const struct dfs_mem_op *op)
{
    struct rp_model *m = user;
    if (m->filter && m->filter->active && !dev_filter_match_instance(m->filter, op->device))
        return 0;
    outcome_on_mem(&m->oc, op);
    struct rp_pending *p = pending_of(m, op->device, false);
    if (p && p->frame == op->frame)
        p->used = false;
    uint8_t kind = op->kind == DFS_MEM_OP_READ    ? RP_EXT_READ
                   : op->kind == DFS_MEM_OP_WRITE ? RP_EXT_WRITE
                                                  : RP_EXT_ERASE;
    if (op->kind == DFS_MEM_OP_MASS_ERASE) {
        /* no extent: the map shades every erasable region of the alternate setting */
        struct rp_ext_list *x = ext_list(m, op->lane, op->alt, op->dfuse, kind,
                                         op->ok ? RP_EXT_OK : RP_EXT_FAILED);
        if (x) {
            x->mass_erase = true;
            x->ops++;
            if (!x->mass_frame)
                x->mass_frame = op->frame;
        } else {
            m->ext_missed++;
        }
        return 0;
    }
    if (!op->length && kind != RP_EXT_ERASE)
        return 0; /* the zero-length UPLOAD that ends an upload */
    ext_add(m, op->lane, op->alt, op->dfuse, kind, op->ok ? RP_EXT_OK : RP_EXT_FAILED,
            op->address, op->length, op->frame);
    return 0;
}

static int on_device(void *user, const struct dfs_device_event *ev)
{
    struct rp_model *m = user;
    set_lane(m, ev->device, ev->lane);
    if (ev->change == DFS_DEV_IDENTIFIED || ev->change == DFS_DEV_CONFIGURED)
        return 0;
    if (m->n_devev == RP_MAX_DEVEVENTS) {
        m->devev_missed++;
        return 0;
    }
    struct rp_devev *d = &m->devev[m->n_devev++];
    d->ev = *ev;
    d->t = rp_frame_time(m, ev->frame);
    if (ev->change == DFS_DEV_GONE) {
        /* the state of a device that left is not known any more */
        for (size_t i = 0; i < m->n_lanes; i++)
            if (m->lanes[i].lane == ev->lane && m->lanes[i].prev_device == ev->device)
                m->lanes[i].have_prev = false;
    }
    return 0;
}

/* Keep the rows a finding names that are still in the ring of recent rows. */
static void keep_named_rows(struct rp_model *m, const struct dfs_finding *f)
{
    if (!f->n_frames)
        return;
    uint64_t lo = f->frames[0];
    for (size_t back = m->n_tail; back-- > 0;) {
        const struct rp_row *r = tail_at(m, back);
        if (!r || r->t.frame < lo)
            continue;
        if (r->seq <= m->last_kept_seq)
            continue;
        for (unsigned k = 0; k < f->n_frames; k++)
            if (f->frames[k] == r->t.frame || (r->t.reply_frame && f->frames[k] == r->t.reply_frame)) {
                keep_row(m, r);
                break;
            }
    }
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    struct rp_model *m = user;
    if (m->filter && m->filter->active && !dev_filter_match_instance(m->filter, f->device))
        return 0;
    m->sev[f->severity <= DFS_SEV_ERROR ? f->severity : DFS_SEV_ERROR]++;
    struct finding_repeats *r = (unsigned)f->code < DFS_F__COUNT ? &m->f_more[f->code] : NULL;
    if (m->n_f == RP_MAX_FINDINGS ||
        (r && r->kept >= FINDINGS_PER_ID && f->severity != DFS_SEV_ERROR)) {
        m->f_missed++;
        if (r)
            finding_repeats_more(r, f->frame);
        return 0;
    }
    m->f[m->n_f++] = *f;
    if (r)
        r->kept++;
    keep_named_rows(m, f);
    return 0;
}

void rp_model_sink(struct rp_model *m, struct dfs_sink *sink)
{
    sink->user = m;
    sink->on_urb = on_urb;
    sink->on_dfu = on_dfu;
    sink->on_control = on_control;
    sink->on_mem = on_mem;
    sink->on_device = on_device;
    sink->on_finding = on_finding;
}

/* ---- closing --------------------------------------------------------------------------------- */

bool rp_finding_is_loss(const struct dfs_finding *f)
{
    return f->code == DFS_F_DFUSE_OPTION_BYTES_RESET || f->code == DFS_F_DFU_DEVICE_LOST;
}

static int cmp_finding(const void *a, const void *b)
{
    const struct dfs_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity > y->severity ? -1 : 1;
    uint64_t fx = x->n_frames ? x->frames[0] : x->frame, fy = y->n_frames ? y->frames[0] : y->frame;
    if (fx != fy)
        return fx < fy ? -1 : 1;
    return (int)x->code - (int)y->code;
}

void rp_model_close(struct rp_model *m)
{
    if (m->closed)
        return;
    m->closed = true;
    for (size_t i = 0; i < sizeof m->pend / sizeof m->pend[0]; i++)
        pending_flush(m, &m->pend[i]);
    cli_sort(m->f, m->n_f, sizeof *m->f, cmp_finding);
    /* a lane's last state lasts until the device is lost or the capture ends */
    for (size_t i = 0; i < m->n_lanes; i++) {
        struct rp_lane *l = &m->lanes[i];
        if (!l->have_prev)
            continue;
        double end = m->end_t;
        for (size_t k = 0; k < m->n_f; k++) {
            const struct dfs_finding *f = &m->f[k];
            if ((rp_finding_is_loss(f) || f->code == DFS_F_DFUSE_LEAVE_RESET) &&
                rp_lane_of(m, f->device) == l->lane) {
                double lt = rp_frame_time(m, f->frame);
                if (lt < end)
                    end = lt;
            }
        }
        add_state_time(m, l, l->prev_t, end, l->prev_state);
        l->have_prev = false;
    }
}
