/* Small helpers shared by the runner's files: a growable byte buffer,
 * bounded formatting (always NUL-terminated), hex text of bytes and of
 * expected-data patterns, pattern matching and comparisons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

size_t dfs_run__buf_add(struct dfs_run__buf *b, const void *p, size_t n)
{
    if (b->failed)
        return SIZE_MAX;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return SIZE_MAX;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return SIZE_MAX;
        }
        b->p = q;
        b->cap = cap;
    }
    size_t off = b->len;
    if (n)
        memcpy(b->p + off, p, n);
    b->len += n;
    return off;
}

void dfs_run__buf_free(struct dfs_run__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void dfs_run__fmt(char *buf, size_t size, const char *fmt, ...)
{
    if (!size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

size_t dfs_run__catf(char *buf, size_t size, const char *fmt, ...)
{
    if (!size)
        return 0;
    size_t len = strnlen(buf, size);
    if (len >= size - 1)
        return size - 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return len;
    return len + (size_t)n >= size ? size - 1 : len + (size_t)n;
}

void dfs_run__hex_str(const uint8_t *p, size_t n, char *buf, size_t size)
{
    static const char hx[] = "0123456789abcdef";
    if (!size)
        return;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 3 > size - 1) {
            if (size > 4) {
                o = size - 4 < o ? size - 4 : o;
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        buf[o++] = hx[p[i] >> 4];
        buf[o++] = hx[p[i] & 15];
    }
    buf[o] = '\0';
}

void dfs_run__pattern_str(const uint8_t *pat, const uint8_t *mask, uint32_t n, bool prefix,
                          char *buf, size_t size)
{
    static const char hx[] = "0123456789abcdef";
    if (!size)
        return;
    size_t o = 0;
    bool partial = false;
    for (uint32_t i = 0; i < n; i++)
        if (mask && mask[i] != 0xff && mask[i] != 0)
            partial = true;
    for (uint32_t i = 0; i < n; i++) {
        if (o + 4 > size - 1) {
            prefix = true;
            break;
        }
        if (mask && mask[i] == 0 && !partial) {
            buf[o++] = '?';
            buf[o++] = '?';
        } else {
            buf[o++] = hx[pat[i] >> 4];
            buf[o++] = hx[pat[i] & 15];
        }
    }
    if (partial && mask) {
        if (o + 2 < size - 1)
            buf[o++] = '&';
        for (uint32_t i = 0; i < n && o + 4 < size - 1; i++) {
            buf[o++] = hx[mask[i] >> 4];
            buf[o++] = hx[mask[i] & 15];
        }
    }
    if (prefix && o + 1 < size)
        buf[o++] = '*';
    buf[o] = '\0';
}

bool dfs_run__data_match(const uint8_t *pat, const uint8_t *mask, uint32_t pat_len, bool prefix,
                         const uint8_t *got, uint32_t got_len)
{
    if (got_len < pat_len || (!prefix && got_len != pat_len))
        return false;
    for (uint32_t i = 0; i < pat_len; i++) {
        uint8_t m = mask ? mask[i] : 0xff;
        if ((got[i] & m) != (pat[i] & m))
            return false;
    }
    return true;
}

const char *dfs_run__cmp_str(enum dfs_run__cmp op)
{
    switch (op) {
    case DFS_RUN__LT: return "<";
    case DFS_RUN__LE: return "<=";
    case DFS_RUN__GT: return ">";
    case DFS_RUN__GE: return ">=";
    case DFS_RUN__EQ: break;
    }
    return "=";
}

bool dfs_run__cmp_ok(enum dfs_run__cmp op, uint32_t got, uint32_t want)
{
    switch (op) {
    case DFS_RUN__LT: return got < want;
    case DFS_RUN__LE: return got <= want;
    case DFS_RUN__GT: return got > want;
    case DFS_RUN__GE: return got >= want;
    case DFS_RUN__EQ: break;
    }
    return got == want;
}
