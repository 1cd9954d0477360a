/* Checking a file against a device: identity, kind, targets and alternate
 * settings, and each part of the file against the memory layout of its
 * alternate setting (dfu-facts.md 2; dfu-util's dfuse.c for what the
 * reference host does with a file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "texts.h"

void dfs_fw_device_init(struct dfs_fw_device *d)
{
    memset(d, 0, sizeof *d);
    d->dfuse = -1;
    d->alt = -1;
    snprintf(d->what, sizeof d->what, "the device");
}

/* A part of the file where it goes: its address (a raw binary placed at
 * the layout's start when it has none). */
struct view {
    uint64_t address, length;
    const uint8_t *data;
    size_t seg;              /* index in f->seg */
    char name[200];
};

static const struct dfs_fw_alt *find_alt(const struct dfs_fw_device *d, unsigned alt)
{
    for (unsigned i = 0; i < d->n_alts && i < DFS_FW_MAX_ALTS; i++)
        if (d->alts[i].alt == alt)
            return &d->alts[i];
    return NULL;
}

static void alt_list(const struct dfs_fw_device *d, char *buf, size_t size)
{
    buf[0] = '\0';
    for (unsigned i = 0; i < d->n_alts && i < DFS_FW_MAX_ALTS; i++)
        dfs_fw__catf(buf, size, "%s%u", i ? ", " : "", d->alts[i].alt);
    if (!buf[0])
        dfs_fw__catf(buf, size, "none");
}

/* "0x08000000-0x0803ffff (128 sectors of 2 KiB, readable, erasable,
 * writable)" for every region. */
static void layout_str(const struct dfs_layout *l, char *buf, size_t size)
{
    buf[0] = '\0';
    for (unsigned i = 0; i < l->n_regions; i++) {
        const struct dfs_layout_region *r = &l->regions[i];
        char sec[48];
        if (r->size % (1u << 20) == 0)
            snprintf(sec, sizeof sec, "%u MiB", r->size >> 20);
        else if (r->size % 1024 == 0)
            snprintf(sec, sizeof sec, "%u KiB", r->size >> 10);
        else
            snprintf(sec, sizeof sec, "%u bytes", r->size);
        dfs_fw__catf(buf, size, "%s0x%08x-0x%08llx (%u sector%s of %s, type '%c': %s%s%s%s)",
                     i ? ", " : "", r->start, (unsigned long long)(r->end - 1), r->count,
                     r->count == 1 ? "" : "s", sec, r->type ? r->type : '?',
                     r->flags & DFS_MEM_READABLE ? "readable" : "not readable",
                     r->flags & DFS_MEM_ERASABLE ? ", erasable" : "",
                     r->flags & DFS_MEM_WRITABLE ? ", writable" : ", not writable", "");
    }
}

static uint64_t writable_bytes(const struct dfs_layout *l)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < l->n_regions; i++)
        if (l->regions[i].flags & DFS_MEM_WRITABLE)
            n += l->regions[i].end - l->regions[i].start;
    return n;
}

/* ---- identity and kind ------------------------------------------------------------------ */

static void check_ids(dfs_fw_file *f, const struct dfs_fw_device *d)
{
    const struct dfs_fw_suffix *sx = &f->suffix;
    if (!d->has_id || !sx->present)
        return;
    bool vid_bad = sx->idVendor != DFS_FW_WILDCARD && sx->idVendor != d->vid;
    bool pid_bad = sx->idProduct != DFS_FW_WILDCARD && sx->idProduct != d->pid;
    if (!vid_bad && !pid_bad)
        return;
    struct dfs_fw__ev ev = {0};
    if (vid_bad)
        dfs_fw__ev_add(&ev, DFS_FW_AT_BYTE, f->len - 12);
    if (pid_bad)
        dfs_fw__ev_add(&ev, DFS_FW_AT_BYTE, f->len - 14);
    dfs_fw__emit(f, DFS_F_FILE_ID_MISMATCH, ev.at, ev.n, TX_ID_MISMATCH, sx->idVendor,
                 sx->idProduct, d->what, d->vid, d->pid,
                 sx->crc_ok ? TX_ID_DFU_UTIL_STOPS : TX_ID_CRC_IGNORED,
                 d->runtime ? TX_ID_RUNTIME : "");
}

