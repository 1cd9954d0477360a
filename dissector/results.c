/* dfuscope Wireshark plugin: per-frame store of what the decoder reported. */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable array of fixed-size elements. */
struct vec {
    void *v;
    size_t n, cap, elem;
};

static void *vec_push(struct vec *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void *v = realloc(a->v, cap * a->elem);
        if (!v)
            return NULL;
        a->v = v;
        a->cap = cap;
    }
    void *p = (char *)a->v + a->n * a->elem;
    memset(p, 0, a->elem);
    a->n++;
    return p;
}

static void *vec_at(const struct vec *a, size_t i)
{
    return i < a->n ? (char *)a->v + i * a->elem : NULL;
}

static void vec_free(struct vec *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

/* frame number -> first and last item of that frame (open addressing) */
struct slot {
    uint64_t frame; /* 0: empty (frames are 1-based) */
    uint32_t head, tail;
};

struct dfs__res {
    struct vec items, txns, layouts, mems, devices, findings;
    struct slot *map;
    size_t map_cap, map_used;
    /* bit f: frame f has a slot. Most frames of a capture have none, and
     * the dissector asks for every frame: one bit test instead of a probe
     * sequence in the map. Not used once it could not grow (have_ok). */
    uint64_t *have;
    size_t have_words;
    bool have_ok;
    /* device instance id -> lane, and which lanes are DFU */
    uint32_t *lane_of;
    size_t n_lane_of;
    uint8_t *dfu_lane;
    size_t n_dfu_lane;
    bool has_dfu;
    bool failed;
    uint64_t at;
    const dfs_decoder *dec;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static struct slot *map_find(const struct dfs__res *r, uint64_t frame)
{
    if (!r->map_cap || frame == 0)
        return NULL;
    if (r->have_ok &&
        (frame / 64 >= r->have_words || !((r->have[frame / 64] >> (frame % 64)) & 1)))
        return NULL;
    size_t mask = r->map_cap - 1;
    for (size_t i = mix(frame) & mask;; i = (i + 1) & mask) {
        if (r->map[i].frame == frame)
            return &r->map[i];
        if (r->map[i].frame == 0)
            return NULL;
    }
}

static bool map_grow(struct dfs__res *r)
{
    size_t cap = r->map_cap ? r->map_cap * 2 : 256;
    struct slot *m = calloc(cap, sizeof *m);
    if (!m)
        return false;
    for (size_t i = 0; i < r->map_cap; i++) {
        if (!r->map[i].frame)
            continue;
        size_t j = mix(r->map[i].frame) & (cap - 1);
        while (m[j].frame)
            j = (j + 1) & (cap - 1);
        m[j] = r->map[i];
    }
    free(r->map);
    r->map = m;
    r->map_cap = cap;
    return true;
}

static struct slot *map_get(struct dfs__res *r, uint64_t frame)
{
    struct slot *s = map_find(r, frame);
    if (s)
        return s;
    if ((r->map_used + 1) * 4 > r->map_cap * 3 && !map_grow(r))
        return NULL;
    size_t mask = r->map_cap - 1;
    size_t i = mix(frame) & mask;
    while (r->map[i].frame)
        i = (i + 1) & mask;
    r->map[i].frame = frame;
    r->map[i].head = r->map[i].tail = DFS__NONE_ITEM;
    r->map_used++;
    if (r->have_ok && frame / 64 >= r->have_words) {
        size_t words = r->have_words ? r->have_words : 64;
        while (words <= frame / 64 && words < SIZE_MAX / 2 / sizeof *r->have)
            words *= 2;
        uint64_t *h = words > frame / 64 ? realloc(r->have, words * sizeof *h) : NULL;
        if (h) {
            memset(h + r->have_words, 0, (words - r->have_words) * sizeof *h);
            r->have = h;
            r->have_words = words;
        } else {
            r->have_ok = false; /* the map alone answers from now on */
        }
    }
    if (r->have_ok)
        r->have[frame / 64] |= 1ull << (frame % 64);
    return &r->map[i];
}

static void fail(struct dfs__res *r)
{
    r->failed = true;
}

/* Append an item to a frame's list, keeping the list ordered by kind (stable
 * within a kind). Frames that already hold the same item are left alone. */
static void attach(struct dfs__res *r, uint64_t frame, enum dfs__item_kind kind, uint32_t index,
                   bool reply)
{
    if (frame == 0)
        return;
    struct slot *s = map_get(r, frame);
    if (!s) {
        fail(r);
        return;
    }
    uint32_t prev = DFS__NONE_ITEM, cur = s->head;
    while (cur != DFS__NONE_ITEM) {
        struct dfs__item *c = vec_at(&r->items, cur);
        if (c->kind == kind && c->index == index)
            return; /* a finding naming the same frame twice */
        if (c->kind > kind)
            break;
        prev = cur;
        cur = c->next;
    }
    struct dfs__item *it = vec_push(&r->items);
    if (!it) {
        fail(r);
        return;
    }
    uint32_t id = (uint32_t)(r->items.n - 1);
    it->kind = kind;
    it->index = index;
    it->reply = reply;
    it->known_at = r->at;
    it->next = cur;
    if (prev == DFS__NONE_ITEM)
        s->head = id;
    else
        ((struct dfs__item *)vec_at(&r->items, prev))->next = id;
    if (cur == DFS__NONE_ITEM)
        s->tail = id;
}

/* ---- devices and lanes ------------------------------------------------------ */

static bool ensure_u32(uint32_t **a, size_t *n, size_t want)
{
    if (want <= *n)
        return true;
    size_t cap = *n ? *n : 16;
    while (cap < want)
        cap *= 2;
    uint32_t *v = realloc(*a, cap * sizeof *v);
    if (!v)
        return false;
    memset(v + *n, 0, (cap - *n) * sizeof *v);
    *a = v;
    *n = cap;
    return true;
}

static bool ensure_u8(uint8_t **a, size_t *n, size_t want)
{
    if (want <= *n)
        return true;
    size_t cap = *n ? *n : 16;
    while (cap < want)
        cap *= 2;
    uint8_t *v = realloc(*a, cap);
    if (!v)
        return false;
    memset(v + *n, 0, cap - *n);
    *a = v;
    *n = cap;
    return true;
}

static uint32_t lane_of(const struct dfs__res *r, uint32_t device)
{
    if (device < r->n_lane_of && r->lane_of[device])
        return r->lane_of[device];
    return device;
}

static void set_lane(struct dfs__res *r, uint32_t device, uint32_t lane)
{
    if (!device)
        return;
    if (!ensure_u32(&r->lane_of, &r->n_lane_of, (size_t)device + 1)) {
        fail(r);
        return;
    }
    r->lane_of[device] = lane ? lane : device;
}

static void mark_dfu(struct dfs__res *r, uint32_t device)
{
    if (!device)
        return;
    uint32_t lane = lane_of(r, device);
    if (!ensure_u8(&r->dfu_lane, &r->n_dfu_lane, (size_t)lane + 1)) {
        fail(r);
        return;
    }
    r->dfu_lane[lane] = 1;
    r->has_dfu = true;
}

bool dfs__res_dfu_device(const struct dfs__res *r, uint32_t device)
{
    uint32_t lane = lane_of(r, device);
    return device && lane < r->n_dfu_lane && r->dfu_lane[lane];
}

bool dfs__res_has_dfu(const struct dfs__res *r)
{
    return r->has_dfu;
}

bool dfs__res_finding_relevant(const struct dfs__res *r, const struct dfs__finding *f)
{
    if (f->device)
        return dfs__res_dfu_device(r, f->device);
    return r->has_dfu;
}

/* Look a device instance up by id through the decoder (NULL-safe). */
static bool device_info(const struct dfs__res *r, uint32_t device, struct dfs_device_info *out)
{
    if (!r->dec || !device)
        return false;
    size_t n = dfs_decoder_device_count(r->dec);
    for (size_t i = 0; i < n; i++)
        if (dfs_decoder_device_info(r->dec, i, out) == DFS_OK && out->id == device)
            return true;
    return false;
}

static bool config_has_dfu(const struct dfs_device_info *di)
{
    if (!di->config)
        return false;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, di->config, di->config_len);
    while (dfs_desc_walk_next(&w, &it, NULL) == 1)
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
            it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS)
            return true;
    return false;
}

