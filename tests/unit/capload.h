/* Test helper: a whole capture file in memory, one heap buffer of exactly
 * its size per record, read with dfuscope's own reader. */
#ifndef DFS_TEST_CAPLOAD_H
#define DFS_TEST_CAPLOAD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/capture.h"

struct capload {
    struct dfs_record *recs;
    size_t n;
    uint64_t damaged; /* problems the reader reported */
};

/* Path relative to $DFS_TEST_DATA (tests/data) unless absolute. Returns 0,
 * or -1 with a message on stderr. */
static inline int capload_read(const char *path, struct capload *out)
{
    char full[4096];
    const char *root = getenv("DFS_TEST_DATA");
    if (path[0] != '/' && root)
        snprintf(full, sizeof full, "%s/%s", root, path);
    else
        snprintf(full, sizeof full, "%s", path);
    memset(out, 0, sizeof *out);
    char err[600];
    dfs_capreader *r;
    if (dfs_capreader_open(full, NULL, &r, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    size_t cap = 0;
    struct dfs_record rec;
    enum dfs_capnext n;
    while ((n = dfs_capreader_next(r, &rec)) == DFS_CAP_RECORD) {
        if (out->n == cap) {
            struct dfs_record *nr = realloc(out->recs, (cap = cap ? cap * 2 : 256) * sizeof *nr);
            if (!nr)
                abort();
            out->recs = nr;
        }
        uint8_t *copy = malloc(rec.caplen ? rec.caplen : 1);
        if (!copy)
            abort();
        memcpy(copy, rec.data, rec.caplen);
        rec.data = copy;
        out->recs[out->n++] = rec;
    }
    out->damaged = dfs_capreader_damaged(r);
    dfs_capreader_close(r);
    if (n == DFS_CAP_ERROR) {
        fprintf(stderr, "%s: read error\n", full);
        return -1;
    }
    return 0;
}

static inline void capload_free(struct capload *c)
{
    for (size_t i = 0; i < c->n; i++)
        free((void *)c->recs[i].data);
    free(c->recs);
    memset(c, 0, sizeof *c);
}

#endif
