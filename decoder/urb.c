#include <string.h>

#include "finding_text.h"
#include "state.h"
#include "urb.h"

static uint32_t hash_key(uint16_t bus, uint64_t id)
{
    /* splitmix64 finaliser over id mixed with bus */
    uint64_t x = id ^ ((uint64_t)bus * 0x9E3779B97F4A7C15ull);
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (uint32_t)x;
}

#define INDEX_START 64u /* entries of the index in use at first */
#define SLOTS_START 32u /* slots allocated at first (as many as INDEX_START holds) */

/* Put slot s into the index part in use. */
static void index_put(struct dfs__urb_table *t, uint32_t s)
{
    uint32_t h = t->slots[s].hash & t->index_mask;
    while (t->index[h] != DFS__NONE)
        h = (h + 1) & t->index_mask;
    t->index[h] = s;
}

/* Use twice as much of the index (allocated already): clear it and place
 * the URBs held again. */
static void index_grow(struct dfs__urb_table *t)
{
    t->index_mask = t->index_mask * 2 + 1;
    memset(t->index, 0xff, ((size_t)t->index_mask + 1) * sizeof *t->index);
    for (uint32_t s = t->oldest; s != DFS__NONE; s = t->slots[s].newer)
        index_put(t, s);
}

dfs_result dfs__urb_table_init(dfs_decoder *d, struct dfs__urb_table *t, uint32_t cap)
{
    memset(t, 0, sizeof *t);
    if (cap == 0 || cap > (1u << 28))
        return DFS_E_INVAL;
    uint32_t isize = 1;
    while (isize < cap * 2)
        isize <<= 1;
    uint32_t nslots = cap < SLOTS_START ? cap : SLOTS_START;
    uint32_t nindex = isize < INDEX_START ? isize : INDEX_START;
    /* (never read before written: no need to clear) */
    t->slots = dfs__malloc(d, (size_t)nslots * sizeof *t->slots);
    t->index = dfs__malloc(d, (size_t)nindex * sizeof *t->index);
    if (!t->slots || !t->index) {
        dfs__free(d, t->slots);
        dfs__free(d, t->index);
        memset(t, 0, sizeof *t);
        return DFS_E_NOMEM;
    }
    t->cap = cap;
    t->slots_alloc = nslots;
    t->index_max = isize;
    t->index_alloc = nindex;
    dfs__urb_table_clear(d, t);
    return DFS_OK;
}

/* Room for one more URB: a fresh slot when the free list is empty, and the
 * index part in use doubled when the URB makes it more than half full
 * (index_max is at least twice cap). Only allocates; false when out of
 * memory, with the table as it was. */
static bool make_room(dfs_decoder *d, struct dfs__urb_table *t, bool *grow_index)
{
    if (t->free_head == DFS__NONE && t->fresh == t->slots_alloc) {
        uint32_t n = t->slots_alloc > t->cap / 2 ? t->cap : t->slots_alloc * 2;
        struct dfs__urb_slot *p = dfs__realloc(d, t->slots, (size_t)n * sizeof *p);
        if (!p)
            return false;
        t->slots = p;
        t->slots_alloc = n;
    }
    uint32_t used = t->index_mask + 1;
    *grow_index = (uint64_t)(t->count + 1) * 2 > used && used < t->index_max;
    if (*grow_index && used * 2 > t->index_alloc) {
        uint32_t *p = dfs__realloc(d, t->index, (size_t)used * 2 * sizeof *p);
        if (!p)
            return false;
        t->index = p;
        t->index_alloc = used * 2;
    }
    return true;
}

void dfs__urb_table_clear(dfs_decoder *d, struct dfs__urb_table *t)
{
    if (!t->slots)
        return;
    for (uint32_t i = 0; i < t->fresh; i++) {
        if (t->slots[i].used)
            dfs__free(d, t->slots[i].payload);
        t->slots[i] = (struct dfs__urb_slot){.newer = DFS__NONE, .older = DFS__NONE};
    }
    t->index_mask = (t->index_max < INDEX_START ? t->index_max : INDEX_START) - 1;
    memset(t->index, 0xff, ((size_t)t->index_mask + 1) * sizeof *t->index);
    t->count = 0;
    t->fresh = 0;
    t->free_head = DFS__NONE;
    t->oldest = t->newest = DFS__NONE;
}

void dfs__urb_table_free(dfs_decoder *d, struct dfs__urb_table *t)
{
    if (t->slots)
        for (uint32_t i = 0; i < t->fresh; i++)
            if (t->slots[i].used)
                dfs__free(d, t->slots[i].payload);
    dfs__free(d, t->slots);
    dfs__free(d, t->index);
    memset(t, 0, sizeof *t);
}