/* ---- sink callbacks ---------------------------------------------------------- */

static void scan_alt_names(struct dfs__res *r, uint32_t device);

static int on_device(void *user, const struct dfs_device_event *ev)
{
    struct dfs__res *r = user;
    set_lane(r, ev->device, ev->lane);
    if (ev->change == DFS_DEV_CONFIGURED) {
        struct dfs_device_info di;
        if (device_info(r, ev->device, &di) && config_has_dfu(&di))
            mark_dfu(r, ev->device);
    }
    if (ev->change != DFS_DEV_GONE && ev->change != DFS_DEV_REENUMERATED)
        return 0;
    struct dfs__device_ev *d = vec_push(&r->devices);
    if (!d) {
        fail(r);
        return 0;
    }
    d->ev = *ev;
    attach(r, ev->frame, DFS__ITEM_DEVICE, (uint32_t)(r->devices.n - 1), false);
    return 0;
}

static int on_dfu(void *user, const struct dfs_dfu_txn *txn)
{
    struct dfs__res *r = user;
    set_lane(r, txn->device, txn->lane);
    bool first = !dfs__res_dfu_device(r, txn->device);
    mark_dfu(r, txn->device);
    if (first)
        scan_alt_names(r, txn->device);
    struct dfs__txn *t = vec_push(&r->txns);
    if (!t) {
        fail(r);
        return 0;
    }
    t->t = *txn;
    t->t.data = NULL;
    uint32_t idx = (uint32_t)(r->txns.n - 1);
    if (txn->frame && txn->frame != txn->reply_frame)
        attach(r, txn->frame, DFS__ITEM_TXN, idx, false);
    attach(r, txn->reply_frame ? txn->reply_frame : txn->frame, DFS__ITEM_TXN, idx,
           txn->reply_frame != 0);
    return 0;
}

