/* DfuSe memory layout strings and known option-byte areas. */
#include <stdio.h>
#include <string.h>

#include "dfuscope/dfuse.h"
#include "internal.h"

struct cur {
    const char *s;
    size_t len, pos;
};

static int peek(const struct cur *c) { return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1; }

static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }

static dfs_result failf(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dfs_result failf(char *why, size_t size, const char *fmt, ...)
{
    if (why && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return DFS_E_FORMAT;
}

/* Decimal number of at most 10 digits; false when none. */
static bool read_dec(struct cur *c, uint64_t *v)
{
    size_t n = 0;
    uint64_t x = 0;
    while (is_digit(peek(c)) && n < 11) {
        x = x * 10 + (uint64_t)(peek(c) - '0');
        c->pos++;
        n++;
    }
    *v = x;
    return n > 0 && n <= 10;
}

static bool read_hex_addr(struct cur *c, uint64_t *v)
{
    if (c->pos + 2 > c->len || c->s[c->pos] != '0' || (c->s[c->pos + 1] | 0x20) != 'x')
        return false;
    c->pos += 2;
    size_t n = 0;
    uint64_t x = 0;
    for (;;) {
        int ch = peek(c);
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
            d = (ch | 0x20) - 'a' + 10;
        else
            break;
        x = (x << 4) | (uint64_t)d;
        c->pos++;
        if (++n > 8)
            return false;
    }
    *v = x;
    return n > 0;
}

dfs_result dfs_layout_parse(const char *s, size_t len, struct dfs_layout *out, char *why,
                            size_t why_size)
{
    if (!s || !out)
        return DFS_E_INVAL;
    if (why && why_size)
        why[0] = '\0';
    struct cur c = {s, len, 0};
    while (c.len > 0 && (s[c.len - 1] == '\0' || s[c.len - 1] == ' '))
        c.len--; /* trailing NULs or spaces of a padded string */
    if (peek(&c) != '@')
        return failf(why, why_size, "does not start with '@'");
    c.pos++;
    struct dfs_layout l;
    memset(&l, 0, sizeof l);
    size_t name_start = c.pos;
    while (c.pos < c.len && c.s[c.pos] != '/')
        c.pos++;
    if (c.pos >= c.len)
        return failf(why, why_size, "no '/' after the name: no start address");
    size_t name_end = c.pos;
    while (name_end > name_start && s[name_end - 1] == ' ')
        name_end--;
    size_t nl = name_end - name_start;
    if (nl >= sizeof l.name)
        nl = sizeof l.name - 1;
    memcpy(l.name, s + name_start, nl);
    l.name[nl] = '\0';

    while (peek(&c) == '/') {
        c.pos++;
        uint64_t addr;
        size_t at = c.pos;
        if (!read_hex_addr(&c, &addr))
            return failf(why, why_size, "expected a start address like 0x08000000 at offset %zu",
                         at);
        if (peek(&c) != '/')
            return failf(why, why_size, "expected '/' after the start address at offset %zu",
                         c.pos);
        c.pos++;
        for (;;) {
            uint64_t count, size;
            at = c.pos;
            size_t count_at = at;
            if (!read_dec(&c, &count))
                return failf(why, why_size, "sector count missing at offset %zu", at);
            if (peek(&c) != '*')
                return failf(why, why_size, "expected '*' after the sector count at offset %zu",
                             c.pos);
            c.pos++;
            at = c.pos;
            if (!read_dec(&c, &size))
                return failf(why, why_size, "sector size missing at offset %zu", at);
            int unit = peek(&c);
            uint64_t mult;
            if (unit == 'K') {
                mult = 1024;
                c.pos++;
            } else if (unit == 'M') {
                mult = 1024 * 1024;
                c.pos++;
            } else if (unit == ' ' || unit == 'B') {
                mult = 1; /* 'B' is not in UM0424, but dfu-util accepts it */
                c.pos++;
            } else {
                return failf(why, why_size,
                             "sector size unit missing at offset %zu (expected ' ', 'B', 'K' or 'M', "
                             "found %s)",
                             c.pos, unit < 0 ? "the end" : "another character");
            }
            int type = peek(&c);
            if (type < 'a' || type > 'g')
                return failf(why, why_size,
                             "sector type missing at offset %zu (expected a letter 'a'..'g')",
                             c.pos);
            c.pos++;
            if (count == 0 || size == 0)
                return failf(why, why_size, "zero sector %s at offset %zu",
                             count == 0 ? "count" : "size", at);
            /* both are kept in 32 bits; then count * size cannot overflow */
            if (count > UINT32_MAX || size > UINT32_MAX / mult)
                return failf(why, why_size,
                             "sector %s %llu at offset %zu does not fit the 32-bit address space",
                             count > UINT32_MAX ? "count" : "size",
                             (unsigned long long)(count > UINT32_MAX ? count : size),
                             count > UINT32_MAX ? count_at : at);
            uint64_t bytes = count * size * mult;
            if (addr + bytes > 0x100000000ull)
                return failf(why, why_size,
                             "region at 0x%08llx of %llu bytes runs past the 4 GiB address space",
                             (unsigned long long)addr, (unsigned long long)bytes);
            if (l.n_regions >= DFS_LAYOUT_MAX_REGIONS) {
                if (why && why_size)
                    snprintf(why, why_size, "more than %d sector groups", DFS_LAYOUT_MAX_REGIONS);
                return DFS_E_LIMIT;
            }
            struct dfs_layout_region *r = &l.regions[l.n_regions++];
            r->start = (uint32_t)addr;
            r->count = (uint32_t)count;
            r->size = (uint32_t)(size * mult);
            r->end = addr + bytes;
            r->type = (char)type;
            r->flags = (uint8_t)((type - 'a' + 1) & 7);
            addr += bytes;
            if (peek(&c) != ',')
                break;
            c.pos++;
        }
    }
    if (c.pos != c.len)
        return failf(why, why_size, "unexpected text at offset %zu after the last sector group",
                     c.pos);
    if (!l.n_regions)
        return failf(why, why_size, "no sector groups");
    *out = l;
    return DFS_OK;
}

const struct dfs_layout_region *dfs_layout_find(const struct dfs_layout *l, uint32_t addr)
{
    if (!l)
        return NULL;
    for (unsigned i = 0; i < l->n_regions; i++)
        if (addr >= l->regions[i].start && addr < l->regions[i].end)
            return &l->regions[i];
    return NULL;
}

bool dfs_layout_allows(const struct dfs_layout *l, uint32_t addr, uint32_t len, uint8_t need)
{
    uint64_t a = addr, end = (uint64_t)addr + (len ? len : 1);
    while (a < end) {
        const struct dfs_layout_region *r = dfs_layout_find(l, (uint32_t)a);
        if (!r || (r->flags & need) != need)
            return false;
        a = r->end;
    }
    return true;
}

/* Option-byte areas of STM32 system bootloaders, from the families'
 * reference manuals: RM0444 (STM32G0: 0x1FFF7800-0x1FFF787F; G4 and L4 start
 * their option bytes at the same address), RM0090 (F4), RM0385 (F7), RM0091
 * and RM0008 (F0, F1), RM0367 and RM0038 (L0, L1). */
static const struct dfs_ob_area ob_areas[] = {
    {0x1FFF7800, 0x1FFF7880, "STM32G0/G4/L4"},
    {0x1FFFC000, 0x1FFFC010, "STM32F2/F4"},
    {0x1FFEC000, 0x1FFEC010, "STM32F42x/F43x bank 2"},
    {0x1FFF0000, 0x1FFF0020, "STM32F7"},
    {0x1FFFF800, 0x1FFFF810, "STM32F0/F1/F3"},
    {0x1FF80000, 0x1FF80020, "STM32L0/L1"},
};

const struct dfs_ob_area *dfs_ob_area_find(uint32_t addr)
{
    for (size_t i = 0; i < sizeof ob_areas / sizeof ob_areas[0]; i++)
        if (addr >= ob_areas[i].start && addr < ob_areas[i].end)
            return &ob_areas[i];
    return NULL;
}