/* The address a raw binary is shown at in the texts' examples. */
static uint32_t example_address(const struct dfs_fw_device *d)
{
    for (unsigned i = 0; i < d->n_alts && i < DFS_FW_MAX_ALTS; i++)
        if (d->alts[i].has_layout && d->alts[i].layout.n_regions)
            return d->alts[i].layout.regions[0].start;
    return 0x08000000;
}

static void check_kind(dfs_fw_file *f, const struct dfs_fw_device *d)
{
    if (d->dfuse == 1 && f->format == DFS_FW_BINARY &&
        !(f->suffix.present && f->suffix.crc_ok && f->suffix.bcdDFU == DFS_DFU_VERSION_DFUSE)) {
        uint32_t a = f->opt.has_base ? f->opt.base : example_address(d);
        unsigned alt = d->alt >= 0 ? (unsigned)d->alt : 0;
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, 0};
        char kind[80];
        if (f->suffix.present)
            snprintf(kind, sizeof kind, TX_RAW_WITH_SUFFIX, f->suffix.bcdDFU);
        else
            snprintf(kind, sizeof kind, "%s", TX_RAW_PLAIN);
        struct dfs_fw_finding *fd =
            dfs_fw__emit(f, DFS_F_FILE_RAW_FOR_DFUSE, &at, 1, TX_RAW_FOR_DFUSE, kind, d->what);
        dfs_fw__remedy(fd, TX_RAW_FOR_DFUSE_REMEDY, alt, a, a, a,
                       f->opt.has_base ? "the one given with --address"
                                       : "where the layout starts; give --address otherwise");
    }
    if (d->dfuse == 0 && f->format == DFS_FW_DFUSE) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, 0};
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_FOR_DFU11, &at, 1, TX_DFUSE_FOR_DFU11, f->n_targets,
                     f->n_targets == 1 ? "" : "s", d->what);
    }
}

/* ---- the layout --------------------------------------------------------------------------- */

struct alt_check {
    dfs_fw_file *f;
    const struct dfs_fw_device *d;
    const struct dfs_fw_alt *alt;     /* NULL: no device (known areas only) */
    struct view *v;
    size_t n;
};

/* [a, e) against the regions: the first address outside every region and
 * the bytes outside; the first in a region that is not writable. */
struct walk {
    uint64_t outside, outside_first;
    uint64_t ro, ro_first;
    const struct dfs_layout_region *ro_region;
};

static void walk_layout(const struct dfs_layout *l, uint64_t a, uint64_t e, struct walk *w)
{
    memset(w, 0, sizeof *w);
    uint64_t cur = a;
    while (cur < e) {
        const struct dfs_layout_region *r =
            cur < DFS_FW__4G ? dfs_layout_find(l, (uint32_t)cur) : NULL;
        if (!r) {
            uint64_t next = e;
            for (unsigned i = 0; i < l->n_regions; i++)
                if (l->regions[i].start > cur && l->regions[i].start < next)
                    next = l->regions[i].start;
            if (!w->outside)
                w->outside_first = cur;
            w->outside += next - cur;
            cur = next;
            continue;
        }
        uint64_t stop = r->end < e ? r->end : e;
        if (!(r->flags & DFS_MEM_WRITABLE)) {
            if (!w->ro) {
                w->ro_first = cur;
                w->ro_region = r;
            }
            w->ro += stop - cur;
        }
        cur = stop;
    }
}

static void evidence_for(dfs_fw_file *f, const struct view *v, uint64_t addr, struct dfs_fw__ev *ev)
{
    const struct dfs_fw_segment *s = &f->seg[v->seg];
    struct dfs_fw_evidence w;
    if (s->target >= 0)
        dfs_fw__ev_add(ev, DFS_FW_AT_BYTE, s->header_offset);
    if (addr >= v->address && addr - v->address < v->length) {
        if (s->line && dfs_fw__where(f, addr - v->address + s->address, &w))
            dfs_fw__ev_add(ev, w.kind, w.value);
        else if (!s->line)
            dfs_fw__ev_add(ev, DFS_FW_AT_BYTE, s->offset + (addr - v->address));
    }
}