static int on_mem(void *user, const struct dfs_mem_op *op)
{
    struct dfs__res *r = user;
    struct dfs__mem *m = vec_push(&r->mems);
    if (!m) {
        fail(r);
        return 0;
    }
    m->op = *op;
    m->op.data = NULL;
    uint32_t idx = (uint32_t)(r->mems.n - 1);
    attach(r, op->frame, DFS__ITEM_MEM, idx, false);
    attach(r, op->exec_frame, DFS__ITEM_MEM, idx, false);
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    struct dfs__res *r = user;
    struct dfs__finding *k = vec_push(&r->findings);
    if (!k) {
        fail(r);
        return 0;
    }
    k->code = f->code;
    k->id = f->id;
    k->title = f->title;
    k->severity = f->severity;
    k->group = f->group;
    k->device = f->device;
    k->frame = f->frame;
    k->n_frames = f->n_frames <= DFS_FINDING_MAX_FRAMES ? f->n_frames : DFS_FINDING_MAX_FRAMES;
    memcpy(k->frames, f->frames, k->n_frames * sizeof k->frames[0]);
    k->explanation = dup_str(f->explanation);
    k->remedy = dup_str(f->remedy);
    if (!k->explanation || !k->remedy) {
        free(k->explanation);
        free(k->remedy);
        r->findings.n--;
        fail(r);
        return 0;
    }
    uint32_t idx = (uint32_t)(r->findings.n - 1);
    attach(r, f->frame, DFS__ITEM_FINDING, idx, false);
    for (unsigned i = 0; i < k->n_frames; i++)
        attach(r, k->frames[i], DFS__ITEM_FINDING, idx, false);
    return 0;
}