uint32_t dfs__urb_find(const struct dfs__urb_table *t, uint16_t bus, uint64_t id)
{
    if (!t->count)
        return DFS__NONE;
    for (uint32_t h = hash_key(bus, id) & t->index_mask;; h = (h + 1) & t->index_mask) {
        uint32_t s = t->index[h];
        if (s == DFS__NONE)
            return DFS__NONE;
        if (t->slots[s].id == id && t->slots[s].bus == bus)
            return s;
    }
}

uint32_t dfs__urb_insert(dfs_decoder *d, struct dfs__urb_table *t, uint16_t bus, uint64_t id)
{
    bool grow_index;
    if (!make_room(d, t, &grow_index))
        return DFS__NONE;
    uint32_t s = t->free_head;
    if (s != DFS__NONE)
        t->free_head = t->slots[s].newer;
    else
        s = t->fresh++;
    struct dfs__urb_slot *e = &t->slots[s];
    uint32_t hash = hash_key(bus, id);
    *e = (struct dfs__urb_slot){.id = id, .hash = hash, .bus = bus, .used = true,
                                .older = t->newest, .newer = DFS__NONE};
    if (t->newest != DFS__NONE)
        t->slots[t->newest].newer = s;
    t->newest = s;
    if (t->oldest == DFS__NONE)
        t->oldest = s;
    t->count++;
    /* at most half full */
    if (grow_index)
        index_grow(t); /* places s too */
    else
        index_put(t, s);
    return s;
}

void dfs__urb_remove(dfs_decoder *d, struct dfs__urb_table *t, uint32_t s)
{
    struct dfs__urb_slot *e = &t->slots[s];
    /* find and delete its index entry with backward-shift deletion */
    uint32_t h = e->hash & t->index_mask;
    while (t->index[h] != s)
        h = (h + 1) & t->index_mask;
    uint32_t hole = h;
    for (uint32_t j = (hole + 1) & t->index_mask; t->index[j] != DFS__NONE;
         j = (j + 1) & t->index_mask) {
        uint32_t js = t->index[j];
        uint32_t home = t->slots[js].hash & t->index_mask;
        /* move j into the hole when its home is not within (hole, j] */
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            t->index[hole] = js;
            hole = j;
        }
    }
    t->index[hole] = DFS__NONE;

    if (e->older != DFS__NONE)
        t->slots[e->older].newer = e->newer;
    else
        t->oldest = e->newer;
    if (e->newer != DFS__NONE)
        t->slots[e->newer].older = e->older;
    else
        t->newest = e->older;
    if (e->payload)
        dfs__free(d, e->payload);
    /* what a free slot needs (dfs__urb_insert sets the rest again): not the
     * whole slot, for every URB */
    e->used = false;
    e->payload = NULL;
    e->payload_len = 0;
    e->newer = t->free_head;
    e->older = DFS__NONE;
    t->free_head = s;
    t->count--;
}

/* A record that cannot be decoded (or only in part) is a finding naming its
 * frame, rate-limited per kind of problem. */
static void report_parse_problem(dfs_decoder *d, enum dfs_finding_code code,
                                 const struct dfs_record *rec, const char *msg, bool skipped)
{
    if (dfs__limited(d, code, rec->frame))
        dfs__say_record_problem(d, code, rec->frame, msg, skipped);
}

bool dfs__urb_record_usable(dfs_decoder *d, const struct dfs_record *rec,
                            enum dfs__parse_status ps, const char *msg)
{
    if (ps == DFS__PARSE_SHORT || ps == DFS__PARSE_BAD) {
        d->stats.records_skipped++;
        report_parse_problem(d, ps == DFS__PARSE_SHORT ? DFS_F_CAPTURE_RECORD_SHORT
                                                       : DFS_F_CAPTURE_BAD_HEADER,
                             rec, msg, true);
        return false;
    }
    if (ps == DFS__PARSE_DAMAGED) {
        d->stats.records_damaged++;
        report_parse_problem(d, DFS_F_CAPTURE_RECORD_TRUNCATED, rec, msg, false);
        if (d->error)
            return false;
    }
    return true;
}

void dfs__urb_hand_off(dfs_decoder *d, const struct dfs_record *rec, struct dfs_urb *u)
{
    u->frame = rec->frame;
    u->ts = rec->ts;
    u->link_frame = 0;
    d->ports.urb(d, u);
}