static void check_view_layout(struct alt_check *c, const struct view *v)
{
    dfs_fw_file *f = c->f;
    const struct dfs_layout *l = &c->alt->layout;
    char regions[700], size[64], wsize[64];
    layout_str(l, regions, sizeof regions);
    uint64_t end = v->address + v->length;
    uint64_t w = writable_bytes(l);
    if (w && v->length > w) {
        dfs_fw__fmt_size(size, sizeof size, v->length);
        dfs_fw__fmt_size(wsize, sizeof wsize, w);
        struct dfs_fw__ev ev = {0};
        evidence_for(f, v, end - 1, &ev);
        dfs_fw__emit(f, DFS_F_FILE_LARGER_THAN_MEMORY, ev.at, ev.n, TX_LARGER_THAN_MEMORY,
                     v->name, size, (unsigned long long)v->address, c->alt->alt, c->d->what,
                     l->name, wsize, regions,
                     (unsigned long long)(end - 1 > UINT32_MAX ? UINT32_MAX : end - 1));
        return;
    }
    struct walk wk;
    walk_layout(l, v->address, end > DFS_FW__4G ? DFS_FW__4G : end, &wk);
    bool last_bad = !dfs_layout_allows(l, (uint32_t)((end > DFS_FW__4G ? DFS_FW__4G : end) - 1),
                                       0, DFS_MEM_WRITABLE);
    char quote[160];
    if (last_bad)
        snprintf(quote, sizeof quote, TX_DFU_UTIL_LAST_PAGE,
                 (unsigned)((end > DFS_FW__4G ? DFS_FW__4G : end) - 1));
    else
        snprintf(quote, sizeof quote, TX_DFU_UTIL_PAGE,
                 (unsigned)(wk.outside ? wk.outside_first : wk.ro_first));
    if (wk.outside) {
        char n[64];
        dfs_fw__fmt_size(n, sizeof n, wk.outside);
        struct dfs_fw__ev ev = {0};
        evidence_for(f, v, wk.outside_first, &ev);
        dfs_fw__emit(f, DFS_F_FILE_OUTSIDE_LAYOUT, ev.at, ev.n, TX_OUTSIDE_LAYOUT, v->name,
                     (unsigned long long)v->address, (unsigned long long)(end - 1), n,
                     c->alt->alt, c->d->what, (unsigned long long)wk.outside_first, l->name,
                     regions, quote);
    }
    if (wk.ro) {
        char n[64];
        dfs_fw__fmt_size(n, sizeof n, wk.ro);
        const struct dfs_layout_region *r = wk.ro_region;
        struct dfs_fw__ev ev = {0};
        evidence_for(f, v, wk.ro_first, &ev);
        dfs_fw__emit(f, DFS_F_FILE_NOT_WRITABLE, ev.at, ev.n, TX_NOT_WRITABLE, v->name,
                     (unsigned long long)v->address, (unsigned long long)(end - 1), n,
                     (unsigned long long)wk.ro_first, r->start, (unsigned long long)(r->end - 1),
                     r->type, c->alt->alt, c->d->what, l->name, quote);
    }
}

/* The pages an erase wipes around each part, minus what the file writes
 * there (dfu-util erases every page a DfuSe element touches before writing
 * it, dfuse.c dfuse_dnload_element()). */