/* Keep a layout string of a DFU alternate setting (once per frame and alt). */
static void add_layout(struct dfs__res *r, uint32_t device, uint64_t frame, uint8_t iface,
                       uint8_t alt, uint8_t string_index, const char *text)
{
    if (!frame)
        return;
    for (size_t i = 0; i < r->layouts.n; i++) {
        const struct dfs__layout *o = vec_at(&r->layouts, i);
        if (o->device == device && o->frame == frame && o->interface == iface && o->alt == alt)
            return;
    }
    struct dfs__layout *l = vec_push(&r->layouts);
    if (!l) {
        fail(r);
        return;
    }
    l->device = device;
    l->frame = frame;
    l->interface = iface;
    l->alt = alt;
    l->string_index = string_index;
    snprintf(l->text, sizeof l->text, "%s", text);
    if (l->text[0] == '@')
        l->parsed = dfs_layout_parse(l->text, strlen(l->text), &l->layout, l->error,
                                     sizeof l->error) == DFS_OK;
    mark_dfu(r, device);
    attach(r, frame, DFS__ITEM_LAYOUT, (uint32_t)(r->layouts.n - 1), false);
}

/* The names of a DFU device's alternate settings that the decoder already
 * has (strings read before the device was known to be DFU). */
static void scan_alt_names(struct dfs__res *r, uint32_t device)
{
    if (!r->dec || !device)
        return;
    struct dfs_dfu_info *info = malloc(sizeof *info);
    if (!info) {
        fail(r);
        return;
    }
    if (dfs_decoder_dfu_info(r->dec, device, info) == DFS_OK && info->present)
        for (unsigned i = 0; i < info->n_alts && i < DFS_DFU_MAX_ALTS; i++) {
            const struct dfs_dfu_alt_info *a = &info->alts[i];
            if (a->has_name && a->name_frame)
                add_layout(r, device, a->name_frame, a->interface, a->alt, a->iInterface,
                           a->name);
        }
    free(info);
}

/* A string descriptor reply: if it names a DFU alternate setting of the
 * device's configuration, keep it as that alt's DfuSe layout. */
static int on_control(void *user, const struct dfs_control *ctl)
{
    struct dfs__res *r = user;
    if (!ctl->has_setup || ctl->end != DFS_CTL_COMPLETED || ctl->status != 0)
        return 0;
    const struct dfs_setup *s = &ctl->setup;
    if (s->bmRequestType != (DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE) ||
        s->bRequest != DFS_REQ_GET_DESCRIPTOR || (s->wValue >> 8) != DFS_DT_STRING)
        return 0;
    uint8_t index = (uint8_t)(s->wValue & 0xff);
    if (index == 0 || !ctl->data || ctl->data_len < 2)
        return 0;
    struct dfs_device_info di;
    if (!device_info(r, ctl->device, &di) || !di.config)
        return 0;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, di.config, di.config_len);
    while (dfs_desc_walk_next(&w, &it, NULL) == 1) {
        if (it.kind != DFS_DK_INTERFACE || it.u.interface.iInterface != index ||
            it.u.interface.bInterfaceClass != DFS_DFU_CLASS ||
            it.u.interface.bInterfaceSubClass != DFS_DFU_SUBCLASS)
            continue;
        char text[DFS__LAYOUT_TEXT_SIZE];
        if (dfs_desc_string_utf8(ctl->data, ctl->data_len, text, sizeof text, NULL) != DFS_OK)
            text[0] = '\0';
        add_layout(r, ctl->device, ctl->complete_frame, it.u.interface.bInterfaceNumber,
                   it.u.interface.bAlternateSetting, index, text);
    }
    return 0;
}

/* ---- public --------------------------------------------------------------- */

