/* Allocation, for every stage: through the caller's allocator hook
 * (struct dfs_allocator) when there is one, else libc's allocator. This is
 * the decoder's only use of malloc, calloc, realloc and free (scripts/lint). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

void *dfs__alloc_with(const struct dfs_allocator *a, size_t size)
{
    return a ? a->malloc(a->ctx, size) : malloc(size);
}

void *dfs__zalloc_with(const struct dfs_allocator *a, size_t size)
{
    /* (calloc: most of a large zeroed object, such as the decoder's per-bus
     * device tables, is never touched) */
    if (!a)
        return calloc(1, size);
    void *p = a->malloc(a->ctx, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void dfs__free_with(const struct dfs_allocator *a, void *p)
{
    if (!p)
        return;
    if (a)
        a->free(a->ctx, p);
    else
        free(p);
}

void *dfs__malloc(dfs_decoder *d, size_t size)
{
    return dfs__alloc_with(d->opt.alloc, size);
}

void *dfs__calloc(dfs_decoder *d, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    /* libc's calloc leaves the pages of a new mapping untouched (they are
     * zero already): a large table costs memory only where it is used */
    if (!d->opt.alloc)
        return calloc(n, size);
    void *p = dfs__malloc(d, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *dfs__realloc(dfs_decoder *d, void *p, size_t size)
{
    const struct dfs_allocator *a = d->opt.alloc;
    return a ? a->realloc(a->ctx, p, size) : realloc(p, size);
}

void dfs__free(dfs_decoder *d, void *p)
{
    dfs__free_with(d->opt.alloc, p);
}

void dfs__nomem(dfs_decoder *d, const char *what)
{
    if (d->error != DFS_OK)
        return;
    d->error = DFS_E_NOMEM;
    snprintf(d->errmsg, sizeof d->errmsg, "out of memory at frame %llu: %s",
             (unsigned long long)d->cur_frame, what);
}
