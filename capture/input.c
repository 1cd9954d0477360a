/* The capture reader's input: a buffer over the stream that grows to hold
 * one whole record or block, the warnings and errors the readers report,
 * and the bookkeeping of a resynchronisation. libc only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_internal.h"

void dfs_cap__warn(dfs_capreader *r, uint64_t frame, const char *fmt, ...)
{
    if (!r->opt.warn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->opt.warn(r->opt.warn_user, frame, msg);
}

enum dfs_capnext dfs_cap__fail(dfs_capreader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return DFS_CAP_ERROR;
}

size_t dfs_cap__fill(dfs_capreader *r, size_t n)
{
    size_t have = r->end - r->start;
    if (have >= n)
        return have;
    if (r->start > 0 && (r->start + n > r->cap || r->start > r->cap / 2)) {
        memmove(r->buf, r->buf + r->start, have);
        r->base += r->start;
        r->end = have;
        r->start = 0;
    }
    if (r->start + n > r->cap) {
        size_t ncap = r->cap ? r->cap : 65536;
        while (ncap < r->start + n)
            ncap *= 2;
        uint8_t *nb = realloc(r->buf, ncap);
        if (!nb)
            return have;
        r->buf = nb;
        r->cap = ncap;
    }
    while (r->end - r->start < n) {
        /* Following a pipe or a growing file, ask only for the bytes needed:
         * fread() waits until it has all it was asked for, and a record must
         * be handed on as soon as it is complete. */
        size_t want = r->opt.follow ? r->start + n - r->end : r->cap - r->end;
        size_t got = fread(r->buf + r->end, 1, want, r->fp);
        r->end += got;
        if (got == 0) {
            if (ferror(r->fp) && errno == EINTR) {
                clearerr(r->fp);
                if (r->opt.follow)
                    break; /* a signal: the caller gets AGAIN and may stop */
                continue;
            }
            r->at_eof = true;
            if (r->opt.follow)
                clearerr(r->fp); /* more may come */
            break;
        }
    }
    return r->end - r->start;
}

uint64_t dfs_cap__offset(const dfs_capreader *r) { return r->base + r->start; }

void dfs_cap__consume(dfs_capreader *r, size_t n)
{
    r->start += n;
    if (r->start == r->end) {
        r->base += r->start;
        r->start = r->end = 0;
    }
}

void dfs_cap__resync_begin(dfs_capreader *r, uint64_t frame, const char *why)
{
    r->resyncing = true;
    r->rs_frame = frame;
    r->rs_bad_at = dfs_cap__offset(r);
    r->rs_skipped = 0;
    snprintf(r->rs_why, sizeof r->rs_why, "%s", why);
}