struct dfs__res *dfs__res_new(void)
{
    struct dfs__res *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->items.elem = sizeof(struct dfs__item);
    r->txns.elem = sizeof(struct dfs__txn);
    r->layouts.elem = sizeof(struct dfs__layout);
    r->mems.elem = sizeof(struct dfs__mem);
    r->devices.elem = sizeof(struct dfs__device_ev);
    r->findings.elem = sizeof(struct dfs__finding);
    r->at = DFS__KNOWN_AT_END;
    r->have_ok = true;
    return r;
}

void dfs__res_clear(struct dfs__res *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->findings.n; i++) {
        struct dfs__finding *f = vec_at(&r->findings, i);
        free(f->explanation);
        free(f->remedy);
    }
    vec_free(&r->items);
    vec_free(&r->txns);
    vec_free(&r->layouts);
    vec_free(&r->mems);
    vec_free(&r->devices);
    vec_free(&r->findings);
    free(r->map);
    r->map = NULL;
    r->map_cap = r->map_used = 0;
    free(r->have);
    r->have = NULL;
    r->have_words = 0;
    r->have_ok = true;
    free(r->lane_of);
    r->lane_of = NULL;
    r->n_lane_of = 0;
    free(r->dfu_lane);
    r->dfu_lane = NULL;
    r->n_dfu_lane = 0;
    r->has_dfu = false;
    r->failed = false;
    r->at = DFS__KNOWN_AT_END;
    r->dec = NULL;
}

void dfs__res_free(struct dfs__res *r)
{
    dfs__res_clear(r);
    free(r);
}

void dfs__res_sink(struct dfs__res *r, struct dfs_sink *sink)
{
    memset(sink, 0, sizeof *sink);
    sink->user = r;
    sink->on_control = on_control;
    sink->on_device = on_device;
    sink->on_dfu = on_dfu;
    sink->on_mem = on_mem;
    sink->on_finding = on_finding;
}

void dfs__res_bind(struct dfs__res *r, const dfs_decoder *d)
{
    r->dec = d;
}

void dfs__res_at(struct dfs__res *r, uint64_t frame)
{
    r->at = frame;
}

const struct dfs__item *dfs__res_first(const struct dfs__res *r, uint64_t frame)
{
    const struct slot *s = map_find(r, frame);
    return s ? vec_at(&r->items, s->head) : NULL;
}

const struct dfs__item *dfs__res_next(const struct dfs__res *r, const struct dfs__item *it)
{
    return it && it->next != DFS__NONE_ITEM ? vec_at(&r->items, it->next) : NULL;
}

const struct dfs__txn *dfs__res_txn(const struct dfs__res *r, const struct dfs__item *it)
{
    return it && it->kind == DFS__ITEM_TXN ? vec_at(&r->txns, it->index) : NULL;
}

const struct dfs__layout *dfs__res_layout(const struct dfs__res *r, const struct dfs__item *it)
{
    return it && it->kind == DFS__ITEM_LAYOUT ? vec_at(&r->layouts, it->index) : NULL;
}

const struct dfs__mem *dfs__res_mem(const struct dfs__res *r, const struct dfs__item *it)
{
    return it && it->kind == DFS__ITEM_MEM ? vec_at(&r->mems, it->index) : NULL;
}

const struct dfs__device_ev *dfs__res_device(const struct dfs__res *r,
                                             const struct dfs__item *it)
{
    return it && it->kind == DFS__ITEM_DEVICE ? vec_at(&r->devices, it->index) : NULL;
}

const struct dfs__finding *dfs__res_finding(const struct dfs__res *r,
                                            const struct dfs__item *it)
{
    return it && it->kind == DFS__ITEM_FINDING ? vec_at(&r->findings, it->index) : NULL;
}

size_t dfs__res_n_txns(const struct dfs__res *r)
{
    return r->txns.n;
}

size_t dfs__res_n_findings(const struct dfs__res *r)
{
    return r->findings.n;
}

bool dfs__res_failed(const struct dfs__res *r)
{
    return r->failed;
}