static void check_erase(struct alt_check *c)
{
    dfs_fw_file *f = c->f;
    const struct dfs_layout *l = &c->alt->layout;
    struct dfs_fw__map data = {0}, wiped = {0};
    for (size_t i = 0; i < c->n; i++) {
        struct dfs_fw__ext x = {c->v[i].address, c->v[i].address + c->v[i].length, NULL, 0, 0,
                                (uint32_t)i};
        if (!dfs_fw__map_put(&data, &x))
            f->nomem = true;
    }
    struct dfs_fw__ev ev = {0};
    for (size_t i = 0; i < c->n && !f->nomem; i++) {
        uint64_t a = c->v[i].address, e = a + c->v[i].length;
        for (unsigned k = 0; k < l->n_regions; k++) {
            const struct dfs_layout_region *r = &l->regions[k];
            if (!(r->flags & DFS_MEM_ERASABLE) || a >= r->end || e <= r->start)
                continue;
            uint64_t lo = a > r->start ? a : r->start, hi = e < r->end ? e : r->end;
            uint64_t ps = r->start + (lo - r->start) / r->size * r->size;
            uint64_t pe = r->start + (hi - r->start + r->size - 1) / r->size * r->size;
            uint64_t cand[2][2] = {{ps, lo}, {hi, pe}};
            for (int s = 0; s < 2; s++) {
                uint64_t x = cand[s][0];
                while (x < cand[s][1]) {
                    size_t j = dfs_fw__map_find(&data, x);
                    uint64_t stop = cand[s][1];
                    if (j < data.n && data.e[j].start <= x) {
                        x = data.e[j].end; /* written by the file */
                        continue;
                    }
                    if (j < data.n && data.e[j].start < stop)
                        stop = data.e[j].start;
                    struct dfs_fw__ext w = {x, stop, NULL, 0, 0, (uint32_t)i};
                    if (!dfs_fw__map_put(&wiped, &w))
                        f->nomem = true;
                    evidence_for(f, &c->v[i], a, &ev);
                    x = stop;
                }
            }
        }
    }
    if (wiped.bytes && !f->nomem) {
        char list[600] = "", total[64];
        unsigned shown = 0, ranges = 0;
        for (size_t i = 0; i < wiped.n; i++) {
            uint64_t s = wiped.e[i].start, e = wiped.e[i].end;
            while (i + 1 < wiped.n && wiped.e[i + 1].start == e)
                e = wiped.e[++i].end;
            ranges++;
            if (shown < 6) {
                char n[64];
                dfs_fw__fmt_size(n, sizeof n, e - s);
                dfs_fw__catf(list, sizeof list, "%s0x%08llx-0x%08llx (%s)", shown ? ", " : "",
                             (unsigned long long)s, (unsigned long long)(e - 1), n);
                shown++;
            }
        }
        if (ranges > shown)
            dfs_fw__catf(list, sizeof list, " and %u more", ranges - shown);
        dfs_fw__fmt_size(total, sizeof total, wiped.bytes);
        dfs_fw__emit(f, DFS_F_FILE_ERASE_BEYOND, ev.at, ev.n, TX_ERASE_BEYOND, c->alt->alt,
                     c->d->what, total, ranges, ranges == 1 ? "" : "s", list);
    }
    dfs_fw__map_free(&data);
    dfs_fw__map_free(&wiped);
}

/* Option bytes, their read protection, and OTP written by one part. */
static void check_view_areas(struct alt_check *c, const struct view *v, uint64_t after)
{
    dfs_fw_file *f = c->f;
    const struct dfs_layout *l = c->alt && c->alt->has_layout ? &c->alt->layout : NULL;
    struct dfs_fw__area area;
    uint64_t end = v->address + v->length;
    if (dfs_fw__ob_overlap(l, v->address, v->length, &area)) {
        struct dfs_fw__ev ev = {0};
        evidence_for(f, v, v->address > area.start ? v->address : area.start, &ev);
        char later[200] = "", rdp[300] = "";
        if (after)
            snprintf(later, sizeof later, TX_OB_LATER, (unsigned long long)after);
        uint8_t val;
        uint32_t ra;
        const char *fam;
        int lvl = dfs_fw__rdp_level(v->address, v->data, v->length, &val, &ra, &fam);
        if (lvl == 0)
            snprintf(rdp, sizeof rdp, TX_RDP_0, ra, val, fam);
        else if (lvl == 1)
            snprintf(rdp, sizeof rdp, TX_RDP_1, ra, val, fam);
        dfs_fw__emit(f, DFS_F_FILE_OPTION_BYTES, ev.at, ev.n, TX_OPTION_BYTES, v->name,
                     (unsigned long long)v->address, (unsigned long long)(end - 1), area.what,
                     area.start, area.end - 1, later, rdp);
        if (lvl == 2) {
            struct dfs_fw__ev ev2 = {0};
            evidence_for(f, v, ra, &ev2);
            dfs_fw__emit(f, DFS_F_FILE_OPTION_BYTES_LOCK, ev2.at, ev2.n, TX_OB_LOCK, v->name,
                         ra, val, fam);
        }
    }
    if (dfs_fw__otp_overlap(l, v->address, v->length, &area)) {
        struct dfs_fw__ev ev = {0};
        evidence_for(f, v, v->address > area.start ? v->address : area.start, &ev);
        dfs_fw__emit(f, DFS_F_FILE_OTP, ev.at, ev.n, TX_OTP, v->name,
                     (unsigned long long)v->address, (unsigned long long)(end - 1), area.what,
                     area.start, area.end - 1);
    }
}

