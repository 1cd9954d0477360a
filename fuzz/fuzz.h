/* Shared helpers of the fuzz targets.
 *
 * Every target defines LLVMFuzzerTestOneInput(). Built with -DDFS_FUZZ=ON
 * (clang), libFuzzer provides main(); in every other build replay_main.c
 * does, and replays the target's corpus as an ordinary ctest test.
 *
 * A target checks the properties the API documents and calls fuzz_fail()
 * (which aborts, so libFuzzer and the replay test both report it) when one
 * does not hold. Targets copy every input they hand to the library into a
 * heap buffer of exactly the input's size, so AddressSanitizer catches a
 * read of one byte past the end.
 */
#ifndef DFS_FUZZ_H
#define DFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fuzz_fail(__FILE__, __LINE__, #cond);                                             \
    } while (0)

static inline void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, what);
    abort();
}

/* A heap copy of exactly n bytes (NULL for n == 0, as a caller may pass). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
    if (!n)
        return NULL;
    uint8_t *q = malloc(n);
    if (!q)
        abort();
    memcpy(q, p, n);
    return q;
}

/* Is s a NUL-terminated string within size bytes? */
static inline int fuzz_terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* A counting allocator for struct dfs_allocator: counts live blocks so a
 * target can check that nothing leaked, and can fail allocation number
 * fail_at (1-based; 0 = never) and every one after it when fail_all. */
struct fuzz_alloc {
    long live;
    unsigned long calls;
    unsigned long fail_at;
    int fail_all;
    unsigned long failed;
};

static inline int fuzz_alloc_should_fail(struct fuzz_alloc *a)
{
    a->calls++;
    if (!a->fail_at)
        return 0;
    if (a->calls == a->fail_at || (a->fail_all && a->calls > a->fail_at)) {
        a->failed++;
        return 1;
    }
    return 0;
}

static inline void *fuzz_malloc(void *ctx, size_t size)
{
    struct fuzz_alloc *a = ctx;
    if (fuzz_alloc_should_fail(a))
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p)
        a->live++;
    return p;
}

static inline void *fuzz_realloc(void *ctx, void *ptr, size_t size)
{
    struct fuzz_alloc *a = ctx;
    if (fuzz_alloc_should_fail(a))
        return NULL;
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr)
        a->live++;
    return p;
}

static inline void fuzz_free(void *ctx, void *ptr)
{
    struct fuzz_alloc *a = ctx;
    if (ptr)
        a->live--;
    free(ptr);
}

static inline struct dfs_allocator fuzz_allocator(struct fuzz_alloc *a)
{
    struct dfs_allocator al = {fuzz_malloc, fuzz_realloc, fuzz_free, a};
    return al;
}

/* For a target's own checker of its results (an oracle, not code under
 * test): no coverage instrumentation, so libFuzzer neither spends time on
 * it nor takes its branches for new behaviour of the library. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_ORACLE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_ORACLE
#endif

#endif