static void run_alt(struct alt_check *c)
{
    for (size_t i = 0; i < c->n; i++) {
        /* the bytes the file holds after this part (a DfuSe file is
         * downloaded in file order) */
        uint64_t after = 0;
        for (size_t k = c->v[i].seg + 1; k < c->f->n_seg; k++)
            after += c->f->seg[k].length;
        if (c->alt && c->alt->has_layout)
            check_view_layout(c, &c->v[i]);
        check_view_areas(c, &c->v[i], after);
    }
    if (c->alt && c->alt->has_layout && c->n)
        check_erase(c);
}

static void view_of(dfs_fw_file *f, size_t i, uint64_t base, bool assumed, struct view *v)
{
    const struct dfs_fw_segment *s = &f->seg[i];
    v->address = f->format == DFS_FW_BINARY ? base : s->address;
    v->length = s->length;
    v->data = s->data;
    v->seg = i;
    if (f->format == DFS_FW_BINARY)
        snprintf(v->name, sizeof v->name, assumed ? TX_VIEW_BINARY_ASSUMED : TX_VIEW_BINARY,
                 (unsigned long long)(s->length ? s->length - 1 : 0),
                 (unsigned long long)v->address);
    else
        dfs_fw__seg_name(f, s, v->name, sizeof v->name);
}

static dfs_result check_targets(dfs_fw_file *f, const struct dfs_fw_device *d)
{
    for (size_t t = 0; t < f->n_targets; t++) {
        const struct dfs_fw_target *tg = &f->targets[t];
        const struct dfs_fw_alt *a = d ? find_alt(d, tg->alt) : NULL;
        if (d && !a && d->alts_known) {
            char alts[200];
            alt_list(d, alts, sizeof alts);
            uint64_t bytes = 0;
            for (size_t k = 0; k < tg->n_segments; k++)
                bytes += f->seg[tg->first_segment + k].length;
            struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, tg->offset + 6};
            dfs_fw__emit(f, DFS_F_FILE_TARGET_ALT_MISSING, &at, 1, TX_TARGET_ALT_MISSING, t,
                         tg->alt, tg->offset + 6, d->what, alts, tg->alt,
                         (unsigned long long)bytes, tg->n_segments,
                         tg->n_segments == 1 ? "" : "s");
        }
        struct view *v = tg->n_segments ? calloc(tg->n_segments, sizeof *v) : NULL;
        if (tg->n_segments && !v)
            return DFS_E_NOMEM;
        for (size_t k = 0; k < tg->n_segments; k++)
            view_of(f, tg->first_segment + k, 0, false, &v[k]);
        struct alt_check c = {f, d, a, v, tg->n_segments};
        run_alt(&c);
        free(v);
    }
    return DFS_OK;
}

static dfs_result check_raw(dfs_fw_file *f, const struct dfs_fw_device *d)
{
    const struct dfs_fw_alt *a = NULL;
    if (d && d->alt >= 0)
        a = find_alt(d, (unsigned)d->alt);
    for (unsigned i = 0; d && !a && d->alt < 0 && i < d->n_alts && i < DFS_FW_MAX_ALTS; i++)
        if (d->alts[i].has_layout)
            a = &d->alts[i];
    uint64_t base = f->opt.has_base ? f->opt.base : 0;
    bool assumed = false;
    if (f->format == DFS_FW_BINARY && !f->opt.has_base) {
        if (!a || !a->has_layout || !a->layout.n_regions)
            return DFS_OK; /* a binary without an address: nothing to place */
        base = a->layout.regions[0].start;
        assumed = true;
    }
    struct view *v = f->n_seg ? calloc(f->n_seg, sizeof *v) : NULL;
    if (f->n_seg && !v)
        return DFS_E_NOMEM;
    for (size_t i = 0; i < f->n_seg; i++)
        view_of(f, i, base, assumed, &v[i]);
    struct dfs_fw_device none;
    if (!d) {
        dfs_fw_device_init(&none);
        d = &none;
    }
    struct alt_check c = {f, d, a, v, f->n_seg};
    run_alt(&c);
    free(v);
    return DFS_OK;
}

dfs_result dfs_fw_check_device(dfs_fw_file *f, const struct dfs_fw_device *d)
{
    if (!f)
        return DFS_E_INVAL;
    if (d) {
        check_ids(f, d);
        check_kind(f, d);
    }
    dfs_result r = f->format == DFS_FW_DFUSE ? check_targets(f, d) : check_raw(f, d);
    if (r == DFS_OK && f->nomem)
        r = DFS_E_NOMEM;
    return r;
}
